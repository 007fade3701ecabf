package assist

import (
	"slices"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
)

// Observe lets the desk follow the ACD: give it every announced event, in
// order, from one goroutine. When a call ends every session on it ends
// (customer or agent hung up); when a supervisor takes a call over, or the
// agent turns Let Listen In off during the call, the colleagues listening
// in stop. Events the desk has no part in are ignored.
func (d *Desk) Observe(e events.Event) {
	switch e.Kind {
	case events.CallEnded:
		_ = d.do(func() error {
			for _, kind := range []SessionKind{KindAssist, KindListen} {
				for _, s := range d.onCall(e.Call, kind) {
					d.end(s, EndedBy(e.Actor, s.agent))
				}
			}
			return nil
		})
	case events.CallHandlerEnded:
		if e.Reason != "taken_over" {
			return
		}
		_ = d.do(func() error {
			for _, s := range d.onCall(e.Call, KindListen) {
				d.end(s, EndTakenOver)
			}
			return nil
		})
	case events.ListenIn:
		if acd.ListenIn(e.State) != acd.ListenOff {
			return
		}
		_ = d.do(func() error {
			v, err := d.acd.Agent(e.Agent)
			if err != nil {
				return nil
			}
			for _, s := range d.ofAgent(e.Agent, KindListen) {
				// Off because the call ended: the call's end says how.
				if v.State == acd.OnCall && v.Call == s.call && v.ListenIn == acd.ListenOff {
					d.end(s, EndListenInOff)
				}
			}
			return nil
		})
	}
}

// EndedBy says how a session on agent's call ends when the call ends: by
// is the ACD's "who hung up" (customer, a user's name, or system).
func EndedBy(by, agent string) string {
	switch by {
	case "customer":
		return EndCustomerHungUp
	case agent:
		return EndAgentHungUp
	case "", "system":
		return EndCallEnded
	}
	return EndCallEnded + " by " + by
}

// Recover ends, in the history, the sessions an earlier run left live
// (reason "server restart"), so every session in the audit has an end.
// Call it once, on a fresh desk, with the stored events.
func (d *Desk) Recover(history []events.Event) error {
	type last struct {
		e     events.Event
		order int
	}
	open := map[string]last{}
	for i, e := range history {
		if (e.Kind != events.AssistMode && e.Kind != events.ListenSession) || e.Detail == "" {
			continue
		}
		if Mode(e.State) == Ended {
			delete(open, e.Detail)
			continue
		}
		open[e.Detail] = last{e, i}
	}
	return d.do(func() error {
		ls := make([]last, 0, len(open))
		for _, l := range open {
			ls = append(ls, l)
		}
		slices.SortFunc(ls, func(a, b last) int { return a.order - b.order })
		for _, l := range ls {
			e := l.e
			e.Seq, e.At, e.State, e.Reason = 0, d.clk.Now(), string(Ended), EndRestart
			d.pending = append(d.pending, e)
		}
		return nil
	})
}
