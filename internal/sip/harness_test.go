package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/peertest"
)

// wait is the deadline for any single event in these tests.
const wait = 15 * time.Second

func init() {
	// EARSHOT_SIP_TRACE=1 prints every SIP message sent and received.
	sip.SIPDebug = os.Getenv("EARSHOT_SIP_TRACE") != ""
}

// needPeer skips a test whose external peer is missing on a developer
// machine, and fails it under CI.
func needPeer(t *testing.T, bin string) string {
	t.Helper()
	return peertest.Need(t, bin)
}

// fakeMedia makes legs with real UDP sockets on loopback and records what
// the SIP edge does with them.
type fakeMedia struct {
	mu   sync.Mutex // guards legs, fail
	legs []*fakeLeg
	fail error
	made chan *fakeLeg
}

func newFakeMedia() *fakeMedia { return &fakeMedia{made: make(chan *fakeLeg, 64)} }

func (m *fakeMedia) NewLeg() (Leg, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	l := &fakeLeg{conn: c, events: make(chan string, 64)}
	go l.drain()
	m.legs = append(m.legs, l)
	select {
	case m.made <- l:
	default:
	}
	return l, nil
}

// closedTwice counts legs closed more than once.
func (m *fakeMedia) closedTwice() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range m.legs {
		l.mu.Lock()
		if l.twice {
			n++
		}
		l.mu.Unlock()
	}
	return n
}

// open counts legs not closed.
func (m *fakeMedia) open() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range m.legs {
		if !l.isClosed() {
			n++
		}
	}
	return n
}

type fakeLeg struct {
	conn   *net.UDPConn
	events chan string // "remote <addr> <pt> <dtmf>", "hold true|false", "close"

	mu     sync.Mutex // guards remote, pt, dtmf, holds, closed, twice
	remote netip.AddrPort
	pt     uint8
	dtmf   uint8
	holds  []bool
	closed bool
	twice  bool
}

// drain reads and drops what the far end sends, as a real leg would read
// it, until the leg is closed.
func (l *fakeLeg) drain() {
	buf := make([]byte, 2048)
	for {
		if _, _, err := l.conn.ReadFrom(buf); err != nil {
			return
		}
	}
}

func (l *fakeLeg) LocalAddr() netip.AddrPort { return l.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (l *fakeLeg) SetRemote(addr netip.AddrPort, pt, dtmf uint8) error {
	if !addr.Addr().Unmap().Is4() {
		// As the media engine on an IPv4 address does.
		return fmt.Errorf("fake leg: %v is not IPv4", addr)
	}
	l.mu.Lock()
	l.remote, l.pt, l.dtmf = addr, pt, dtmf
	l.mu.Unlock()
	l.event(fmt.Sprintf("remote %s %d %d", addr, pt, dtmf))
	return nil
}

func (l *fakeLeg) Hold(on bool) {
	l.mu.Lock()
	l.holds = append(l.holds, on)
	l.mu.Unlock()
	l.event("hold " + strconv.FormatBool(on))
}

func (l *fakeLeg) Close() error {
	l.mu.Lock()
	if l.closed {
		l.twice = true
		l.mu.Unlock()
		return errors.New("leg closed twice")
	}
	l.closed = true
	l.mu.Unlock()
	l.event("close")
	return l.conn.Close()
}

func (l *fakeLeg) event(e string) {
	select {
	case l.events <- e:
	default:
	}
}

func (l *fakeLeg) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *fakeLeg) snapshot() (netip.AddrPort, uint8, uint8, []bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remote, l.pt, l.dtmf, append([]bool(nil), l.holds...)
}

// handlerFunc adapts a function to Handler.
type handlerFunc func(*Call) error

func (f handlerFunc) InboundCall(c *Call) error { return f(c) }

// syncBuffer collects the server's log for a failing test.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// harness is a running Server with fake media and a handler the test sets.
type harness struct {
	t       testing.TB
	stop    func() // stops the server and waits for Run; idempotent
	srv     *Server
	media   *fakeMedia
	calls   chan *Call
	handler func(*Call) error
	log     *syncBuffer
}

// newHarness starts a server on loopback UDP and TCP with a trunk for
// 127.0.0.1. mod may change the config first. onCall decides what to do
// with each inbound call (nil: answer at once).
func newHarness(t testing.TB, onCall func(*Call) error, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, media: newFakeMedia(), calls: make(chan *Call, 16), handler: onCall, log: &syncBuffer{}}
	if h.handler == nil {
		h.handler = func(c *Call) error { return c.Answer() }
	}
	cfg := Config{
		Listen: []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"},
		Trunks: []config.Trunk{{Name: "carrier", Sources: []string{"127.0.0.1/32"}}},
		Media:  h.media,
		Calls: handlerFunc(func(c *Call) error {
			h.calls <- c
			return h.handler(c)
		}),
		Logger: slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	case <-time.After(wait):
		cancel()
		t.Fatal("server not ready")
	}
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(wait):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(func() {
		h.stop()
		if n := h.media.open(); n != 0 {
			t.Errorf("%d media legs left open", n)
		}
		if n := h.media.closedTwice(); n != 0 {
			t.Errorf("%d media legs closed twice", n)
		}
		if t.Failed() || os.Getenv("EARSHOT_SIP_LOG") != "" {
			t.Logf("server log:\n%s", h.log.String())
		}
	})
	return h
}

