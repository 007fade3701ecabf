package phonetest

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
)

// party is an assist or listen-in session's leg in a customer's room.
type party struct {
	leg  *media.Leg
	role assist.Role
	mode assist.Mode
}

// rehearLocked sets the room's hearing from the hearing matrix: customer,
// agent (until released) and the sessions' legs. Called with c.mu held.
func (c *Customer) rehearLocked() {
	if c.room == nil {
		return
	}
	legs := map[string]media.LegID{}
	add := func(l *media.Leg, role assist.Role, mode assist.Mode, ps []assist.Party) []assist.Party {
		id := strconv.FormatUint(uint64(l.ID()), 10)
		legs[id] = l.ID()
		return append(ps, assist.Party{ID: id, Role: role, Mode: mode})
	}
	ps := add(c.Leg, assist.Customer, "", nil)
	if c.aleg != nil {
		ps = add(c.aleg, assist.Agent, "", ps)
	}
	for _, p := range c.parties {
		ps = add(p.leg, p.role, p.mode, ps)
	}
	h := media.Hearing{}
	for who, heard := range assist.Hearing(ps) {
		for _, s := range heard {
			h[legs[who]] = append(h[legs[who]], legs[s])
		}
	}
	if err := c.room.SetHearing(h); err != nil {
		c.r.t.Errorf("hearing for %s: %v", c.Call, err)
	}
}

// join puts an answered session's leg in the room, in the mode the desk
// has for it now; false when the session is already over.
func (c *Customer) join(d *assist.Desk, id string, leg *media.Leg) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := d.Session(id)
	if err != nil || c.room == nil {
		return false
	}
	if err := c.room.Add(leg); err != nil {
		c.r.t.Errorf("join %s to %s: %v", id, c.Call, err)
		return false
	}
	c.parties[id] = party{leg: leg, role: s.Role(), mode: s.Mode}
	c.rehearLocked()
	return true
}

// setMode changes a session's mode in the room.
func (c *Customer) setMode(id string, m assist.Mode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.parties[id]
	if !ok {
		return
	}
	p.mode = m
	c.parties[id] = p
	c.rehearLocked()
}

// leave takes a session's leg out of the room; false when it was not in.
func (c *Customer) leave(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.parties[id]
	if !ok {
		return false
	}
	delete(c.parties, id)
	if c.room != nil {
		c.room.Remove(p.leg)
		c.rehearLocked()
	}
	return true
}

// assistRings are the sessions whose web client is ringing.
type assistRings struct {
	mu sync.Mutex // guards m
	m  map[string]context.CancelFunc
}

func (a *assistRings) add(id string, cancel context.CancelFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[id] = cancel
}

func (a *assistRings) stop(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cancel := a.m[id]; cancel != nil {
		cancel()
	}
	delete(a.m, id)
}

func (a *assistRings) stopAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, cancel := range a.m {
		cancel()
	}
	a.m = map[string]context.CancelFunc{}
}

// assistEvent carries out one assist.mode or listen.session event as the
// call flow does: ring the web client, change who hears whom, or release
// the leg. A phone endpoint is not rung (the rig has no SIP): a test
// answers for it with Desk.Answered.
func (r *Rig) assistEvent(e events.Event, rings *assistRings) {
	switch m := assist.Mode(e.State); m {
	case assist.Ringing:
		s, err := r.Desk.Session(e.Detail)
		if err != nil {
			return
		}
		if s.Endpoint.Kind == assist.EndpointPhone || (s.Endpoint.IsZero() && !r.Phones.Online(s.User)) {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		rings.add(s.ID, cancel)
		go func() {
			defer cancel()
			r.ringAssist(ctx, s)
		}()
	case assist.Ended:
		rings.stop(e.Detail)
		if c := r.customer(e.Call); c != nil && c.leave(e.Detail) {
			reason := e.Reason
			if reason == assist.EndCustomerHungUp {
				reason = softphone.ReasonCustomerHangup
			}
			r.Phones.Ended(e.Actor, e.Call, reason)
		} else if c == nil {
			r.Phones.Ended(e.Actor, e.Call, e.Reason)
		}
	default:
		if c := r.customer(e.Call); c != nil {
			c.setMode(e.Detail, m)
		}
	}
}

// ringAssist rings the session's web client and tells the desk how it went.
func (r *Rig) ringAssist(ctx context.Context, s assist.Session) {
	leg, err := r.Phones.Ring(ctx, s.User, softphone.SessionInfo(s, r.Engine))
	if err != nil {
		if ctx.Err() != nil {
			return // the desk ended the ring
		}
		why := "unreachable"
		switch {
		case errors.Is(err, softphone.ErrRejected):
			why = "declined"
		case errors.Is(err, softphone.ErrGone):
			why = "web client not signed in"
		case errors.Is(err, softphone.ErrBusy):
			why = "busy"
		}
		r.Desk.RingFailed(s.ID, why)
		return
	}
	if err := r.Desk.Answered(s.ID); err != nil {
		r.Phones.Ended(s.User, s.Call, softphone.ReasonCancelled)
		return
	}
	// A call placed on the engine alone has no customer leg: the session
	// is connected, with nothing to hear.
	if c := r.customer(s.Call); c != nil && !c.join(r.Desk, s.ID, leg) {
		r.Phones.Ended(s.User, s.Call, softphone.ReasonCancelled)
	}
}

// RouteAssists runs the assist part of the call flow until the test ends:
// a session whose endpoint is the web client (or, with none chosen, a
// signed-in web phone) rings it, is answered there and joins the
// customer's room as the hearing matrix says; its end is told to the
// page. A web page's Hang up leaves its session (or ends the agent's
// call). RouteCalls includes it; a test that drives calls on the engine
// alone runs it by itself.
func (r *Rig) RouteAssists() {
	sub := r.Bus.Subscribe(1 << 16)
	rings := &assistRings{m: map[string]context.CancelFunc{}}
	r.Phones.OnHangup(r.hungUp)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C {
			if e.Kind == events.AssistMode || e.Kind == events.ListenSession {
				r.assistEvent(e, rings)
			}
		}
	}()
	r.t.Cleanup(func() {
		sub.Close()
		<-done
		rings.stopAll()
	})
}

// hungUp is a web page's Hang up: a session's endpoint leaving, or the
// agent ending the call.
func (r *Rig) hungUp(user, callID string) {
	for _, s := range r.Desk.Sessions() {
		if s.User == user && s.Call == callID {
			if err := r.Desk.EndpointLeft(s.ID); err != nil {
				r.t.Logf("endpoint left %s: %v", s.ID, err)
			}
			return
		}
	}
	if err := r.Engine.Hangup(callID, user); err != nil {
		r.t.Logf("hang up %s for %s: %v", callID, user, err)
	}
}
