package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// MaxCallIDs bounds how many calls one CallEvents query may name.
const MaxCallIDs = 1000

// CallsArrived implements Store.
func (s *sqlStore) CallsArrived(ctx context.Context, queue string, since, until time.Time, before int64, limit int) ([]events.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("calls arrived: limit %d is not positive: %w", limit, ErrInvalid)
	}
	if before < 0 {
		return nil, fmt.Errorf("calls arrived: negative cursor %d: %w", before, ErrInvalid)
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return nil, fmt.Errorf("calls arrived: until %s is before since %s: %w", until, since, ErrInvalid)
	}
	if err := checkText("calls arrived: queue", queue); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(selectEventsSQL)
	b.WriteString(" AND kind = ?")
	args := []any{int64(0), string(events.CallArrived)}
	if before > 0 {
		b.WriteString(" AND seq < ?")
		args = append(args, before)
	}
	if !since.IsZero() {
		b.WriteString(" AND at_ns >= ?")
		args = append(args, clampNanos(since))
	}
	if !until.IsZero() {
		b.WriteString(" AND at_ns < ?")
		args = append(args, clampNanos(until))
	}
	if queue != "" {
		b.WriteString(" AND queue = ?")
		args = append(args, queue)
	}
	b.WriteString(" ORDER BY seq DESC LIMIT ?")
	args = append(args, limit)
	out, err := s.queryEvents(ctx, b.String(), args)
	if err != nil {
		return nil, fmt.Errorf("calls arrived: %w", err)
	}
	return out, nil
}

// CallEvents implements Store.
func (s *sqlStore) CallEvents(ctx context.Context, ids []string) ([]events.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxCallIDs {
		return nil, fmt.Errorf("call events: %d calls named, at most %d: %w", len(ids), MaxCallIDs, ErrInvalid)
	}
	args := []any{int64(0)}
	for _, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("call events: empty call ID: %w", ErrInvalid)
		}
		if err := checkText("call events: call ID", id); err != nil {
			return nil, err
		}
		args = append(args, id)
	}
	q := selectEventsSQL + " AND call_id IN (?" + strings.Repeat(", ?", len(ids)-1) + ") ORDER BY seq"
	out, err := s.queryEvents(ctx, q, args)
	if err != nil {
		return nil, fmt.Errorf("call events: %w", err)
	}
	return out, nil
}

// queryEvents runs a query that selects the columns of selectEventsSQL.
func (s *sqlStore) queryEvents(ctx context.Context, query string, args []any) ([]events.Event, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, constraintError(err)
	}
	defer rows.Close()
	return scanEvents(rows)
}

func scanEvents(rows *sql.Rows) ([]events.Event, error) {
	var out []events.Event
	for rows.Next() {
		var e events.Event
		var at int64
		var kind string
		if err := rows.Scan(&e.Seq, &at, &kind, &e.Agent, &e.Call, &e.Queue, &e.State,
			&e.Reason, &e.Actor, &e.Caller, &e.DID, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		e.At = fromNanos(at)
		e.Kind = events.Kind(kind)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
