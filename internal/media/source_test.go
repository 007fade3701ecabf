package media

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/tonecheck"
)

func TestWAVSourcePlays(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, enc := range []string{tonecheck.ULaw, tonecheck.PCM16} {
		t.Run(enc, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, enc+".wav")
			if err := tonecheck.WriteTone(path, toneD, 8000, 0.5, enc); err != nil {
				t.Fatal(err)
			}
			src, err := NewWAVSource(path, true)
			if err != nil {
				t.Fatal(err)
			}
			e := newTestEngine(t)
			p := newPeer(t, PCMA)
			l := connect(t, e, p, 0)
			l.Play(src)
			got := p.waitAudio(uint8(PCMA), 35) // 0.7 s: the 0.5 s file loops
			checkTones(t, "player", decodeAudio(after(got, 5), PCMA), -6, toneD)
			checkContinuous(t, "player", got)
		})
	}
}

func TestWAVSourceRejects(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wide := filepath.Join(dir, "16k.wav")
	if err := tonecheck.WriteTone(wide, 1000, 16000, 0.1, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	mono := wavHeader(1, 0)
	stereo := wavHeader(2, 10)
	eightBit := wavHeader(1, 10)
	eightBit[34] = 8
	tests := map[string]string{
		"16 kHz":          wide,
		"stereo":          write("stereo.wav", append(stereo[:], make([]byte, 40)...)),
		"8-bit PCM":       write("8bit.wav", append(eightBit[:], make([]byte, 20)...)),
		"no audio":        write("empty.wav", mono[:]),
		"not a WAV":       write("text.wav", []byte("hello, this is not audio at all")),
		"missing file":    filepath.Join(dir, "nope.wav"),
		"truncated chunk": write("trunc.wav", mono[:30]),
	}
	for name, path := range tests {
		if _, err := NewWAVSource(path, false); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewWAVSource(wide, false); !errors.Is(err, ErrWAVFormat) {
		t.Errorf("16 kHz: err = %v, want ErrWAVFormat", err)
	}
}

func TestToneSourceCadence(t *testing.T) {
	src := Ringback()
	var on, off []float64
	var pcm [FrameSamples]int16
	for n := range 300 { // 6 s: one cycle
		if !src.Frame(n, &pcm) {
			t.Fatalf("ringback ended at frame %d", n)
		}
		for _, s := range pcm {
			if n < 100 {
				on = append(on, float64(s)/32768)
			} else {
				off = append(off, float64(s)/32768)
			}
		}
	}
	for _, f := range []float64{440, 480} {
		if l := tonecheck.Level(on, sampleRate, f); !tonecheck.Heard(l) {
			t.Errorf("%g Hz not heard in the first 2 s (%.1f dBFS)", f, l)
		}
		if l := tonecheck.Level(off, sampleRate, f); tonecheck.Heard(l) {
			t.Errorf("%g Hz heard in the silent 4 s (%.1f dBFS)", f, l)
		}
	}
	if !src.Frame(300, &pcm) || pcm == [FrameSamples]int16{} {
		t.Error("ringback does not start again after 6 s")
	}
}

func TestToneSourceRejects(t *testing.T) {
	tests := map[string]struct {
		freqs   []float64
		on, off time.Duration
	}{
		"no frequency":    {nil, time.Second, 0},
		"above 4 kHz":     {[]float64{4400}, time.Second, 0},
		"zero frequency":  {[]float64{0}, time.Second, 0},
		"no on time":      {[]float64{440}, 0, time.Second},
		"negative off":    {[]float64{440}, time.Second, -time.Second},
		"five tones":      {[]float64{1, 2, 3, 4, 5}, time.Second, 0},
		"an hour's cycle": {[]float64{440}, time.Hour, 0},
	}
	for name, tt := range tests {
		if _, err := NewToneSource(tt.freqs, tt.on, tt.off); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSimSourceEndsAndHold(t *testing.T) {
	s := newSim(t)
	tk := s.talker(PCMU, 0)
	path := filepath.Join(t.TempDir(), "short.wav")
	if err := tonecheck.WriteTone(path, toneA, 8000, 0.1, tonecheck.PCM16); err != nil { // 5 frames
		t.Fatal(err)
	}
	src, err := NewWAVSource(path, false)
	if err != nil {
		t.Fatal(err)
	}
	tk.leg.Play(src)
	s.step(20) // 10 frames: 5 of tone, then silence
	got := tk.out.packets()
	if len(got) < 9 {
		t.Fatalf("%d packets in 10 frames", len(got))
	}
	checkContinuous(t, "player", got)
	for i, k := range got {
		silent := k.Payload[0] == ulawSilence && k.Payload[80] == ulawSilence
		if silent != (i >= 5) {
			t.Errorf("frame %d silent = %v", i, silent)
		}
	}
	// Hold: nothing is sent; after it, the timestamp shows the time that passed.
	tk.leg.Hold(true)
	s.step(20)
	if n := len(tk.out.packets()); n != len(got) {
		t.Fatalf("%d packets sent on hold", n-len(got))
	}
	tk.leg.Hold(false)
	s.step(2)
	all := tk.out.packets()
	last, next := all[len(got)-1], all[len(got)]
	if next.SequenceNumber != last.SequenceNumber+1 || next.Timestamp-last.Timestamp != 11*FrameSamples {
		t.Errorf("after hold: seq %d→%d, ts +%d (want +%d)", last.SequenceNumber, next.SequenceNumber, next.Timestamp-last.Timestamp, 11*FrameSamples)
	}
}
