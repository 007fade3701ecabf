package acd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/stats"
)

// bigConfig: agents agents, queues queues; every agent serves two to four
// queues; strategies rotate; some queues overflow into the next.
func bigConfig(agents, queues int, rng *rand.Rand) *config.Config {
	cfg := &config.Config{NotReadyReasons: []string{"Break", "Lunch"}}
	strategies := []config.Strategy{config.LongestIdle, config.RoundRobin, config.FewestCalls, config.RingAll}
	members := make([][]string, queues)
	for i := range agents {
		name := fmt.Sprintf("agent%03d", i)
		cfg.Users = append(cfg.Users, config.User{Name: name, Roles: []config.Role{config.RoleAgent}})
		for _, q := range rng.Perm(queues)[:2+rng.IntN(3)] {
			members[q] = append(members[q], name)
		}
	}
	for i := range queues {
		q := config.Queue{Name: fmt.Sprintf("q%02d", i), Agents: members[i], Strategy: strategies[i%len(strategies)],
			RingTimeout: 15 * time.Second, WrapUp: time.Duration(5+rng.IntN(30)) * time.Second}
		if i%5 == 0 {
			q.MaxWait, q.OnMaxWait, q.OverflowTo = 90*time.Second, "overflow", fmt.Sprintf("q%02d", (i+1)%queues)
		} else if i%7 == 0 {
			q.MaxWait, q.OnMaxWait = 120*time.Second, "hangup"
		}
		cfg.Queues = append(cfg.Queues, q)
		cfg.DIDs = append(cfg.DIDs, config.DID{Number: fmt.Sprintf("%d", 1000+i), Queue: q.Name},
			config.DID{Number: fmt.Sprintf("%d", 2000+i), Queue: q.Name, Priority: 1})
	}
	return cfg
}

