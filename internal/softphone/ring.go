package softphone

import (
	"context"
	"errors"
	"fmt"

	"github.com/earshot/earshot/internal/media"
)

// ring is one call ringing on a page. It is resolved once: answered (err
// nil) or not (err says why).
type ring struct {
	info CallInfo
	done chan struct{} // closed when resolved
	err  error         // written before done closes
}

// resolveRing ends the page's ringing with err. Called with ph.mu held.
func (p *page) resolveRing(err error) {
	r := p.ring
	p.ring = nil
	r.err = err
	close(r.done)
}

// Ring rings user's web phone for call c: it sends call.ringing to the
// user's page and blocks until the agent answers (it returns the page's leg,
// and the page is told call.connected), rejects (ErrRejected), the page
// goes away (ErrGone), Ended is called for the call (ErrEnded) or ctx ends
// (the ring time ran out, the customer hung up): then the page is told
// call.ended, with reason "missed" for a deadline and "cancelled" otherwise,
// and the context's error is returned.
//
// A user without a ringable page gets ErrGone at once, one with a call
// already ringing or connected ErrBusy. The leg stays the page's: the call
// flow puts it in the call's room and takes it out after the call, but never
// closes it.
func (ph *Phones) Ring(ctx context.Context, user string, c CallInfo) (*media.Leg, error) {
	if c.ID == "" {
		return nil, errors.New("softphone: ring: call has no ID")
	}
	ph.mu.Lock()
	p := ph.pages[user]
	var err error
	switch {
	case ph.closed:
		err = ErrClosed
	case p == nil || !p.ringable():
		err = ErrGone
	case p.ring != nil || p.call.ID != "":
		err = ErrBusy
	}
	if err != nil {
		ph.mu.Unlock()
		return nil, fmt.Errorf("ring %s for call %s: %w", user, c.ID, err)
	}
	r := &ring{info: c, done: make(chan struct{})}
	p.ring = r
	p.send(ringingMsg(c))
	ph.mu.Unlock()

	select {
	case <-r.done:
	case <-ctx.Done():
		ph.mu.Lock()
		if p.ring == r {
			p.resolveRing(ctx.Err())
			reason := ReasonCancelled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = ReasonMissed
			}
			p.send(callEnded{Type: "call.ended", Call: c.ID, Reason: reason})
		}
		ph.mu.Unlock()
		<-r.done
	}
	if r.err != nil {
		return nil, fmt.Errorf("ring %s for call %s: %w", user, c.ID, r.err)
	}
	return p.leg, nil
}
