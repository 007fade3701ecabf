package callflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/sip"
)

// Assists is the assist desk as the call flow drives it: it reads a
// session to learn whom to ring and where, and reports what the endpoint
// did. *assist.Desk satisfies it.
type Assists interface {
	Session(id string) (assist.Session, error)
	Answered(id string) error
	RingFailed(id, why string) error
	EndpointLeft(id string) error
	Key(id string, digit rune) error
}

// SessionBrowsers is what a Browsers implementation may also do, and
// the flow then uses for assist and listen-in sessions: tell whether a
// person's web client has its audio connected (it can be rung for a
// session, wherever their routed calls ring), and ring it for a session,
// so the page can say what rings: an assist or a listen-in on an agent,
// not a customer's call.
type SessionBrowsers interface {
	Connected(user string) bool
	RingSession(ctx context.Context, s assist.Session) (*media.Leg, error)
}

// SetAssists gives the flow the assist desk, which is built after it.
func (f *Flow) SetAssists(a Assists) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg.Assists = a
}

func (f *Flow) assists() Assists {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg.Assists
}

// assistEvent carries out one assist.mode or listen.session event: ring
// the endpoint, change who hears whom, or release the leg.
func (f *Flow) assistEvent(ctx context.Context, e events.Event) {
	switch m := assist.Mode(e.State); m {
	case assist.Ringing:
		f.ringAssist(ctx, e.Detail)
	case assist.Ended:
		f.endAssist(e.Call, e.Detail, e.Reason)
	default:
		f.setAssistMode(e.Call, e.Detail, m)
	}
}

// ringAssist rings the session's endpoint. Answered, the leg joins the
// call's room in the session's mode at that moment; the desk hears how the
// ring went.
func (f *Flow) ringAssist(ctx context.Context, id string) {
	desk := f.assists()
	if desk == nil {
		return
	}
	s, err := desk.Session(id)
	if err != nil {
		return // already over
	}
	lc := f.call(s.Call)
	if lc == nil {
		f.reportRing(desk, id, "the call is not on this server")
		return
	}
	// The desk ends the ring at its ring time; the deadline only bounds a
	// ring whose end never arrives.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	f.mu.Lock()
	if old := lc.rings[id]; old != nil {
		old()
	}
	lc.rings[id] = cancel
	f.mu.Unlock()
	go func() {
		defer cancel()
		p, err := f.ringSession(rctx, s, lc)
		if err != nil {
			if rctx.Err() != nil && !errors.Is(rctx.Err(), context.DeadlineExceeded) {
				return // the desk ended the ring itself
			}
			f.log.Info("assist endpoint not reached", "session", id, "user", s.User, "err", err)
			f.reportRing(desk, id, notReached(err))
			return
		}
		if err := desk.Answered(id); err != nil {
			f.log.Info("assist answered too late", "session", id, "err", err)
			p.release(assist.EndNoAnswer)
			return
		}
		f.join(desk, lc, p)
	}()
}

func (f *Flow) reportRing(desk Assists, id, why string) {
	if err := desk.RingFailed(id, why); err != nil && !errors.Is(err, assist.ErrUnknownSession) {
		f.log.Warn("report assist ring", "session", id, "err", err)
	}
}

// notReached words why an endpoint could not be rung, for the session's
// end.
func notReached(err error) string {
	switch {
	case errors.Is(err, ErrRejected), errors.Is(err, sip.ErrRejected):
		return "declined"
	case errors.Is(err, sip.ErrBusy):
		return "busy"
	case errors.Is(err, sip.ErrNoAnswer):
		return "no answer"
	case errors.Is(err, sip.ErrNotRegistered):
		return "no phone registered"
	case errors.Is(err, errNoWebClient):
		return "web client not signed in"
	case errors.Is(err, sip.ErrShuttingDown):
		return "server shutting down"
	}
	return "unreachable"
}

var errNoWebClient = errors.New("web client not signed in")