// simulate drives the engine through calls random calls with random
// answers, misses, rejects, hang-ups and state changes. With check set it
// verifies every invariant after every step.
func simulate(tb testing.TB, calls int, check bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := bigConfig(200, 20, rng)
	clk := clock.NewFake(t0)
	rec := &recorder{discard: !check}
	live := stats.NewBook()
	m := newModel()
	sc := newScope()
	rec.onAnnounce = func(e events.Event) {
		live.Apply(e)
		if check {
			sc.add(e)
			if err := m.apply(e); err != nil {
				tb.Fatalf("event %d %+v: %v", e.Seq, e, err)
			}
		}
	}
	e := New(cfg, clk, rec)
	agents := make([]string, 0, 200)
	for _, u := range cfg.Users {
		agents = append(agents, u.Name)
		if rng.IntN(10) < 8 {
			_ = e.SetState(u.Name, Available, "", "")
		}
	}
	all := make([]*agent, 0, len(e.agents))
	for _, name := range agents {
		all = append(all, e.agents[name])
	}
	placed := 0
	for step := 0; placed < calls || len(e.calls) > 0; step++ {
		switch r := rng.IntN(100); {
		case r < 25 && placed < calls:
			placed++
			did := cfg.DIDs[rng.IntN(len(cfg.DIDs))].Number
			if _, err := e.Arrive(Inbound{ID: fmt.Sprintf("call%06d", placed), DID: did, Caller: "+15550000"}); err != nil {
				tb.Fatal(err)
			}
		case r < 50: // a ringing agent answers, rejects or lets it ring
			if a := pick(rng, all, Ringing); a != nil {
				switch k := rng.IntN(20); {
				case k < 16:
					mustOK(tb, e.Answer(a.call.id, a.name))
				case k < 17:
					mustOK(tb, e.Reject(a.call.id, a.name))
				case k < 18:
					mustOK(tb, e.RingFailed(a.call.id, a.name, ""))
				}
			}
		case r < 70: // a connected call ends, from either side
			if a := pick(rng, all, OnCall); a != nil {
				by := "customer"
				if rng.IntN(2) == 0 {
					by = a.name
				}
				if rng.IntN(50) == 0 {
					mustOK(tb, e.TakeOver(a.call.id, "sup"))
					mustOK(tb, e.Hangup(a.call.id, "customer"))
				} else {
					mustOK(tb, e.Hangup(a.call.id, by))
				}
			}
		case r < 73: // a queued customer gives up
			for _, c := range e.calls {
				if c.state == CallQueued {
					mustOK(tb, e.Hangup(c.id, "customer"))
					break
				}
			}
		case r < 83: // back from Not Ready, or logging in
			if a := pick(rng, all, NotReady, Offline); a != nil {
				mustOK(tb, e.SetState(a.name, Available, "", ""))
			}
		case r < 86: // Ready before wrap-up ends
			if a := pick(rng, all, ACW); a != nil {
				mustOK(tb, e.SetState(a.name, Available, "", ""))
			}
		case r < 88:
			if a := pick(rng, all, Available); a != nil {
				mustOK(tb, e.SetState(a.name, NotReady, "Break", ""))
			}
		case r < 89:
			if a := pick(rng, all, Available, NotReady); a != nil {
				mustOK(tb, e.SetState(a.name, Offline, "", ""))
			}
		case r < 90: // help requests come and go
			name := agents[rng.IntN(len(agents))]
			_ = e.RequestHelp(name)
			_ = e.ClearHelp(agents[rng.IntN(len(agents))], "sup")
		default:
			clk.Advance(time.Duration(rng.IntN(1200)) * time.Millisecond)
		}
		if placed >= calls && step%50 == 0 {
			// drain: every idle agent takes calls so the day ends
			for _, a := range e.agents {
				if a.state == NotReady || a.state == Offline {
					mustOK(tb, e.SetState(a.name, Available, "", ""))
				}
			}
		}
		if simulateProbe != nil {
			simulateProbe(e, step)
		}
		if check {
			var err error
			if step%fullCheckEvery == 0 {
				err = invariants(e, m, nil)
			} else {
				err = invariants(e, m, sc)
			}
			if err != nil {
				tb.Fatalf("after step %d: %v", step, err)
			}
			sc = newScope()
		}
	}
	if !check {
		return
	}
	if err := invariants(e, m, nil); err != nil {
		tb.Fatalf("at the end: %v", err)
	}
	// every change stored once, announced once, in order
	if len(rec.stored) != len(rec.announced) {
		tb.Fatalf("stored %d events, announced %d", len(rec.stored), len(rec.announced))
	}
	for i := range rec.stored {
		if rec.stored[i].Seq != int64(i+1) || rec.announced[i].Seq != rec.stored[i].Seq {
			tb.Fatalf("event %d: stored seq %d, announced seq %d", i, rec.stored[i].Seq, rec.announced[i].Seq)
		}
	}
	// statistics equal a recount from the history
	recount := stats.Recount(rec.stored)
	now := clk.Now()
	answered, abandoned := 0, 0
	for _, q := range cfg.Queues {
		a, b := live.Queue(q.Name, now), recount.Queue(q.Name, now)
		if a != b {
			tb.Fatalf("queue %s: live %+v, recount %+v", q.Name, a, b)
		}
		answered += a.Answered
		abandoned += a.Abandoned
	}
	for _, name := range agents {
		if a, b := live.Agent(name, now), recount.Agent(name, now); a != b {
			tb.Fatalf("agent %s: live %+v, recount %+v", name, a, b)
		}
	}
	// conservation: every call placed was answered, abandoned or timed out
	if answered+abandoned+m.maxWaitEnded != calls || m.arrived != calls {
		tb.Fatalf("placed %d calls, arrived %d: answered %d + abandoned %d + max wait %d", calls, m.arrived, answered, abandoned, m.maxWaitEnded)
	}
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// pick returns a random agent of all in one of the states, or nil.
func pick(rng *rand.Rand, all []*agent, states ...State) *agent {
	n := 0
	for _, a := range all {
		if slices.Contains(states, a.state) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	k := rng.IntN(n)
	for _, a := range all {
		if slices.Contains(states, a.state) {
			if k == 0 {
				return a
			}
			k--
		}
	}
	return nil
}

// model is an independent reading of the event stream: what the history
// says, checked against what the engine says.
type model struct {
	arrived, maxWaitEnded int
	live                  map[string]*modelCall
	offers                map[string]string // agent → call it rings for
	ended                 map[string]bool
	waiting               map[string][]*modelCall // queue → calls waiting
}

type modelCall struct {
	id, queue string
	priority  int
	order     int
}

func newModel() *model {
	return &model{live: map[string]*modelCall{}, offers: map[string]string{}, ended: map[string]bool{}, waiting: map[string][]*modelCall{}}
}

func (m *model) apply(e events.Event) error {
	switch e.Kind {
	case events.CallArrived:
		if m.live[e.Call] != nil || m.ended[e.Call] {
			return fmt.Errorf("call %s arrived twice", e.Call)
		}
		m.arrived++
		prio := 0
		if e.DID[0] == '2' {
			prio = 1
		}
		m.live[e.Call] = &modelCall{id: e.Call, queue: e.Queue, priority: prio, order: m.arrived}
	case events.CallQueued:
		c := m.live[e.Call]
		if c == nil {
			return fmt.Errorf("queued a call that is not live")
		}
		m.unwait(c)
		c.queue = e.Queue
		m.waiting[e.Queue] = append(m.waiting[e.Queue], c)
	case events.CallOffered:
		c := m.live[e.Call]
		if c == nil {
			return fmt.Errorf("offered a call that is not live")
		}
		if prev, ok := m.offers[e.Agent]; ok {
			return fmt.Errorf("agent %s offered %s while ringing for %s", e.Agent, e.Call, prev)
		}
		// FIFO within a priority: nothing better waits in this queue
		for _, w := range m.waiting[e.Queue] {
			if w != c && (w.priority > c.priority || w.priority == c.priority && w.order < c.order) {
				return fmt.Errorf("offered %s (prio %d, #%d) while %s (prio %d, #%d) waits in %s",
					c.id, c.priority, c.order, w.id, w.priority, w.order, e.Queue)
			}
		}
		m.unwait(c)
		m.offers[e.Agent] = e.Call
	case events.CallUnoffered, events.CallAnswered:
		if e.Reason != "take_over" {
			if m.offers[e.Agent] != e.Call {
				return fmt.Errorf("agent %s: %s for %s, but it rang for %q", e.Agent, e.Kind, e.Call, m.offers[e.Agent])
			}
			delete(m.offers, e.Agent)
		}
	case events.CallEnded:
		c := m.live[e.Call]
		if c == nil {
			return fmt.Errorf("call %s ended twice or never arrived", e.Call)
		}
		m.unwait(c)
		delete(m.live, e.Call)
		m.ended[e.Call] = true
		if e.Reason == "max_wait" {
			m.maxWaitEnded++
		}
	}
	return nil
}

func (m *model) unwait(c *modelCall) {
	m.waiting[c.queue] = slices.DeleteFunc(m.waiting[c.queue], func(x *modelCall) bool { return x == c })
}

// scope is what one step touched: the calls, agents and queues its events
// name. Invariants are local to these, so a step is checked on its scope,
// and the whole engine is checked every fullCheckEvery steps and at the end.
type scope struct {
	calls  map[string]bool
	agents map[string]bool
	queues map[string]bool
}

const fullCheckEvery = 500

func newScope() *scope {
	return &scope{calls: map[string]bool{}, agents: map[string]bool{}, queues: map[string]bool{}}
}

func (s *scope) add(e events.Event) {
	if e.Call != "" {
		s.calls[e.Call] = true
	}
	if e.Agent != "" {
		s.agents[e.Agent] = true
	}
	if e.Queue != "" {
		s.queues[e.Queue] = true
	}
}

// invariants checks the engine against itself and against the model, over
// sc (nil: everything).
func invariants(e *Engine, m *model, sc *scope) error {
	if len(e.pending) != 0 {
		return fmt.Errorf("%d events left unstored", len(e.pending))
	}
	if len(e.calls) != len(m.live) {
		return fmt.Errorf("engine has %d live calls, history says %d", len(e.calls), len(m.live))
	}
	queues := e.queues
	if sc != nil {
		queues = map[string]*queue{}
		for name := range sc.queues {
			if q := e.queues[name]; q != nil {
				queues[name] = q
			}
		}
		// a touched call's queue, and the queues of touched agents
		for id := range sc.calls {
			if c := e.calls[id]; c != nil {
				queues[c.queue.cfg.Name] = c.queue
			}
		}
		for name := range sc.agents {
			if a := e.agents[name]; a != nil {
				for _, q := range a.queues {
					queues[q.cfg.Name] = q
				}
			}
		}
	}
	for _, q := range queues {
		seen := map[*call]bool{}
		for _, c := range q.waiting {
			if c.queue != q || seen[c] || c.state != CallQueued || e.calls[c.id] != c {
				return fmt.Errorf("call %s waits twice, in the wrong queue, or while not queued", c.id)
			}
			seen[c] = true
		}
		// work conservation: nobody of this queue is idle while a call waits
		if len(q.waiting) > 0 {
			for _, a := range q.agents {
				if a.state == Available {
					return fmt.Errorf("agent %s is available while %d calls wait in %s", a.name, len(q.waiting), q.cfg.Name)
				}
			}
		}
	}
	calls := e.calls
	if sc != nil {
		calls = map[string]*call{}
		for id := range sc.calls {
			if c := e.calls[id]; c != nil {
				calls[id] = c
			} else if m.live[id] != nil {
				return fmt.Errorf("call %s ended in the engine, live in history", id)
			}
		}
	}
	for id, c := range calls {
		if m.live[id] == nil {
			return fmt.Errorf("call %s live in the engine, ended in history", id)
		}
		switch c.state {
		case CallRinging:
			if len(c.ringing) == 0 || c.handler != nil {
				return fmt.Errorf("ringing call %s rings %d agents", id, len(c.ringing))
			}
			for _, a := range c.ringing {
				if a.state != Ringing || a.call != c {
					return fmt.Errorf("agent %s rings for %s but is %s", a.name, id, a.state)
				}
			}
		case CallConnected:
			if a := c.handler; a != nil && (a.state != OnCall || a.call != c) {
				return fmt.Errorf("agent %s handles %s but is %s", a.name, id, a.state)
			}
		case CallQueued:
			if !slices.Contains(c.queue.waiting, c) {
				return fmt.Errorf("queued call %s is not in its queue", id)
			}
		}
	}
	agents := e.agents
	if sc != nil {
		agents = map[string]*agent{}
		for name := range sc.agents {
			if a := e.agents[name]; a != nil {
				agents[name] = a
			}
		}
	}
	for _, a := range agents {
		// no agent has two calls: the one call it points at names it back
		switch a.state {
		case Ringing:
			if a.call == nil || !slices.Contains(a.call.ringing, a) || e.calls[a.call.id] != a.call {
				return fmt.Errorf("agent %s rings with no live call naming it", a.name)
			}
		case OnCall:
			if a.call == nil || a.call.handler != a || e.calls[a.call.id] != a.call {
				return fmt.Errorf("agent %s is on call with no live call naming it", a.name)
			}
		case Available, NotReady, Offline:
			if a.call != nil {
				return fmt.Errorf("agent %s is %s but holds call %s", a.name, a.state, a.call.id)
			}
		}
		if call, ok := m.offers[a.name]; ok != (a.state == Ringing) || ok && a.call.id != call {
			return fmt.Errorf("agent %s is %s; history says it rings for %q", a.name, a.state, call)
		}
	}
	return nil
}

// TestSimulatedDay: 200 agents, 20 queues, 100,000 calls (10,000 with
// -short), every invariant checked after every step.
func TestSimulatedDay(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	simulate(t, n, true)
}

// BenchmarkSimulatedDay: a day of 100,000 calls through the control plane.
// Target: under 10 s.
func BenchmarkSimulatedDay(b *testing.B) {
	for b.Loop() {
		simulate(b, 100_000, false)
	}
}

var simulateProbe func(e *Engine, step int)
