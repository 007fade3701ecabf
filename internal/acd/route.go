package acd

import (
	"slices"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// The router keeps one invariant: no call waits in a queue while an agent
// of that queue is Available. So a newly queued call only needs the best
// available agent of its own queue, and a newly available agent only needs
// the best call at the heads of its queues.

// enqueue puts c into q in priority-then-arrival order and routes it.
func (e *Engine) enqueue(c *call, q *queue, reason string) {
	c.queue, c.state = q, CallQueued
	c.enqueued = e.clk.Now()
	i, _ := slices.BinarySearchFunc(q.waiting, c, func(x, t *call) int {
		if x.priority != t.priority {
			return t.priority - x.priority
		}
		return int(x.order - t.order)
	})
	q.waiting = slices.Insert(q.waiting, i, c)
	e.emit(events.Event{Kind: events.CallQueued, Call: c.id, Queue: q.cfg.Name, Reason: reason})
	e.startMaxWait(c)
	e.dispatchCall(c)
}

// requeue puts a call whose ringing ended back in its queue. It keeps its
// arrival order, so it goes back to the head of the queue.
func (e *Engine) requeue(c *call, reason string) {
	c.state = CallQueued
	q := c.queue
	i, _ := slices.BinarySearchFunc(q.waiting, c, func(x, t *call) int {
		if x.priority != t.priority {
			return t.priority - x.priority
		}
		return int(x.order - t.order)
	})
	q.waiting = slices.Insert(q.waiting, i, c)
	e.emit(events.Event{Kind: events.CallQueued, Call: c.id, Queue: q.cfg.Name, Reason: reason})
	e.startMaxWait(c)
	e.dispatchCall(c)
}

func (e *Engine) dequeue(c *call) {
	q := c.queue
	q.waiting = slices.DeleteFunc(q.waiting, func(x *call) bool { return x == c })
}

// dispatchCall offers a waiting call to the best available agent(s) of its
// queue, if any.
func (e *Engine) dispatchCall(c *call) {
	q := c.queue
	if c.state != CallQueued || len(q.waiting) == 0 || q.waiting[0] != c {
		return
	}
	if a := preferred(c); a != nil {
		e.offer(c, []*agent{a})
		return
	}
	if q.cfg.Strategy == config.RingAll {
		var all []*agent
		for _, a := range q.agents {
			if a.state == Available {
				all = append(all, a)
			}
		}
		if len(all) > 0 {
			e.offer(c, all)
		}
		return
	}
	if a := e.pickAgent(q); a != nil {
		e.offer(c, []*agent{a})
	}
}

// preferred is the agent the call asks for, if that agent serves the
// call's queue and is Available.
func preferred(c *call) *agent {
	if c.prefer == "" {
		return nil
	}
	for _, a := range c.queue.agents {
		if a.name == c.prefer && a.state == Available {
			return a
		}
	}
	return nil
}

// dispatchAgent gives an available agent the best waiting call among its
// queues: highest priority, then longest waiting.
func (e *Engine) dispatchAgent(a *agent) {
	if a.state != Available {
		return
	}
	var best *call
	for _, q := range a.queues {
		if len(q.waiting) == 0 {
			continue
		}
		h := q.waiting[0]
		if best == nil || h.priority > best.priority || h.priority == best.priority && h.order < best.order {
			best = h
		}
	}
	if best == nil {
		return
	}
	if best.queue.cfg.Strategy == config.RingAll {
		e.dispatchCall(best)
		return
	}
	e.offer(best, []*agent{a})
}

// pickAgent chooses among q's available agents by q's strategy.
func (e *Engine) pickAgent(q *queue) *agent {
	n := len(q.agents)
	switch q.cfg.Strategy {
	case config.RoundRobin:
		for i := 1; i <= n; i++ {
			j := (q.rr + i) % n
			if q.agents[j].state == Available {
				q.rr = j
				return q.agents[j]
			}
		}
		return nil
	case config.FewestCalls:
		var best *agent
		for _, a := range q.agents {
			if a.state == Available && (best == nil || a.handled < best.handled ||
				a.handled == best.handled && a.idleSince.Before(best.idleSince)) {
				best = a
			}
		}
		return best
	default: // longest idle
		var best *agent
		for _, a := range q.agents {
			if a.state == Available && (best == nil || a.idleSince.Before(best.idleSince)) {
				best = a
			}
		}
		return best
	}
}

// offer rings agents for c.
func (e *Engine) offer(c *call, agents []*agent) {
	e.dequeue(c)
	c.state = CallRinging
	c.ringing = agents
	for _, a := range agents {
		a.call = c
		e.emit(events.Event{Kind: events.CallOffered, Call: c.id, Queue: c.queue.cfg.Name, Agent: a.name, Caller: c.caller})
		e.setState(a, Ringing, "", "")
	}
	e.startRing(c)
}
