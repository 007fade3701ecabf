package callflow

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/tonecheck"
)

// customerLine is the customer's end of a call in these tests: it keeps
// what the customer heard and stands in for the SIP call the flow hangs up.
type customerLine struct {
	conn *net.UDPConn
	leg  *media.Leg // earshot's side

	mu       sync.Mutex // guards heard and atHangup
	heard    []float64  // decoded audio received, in order
	atHangup int        // len(heard) when the flow hung up; -1 before

	done   chan struct{} // closed when the customer hangs up
	hungUp chan struct{} // closed when the flow hangs up
	once   sync.Once
}

func (c *customerLine) Done() <-chan struct{} { return c.done }

func (c *customerLine) Hangup() error {
	c.once.Do(func() {
		c.mu.Lock()
		c.atHangup = len(c.heard)
		c.mu.Unlock()
		close(c.hungUp)
	})
	return nil
}

// listen decodes every PCMU packet the customer receives.
func (c *customerLine) listen() {
	buf := make([]byte, 1500)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[1]&0x7f != 0 {
			continue
		}
		c.mu.Lock()
		for _, b := range buf[12:n] {
			c.heard = append(c.heard, float64(media.DecodeSample(media.PCMU, b))/32768)
		}
		c.mu.Unlock()
	}
}

// toneWindows counts the 100 ms windows of what the customer heard, up to
// the hang-up if there was one, in which freq is heard.
func (c *customerLine) toneWindows(freq float64) int {
	c.mu.Lock()
	heard := c.heard
	if c.atHangup >= 0 {
		heard = heard[:c.atHangup]
	}
	heard = append([]float64(nil), heard...)
	c.mu.Unlock()
	n := 0
	for off := 0; off+800 <= len(heard); off += 800 {
		if tonecheck.Heard(tonecheck.Level(heard[off:off+800], 8000, freq)) {
			n++
		}
	}
	return n
}

// messageRig is the call flow over a real media engine and ACD on a fake
// clock, with a queue whose callers are hung up after a minute with
// message.
type messageRig struct {
	t    *testing.T
	clk  *clock.Fake
	med  *media.Engine
	bus  *events.Bus
	eng  *acd.Engine
	flow *Flow

	mu  sync.Mutex // guards evs
	evs []events.Event
}

func newMessageRig(t *testing.T, message string) *messageRig {
	t.Helper()
	med, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 43000, PortMax: 43999})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { med.Close() })
	cfg := rigConfig()
	cfg.Queues[0].MaxWait, cfg.Queues[0].OnMaxWait, cfg.Queues[0].Message = time.Minute, config.OnMaxWaitHangup, message
	r := &messageRig{t: t, clk: clock.NewFake(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)), med: med, bus: events.NewBus()}
	r.eng = acd.New(cfg, r.clk, &busSink{bus: r.bus})
	sub := r.bus.Subscribe(4096)
	go func() {
		for e := range sub.C {
			r.mu.Lock()
			r.evs = append(r.evs, e)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(sub.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.flow = New(ctx, Config{Engine: r.eng, Bus: r.bus, Media: med, Logger: slog.New(slog.DiscardHandler)})
	return r
}

// arrive brings customer call c1 into the queue, where nobody is available.
func (r *messageRig) arrive() (*customerLine, *liveCall) {
	r.t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { conn.Close() })
	leg, err := r.med.NewRTPLeg()
	if err != nil {
		r.t.Fatal(err)
	}
	c := &customerLine{conn: conn, leg: leg, atHangup: -1, done: make(chan struct{}), hungUp: make(chan struct{})}
	go c.listen()
	if err := leg.SetRemote(conn.LocalAddr().(*net.UDPAddr).AddrPort(), 0, 101); err != nil {
		r.t.Fatal(err)
	}
	lc := &liveCall{id: "c1", customer: c, leg: leg, room: r.med.NewRoom(), queue: "sales", caller: "+15557654321",
		rings: map[string]context.CancelFunc{}, parties: map[string]*party{}}
	if err := lc.room.Add(leg); err != nil {
		r.t.Fatal(err)
	}
	r.flow.mu.Lock()
	r.flow.calls["c1"] = lc
	r.flow.mu.Unlock()
	if _, err := r.eng.Arrive(acd.Inbound{ID: "c1", DID: "100", Caller: "+15557654321"}); err != nil {
		r.t.Fatal(err)
	}
	return c, lc
}

func (r *messageRig) events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.evs...)
}

