package media

import (
	"math"
	"testing"
)

func TestG711KnownValues(t *testing.T) {
	tests := []struct {
		codec Codec
		b     byte
		want  int16
	}{
		{PCMU, 0xFF, 0}, {PCMU, 0x7F, 0}, {PCMU, 0x80, 32124}, {PCMU, 0x00, -32124},
		{PCMA, 0xD5, 8}, {PCMA, 0x55, -8}, {PCMA, 0xAA, 32256}, {PCMA, 0x2A, -32256},
	}
	for _, tt := range tests {
		if got := DecodeSample(tt.codec, tt.b); got != tt.want {
			t.Errorf("%v decode %#02x = %d, want %d", tt.codec, tt.b, got, tt.want)
		}
	}
	if EncodeSample(PCMU, 0) != ulawSilence || EncodeSample(PCMA, 0) != alawSilence {
		t.Errorf("silence encodes as %#x / %#x", EncodeSample(PCMU, 0), EncodeSample(PCMA, 0))
	}
}

// Every code decodes to a value that encodes back to the same code (µ-law
// has two codes for zero, 0x7F and 0xFF, which both come back as 0xFF).
func TestG711RoundTripEveryCode(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		for i := range 256 {
			b := byte(i)
			got := EncodeSample(c, DecodeSample(c, b))
			if got != b && !(c == PCMU && b == 0x7F && got == 0xFF) {
				t.Errorf("%v: %#02x → %d → %#02x", c, b, DecodeSample(c, b), got)
			}
		}
	}
}

// Quantisation error stays within G.711's step at every input value.
func TestG711ErrorBound(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		for v := -32768; v <= 32767; v += 7 {
			s := int16(v)
			back := DecodeSample(c, EncodeSample(c, s))
			err := math.Abs(float64(back) - float64(s))
			if bound := math.Max(36, math.Abs(float64(s))/14); err > bound {
				t.Fatalf("%v: %d → %d (error %.0f > %.0f)", c, s, back, err, bound)
			}
		}
	}
}

func TestTranscode(t *testing.T) {
	for i := range 256 {
		u := byte(i)
		var a, back [1]byte
		Transcode(PCMU, PCMA, a[:], []byte{u})
		Transcode(PCMA, PCMU, back[:], a[:])
		du, da := DecodeSample(PCMU, u), DecodeSample(PCMA, a[0])
		if d := math.Abs(float64(du) - float64(da)); d > math.Max(64, math.Abs(float64(du))/14) {
			t.Errorf("µ %#02x (%d) → A %#02x (%d)", u, du, a[0], da)
		}
		if db := DecodeSample(PCMU, back[0]); math.Abs(float64(db)-float64(du)) > math.Max(64, math.Abs(float64(du))/8) {
			t.Errorf("µ %#02x (%d) → A → µ %#02x (%d)", u, du, back[0], db)
		}
	}
	src := []byte{1, 2, 3}
	dst := make([]byte, 3)
	Transcode(PCMU, PCMU, dst, src)
	if string(dst) != string(src) {
		t.Error("same-law transcode is not a copy")
	}
}

func BenchmarkEncodeFrame(b *testing.B) {
	var pcm [FrameSamples]int16
	for i := range pcm {
		pcm[i] = int16(i * 200)
	}
	var out [FrameSamples]byte
	for b.Loop() {
		Encode(PCMU, out[:], pcm[:])
	}
}
