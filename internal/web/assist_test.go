package web

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// deskEngine gives the fake engine what the assist desk drives on top of
// what the web edge uses.
type deskEngine struct{ *fakeEngine }

func (e deskEngine) StartAssisting(agent, sup string) error {
	return e.setHelp(agent, acd.HelpAssisting, sup)
}

func (e deskEngine) ReopenHelp(agent, sup, _ string) error {
	return e.setHelp(agent, acd.HelpRequested, sup)
}

func (e deskEngine) TakeOver(callID, sup string) error {
	e.mu.Lock()
	c, ok := e.calls[callID]
	if !ok || len(c.Agents) == 0 {
		e.mu.Unlock()
		return fmt.Errorf("call %s: %w", callID, acd.ErrNotRouted)
	}
	a := e.agents[c.Agents[0]]
	a.State = acd.ACW
	c.Agents, c.Handlers = nil, append(c.Handlers, sup)
	e.calls[callID] = c
	e.mu.Unlock()
	return nil
}

func (e deskEngine) Hangup(callID, by string) error {
	e.mu.Lock()
	delete(e.calls, callID)
	e.mu.Unlock()
	e.publish(events.Event{Kind: events.CallEnded, Call: callID, Actor: by})
	return nil
}

// onCall puts agent on a connected call of queue.
func (e deskEngine) onCall(agent, callID, queue string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agent]
	a.State, a.Call, a.Queue = acd.OnCall, callID, queue
	e.calls[callID] = acd.CallView{ID: callID, Queue: queue, State: acd.CallConnected, Agents: []string{agent}, Handlers: []string{agent}}
}

// busSink stores by numbering and announces on the bus.
type busSink struct {
	bus *events.Bus
	mu  sync.Mutex // guards seq
	seq int64
}

func (s *busSink) Store(evs []events.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		s.seq++
		evs[i].Seq = 1000 + s.seq
	}
	return nil
}

func (s *busSink) Announce(evs []events.Event) {
	for _, e := range evs {
		s.bus.Publish(e)
	}
}

type phonesOnline map[string]bool

func (p phonesOnline) Online(user string) bool { return p[user] }

// assistEnv is an env with a real assist desk: carol may listen in, the
// dial plan allows 555 numbers, and sup-a's web client is signed in.
func assistEnv(t *testing.T) (*env, deskEngine, *assist.Desk) {
	var de deskEngine
	var desk *assist.Desk
	e := newEnv(t, func(o *Options) {
		de = deskEngine{o.Engine.(*fakeEngine)}
		cfg := de.cfg
		cfg.DialPlan = config.DialPlan{Allow: []string{"+1555XXXXXXX", "sip:*@127.0.0.1"}, Deny: []string{"+1900!"}}
		for i := range cfg.Users {
			if cfg.Users[i].Name == "carol" {
				cfg.Users[i].ListenIn = true
			}
		}
		desk = assist.New(assist.Config{ACD: de, Clock: de.clk, Sink: &busSink{bus: o.Bus}})
		o.Assist = desk
		o.WebPhones = phonesOnline{"sup-a": true}
	})
	return e, de, desk
}

