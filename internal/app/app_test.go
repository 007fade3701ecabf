package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/earshot/earshot/internal/config"
)

// client is one browser: a cookie jar and the CSRF token of its login.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newClient(t *testing.T, a *App) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: "http://" + a.HTTPAddr(), http: &http.Client{Jar: jar}}
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (c *client) login(user string) {
	c.t.Helper()
	var r struct{ CSRF string }
	if code := c.do("POST", "/api/v1/login", map[string]string{"user": user, "password": "demo"}, &r); code != 200 {
		c.t.Fatalf("login %s: %d", user, code)
	}
	c.csrf = r.CSRF
}

func demoConfig(t *testing.T, dir string) *config.Config {
	cfg := config.Demo()
	cfg.DataDir, cfg.Database = dir, ""
	cfg.Listen.HTTP = "127.0.0.1:0"
	return cfg
}

func start(t *testing.T, cfg *config.Config) *App {
	t.Helper()
	a, err := Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRestartKeepsEverything: users, a configuration change made through
// the admin API, and history survive a restart; agents come back Offline
// with their help state, and the restart itself is in the history.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	a := start(t, demoConfig(t, dir))

	agent := newClient(t, a)
	agent.login("alice")
	if code := agent.do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		t.Fatalf("alice available: %d", code)
	}
	if code := agent.do("POST", "/api/v1/me/help", map[string]string{"action": "request"}, nil); code != 200 {
		t.Fatalf("alice asks for help: %d", code)
	}

	admin := newClient(t, a)
	admin.login("admin")
	var cfg map[string]any
	if code := admin.do("GET", "/api/v1/config", nil, &cfg); code != 200 {
		t.Fatalf("get config: %d", code)
	}
	queues := cfg["queues"].([]any)
	queues[0].(map[string]any)["wrap_up"] = 45e9 // 45 s, in nanoseconds as the API shows durations
	if code := admin.do("PUT", "/api/v1/config", cfg, nil); code != 200 {
		t.Fatalf("put config: %d", code)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	b := start(t, demoConfig(t, dir))
	defer b.Close()
	sup := newClient(t, b)
	sup.login("sam") // the stored password still works
	var agents struct {
		Agents []struct {
			Name, State, Help string
		}
	}
	if code := sup.do("GET", "/api/v1/agents", nil, &agents); code != 200 {
		t.Fatalf("agents: %d", code)
	}
	found := false
	for _, ag := range agents.Agents {
		if ag.Name == "alice" {
			found = true
			if ag.State != "offline" || ag.Help != "requested" {
				t.Errorf("alice after restart: %s, help %s; want offline, requested", ag.State, ag.Help)
			}
		}
	}
	if !found {
		t.Fatal("alice is not listed after restart")
	}
	if got := b.Engine().Config().Queues[0].WrapUp.Seconds(); got != 45 {
		t.Errorf("wrap-up after restart: %vs, want 45s (the admin's change)", got)
	}
	var hist struct {
		Events []struct{ Kind, Agent, State, Reason string }
	}
	if code := sup.do("GET", "/api/v1/history?agent=alice", nil, &hist); code != 200 {
		t.Fatalf("history: %d", code)
	}
	var kinds []string
	for _, e := range hist.Events {
		kinds = append(kinds, fmt.Sprintf("%s/%s/%s", e.Kind, e.State, e.Reason))
	}
	want := []string{"agent.state/offline/server restart", "help.state/requested/", "agent.state/available/"}
	for _, w := range want {
		ok := false
		for _, k := range kinds {
			ok = ok || k == w
		}
		if !ok {
			t.Errorf("history of alice lacks %s: %v", w, kinds)
		}
	}
}
