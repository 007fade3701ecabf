package acd

import (
	"fmt"
	"slices"

	"github.com/earshot/earshot/internal/events"
)

// Arrive puts a customer's call into the queue its DID names and routes it.
// It returns the queue's name, or ErrUnknownNumber.
func (e *Engine) Arrive(in Inbound) (string, error) {
	var qname string
	err := e.do(func() error {
		if in.ID == "" {
			return fmt.Errorf("call without id: %w", ErrUnknownCall)
		}
		if e.calls[in.ID] != nil {
			return fmt.Errorf("call %s: %w", in.ID, ErrDuplicateCall)
		}
		did, ok := e.cfg.QueueForDID(in.DID)
		if !ok {
			return fmt.Errorf("dialled %q: %w", in.DID, ErrUnknownNumber)
		}
		q := e.queues[did.Queue]
		if q == nil {
			return fmt.Errorf("dialled %q: queue %q: %w", in.DID, did.Queue, ErrUnknownNumber)
		}
		qname = q.cfg.Name
		e.order++
		now := e.clk.Now()
		c := &call{id: in.ID, queue: q, caller: in.Caller, did: in.DID, prefer: in.Prefer, priority: did.Priority, order: e.order, arrived: now}
		e.calls[c.id] = c
		e.emit(events.Event{Kind: events.CallArrived, Call: c.id, Queue: qname, Caller: c.caller, DID: c.did})
		e.enqueue(c, q, "arrived")
		return nil
	})
	return qname, err
}

// Answer connects a ringing agent to the call: the agent goes On Call.
func (e *Engine) Answer(callID, name string) error {
	return e.do(func() error {
		c, a, err := e.ringingPair(callID, name)
		if err != nil {
			return err
		}
		e.stopRing(c)
		for _, other := range c.ringing {
			if other != a {
				other.call = nil
				e.emit(events.Event{Kind: events.CallUnoffered, Call: c.id, Agent: other.name, Reason: "taken"})
				e.setState(other, Available, "", "")
				defer e.dispatchAgent(other)
			}
		}
		c.ringing = nil
		c.state = CallConnected
		c.handler = a
		c.handlers = append(c.handlers, a.name)
		c.answered = e.clk.Now()
		a.handled++
		e.emit(events.Event{Kind: events.CallAnswered, Call: c.id, Queue: c.queue.cfg.Name, Agent: a.name})
		e.setState(a, OnCall, "", "")
		return nil
	})
}

// Reject is the agent declining a ringing call: the agent goes Not Ready
// ("rejected call") and the call goes back to the head of its queue.
func (e *Engine) Reject(callID, name string) error {
	return e.ringEnded(callID, name, "rejected", ReasonRejected)
}

// RingFailed says the agent's endpoint could not be rung (no phone
// registered, busy, unreachable). Like a missed call, with reason why.
func (e *Engine) RingFailed(callID, name, why string) error {
	if why == "" {
		why = ReasonUnreachable
	}
	return e.ringEnded(callID, name, "failed", why)
}

func (e *Engine) ringEnded(callID, name, unoffer, reason string) error {
	return e.do(func() error {
		c, a, err := e.ringingPair(callID, name)
		if err != nil {
			return err
		}
		e.unoffer(c, a, unoffer)
		e.setState(a, NotReady, reason, "")
		return nil
	})
}

// unoffer ends one agent's ringing for c; when nobody rings any more, the
// call returns to the head of its queue. The caller sets the agent's state.
func (e *Engine) unoffer(c *call, a *agent, reason string) {
	a.call = nil
	c.ringing = slices.DeleteFunc(c.ringing, func(x *agent) bool { return x == a })
	e.emit(events.Event{Kind: events.CallUnoffered, Call: c.id, Agent: a.name, Reason: reason})
	if len(c.ringing) == 0 {
		e.stopRing(c)
		e.requeue(c, reason)
	}
}

func (e *Engine) ringingPair(callID, name string) (*call, *agent, error) {
	c := e.calls[callID]
	if c == nil {
		return nil, nil, fmt.Errorf("call %s: %w", callID, ErrUnknownCall)
	}
	a, err := e.agent(name)
	if err != nil {
		return nil, nil, err
	}
	if a.state != Ringing || a.call != c {
		return nil, nil, fmt.Errorf("agent %s is %s, not ringing for call %s: %w", name, a.state, callID, ErrNotAllowed)
	}
	return c, a, nil
}