func TestAssistEndpoint(t *testing.T) {
	e, _, _ := assistEnv(t)
	supA, supB := e.login("sup-a"), e.login("sup-b")

	r := supA.call("GET", "/api/v1/me/assist-endpoint", nil)
	expect(t, "no endpoint yet", r, 200)
	if r.json()["endpoint"] != nil {
		t.Fatalf("endpoint before sign-in: %s", r.body)
	}
	r = supA.call("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "+1 555 010 0123"})
	expect(t, "a 555 number", r, 200)
	if ep := r.json()["endpoint"].(map[string]any); ep["kind"] != "phone" || ep["target"] != "+15550100123" {
		t.Fatalf("stored %v", ep)
	}
	r = supA.call("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "+19005550100"})
	expect(t, "a premium number", r, 400)
	if !strings.Contains(r.errMsg(), "not allowed by the dial plan") {
		t.Fatalf("refusal %q does not give the plan's reason", r.errMsg())
	}
	r = supA.call("GET", "/api/v1/me/assist-endpoint", nil)
	if ep := r.json()["endpoint"].(map[string]any); ep["target"] != "+15550100123" {
		t.Fatalf("a refused endpoint replaced the good one: %v", ep)
	}
	expect(t, "web client signed in", supA.call("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "web"}), 200)
	r = supB.call("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "web"})
	expect(t, "web client not signed in", r, 409)
	if r.errMsg() != "Your web client is not signed in: open /phone first" {
		t.Fatalf("refusal %q", r.errMsg())
	}
	for _, bad := range []any{map[string]string{"kind": "fax"}, map[string]string{"kind": "phone"},
		map[string]any{"kind": "phone", "target": 5}, map[string]string{"kind": "web", "extra": "x"}, "not json"} {
		expect(t, fmt.Sprintf("bad body %v", bad), supB.call("PUT", "/api/v1/me/assist-endpoint", bad), 400)
	}
}

func TestAssistAPI(t *testing.T) {
	e, de, desk := assistEnv(t)
	supA, supB, alice := e.login("sup-a"), e.login("sup-b"), e.login("alice")
	expect(t, "sign in", supA.call("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "sip:sup-a@127.0.0.1:5070"}), 200)

	// alice is available: Assist is greyed with the reason, and refused
	r := supA.call("GET", "/api/v1/agents/alice", nil)
	as := r.json()["assist"].(map[string]any)
	if as["allowed"] != false || !strings.Contains(as["why"].(string), "is available") {
		t.Fatalf("assist on an available agent: %v", as)
	}
	r = supA.call("POST", "/api/v1/agents/alice/assist", nil)
	expect(t, "assist an available agent", r, 409)
	if r.errMsg() != as["why"] {
		t.Fatalf("refusal %q is not the row's reason %q", r.errMsg(), as["why"])
	}

	de.onCall("alice", "c1", "sales")
	r = supB.call("POST", "/api/v1/agents/alice/assist", nil)
	expect(t, "a supervisor of another team", r, 403)
	if len(desk.Sessions()) != 0 || de.state("alice").Help != acd.HelpNone {
		t.Fatal("a refused assist changed things")
	}
	r = supA.call("POST", "/api/v1/agents/alice/assist", "{}")
	expect(t, "assist alice", r, 201)
	s := r.json()["session"].(map[string]any)
	id := s["id"].(string)
	if s["mode"] != "ringing" || s["user"] != "sup-a" || s["user_display"] != "User sup-a" || s["agent_display"] != "User alice" ||
		s["call"] != "c1" || r.json()["agent"].(map[string]any)["help"] != "assisting" {
		t.Fatalf("started %s", r.body)
	}
	expect(t, "talk while ringing", supA.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "talk"}), 409)
	if err := desk.Answered(id); err != nil {
		t.Fatal(err)
	}
	r = supA.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "talk"})
	expect(t, "talk", r, 200)
	if r.json()["session"].(map[string]any)["mode"] != "talk" {
		t.Fatalf("after talk: %s", r.body)
	}
	expect(t, "unknown mode", supA.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "shout"}), 400)
	expect(t, "unknown session", supA.call("PUT", "/api/v1/assists/as-nope", map[string]string{"mode": "talk"}), 404)
	expect(t, "another team's supervisor", supB.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "listen"}), 403)
	expect(t, "an agent", alice.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "listen"}), 403)

	// who sees what
	r = supA.call("GET", "/api/v1/agents/alice", nil)
	if by := r.json()["assist"].(map[string]any)["by"].([]any); len(by) != 1 || by[0] != "sup-a" {
		t.Fatalf("row's assisting supervisors %v", by)
	}
	if names := r.json()["assist"].(map[string]any)["names"].(map[string]any); len(names) != 1 || names["sup-a"] != "User sup-a" {
		t.Fatalf("row's display names of who is assisting: %v", names)
	}
	for who, want := range map[*client]int{supA: 1, alice: 1, supB: 0} {
		r := who.call("GET", "/api/v1/assists", nil)
		expect(t, "live sessions", r, 200)
		if n := len(r.json()["assists"].([]any)); n != want {
			t.Errorf("sees %d sessions, want %d: %s", n, want, r.body)
		}
	}
	expect(t, "bad query", supA.call("GET", "/api/v1/assists?x=1", nil), 400)
	expect(t, "bad history", supA.call("GET", "/api/v1/assists?history=maybe", nil), 400)

	r = supA.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "takeover"})
	expect(t, "take over", r, 200)
	if de.state("alice").State != acd.ACW {
		t.Fatalf("alice after take-over: %s", de.state("alice").State)
	}
	expect(t, "close", supA.call("DELETE", "/api/v1/assists/"+id, nil), 204)
	expect(t, "close again", supA.call("DELETE", "/api/v1/assists/"+id, nil), 404)

	// green with nobody assisting: Assist clears it
	r = supA.call("POST", "/api/v1/agents/alice/assist", nil)
	expect(t, "clear green", r, 200)
	if r.json()["cleared"] != true || r.json()["agent"].(map[string]any)["help"] != "none" {
		t.Fatalf("clear: %s", r.body)
	}
}

