package web

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// audited returns the lines of the next config.changed event on sub.
func audited(t *testing.T, sub *events.Sub) (string, []string) {
	t.Helper()
	for {
		select {
		case e := <-sub.C:
			if e.Kind == events.ConfigChanged {
				return e.Actor, strings.Split(e.Detail, "\n")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no config.changed event")
		}
	}
}

func changes(r result) []string {
	var out []string
	for _, c := range r.json()["changes"].([]any) {
		out = append(out, c.(string))
	}
	return out
}

// TestAdminEditsApplyAndAudit: each section's route changes only its part,
// the change is in force at once, and the audit says precisely what
// changed.
func TestAdminEditsApplyAndAudit(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	sub := e.bus.Subscribe(16)
	defer sub.Close()

	for _, tc := range []struct {
		what, method, path string
		body               any
		want               []string
	}{
		{"add an agent to a team", "PUT", "/api/v1/teams/A", map[string]any{"agents": []string{"alice", "carol", "bob"}, "supervisors": []string{"sup-a"}},
			[]string{"team A: agents + bob"}},
		{"change a queue's wrap-up", "PUT", "/api/v1/queues/sales", map[string]any{"teams": []string{"A"}, "strategy": "longest-idle", "ring_timeout": 20e9, "wrap_up": 2e9},
			[]string{"queue sales: wrap-up 30s → 2s"}},
		{"forbid a dial pattern", "PUT", "/api/v1/dialplan", map[string]any{"allow": []string{"+44XXXXXXXXXX"}, "deny": []string{"+4420XXXXXXXX"}},
			[]string{"dial plan: allow + +44XXXXXXXXXX", "dial plan: deny + +4420XXXXXXXX"}},
		{"user details", "PATCH", "/api/v1/users/carol", map[string]any{"display": "Carol King", "listen_in": true, "sip_password": "new-sip"},
			[]string{`user carol: display "User carol" → "Carol King"`, "user carol: SIP phone password changed", "user carol: listen-in permission off → on"}},
		{"roles", "PATCH", "/api/v1/users/sup-b", map[string]any{"roles": []string{"supervisor", "agent"}}, []string{"user sup-b: roles + agent"}},
		{"new team", "PUT", "/api/v1/teams/C", map[string]any{"agents": []string{"sup-b"}}, []string{"team C added (agents sup-b; supervisors (none))"}},
		{"new queue", "PUT", "/api/v1/queues/vip", map[string]any{"teams": []string{"C"}, "ring_timeout": 15e9, "wrap_up": 10e9},
			[]string{"queue vip added (longest-idle, ring timeout 15s, wrap-up 10s)"}},
		{"DIDs", "PUT", "/api/v1/dids", map[string]any{"dids": []map[string]any{{"number": "+15550100", "queue": "sales"}, {"number": "+15550200", "queue": "support"}, {"number": "+15550300", "queue": "vip"}}},
			[]string{"DID +15550300 added → queue vip"}},
		{"Not Ready reasons", "PUT", "/api/v1/not-ready-reasons", map[string]any{"reasons": []string{"Lunch", "Coaching"}},
			[]string{"Not Ready reasons: + Coaching, − Training"}},
		{"remove a user", "DELETE", "/api/v1/users/carol", nil, []string{"user carol removed", "team A: agents − carol"}},
	} {
		res := admin.call(tc.method, tc.path, tc.body)
		expect(t, tc.what, res, 200)
		if got := changes(res); !slices.Equal(got, tc.want) {
			t.Errorf("%s: answer says %q, want %q", tc.what, got, tc.want)
		}
		if strings.Contains(string(res.body), "sip-secret") || strings.Contains(string(res.body), "argon2") {
			t.Fatalf("%s: answer leaks a secret", tc.what)
		}
		actor, lines := audited(t, sub)
		if actor != "admin" || !slices.Equal(lines, tc.want) {
			t.Errorf("%s: audited as %s %q", tc.what, actor, lines)
		}
	}

	cfg := e.eng.Config()
	if q, _ := cfg.Queue("sales"); q.WrapUp != 2*time.Second {
		t.Errorf("sales wrap-up is %s", q.WrapUp)
	}
	if !slices.Equal(cfg.Teams[0].Agents, []string{"alice", "bob"}) || !slices.Equal(cfg.DialPlan.Deny, []string{"+4420XXXXXXXX"}) {
		t.Errorf("team A %v, deny %v", cfg.Teams[0].Agents, cfg.DialPlan.Deny)
	}
	if _, ok := cfg.User("carol"); ok {
		t.Error("carol is still a user")
	}
	if u, _ := cfg.User("sup-b"); !u.Has("agent") || u.SIPPassword != "sip-secret-sup-b" {
		t.Errorf("sup-b is %+v", u)
	}

	// The same again changes nothing and is not audited.
	res := admin.call("PUT", "/api/v1/dialplan", map[string]any{"allow": []string{"+44XXXXXXXXXX"}, "deny": []string{"+4420XXXXXXXX"}})
	expect(t, "same dial plan", res, 200)
	if got := changes(res); len(got) != 0 {
		t.Errorf("an unchanged plan says %q", got)
	}
	select {
	case ev := <-sub.C:
		t.Errorf("an unchanged plan was audited: %+v", ev)
	default:
	}
}

// TestAdminEditsRefuseBadInput: bad values are refused with a sentence
// that says what is wrong, and nothing changes.
func TestAdminEditsRefuseBadInput(t *testing.T) {
	e := newEnv(t)
	admin, sup, alice := e.login("admin"), e.login("sup-a"), e.login("alice")
	before := e.eng.Config()
	queue := func(wrap float64) map[string]any {
		return map[string]any{"teams": []string{"A"}, "ring_timeout": 20e9, "wrap_up": wrap}
	}
	for _, tc := range []struct {
		what, method, path string
		c                  *client
		body               any
		status             int
		want               string
	}{
		{"bad JSON", "PUT", "/api/v1/queues/sales", admin, `{"wrap_up": `, 400, "not valid JSON"},
		{"unknown field", "PUT", "/api/v1/queues/sales", admin, map[string]any{"wrapup": 1}, 400, `unknown field "wrapup"`},
		{"wrap-up as text", "PUT", "/api/v1/queues/sales", admin, map[string]any{"wrap_up": "30s"}, 400, `field "wrap_up" must be a whole number`},
		{"negative wrap-up", "PUT", "/api/v1/queues/sales", admin, queue(-5e9), 400, `queue "sales": wrap_up must not be negative`},
		{"unknown team on a queue", "PUT", "/api/v1/queues/sales", admin, map[string]any{"teams": []string{"Z"}, "ring_timeout": 20e9}, 400, `team "Z" is not defined`},
		{"no ring timeout", "PUT", "/api/v1/queues/sales", admin, map[string]any{"teams": []string{"A"}}, 400, "ring_timeout must be positive"},
		{"bad strategy", "PUT", "/api/v1/queues/sales", admin, map[string]any{"teams": []string{"A"}, "ring_timeout": 20e9, "strategy": "random"}, 400, `unknown strategy "random"`},
		{"overflow to an unknown queue", "PUT", "/api/v1/queues/sales", admin, map[string]any{"teams": []string{"A"}, "ring_timeout": 20e9, "max_wait": 60e9, "on_max_wait": "overflow", "overflow_to": "nope"}, 400, `overflow_to "nope" is not a queue`},
		{"renaming queue", "PUT", "/api/v1/queues/sales", admin, map[string]any{"name": "other", "ring_timeout": 20e9}, 400, "rename is not supported"},
		{"bad queue name", "PUT", "/api/v1/queues/%3Cb%3E", admin, queue(0), 400, "name must be"},
		{"remove unknown queue", "DELETE", "/api/v1/queues/nope", admin, nil, 404, `no queue "nope"`},
		{"remove queue with a DID", "DELETE", "/api/v1/queues/sales", admin, nil, 409, "DID +15550100 leads to queue"},
		{"malformed deny pattern", "PUT", "/api/v1/dialplan", admin, map[string]any{"allow": []string{"+44X."}, "deny": []string{"+44[9-"}}, 400, `deny pattern "+44[9-"`},
		{"malformed allow pattern", "PUT", "/api/v1/dialplan", admin, map[string]any{"allow": []string{"44.X"}}, 400, `allow pattern "44.X"`},
		{"agent who is not a user", "PUT", "/api/v1/teams/A", admin, map[string]any{"agents": []string{"ghost"}}, 400, `agent "ghost" is not a user`},
		{"supervisor without the role", "PUT", "/api/v1/teams/A", admin, map[string]any{"supervisors": []string{"alice"}}, 400, `supervisor "alice" does not have the supervisor role`},
		{"remove team serving a queue", "DELETE", "/api/v1/teams/A", admin, nil, 409, `team "A" serves queue "sales"`},
		{"remove unknown team", "DELETE", "/api/v1/teams/Z", admin, nil, 404, `no team "Z"`},
		{"unknown role", "PATCH", "/api/v1/users/bob", admin, map[string]any{"roles": []string{"boss"}}, 400, `unknown role "boss"`},
		{"no roles", "PATCH", "/api/v1/users/bob", admin, map[string]any{"roles": []string{}}, 400, "roles must list at least one"},
		{"agent role taken from a team member", "PATCH", "/api/v1/users/bob", admin, map[string]any{"roles": []string{"supervisor"}}, 400, `agent "bob" does not have the agent role`},
		{"unknown user", "PATCH", "/api/v1/users/nobody", admin, map[string]any{"listen_in": true}, 404, `no user "nobody"`},
		{"admin role from oneself", "PATCH", "/api/v1/users/admin", admin, map[string]any{"roles": []string{"agent"}}, 409, "admin role from yourself"},
		{"remove oneself", "DELETE", "/api/v1/users/admin", admin, nil, 409, "cannot remove yourself"},
		{"DID to an unknown queue", "PUT", "/api/v1/dids", admin, map[string]any{"dids": []map[string]any{{"number": "+15550100", "queue": "nope"}}}, 400, `queue "nope" is not defined`},
		{"DIDs missing", "PUT", "/api/v1/dids", admin, map[string]any{}, 400, "dids is required"},
		{"no Not Ready reasons", "PUT", "/api/v1/not-ready-reasons", admin, map[string]any{"reasons": []string{}}, 400, "at least one reason"},
		{"duplicate Not Ready reason", "PUT", "/api/v1/not-ready-reasons", admin, map[string]any{"reasons": []string{"Lunch", "lunch"}}, 400, "listed twice"},
		{"supervisor edits a queue", "PUT", "/api/v1/queues/sales", sup, queue(0), 403, "admin role"},
		{"agent edits the dial plan", "PUT", "/api/v1/dialplan", alice, map[string]any{"allow": []string{"X."}}, 403, "admin role"},
		{"agent reads the audit", "GET", "/api/v1/audit", alice, nil, 403, "admin role"},
		{"supervisor tests the dial plan", "POST", "/api/v1/dialplan/check", sup, map[string]any{"target": "+15550100"}, 403, "admin role"},
		{"agent removes a user", "DELETE", "/api/v1/users/bob", alice, nil, 403, "admin role"},
	} {
		res := tc.c.call(tc.method, tc.path, tc.body)
		expect(t, tc.what, res, tc.status)
		if !strings.Contains(res.errMsg(), tc.want) {
			t.Errorf("%s: message %q does not contain %q", tc.what, res.errMsg(), tc.want)
		}
		if e.eng.Config() != before {
			t.Fatalf("%s: configuration changed", tc.what)
		}
	}
	expect(t, "no CSRF token", admin.call("PUT", "/api/v1/dialplan", map[string]any{"allow": []string{"X."}}, "X-CSRF-Token", ""), 403)
	expect(t, "cross-origin", admin.call("PUT", "/api/v1/dialplan", map[string]any{"allow": []string{"X."}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"), 403)
	if e.eng.Config() != before {
		t.Fatal("configuration changed")
	}
}

// TestDialPlanCheck: the tester names the pattern that decides, can try an
// unsaved plan, and refuses bad targets and patterns.
func TestDialPlanCheck(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	expect(t, "save plan", admin.call("PUT", "/api/v1/dialplan", map[string]any{
		"allow": []string{"+44XXXXXXXXXX", "sip:*@127.0.0.1"}, "deny": []string{"+449XXXXXXXXX"}}), 200)
	before := e.eng.Config()
	for _, tc := range []struct {
		what    string
		body    map[string]any
		allowed bool
		target  string
		reason  string
	}{
		{"allowed", map[string]any{"target": "+44 20 7946 0000"}, true, "+442079460000", `matches the allow pattern "+44XXXXXXXXXX"`},
		{"denied", map[string]any{"target": "+44 909 879 0000"}, false, "+449098790000", `matches the deny pattern "+449XXXXXXXXX"`},
		{"no allow pattern", map[string]any{"target": "+1 555 010 0100"}, false, "+15550100100", "no allow pattern matches +15550100100"},
		{"SIP URI", map[string]any{"target": "sip:bob@127.0.0.1:5070"}, true, "sip:bob@127.0.0.1:5070", `"sip:*@127.0.0.1"`},
		{"unsaved deny", map[string]any{"target": "+442079460000", "deny": []string{"+4420XXXXXXXX"}}, false, "+442079460000", `deny pattern "+4420XXXXXXXX"`},
		{"unsaved empty allow", map[string]any{"target": "+442079460000", "allow": []string{}}, false, "+442079460000", "allow list is empty"},
	} {
		res := admin.call("POST", "/api/v1/dialplan/check", tc.body)
		expect(t, tc.what, res, 200)
		m := res.json()
		if m["allowed"] != tc.allowed || m["target"] != tc.target || !strings.Contains(m["reason"].(string), tc.reason) {
			t.Errorf("%s: %s", tc.what, res.body)
		}
	}
	for _, tc := range []struct {
		what string
		body any
		want string
	}{
		{"no target", map[string]any{}, "target is required"},
		{"letters", map[string]any{"target": "call mum"}, "not a dialable number"},
		{"bad pattern", map[string]any{"target": "+442079460000", "allow": []string{"+44[X"}}, `allow pattern "+44[X"`},
		{"bad JSON", "{", "not valid JSON"},
	} {
		res := admin.call("POST", "/api/v1/dialplan/check", tc.body)
		expect(t, tc.what, res, 400)
		if !strings.Contains(res.errMsg(), tc.want) {
			t.Errorf("%s: message %q does not contain %q", tc.what, res.errMsg(), tc.want)
		}
	}
	if e.eng.Config() != before {
		t.Fatal("the tester changed the configuration")
	}
}

// TestAuditList: configuration changes only, one line per change.
func TestAuditList(t *testing.T) {
	at := time.Date(2025, 1, 6, 9, 30, 0, 0, time.UTC)
	e := newEnv(t, func(o *Options) {
		o.History = fakeHistory{evs: []events.Event{
			{Seq: 9, At: at, Kind: events.ConfigChanged, Actor: "admin", Detail: "queue sales: wrap-up 30s → 2s\nteam A: agents + bob"},
			{Seq: 8, Kind: events.AgentState, Agent: "alice", State: "available"},
			{Seq: 7, At: at.Add(-time.Hour), Kind: events.ConfigChanged, Actor: "root", Detail: "dial plan: deny + +44XXXXXXXXXX"},
		}}
	})
	admin := e.login("admin")
	res := admin.call("GET", "/api/v1/audit?limit=5", nil)
	expect(t, "audit", res, 200)
	got := string(res.body)
	want := `{"entries":[{"seq":9,"at":"2025-01-06T09:30:00Z","actor":"admin","changes":["queue sales: wrap-up 30s → 2s","team A: agents + bob"]},` +
		`{"seq":7,"at":"2025-01-06T08:30:00Z","actor":"root","changes":["dial plan: deny + +44XXXXXXXXXX"]}]}` + "\n"
	if got != want {
		t.Errorf("audit:\n got  %s\n want %s", got, want)
	}
	expect(t, "bad limit", admin.call("GET", "/api/v1/audit?limit=0", nil), 400)
	expect(t, "unknown parameter", admin.call("GET", "/api/v1/audit?kind=x", nil), 400)
}

// TestPutConfigAuditsEachChange: a whole configuration sent at once is
// audited change by change, without secrets.
func TestPutConfigAuditsEachChange(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	sub := e.bus.Subscribe(16)
	defer sub.Close()
	var cfg map[string]any
	if err := json.Unmarshal(admin.call("GET", "/api/v1/config", nil).body, &cfg); err != nil {
		t.Fatal(err)
	}
	users := cfg["users"].([]any)
	cfg["users"] = append(users, map[string]any{"name": "dave", "roles": []string{"agent"}, "password": "dave-password"})
	cfg["teams"].([]any)[0].(map[string]any)["agents"] = []string{"alice", "carol", "dave"}
	cfg["queues"].([]any)[1].(map[string]any)["wrap_up"] = 10e9
	cfg["trunks"].([]any)[0].(map[string]any)["password"] = "new-trunk-secret"
	expect(t, "put config", admin.call("PUT", "/api/v1/config", cfg), 200)
	_, lines := audited(t, sub)
	want := []string{"user dave added (agent)", "team A: agents + dave", "queue support: wrap-up 30s → 10s", "trunk carrier: password changed"}
	if !slices.Equal(lines, want) {
		t.Fatalf("audited %q, want %q", lines, want)
	}
}
