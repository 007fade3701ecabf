package loadgen

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/tonecheck"
)

// Encoding then decoding a sample keeps it within µ-law's step size, and
// the sign survives.
func TestULawRoundTrip(t *testing.T) {
	for s := -32768; s <= 32767; s += 7 {
		got := int(ulawLinear[linearToULaw(int16(s))])
		want := max(-32124, min(32124, s))
		step := max(8, int(math.Abs(float64(want)))/16)
		if d := got - want; d > step || d < -step {
			t.Fatalf("%d → %#x → %d (off by %d, step %d)", s, linearToULaw(int16(s)), got, d, step)
		}
	}
	// The codes the marker frame uses are full scale, of both signs.
	if ulawLinear[0x00] != -32124 || ulawLinear[0x80] != 32124 {
		t.Fatalf("0x00 → %d, 0x80 → %d", ulawLinear[0x00], ulawLinear[0x80])
	}
}

// A participant's tone reads at its level, and the other tones not at all.
func TestToneULawLevels(t *testing.T) {
	tone := toneULaw(PartyTones[1], partyLevel)
	samples := make([]float64, len(tone))
	for i, c := range tone {
		samples[i] = float64(ulawLinear[c]) / 32768
	}
	want := 20 * math.Log10(partyLevel)
	if got := tonecheck.Level(samples, 8000, PartyTones[1]); math.Abs(got-want) > 1 {
		t.Errorf("own tone reads %.1f dBFS, want %.1f", got, want)
	}
	for _, f := range []float64{PartyTones[0], PartyTones[2], PartyTones[3]} {
		if got := tonecheck.Level(samples, 8000, f); tonecheck.Heard(got) {
			t.Errorf("%g Hz reads %.1f dBFS in a %g Hz tone", f, got, PartyTones[1])
		}
	}
	// Four tones together stay well below the marker frame's level.
	var sum int
	for i := range tone {
		var s float64
		for _, f := range PartyTones[:4] {
			s += partyLevel * 32767 * math.Sin(2*math.Pi*f*float64(i)/8000)
		}
		sum += int(math.Abs(s))
	}
	if mean := sum / len(tone); mean > loudMixLevel/2 {
		t.Errorf("four tones have mean |sample| %d, too close to the marker threshold %d", mean, loudMixLevel)
	}
}

func TestRunRoomsRejectsBadConfig(t *testing.T) {
	setup := func(int, []netip.AddrPort) ([]netip.AddrPort, error) { return nil, nil }
	cpu := func() (time.Duration, error) { return 0, nil }
	for name, cfg := range map[string]RoomsConfig{
		"no rooms":      {Setup: setup, CPU: cpu},
		"no setup":      {Rooms: 1, CPU: cpu},
		"one party":     {Rooms: 1, Parties: 1, Setup: setup, CPU: cpu},
		"six parties":   {Rooms: 1, Parties: 6, Setup: setup, CPU: cpu},
		"short window":  {Rooms: 1, Duration: 100 * time.Millisecond, Setup: setup, CPU: cpu},
		"IPv6":          {Rooms: 1, IP: netip.MustParseAddr("::1"), Setup: setup, CPU: cpu},
		"wrong answers": {Rooms: 1, Setup: setup, CPU: cpu},
	} {
		if _, err := RunRooms(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
