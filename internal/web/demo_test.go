package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
)

// fakeDemo is an in-package caller simulator.
type fakeDemo struct {
	mu     sync.Mutex // guards everything below
	st     DemoStatus
	calls  []string // "agent→did" per CallMe
	fail   error
	notNow error // CallMeReady's answer
	setCnt int
}

func (d *fakeDemo) CallMeReady() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.notNow
}

func (d *fakeDemo) Simulator() DemoStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st
}

func (d *fakeDemo) SetSimulator(perMin int, paused bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.CallsPerMinute, d.st.Paused = perMin, paused
	d.setCnt++
}

func (d *fakeDemo) CallMe(_ context.Context, agent, did string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return "", d.fail
	}
	d.calls = append(d.calls, agent+"→"+did)
	return "+15557654321", nil
}

func (d *fakeDemo) snapshot() (DemoStatus, []string, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st, append([]string(nil), d.calls...), d.setCnt
}

func newDemoEnv(t *testing.T) (*env, *fakeDemo) {
	d := &fakeDemo{st: DemoStatus{CallsPerMinute: 6, Placed: 12, Live: 3}}
	return newEnv(t, func(o *Options) { o.Demo, o.CallMe = d, d }), d
}

// TestDemoOutsideTheDemo: without a simulator, GET says enabled false and
// the controls and Call me answer 409 with a sentence saying why.
func TestDemoOutsideTheDemo(t *testing.T) {
	e := newEnv(t)
	admin, alice := e.login("admin"), e.login("alice")
	r := alice.call("GET", "/api/v1/demo", nil)
	expect(t, "GET", r, 200)
	if m := r.json(); m["enabled"] != false || m["call_me"] != false || m["can_change"] != false {
		t.Errorf("outside the demo: %s", r.body)
	}
	r = admin.call("PUT", "/api/v1/demo", map[string]any{"calls_per_minute": 10})
	expect(t, "PUT outside the demo", r, 409)
	if !strings.Contains(r.errMsg(), "earshot demo") {
		t.Errorf("409 says %q", r.errMsg())
	}
	alice.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"})
	r = alice.call("POST", "/api/v1/me/call-me", nil)
	expect(t, "Call me outside the demo", r, 409)
	if r.errMsg() != msgCallMeDemo {
		t.Errorf("409 says %q", r.errMsg())
	}
}

// TestDemoStatus: everyone sees the simulator; supervisors and admins may
// change it; agents of a queue with a number may press Call me.
func TestDemoStatus(t *testing.T) {
	e, _ := newDemoEnv(t)
	for _, tc := range []struct {
		user              string
		canChange, callMe bool
	}{
		{"alice", false, true},
		{"sup-a", true, false},
		{"admin", true, false},
	} {
		r := e.login(tc.user).call("GET", "/api/v1/demo", nil)
		expect(t, tc.user, r, 200)
		m := r.json()
		if m["enabled"] != true || m["calls_per_minute"] != 6.0 || m["paused"] != false || m["placed"] != 12.0 || m["live"] != 3.0 {
			t.Errorf("%s sees %s", tc.user, r.body)
		}
		if m["can_change"] != tc.canChange || m["call_me"] != tc.callMe {
			t.Errorf("%s: can_change %v call_me %v; want %v %v", tc.user, m["can_change"], m["call_me"], tc.canChange, tc.callMe)
		}
	}
	if r := e.anon().call("GET", "/api/v1/demo", nil); r.status != 401 {
		t.Errorf("anonymous GET: %d", r.status)
	}
}