func TestListenAPI(t *testing.T) {
	e, de, desk := assistEnv(t)
	carol, bob, alice, supA := e.login("carol"), e.login("bob"), e.login("alice"), e.login("sup-a")
	de.onCall("alice", "c1", "sales")
	r := carol.call("POST", "/api/v1/agents/alice/listen", nil)
	expect(t, "listen-in off", r, 409)
	if r.errMsg() != "User alice does not let colleagues listen in" {
		t.Fatalf("refusal %q", r.errMsg())
	}
	expect(t, "alice lets colleagues listen", alice.call("PUT", "/api/v1/me/listen-in", map[string]string{"mode": "all"}), 200)
	expect(t, "no permission", bob.call("POST", "/api/v1/agents/alice/listen", nil), 403)
	expect(t, "unknown agent", carol.call("POST", "/api/v1/agents/zed/listen", nil), 404)
	r = carol.call("POST", "/api/v1/agents/alice/listen", nil)
	expect(t, "carol listens", r, 201)
	id := r.json()["session"].(map[string]any)["id"].(string)
	if err := desk.Answered(id); err != nil {
		t.Fatal(err)
	}
	expect(t, "a listener's session is no assist", supA.call("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "talk"}), 404)
	expect(t, "someone else stops it", bob.call("DELETE", "/api/v1/listens/"+id, nil), 403)
	r = supA.call("GET", "/api/v1/agents/alice", nil)
	if l := r.json()["assist"].(map[string]any)["listeners"].([]any); len(l) != 1 || l[0] != "carol" {
		t.Fatalf("listeners %v", l)
	}
	expect(t, "carol stops", carol.call("DELETE", "/api/v1/listens/"+id, nil), 204)
	if len(desk.Sessions()) != 0 {
		t.Fatalf("sessions left: %+v", desk.Sessions())
	}
}

// TestAssistHistory: the audit groups each session's stored rows.
func TestAssistHistory(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2025, 1, 6, 9, 0, s, 0, time.UTC) }
	hist := fakeHistory{evs: []events.Event{
		{Seq: 1, At: at(0), Kind: events.AssistMode, Agent: "alice", Call: "c1", Actor: "sup-a", State: "ringing", Detail: "as-1"},
		{Seq: 2, At: at(3), Kind: events.AssistMode, Agent: "alice", Call: "c1", Actor: "sup-a", State: "listen", Detail: "as-1"},
		{Seq: 3, At: at(9), Kind: events.AssistMode, Agent: "alice", Call: "c1", Actor: "sup-a", State: "ended", Reason: "closed", Detail: "as-1"},
		{Seq: 4, At: at(1), Kind: events.AssistMode, Agent: "bob", Call: "c2", Actor: "sup-b", State: "ringing", Detail: "as-2"},
		{Seq: 5, At: at(2), Kind: events.ListenSession, Agent: "alice", Call: "c1", Actor: "carol", State: "ringing", Detail: "li-3"},
	}}
	e := newEnv(t, func(o *Options) {
		o.History = hist
		de := deskEngine{o.Engine.(*fakeEngine)}
		o.Assist = assist.New(assist.Config{ACD: de, Clock: de.clk, Sink: &busSink{bus: o.Bus}})
	})
	supA, admin := e.login("sup-a"), e.login("admin")
	r := supA.call("GET", "/api/v1/assists?history=1", nil)
	expect(t, "history", r, 200)
	recs := r.json()["history"].([]any)
	if len(recs) != 2 {
		t.Fatalf("sup-a's audit: %s", r.body)
	}
	var closed map[string]any
	for _, x := range recs {
		if m := x.(map[string]any); m["id"] == "as-1" {
			closed = m
		}
	}
	if closed == nil || closed["reason"] != "closed" || len(closed["modes"].([]any)) != 2 || closed["ended"] != "2025-01-06T09:00:09Z" ||
		closed["user_display"] != "User sup-a" || closed["agent_display"] != "User alice" {
		t.Fatalf("record %v", closed)
	}
	if n := len(admin.call("GET", "/api/v1/assists?history=1", nil).json()["history"].([]any)); n != 3 {
		t.Fatalf("admin sees %d records, want 3", n)
	}
	expect(t, "another team's agent", supA.call("GET", "/api/v1/assists?history=1&agent=bob", nil), 403)
}

