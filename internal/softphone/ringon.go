package softphone

import (
	"encoding/json"

	"github.com/earshot/earshot/internal/web"
)

// Where a user's routed calls ring, as a page chooses with phone.ring_on.
const (
	// RingBrowser: calls ring in the page (the default).
	RingBrowser = "browser"
	// RingPhone: calls ring on the user's registered SIP phone; the page
	// stays signed in and shows the state, but Online reports false.
	RingPhone = "phone"
)

// msgRingOn is the page's choice of where calls ring.
const msgRingOn = "phone.ring_on"

// ringChoice is one user's latest phone.ring_on and the page that sent it.
type ringChoice struct {
	client *web.Client
	where  string
}

type ringOnOut struct {
	Type  string `json:"type"`
	Where string `json:"where"`
}

// parseRingOn reads a phone.ring_on message: {"where":"browser"|"phone"}.
func parseRingOn(raw []byte) (string, error) {
	var m struct {
		Where *string `json:"where"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", badf("not a JSON object with a \"where\" string: %v", err)
	}
	switch {
	case m.Where == nil || *m.Where == "":
		return "", badf("\"where\" is missing; choose %q or %q", RingBrowser, RingPhone)
	case *m.Where == RingBrowser, *m.Where == RingPhone:
		return *m.Where, nil
	}
	return "", badf("calls cannot ring on %q; choose %q or %q", clipText(*m.Where), RingBrowser, RingPhone)
}

// clipText bounds text quoted back to a page.
func clipText(s string) string {
	const show = 40
	r := []rune(s)
	if len(r) > show {
		return string(r[:show]) + "…"
	}
	return s
}

// handleRingOn records where the user's calls ring. The latest choice of
// any of the user's pages holds while that page's WebSocket is open; the
// page says it again after reconnecting. The page is answered with the
// choice in force.
func (ph *Phones) handleRingOn(c *web.Client, raw json.RawMessage) error {
	where, err := parseRingOn(raw)
	if err != nil {
		return ph.refuse(c, msgRingOn, err)
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if where == RingBrowser {
		delete(ph.ringOn, c.User())
	} else {
		ph.ringOn[c.User()] = ringChoice{client: c, where: where}
	}
	ph.watchLocked(c)
	c.Send(ringOnOut{Type: msgRingOn, Where: where})
	return nil
}

// ringsOnPhoneLocked reports whether user's calls are to ring on their SIP
// phone. Called with mu held.
func (ph *Phones) ringsOnPhoneLocked(user string) bool {
	rc, ok := ph.ringOn[user]
	return ok && rc.where == RingPhone
}

// forgetRingOnLocked drops the choice c made, when c goes away. Called
// with mu held.
func (ph *Phones) forgetRingOnLocked(c *web.Client) {
	if rc, ok := ph.ringOn[c.User()]; ok && rc.client == c {
		delete(ph.ringOn, c.User())
	}
}
