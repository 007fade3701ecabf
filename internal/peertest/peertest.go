// Package peertest runs the real peers that earshot's acceptance tests talk
// to — baresip as a customer or a phone, sipp — over loopback, and finds
// what they heard. A missing peer skips the test on a developer's machine
// and fails it under CI (CI=true), where .ci/run installs every peer.
package peertest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/tonecheck"
)

// Need returns the path of tool, or ends the test: skipped on a
// developer's machine, failed under CI.
func Need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI must install it (.ci/run)", tool)
	}
	t.Skipf("%s is not installed (apt-get install %s); this test needs it as a real peer", tool, debianPackage(tool))
	return ""
}

func debianPackage(tool string) string {
	if tool == "sipp" {
		return "sip-tester"
	}
	return tool
}

// Tone writes an 8 kHz 16-bit tone WAV of freq into dir, long enough to
// outlast any test (baresip hangs up when its source file ends).
func Tone(t testing.TB, dir string, freq float64) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("tone%.0f.wav", freq))
	if err := tonecheck.WriteTone(path, freq, 8000, 120, "pcm16"); err != nil {
		t.Fatal(err)
	}
	return path
}

var nextPort atomic.Int32

// freeSIPPort returns a loopback UDP port with ten free ports above it
// (baresip also binds TCP and TLS on the next ports).
func freeSIPPort(t testing.TB) int {
	t.Helper()
	base := 30000 + int(os.Getpid()%200)*100
	for range 200 {
		p := base + int(nextPort.Add(12))%9000
		ok := true
		for q := p; q < p+3 && ok; q++ {
			u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", q))
			if err != nil {
				ok = false
				continue
			}
			u.Close()
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", q))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free port for baresip")
	return 0
}

// Baresip is one running baresip.
type Baresip struct {
	t      testing.TB
	Dir    string
	RecDir string
	ctrl   string // ctrl_tcp address
	out    *syncBuffer
}

// BaresipOptions describe a party.
type BaresipOptions struct {
	Name string  // for logs and folders
	Tone float64 // the frequency it sends
	// AOR is the account: "sip:alice@127.0.0.1:5060" to register there
	// (with Password), or empty for a plain customer that only dials.
	AOR      string
	Password string
	// Dial, if set, is dialled at start ("sip:100@127.0.0.1:5060").
	Dial string
	// From is the user part of a plain customer's own address, the caller
	// number a server sees ("+14155550142"); default Name.
	From string
	// Manual leaves incoming calls ringing: nobody answers.
	Manual bool
	// MediaEnc, if set, is the account's media encryption: "srtp" (offer
	// SDES-SRTP, accept plain RTP) or "srtp-mand" (SRTP or no call).
	MediaEnc string
	// CAFile, if set, is the PEM certificate baresip trusts for SIP over
	// TLS (an AOR with ;transport=tls).
	CAFile string
}

// StartBaresip runs baresip with a tone as its microphone, recording what
// it hears, answering calls automatically.
func StartBaresip(t testing.TB, o BaresipOptions) *Baresip {
	t.Helper()
	bin := Need(t, "baresip")
	dir := t.TempDir()
	b := &Baresip{t: t, Dir: dir, RecDir: filepath.Join(dir, "rec"), out: &syncBuffer{}}
	if err := os.MkdirAll(b.RecDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tone := Tone(t, dir, o.Tone)
	port := freeSIPPort(t)
	b.ctrl = fmt.Sprintf("127.0.0.1:%d", port+5)
	conf := fmt.Sprintf(`poll_method epoll
net_interface 127.0.0.1
sip_listen 127.0.0.1:%d
audio_source aufile,%s
audio_player aufile,/dev/null
audio_alert aufile,/dev/null
rtp_ports %d-%d
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module sndfile.so
snd_path %s
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen %s
`, port, tone, 40000+port%100*200, 40000+port%100*200+199, b.RecDir, b.ctrl)
	answer := "auto"
	if o.Manual {
		answer = "manual"
	}
	account := "<sip:" + cmp.Or(o.From, o.Name) + "@127.0.0.1:" + fmt.Sprint(port) + ">;regint=0;answermode=" + answer + ";audio_codecs=PCMU\n"
	if o.AOR != "" {
		account = fmt.Sprintf("<%s>;auth_pass=%s;regint=60;answermode=%s;audio_codecs=PCMU\n", o.AOR, o.Password, answer)
	}
	if o.CAFile != "" {
		conf += "sip_cafile " + o.CAFile + "\n"
	}
	if o.MediaEnc != "" {
		conf += "module srtp.so\n"
		account = strings.TrimSuffix(account, "\n") + ";mediaenc=" + o.MediaEnc + "\n"
	}
	for name, body := range map[string]string{"config": conf, "accounts": account} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	args := []string{"-f", dir}
	if o.Dial != "" {
		args = append(args, "-e", "/dial "+o.Dial)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = b.out, b.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start baresip: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("baresip %s said:\n%s", o.Name, b.out.String())
		}
	})
	return b
}

// Command sends one ctrl_tcp command ("hangup", "dial sip:…").
func (b *Baresip) Command(command, params string) {
	b.t.Helper()
	body := fmt.Sprintf(`{"command":%q,"params":%q,"token":"t"}`, command, params)
	var c net.Conn
	var err error
	for range 50 {
		if c, err = net.Dial("tcp", b.ctrl); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("baresip control: %v", err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%d:%s,", len(body), body)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4096)
	_, _ = c.Read(buf)
}

// Output is what baresip printed so far.
func (b *Baresip) Output() string { return b.out.String() }

// Heard returns the decoded audio baresip recorded (what it heard), from
// its sndfile "-dec.wav" file; the newest if there are several.
func (b *Baresip) Heard() ([]float64, int, error) {
	files, _ := filepath.Glob(filepath.Join(b.RecDir, "*dec.wav"))
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("baresip %s recorded nothing", b.RecDir)
	}
	newest := files[0]
	for _, f := range files[1:] {
		a, _ := os.Stat(newest)
		c, _ := os.Stat(f)
		if c.ModTime().After(a.ModTime()) {
			newest = f
		}
	}
	return tonecheck.ReadWAV(newest)
}

// WaitOutput waits until baresip's output contains s.
func (b *Baresip) WaitOutput(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(b.out.String(), s) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Sipp runs one sipp scenario against target (host:port) and returns its
// output, failing the test if sipp fails. extra are more sipp flags.
func Sipp(t testing.TB, scenario, target string, extra ...string) string {
	t.Helper()
	out, err := SippResult(t, scenario, target, extra...)
	if err != nil {
		t.Fatalf("sipp %s: %v\n%s", filepath.Base(scenario), err, out)
	}
	return out
}

// SippResult runs one sipp scenario and returns its output and error.
func SippResult(t testing.TB, scenario, target string, extra ...string) (string, error) {
	t.Helper()
	bin := Need(t, "sipp")
	dir := t.TempDir()
	port := freeSIPPort(t)
	abs, err := filepath.Abs(scenario)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-sf", abs, "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", fmt.Sprint(port),
		"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-mp", fmt.Sprint(port + 4)}, extra...)
	args = append(args, target)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		return string(out) + "\n" + string(errs), err
	}
	return string(out), nil
}

// ULawTone writes a µ-law WAV of freq for sipp's rtp_stream (which sends
// the file's bytes as they are).
func ULawTone(t testing.TB, dir string, freq float64) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("tone%.0f-ulaw.wav", freq))
	if err := tonecheck.WriteTone(path, freq, 8000, 60, "ulaw"); err != nil {
		t.Fatal(err)
	}
	return path
}
