package demo

import (
	"testing"
	"time"
)

// TestFirstCallsAreShort: the bots' first calls end soon enough for After
// Call Work to show in the demo's first half minute; later ones run long.
func TestFirstCallsAreShort(t *testing.T) {
	for n := range 50 {
		got := talkTime(n)
		if n < shortCalls && (got < 8*time.Second || got > 12*time.Second) {
			t.Errorf("call %d: talk %v, want 8–12 s", n, got)
		}
		if n >= shortCalls && (got < 15*time.Second || got >= time.Minute) {
			t.Errorf("call %d: talk %v, want 15–60 s", n, got)
		}
	}
}
