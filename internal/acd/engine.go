package acd

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// Engine is the ACD. All its methods are safe for concurrent use; they are
// serialised by one mutex, and timers re-enter through the same mutex.
type Engine struct {
	mu     sync.Mutex // guards every field below
	clk    clock.Clock
	sink   Sink
	cfg    *config.Config
	agents map[string]*agent
	queues map[string]*queue
	calls  map[string]*call
	order  int64 // arrival counter: FIFO order within a priority

	pending []events.Event // events not yet stored
}

type agent struct {
	name      string
	display   string
	teams     []string
	queues    []*queue
	state     State
	reason    string
	since     time.Time
	idleSince time.Time // when the agent last became free for a call
	call      *call     // ringing, on call, or in ACW for it
	handled   int       // calls answered since start (fewest-calls)
	help      Help
	listenIn  ListenIn
	timer     clock.Timer // ring timeout or wrap-up
	gen       int64       // bumped on every state change: stale timers see it
}

type queue struct {
	cfg     config.Queue
	agents  []*agent
	waiting []*call // ordered: priority desc, then order asc
	rr      int     // round-robin position
}

type call struct {
	id       string
	queue    *queue
	caller   string
	did      string
	prefer   string // Inbound.Prefer
	priority int
	order    int64
	arrived  time.Time
	enqueued time.Time // entered the current queue
	state    CallState
	ringing  []*agent
	handler  *agent
	handlers []string
	answered time.Time
	ringTmr  clock.Timer
	waitTmr  clock.Timer
}

// New returns an engine for cfg, with every agent Offline. cfg must be valid.
func New(cfg *config.Config, clk clock.Clock, sink Sink) *Engine {
	e := &Engine{clk: clk, sink: sink, agents: map[string]*agent{}, queues: map[string]*queue{}, calls: map[string]*call{}}
	e.install(cfg)
	return e
}

// install builds agents and queues from cfg, keeping the live state of
// agents that remain. The caller holds mu (or owns e exclusively).
func (e *Engine) install(cfg *config.Config) {
	e.cfg = cfg
	now := e.clk.Now()
	seen := map[string]bool{}
	for _, u := range cfg.Users {
		if !u.Has(config.RoleAgent) {
			continue
		}
		seen[u.Name] = true
		a := e.agents[u.Name]
		if a == nil {
			a = &agent{name: u.Name, state: Offline, since: now, help: HelpNone, listenIn: ListenOff}
			e.agents[u.Name] = a
		}
		a.display = u.Display
		a.teams = cfg.TeamsOfAgent(u.Name)
		a.queues = nil
	}
	for name, a := range e.agents {
		if !seen[name] && a.state == Offline {
			delete(e.agents, name)
		}
	}
	qs := map[string]*queue{}
	for _, qc := range cfg.Queues {
		q := e.queues[qc.Name]
		if q == nil {
			q = &queue{}
		}
		q.cfg = qc
		q.agents = q.agents[:0]
		for _, name := range cfg.QueueAgents(qc.Name) {
			if a := e.agents[name]; a != nil {
				q.agents = append(q.agents, a)
				a.queues = append(a.queues, q)
			}
		}
		qs[qc.Name] = q
	}
	// A removed queue's waiting calls stay where they are until they end;
	// they keep their queue object, which no agent serves any more.
	e.queues = qs
}

// Config returns the configuration in force. Callers must not change it.
func (e *Engine) Config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Reconfigure puts a new, valid configuration in force at once and records
// who changed what. Agents keep their state; calls keep their place; new
// members of a queue may get calls at once.
func (e *Engine) Reconfigure(cfg *config.Config, actor, what string) error {
	return e.do(func() error {
		e.install(cfg)
		e.emit(events.Event{Kind: events.ConfigChanged, Actor: actor, Detail: what})
		for _, a := range e.agents {
			if a.state == Available {
				e.dispatchAgent(a)
			}
		}
		return nil
	})
}

// do runs one command. fn first checks everything that can make the command
// fail and returns an error before changing anything; then it changes state
// and emits an event for each change. At the end the events are stored and,
// once stored, announced. If storing fails the command reports the error;
// the engine has no undo, so its events are kept and stored with the next
// command's, and announced only then: history gets no hole and nothing is
// announced that is not stored.
func (e *Engine) do(fn func() error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := fn()
	if len(e.pending) == 0 {
		return err
	}
	if serr := e.sink.Store(e.pending); serr != nil {
		return fmt.Errorf("store: %w", serr)
	}
	evs := e.pending
	e.pending = nil
	e.sink.Announce(evs)
	return err
}

func (e *Engine) emit(ev events.Event) {
	ev.At = e.clk.Now()
	e.pending = append(e.pending, ev)
}

// setState moves a to st and emits the change.
func (e *Engine) setState(a *agent, st State, reason, actor string) {
	now := e.clk.Now()
	a.state, a.reason, a.since = st, reason, now
	a.gen++
	e.stopTimer(a)
	if st == Available {
		a.idleSince = now
	}
	ev := events.Event{Kind: events.AgentState, Agent: a.name, State: string(st), Reason: reason, Actor: actor}
	if a.call != nil && (st == Ringing || st == OnCall || st == ACW) {
		ev.Call, ev.Queue = a.call.id, a.call.queue.cfg.Name
	}
	e.emit(ev)
}

func (e *Engine) stopTimer(a *agent) {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

func (e *Engine) agent(name string) (*agent, error) {
	a := e.agents[name]
	if a == nil {
		return nil, fmt.Errorf("agent %q: %w", name, ErrUnknownAgent)
	}
	return a, nil
}

// Agent returns a snapshot of one agent.
func (e *Engine) Agent(name string) (AgentView, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.agent(name)
	if err != nil {
		return AgentView{}, err
	}
	return a.view(), nil
}

// Agents returns a snapshot of every agent, by name.
func (e *Engine) Agents() []AgentView {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]AgentView, 0, len(e.agents))
	for _, a := range e.agents {
		out = append(out, a.view())
	}
	slices.SortFunc(out, func(x, y AgentView) int { return cmpString(x.Name, y.Name) })
	return out
}

func (a *agent) view() AgentView {
	v := AgentView{Name: a.name, Display: a.display, Teams: slices.Clone(a.teams), State: a.state, Reason: a.reason,
		Since: a.since, Help: a.help, ListenIn: a.listenIn}
	if c := a.call; c != nil {
		v.Call, v.Queue, v.Caller = c.id, c.queue.cfg.Name, c.caller
		v.CallSince = c.arrived
		if !c.answered.IsZero() {
			v.CallSince = c.answered
		}
	}
	return v
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Queues returns a snapshot of every queue, by name.
func (e *Engine) Queues() []QueueView {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]QueueView, 0, len(e.queues))
	for _, q := range e.queues {
		v := QueueView{Name: q.cfg.Name, Waiting: len(q.waiting), Agents: len(q.agents)}
		for _, c := range q.waiting {
			if v.OldestSince.IsZero() || c.arrived.Before(v.OldestSince) {
				v.OldestSince = c.arrived
			}
		}
		for _, a := range q.agents {
			if a.state == Available {
				v.Available++
			}
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y QueueView) int { return cmpString(x.Name, y.Name) })
	return out
}
