package assist

import (
	"errors"
	"fmt"
	"slices"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/config"
)

// StartResult says what Start did: began a session, or returned a green
// help icon to blue.
type StartResult struct {
	Session Session `json:"session,omitzero"`
	Cleared bool    `json:"cleared,omitempty"`
}

// Start is a supervisor's Assist on an agent. The supervisor must
// supervise one of the agent's teams (else ErrForbidden), and the agent
// must be On Call on an inbound routed call (else ErrNotRouted, whose text
// says why in a sentence). ep is where the supervisor's audio goes; the
// zero Endpoint means the one given to SetEndpoint (ErrNoEndpoint when
// there is none).
//
// A session starts ringing the endpoint; nothing is heard until it is
// Answered, and it ends "no answer" after the configuration's assist ring
// time. The agent's help icon turns green.
//
// Assist on an agent whose icon is green and whom nobody is assisting any
// more returns the icon to blue instead, and starts nothing (Cleared).
func (d *Desk) Start(supervisor, agent string, ep Endpoint) (StartResult, error) {
	var res StartResult
	err := d.do(func() error {
		cfg := d.acd.Config()
		if err := d.checkSupervises(cfg, supervisor, agent); err != nil {
			return err
		}
		v, err := d.acd.Agent(agent)
		if err != nil {
			return err
		}
		live := d.ofAgent(agent, KindAssist)
		if v.Help == acd.HelpAssisting && len(live) == 0 {
			if err := d.acd.ClearHelp(agent, supervisor); err != nil {
				return fmt.Errorf("clear help of %s: %w", agent, err)
			}
			res.Cleared = true
			return nil
		}
		for _, s := range live {
			if s.user == supervisor {
				return refuse(ErrNotAllowed, "You are already assisting %s", displayName(cfg, agent))
			}
		}
		c, err := d.routedCall(cfg, v)
		if err != nil {
			return err
		}
		if ep.IsZero() {
			var ok bool
			if ep, ok = d.endpoints[supervisor]; !ok {
				return refuse(ErrNoEndpoint, "Choose where assist audio reaches you first: your web client or a phone")
			}
		}
		if ep, err = d.checkEndpoint(ep); err != nil {
			return err
		}
		if err := d.acd.StartAssisting(agent, supervisor); err != nil {
			return fmt.Errorf("start assisting %s: %w", agent, err)
		}
		if d.greens[agent] == nil || v.Help != acd.HelpAssisting {
			// Not green yet (or cleared while another assist rang): remember
			// what it was. Green already with no record of why (an assist
			// before a restart): it stays green.
			d.greens[agent] = &green{before: v.Help, answered: v.Help == acd.HelpAssisting}
		}
		now := d.clk.Now()
		s := &session{id: d.newID(KindAssist), kind: KindAssist, user: supervisor, agent: agent, call: c.ID,
			names: [2]string{displayName(cfg, supervisor), displayName(cfg, agent)},
			queue: c.Queue, ep: ep, mode: Ringing, started: now, since: now}
		d.sessions[s.id] = s
		d.emit(s, Ringing, "")
		d.armRing(s)
		res.Session = s.view()
		return nil
	})
	return res, err
}

// checkSupervises refuses unless supervisor supervises a team of agent.
func (d *Desk) checkSupervises(cfg *config.Config, supervisor, agent string) error {
	u, ok := cfg.User(agent)
	if !ok || !u.Has(config.RoleAgent) {
		return fmt.Errorf("agent %q: %w", clip(agent), acd.ErrUnknownAgent)
	}
	sup, ok := cfg.User(supervisor)
	if ok && sup.Has(config.RoleSupervisor) {
		teams := cfg.TeamsOfAgent(agent)
		for _, t := range cfg.TeamsOfSupervisor(supervisor) {
			if slices.Contains(teams, t) {
				return nil
			}
		}
	}
	return refuse(ErrForbidden, "You do not supervise a team of %s, so you cannot assist them", displayName(cfg, agent))
}

// routedCall returns the inbound routed call agent v is on, or a refusal
// that says in a sentence why Assist is not possible now.
func (d *Desk) routedCall(cfg *config.Config, v acd.AgentView) (acd.CallView, error) {
	if why := notRoutedWhy(cfg, v); why != "" {
		return acd.CallView{}, refuse(ErrNotRouted, "%s", why)
	}
	c, err := d.acd.Call(v.Call)
	if err != nil || c.State != acd.CallConnected || !slices.Contains(c.Agents, v.Name) {
		return acd.CallView{}, refuseCause(ErrNotRouted, err, "Assist is possible only on an inbound routed call, and %s's call is ending", displayName(cfg, v.Name))
	}
	return c, nil
}

// notRoutedWhy says why agent v is not on an inbound routed call, or ""
// when they are.
func notRoutedWhy(cfg *config.Config, v acd.AgentView) string {
	if v.State == acd.OnCall && v.Call != "" {
		return ""
	}
	name := displayName(cfg, v.Name)
	var now string
	switch v.State {
	case acd.Offline:
		now = "is logged out"
	case acd.Available:
		now = "is available, waiting for a call"
	case acd.NotReady:
		now = "is not ready"
		if v.Reason != "" {
			now += " (" + v.Reason + ")"
		}
	case acd.Ringing:
		now = "has a call ringing that is not answered yet"
	case acd.ACW:
		now = "is in After Call Work"
	default:
		now = "is not on a call"
	}
	return fmt.Sprintf("Assist is possible only while %s is on an inbound routed call; %s %s", name, name, now)
}