// ringSession rings where the session's audio goes: a number or SIP URI,
// the person's web softphone, or (no endpoint chosen) their own phone,
// the web softphone when it is signed in, else their registered SIP phone.
func (f *Flow) ringSession(ctx context.Context, s assist.Session, lc *liveCall) (*party, error) {
	caller := "Assist " + s.Agent
	if s.Kind == assist.KindListen {
		caller = "Listen in " + s.Agent
	}
	p := &party{name: s.User, role: s.Role(), mode: s.Mode, session: s.ID}
	b := f.cfg.Browsers
	sb, _ := b.(SessionBrowsers)
	to := ""
	switch s.Endpoint.Kind {
	case assist.EndpointPhone:
		to = s.Endpoint.Target
	case assist.EndpointWeb:
		switch {
		case sb != nil && sb.Connected(s.User):
		case sb == nil && b != nil && b.Online(s.User):
		default:
			return nil, fmt.Errorf("%s: %w", s.User, errNoWebClient)
		}
	default:
		if b == nil || !b.Online(s.User) {
			to = "user:" + s.User
		}
	}
	if to == "" {
		var leg *media.Leg
		var err error
		if sb != nil {
			leg, err = sb.RingSession(ctx, s)
		} else {
			leg, err = b.Ring(ctx, s.User, lc.id, caller, lc.queue)
		}
		if err != nil {
			return nil, err
		}
		p.leg = leg
		p.release = func(reason string) { b.Ended(s.User, lc.id, reason) }
		return p, nil
	}
	d := f.dialer()
	if d == nil {
		return nil, fmt.Errorf("%s: %w", s.User, sip.ErrUnreachable)
	}
	c, err := d.Dial(ctx, sip.DialRequest{To: to, From: caller})
	if err != nil {
		return nil, err
	}
	leg, ok := c.Leg().(*media.Leg)
	if !ok {
		_ = c.Hangup()
		return nil, fmt.Errorf("%s: call without a media leg: %w", s.User, sip.ErrMedia)
	}
	p.leg = leg
	// The BYE says why the assist ended (RFC 3326 Reason), for the phone's
	// display.
	p.release = func(why string) { _ = c.HangupBecause("Assist ended: " + why) }
	go func() {
		<-c.Done()
		f.partyLeft(lc.id, p)
	}()
	return p, nil
}

// join puts an answered session's leg into the call's room, in the mode
// the desk has for it now. Holding f.mu while reading the desk orders the
// join against the mode events: one handled before saw no party but is in
// the desk's mode; one handled after finds the party.
func (f *Flow) join(desk Assists, lc *liveCall, p *party) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(lc.rings, p.session)
	s, err := desk.Session(p.session)
	if err != nil || f.calls[lc.id] != lc || s.Mode == assist.Ringing {
		go p.release(assist.EndCallEnded)
		return
	}
	if err := lc.room.Add(p.leg); err != nil {
		f.log.Warn("join assist leg", "call", lc.id, "session", p.session, "err", err)
		go p.release("media error")
		go f.leave(desk, p.session)
		return
	}
	p.mode = s.Mode
	lc.parties[p.key()] = p
	f.applyHearing(lc)
	if s.Kind == assist.KindAssist {
		f.notifyAgent(lc)
		f.startTrack(lc, p)
		id := p.session
		p.leg.OnDTMF(func(d rune) {
			if err := desk.Key(id, d); err != nil {
				f.log.Info("assist key", "session", id, "digit", string(d), "err", err)
			}
		})
	}
}

// leave tells the desk the session's endpoint is gone.
func (f *Flow) leave(desk Assists, id string) {
	if err := desk.EndpointLeft(id); err != nil && !errors.Is(err, assist.ErrUnknownSession) {
		f.log.Warn("assist endpoint left", "session", id, "err", err)
	}
}

// sessionParty finds the party of session id on call; the caller holds
// f.mu.
func (f *Flow) sessionParty(callID, id string) (*liveCall, *party) {
	lc := f.calls[callID]
	if lc == nil {
		return nil, nil
	}
	if p := lc.parties[id]; p != nil && p.session == id && !p.released {
		return lc, p
	}
	return lc, nil
}

// setAssistMode changes a session's mode in the room: the new hearing
// takes effect at the next 20 ms frame.
func (f *Flow) setAssistMode(callID, id string, m assist.Mode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lc, p := f.sessionParty(callID, id)
	if p == nil || p.mode == m {
		return
	}
	p.mode = m
	f.applyHearing(lc)
}

// endAssist releases a session's leg, telling the person why; a ring
// still going is stopped.
func (f *Flow) endAssist(callID, id, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lc, p := f.sessionParty(callID, id)
	if lc == nil {
		return
	}
	if cancel := lc.rings[id]; cancel != nil {
		cancel()
		delete(lc.rings, id)
	}
	if p == nil {
		return
	}
	f.releaseLocked(lc, p, reason)
	f.applyHearing(lc)
}
