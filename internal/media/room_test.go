package media

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/tonecheck"
	"github.com/pion/rtp"
)

// Tones of the parties in these tests.
const (
	toneA = 440.0
	toneB = 1000.0
	toneC = 1700.0
	toneD = 2300.0
)

var allTones = []float64{toneA, toneB, toneC, toneD}

// checkTones fails unless samples contain exactly the tones in want (at or
// above the Heard threshold), and, when wantLevel is not 0, each of them
// within 2 dB of wantLevel.
func checkTones(t *testing.T, who string, samples []float64, wantLevel float64, want ...float64) {
	t.Helper()
	if len(samples) < 2400 {
		t.Fatalf("%s: only %d samples to check", who, len(samples))
	}
	for _, f := range allTones {
		l := tonecheck.Level(samples, sampleRate, f)
		heard := tonecheck.Heard(l)
		shouldHear := false
		for _, w := range want {
			shouldHear = shouldHear || w == f
		}
		switch {
		case heard && !shouldHear:
			t.Errorf("%s hears %g Hz at %.1f dBFS; it must not", who, f, l)
		case !heard && shouldHear:
			t.Errorf("%s does not hear %g Hz (%.1f dBFS)", who, f, l)
		case heard && wantLevel != 0 && math.Abs(l-wantLevel) > 2:
			t.Errorf("%s hears %g Hz at %.1f dBFS, want about %.0f", who, f, l, wantLevel)
		}
	}
}

func TestTwoLegRoomForwardsBothWays(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"io_uring, kernel clock", Config{}},
		{"a system call per packet", Config{noURing: true}},
		{"Go timers", Config{goTimer: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngineWith(t, tt.cfg)
			if tt.cfg.noURing != (e.workers[0].ring == nil) {
				t.Skip("io_uring is not available here")
			}
			if tt.cfg.goTimer != (e.workers[0].clk == nil) {
				t.Fatalf("kernel clock %v with goTimer %v", e.workers[0].clk != nil, tt.cfg.goTimer)
			}
			testTwoLegRoom(t, e)
		})
	}
}

func testTwoLegRoom(t *testing.T, e *Engine) {
	pa, pb := newPeer(t, PCMU), newPeer(t, PCMU)
	a, b := connect(t, e, pa, 0), connect(t, e, pb, 0)
	r := mustRoom(t, e, a, b)
	if err := r.SetHearing(AllHear(a.ID(), b.ID())); err != nil {
		t.Fatal(err)
	}
	stopA := pa.startStream(a.LocalAddr(), toneA)
	stopB := pb.startStream(b.LocalAddr(), toneB)
	gotA := pa.waitAudio(0, 45)
	gotB := pb.waitAudio(0, 45)
	stopA()
	stopB()
	checkTones(t, "A", decodeAudio(after(gotA, 10), PCMU), -6, toneB)
	checkTones(t, "B", decodeAudio(after(gotB, 10), PCMU), -6, toneA)
	checkContinuous(t, "A", gotA)
	if s := a.Stats(); s.PacketsIn < 40 || s.PacketsOut < 40 || s.Dropped != 0 {
		t.Errorf("A stats %+v", s)
	}
}

func TestListenerOfTwoGetsMix(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	pa, pb, pc := newPeer(t, PCMU), newPeer(t, PCMU), newPeer(t, PCMU)
	a, b, c := connect(t, e, pa, 0), connect(t, e, pb, 0), connect(t, e, pc, 0)
	r := mustRoom(t, e, a, b, c)
	if err := r.SetHearing(Hearing{a.ID(): {b.ID()}, b.ID(): {a.ID()}, c.ID(): {a.ID(), b.ID()}}); err != nil {
		t.Fatal(err)
	}
	defer pa.startStream(a.LocalAddr(), toneA)()
	defer pb.startStream(b.LocalAddr(), toneB)()
	defer pc.startStream(c.LocalAddr(), toneC)()
	got := pc.waitAudio(0, 45)
	checkTones(t, "C", decodeAudio(after(got, 10), PCMU), -12, toneA, toneB)
	checkContinuous(t, "C", got)
}

