package app

import (
	"context"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// TestDemoComesAlive: the demo's simulated customers call in over SIP and
// its bot agents answer, talk, wrap up; queue figures move and a help
// request appears, all within about 20 seconds.
func TestDemoComesAlive(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	a, err := Start(context.Background(), Options{Config: cfg, Demo: true, CallsPerMinute: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sup := newClient(t, a)
	sup.login("admin")

	// count reads the history through the API, as a supervisor's tool would.
	count := func(kind events.Kind, reason string) int {
		var h struct{ Events []events.Event }
		if code := sup.do("GET", "/api/v1/history?limit=1000&kind="+string(kind), nil, &h); code != 200 {
			t.Fatalf("history of %s: %d", kind, code)
		}
		n := 0
		for _, e := range h.Events {
			if reason == "" || e.Reason == reason || e.State == reason {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if count(events.CallOffered, "") > 0 && count(events.CallAnswered, "") > 0 &&
			count(events.AgentState, "acw") > 0 && count(events.HelpState, "requested") > 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("offered %d, answered %d, ACW %d, help requests %d", count(events.CallOffered, ""), count(events.CallAnswered, ""),
		count(events.AgentState, "acw"), count(events.HelpState, "requested"))
	for _, c := range []struct {
		what string
		n    int
	}{
		{"calls offered", count(events.CallOffered, "")},
		{"calls answered by bots", count(events.CallAnswered, "")},
		{"bots in after call work", count(events.AgentState, "acw")},
		{"help requests", count(events.HelpState, "requested")},
	} {
		if c.n == 0 {
			t.Errorf("no %s in the demo's first 30 seconds", c.what)
		}
	}
	var queues struct {
		Queues []struct {
			Name  string
			Stats struct{ Answered int }
		}
	}
	if code := sup.do("GET", "/api/v1/queues", nil, &queues); code != 200 {
		t.Fatalf("queues: %d", code)
	}
	answered := 0
	for _, q := range queues.Queues {
		answered += q.Stats.Answered
	}
	if answered == 0 {
		t.Error("queue figures did not move: nothing answered")
	}
	if placed, _ := a.Callers().Counts(); placed == 0 {
		t.Error("the simulator placed no calls")
	}

	// alice, a person with the listen-in permission, finds a bot team
	// mate on a call who lets colleagues listen in.
	alice := newClient(t, a)
	alice.login("alice")
	var mates struct {
		Colleagues []struct{ Name string }
	}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if code := alice.do("GET", "/api/v1/me/listenable", nil, &mates); code != 200 {
			t.Fatalf("alice's listenable colleagues: %d", code)
		}
		if len(mates.Colleagues) > 0 || time.Now().After(end) {
			break
		}
	}
	if len(mates.Colleagues) == 0 {
		t.Error("no bot team mate of alice's lets colleagues listen in while on a call")
	}
}