// Hangup ends the call. by is "customer", the handling agent's name, or
// "system". A queued or ringing call is abandoned; a connected call is
// completed and its handler goes to After Call Work.
func (e *Engine) Hangup(callID, by string) error {
	return e.do(func() error {
		c := e.calls[callID]
		if c == nil {
			return fmt.Errorf("call %s: %w", callID, ErrUnknownCall)
		}
		reason := "completed"
		var freed []*agent
		switch c.state {
		case CallQueued:
			e.dequeue(c)
			reason = "abandoned"
		case CallRinging:
			e.stopRing(c)
			for _, a := range c.ringing {
				a.call = nil
				e.emit(events.Event{Kind: events.CallUnoffered, Call: c.id, Agent: a.name, Reason: "cancelled"})
				e.setState(a, Available, "", "")
			}
			freed, c.ringing = c.ringing, nil
			reason = "abandoned"
		case CallConnected:
			if a := c.handler; a != nil {
				e.releaseHandler(c, a, "hangup")
			}
		}
		if by == "" {
			by = "customer"
		}
		e.endCall(c, reason, by)
		for _, a := range freed {
			e.dispatchAgent(a)
		}
		return nil
	})
}

// TakeOver hands a connected call from its agent to a supervisor: the agent
// stops handling it and goes to After Call Work; the call goes on, with the
// supervisor as its second handler.
func (e *Engine) TakeOver(callID, supervisor string) error {
	return e.do(func() error {
		c := e.calls[callID]
		if c == nil {
			return fmt.Errorf("call %s: %w", callID, ErrUnknownCall)
		}
		if c.state != CallConnected || c.handler == nil {
			return fmt.Errorf("call %s is not with an agent: %w", callID, ErrNotRouted)
		}
		e.releaseHandler(c, c.handler, "taken_over")
		c.handlers = append(c.handlers, supervisor)
		e.emit(events.Event{Kind: events.CallAnswered, Call: c.id, Queue: c.queue.cfg.Name, Agent: supervisor, Reason: "take_over"})
		return nil
	})
}

// releaseHandler ends agent a's part in c: After Call Work begins.
func (e *Engine) releaseHandler(c *call, a *agent, reason string) {
	c.handler = nil
	e.emit(events.Event{Kind: events.CallHandlerEnded, Call: c.id, Queue: c.queue.cfg.Name, Agent: a.name, Reason: reason})
	e.setState(a, ACW, "", "")
	e.endListenInForCall(a)
	if a.help == HelpRequested {
		// a request for this call lapses with it; green stays until cleared
		e.setHelp(a, HelpNone, "")
	}
	e.startWrapUp(a, c.queue)
}

func (e *Engine) endCall(c *call, reason, by string) {
	delete(e.calls, c.id)
	if c.waitTmr != nil {
		c.waitTmr.Stop()
	}
	e.emit(events.Event{Kind: events.CallEnded, Call: c.id, Queue: c.queue.cfg.Name, Reason: reason, Actor: by})
}

// Call returns a snapshot of one live call.
func (e *Engine) Call(id string) (CallView, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[id]
	if c == nil {
		return CallView{}, fmt.Errorf("call %s: %w", id, ErrUnknownCall)
	}
	return c.view(), nil
}

// Calls returns a snapshot of every live call, oldest first.
func (e *Engine) Calls() []CallView {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]CallView, 0, len(e.calls))
	for _, c := range e.calls {
		out = append(out, c.view())
	}
	slices.SortFunc(out, func(x, y CallView) int { return x.Arrived.Compare(y.Arrived) })
	return out
}

func (c *call) view() CallView {
	v := CallView{ID: c.id, Queue: c.queue.cfg.Name, Caller: c.caller, DID: c.did, State: c.state, Arrived: c.arrived,
		Handlers: slices.Clone(c.handlers), Answered: c.answered}
	for _, a := range c.ringing {
		v.Agents = append(v.Agents, a.name)
	}
	if c.handler != nil {
		v.Agents = append(v.Agents, c.handler.name)
	}
	return v
}

// NoteRecording stores where a live call is being recorded.
func (e *Engine) NoteRecording(callID, path string) error {
	return e.do(func() error {
		c := e.calls[callID]
		if c == nil {
			return fmt.Errorf("call %s: %w", callID, ErrUnknownCall)
		}
		e.emit(events.Event{Kind: events.CallRecording, Call: c.id, Queue: c.queue.cfg.Name, Detail: path})
		return nil
	})
}
