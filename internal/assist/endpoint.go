package assist

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/dialplan"
)

// EndpointKind says how assist audio reaches a person.
type EndpointKind string

// Endpoint kinds. The zero kind means "the person's own phone": their web
// softphone when it is signed in, else the SIP phone they registered. It
// is what a listening colleague gets who chose nothing.
const (
	// EndpointWeb is the person's own web softphone ("No Extension").
	EndpointWeb EndpointKind = "web"
	// EndpointPhone is a number or SIP URI rung through the dialer and
	// gated by the dial plan.
	EndpointPhone EndpointKind = "phone"
)

// Endpoint is where a supervisor's (or listener's) assist audio goes.
type Endpoint struct {
	Kind   EndpointKind `json:"kind"`
	Target string       `json:"target,omitempty"` // phone only: number or SIP URI, as the dial plan normalised it
}

// IsZero reports whether no endpoint was chosen.
func (e Endpoint) IsZero() bool { return e.Kind == "" }

// maxTarget bounds what ParseEndpoint accepts; the dial plan refuses
// longer targets anyway.
const maxTarget = 256

// ParseEndpoint checks the shape of an endpoint as a person typed it: the
// kind is "web" or "phone", a phone has a target and a web endpoint none.
// Whether the dial plan allows the target is the desk's check
// (SetEndpoint). The error wraps ErrBadEndpoint.
func ParseEndpoint(kind, target string) (Endpoint, error) {
	target = strings.TrimSpace(target)
	switch EndpointKind(kind) {
	case EndpointWeb:
		if target != "" {
			return Endpoint{}, refuse(ErrBadEndpoint, "The web client needs no number: leave the target empty, or choose \"phone\"")
		}
		return Endpoint{Kind: EndpointWeb}, nil
	case EndpointPhone:
		switch {
		case target == "":
			return Endpoint{}, refuse(ErrBadEndpoint, "Type the number or SIP URI to ring for assist audio")
		case len(target) > maxTarget:
			return Endpoint{}, refuse(ErrBadEndpoint, "The number or SIP URI is too long (at most %d characters)", maxTarget)
		case !utf8.ValidString(target) || strings.ContainsFunc(target, isControl):
			return Endpoint{}, refuse(ErrBadEndpoint, "The number or SIP URI holds characters that cannot be dialled")
		}
		return Endpoint{Kind: EndpointPhone, Target: target}, nil
	case "":
		return Endpoint{}, refuse(ErrBadEndpoint, "Choose where assist audio goes: \"web\" (your web client) or \"phone\"")
	}
	return Endpoint{}, refuse(ErrBadEndpoint, "Unknown endpoint kind %q: choose \"web\" or \"phone\"", clip(kind))
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// clip bounds a string quoted back to a person: at most 40 runes, valid
// UTF-8.
func clip(s string) string {
	const show = 40
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) > show {
		s = string([]rune(s)[:show]) + "…"
	}
	return s
}

// SetEndpoint records where user's assist audio goes (the monitor's
// sign-in). A phone target must pass the dial plan in force; it is kept as
// the plan normalised it. Whether a web client is signed in is the web
// edge's check. The error wraps ErrBadEndpoint, or acd.ErrUnknownAgent for
// an unknown user.
func (d *Desk) SetEndpoint(user string, ep Endpoint) (Endpoint, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg := d.acd.Config()
	if _, ok := cfg.User(user); !ok {
		return Endpoint{}, fmt.Errorf("user %q: %w", clip(user), acd.ErrUnknownAgent)
	}
	ep, err := d.checkEndpoint(ep)
	if err != nil {
		return Endpoint{}, err
	}
	d.endpoints[user] = ep
	return ep, nil
}

// Endpoint returns where user's assist audio goes, if they said.
func (d *Desk) Endpoint(user string) (Endpoint, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, ok := d.endpoints[user]
	return ep, ok
}

// checkEndpoint validates ep against the dial plan in force. The caller
// holds d.mu.
func (d *Desk) checkEndpoint(ep Endpoint) (Endpoint, error) {
	ep, err := ParseEndpoint(string(ep.Kind), ep.Target)
	if err != nil {
		return Endpoint{}, err
	}
	if ep.Kind != EndpointPhone {
		return ep, nil
	}
	plan, err := d.dialPlan()
	if err != nil {
		return Endpoint{}, refuseCause(ErrBadEndpoint, err, "No phone can be rung: %v", err)
	}
	target, err := plan.Resolve(ep.Target)
	if err != nil {
		return Endpoint{}, refuseCause(ErrBadEndpoint, err, "Assist audio cannot go to that phone: %v", err)
	}
	ep.Target = target
	return ep, nil
}

// dialPlan is the plan of the configuration in force, compiled once per
// configuration. The caller holds d.mu.
func (d *Desk) dialPlan() (*dialplan.Plan, error) {
	cfg := d.acd.Config()
	if d.planFrom != cfg {
		plan, err := dialplan.Compile(cfg.DialPlan.Allow, cfg.DialPlan.Deny)
		if err != nil {
			return nil, fmt.Errorf("dial plan: %w", err)
		}
		d.plan, d.planFrom = plan, cfg
	}
	return d.plan, nil
}
