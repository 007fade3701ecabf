package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/events"
)

// env is a server on a real loopback listener with fake parts behind it.
type env struct {
	t    *testing.T
	srv  *Server
	ts   *httptest.Server
	eng  *fakeEngine
	sess *fakeSessions
	bus  *events.Bus
	clk  *clock.Fake
}

func newEnv(t *testing.T, tweak ...func(*Options)) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC))
	bus := events.NewBus()
	eng := newFakeEngine(testConfig(t), clk, bus)
	sess := newFakeSessions()
	opts := Options{
		Engine: eng, Sessions: sess, Stats: fakeStats{}, Admin: eng, Bus: bus, Clock: clk,
		History: fakeHistory{evs: []events.Event{
			{Seq: 1, Kind: events.AgentState, Agent: "alice", State: "available"},
			{Seq: 2, Kind: events.AgentState, Agent: "bob", State: "available"},
			{Seq: 3, Kind: events.CallArrived, Call: "c9", Queue: "support"},
			{Seq: 4, Kind: events.CallArrived, Call: "c8", Queue: "sales"},
			{Seq: 5, Kind: events.ConfigChanged, Actor: "admin", Detail: "x"},
		}},
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range tweak {
		f(&opts)
	}
	e := &env{t: t, srv: New(opts), eng: eng, sess: sess, bus: bus, clk: clk}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		e.ts.Close()
	})
	return e
}

// client is one browser: a cookie jar and the CSRF token from login.
type client struct {
	e    *env
	hc   *http.Client
	csrf string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login logs user in with the test password and fails the test otherwise.
func (e *env) login(user string) *client {
	e.t.Helper()
	c := e.anon()
	res := c.call("POST", "/api/v1/login", map[string]string{"user": user, "password": "password-1"})
	if res.status != 200 {
		e.t.Fatalf("login %s: %d %s", user, res.status, res.body)
	}
	c.csrf = res.json()["csrf"].(string)
	return c
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json() map[string]any {
	var m map[string]any
	json.Unmarshal(r.body, &m)
	return m
}

func (r result) errMsg() string {
	s, _ := r.json()["error"].(string)
	return s
}

// call sends body (JSON-encoded unless it is a string or []byte) with the
// client's CSRF token.
func (c *client) call(method, path string, body any, headers ...string) result {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{status: res.StatusCode, header: res.Header, body: b}
}

// expect checks a status and, for errors, that the body is {"error": "…"}.
func expect(t *testing.T, what string, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
	if status >= 400 && r.errMsg() == "" {
		t.Fatalf("%s: error body %s has no \"error\" sentence", what, r.body)
	}
}
