package app

import (
	"context"
	"fmt"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/demo"
	"github.com/earshot/earshot/internal/media"
)

// endpoints routes the call flow's "ring this person in their browser" to
// the right kind of in-process endpoint: a demo bot, or a web softphone.
type endpoints struct {
	bots   *demo.Bots        // demo only
	phones callflow.Browsers // web softphones, once wired
}

func (e *endpoints) Online(user string) bool {
	if e.bots != nil && e.bots.Is(user) {
		return true
	}
	return e.phones != nil && e.phones.Online(user)
}

func (e *endpoints) Ring(ctx context.Context, user, callID, caller, queue string) (*media.Leg, error) {
	if e.bots != nil && e.bots.Is(user) {
		return e.bots.Ring(ctx, user, callID, caller, queue)
	}
	if e.phones == nil {
		return nil, fmt.Errorf("%s has no web softphone open", user)
	}
	return e.phones.Ring(ctx, user, callID, caller, queue)
}

func (e *endpoints) Ended(user, callID, reason string) {
	if e.bots != nil && e.bots.Is(user) {
		e.bots.Ended(user, callID, reason)
		return
	}
	if e.phones != nil {
		e.phones.Ended(user, callID, reason)
	}
}

// Connected reports whether user's web client can take session audio.
func (e *endpoints) Connected(user string) bool {
	sb, ok := e.phones.(callflow.SessionBrowsers)
	return ok && sb.Connected(user)
}

// RingSession rings a supervisor's or colleague's web client for a session.
func (e *endpoints) RingSession(ctx context.Context, s assist.Session) (*media.Leg, error) {
	sb, ok := e.phones.(callflow.SessionBrowsers)
	if !ok {
		return nil, fmt.Errorf("%s has no web softphone open", s.User)
	}
	return sb.RingSession(ctx, s)
}