// addr is the server's address on network, as host:port.
func (h *harness) addr(network string) string { return h.srv.Addr(network).String() }

// nextCall waits for the handler to see a call.
func (h *harness) nextCall() *Call {
	h.t.Helper()
	select {
	case c := <-h.calls:
		return c
	case <-time.After(wait):
		h.t.Fatal("no inbound call")
		return nil
	}
}

// ended waits for c to end and returns why.
func ended(t testing.TB, c *Call) EndReason {
	t.Helper()
	select {
	case <-c.Done():
		return c.EndReason()
	case <-time.After(wait):
		t.Fatal("call did not end")
		return NotEnded
	}
}

// freePort returns a UDP port on 127.0.0.1 free at the time of the call.
func freePort(t testing.TB) int {
	t.Helper()
	return freePorts(t, 1)
}

// freePorts returns the first of n consecutive ports on 127.0.0.1, free
// for UDP and TCP at the time of the call. They come from 10000-19999,
// below the kernel's ephemeral range, so other sockets rarely take them
// before the peer binds them (sipp binds its media port and the next two).
func freePorts(t testing.TB, n int) int {
	t.Helper()
	for range 200 {
		base := 10000 + mrand.IntN(10000-n)
		var closers []io.Closer
		ok := true
		for p := base; p < base+n && ok; p++ {
			addr := "127.0.0.1:" + strconv.Itoa(p)
			u, err := net.ListenPacket("udp", addr)
			if err != nil {
				ok = false
				break
			}
			closers = append(closers, u)
			l, err := net.Listen("tcp", addr)
			if err != nil {
				ok = false
				break
			}
			closers = append(closers, l)
		}
		for _, c := range closers {
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

// sipp is one sipp process.
type sipp struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string
	port int
	out  *syncBuffer
	done chan error
}

// startSipp runs sipp with scenario (a file in testdata, or "uas"/"uac"
// for the built-in ones) on 127.0.0.1 unless ip is given in extra
// ("-i"), for one call, with a 20 s timeout.
func startSipp(t *testing.T, scenario string, extra ...string) *sipp {
	t.Helper()
	bin := needPeer(t, "sipp")
	dir := t.TempDir()
	s := &sipp{t: t, dir: dir, port: freePort(t), out: &syncBuffer{}, done: make(chan error, 1)}
	ip := "127.0.0.1"
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "-i" {
			ip = extra[i+1]
		}
	}
	args := []string{"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin",
		"-p", strconv.Itoa(s.port), "-mp", strconv.Itoa(freePorts(t, 4)),
		"-trace_msg", "-trace_err", "-trace_screen"}
	if !hasArg(extra, "-i") {
		args = append(args, "-i", ip)
	}
	if !hasArg(extra, "-mi") {
		args = append(args, "-mi", ip)
	}
	switch scenario {
	case "uas", "uac":
		args = append(args, "-sn", scenario)
	default:
		abs, err := filepath.Abs(filepath.Join("testdata", scenario))
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "-sf", abs)
	}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	s.cmd = exec.CommandContext(ctx, bin, args...)
	s.cmd.Dir = dir
	s.cmd.WaitDelay = 2 * time.Second
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start sipp: %v", err)
	}
	go func() {
		s.done <- s.cmd.Wait()
		cancel()
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

func hasArg(args []string, name string) bool {
	for _, a := range args {
		if a == name {
			return true
		}
	}
	return false
}

// addr is where sipp listens.
func (s *sipp) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// success waits for sipp to exit and fails the test unless it exited 0.
func (s *sipp) success() {
	s.t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			s.t.Errorf("sipp: %v\n%s", err, s.report())
		}
	case <-time.After(40 * time.Second):
		s.t.Fatalf("sipp did not finish\n%s", s.report())
	}
}

// messages returns sipp's message trace.
func (s *sipp) messages() string {
	files, _ := filepath.Glob(filepath.Join(s.dir, "*_messages.log"))
	var b bytes.Buffer
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

func (s *sipp) report() string {
	var b bytes.Buffer
	files, _ := filepath.Glob(filepath.Join(s.dir, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if len(data) > 20000 {
			data = data[len(data)-20000:]
		}
		fmt.Fprintf(&b, "== %s\n%s\n", filepath.Base(f), data)
	}
	return b.String()
}
