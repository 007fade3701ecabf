package app

import (
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
)

// TestHelpKeyOnAgentPhone: with real phones, alice presses * on her SIP
// phone during a call and her help icon turns red; pressed again, blue.
// The customer's * is not hers.
func TestHelpKeyOnAgentPhone(t *testing.T) {
	r := newAssistRig(t, nil)
	alice := r.phone("alice", toneAgent)
	if code := r.login("alice").do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		t.Fatalf("alice available: %d", code)
	}
	cust := r.customer()
	help := func() acd.Help {
		v, err := r.a.Engine().Agent("alice")
		if err != nil {
			t.Fatal(err)
		}
		return v.Help
	}
	cust.b.Command("sndcode", "*")
	alice.b.Command("sndcode", "*")
	waitFor(t, 10*time.Second, "alice's help to be requested", func() bool { return help() == acd.HelpRequested })
	alice.b.Command("sndcode", "*")
	waitFor(t, 10*time.Second, "alice's request to be cancelled", func() bool { return help() == acd.HelpNone })
	cust.b.Command("hangup", "")
}
