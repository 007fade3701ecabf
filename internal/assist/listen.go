package assist

import (
	"fmt"
	"slices"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/config"
)

// Listen is a colleague listening in on an agent's call (Let Listen In).
// The colleague needs the listen-in permission and a team in common with
// the agent (else ErrForbidden), may not be the agent, must not be on a
// call of their own, and the agent must let colleagues listen in (all
// calls, or this call) and be on a call (else ErrNotAllowed or
// ErrNotRouted). ep is where the colleague's audio goes; the zero
// Endpoint means the one given to SetEndpoint, else their own phone (web
// client when signed in, else their registered SIP phone).
//
// The session rings like an assist; once answered the colleague hears
// customer and agent and is heard by nobody. Supervisors' Assist does not
// depend on Let Listen In.
func (d *Desk) Listen(colleague, agent string, ep Endpoint) (Session, error) {
	var out Session
	err := d.do(func() error {
		cfg := d.acd.Config()
		if err := checkColleague(cfg, colleague, agent); err != nil {
			return err
		}
		name := displayName(cfg, agent)
		if me, err := d.acd.Agent(colleague); err == nil && (me.State == acd.OnCall || me.State == acd.Ringing) {
			return refuse(ErrNotAllowed, "You are on a call yourself: listen in when it is over")
		}
		v, err := d.acd.Agent(agent)
		if err != nil {
			return err
		}
		if v.ListenIn == acd.ListenOff {
			return refuse(ErrNotAllowed, "%s does not let colleagues listen in", name)
		}
		if v.State != acd.OnCall || v.Call == "" {
			return refuse(ErrNotRouted, "%s is not on a call", name)
		}
		c, err := d.acd.Call(v.Call)
		if err != nil || c.State != acd.CallConnected || !slices.Contains(c.Agents, agent) {
			return refuseCause(ErrNotRouted, err, "%s's call is ending", name)
		}
		for _, s := range d.onCall(c.ID, KindListen) {
			if s.user == colleague {
				return refuse(ErrNotAllowed, "You are already listening in on %s", name)
			}
		}
		if ep.IsZero() {
			ep = d.endpoints[colleague]
		}
		if !ep.IsZero() {
			if ep, err = d.checkEndpoint(ep); err != nil {
				return err
			}
		}
		now := d.clk.Now()
		s := &session{id: d.newID(KindListen), kind: KindListen, user: colleague, agent: agent, call: c.ID,
			names: [2]string{displayName(cfg, colleague), displayName(cfg, agent)}, queue: c.Queue, ep: ep, mode: Ringing, started: now, since: now}
		d.sessions[s.id] = s
		d.emit(s, Ringing, "")
		d.armRing(s)
		out = s.view()
		return nil
	})
	return out, err
}

// checkColleague refuses unless colleague may listen in on agent.
func checkColleague(cfg *config.Config, colleague, agent string) error {
	u, ok := cfg.User(agent)
	if !ok || !u.Has(config.RoleAgent) {
		return fmt.Errorf("agent %q: %w", clip(agent), acd.ErrUnknownAgent)
	}
	me, ok := cfg.User(colleague)
	switch {
	case !ok || !me.ListenIn:
		return refuse(ErrForbidden, "You do not have the listen-in permission; an administrator can give it")
	case colleague == agent:
		return refuse(ErrNotAllowed, "You cannot listen in on your own calls")
	}
	theirs := cfg.TeamsOfAgent(agent)
	for _, t := range cfg.Teams {
		if slices.Contains(theirs, t.Name) && (slices.Contains(t.Agents, colleague) || slices.Contains(t.Supervisors, colleague)) {
			return nil
		}
	}
	return refuse(ErrForbidden, "You can listen in only on colleagues of your own teams, and %s is not one", displayName(cfg, agent))
}
