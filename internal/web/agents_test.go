package web

import (
	"strings"
	"testing"

	"github.com/earshot/earshot/internal/acd"
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
