package web

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// cheapHash keeps test logins fast; Verify reads the parameters from the
// hash.
func cheapHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := auth.HashWith(pw, auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testConfig: team A (alice; supervised by sup-a) in queue sales, team B
// (bob; supervised by sup-b) in queue support; admin sees all.
func testConfig(t testing.TB) *config.Config {
	pw := cheapHash(t, "password-1")
	user := func(name string, roles ...config.Role) config.User {
		return config.User{Name: name, Display: "User " + name, Roles: roles, PasswordHash: pw, SIPPassword: "sip-secret-" + name}
	}
	c := &config.Config{
		Listen:   config.Listen{HTTP: "127.0.0.1:0", SIP: "127.0.0.1:0"},
		DataDir:  "/var/lib/earshot",
		Database: "postgres://earshot:db-secret@127.0.0.1/earshot",
		Users: []config.User{
			user("admin", config.RoleAdmin),
			user("sup-a", config.RoleSupervisor),
			user("sup-b", config.RoleSupervisor),
			user("alice", config.RoleAgent),
			user("bob", config.RoleAgent),
			user("carol", config.RoleAgent),
		},
		Teams: []config.Team{
			{Name: "A", Agents: []string{"alice", "carol"}, Supervisors: []string{"sup-a"}},
			{Name: "B", Agents: []string{"bob"}, Supervisors: []string{"sup-b"}},
		},
		Queues: []config.Queue{
			{Name: "sales", Teams: []string{"A"}, Strategy: config.LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second},
			{Name: "support", Teams: []string{"B"}, Strategy: config.LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second},
		},
		DIDs:            []config.DID{{Number: "+15550100", Queue: "sales"}, {Number: "+15550200", Queue: "support"}},
		Trunks:          []config.Trunk{{Name: "carrier", Sources: []string{"127.0.0.1"}, Username: "acct", Password: "trunk-secret"}},
		NotReadyReasons: []string{"Lunch", "Training"},
		AssistRingTime:  30 * time.Second,
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("test configuration is invalid: %v", err)
	}
	return c
}

// fakeEngine is an in-package control plane: enough rules to answer like
// the real one, and events on a real bus.
type fakeEngine struct {
	clk *clock.Fake
	bus *events.Bus

	mu     sync.Mutex // guards everything below
	cfg    *config.Config
	agents map[string]*acd.AgentView
	calls  map[string]acd.CallView
	queues []acd.QueueView
	seq    int64
	gate   chan struct{} // when set, Agent waits for it to close
	gated  chan struct{} // signalled when Agent starts waiting on gate
}

func newFakeEngine(cfg *config.Config, clk *clock.Fake, bus *events.Bus) *fakeEngine {
	e := &fakeEngine{clk: clk, bus: bus, cfg: cfg, agents: map[string]*acd.AgentView{}, calls: map[string]acd.CallView{}}
	for _, u := range cfg.Users {
		if u.Has(config.RoleAgent) {
			e.agents[u.Name] = &acd.AgentView{Name: u.Name, Display: u.Display, Teams: cfg.TeamsOfAgent(u.Name),
				State: acd.Available, Since: clk.Now(), Help: acd.HelpNone, ListenIn: acd.ListenOff}
		}
	}
	e.queues = []acd.QueueView{{Name: "sales", Waiting: 2, Agents: 2, Available: 2}, {Name: "support", Waiting: 1, Agents: 1, Available: 1}}
	e.calls["c-sales"] = acd.CallView{ID: "c-sales", Queue: "sales", Caller: "+4411", State: acd.CallQueued}
	e.calls["c-support"] = acd.CallView{ID: "c-support", Queue: "support", Caller: "+4422", State: acd.CallQueued}
	return e
}

// publish stamps and announces an event. e.mu must not be held.
func (e *fakeEngine) publish(ev events.Event) events.Event {
	e.mu.Lock()
	e.seq++
	ev.Seq = e.seq
	e.mu.Unlock()
	ev.At = e.clk.Now()
	e.bus.Publish(ev)
	return ev
}

func (e *fakeEngine) agent(name string) (*acd.AgentView, error) {
	a, ok := e.agents[name]
	if !ok {
		return nil, fmt.Errorf("agent %s: %w", name, acd.ErrUnknownAgent)
	}
	return a, nil
}

func (e *fakeEngine) SetState(agent string, st acd.State, reason, actor string) error {
	e.mu.Lock()
	a, err := e.agent(agent)
	if err == nil && st == acd.NotReady && !slices.Contains(e.cfg.NotReadyReasons, reason) {
		err = fmt.Errorf("agent %s: reason %q: %w", agent, reason, acd.ErrBadReason)
	}
	if err == nil && st == acd.Available && (a.State == acd.OnCall || a.State == acd.Ringing) {
		err = fmt.Errorf("agent %s: cannot go ready while %s: %w", agent, a.State, acd.ErrNotAllowed)
	}
	if err != nil {
		e.mu.Unlock()
		return err
	}
	a.State, a.Reason, a.Since = st, reason, e.clk.Now()
	e.mu.Unlock()
	e.publish(events.Event{Kind: events.AgentState, Agent: agent, State: string(st), Reason: reason, Actor: actor})
	return nil
}

func (e *fakeEngine) setHelp(agent string, h acd.Help, actor string) error {
	e.mu.Lock()
	a, err := e.agent(agent)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	a.Help = h
	e.mu.Unlock()
	e.publish(events.Event{Kind: events.HelpState, Agent: agent, State: string(h), Actor: actor})
	return nil
}

func (e *fakeEngine) RequestHelp(agent string) error { return e.setHelp(agent, acd.HelpRequested, "") }
func (e *fakeEngine) CancelHelp(agent string) error  { return e.setHelp(agent, acd.HelpNone, "") }
func (e *fakeEngine) ClearHelp(agent, actor string) error {
	return e.setHelp(agent, acd.HelpNone, actor)
}

func (e *fakeEngine) SetListenIn(agent string, mode acd.ListenIn) error {
	e.mu.Lock()
	a, err := e.agent(agent)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	a.ListenIn = mode
	e.mu.Unlock()
	e.publish(events.Event{Kind: events.ListenIn, Agent: agent, State: string(mode)})
	return nil
}

func (e *fakeEngine) Agent(name string) (acd.AgentView, error) {
	e.mu.Lock()
	gate, gated := e.gate, e.gated
	e.mu.Unlock()
	if gate != nil {
		gated <- struct{}{}
		<-gate
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.agent(name)
	if err != nil {
		return acd.AgentView{}, err
	}
	return *a, nil
}

func (e *fakeEngine) Agents() []acd.AgentView {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []acd.AgentView
	for _, name := range slices.Sorted(maps.Keys(e.agents)) {
		out = append(out, *e.agents[name])
	}
	return out
}

func (e *fakeEngine) Calls() []acd.CallView {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Collect(maps.Values(e.calls))
}

func (e *fakeEngine) Call(id string) (acd.CallView, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.calls[id]
	if !ok {
		return c, fmt.Errorf("call %s: %w", id, acd.ErrUnknownCall)
	}
	return c, nil
}

func (e *fakeEngine) Queues() []acd.QueueView {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.queues)
}

func (e *fakeEngine) Config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

func (e *fakeEngine) state(agent string) acd.AgentView {
	e.mu.Lock()
	defer e.mu.Unlock()
	return *e.agents[agent]
}

// Reconfigure makes the engine a Reconfigurer too, as the wiring does.
func (e *fakeEngine) Reconfigure(_ context.Context, c *config.Config, actor, what string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	e.mu.Lock()
	e.cfg = c
	e.mu.Unlock()
	e.publish(events.Event{Kind: events.ConfigChanged, Actor: actor, Detail: what})
	return nil
}

// fakeSessions is an in-memory SessionStore.
type fakeSessions struct {
	mu sync.Mutex // guards m
	m  map[string]Session
}

func newFakeSessions() *fakeSessions { return &fakeSessions{m: map[string]Session{}} }

func (f *fakeSessions) CreateSession(_ context.Context, s Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(s.ID) != 64 || s.CSRF == "" || s.User == "" {
		return fmt.Errorf("bad session %+v", s)
	}
	f.m[s.ID] = s
	return nil
}

func (f *fakeSessions) Session(_ context.Context, id string) (Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.m[id]
	if !ok {
		return s, fmt.Errorf("session: %w", ErrNoSession)
	}
	return s, nil
}

func (f *fakeSessions) DeleteSession(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, id)
	return nil
}

func (f *fakeSessions) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m)
}

// fakeStats gives every agent and queue fixed figures.
type fakeStats struct{}

func (fakeStats) AgentStats(string) AgentStats {
	return AgentStats{Handled: 3, AHT: 90 * time.Second, AvgACW: 15 * time.Second, Missed: 1, Occupancy: 0.5}
}

func (fakeStats) QueueStats(string) QueueStats {
	return QueueStats{Waiting: 2, LongestWait: 40 * time.Second, Answered: 10, Abandoned: 1, ServiceLevel: 0.9}
}

// fakeHistory holds a fixed list of events.
type fakeHistory struct{ evs []events.Event }

func (h fakeHistory) Events(_ context.Context, f HistoryFilter) ([]events.Event, error) {
	var out []events.Event
	for _, e := range h.evs {
		if (f.Agent == "" || e.Agent == f.Agent) && (f.Kind == "" || e.Kind == f.Kind) && len(out) < f.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}
