package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/events"
)

const insertEventSQL = `INSERT INTO events
	(at_ns, kind, agent, call_id, queue, state, reason, actor, caller, did, detail)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`

const selectEventsSQL = `SELECT seq, at_ns, kind, agent, call_id, queue, state, reason, actor, caller, did, detail
	FROM events WHERE seq > ?`

// checkEvent validates e and returns its time in nanoseconds.
func checkEvent(e *events.Event) (int64, error) {
	if e.Kind == "" {
		return 0, fmt.Errorf("event has no kind: %w", ErrInvalid)
	}
	at, err := toNanos("event time", e.At)
	if err != nil {
		return 0, err
	}
	for _, f := range [...]struct{ name, v string }{
		{"event kind", string(e.Kind)}, {"event agent", e.Agent}, {"event call", e.Call},
		{"event queue", e.Queue}, {"event state", e.State}, {"event reason", e.Reason},
		{"event actor", e.Actor}, {"event caller", e.Caller}, {"event did", e.DID}, {"event detail", e.Detail},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return 0, err
		}
	}
	return at, nil
}

// Append implements Store.
func (s *sqlStore) Append(ctx context.Context, e *events.Event) error {
	one := [1]events.Event{*e}
	if err := s.appendAll(ctx, one[:]); err != nil {
		return fmt.Errorf("append %s event: %w", e.Kind, err)
	}
	*e = one[0]
	return nil
}

// AppendBatch implements Store.
func (s *sqlStore) AppendBatch(ctx context.Context, es []events.Event) error {
	if len(es) == 0 {
		return nil
	}
	if err := s.appendAll(ctx, es); err != nil {
		return fmt.Errorf("append %d events: %w", len(es), err)
	}
	return nil
}

// appendAll writes es in one transaction and, once it has committed, sets
// each Seq and normalises each At to UTC. On error es is left as it was.
func (s *sqlStore) appendAll(ctx context.Context, es []events.Event) error {
	ats := make([]int64, len(es))
	for i := range es {
		at, err := checkEvent(&es[i])
		if err != nil {
			if len(es) > 1 {
				return fmt.Errorf("event %d: %w", i, err)
			}
			return err
		}
		ats[i] = at
	}
	seqs := make([]int64, len(es))
	var err error
	if s.dialect == sqliteDialect && len(es) == 1 {
		// One statement commits on its own; SQLite's one writer keeps
		// Seq order and commit order the same.
		err = insertEvents(ctx, s.insertEvent, es, ats, seqs)
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.dialect.lock(ctx, tx, lockEvents, false); err != nil {
				return err
			}
			stmt := tx.StmtContext(ctx, s.insertEvent)
			defer stmt.Close()
			return insertEvents(ctx, stmt, es, ats, seqs)
		})
	}
	if err != nil {
		return err
	}
	for i := range es {
		es[i].Seq = seqs[i]
		es[i].At = es[i].At.UTC()
	}
	return nil
}

// insertEvents inserts es (with their times in ats) and fills seqs.
func insertEvents(ctx context.Context, stmt *sql.Stmt, es []events.Event, ats, seqs []int64) error {
	for i := range es {
		e := &es[i]
		if err := stmt.QueryRowContext(ctx, ats[i], string(e.Kind), e.Agent, e.Call, e.Queue, e.State,
			e.Reason, e.Actor, e.Caller, e.DID, e.Detail).Scan(&seqs[i]); err != nil {
			return fmt.Errorf("insert: %w", constraintError(err))
		}
	}
	return nil
}

// Events implements Store.
func (s *sqlStore) Events(ctx context.Context, f Filter) ([]events.Event, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("events: negative limit %d: %w", f.Limit, ErrInvalid)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return nil, fmt.Errorf("events: until %s is before since %s: %w", f.Until, f.Since, ErrInvalid)
	}
	for _, t := range [...]struct{ name, v string }{{"agent", f.Agent}, {"call", f.Call}, {"queue", f.Queue}} {
		if err := checkText("events: filter "+t.name, t.v); err != nil {
			return nil, err
		}
	}
	for _, k := range f.Kinds {
		if err := checkText("events: filter kind", string(k)); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	b.WriteString(selectEventsSQL)
	args := []any{f.AfterSeq}
	if !f.Since.IsZero() {
		b.WriteString(" AND at_ns >= ?")
		args = append(args, clampNanos(f.Since))
	}
	if !f.Until.IsZero() {
		b.WriteString(" AND at_ns < ?")
		args = append(args, clampNanos(f.Until))
	}
	for _, c := range [...]struct{ col, v string }{{"agent", f.Agent}, {"call_id", f.Call}, {"queue", f.Queue}} {
		if c.v != "" {
			b.WriteString(" AND " + c.col + " = ?")
			args = append(args, c.v)
		}
	}
	if len(f.Kinds) > 0 {
		b.WriteString(" AND kind IN (?")
		b.WriteString(strings.Repeat(", ?", len(f.Kinds)-1))
		b.WriteString(")")
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	b.WriteString(" ORDER BY seq")
	if f.Newest {
		b.WriteString(" DESC")
	}
	if f.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, f.Limit)
	}
	out, err := s.queryEvents(ctx, b.String(), args)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return out, nil
}

// clampNanos converts a filter bound, saturating outside the storable years
// (a bound beyond them still means "everything on that side").
func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return -1 << 63
	case t.After(maxTime):
		return 1<<63 - 1
	}
	return t.UnixNano()
}
