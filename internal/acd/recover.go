package acd

import (
	"github.com/earshot/earshot/internal/events"
)

// Recover brings a freshly started engine in line with the stored history
// of an earlier run. Agents start Offline, since their softphones and
// phones must reconnect: for each agent the history left in another state
// an Offline change ("server restart") is recorded, so durations stop at the
// restart. Calls the history left open are recorded as ended
// ("interrupted"). Help states and "on for all calls" listen-in choices are
// kept as they were.
func (e *Engine) Recover(history []events.Event) error {
	type agentLast struct {
		state    string
		help     Help
		listenIn ListenIn
	}
	last := map[string]*agentLast{}
	get := func(name string) *agentLast {
		l := last[name]
		if l == nil {
			l = &agentLast{state: string(Offline), help: HelpNone, listenIn: ListenOff}
			last[name] = l
		}
		return l
	}
	open := map[string]events.Event{}
	var openOrder []string
	for _, ev := range history {
		switch ev.Kind {
		case events.AgentState:
			get(ev.Agent).state = ev.State
		case events.HelpState:
			get(ev.Agent).help = Help(ev.State)
		case events.ListenIn:
			get(ev.Agent).listenIn = ListenIn(ev.State)
		case events.CallArrived:
			open[ev.Call] = ev
			openOrder = append(openOrder, ev.Call)
		case events.CallQueued:
			if a, ok := open[ev.Call]; ok {
				a.Queue = ev.Queue
				open[ev.Call] = a
			}
		case events.CallEnded:
			delete(open, ev.Call)
		}
	}
	return e.do(func() error {
		for _, id := range openOrder {
			if ev, ok := open[id]; ok {
				e.emit(events.Event{Kind: events.CallEnded, Call: id, Queue: ev.Queue, Reason: "interrupted", Actor: "system"})
			}
		}
		for name, l := range last {
			a := e.agents[name]
			if a == nil {
				continue
			}
			if State(l.state) != Offline {
				e.emit(events.Event{Kind: events.AgentState, Agent: name, State: string(Offline), Reason: "server restart"})
			}
			a.help = l.help
			if l.listenIn == ListenAll {
				a.listenIn = ListenAll
			} else if l.listenIn == ListenCall {
				e.setListenIn(a, ListenOff)
			}
		}
		return nil
	})
}