// Answered says the session's endpoint answered: the supervisor listens
// (a colleague listens in). Too late (the session ended) gives
// ErrUnknownSession: the caller hangs the endpoint up.
func (d *Desk) Answered(id string) error {
	return d.do(func() error {
		s, err := d.session(id)
		if err != nil {
			return err
		}
		if s.mode != Ringing {
			return refuse(ErrNotAllowed, "The session %s is already answered", s.id)
		}
		if s.ringTmr != nil {
			s.ringTmr.Stop()
			s.ringTmr = nil
		}
		if g := d.greens[s.agent]; g != nil && s.kind == KindAssist {
			g.answered = true
		}
		d.setMode(s, Listen)
		return nil
	})
}

// RingFailed says the session's endpoint could not be rung (busy,
// declined, unreachable, no web client): the session ends "not reached"
// with why.
func (d *Desk) RingFailed(id, why string) error {
	return d.do(func() error {
		s, err := d.session(id)
		if err != nil {
			return err
		}
		if s.mode != Ringing {
			return refuse(ErrNotAllowed, "The session %s is already answered", s.id)
		}
		reason := EndNotReached
		if why != "" {
			reason += ": " + why
		}
		d.end(s, reason)
		return nil
	})
}

// ParseMode reads a mode a person asks for: listen, talk or takeover.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Listen, Talk, TakeOver:
		return m, nil
	}
	return "", refuse(ErrBadMode, "Unknown mode %q: choose listen, talk or takeover", clip(s))
}

// SetMode is a supervisor's Listen or Talk (actor must be the session's
// supervisor). Take over goes to TakeOver. Asking for the mode one is in
// changes nothing.
func (d *Desk) SetMode(id, actor string, m Mode) error {
	switch m {
	case TakeOver:
		return d.TakeOver(id, actor)
	case Listen, Talk:
	default:
		return refuse(ErrBadMode, "Unknown mode %q: choose listen, talk or takeover", clip(string(m)))
	}
	return d.do(func() error {
		s, err := d.own(id, actor)
		if err != nil {
			return err
		}
		if err := d.answeredAssist(s, m); err != nil {
			return err
		}
		if s.mode != m {
			d.setMode(s, m)
		}
		return nil
	})
}

// own finds a live session of actor's.
func (d *Desk) own(id, actor string) (*session, error) {
	s, err := d.session(id)
	if err != nil {
		return nil, err
	}
	if s.user != actor {
		return nil, refuse(ErrForbidden, "This session is %s's, not yours", displayName(d.acd.Config(), s.user))
	}
	return s, nil
}

// answeredAssist refuses mode m unless s is a supervisor's answered,
// not-taken-over session.
func (d *Desk) answeredAssist(s *session, m Mode) error {
	switch {
	case s.kind == KindListen && m != Listen:
		return refuse(ErrNotAllowed, "Listening in is listen only: you cannot talk or take the call over")
	case s.mode == Ringing:
		return refuse(ErrNotAllowed, "Answer your phone or web client first: the assist is still ringing")
	case s.mode == TakeOver && m != TakeOver:
		return refuse(ErrNotAllowed, "You have taken this call over; Close ends it")
	}
	return nil
}

// TakeOver is a supervisor's Take over: at once the supervisor talks with
// the customer, the agent's leg is released and the agent goes to After
// Call Work; the call stays one call, now with two handlers. Only one
// supervisor can win: the others get ErrTakenOver. Colleagues listening
// in on the agent stop listening.
func (d *Desk) TakeOver(id, actor string) error {
	return d.do(func() error {
		s, err := d.own(id, actor)
		if err != nil {
			return err
		}
		if err := d.answeredAssist(s, TakeOver); err != nil {
			return err
		}
		if s.mode == TakeOver {
			return nil
		}
		cfg := d.acd.Config()
		for _, o := range d.onCall(s.call, KindAssist) {
			if o.mode == TakeOver {
				return refuse(ErrTakenOver, "%s has already taken this call over", displayName(cfg, o.user))
			}
		}
		if err := d.acd.TakeOver(s.call, s.user); err != nil {
			if errors.Is(err, acd.ErrNotRouted) || errors.Is(err, acd.ErrUnknownCall) {
				return refuseCause(ErrNotRouted, err, "The call cannot be taken over: %s is no longer on it", displayName(cfg, s.agent))
			}
			return fmt.Errorf("take over call %s: %w", s.call, err)
		}
		d.setMode(s, TakeOver)
		for _, l := range d.onCall(s.call, KindListen) {
			d.end(l, EndTakenOver)
		}
		return nil
	})
}

// Close is the supervisor (or listener) leaving: customer and agent go on
// uninterrupted. A supervisor who has taken the call over ends the call.
func (d *Desk) Close(id, actor string) error {
	return d.do(func() error {
		s, err := d.own(id, actor)
		if err != nil {
			return err
		}
		d.leave(s, EndClosed)
		return nil
	})
}

// EndpointLeft says the session's endpoint hung up: the session ends. A
// supervisor who had taken the call over hangs up on the customer too.
func (d *Desk) EndpointLeft(id string) error {
	return d.do(func() error {
		s, err := d.session(id)
		if err != nil {
			return err
		}
		reason := EndSupervisorHungUp
		if s.kind == KindListen {
			reason = EndListenerHungUp
		}
		d.leave(s, reason)
		return nil
	})
}

// leave ends s; after a take-over the call ends with it.
func (d *Desk) leave(s *session, reason string) {
	took := s.mode == TakeOver
	d.end(s, reason)
	if took {
		// The call is the supervisor's now: leaving it hangs it up. Its
		// end reaches the other sessions through Observe. A call already
		// gone is what was wanted; any other failure is the ACD's to
		// report, and the session is over either way.
		_ = d.acd.Hangup(s.call, s.user)
	}
}
