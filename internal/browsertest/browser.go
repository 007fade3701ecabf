// Package browsertest drives headless Chromium for earshot's page tests: a
// fresh profile per test, a fake microphone playing a WAV file, loopback
// WebRTC allowed, and autoplay without a click. Every helper fails the test
// on error, with what the page logged.
//
// Chromium is /usr/bin/chromium, or $CHROMIUM. Where it is missing, Start
// skips the test with the reason, unless CI=true: CI installs it, so there a
// missing browser fails the test.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// DefaultPath is where Chromium is looked for when $CHROMIUM is not set.
const DefaultPath = "/usr/bin/chromium"

// Options set up a browser. The zero value is a 1280×800 window with
// Chromium's own fake microphone (a beep).
type Options struct {
	// FakeMicWAV is a WAV file the fake microphone plays, looping.
	FakeMicWAV string
	// Width and Height are the window's size; default 1280×800.
	Width, Height int
	// Timeout bounds each action (default 15 s).
	Timeout time.Duration
}

// Browser is one headless Chromium with one tab.
type Browser struct {
	t       testing.TB
	ctx     context.Context // the tab
	timeout time.Duration

	mu   sync.Mutex   // guards logs
	logs []string     // the page's console and exceptions, for failures
	out  bytes.Buffer // Chromium's own output, guarded by mu
}

// Path returns the Chromium to run: $CHROMIUM, else DefaultPath.
func Path() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return DefaultPath
}

// Start launches Chromium for the test; it is stopped when the test ends.
func Start(t testing.TB, opts Options) *Browser {
	t.Helper()
	path := Path()
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium not found at %s (set CHROMIUM): %v", path, err)
		}
		t.Skipf("Chromium not found at %s (set CHROMIUM, or install chromium): %v", path, err)
	}
	if opts.Width <= 0 || opts.Height <= 0 {
		opts.Width, opts.Height = 1280, 800
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	b := &Browser{t: t, timeout: opts.Timeout}
	// A profile of its own, removed after Chromium has gone: its helper
	// processes may still write there for a moment, which t.TempDir's
	// removal would report as an error.
	profile, err := os.MkdirTemp("", "earshot-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		remote.WebSocket, // DevTools on a free port (chosen by Chromium) on 127.0.0.1
		chromedp.Flag("remote-debugging-address", "127.0.0.1"),
		chromedp.Flag("remote-debugging-port", "0"),
		chromedp.CombinedOutput(lockedWriter{b}),
	}
	if opts.FakeMicWAV != "" {
		abs, err := filepath.Abs(opts.FakeMicWAV)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("fake microphone: %v", err)
		}
		flags = append(flags, chromedp.Flag("use-file-for-fake-audio-capture", abs))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(func(f string, a ...any) { b.log("chromedp: "+f, a...) }))
	b.ctx = ctx
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			b.dump()
		}
		removeProfile(t, profile)
	})
	// The first action launches the browser; it must not run under a
	// timeout, which would end the browser with it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.fail("launch Chromium", err)
	}
	b.Resize(opts.Width, opts.Height) // the window's size includes no browser chrome, but be exact
	go b.watchConsole()
	return b
}

// NewTab opens another tab in the same browser. It shares the first tab's
// cookies, as a person's second tab does, but starts with its own session
// storage; it closes when the test ends.
func (b *Browser) NewTab() *Browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tab := &Browser{t: b.t, ctx: ctx, timeout: b.timeout}
	b.t.Cleanup(func() {
		cancel()
		if b.t.Failed() {
			tab.dump()
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		tab.fail("open a tab", err)
	}
	go tab.watchConsole()
	return tab
}

// lockedWriter collects Chromium's output.
type lockedWriter struct{ b *Browser }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if w.b.out.Len() < 1<<20 {
		w.b.out.Write(p)
	}
	return len(p), nil
}

// watchConsole keeps what the page logs, to show it when a test fails.
func (b *Browser) watchConsole() {
	go func() {
		for ev, err := range chromedp.Events(b.ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			b.log("page exception: %s", (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	}()
	for ev, err := range chromedp.Events(b.ctx, runtime.ConsoleAPICalled) {
		if err != nil {
			return
		}
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		b.log("console.%s: %s", ev.Type, strings.Join(parts, " "))
	}
}

func (b *Browser) log(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.logs) < 500 {
		b.logs = append(b.logs, fmt.Sprintf(format, args...))
	}
}

// Errors returns the page's uncaught exceptions and console errors so far.
func (b *Browser) Errors() []string {
	var out []string
	for _, l := range b.Logs() {
		if strings.HasPrefix(l, "page exception:") || strings.HasPrefix(l, "console.error:") {
			out = append(out, l)
		}
	}
	return out
}

// Logs returns what the page has logged so far (console and exceptions).
func (b *Browser) Logs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.logs...)
}

func (b *Browser) dump() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.logs {
		b.t.Log(l)
	}
	if out := strings.TrimSpace(b.out.String()); out != "" {
		b.t.Logf("Chromium output:\n%s", lastLines(out, 40))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (b *Browser) fail(what string, err error) {
	b.t.Helper()
	b.t.Fatalf("browser: %s: %v", what, err)
}

// run runs steps with the action timeout.
func (b *Browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

// Open loads url in the tab and waits for the page to load.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.run("open "+url, chromedp.Navigate(url))
}

// Click clicks the first element matching the CSS selector sel, once it is
// visible.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Type types text into the element matching sel, as keystrokes.
func (b *Browser) Type(sel, text string) {
	b.t.Helper()
	b.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// WaitVisible waits until an element matching sel is visible.
func (b *Browser) WaitVisible(sel string) {
	b.t.Helper()
	b.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// Eval evaluates the JavaScript expression js (awaiting a promise) and
// decodes its JSON value into out (which may be nil).
func (b *Browser) Eval(js string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("evaluate "+js, err)
	}
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.fail("decode the value of "+js, err)
	}
}

// WaitTrue polls the JavaScript expression js every 50 ms until it is true,
// failing the test with what after d.
func (b *Browser) WaitTrue(d time.Duration, what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var ok bool
		ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")", chromedp.EvalAwaitPromise))
		cancel()
		if err == nil {
			ok = v
		} else if !errors.Is(err, context.DeadlineExceeded) {
			b.log("wait %q: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: %s: not within %v", what, d)
		}
		<-tick.C
	}
}

// Resize sets the page's viewport to width×height CSS pixels.
func (b *Browser) Resize(width, height int) {
	b.t.Helper()
	b.run("resize", chromedp.EmulateViewport(int64(width), int64(height)))
}

// Screenshot writes a PNG of the viewport to path, creating its folder.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fail("screenshot", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// removeProfile removes Chromium's profile folder, retrying for a few
// seconds while Chromium's helpers finish writing to it.
func removeProfile(t testing.TB, dir string) {
	var err error
	for range 100 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("remove Chromium profile %s: %v", dir, err)
}
