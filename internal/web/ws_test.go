package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/earshot/earshot/internal/events"
)

// dial opens the event stream with the client's cookie.
func (c *client) dial(t *testing.T, headers ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u, _ := url.Parse(c.e.ts.URL)
	h := http.Header{}
	for _, ck := range c.hc.Jar.Cookies(u) {
		h.Add("Cookie", ck.String())
	}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.e.ts.URL, "http")+"/api/v1/events",
		&websocket.DialOptions{HTTPHeader: h})
	if conn != nil {
		t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, res, err
}

func (c *client) stream(t *testing.T) *websocket.Conn {
	t.Helper()
	conn, _, err := c.dial(t)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// next reads one message, waiting at most a few seconds for it.
func next(t *testing.T, conn *websocket.Conn) map[string]any {
	t.Helper()
	m, err := tryNext(conn)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tryNext(conn *websocket.Conn) (map[string]any, error) {
	return tryNextWithin(conn, 5*time.Second)
}

// tryNextWithin reads one message, waiting at most d for it.
func tryNextWithin(conn *websocket.Conn, d time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, b, err := conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func listNames(m map[string]any, key string) string {
	var out []string
	for _, x := range m[key].([]any) {
		row := x.(map[string]any)
		n, _ := row["name"].(string)
		if n == "" {
			n, _ = row["id"].(string)
		}
		out = append(out, n)
	}
	return strings.Join(out, ",")
}

// describe names a stream message for comparison: "event agent.state bob",
// "agent bob".
func describe(m map[string]any) string {
	switch m["type"] {
	case "event":
		ev := m["event"].(map[string]any)
		who, _ := ev["agent"].(string)
		if who == "" {
			who, _ = ev["queue"].(string)
		}
		return "event " + ev["kind"].(string) + " " + who
	case "agent":
		return "agent " + m["agent"].(map[string]any)["name"].(string)
	}
	return m["type"].(string)
}

func TestEventStreamVisibility(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	streams := map[string]*websocket.Conn{}
	snapshots := map[string]string{
		"admin": "alice,bob,carol|sales,support|c-sales,c-support",
		"sup-a": "alice,carol|sales|c-sales",
		"alice": "alice||",
	}
	for _, who := range []string{"admin", "sup-a", "alice"} {
		conn := e.login(who).stream(t)
		m := next(t, conn)
		got := listNames(m, "agents") + "|" + listNames(m, "queues") + "|" + listNames(m, "calls")
		if m["type"] != "snapshot" || got != snapshots[who] {
			t.Fatalf("%s snapshot %s, want %s", who, got, snapshots[who])
		}
		streams[who] = conn
	}

	expect(t, "bob not ready", admin.call("PUT", "/api/v1/agents/bob/state", map[string]string{"state": "not_ready", "reason": "Lunch"}), 200)
	e.bus.Publish(events.Event{Kind: events.CallArrived, Call: "c7", Queue: "support"})
	e.bus.Publish(events.Event{Kind: events.ConfigChanged, Actor: "admin"})
	e.bus.Publish(events.Event{Kind: events.CallArrived, Call: "c6", Queue: "sales"})
	expect(t, "alice help", e.login("alice").call("POST", "/api/v1/me/help", map[string]string{"action": "request"}), 200)

	want := map[string][]string{
		"admin": {"event agent.state bob", "agent bob", "event call.arrived support", "event config.changed ",
			"event call.arrived sales", "event help.state alice", "agent alice"},
		"sup-a": {"event call.arrived sales", "event help.state alice", "agent alice"},
		"alice": {"event help.state alice", "agent alice"},
	}
	for who, msgs := range want {
		for i, w := range msgs {
			m := next(t, streams[who])
			if got := describe(m); got != w {
				t.Fatalf("%s message %d: %s, want %s (%v)", who, i, got, w, m)
			}
			if w == "agent alice" {
				row := m["agent"].(map[string]any)
				if row["help"] != "requested" || row["stats"] == nil {
					t.Fatalf("%s: agent row %v: want help requested, with stats", who, row)
				}
			}
		}
	}
}

func TestEventStreamRefusals(t *testing.T) {
	e := newEnv(t)
	if _, res, err := e.anon().dial(t); err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("without a session: %v %v", err, res)
	}
	alice := e.login("alice")
	if _, res, err := alice.dial(t, "Origin", "http://evil.example"); err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("from another origin: %v %v", err, res)
	}
	expect(t, "plain GET", alice.call("GET", "/api/v1/events", nil), 426)
	if _, _, err := alice.dial(t, "Origin", alice.e.ts.URL); err != nil {
		t.Fatalf("same origin refused: %v", err)
	}
}

func TestEventStreamClientMessages(t *testing.T) {
	e := newEnv(t)
	e.srv.HandleMessage("echo", func(c *Client, msg json.RawMessage) error {
		var in struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(msg, &in); err != nil {
			return errorf(400, "bad echo")
		}
		return c.Send(map[string]string{"type": "echo", "text": in.Text, "user": c.User()})
	})
	conn := e.login("alice").stream(t)
	next(t, conn) // snapshot
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tc := range []struct{ send, want string }{
		{`{"type":"ping"}`, `{"type":"pong"}`},
		{`{"type":"echo","text":"hi"}`, `{"text":"hi","type":"echo","user":"alice"}`},
		{`{"type":"echo","text":5}`, `{"error":"bad echo","for":"echo","type":"error"}`},
		{`{"type":"dance"}`, `{"error":"unknown message type \"dance\"","for":"dance","type":"error"}`},
		{`not json`, `{"error":"a message must be a JSON object with a \"type\"","type":"error"}`},
	} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(tc.send)); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(next(t, conn))
		if string(got) != tc.want {
			t.Fatalf("sent %s, got %s, want %s", tc.send, got, tc.want)
		}
	}
}