// TestDemoChangeRefused: bad bodies, out-of-range rates and agents are
// refused with a sentence, and the simulator is left as it was.
func TestDemoChangeRefused(t *testing.T) {
	e, d := newDemoEnv(t)
	sup, alice := e.login("sup-a"), e.login("alice")
	for _, tc := range []struct {
		what   string
		c      *client
		body   any
		status int
		says   string
	}{
		{"agent", alice, map[string]any{"calls_per_minute": 10}, 403, "supervisor"},
		{"not JSON", sup, "{rate: 5", 400, "not valid JSON"},
		{"empty body", sup, "", 400, "empty"},
		{"empty object", sup, "{}", 400, "calls_per_minute, paused"},
		{"too many", sup, map[string]any{"calls_per_minute": 121}, 400, "between 0 and 120"},
		{"negative", sup, map[string]any{"calls_per_minute": -1, "paused": true}, 400, "between 0 and 120"},
		{"fraction", sup, `{"calls_per_minute": 2.5}`, 400, "calls_per_minute"},
		{"string", sup, `{"paused": "yes"}`, 400, "paused"},
		{"unknown field", sup, `{"rate": 5}`, 400, "rate"},
		{"two objects", sup, `{"paused": true}{}`, 400, "exactly one"},
	} {
		r := tc.c.call("PUT", "/api/v1/demo", tc.body)
		expect(t, tc.what, r, tc.status)
		if !strings.Contains(r.errMsg(), tc.says) {
			t.Errorf("%s: %q does not say %q", tc.what, r.errMsg(), tc.says)
		}
	}
	if st, _, n := d.snapshot(); n != 0 || st.CallsPerMinute != 6 || st.Paused {
		t.Errorf("refused changes changed the simulator: %+v after %d sets", st, n)
	}
}

// TestDemoChange: a supervisor sets the rate, then pauses; each field
// alone leaves the other as it was.
func TestDemoChange(t *testing.T) {
	e, d := newDemoEnv(t)
	sup := e.login("sup-a")
	r := sup.call("PUT", "/api/v1/demo", map[string]any{"calls_per_minute": 120})
	expect(t, "rate", r, 200)
	if r.json()["calls_per_minute"] != 120.0 {
		t.Errorf("answer %s", r.body)
	}
	expect(t, "pause", sup.call("PUT", "/api/v1/demo", map[string]any{"paused": true}), 200)
	if st, _, _ := d.snapshot(); st.CallsPerMinute != 120 || !st.Paused {
		t.Errorf("simulator %+v; want 120 a minute, paused", st)
	}
	expect(t, "both", e.login("admin").call("PUT", "/api/v1/demo", map[string]any{"calls_per_minute": 0, "paused": false}), 200)
	if st, _, _ := d.snapshot(); st.CallsPerMinute != 0 || st.Paused {
		t.Errorf("simulator %+v; want 0 a minute, running", st)
	}
	r = sup.call("PUT", "/api/v1/demo", map[string]any{"paused": true}, "X-CSRF-Token", "")
	expect(t, "no CSRF token", r, 403)
}

