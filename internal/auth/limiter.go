package auth

import (
	"sync"
	"time"
)

// Clock tells the time. clock.Clock satisfies it.
type Clock interface{ Now() time.Time }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// DefaultMaxKeys bounds how many keys a Limiter tracks.
const DefaultMaxKeys = 100_000

// Limiter counts failures per key (a source address, a user name) over a
// sliding window and refuses a key that reached its limit until the oldest
// counted failure leaves the window. It is safe for concurrent use.
type Limiter struct {
	max     int
	window  time.Duration
	clock   Clock
	maxKeys int

	mu    sync.Mutex             // guards fails
	fails map[string][]time.Time // per key: the last ≤max failure times, oldest first
}

// NewLimiter returns a limiter allowing max failures per key within window.
// A nil clock is the wall clock.
func NewLimiter(max int, window time.Duration, clk Clock) *Limiter {
	if max < 1 {
		max = 1
	}
	if clk == nil {
		clk = wallClock{}
	}
	return &Limiter{max: max, window: window, clock: clk, maxKeys: DefaultMaxKeys, fails: map[string][]time.Time{}}
}

// Allow reports whether key may try again.
func (l *Limiter) Allow(key string) bool { return l.RetryAfter(key) == 0 }

// RetryAfter is how long key must wait before it may try again; zero when
// it may try now.
func (l *Limiter) RetryAfter(key string) time.Duration {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recent(key, now)
	if len(ts) < l.max {
		return 0
	}
	return ts[len(ts)-l.max].Add(l.window).Sub(now)
}

// Fail records a failed attempt by key.
func (l *Limiter) Fail(key string) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recent(key, now)
	if ts == nil {
		l.makeRoom(now)
	}
	if len(ts) == l.max {
		copy(ts, ts[1:])
		ts = ts[:l.max-1]
	}
	l.fails[key] = append(ts, now)
}

// Reset forgets key's failures, after a success.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// recent drops key's failures that left the window and returns the rest.
// l.mu must be held.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	ts, ok := l.fails[key]
	if !ok {
		return nil
	}
	i := 0
	for i < len(ts) && !now.Before(ts[i].Add(l.window)) {
		i++
	}
	if i == len(ts) {
		delete(l.fails, key)
		return nil
	}
	if i > 0 {
		ts = append(ts[:0], ts[i:]...)
		l.fails[key] = ts
	}
	return ts
}

// makeRoom keeps the map under maxKeys: first by dropping expired keys,
// then, under a flood of distinct keys, by dropping arbitrary ones.
// l.mu must be held.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.fails) < l.maxKeys {
		return
	}
	for k, ts := range l.fails {
		if !now.Before(ts[len(ts)-1].Add(l.window)) {
			delete(l.fails, k)
		}
	}
	for k := range l.fails {
		if len(l.fails) < l.maxKeys {
			break
		}
		delete(l.fails, k)
	}
}