// waitFor waits, with a deadline, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeTone(t *testing.T, freq, seconds float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "message.wav")
	if err := tonecheck.WriteTone(p, freq, 8000, seconds, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	return p
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestMaxWaitPlaysMessageThenHangsUp: a caller who waited max_wait leaves
// the queue (call.ended, max_wait, is recorded at once and nobody is
// offered the call), hears the whole message, and is then hung up on.
func TestMaxWaitPlaysMessageThenHangsUp(t *testing.T) {
	r := newMessageRig(t, writeTone(t, 1000, 0.6))
	cust, lc := r.arrive()
	r.clk.Advance(time.Minute)

	if _, err := r.eng.Call("c1"); !errors.Is(err, acd.ErrUnknownCall) {
		t.Fatalf("after max_wait the ACD still has the call: %v", err)
	}
	select {
	case <-cust.hungUp:
	case <-time.After(5 * time.Second):
		t.Fatal("the caller was not hung up after the message")
	}
	if n := cust.toneWindows(1000); n < 5 {
		t.Errorf("the caller heard the 0.6 s message in %d windows of 100 ms before the hang-up, want at least 5", n)
	}
	if legs := lc.room.Legs(); len(legs) != 0 {
		t.Errorf("the room still holds %v after the hang-up", legs)
	}
	waitFor(t, "call.ended on the bus", func() bool {
		for _, e := range r.events() {
			if e.Kind == events.CallEnded {
				return true
			}
		}
		return false
	})
	for _, e := range r.events() {
		switch {
		case e.Kind == events.CallOffered:
			t.Errorf("the call was offered to %s", e.Agent)
		case e.Kind == events.CallEnded && (e.Reason != reasonMaxWait || e.Actor != "system"):
			t.Errorf("call.ended %s by %s, want max_wait by system", e.Reason, e.Actor)
		}
	}
}

// TestCallerHangsUpDuringMessage: the caller may hang up while the message
// plays; the flow stops playing and lets the call go at once.
func TestCallerHangsUpDuringMessage(t *testing.T) {
	r := newMessageRig(t, writeTone(t, 1000, 20))
	cust, lc := r.arrive()
	r.clk.Advance(time.Minute)
	waitFor(t, "the message to play", func() bool { return cust.toneWindows(1000) >= 2 })
	close(cust.done)
	select {
	case <-cust.hungUp:
	case <-time.After(5 * time.Second):
		t.Fatal("the flow went on with the 20 s message after the caller hung up")
	}
	if legs := lc.room.Legs(); len(legs) != 0 {
		t.Errorf("the room still holds %v", legs)
	}
}

// TestMaxWaitMessageMissing: a message that cannot be read at play time is
// logged, and the caller is hung up on as without one.
func TestMaxWaitMessageMissing(t *testing.T) {
	p := writeTone(t, 1000, 0.6)
	r := newMessageRig(t, p)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	cust, _ := r.arrive()
	r.clk.Advance(time.Minute)
	select {
	case <-cust.hungUp:
	case <-time.After(5 * time.Second):
		t.Fatal("the caller was not hung up")
	}
	if n := cust.toneWindows(1000); n != 0 {
		t.Errorf("heard a tone in %d windows", n)
	}
}

func TestLoadMessage(t *testing.T) {
	dir := t.TempDir()
	stereo := filepath.Join(dir, "stereo.wav")
	// 8 kHz stereo 16-bit: a WAV, but not one the media plane plays.
	hdr := []byte("RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00data\x04\x00\x00\x00\x00\x00\x00\x00")
	if err := os.WriteFile(stereo, hdr, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.wav")
	if err := os.WriteFile(text, []byte("not audio"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		path    string
		length  time.Duration
		wantErr error
	}{
		{"a short tone", writeTone(t, 440, 1.5), 1500 * time.Millisecond, nil},
		{"30 s exactly", writeTone(t, 440, 30), 30 * time.Second, nil},
		{"longer than 30 s", writeTone(t, 440, 30.5), 0, ErrMessageTooLong},
		{"no such file", filepath.Join(dir, "missing.wav"), 0, ErrMessageFile},
		{"a folder", dir, 0, ErrMessageFile},
		{"stereo", stereo, 0, media.ErrWAVFormat},
		{"not a WAV", text, 0, media.ErrWAVFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadMessage(tc.path)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !errors.Is(err, ErrMessageFile) {
					t.Fatalf("LoadMessage: %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Length() != tc.length {
				t.Errorf("length %v, want %v", m.Length(), tc.length)
			}
		})
	}
}

// TestAnnouncementEnds: the message, then the silent tail, then the end,
// reported once.
func TestAnnouncementEnds(t *testing.T) {
	m, err := LoadMessage(writeTone(t, 1000, 0.1))
	if err != nil {
		t.Fatal(err)
	}
	a := newAnnouncement(m)
	var pcm [media.FrameSamples]int16
	tail := int(messageTail / frameTime)
	for n := range m.frames + tail {
		if !a.Frame(n, &pcm) {
			t.Fatalf("ended at frame %d, want %d frames", n, m.frames+tail)
		}
		if n >= m.frames && pcm != ([media.FrameSamples]int16{}) {
			t.Fatalf("frame %d of the tail is not silent", n)
		}
		if closed(a.done) {
			t.Fatalf("done before the end (frame %d)", n)
		}
	}
	if a.Frame(m.frames+tail, &pcm) || !closed(a.done) {
		t.Fatal("the announcement did not end after its tail")
	}
	a.Frame(m.frames+tail+1, &pcm) // a second end does not close done twice
}

// TestAnnouncementFrameDoesNotAllocate: Frame runs on the media path.
func TestAnnouncementFrameDoesNotAllocate(t *testing.T) {
	m, err := LoadMessage(writeTone(t, 1000, 1))
	if err != nil {
		t.Fatal(err)
	}
	a := newAnnouncement(m)
	var pcm [media.FrameSamples]int16
	n := 0
	if allocs := testing.AllocsPerRun(200, func() { a.Frame(n%(a.end+2), &pcm); n++ }); allocs != 0 {
		t.Errorf("Frame allocates %.1f times a call", allocs)
	}
}