// TestCallMe: an agent who is not Available is told to go Available; an
// Available one gets a call on a number of their team's queue; supervisors
// are not agents.
func TestCallMe(t *testing.T) {
	e, d := newDemoEnv(t)
	alice, bob := e.login("alice"), e.login("bob")
	expect(t, "alice on a break", alice.call("PUT", "/api/v1/me/state", map[string]string{"state": "not_ready", "reason": "Lunch"}), 200)
	r := alice.call("POST", "/api/v1/me/call-me", nil)
	expect(t, "not ready", r, 409)
	if r.errMsg() != msgGoAvailable {
		t.Errorf("not ready: %q", r.errMsg())
	}
	expect(t, "alice available", alice.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"}), 200)
	r = alice.call("POST", "/api/v1/me/call-me", nil)
	expect(t, "alice", r, 202)
	if m := r.json(); m["did"] != "+15550100" || m["queue"] != "sales" || m["caller"] != "+15557654321" {
		t.Errorf("alice's call: %s", r.body)
	}
	expect(t, "bob available", bob.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"}), 200)
	expect(t, "bob with {}", bob.call("POST", "/api/v1/me/call-me", "{}"), 202)
	expect(t, "bob with a body", bob.call("POST", "/api/v1/me/call-me", `{"to": "+1900"}`), 400)
	expect(t, "supervisor", e.login("sup-a").call("POST", "/api/v1/me/call-me", nil), 403)
	expect(t, "no CSRF token", alice.call("POST", "/api/v1/me/call-me", nil, "X-CSRF-Token", ""), 403)
	if _, calls, _ := d.snapshot(); strings.Join(calls, " ") != "alice→+15550100 bob→+15550200" {
		t.Errorf("calls placed: %v", calls)
	}
	d.mu.Lock()
	d.fail = errors.New("no free port")
	d.mu.Unlock()
	r = alice.call("POST", "/api/v1/me/call-me", nil)
	expect(t, "simulator failing", r, 503)
	if !strings.Contains(r.errMsg(), "no free port") {
		t.Errorf("503 says %q", r.errMsg())
	}
}

// TestCallMeNumber: the number comes from a queue of the agent's team
// first, then a queue that names the agent, E.164 numbers first.
func TestCallMeNumber(t *testing.T) {
	cfg := &config.Config{
		Teams: []config.Team{{Name: "T", Agents: []string{"a", "b"}}},
		Queues: []config.Queue{
			{Name: "direct", Agents: []string{"a", "c"}},
			{Name: "team", Teams: []string{"T"}},
			{Name: "nonumber", Agents: []string{"d"}},
		},
		DIDs: []config.DID{
			{Number: "1", Queue: "direct"}, {Number: "+1", Queue: "direct"},
			{Number: "2", Queue: "team"},
		},
	}
	for _, tc := range []struct{ agent, did, queue string }{
		{"a", "2", "team"},
		{"b", "2", "team"},
		{"c", "+1", "direct"},
		{"d", "", ""},
		{"nobody", "", ""},
	} {
		did, queue, ok := callMeNumber(cfg, tc.agent)
		if did != tc.did || queue != tc.queue || ok != (tc.did != "") {
			t.Errorf("%s: %q %q %v; want %q %q", tc.agent, did, queue, ok, tc.did, tc.queue)
		}
	}
}

// TestCallMeOutsideTheDemo: with a dialer but no simulator, only admins
// (who are agents too) may press Call me; when the dialer cannot call now,
// everyone is told why, and GET says Call me is not offered.
func TestCallMeOutsideTheDemo(t *testing.T) {
	d := &fakeDemo{}
	e := newEnv(t, func(o *Options) {
		cfg := testConfig(t)
		cfg.Users[0].Roles = append(cfg.Users[0].Roles, config.RoleAgent) // admin
		cfg.Teams[0].Agents = append(cfg.Teams[0].Agents, "admin")
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		o.Engine = newFakeEngine(cfg, e0clock(o), o.Bus)
		o.Admin = nil
		o.CallMe = d
	})
	admin, alice := e.login("admin"), e.login("alice")
	r := alice.call("GET", "/api/v1/demo", nil)
	if m := r.json(); m["enabled"] != false || m["call_me"] != false {
		t.Errorf("alice outside the demo: %s", r.body)
	}
	r = admin.call("GET", "/api/v1/demo", nil)
	if m := r.json(); m["enabled"] != false || m["call_me"] != true {
		t.Errorf("admin outside the demo: %s", r.body)
	}
	r = alice.call("POST", "/api/v1/me/call-me", nil)
	expect(t, "agent outside the demo", r, 409)
	if r.errMsg() != msgCallMeAdmin {
		t.Errorf("409 says %q", r.errMsg())
	}
	expect(t, "admin", admin.call("POST", "/api/v1/me/call-me", nil), 202)
	expect(t, "PUT /demo still has no demo", admin.call("PUT", "/api/v1/demo", map[string]any{"paused": true}), 409)

	d.mu.Lock()
	d.notNow = fmt.Errorf("%w: no trunk accepts calls from this server", ErrCallMeUnavailable)
	d.mu.Unlock()
	r = admin.call("POST", "/api/v1/me/call-me", nil)
	expect(t, "dialer not ready", r, 409)
	if !strings.Contains(r.errMsg(), "no trunk accepts calls from this server") {
		t.Errorf("409 says %q", r.errMsg())
	}
	if m := admin.call("GET", "/api/v1/demo", nil).json(); m["call_me"] != false {
		t.Errorf("Call me offered while the dialer cannot call: %v", m)
	}
	if _, calls, _ := d.snapshot(); strings.Join(calls, " ") != "admin→+15550100" {
		t.Errorf("calls placed: %v", calls)
	}
}

func e0clock(o *Options) *clock.Fake { return o.Clock.(*clock.Fake) }
