package web

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/events"
)

func names(t *testing.T, r result, key string) []string {
	t.Helper()
	var out []string
	for _, x := range r.json()[key].([]any) {
		m := x.(map[string]any)
		n, _ := m["name"].(string)
		if n == "" {
			n, _ = m["id"].(string)
		}
		out = append(out, n)
	}
	return out
}

func TestSupervisorSeesOnlyOwnTeams(t *testing.T) {
	e := newEnv(t)
	supA, admin := e.login("sup-a"), e.login("admin")

	res := supA.call("GET", "/api/v1/agents", nil)
	expect(t, "sup-a agents", res, 200)
	if got := strings.Join(names(t, res, "agents"), ","); got != "alice,carol" {
		t.Fatalf("sup-a sees agents %s, want alice,carol", got)
	}
	row := res.json()["agents"].([]any)[0].(map[string]any)
	if row["stats"].(map[string]any)["aht_seconds"] != 90.0 || row["state"] != "available" {
		t.Fatalf("agent row %v", row)
	}
	if got := strings.Join(names(t, admin.call("GET", "/api/v1/agents", nil), "agents"), ","); got != "alice,bob,carol" {
		t.Fatalf("admin sees agents %s", got)
	}
	if got := strings.Join(names(t, supA.call("GET", "/api/v1/queues", nil), "queues"), ","); got != "sales" {
		t.Fatalf("sup-a sees queues %s", got)
	}
	if got := strings.Join(names(t, supA.call("GET", "/api/v1/calls", nil), "calls"), ","); got != "c-sales" {
		t.Fatalf("sup-a sees calls %s", got)
	}
	if got := strings.Join(names(t, admin.call("GET", "/api/v1/calls", nil), "calls"), ","); got != "c-sales,c-support" {
		t.Fatalf("admin sees calls %s", got)
	}

	expect(t, "sup-a reads alice", supA.call("GET", "/api/v1/agents/alice", nil), 200)
	expect(t, "sup-a reads bob", supA.call("GET", "/api/v1/agents/bob", nil), 403)
	expect(t, "sup-a reads a stranger", supA.call("GET", "/api/v1/agents/nobody", nil), 403)
	expect(t, "admin reads a stranger", admin.call("GET", "/api/v1/agents/nobody", nil), 404)

	notReady := map[string]string{"state": "not_ready", "reason": "Training"}
	expect(t, "sup-a acts on bob", supA.call("PUT", "/api/v1/agents/bob/state", notReady), 403)
	expect(t, "sup-a clears bob's help", supA.call("POST", "/api/v1/agents/bob/help", map[string]string{"action": "clear"}), 403)
	if st := e.eng.state("bob").State; st != acd.Available {
		t.Fatalf("bob's state changed to %s by a supervisor of another team", st)
	}
	expect(t, "sup-a history of bob", supA.call("GET", "/api/v1/history?agent=bob", nil), 403)

	sub := e.bus.Subscribe(8)
	defer sub.Close()
	res = admin.call("PUT", "/api/v1/agents/bob/state", notReady)
	expect(t, "admin acts on bob", res, 200)
	if res.json()["state"] != "not_ready" || res.json()["reason"] != "Training" {
		t.Fatalf("answer %s", res.body)
	}
	if ev := <-sub.C; ev.Actor != "admin" || ev.Agent != "bob" {
		t.Fatalf("event %+v: want actor admin", ev)
	}
	expect(t, "sup-a acts on alice", supA.call("PUT", "/api/v1/agents/alice/state", notReady), 200)
	if ev := <-sub.C; ev.Actor != "sup-a" || ev.Reason != "Training" {
		t.Fatalf("event %+v: want actor sup-a with the reason", ev)
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	alice, supA := e.login("alice"), e.login("sup-a")
	for _, p := range []string{"/api/v1/agents", "/api/v1/agents/alice", "/api/v1/queues", "/api/v1/calls", "/api/v1/history"} {
		expect(t, "agent GET "+p, alice.call("GET", p, nil), 403)
	}
	expect(t, "agent forces state", alice.call("PUT", "/api/v1/agents/alice/state", map[string]string{"state": "offline"}), 403)
	expect(t, "agent reads config", alice.call("GET", "/api/v1/config", nil), 403)
	expect(t, "supervisor reads config", supA.call("GET", "/api/v1/config", nil), 403)
	expect(t, "supervisor sets state", supA.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"}), 403)
	expect(t, "anonymous", e.anon().call("GET", "/api/v1/agents", nil), 401)
}

func TestAgentSelfService(t *testing.T) {
	e := newEnv(t)
	c := e.login("alice")
	steps := []struct {
		method, path string
		body         any
		status       int
		check        func(acd.AgentView) bool
	}{
		{"PUT", "/api/v1/me/state", map[string]string{"state": "not_ready", "reason": "Lunch"}, 200,
			func(a acd.AgentView) bool { return a.State == acd.NotReady && a.Reason == "Lunch" }},
		{"PUT", "/api/v1/me/state", map[string]string{"state": "not_ready", "reason": "Nap"}, 400,
			func(a acd.AgentView) bool { return a.Reason == "Lunch" }},
		{"PUT", "/api/v1/me/state", map[string]string{"state": "on_call"}, 400,
			func(a acd.AgentView) bool { return a.State == acd.NotReady }},
		{"PUT", "/api/v1/me/state", map[string]string{"state": "available"}, 200,
			func(a acd.AgentView) bool { return a.State == acd.Available }},
		{"POST", "/api/v1/me/help", map[string]string{"action": "request"}, 200,
			func(a acd.AgentView) bool { return a.Help == acd.HelpRequested }},
		{"POST", "/api/v1/me/help", map[string]string{"action": "shout"}, 400,
			func(a acd.AgentView) bool { return a.Help == acd.HelpRequested }},
		{"POST", "/api/v1/me/help", map[string]string{"action": "cancel"}, 200,
			func(a acd.AgentView) bool { return a.Help == acd.HelpNone }},
		{"PUT", "/api/v1/me/listen-in", map[string]string{"mode": "all"}, 200,
			func(a acd.AgentView) bool { return a.ListenIn == acd.ListenAll }},
		{"PUT", "/api/v1/me/listen-in", map[string]string{"mode": "loud"}, 400,
			func(a acd.AgentView) bool { return a.ListenIn == acd.ListenAll }},
	}
	for i, s := range steps {
		expect(t, s.path, c.call(s.method, s.path, s.body), s.status)
		if a := e.eng.state("alice"); !s.check(a) {
			t.Fatalf("step %d (%s %v): agent now %+v", i, s.path, s.body, a)
		}
	}
	e.eng.mu.Lock()
	e.eng.agents["alice"].State = acd.OnCall
	e.eng.mu.Unlock()
	res := c.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"})
	expect(t, "ready while on a call", res, 409)
	if !strings.Contains(res.errMsg(), "not allowed") {
		t.Fatalf("409 message %q", res.errMsg())
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t)
	c := e.login("alice")
	big := `{"state":"not_ready","reason":"` + strings.Repeat("x", maxBody) + `"}`
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{"state":`, "ends too early"},
		{"syntax", `{"state" "x"}`, "not valid JSON"},
		{"unknown field", `{"state":"available","colour":"red"}`, `unknown field "colour"`},
		{"wrong type", `{"state":5}`, `field "state" must be a string, not a number`},
		{"array body", `[1,2]`, "must be a JSON object"},
		{"empty", ``, "empty"},
		{"two objects", `{"state":"available"}{"state":"offline"}`, "exactly one"},
		{"too large", big, "larger than"},
	} {
		res := c.call("PUT", "/api/v1/me/state", tc.body)
		expect(t, tc.name, res, 400)
		if !strings.Contains(res.errMsg(), tc.want) {
			t.Errorf("%s: message %q does not contain %q", tc.name, res.errMsg(), tc.want)
		}
		if a := e.eng.state("alice"); a.State != acd.Available {
			t.Fatalf("%s: state changed to %s", tc.name, a.State)
		}
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	e := newEnv(t)
	c := e.login("admin")
	expect(t, "unknown API path", c.call("GET", "/api/v1/nothing", nil), 404)
	res := c.call("DELETE", "/api/v1/config", nil)
	expect(t, "wrong method", res, 405)
	if res.header.Get("Allow") != "GET, PUT" {
		t.Fatalf("Allow %q", res.header.Get("Allow"))
	}
	expect(t, "no pages", c.call("GET", "/phone", nil), 404)
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	c := e.anon()
	if r := c.call("GET", "/healthz", nil); r.status != 200 || string(r.body) != "ok\n" {
		t.Fatalf("healthz %d %q", r.status, r.body)
	}
	if r := c.call("GET", "/readyz", nil); r.status != 503 {
		t.Fatalf("readyz before SetReady: %d", r.status)
	}
	e.srv.SetReady(true)
	if r := c.call("GET", "/readyz", nil); r.status != 200 {
		t.Fatalf("readyz after SetReady: %d", r.status)
	}
}

// storedEvents is a Sink for the real ACD and a History over what it
// stored, newest first as the store answers.
type storedEvents struct {
	bus *events.Bus
	mu  sync.Mutex // guards evs
	evs []events.Event
}

func (s *storedEvents) Store(evs []events.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		evs[i].Seq = int64(len(s.evs) + 1)
		s.evs = append(s.evs, evs[i])
	}
	return nil
}

func (s *storedEvents) Announce(evs []events.Event) {
	for _, e := range evs {
		s.bus.Publish(e)
	}
}

func (s *storedEvents) Events(_ context.Context, f HistoryFilter) ([]events.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []events.Event
	for i := len(s.evs) - 1; i >= 0 && len(out) < f.Limit; i-- {
		if e := s.evs[i]; (f.Agent == "" || e.Agent == f.Agent) && (f.Kind == "" || e.Kind == f.Kind) {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestSupervisorEndsACW: a supervisor ending an agent's After Call Work
// (the monitor's "End After Call Work", through the real ACD) is stored
// with the supervisor as actor and the reason given, or a reason that says
// so when none is given, and the history shows it.
func TestSupervisorEndsACW(t *testing.T) {
	var eng *acd.Engine
	e := newEnv(t, func(o *Options) {
		st := &storedEvents{bus: o.Bus}
		eng = acd.New(testConfig(t), o.Clock.(clock.Clock), st)
		o.Engine, o.History = eng, st
	})
	supA, alice := e.login("sup-a"), e.login("alice")
	inACW := func(call string) {
		t.Helper()
		if v, _ := eng.Agent("alice"); v.State != acd.Available {
			expect(t, "alice available", alice.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"}), 200)
		}
		if _, err := eng.Arrive(acd.Inbound{ID: call, DID: "+15550100", Caller: "+15557654321"}); err != nil {
			t.Fatal(err)
		}
		if err := eng.Answer(call, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := eng.Hangup(call, "customer"); err != nil {
			t.Fatal(err)
		}
	}
	lastState := func() map[string]any {
		t.Helper()
		r := supA.call("GET", "/api/v1/history?agent=alice&kind=agent.state&limit=1", nil)
		expect(t, "history", r, 200)
		evs := r.json()["events"].([]any)
		if len(evs) != 1 {
			t.Fatalf("history: %s", r.body)
		}
		return evs[0].(map[string]any)
	}

	for _, tc := range []struct{ given, stored string }{
		{"Wrap-up stuck", "Wrap-up stuck"},
		{"", acd.ReasonACWEnded},
	} {
		inACW("c-" + tc.stored)
		if got := lastState(); got["state"] != "acw" {
			t.Fatalf("before: %v", got)
		}
		r := supA.call("PUT", "/api/v1/agents/alice/state", map[string]string{"state": "available", "reason": tc.given})
		expect(t, "end ACW", r, 200)
		if r.json()["state"] != "available" || r.json()["reason"] != nil {
			t.Fatalf("row after End ACW: %s", r.body)
		}
		if got := lastState(); got["state"] != "available" || got["actor"] != "sup-a" || got["reason"] != tc.stored {
			t.Fatalf("stored %v, want available by sup-a, reason %q", got, tc.stored)
		}
	}
	// Ending ACW twice is refused and stores nothing.
	r := supA.call("PUT", "/api/v1/agents/alice/state", map[string]string{"state": "available", "reason": "again"})
	expect(t, "end ACW of an available agent", r, 409)
	if got := lastState(); got["reason"] != acd.ReasonACWEnded {
		t.Fatalf("a refused change was stored: %v", got)
	}
	// The agent's own Ready stores no reason.
	inACW("c-own")
	expect(t, "alice ready", alice.call("PUT", "/api/v1/me/state", map[string]string{"state": "available", "reason": "done"}), 200)
	if got := lastState(); got["actor"] != nil || got["reason"] != nil {
		t.Fatalf("the agent's own Ready: %v", got)
	}
}