// checkContinuous fails unless every packet follows the one before it by
// one sequence number and one frame of timestamp, in one SSRC.
func checkContinuous(t *testing.T, who string, pkts []rtp.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		p, q := pkts[i-1], pkts[i]
		if q.SSRC != p.SSRC || q.SequenceNumber != p.SequenceNumber+1 || q.Timestamp != p.Timestamp+FrameSamples {
			t.Fatalf("%s: packet %d (ssrc %x seq %d ts %d) does not follow packet %d (ssrc %x seq %d ts %d)",
				who, i, q.SSRC, q.SequenceNumber, q.Timestamp, i-1, p.SSRC, p.SequenceNumber, p.Timestamp)
		}
	}
}

func TestHearingSwitchKeepsStreamContinuous(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	pa, pb, pl := newPeer(t, PCMU), newPeer(t, PCMU), newPeer(t, PCMU)
	a, b, l := connect(t, e, pa, 0), connect(t, e, pb, 0), connect(t, e, pl, 0)
	r := mustRoom(t, e, a, b, l)
	defer pa.startStream(a.LocalAddr(), toneA)()
	defer pb.startStream(b.LocalAddr(), toneB)()
	phases := []struct {
		name  string
		hears []LegID
		tones []float64
		level float64
	}{
		{"forward A", []LegID{a.ID()}, []float64{toneA}, -6},
		{"mix A+B", []LegID{a.ID(), b.ID()}, []float64{toneA, toneB}, -12},
		{"forward B", []LegID{b.ID()}, []float64{toneB}, -6},
		{"forward A again", []LegID{a.ID()}, []float64{toneA}, -6},
	}
	var marks []int
	for _, ph := range phases {
		if err := r.SetHearing(Hearing{l.ID(): ph.hears}); err != nil {
			t.Fatal(err)
		}
		start := len(pl.packets())
		marks = append(marks, start)
		pl.waitAudio(0, start+25)
	}
	got := pl.packets()
	checkContinuous(t, "listener", got)
	for i, ph := range phases {
		// leave out the first frames of a phase: the change lands at the
		// next frame boundary, and a mix starts with a frame of buffering
		seg := got[marks[i]+6 : marks[i]+25]
		checkTones(t, "listener during "+ph.name, decodeAudio(seg, PCMU), ph.level, ph.tones...)
	}
}

// The assist table of ARCHITECTURE.md as rows of a hearing matrix: customer
// (C), agent (A), supervisor (S). Each row is checked by tone: who hears
// which party.
func TestHearingMatrixWhisper(t *testing.T) {
	t.Parallel()
	const cust, agent, sup = 0, 1, 2
	rows := []struct {
		mode  string
		hears [3][]int // per party, the parties it hears
	}{
		{"no assist", [3][]int{cust: {agent}, agent: {cust}, sup: nil}},
		{"listen", [3][]int{cust: {agent}, agent: {cust}, sup: {cust, agent}}},
		{"talk", [3][]int{cust: {agent}, agent: {cust, sup}, sup: {cust, agent}}},
		{"take over", [3][]int{cust: {sup}, agent: nil, sup: {cust}}},
	}
	tones := [3]float64{toneA, toneB, toneC}
	e := newTestEngine(t)
	for _, row := range rows {
		t.Run(row.mode, func(t *testing.T) {
			t.Parallel()
			var peers [3]*peer
			var legs [3]*Leg
			for i := range 3 {
				peers[i] = newPeer(t, PCMU)
				legs[i] = connect(t, e, peers[i], 0)
			}
			r := mustRoom(t, e, legs[:]...)
			h := Hearing{}
			for i, srcs := range row.hears {
				for _, s := range srcs {
					h[legs[i].ID()] = append(h[legs[i].ID()], legs[s].ID())
				}
			}
			if err := r.SetHearing(h); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				defer peers[i].startStream(legs[i].LocalAddr(), tones[i])()
			}
			for i, srcs := range row.hears {
				got := peers[i].waitAudio(0, 40)
				var want []float64
				for _, s := range srcs {
					want = append(want, tones[s])
				}
				checkTones(t, fmt.Sprintf("party %d", i), decodeAudio(after(got, 10), PCMU), 0, want...)
			}
		})
	}
}

