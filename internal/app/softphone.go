package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/web"
	"github.com/pion/webrtc/v4"
)

// webPhones adapts the web softphones to the call flow's Browsers.
type webPhones struct {
	p   *softphone.Phones
	eng *acd.Engine // for the caller and the agent's name on an assist's ring
}

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
	case "hangup", "completed", "abandoned", "max_wait", "interrupted":
		reason = softphone.ReasonCustomerHangup
	}
	// an assist or listen-in session's reason ("closed", "no answer",
	// "listen-in turned off", …) goes to the page as it is
	w.p.Ended(user, callID, reason)
}

// Connected reports whether user's page has its audio connected: it can
// take an assist or listen-in, wherever its routed calls ring.
func (w webPhones) Connected(user string) bool { return w.p.Connected(user) }

// RingSession rings user's page for an assist or a listen-in, so the page
// says what rings.
func (w webPhones) RingSession(ctx context.Context, s assist.Session) (*media.Leg, error) {
	return w.p.Ring(ctx, s.User, softphone.SessionInfo(s, w.eng))
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
	var ice []webrtc.ICEServer
	for _, s := range cfg.WebRTC.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	p, err := softphone.New(softphone.Config{Media: a.media, LoopbackOnly: loopback, ICEServers: ice, PublicIPs: cfg.WebRTC.PublicIPs,
		PortMin: uint16(cfg.WebRTC.PortMin), PortMax: uint16(cfg.WebRTC.PortMax), Logger: a.log.With("component", "softphone")})
	if err != nil {
		return fmt.Errorf("web phones: %w", err)
	}
	a.phones = p
	a.endpoints.phones = webPhones{p, a.engine}
	p.OnHangup(a.flow.BrowserHungUp)
	return nil
}

// browserICE is webrtc.ice_servers in the shape /me gives the browsers.
func browserICE(servers []config.ICEServer) []web.ICEServer {
	out := make([]web.ICEServer, 0, len(servers))
	for _, s := range servers {
		out = append(out, web.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}
