package callflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/sip"
)

// ring rings the agent's endpoint for the call; the ACD hears how it went.
func (f *Flow) ring(ctx context.Context, callID, agent string) {
	lc := f.call(callID)
	if lc == nil {
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	if old := lc.rings[agent]; old != nil {
		old()
	}
	lc.rings[agent] = cancel
	caller, queue := lc.caller, lc.queue
	f.mu.Unlock()
	go func() {
		defer cancel()
		p, err := f.ringEndpoint(rctx, callID, agent, caller, queue)
		if err != nil {
			if rctx.Err() != nil {
				return // the ACD stopped the ringing itself
			}
			f.log.Info("agent not reached", "call", callID, "agent", agent, "err", err)
			if errors.Is(err, ErrRejected) || errors.Is(err, sip.ErrBusy) || errors.Is(err, sip.ErrRejected) {
				err = f.cfg.Engine.Reject(callID, agent)
			} else {
				err = f.cfg.Engine.RingFailed(callID, agent, reasonFor(err))
			}
			if err != nil && !errors.Is(err, acd.ErrUnknownCall) && !errors.Is(err, acd.ErrNotAllowed) {
				f.log.Warn("report ring result", "call", callID, "agent", agent, "err", err)
			}
			return
		}
		f.mu.Lock()
		if f.calls[callID] != lc {
			f.mu.Unlock()
			p.release("ended")
			return
		}
		lc.parties[agent] = p
		f.mu.Unlock()
		if err := f.cfg.Engine.Answer(callID, agent); err != nil {
			// too late: the ring timed out or the customer left
			f.log.Info("answer came too late", "call", callID, "agent", agent, "err", err)
			f.mu.Lock()
			if lc.parties[agent] == p {
				delete(lc.parties, agent)
			}
			f.mu.Unlock()
			p.release("ended")
		}
	}()
}

func reasonFor(err error) string {
	switch {
	case errors.Is(err, sip.ErrNotRegistered):
		return "no phone registered"
	case errors.Is(err, sip.ErrNoAnswer):
		return acd.ReasonMissed
	}
	return acd.ReasonUnreachable
}

// ringEndpoint rings the agent where they take calls: the web softphone if
// a page is open, else their registered SIP phone.
func (f *Flow) ringEndpoint(ctx context.Context, callID, agent, caller, queue string) (*party, error) {
	if b := f.cfg.Browsers; b != nil && b.Online(agent) {
		leg, err := b.Ring(ctx, agent, callID, caller, queue)
		if err != nil {
			return nil, err
		}
		p := &party{name: agent, role: assist.Agent, leg: leg}
		p.release = func(reason string) { b.Ended(agent, callID, reason) }
		return p, nil
	}
	d := f.dialer()
	if d == nil {
		return nil, fmt.Errorf("agent %s: %w", agent, sip.ErrNotRegistered)
	}
	c, err := d.Dial(ctx, sip.DialRequest{To: "user:" + agent, From: caller})
	if err != nil {
		return nil, err
	}
	leg, ok := c.Leg().(*media.Leg)
	if !ok {
		_ = c.Hangup()
		return nil, fmt.Errorf("agent %s: call without a media leg", agent)
	}
	p := &party{name: agent, role: assist.Agent, leg: leg, sipPhone: true}
	p.release = func(string) { _ = c.Hangup() }
	go func() {
		<-c.Done()
		f.partyLeft(callID, p)
	}()
	return p, nil
}

// partyLeft: the person hung up their own phone. An agent's hang-up ends
// the call; a supervisor's or listener's ends their session.
func (f *Flow) partyLeft(callID string, p *party) {
	f.mu.Lock()
	released := p.released
	f.mu.Unlock()
	if released {
		return
	}
	if p.session != "" {
		if desk := f.assists(); desk != nil {
			f.leave(desk, p.session)
		}
		return
	}
	if err := f.cfg.Engine.Hangup(callID, p.name); err != nil && !errors.Is(err, acd.ErrUnknownCall) {
		f.log.Warn("agent hang-up", "call", callID, "agent", p.name, "err", err)
	}
}

// BrowserHungUp is the web softphone's Hang up button.
func (f *Flow) BrowserHungUp(user, callID string) {
	f.mu.Lock()
	lc := f.calls[callID]
	var left []*party
	if lc != nil {
		for _, p := range lc.parties {
			if p.name == user {
				left = append(left, p)
			}
		}
	}
	f.mu.Unlock()
	for _, p := range left {
		f.partyLeft(callID, p)
	}
}

func (f *Flow) stopRinging(callID, agent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if lc := f.calls[callID]; lc != nil {
		if cancel := lc.rings[agent]; cancel != nil {
			cancel()
			delete(lc.rings, agent)
		}
	}
}

// connect joins the answering agent's leg to the customer's room.
func (f *Flow) connect(callID, agent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lc := f.calls[callID]
	if lc == nil {
		return
	}
	delete(lc.rings, agent)
	p := lc.parties[agent]
	if p == nil {
		return
	}
	lc.agent = agent
	if err := lc.room.Add(p.leg); err != nil {
		f.log.Warn("join agent", "call", callID, "agent", agent, "err", err)
		return
	}
	p.leg.OnDTMF(func(d rune) { f.agentKey(callID, agent, d) })
	lc.leg.Play(nil)
	f.applyHearing(lc)
}

// applyHearing sets the room's hearing from the assist matrix. The caller
// holds f.mu.
func (f *Flow) applyHearing(lc *liveCall) {
	parties := []assist.Party{{ID: "customer", Role: assist.Customer}}
	legs := map[string]media.LegID{"customer": lc.leg.ID()}
	for name, p := range lc.parties {
		if p.released {
			continue
		}
		parties = append(parties, assist.Party{ID: name, Role: p.role, Mode: p.mode})
		legs[name] = p.leg.ID()
	}
	h := media.Hearing{}
	for who, heard := range assist.Hearing(parties) {
		for _, src := range heard {
			h[legs[who]] = append(h[legs[who]], legs[src])
		}
	}
	if a := lc.parties[lc.agent]; lc.notice != nil && a != nil && !a.released {
		h[a.leg.ID()] = append(h[a.leg.ID()], lc.notice.ID())
	}
	switch err := lc.room.SetHearing(h); {
	case errors.Is(err, media.ErrNotInRoom):
		// a leg closed under the call as it ends (the customer hung up):
		// the call's end tidies the room
		f.log.Debug("set hearing while the call ends", "call", lc.id, "err", err)
	case err != nil:
		f.log.Warn("set hearing", "call", lc.id, "err", err)
	}
}

// release takes one agent off the call (hang-up, or a take-over).
func (f *Flow) release(callID, agent, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lc := f.calls[callID]
	if lc == nil {
		return
	}
	p := lc.parties[agent]
	if p == nil || p.released {
		return
	}
	f.releaseLocked(lc, p, reason)
	f.applyHearing(lc)
}

func (f *Flow) releaseLocked(lc *liveCall, p *party, reason string) {
	p.released = true
	f.stopTrack(lc, p.session)
	lc.room.Remove(p.leg)
	if lc.parties[p.key()] == p {
		delete(lc.parties, p.key())
	}
	go p.release(reason)
}

// end releases everyone when the ACD says the call is over. A caller who
// waited max_wait hears the queue's message first, if it has one.
func (f *Flow) end(ctx context.Context, e events.Event) {
	callID, reason, by := e.Call, e.Reason, e.Actor
	f.mu.Lock()
	lc := f.calls[callID]
	if lc == nil {
		f.mu.Unlock()
		return
	}
	delete(f.calls, callID)
	for agent, cancel := range lc.rings {
		cancel()
		delete(lc.rings, agent)
	}
	for _, p := range lc.parties {
		if p.released {
			continue
		}
		if p.session != "" {
			f.releaseLocked(lc, p, assist.EndedBy(by, lc.agent))
			continue
		}
		f.releaseLocked(lc, p, reason)
	}
	cl := lc.log
	f.mu.Unlock()
	if reason == reasonMaxWait && by == "system" {
		if msg := f.queueMessage(e.Queue); msg != "" {
			go func() {
				f.announce(ctx, lc, e.Queue, msg)
				f.finish(lc, cl, by)
			}()
			return
		}
	}
	f.finish(lc, cl, by)
}

// finish closes an ended call's recording and room and hangs up on the
// customer unless the customer hung up.
func (f *Flow) finish(lc *liveCall, cl *callLog, by string) {
	if cl != nil && cl.rec != nil {
		f.finishRecording(lc.id, cl)
	}
	lc.room.Close()
	if by != "customer" && lc.customer != nil {
		_ = lc.customer.Hangup()
	}
}
