package tonecheck

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func sine(amp, freq float64, rate, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return s
}

// phaseJumps is a sine that restarts its phase every 130 ms, as repeated
// frames of packet loss concealment leave it.
func phaseJumps(amp, freq float64, rate, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = amp * math.Sin(2*math.Pi*freq*float64(i%(rate*13/100))/float64(rate))
	}
	return s
}

func add(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func TestLevel(t *testing.T) {
	const rate = 8000
	tests := []struct {
		name    string
		samples []float64
		freq    float64
		want    float64 // dBFS
		tol     float64
	}{
		{"full-scale sine reads 0", sine(1, 1000, rate, rate), 1000, 0, 0.1},
		{"half-scale sine reads -6", sine(0.5, 440, rate, rate), 440, -6.02, 0.1},
		{"quarter-scale sine reads -12", sine(0.25, 1700, rate, rate/2), 1700, -12.04, 0.1},
		{"tone between bins", sine(0.5, 443.7, rate, 4000), 443.7, -6.02, 0.2},
		{"each of two mixed tones keeps its level", add(sine(0.25, 440, rate, rate), sine(0.25, 1000, rate, rate)), 1000, -12.04, 0.1},
		{"absent tone beside a loud one", sine(0.5, 440, rate, rate), 1000, -200, 0},
		{"neighbouring tone 40 Hz away", sine(0.5, 440, rate, rate), 480, -200, 0},
		{"phase jumps do not cancel a tone", phaseJumps(0.5, 440, rate, rate), 440, -6.02, 1},
		{"short slice: one block", sine(0.5, 1000, rate, 300), 1000, -6.02, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Level(tt.samples, rate, tt.freq)
			if tt.want == -200 {
				if got > -60 {
					t.Fatalf("Level = %.1f dBFS, want below -60", got)
				}
				return
			}
			if math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("Level = %.2f dBFS, want %.2f±%.2f", got, tt.want, tt.tol)
			}
		})
	}
	if l := Level(nil, rate, 440); !math.IsInf(l, -1) {
		t.Errorf("Level(nil) = %v, want -Inf", l)
	}
	if l := Level(make([]float64, 100), rate, 440); !math.IsInf(l, -1) {
		t.Errorf("Level(silence) = %v, want -Inf", l)
	}
}

func TestHeard(t *testing.T) {
	tests := []struct {
		level float64
		want  bool
	}{
		{0, true}, {-6, true}, {-12, true}, {-30, true}, {-30.1, false}, {-60, false}, {math.Inf(-1), false},
	}
	for _, tt := range tests {
		if got := Heard(tt.level); got != tt.want {
			t.Errorf("Heard(%v) = %v, want %v", tt.level, got, tt.want)
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		freqs    []float64
		encoding string
		rate     int
		want     float64
	}{
		{"pcm16 one tone", []float64{440}, PCM16, 8000, -6.02},
		{"ulaw one tone", []float64{1000}, ULaw, 8000, -6.02},
		{"pcm16 48 kHz", []float64{1000}, PCM16, 48000, -6.02},
		{"two tones split the level", []float64{440, 480}, PCM16, 8000, -12.04},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".wav")
			if err := WriteTones(path, tt.freqs, tt.rate, 0.5, tt.encoding); err != nil {
				t.Fatal(err)
			}
			s, rate, err := ReadWAV(path)
			if err != nil {
				t.Fatal(err)
			}
			if rate != tt.rate || len(s) != tt.rate/2 {
				t.Fatalf("got %d samples at %d Hz, want %d at %d", len(s), rate, tt.rate/2, tt.rate)
			}
			for _, f := range tt.freqs {
				if l := Level(s, rate, f); math.Abs(l-tt.want) > 0.3 {
					t.Errorf("level of %g Hz = %.2f, want %.2f", f, l, tt.want)
				}
			}
			if l := Level(s, rate, 2900); Heard(l) {
				t.Errorf("absent 2900 Hz heard at %.1f", l)
			}
		})
	}
}

func TestWriteToneRejectsBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	tests := []struct {
		name     string
		freq     float64
		rate     int
		seconds  float64
		encoding string
	}{
		{"zero rate", 440, 0, 1, PCM16},
		{"above Nyquist", 5000, 8000, 1, PCM16},
		{"negative frequency", -1, 8000, 1, PCM16},
		{"zero duration", 440, 8000, 0, PCM16},
		{"unknown encoding", 440, 8000, 1, "alaw"},
	}
	for _, tt := range tests {
		if err := WriteTone(path, tt.freq, tt.rate, tt.seconds, tt.encoding); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected call wrote %s", path)
	}
	if err := WriteTones(path, nil, 8000, 1, PCM16); err == nil {
		t.Error("no frequencies: no error")
	}
}

func stereoWAV(left, right []int16) []byte {
	b := encodeWAV(make([]float64, 2*len(left)), 8000, PCM16)
	// turn the mono header into a stereo one with the same data size
	b[22] = 2
	binary.LittleEndian.PutUint32(b[28:], 32000)
	b[32] = 4
	for i := range left {
		b[44+4*i] = byte(left[i])
		b[45+4*i] = byte(uint16(left[i]) >> 8)
		b[46+4*i] = byte(right[i])
		b[47+4*i] = byte(uint16(right[i]) >> 8)
	}
	return b
}

func TestReadWAVChannel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stereo.wav")
	if err := os.WriteFile(path, stereoWAV([]int16{100, 200, 300}, []int16{-1, -2, -3}), 0o644); err != nil {
		t.Fatal(err)
	}
	for ch, want := range [][]float64{{100, 200, 300}, {-1, -2, -3}} {
		s, _, err := ReadWAVChannel(path, ch)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if s[i]*32768 != want[i] {
				t.Fatalf("channel %d sample %d = %v, want %v", ch, i, s[i]*32768, want[i])
			}
		}
	}
	if _, _, err := ReadWAVChannel(path, 2); !errors.Is(err, ErrFormat) {
		t.Errorf("channel 2 of 2: err = %v, want ErrFormat", err)
	}
}

func TestDecodeWAVRejects(t *testing.T) {
	good := encodeWAV(sine(0.5, 440, 8000, 16), 8000, PCM16)
	eight := append([]byte(nil), good...)
	eight[34] = 8 // 8-bit PCM is not supported
	tests := map[string][]byte{
		"empty":          nil,
		"not riff":       []byte("RIFX0000WAVEfmt "),
		"no data chunk":  good[:36],
		"8-bit pcm":      eight,
		"short fmt":      append(append([]byte("RIFF\x00\x00\x00\x00WAVEfmt "), 4, 0, 0, 0), 1, 0, 1, 0),
		"chunk overruns": append(append([]byte(nil), good[:12]...), 'f', 'm', 't', ' ', 0xFF, 0xFF, 0, 0),
	}
	for name, data := range tests {
		if _, _, err := DecodeWAV(data, 0); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(encodeWAV(sine(0.5, 440, 8000, 32), 8000, PCM16), 0)
	f.Add(encodeWAV(sine(0.5, 440, 8000, 32), 8000, ULaw), 0)
	f.Add(stereoWAV([]int16{1, 2}, []int16{3, 4}), 1)
	f.Fuzz(func(t *testing.T, data []byte, ch int) {
		s, rate, err := DecodeWAV(data, ch)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		if rate <= 0 {
			t.Fatalf("rate %d accepted", rate)
		}
		for _, x := range s {
			if x < -1 || x > 1 {
				t.Fatalf("sample %v out of range", x)
			}
		}
	})
}
