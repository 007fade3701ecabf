package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
)

// webPhones adapts the web softphones to the call flow's Browsers.
type webPhones struct{ p *softphone.Phones }

func (w webPhones) Online(user string) bool { return w.p.Online(user) }

func (w webPhones) Ring(ctx context.Context, user, callID, caller, queue string) (*media.Leg, error) {
	leg, err := w.p.Ring(ctx, user, softphone.CallInfo{ID: callID, Caller: caller, Queue: queue, Kind: "routed"})
	if errors.Is(err, softphone.ErrRejected) {
		return nil, fmt.Errorf("%w: %w", callflow.ErrRejected, err)
	}
	return leg, err
}

func (w webPhones) Ended(user, callID, reason string) {
	switch reason {
	case "taken_over":
		reason = softphone.ReasonTakenOver
	default:
		reason = softphone.ReasonCustomerHangup
	}
	w.p.Ended(user, callID, reason)
}

// startPhones starts the web softphones' WebRTC side. On a loopback HTTP
// address (the demo, tests) ICE stays on loopback too.
func (a *App) startPhones(cfg *config.Config) error {
	loopback := false
	if host, _, err := net.SplitHostPort(cfg.Listen.HTTP); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() || host == "localhost" {
			loopback = true
		}
	}
	p, err := softphone.New(softphone.Config{Media: a.media, LoopbackOnly: loopback, Logger: a.log.With("component", "softphone")})
	if err != nil {
		return fmt.Errorf("web phones: %w", err)
	}
	a.phones = p
	a.endpoints.phones = webPhones{p}
	p.OnHangup(a.flow.BrowserHungUp)
	return nil
}