func TestTranscodesBetweenLaws(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	pu, pa, pm := newPeer(t, PCMU), newPeer(t, PCMA), newPeer(t, PCMA)
	u, a, m := connect(t, e, pu, 0), connect(t, e, pa, 0), connect(t, e, pm, 0)
	r := mustRoom(t, e, u, a, m)
	// u and a hear each other (forwarded across laws); m hears both (mixed).
	if err := r.SetHearing(Hearing{u.ID(): {a.ID()}, a.ID(): {u.ID()}, m.ID(): {u.ID(), a.ID()}}); err != nil {
		t.Fatal(err)
	}
	defer pu.startStream(u.LocalAddr(), toneA)()
	defer pa.startStream(a.LocalAddr(), toneB)()
	gotU := pu.waitAudio(uint8(PCMU), 40)
	gotA := pa.waitAudio(uint8(PCMA), 40)
	gotM := pm.waitAudio(uint8(PCMA), 40)
	checkTones(t, "PCMU leg", decodeAudio(after(gotU, 10), PCMU), -6, toneB)
	checkTones(t, "PCMA leg", decodeAudio(after(gotA, 10), PCMA), -6, toneA)
	checkTones(t, "PCMA mix", decodeAudio(after(gotM, 10), PCMA), -12, toneA, toneB)
}

func TestSetHearingRejectsBadMatrix(t *testing.T) {
	e := newTestEngine(t)
	pa, pb := newPeer(t, PCMU), newPeer(t, PCMU)
	a, b := connect(t, e, pa, 0), connect(t, e, pb, 0)
	outsider, err := e.NewRTPLeg()
	if err != nil {
		t.Fatal(err)
	}
	r := mustRoom(t, e, a, b)
	good := Hearing{a.ID(): {b.ID()}}
	if err := r.SetHearing(good); err != nil {
		t.Fatal(err)
	}
	bad := map[string]struct {
		h    Hearing
		want error
	}{
		"hears itself":        {Hearing{a.ID(): {a.ID()}}, ErrSelfHear},
		"unknown listener":    {Hearing{outsider.ID(): {a.ID()}}, ErrNotInRoom},
		"hears a non-member":  {Hearing{a.ID(): {b.ID(), outsider.ID()}}, ErrNotInRoom},
		"hears a made-up leg": {Hearing{b.ID(): {LegID(999999)}}, ErrNotInRoom},
	}
	for name, tt := range bad {
		if err := r.SetHearing(tt.h); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tt.want)
		}
	}
	if h := r.Hearing(); len(h) != 1 || len(h[a.ID()]) != 1 || h[a.ID()][0] != b.ID() {
		t.Errorf("a rejected matrix changed the hearing: %v", h)
	}
	other := mustRoom(t, e)
	if err := other.Add(a); !errors.Is(err, ErrInRoom) {
		t.Errorf("adding a leg of another room: err = %v, want ErrInRoom", err)
	}
	r.Remove(b)
	if h := r.Hearing(); len(h[a.ID()]) != 0 {
		t.Errorf("after removing b, a still hears %v", h[a.ID()])
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(b); !errors.Is(err, ErrClosed) {
		t.Errorf("add to closed room: err = %v, want ErrClosed", err)
	}
}

// TestLegThatSpeaks: a leg's voice (Leg.Speak) is heard by the legs that
// hear it, alone or mixed with others, and by nobody else; it needs no
// packets of its own.
func TestLegThatSpeaks(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	pa, pb, pc := newPeer(t, PCMU), newPeer(t, PCMU), newPeer(t, PCMU)
	a, b, c := connect(t, e, pa, 0), connect(t, e, pb, 0), connect(t, e, pc, 0)
	v, err := e.NewPacketLeg(func([]byte) error { return nil }, byte(PCMU), 0)
	if err != nil {
		t.Fatal(err)
	}
	tone, err := NewToneSource([]float64{toneD}, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	v.Speak(tone)
	r := mustRoom(t, e, a, b, c, v)
	// b hears a and the voice, c the voice alone, a only b
	if err := r.SetHearing(Hearing{a.ID(): {b.ID()}, b.ID(): {a.ID(), v.ID()}, c.ID(): {v.ID()}}); err != nil {
		t.Fatal(err)
	}
	defer pa.startStream(a.LocalAddr(), toneA)()
	defer pb.startStream(b.LocalAddr(), toneB)()
	defer pc.startStream(c.LocalAddr(), toneC)()
	checkTones(t, "B", decodeAudio(after(pb.waitAudio(0, 45), 10), PCMU), 0, toneA, toneD)
	checkTones(t, "C", decodeAudio(after(pc.waitAudio(0, 45), 10), PCMU), 0, toneD)
	checkTones(t, "A", decodeAudio(after(pa.waitAudio(0, 45), 10), PCMU), 0, toneB)
}
