// Package clock gives the control plane its sense of time as a dependency:
// the real wall clock in production, a fake one that tests advance by hand.
package clock

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the time and runs a function later.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc; Stop reports whether it stopped the call.
type Timer interface {
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

// Now returns the current time.
func (Real) Now() time.Time { return time.Now() }

// AfterFunc runs f in its own goroutine after d.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Shifted is the wall clock set back by an offset that shrinks as a test
// advances it, never past real time: what a test does in a moment looks
// spread over the last hours, while timers and the pages' own clocks run
// in real time.
type Shifted struct {
	off atomic.Int64 // ≤ 0, in nanoseconds
}

// NewShifted returns the wall clock set back by behind.
func NewShifted(behind time.Duration) *Shifted {
	c := &Shifted{}
	c.off.Store(-int64(max(behind, 0)))
	return c
}

// Now returns the wall clock's time less what is left of the offset.
func (c *Shifted) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// AfterFunc runs f in its own goroutine after d of real time.
func (c *Shifted) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Advance moves the clock on by d, and no further than the wall clock.
func (c *Shifted) Advance(d time.Duration) {
	for {
		old := c.off.Load()
		if c.off.CompareAndSwap(old, min(old+int64(d), 0)) {
			return
		}
	}
}

// Fake is a clock that moves only when Advance is called. Timers fire in
// time order, synchronously, on the goroutine that calls Advance.
type Fake struct {
	mu     sync.Mutex // guards now, timers, nextID
	now    time.Time
	timers timerHeap
	nextID int64
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

type fakeTimer struct {
	c    *Fake
	at   time.Time
	id   int64
	f    func()
	done bool
}

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f to run when the clock has advanced by d.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	t := &fakeTimer{c: c, at: c.now.Add(d), id: c.nextID, f: f}
	heap.Push(&c.timers, t)
	return t
}

// Stop cancels the timer. A stopped timer stays in the heap, marked done,
// until it reaches the top.
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	return true
}

// Advance moves the clock forward by d, firing every timer that falls due,
// in order of due time (and of creation for equal times). A timer created by
// a firing timer fires in the same call if it falls due within d.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		for len(c.timers) > 0 && c.timers[0].done {
			heap.Pop(&c.timers)
		}
		if len(c.timers) == 0 || c.timers[0].at.After(end) {
			c.now = end
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*fakeTimer)
		t.done = true
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending reports how many timers are waiting.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

type timerHeap []*fakeTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*fakeTimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
