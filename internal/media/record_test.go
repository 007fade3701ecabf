package media

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/earshot/earshot/internal/tonecheck"
)

func TestRecordingChannels(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	dir := t.TempDir()
	// Customer C (440), agent A (1000), supervisor S (1700) whispering to
	// the agent: C hears A; A hears C and S; S hears C and A.
	pc, pa, ps := newPeer(t, PCMU), newPeer(t, PCMU), newPeer(t, PCMA)
	c, a, s := connect(t, e, pc, 0), connect(t, e, pa, 0), connect(t, e, ps, 0)
	r := mustRoom(t, e, c, a, s)
	if err := r.SetHearing(Hearing{c.ID(): {a.ID()}, a.ID(): {c.ID(), s.ID()}, s.ID(): {c.ID(), a.ID()}}); err != nil {
		t.Fatal(err)
	}
	defer pc.startStream(c.LocalAddr(), toneA)()
	defer pa.startStream(a.LocalAddr(), toneB)()
	defer ps.startStream(s.LocalAddr(), toneC)()
	// Start recording once everyone hears what they should.
	pc.waitAudio(0, 5)
	pa.waitAudio(0, 5)
	custPath, agentPath, supPath := filepath.Join(dir, "c.wav"), filepath.Join(dir, "a.wav"), filepath.Join(dir, "s.wav")
	recC, err := r.Record(custPath, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	recA, err := r.Record(agentPath, a.ID())
	if err != nil {
		t.Fatal(err)
	}
	recS, err := r.RecordLeg(supPath, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	n := len(pc.packets())
	pc.waitAudio(0, n+40) // 0.8 s of call
	for _, rec := range []*Recording{recC, recA, recS} {
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	read := func(path string, ch int) []float64 {
		t.Helper()
		samples, rate, err := tonecheck.ReadWAVChannel(path, ch)
		if err != nil {
			t.Fatal(err)
		}
		if rate != 8000 || len(samples) < 6000 {
			t.Fatalf("%s: %d samples at %d Hz", path, len(samples), rate)
		}
		return samples[800:] // past the first frames of buffering
	}
	checkTones(t, "customer's channel 1 (said)", read(custPath, 0), -6, toneA)
	checkTones(t, "customer's channel 2 (heard): no whisper", read(custPath, 1), -6, toneB)
	checkTones(t, "agent's channel 1 (said)", read(agentPath, 0), -6, toneB)
	checkTones(t, "agent's channel 2 (heard)", read(agentPath, 1), -12, toneA, toneC)
	checkTones(t, "supervisor's track", read(supPath, 0), -6, toneC)
	if _, _, err := tonecheck.ReadWAVChannel(supPath, 1); err == nil {
		t.Error("the supervisor's track has a second channel")
	}
}

func TestRecordRejects(t *testing.T) {
	e := newTestEngine(t)
	p := newPeer(t, PCMU)
	l := connect(t, e, p, 0)
	outsider := connect(t, e, p, 0)
	r := mustRoom(t, e, l)
	dir := t.TempDir()
	if _, err := r.Record(filepath.Join(dir, "x.wav"), outsider.ID()); !errors.Is(err, ErrNotInRoom) {
		t.Errorf("non-member: err = %v", err)
	}
	if _, err := r.Record(filepath.Join(dir, "no", "such", "dir.wav"), l.ID()); err == nil {
		t.Error("unwritable path accepted")
	}
	rec, err := r.Record(filepath.Join(dir, "ok.wav"), l.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil { // closes the recording too
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tonecheck.ReadWAV(filepath.Join(dir, "ok.wav")); err != nil {
		t.Errorf("a recording closed with its room is not a valid WAV: %v", err)
	}
	if _, err := r.Record(filepath.Join(dir, "late.wav"), l.ID()); !errors.Is(err, ErrClosed) {
		t.Errorf("closed room: err = %v", err)
	}
}
