package acd

import (
	"slices"
	"time"
)

// Timers re-enter the engine through do. Each checks, under the lock, that
// what it was set for still holds (a generation number for agents, the
// call's state for calls), so a timer that fires just as it is stopped
// does nothing.

// startRing arms the ring timeout for c's current offer.
func (e *Engine) startRing(c *call) {
	e.stopRing(c)
	ringing := slices.Clone(c.ringing)
	gens := make([]int64, len(ringing))
	for i, a := range ringing {
		gens[i] = a.gen
	}
	c.ringTmr = e.clk.AfterFunc(c.queue.cfg.RingTimeout, func() {
		_ = e.do(func() error {
			for i, a := range ringing {
				if a.gen != gens[i] || a.call != c || a.state != Ringing {
					continue
				}
				e.unoffer(c, a, "missed")
				e.setState(a, NotReady, ReasonMissed, "")
			}
			return nil
		})
	})
}

func (e *Engine) stopRing(c *call) {
	if c.ringTmr != nil {
		c.ringTmr.Stop()
		c.ringTmr = nil
	}
}

// startWrapUp ends After Call Work by itself after the queue's wrap-up time
// (zero: only the agent's Ready ends it).
func (e *Engine) startWrapUp(a *agent, q *queue) {
	if q.cfg.WrapUp <= 0 {
		return
	}
	gen := a.gen
	a.timer = e.clk.AfterFunc(q.cfg.WrapUp, func() {
		_ = e.do(func() error {
			if a.gen != gen || a.state != ACW {
				return nil
			}
			a.call = nil
			e.setState(a, Available, "", "")
			e.dispatchAgent(a)
			return nil
		})
	})
}

// startMaxWait arms the queue's maximum wait, counted from when the call
// entered its current queue (time spent ringing counts as waiting).
func (e *Engine) startMaxWait(c *call) {
	if c.waitTmr != nil {
		c.waitTmr.Stop()
		c.waitTmr = nil
	}
	q := c.queue
	if q.cfg.MaxWait <= 0 {
		return
	}
	left := max(c.enqueued.Add(q.cfg.MaxWait).Sub(e.clk.Now()), time.Millisecond)
	c.waitTmr = e.clk.AfterFunc(left, func() {
		_ = e.do(func() error {
			if e.calls[c.id] != c || c.queue != q || c.state != CallQueued {
				return nil
			}
			e.dequeue(c)
			if q.cfg.OnMaxWait == "overflow" {
				if to := e.queues[q.cfg.OverflowTo]; to != nil {
					e.enqueue(c, to, "overflow")
					return nil
				}
			}
			e.endCall(c, "max_wait", "system")
			return nil
		})
	})
}
