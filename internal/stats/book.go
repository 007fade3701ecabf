// Package stats computes a contact centre's figures — per agent today: calls
// handled, average handle time, average After Call Work, missed calls,
// occupancy; per queue: waiting, longest wait, answered, abandoned, service
// level — from the stored history of events. The same fold serves the live
// view (fed each event as it is announced) and a recount from the store, so
// the two can never disagree.
package stats

import (
	"sync"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// ServiceLevelTarget is the answer time counted as "in service level".
const ServiceLevelTarget = 20 * time.Second

// AgentStats are one agent's figures.
type AgentStats struct {
	Handled   int           `json:"handled"`
	AHT       time.Duration `json:"aht"`     // average handle time: talk + After Call Work
	AvgACW    time.Duration `json:"avg_acw"` // average After Call Work
	Missed    int           `json:"missed"`
	Occupancy float64       `json:"occupancy"` // busy / (busy + available), 0..1
}

// QueueStats are one queue's figures.
type QueueStats struct {
	Waiting      int           `json:"waiting"`
	LongestWait  time.Duration `json:"longest_wait"`
	Answered     int           `json:"answered"`
	Abandoned    int           `json:"abandoned"`
	ServiceLevel float64       `json:"service_level"` // answered within target / (answered + abandoned), 0..1
}

// Book folds events into figures. It is safe for concurrent use.
type Book struct {
	mu     sync.Mutex // guards agents, queues, calls
	agents map[string]*agentBook
	queues map[string]*queueBook
	calls  map[string]*callBook
}

type agentBook struct {
	state      string
	since      time.Time
	busy       time.Duration // ringing, on call, ACW
	idle       time.Duration // available
	handled    int
	missed     int
	talk       time.Duration // summed over finished calls
	talkOpen   map[string]time.Time
	acw        time.Duration
	acwCount   int
	handledEnd int // calls whose handling (talk) ended
}

type queueBook struct {
	waiting   map[string]time.Time // call → arrival
	answered  int
	inService int
	abandoned int
}

type callBook struct {
	queue   string
	arrived time.Time
}

// NewBook returns an empty book.
func NewBook() *Book {
	return &Book{agents: map[string]*agentBook{}, queues: map[string]*queueBook{}, calls: map[string]*callBook{}}
}

// Recount folds a whole history into a new book.
func Recount(evs []events.Event) *Book {
	b := NewBook()
	for _, e := range evs {
		b.Apply(e)
	}
	return b
}

func (b *Book) agent(name string) *agentBook {
	a := b.agents[name]
	if a == nil {
		a = &agentBook{state: "offline", talkOpen: map[string]time.Time{}}
		b.agents[name] = a
	}
	return a
}

func (b *Book) queue(name string) *queueBook {
	q := b.queues[name]
	if q == nil {
		q = &queueBook{waiting: map[string]time.Time{}}
		b.queues[name] = q
	}
	return q
}

// Apply folds one event in. Events must come in order.
func (b *Book) Apply(e events.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e.Kind {
	case events.AgentState:
		a := b.agent(e.Agent)
		a.account(e.At)
		if a.state == "acw" {
			a.acw += e.At.Sub(a.since)
			a.acwCount++
		}
		a.state, a.since = e.State, e.At
	case events.CallArrived:
		b.calls[e.Call] = &callBook{queue: e.Queue, arrived: e.At}
	case events.CallQueued:
		c := b.calls[e.Call]
		if c == nil {
			return
		}
		if c.queue != e.Queue {
			delete(b.queue(c.queue).waiting, e.Call)
			c.queue = e.Queue
		}
		b.queue(e.Queue).waiting[e.Call] = c.arrived
	case events.CallOffered:
		delete(b.queue(e.Queue).waiting, e.Call)
	case events.CallAnswered:
		a := b.agent(e.Agent)
		a.handled++
		a.talkOpen[e.Call] = e.At
		if e.Reason == "take_over" {
			return
		}
		q := b.queue(e.Queue)
		q.answered++
		if c := b.calls[e.Call]; c != nil && e.At.Sub(c.arrived) <= ServiceLevelTarget {
			q.inService++
		}
	case events.CallUnoffered:
		if e.Reason == "missed" {
			b.agent(e.Agent).missed++
		}
	case events.CallHandlerEnded:
		a := b.agent(e.Agent)
		if t, ok := a.talkOpen[e.Call]; ok {
			a.talk += e.At.Sub(t)
			a.handledEnd++
			delete(a.talkOpen, e.Call)
		}
	case events.CallEnded:
		c := b.calls[e.Call]
		delete(b.calls, e.Call)
		if c != nil {
			delete(b.queue(c.queue).waiting, e.Call)
		}
		if e.Reason == "abandoned" {
			b.queue(e.Queue).abandoned++
		}
		// a supervisor who took the call over stops handling it here
		for _, a := range b.agents {
			if t, ok := a.talkOpen[e.Call]; ok {
				a.talk += e.At.Sub(t)
				a.handledEnd++
				delete(a.talkOpen, e.Call)
			}
		}
	}
}

// account adds the time since the last state change to busy or idle.
func (a *agentBook) account(now time.Time) {
	d := now.Sub(a.since)
	switch a.state {
	case "ringing", "on_call", "acw":
		a.busy += d
	case "available":
		a.idle += d
	}
}

// Agent returns an agent's figures as of now.
func (b *Book) Agent(name string, now time.Time) AgentStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.agents[name]
	if a == nil {
		return AgentStats{}
	}
	s := AgentStats{Handled: a.handled, Missed: a.missed}
	if a.acwCount > 0 {
		s.AvgACW = a.acw / time.Duration(a.acwCount)
	}
	if a.handledEnd > 0 {
		s.AHT = (a.talk + a.acw) / time.Duration(a.handledEnd)
	}
	busy, idle := a.busy, a.idle
	if !a.since.IsZero() && now.After(a.since) {
		switch a.state {
		case "ringing", "on_call", "acw":
			busy += now.Sub(a.since)
		case "available":
			idle += now.Sub(a.since)
		}
	}
	if busy+idle > 0 {
		s.Occupancy = float64(busy) / float64(busy+idle)
	}
	return s
}

// Queue returns a queue's figures as of now.
func (b *Book) Queue(name string, now time.Time) QueueStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	if q == nil {
		return QueueStats{}
	}
	s := QueueStats{Waiting: len(q.waiting), Answered: q.answered, Abandoned: q.abandoned}
	for _, t := range q.waiting {
		s.LongestWait = max(s.LongestWait, now.Sub(t))
	}
	if n := q.answered + q.abandoned; n > 0 {
		s.ServiceLevel = float64(q.inService) / float64(n)
	}
	return s
}