func TestSlowStreamIsDropped(t *testing.T) {
	e := newEnv(t)
	e.srv.wsBuffer = 1
	conn := e.login("admin").stream(t)
	next(t, conn) // snapshot

	gate, gated := make(chan struct{}), make(chan struct{}, 1)
	e.eng.mu.Lock()
	e.eng.gate, e.eng.gated = gate, gated
	e.eng.mu.Unlock()
	e.bus.Publish(events.Event{Seq: 1, Kind: events.HelpState, Agent: "alice"})
	select { // the writer is now stuck fetching alice's row
	case <-gated:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream never fetched the agent row")
	}
	e.bus.Publish(events.Event{Seq: 2, Kind: events.HelpState, Agent: "bob"})   // fills the buffer
	e.bus.Publish(events.Event{Seq: 3, Kind: events.HelpState, Agent: "carol"}) // overflows it
	e.eng.mu.Lock()
	e.eng.gate = nil
	e.eng.mu.Unlock()
	close(gate)

	for _, w := range []string{"event help.state alice", "agent alice", "event help.state bob", "agent bob"} {
		if got := describe(next(t, conn)); got != w {
			t.Fatalf("got %s, want %s", got, w)
		}
	}
	_, err := tryNext(conn)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusTryAgainLater || !strings.Contains(ce.Reason, "too slow") {
		t.Fatalf("after falling behind: %v, want close 1013 \"too slow\"", err)
	}
}

func TestLogoutClosesStream(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	conn := alice.stream(t)
	next(t, conn)
	expect(t, "logout", alice.call("POST", "/api/v1/logout", nil), 204)
	_, err := tryNext(conn)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Reason != "logged out" {
		t.Fatalf("after logout: %v", err)
	}
}

func TestShutdownClosesStreams(t *testing.T) {
	e := newEnv(t)
	e.srv.SetReady(true)
	sup := e.login("sup-a")
	conn := sup.stream(t)
	next(t, conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(ctx) }()
	_, err := tryNext(conn)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "server shutting down" {
		t.Fatalf("on shutdown: %v, want close 1001", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if r := sup.call("GET", "/readyz", nil); r.status != 503 {
		t.Fatalf("readyz after shutdown: %d", r.status)
	}
	if _, res, err := sup.dial(t); err == nil || res == nil || res.StatusCode != 503 {
		t.Fatalf("a new stream after shutdown: %v %v", err, res)
	}
}
