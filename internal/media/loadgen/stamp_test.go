package loadgen

import (
	"testing"
	"time"
)

func TestStampRoundTrip(t *testing.T) {
	p := make([]byte, frameBytes)
	now := time.Now().UnixNano()
	putStamp(p, now, 12345, 1)
	got, call, leg, ok := readStamp(p)
	if !ok || got != now || call != 12345 || leg != 1 {
		t.Fatalf("got %d %d %d %v", got, call, leg, ok)
	}
	for _, b := range p[:stampBytes] {
		if ulawAbs[b] > 250 {
			t.Fatalf("stamp byte %#x is not near silence (%d)", b, ulawAbs[b])
		}
	}
	p[5] = 0x12
	if _, _, _, ok := readStamp(p); ok {
		t.Error("a damaged stamp was read")
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	if q := h.quantile(0.5); q < 49*time.Millisecond || q > 51*time.Millisecond {
		t.Errorf("p50 = %v", q)
	}
	if q := h.quantile(0.99); q < 98*time.Millisecond || q > 100*time.Millisecond {
		t.Errorf("p99 = %v", q)
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram has a median")
	}
}
