package acd

import (
	"fmt"
	"slices"

	"github.com/earshot/earshot/internal/events"
)

// SetState changes an agent's state on the agent's own request (actor "")
// or a supervisor's (actor names them). Offline → Available or Not Ready is
// logging in; Offline is logging out. Ringing agents may go Not Ready or
// Offline: the ring is cancelled and the call goes back to the head of its
// queue. Ready at the end of After Call Work is SetState(Available). An
// agent on a call cannot change state: the call's end decides.
func (e *Engine) SetState(name string, st State, reason, actor string) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		if err := e.checkState(a, st, reason, actor); err != nil {
			return fmt.Errorf("agent %s: %w", name, err)
		}
		if st == Offline && reason == "" {
			reason = "logout"
		}
		if st == Available {
			reason = availableReason(a.state, reason, actor)
		}
		if a.state == Ringing {
			e.unoffer(a.call, a, "cancelled")
		}
		if a.state == ACW && a.call != nil {
			a.call = nil
		}
		e.setState(a, st, reason, actor)
		if st == Available {
			// The reason is history's (who ended the ACW, and why); an
			// available agent has no reason to show.
			a.reason = ""
		}
		if st == Offline {
			e.endListenInForCall(a)
		}
		if st == Available {
			e.dispatchAgent(a)
		}
		return nil
	})
}

// availableReason is what is stored with a move to Available from from:
// an agent's own Ready needs none; a supervisor's keeps the reason given,
// and ending After Call Work without one says so.
func availableReason(from State, reason, actor string) string {
	switch {
	case actor == "":
		return ""
	case reason == "" && from == ACW:
		return ReasonACWEnded
	}
	return reason
}

// checkState says whether a may move to st, and why not.
func (e *Engine) checkState(a *agent, st State, reason, actor string) error {
	switch st {
	case Available, Offline:
	case NotReady:
		if reason == "" {
			return fmt.Errorf("Not Ready needs a reason: %w", ErrBadReason)
		}
		if actor == "" && !slices.Contains(e.cfg.NotReadyReasons, reason) {
			return fmt.Errorf("%q: %w", reason, ErrBadReason)
		}
	default:
		return fmt.Errorf("cannot choose %s: %w", st, ErrNotAllowed)
	}
	switch a.state {
	case OnCall:
		return fmt.Errorf("cannot go %s while on a call: %w", st, ErrNotAllowed)
	case Ringing:
		if st == Available {
			return fmt.Errorf("cannot go available while ringing: answer or reject the call: %w", ErrNotAllowed)
		}
	case Offline:
		if st == Offline {
			return fmt.Errorf("already offline: %w", ErrNotAllowed)
		}
	case Available:
		if st == Available {
			return fmt.Errorf("already available: %w", ErrNotAllowed)
		}
	case NotReady:
		if st == NotReady && reason == a.reason {
			return fmt.Errorf("already not ready (%s): %w", reason, ErrNotAllowed)
		}
	}
	return nil
}

// RequestHelp turns the agent's help icon red: every supervisor of the
// agent's teams is asked to assist. The agent must be logged in.
func (e *Engine) RequestHelp(name string) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		switch {
		case a.state == Offline:
			return fmt.Errorf("agent %s: cannot ask for help while offline: %w", name, ErrNotAllowed)
		case a.help != HelpNone:
			return fmt.Errorf("agent %s: help is already %s: %w", name, a.help, ErrNotAllowed)
		}
		e.setHelp(a, HelpRequested, "")
		return nil
	})
}

// CancelHelp withdraws the agent's own request (red → blue).
func (e *Engine) CancelHelp(name string) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		if a.help != HelpRequested {
			return fmt.Errorf("agent %s: no help request to cancel (help is %s): %w", name, a.help, ErrNotAllowed)
		}
		e.setHelp(a, HelpNone, "")
		return nil
	})
}

// StartAssisting turns the icon green: a supervisor has started assisting.
// Allowed whether or not the agent asked.
func (e *Engine) StartAssisting(name, supervisor string) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		if a.help == HelpAssisting {
			return nil
		}
		e.setHelp(a, HelpAssisting, supervisor)
		return nil
	})
}

// ReopenHelp turns a green icon back to red: the assist that turned it
// green ended before anyone answered, so the agent's request is still
// open and every supervisor of the team is asked again. actor is the
// supervisor whose attempt failed, reason how it ended. An agent who has
// logged out meanwhile goes back to blue instead.
func (e *Engine) ReopenHelp(name, actor, reason string) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		if a.help != HelpAssisting {
			return fmt.Errorf("agent %s: no assist to reopen (help is %s): %w", name, a.help, ErrNotAllowed)
		}
		h := HelpRequested
		if a.state == Offline {
			h = HelpNone
		}
		e.setHelpWhy(a, h, actor, reason)
		return nil
	})
}

// ClearHelp returns the icon to blue, from red or green; actor is the
// supervisor who cleared it.
func (e *Engine) ClearHelp(name, actor string) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		if a.help == HelpNone {
			return fmt.Errorf("agent %s: no help state to clear: %w", name, ErrNotAllowed)
		}
		e.setHelp(a, HelpNone, actor)
		return nil
	})
}

func (e *Engine) setHelp(a *agent, h Help, actor string) { e.setHelpWhy(a, h, actor, "") }

func (e *Engine) setHelpWhy(a *agent, h Help, actor, reason string) {
	a.help = h
	ev := events.Event{Kind: events.HelpState, Agent: a.name, State: string(h), Actor: actor, Reason: reason}
	if a.call != nil {
		ev.Call = a.call.id
	}
	e.emit(ev)
}

// SetListenIn records the agent's Let Listen In choice. "call" needs a
// current call and ends with it.
func (e *Engine) SetListenIn(name string, mode ListenIn) error {
	return e.do(func() error {
		a, err := e.agent(name)
		if err != nil {
			return err
		}
		switch mode {
		case ListenOff, ListenAll:
		case ListenCall:
			if a.call == nil || (a.state != OnCall && a.state != Ringing) {
				return fmt.Errorf("agent %s: listen-in for this call needs a call: %w", name, ErrNotAllowed)
			}
		default:
			return fmt.Errorf("agent %s: listen-in mode %q: want off, all or call: %w", name, mode, ErrNotAllowed)
		}
		if a.listenIn == mode {
			return nil
		}
		e.setListenIn(a, mode)
		return nil
	})
}

func (e *Engine) setListenIn(a *agent, mode ListenIn) {
	a.listenIn = mode
	ev := events.Event{Kind: events.ListenIn, Agent: a.name, State: string(mode)}
	if mode == ListenCall && a.call != nil {
		ev.Call = a.call.id
	}
	e.emit(ev)
}

// endListenInForCall turns "on for this call" off when the call is over.
func (e *Engine) endListenInForCall(a *agent) {
	if a.listenIn == ListenCall {
		e.setListenIn(a, ListenOff)
	}
}
