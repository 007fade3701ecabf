package phonetest

import (
	"context"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/stats"
	"github.com/earshot/earshot/internal/web"
)

// journal is the rig's store: it numbers the control plane's and the
// desk's events, keeps them in memory for the history and the audit,
// folds them into today's figures and publishes them once stored.
type journal struct {
	bus  *events.Bus
	book *stats.Book

	mu  sync.Mutex // guards seq and evs
	seq int64
	evs []events.Event
}

// Store numbers and keeps evs.
func (j *journal) Store(evs []events.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range evs {
		j.seq++
		evs[i].Seq = j.seq
		j.evs = append(j.evs, evs[i])
	}
	return nil
}

// Announce counts evs in the figures and publishes them.
func (j *journal) Announce(evs []events.Event) {
	for _, e := range evs {
		j.book.Apply(e)
		j.bus.Publish(e)
	}
}

// Events answers the history: stored events matching f, newest first.
func (j *journal) Events(_ context.Context, f web.HistoryFilter) ([]events.Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []events.Event
	for i := len(j.evs) - 1; i >= 0; i-- {
		e := j.evs[i]
		switch {
		case f.Agent != "" && e.Agent != f.Agent,
			f.Call != "" && e.Call != f.Call,
			f.Kind != "" && e.Kind != f.Kind,
			!f.Since.IsZero() && e.At.Before(f.Since),
			!f.Until.IsZero() && !e.At.Before(f.Until):
			continue
		}
		out = append(out, e)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// figures gives the web edge today's figures from the journal's book.
type figures struct{ j *journal }

func (f figures) AgentStats(name string) web.AgentStats {
	return web.AgentStats(f.j.book.Agent(name, time.Now()))
}

func (f figures) QueueStats(name string) web.QueueStats {
	return web.QueueStats(f.j.book.Queue(name, time.Now()))
}
