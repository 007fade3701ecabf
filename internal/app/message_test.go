package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/demo"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/tonecheck"
)

// messageTone is the frequency of the test's queue message.
const messageTone = 1700

// writeMessage writes a message WAV of messageTone lasting seconds.
func writeMessage(t *testing.T, seconds float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sorry.wav")
	if err := tonecheck.WriteTone(p, messageTone, 8000, seconds, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMaxWaitMessageToBaresip: a baresip customer (440 Hz) calls sales,
// where nobody is available and max_wait is 3 s. It hears music on hold,
// then the queue's 2 s message (1700 Hz), and only then earshot's BYE; the
// history says the call ended at max_wait.
func TestMaxWaitMessageToBaresip(t *testing.T) {
	const maxWait, length = 3.0, 2.0
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	q := &cfg.Queues[0]
	q.MaxWait, q.OnMaxWait, q.Message = time.Duration(maxWait*float64(time.Second)), config.OnMaxWaitHangup, writeMessage(t, length)
	a, err := Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })

	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: 440,
		Dial: fmt.Sprintf("sip:+15550100@%s", a.SIPAddr("udp"))})
	waitFor(t, 10*time.Second, "the call to queue", func() bool { return waiting(a, "sales") == 1 })
	waitFor(t, 15*time.Second, "earshot to end the call", func() bool { return slices.Contains(endings(t, a), "max_wait") })
	if !customer.WaitOutput("closed", 10*time.Second) {
		t.Fatalf("baresip was not hung up on:\n%s", customer.Output())
	}
	var heard []float64
	var rate int
	waitFor(t, 5*time.Second, "baresip's recording", func() bool {
		heard, rate, err = customer.Heard()
		return err == nil && len(heard) > int(maxWait*8000)
	})
	got := float64(len(heard)) / float64(rate)
	t.Logf("baresip heard %.2f s", got)
	check(t, "customer while queued", window(heard, rate, 0.5, maxWait-0.5), rate, []float64{523.25}, []float64{messageTone, 440})
	check(t, "customer after max_wait", window(heard, rate, maxWait+0.4, maxWait+length-0.4), rate, []float64{messageTone}, []float64{440, 523.25})
	if got < maxWait+length-0.2 {
		t.Errorf("the call lasted %.2f s: earshot hung up before the %.0f s message after %.0f s of waiting ended", got, length, maxWait)
	}
	if got > maxWait+length+3 {
		t.Errorf("the call lasted %.2f s: earshot did not hang up after the message", got)
	}
}

// TestMessageFilesChecked: serve does not start with a queue message it
// cannot play, and the admin API refuses one with the reason and changes
// nothing; a playable one is taken.
func TestMessageFilesChecked(t *testing.T) {
	dir := t.TempDir()
	cfg := demoConfig(t, dir)
	q := &cfg.Queues[0]
	q.MaxWait, q.OnMaxWait, q.Message = time.Minute, config.OnMaxWaitHangup, filepath.Join(dir, "missing.wav")
	if a, err := Start(context.Background(), Options{Config: cfg}); err == nil {
		a.Close()
		t.Fatal("serve started with a queue message that does not exist")
	} else if !strings.Contains(err.Error(), `queue "sales": message "`) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("start error %q does not name the queue, the file and the reason", err)
	}
	cfg = demoConfig(t, t.TempDir())
	cfg.Queues[1].Music = filepath.Join(dir, "hold.wav")
	if a, err := Start(context.Background(), Options{Config: cfg}); err == nil {
		a.Close()
		t.Fatal("serve started with music on hold that does not exist")
	} else if !strings.Contains(err.Error(), `queue "support": music "`) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("start error %q does not name the queue, the music and the reason", err)
	}

	a := start(t, demoConfig(t, t.TempDir()))
	defer a.Close()
	admin := newClient(t, a)
	admin.login("admin")
	stereo := filepath.Join(dir, "stereo.wav")
	if err := os.WriteFile(stereo, []byte("RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00data\x04\x00\x00\x00\x00\x00\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := func(message string) map[string]any {
		return map[string]any{"teams": []string{"sales"}, "strategy": "longest-idle", "ring_timeout": 20e9, "wrap_up": 30e9,
			"max_wait": 60e9, "on_max_wait": "hangup", "message": message}
	}
	for _, tc := range []struct{ file, reason string }{
		{filepath.Join(dir, "missing.wav"), "no such file"},
		{stereo, "8 kHz mono"},
		{dir, "folder"},
		{writeMessage(t, 31), "30 s"},
	} {
		var out map[string]any
		if code := admin.do("PUT", "/api/v1/queues/sales", body(tc.file), &out); code != 400 || !strings.Contains(fmt.Sprint(out), tc.reason) {
			t.Errorf("PUT a queue with message %s: %d %v; want 400 saying %q", filepath.Base(tc.file), code, out, tc.reason)
		} else {
			t.Logf("%s: %v", filepath.Base(tc.file), out["error"])
		}
	}
	if q, _ := a.Engine().Config().Queue("sales"); q.Message != "" || q.MaxWait != 0 {
		t.Errorf("a refused change was applied: %+v", q)
	}
	good := writeMessage(t, 1)
	if code := admin.do("PUT", "/api/v1/queues/sales", body(good), nil); code != 200 {
		t.Fatalf("PUT a queue with a playable message: %d", code)
	}
	if q, _ := a.Engine().Config().Queue("sales"); q.Message != good {
		t.Errorf("sales plays %q, want %q", q.Message, good)
	}

	// Music on hold is checked the same way, of any length.
	music := body(good)
	music["music"] = stereo
	var out map[string]any
	if code := admin.do("PUT", "/api/v1/queues/sales", music, &out); code != 400 || !strings.Contains(fmt.Sprint(out), `music "`) || !strings.Contains(fmt.Sprint(out), "8 kHz mono") {
		t.Errorf("PUT a queue with stereo music: %d %v; want 400 naming the music", code, out)
	}
	long := writeMessage(t, 31)
	music["music"] = long
	if code := admin.do("PUT", "/api/v1/queues/sales", music, nil); code != 200 {
		t.Fatalf("PUT a queue with 31 s of music: %d", code)
	}
	if q, _ := a.Engine().Config().Queue("sales"); q.Music != long {
		t.Errorf("sales plays music %q, want %q", q.Music, long)
	}
}

// TestDemoMessage: the demo writes its message into the data folder and
// its support queue plays it.
func TestDemoMessage(t *testing.T) {
	dir := t.TempDir()
	cfg := demoConfig(t, dir)
	cfg.Listen.SIP = "127.0.0.1:0"
	a, err := Start(context.Background(), Options{Config: cfg, Demo: true, CallsPerMinute: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	q, ok := a.Engine().Config().Queue(demo.MessageQueue)
	if !ok || q.Message != filepath.Join(dir, "sounds", "support-busy.wav") || q.OnMaxWait != config.OnMaxWaitHangup {
		t.Fatalf("demo queue %s: %+v", demo.MessageQueue, q)
	}
	m, err := callflow.LoadMessage(q.Message)
	if err != nil {
		t.Fatal(err)
	}
	if m.Length() < 3*time.Second || m.Length() > 15*time.Second {
		t.Errorf("the demo message lasts %v", m.Length())
	}
}
