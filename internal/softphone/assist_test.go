package softphone_test

import (
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

const supervisorTone = 1700.0

// A supervisor's web phone assists a routed call, all in web phones: rung
// as an assist, it hears customer and agent while listening and is heard by
// nobody; talking, the agent hears it and the customer does not; after
// taking over, the customer hears it and the agent has left.
func TestAssistInWebPhones(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{})
	r.RouteCalls()
	alice := r.Open("alice")
	alice.Connect(agentTone)
	sam := r.Open("sam")
	sam.Connect(supervisorTone)
	phonetest.Eventually(t, wait, "both web phones up", func() bool { return r.Phones.Online("alice") && r.Phones.Connected("sam") })
	if err := r.Engine.SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	cust := r.Call("+15550142", customerTone)
	ring := alice.Next("call.ringing", wait)
	alice.Send(map[string]string{"type": "call.answer", "call": ring.Str("call")})
	cust.WaitAnswered(wait)

	if _, err := r.Desk.SetEndpoint("sam", assist.Endpoint{Kind: assist.EndpointWeb}); err != nil {
		t.Fatal(err)
	}
	res, err := r.Desk.Start("sam", "alice", assist.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Session.ID
	m := sam.Next("call.ringing", wait)
	if m.Str("kind") != "assist" || m.Str("agent") != "alice" || m.Str("caller") != "+15550142" {
		t.Fatalf("sam rung with %v", m)
	}
	sam.Send(map[string]string{"type": "call.answer", "call": m.Str("call")})
	phonetest.Eventually(t, wait, "listening", func() bool { s, _ := r.Desk.Session(id); return s.Mode == assist.Listen })

	heard := func(what string, ear *phonetest.Ear, yes, no []float64) {
		t.Helper()
		phonetest.Eventually(t, wait, what, func() bool {
			for _, f := range yes {
				if !ear.Hears(f) {
					return false
				}
			}
			for _, f := range no {
				if ear.Hears(f) {
					return false
				}
			}
			return true
		})
	}
	heard("listen: sam hears customer and agent", sam.Ear, []float64{customerTone, agentTone}, nil)
	heard("listen: the customer hears the agent only", cust.Ear, []float64{agentTone}, []float64{supervisorTone})
	heard("listen: the agent hears the customer only", alice.Ear, []float64{customerTone}, []float64{supervisorTone})

	if err := r.Desk.SetMode(id, "sam", assist.Talk); err != nil {
		t.Fatal(err)
	}
	heard("talk: the agent hears sam", alice.Ear, []float64{customerTone, supervisorTone}, nil)
	heard("talk: the customer still does not", cust.Ear, []float64{agentTone}, []float64{supervisorTone})

	if err := r.Desk.TakeOver(id, "sam"); err != nil {
		t.Fatal(err)
	}
	if m := alice.Next("call.ended", wait); m.Str("reason") != "taken_over" {
		t.Fatalf("alice told %v", m)
	}
	heard("take over: the customer hears sam, not the agent", cust.Ear, []float64{supervisorTone}, []float64{agentTone})
	heard("take over: sam hears the customer", sam.Ear, []float64{customerTone}, []float64{agentTone})

	// Hang up on the supervisor's web phone: the session ends, and with a
	// take-over the call too.
	sam.Send(map[string]string{"type": "call.hangup", "call": m.Str("call")})
	phonetest.Eventually(t, wait, "session over", func() bool { _, err := r.Desk.Session(id); return err != nil })
	phonetest.Eventually(t, wait, "call over", func() bool { _, err := r.Engine.Call(cust.Call); return err != nil })
}
