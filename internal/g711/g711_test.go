package g711

import (
	"math"
	"testing"
)

// TestKnownValues: silence and the extremes encode as the reference says.
func TestKnownValues(t *testing.T) {
	for _, c := range []struct {
		name string
		got  byte
		want byte
	}{
		{"µ-law 0", ULawEncode(0), 0xFF},
		{"µ-law +max", ULawEncode(32767), 0x80},
		{"µ-law -max", ULawEncode(-32768), 0x00},
		{"A-law 0", ALawEncode(0), 0xD5},
		{"A-law +max", ALawEncode(32767), 0xAA},
		{"A-law -max", ALawEncode(-32768), 0x2A},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

// TestRoundTrip: every code decodes to a sample that encodes back to it
// (µ-law's two zeros aside), and a sample comes back within the law's
// step at its size.
func TestRoundTrip(t *testing.T) {
	for i := range 256 {
		b := byte(i)
		if got := ULawEncode(ULawDecode(b)); got != b && !(b == 0x7F && got == 0xFF) {
			t.Errorf("µ-law %#x → %d → %#x", b, ULawDecode(b), got)
		}
		if got := ALawEncode(ALawDecode(b)); got != b {
			t.Errorf("A-law %#x → %d → %#x", b, ALawDecode(b), got)
		}
	}
	for _, v := range []int16{0, 1, -1, 100, -100, 1000, 8000, -8000, 32767, -32768} {
		bound := math.Max(16, math.Abs(float64(v))/16)
		if got := ULawDecode(ULawEncode(v)); math.Abs(float64(got)-float64(v)) > bound {
			t.Errorf("µ-law round trip of %d = %d", v, got)
		}
		if got := ALawDecode(ALawEncode(v)); math.Abs(float64(got)-float64(v)) > bound {
			t.Errorf("A-law round trip of %d = %d", v, got)
		}
	}
}
