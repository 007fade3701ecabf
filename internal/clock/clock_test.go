package clock

import (
	"testing"
	"time"
)

// TestShifted: the shifted clock starts behind, moves on as advanced, and
// never passes the wall clock.
func TestShifted(t *testing.T) {
	c := NewShifted(time.Hour)
	behind := func() time.Duration { return time.Since(c.Now()) }
	if b := behind(); b < time.Hour-time.Second || b > time.Hour+time.Second {
		t.Fatalf("starts %v behind, want an hour", b)
	}
	c.Advance(45 * time.Minute)
	if b := behind(); b < 15*time.Minute-time.Second || b > 15*time.Minute+time.Second {
		t.Fatalf("after 45 min, %v behind, want 15 min", b)
	}
	c.Advance(time.Hour)
	if b := behind(); b < 0 || b > time.Second {
		t.Fatalf("advanced past the wall clock: %v behind", b)
	}
	if later := c.Now(); later.After(time.Now()) {
		t.Fatalf("Now %v is in the future", later)
	}
	fired := make(chan struct{})
	c.AfterFunc(10*time.Millisecond, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc did not run")
	}
}
