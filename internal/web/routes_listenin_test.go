package web

import (
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
)

// Let Listen In from the listener's side: only team mates who allow it
// and are on a call are listed, to users with the permission; listening
// from the web client needs its audio connected, and the session rings
// the web client whatever the monitor chose.
func TestListenableAPI(t *testing.T) {
	e, de, desk := assistEnv(t)
	online := e.srv.opts.WebPhones.(phonesOnline)
	carol, bob, alice := e.login("carol"), e.login("bob"), e.login("alice")
	names := func(r result) []string {
		t.Helper()
		var out []string
		for _, c := range r.json()["colleagues"].([]any) {
			out = append(out, c.(map[string]any)["name"].(string))
		}
		return out
	}

	expect(t, "no permission: no list", bob.call("GET", "/api/v1/me/listenable", nil), 403)
	expect(t, "no permission: no listening", bob.call("POST", "/api/v1/me/listens", map[string]string{"agent": "alice"}), 403)

	r := carol.call("GET", "/api/v1/me/listenable", nil)
	expect(t, "nobody on a call", r, 200)
	if len(names(r)) != 0 {
		t.Fatalf("empty list: %s", r.body)
	}
	de.onCall("alice", "c1", "sales")
	de.onCall("bob", "c2", "support")
	if got := names(carol.call("GET", "/api/v1/me/listenable", nil)); len(got) != 0 {
		t.Fatalf("alice does not allow it yet, listed %v", got)
	}
	expect(t, "alice allows it", alice.call("PUT", "/api/v1/me/listen-in", map[string]string{"mode": "all"}), 200)
	if err := de.SetListenIn("bob", acd.ListenAll); err != nil {
		t.Fatal(err)
	}
	r = carol.call("GET", "/api/v1/me/listenable", nil)
	expect(t, "alice listed", r, 200)
	c0 := r.json()["colleagues"].([]any)
	if len(c0) != 1 {
		t.Fatalf("carol sees %s; want alice only (bob is another team's)", r.body)
	}
	if a := c0[0].(map[string]any); a["name"] != "alice" || a["display"] != "User alice" || a["listen_in"] != "all" || a["queue"] != "sales" || a["session"] != nil || a["caller"] != nil {
		t.Fatalf("alice's entry %v", a)
	}

	for _, bad := range []struct {
		what string
		body any
		code int
	}{
		{"no body", nil, 400},
		{"no agent", map[string]string{}, 400},
		{"unknown field", map[string]string{"agent": "alice", "endpoint": "phone"}, 400},
		{"two objects", `{"agent":"alice"}{}`, 400},
	} {
		expect(t, bad.what, carol.call("POST", "/api/v1/me/listens", bad.body), bad.code)
	}
	expect(t, "audio not connected", carol.call("POST", "/api/v1/me/listens", map[string]string{"agent": "alice"}), 409)
	if n := len(desk.Sessions()); n != 0 {
		t.Fatalf("refusals left %d sessions", n)
	}

	online["carol"] = true
	expect(t, "unknown agent", carol.call("POST", "/api/v1/me/listens", map[string]string{"agent": "zed"}), 404)
	expect(t, "another team's agent", carol.call("POST", "/api/v1/me/listens", map[string]string{"agent": "bob"}), 403)
	r = carol.call("POST", "/api/v1/me/listens", map[string]string{"agent": "alice"})
	expect(t, "carol listens", r, 201)
	ss := r.json()["session"].(map[string]any)
	if ss["kind"] != "listen" || ss["agent"] != "alice" || ss["mode"] != "ringing" || ss["endpoint"].(map[string]any)["kind"] != "web" {
		t.Fatalf("session %v", ss)
	}
	expect(t, "twice", carol.call("POST", "/api/v1/me/listens", map[string]string{"agent": "alice"}), 409)
	r = carol.call("GET", "/api/v1/me/listenable", nil)
	if s := r.json()["colleagues"].([]any)[0].(map[string]any)["session"].(map[string]any); s["id"] != ss["id"] {
		t.Fatalf("alice's entry has session %v, want %v", s, ss["id"])
	}
	if live := desk.Sessions(); len(live) != 1 || live[0].Endpoint.Kind != assist.EndpointWeb {
		t.Fatalf("desk sessions %+v", live)
	}
	expect(t, "carol stops", carol.call("DELETE", "/api/v1/listens/"+ss["id"].(string), nil), 204)
	if s := carol.call("GET", "/api/v1/me/listenable", nil).json()["colleagues"].([]any)[0].(map[string]any)["session"]; s != nil {
		t.Fatalf("stopped session still listed: %v", s)
	}
}

// TestListenableHints: the event stream tells a user with the listen-in
// permission, in a bare {"type":"listenable"}, when something happens to
// a team mate, so the page asks for the list again at once; it names
// nothing. Another team's agents give no hint, and a user without the
// permission gets none.
func TestListenableHints(t *testing.T) {
	e, de, _ := assistEnv(t)
	carol, bob := e.login("carol").stream(t), e.login("bob").stream(t)
	for who, conn := range map[string]*websocket.Conn{"carol": carol, "bob": bob} {
		if m := next(t, conn); m["type"] != "snapshot" {
			t.Fatalf("%s: first message %v", who, m)
		}
	}
	onCall := func(agent, call string) {
		de.onCall(agent, call, "sales")
		e.bus.Publish(events.Event{Kind: events.AgentState, Agent: agent, State: string(acd.OnCall), Call: call})
	}
	onCall("alice", "c1")
	if m := next(t, carol); describe(m) != "listenable" || len(m) != 1 {
		t.Fatalf("carol after alice's call: %v, want a bare listenable hint", m)
	}
	if err := de.SetListenIn("alice", acd.ListenAll); err != nil {
		t.Fatal(err)
	}
	if m := next(t, carol); describe(m) != "listenable" {
		t.Fatalf("carol after alice allows listening: %v", m)
	}
	// bob is another team's: carol hears nothing of him; bob, without the
	// permission, gets his own event and row, and no hint of alice's. An
	// event of alice's that changes neither her state nor her Let Listen
	// In (a help request) gives no hint either.
	if err := de.SetListenIn("bob", acd.ListenAll); err != nil {
		t.Fatal(err)
	}
	e.bus.Publish(events.Event{Kind: events.HelpState, Agent: "alice", State: "requested"})
	onCall("carol", "c3")
	for _, want := range []string{"event listen_in bob", "agent bob"} {
		if m := next(t, bob); describe(m) != want {
			t.Fatalf("bob: %v, want %s", describe(m), want)
		}
	}
	for {
		m := next(t, carol)
		if got := describe(m); got == "listenable" {
			t.Fatalf("carol hinted about bob, or about alice's help request")
		} else if got == "agent carol" {
			break
		}
	}
	e.bus.Publish(events.Event{Kind: events.ConfigChanged, Actor: "admin"})
	if m := next(t, carol); describe(m) != "listenable" {
		t.Fatalf("carol after a configuration change: %v", m)
	}
	if m, err := tryNextWithin(bob, 300*time.Millisecond); err == nil {
		t.Fatalf("bob got %v", m)
	}
}