// TestAssistUnavailable: without a desk the routes say so.
func TestAssistUnavailable(t *testing.T) {
	e := newEnv(t)
	supA := e.login("sup-a")
	expect(t, "no desk", supA.call("POST", "/api/v1/agents/alice/assist", nil), 503)
	r := supA.call("GET", "/api/v1/agents/alice", nil)
	if _, ok := r.json()["assist"]; ok {
		t.Fatalf("a row without a desk has assist: %s", r.body)
	}
}

// TestAssistOnWebSocket: the agent sees who is assisting: the assist's
// events and their own row with the supervisor in it.
func TestAssistOnWebSocket(t *testing.T) {
	e, de, _ := assistEnv(t)
	supA, alice := e.login("sup-a"), e.login("alice")
	expect(t, "sign in", supA.call("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "web"}), 200)
	de.onCall("alice", "c1", "sales")
	conn := alice.stream(t)
	if m := next(t, conn); m["type"] != "snapshot" {
		t.Fatalf("first message %v", m)
	}
	expect(t, "assist", supA.call("POST", "/api/v1/agents/alice/assist", nil), 201)
	sawEvent := false
	for !sawEvent {
		m := next(t, conn)
		if ev, ok := m["event"].(map[string]any); ok && ev["kind"] == "assist.mode" {
			if ev["actor"] != "sup-a" || ev["state"] != "ringing" || ev["agent"] != "alice" {
				t.Fatalf("event %v", ev)
			}
			sawEvent = true
		}
	}
	m := next(t, conn)
	row, _ := m["agent"].(map[string]any)
	by, _ := row["assist"].(map[string]any)["by"].([]any)
	if m["type"] != "agent" || len(by) != 1 || by[0] != "sup-a" {
		t.Fatalf("after the event: %v", m)
	}
}

// FuzzAssistBodies: whatever body the assist routes get, the answer is a
// decision (200, 201, 204) or a clear refusal (400, 404, 409), never a
// server error, and a refusal changes no endpoint.
func FuzzAssistBodies(f *testing.F) {
	for _, s := range []string{`{"kind":"phone","target":"+15550100123"}`, `{"kind":"web"}`, `{"kind":"phone","target":"+19005550100"}`,
		`{"mode":"talk"}`, `{"mode":"takeover"}`, `{}`, ``, `{"kind":1}`, `[]`, `{"kind":"phone","target":"sip:a@127.0.0.1"}x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e, de, _ := assistEnv(t)
		de.onCall("alice", "c1", "sales")
		sup := e.login("sup-a")
		u, _ := url.Parse(e.ts.URL)
		cookies := sup.hc.Jar.Cookies(u)
		serve := func(method, path, body string) int {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", sup.csrf)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			return rec.Code
		}
		before, _ := e.srv.opts.Assist.Endpoint("sup-a")
		code := serve("PUT", "/api/v1/me/assist-endpoint", body)
		if code != 200 && code != 400 && code != 409 {
			t.Fatalf("endpoint %q: %d", body, code)
		}
		if after, _ := e.srv.opts.Assist.Endpoint("sup-a"); code != 200 && after != before {
			t.Fatalf("refused endpoint %q changed it from %+v to %+v", body, before, after)
		}
		for _, path := range []string{"/api/v1/assists/as-x", "/api/v1/agents/alice/assist"} {
			method := "PUT"
			if strings.HasSuffix(path, "/assist") {
				method = "POST"
			}
			if code := serve(method, path, body); code >= 500 {
				t.Fatalf("%s %s %q: %d", method, path, body, code)
			}
		}
	})
}
