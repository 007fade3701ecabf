package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
)

func TestLimiter(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC))
	l := NewLimiter(3, 5*time.Minute, clk)
	steps := []struct {
		do        func()
		key       string
		allow     bool
		retryUpTo time.Duration
	}{
		{func() {}, "ip:a", true, 0},
		{func() { l.Fail("ip:a") }, "ip:a", true, 0},
		{func() { clk.Advance(time.Minute); l.Fail("ip:a") }, "ip:a", true, 0},
		{func() { clk.Advance(time.Minute); l.Fail("ip:a") }, "ip:a", false, 3 * time.Minute},
		{func() {}, "ip:b", true, 0}, // other keys are unaffected
		{func() { clk.Advance(3*time.Minute - time.Second) }, "ip:a", false, time.Second},
		{func() { clk.Advance(time.Second) }, "ip:a", true, 0}, // first failure left the window
		{func() { l.Fail("ip:a") }, "ip:a", false, time.Minute},
		{func() { l.Reset("ip:a") }, "ip:a", true, 0},
	}
	for i, s := range steps {
		s.do()
		if got := l.Allow(s.key); got != s.allow {
			t.Fatalf("step %d: Allow(%s) = %v, want %v", i, s.key, got, s.allow)
		}
		if got := l.RetryAfter(s.key); got != s.retryUpTo {
			t.Fatalf("step %d: RetryAfter(%s) = %v, want %v", i, s.key, got, s.retryUpTo)
		}
	}
}

func TestLimiterBoundsKeys(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	l := NewLimiter(2, time.Minute, clk)
	l.maxKeys = 10
	for i := range 100 {
		l.Fail(fmt.Sprint("k", i))
	}
	if n := len(l.fails); n > 10 {
		t.Fatalf("limiter holds %d keys, want at most 10", n)
	}
	clk.Advance(time.Hour)
	l.Fail("fresh")
	if n := len(l.fails); n != 1 {
		t.Fatalf("after expiry: %d keys", n)
	}
	if _, ok := l.fails["fresh"]; !ok {
		t.Fatal("new key not tracked")
	}
}

func BenchmarkLimiterFail(b *testing.B) {
	l := NewLimiter(5, 5*time.Minute, nil)
	for b.Loop() {
		l.Fail("ip:127.0.0.1")
		l.Allow("ip:127.0.0.1")
	}
}
