package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/stats"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/web"
)

// sessions adapts the store's sessions to the web edge's.
type sessions struct{ st store.Store }

func (s sessions) CreateSession(ctx context.Context, x web.Session) error {
	return s.st.CreateSession(ctx, store.Session(x))
}

func (s sessions) Session(ctx context.Context, id string) (web.Session, error) {
	x, err := s.st.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return web.Session{}, fmt.Errorf("session: %w", web.ErrNoSession)
	}
	return web.Session(x), err
}

func (s sessions) DeleteSession(ctx context.Context, id string) error {
	return s.st.DeleteSession(ctx, id)
}

// history adapts the store's event query to the web edge's.
type history struct{ st store.Store }

// historyWindow bounds a query with no start: the last 31 days.
const historyWindow = 31 * 24 * time.Hour

func (h history) Events(ctx context.Context, f web.HistoryFilter) ([]events.Event, error) {
	q := store.Filter{Agent: f.Agent, Call: f.Call, Since: f.Since, Until: f.Until, Limit: f.Limit, Newest: true}
	if f.Kind != "" {
		q.Kinds = []events.Kind{f.Kind}
	}
	if q.Since.IsZero() && f.Call == "" {
		q.Since = time.Now().Add(-historyWindow)
	}
	return h.st.Events(ctx, q)
}

// reconfigurer validates, stores and applies an admin's change.
type reconfigurer struct {
	mu  sync.Mutex // serialises changes: one admin's save at a time
	st  store.Store
	eng *acd.Engine
	// trunks is the SIP edge: trunk changes apply at once (optional).
	trunks trunkSetter
}

func (r *reconfigurer) Reconfigure(ctx context.Context, c *config.Config, actor, what string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w: %w", web.ErrInvalidConfig, err)
	}
	if err := checkSounds(c, r.eng.Config()); err != nil {
		return fmt.Errorf("%w: %w", web.ErrInvalidConfig, err)
	}
	if err := r.checkTrunks(c); err != nil {
		return err
	}
	old := r.eng.Config()
	if err := r.st.SaveConfig(ctx, c); err != nil {
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%w: %w", web.ErrInvalidConfig, err)
		}
		return err
	}
	if err := r.eng.Reconfigure(c, actor, what); err != nil {
		return err
	}
	return r.applyTrunks(old, c)
}

// dailyStats keeps today's figures: a fresh book each local day.
type dailyStats struct {
	mu   sync.Mutex // guards book and day
	clk  clock.Clock
	book *stats.Book
	day  string
}

func newDailyStats(clk clock.Clock, today []events.Event) *dailyStats {
	d := &dailyStats{clk: clk, book: stats.Recount(today), day: dayOf(clk.Now())}
	return d
}

func dayOf(t time.Time) string { return t.Local().Format(time.DateOnly) }

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Local().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

func (d *dailyStats) current() *stats.Book {
	d.mu.Lock()
	defer d.mu.Unlock()
	if day := dayOf(d.clk.Now()); day != d.day {
		d.book, d.day = stats.NewBook(), day
	}
	return d.book
}

func (d *dailyStats) Apply(e events.Event) { d.current().Apply(e) }

func (d *dailyStats) AgentStats(name string) web.AgentStats {
	return web.AgentStats(d.current().Agent(name, d.clk.Now()))
}

func (d *dailyStats) QueueStats(name string) web.QueueStats {
	return web.QueueStats(d.current().Queue(name, d.clk.Now()))
}
