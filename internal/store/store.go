// Package store keeps earshot's durable state: the event history (every
// timed state change), the configuration (users, teams, queues, DIDs, trunks,
// dial plan), web sessions and per-user preferences. SQLite (pure Go, the
// default) and PostgreSQL sit behind the one Store interface and share one
// database/sql layer; the schema is migrated on Open.
//
// The package stores and returns rows. It does not decide anything: hashing
// passwords, checking session expiry against a clock and validating the
// meaning of a configuration are the callers' jobs.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// Errors callers branch on. Every error returned by a Store wraps one of these
// where it applies, with context in the message.
var (
	// ErrNotFound: the row asked for does not exist (or the store has never
	// been given a configuration).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the row would clash with one already stored (a duplicate
	// key).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed; nothing was written.
	ErrInvalid = errors.New("invalid input")
	// ErrSchemaTooNew: the database was migrated by a newer earshot.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
)

// Store is earshot's persistence. All methods are safe for concurrent use.
type Store interface {
	// Append stores e and sets e.Seq to its place in the history; a Seq
	// given by the caller is ignored. e.At must be set; it is normalised to
	// UTC in place and comes back from Events exactly (to the nanosecond).
	Append(ctx context.Context, e *events.Event) error
	// AppendBatch stores all of es in one transaction, in order, setting
	// each Seq, or stores none of them.
	AppendBatch(ctx context.Context, es []events.Event) error
	// Events returns the stored events that match f, ordered by Seq
	// (ascending unless f.Newest).
	Events(ctx context.Context, f Filter) ([]events.Event, error)
	// CallsArrived returns the call.arrived events of calls that arrived
	// in [since, until) (zero: unbounded) into queue ("" any), with Seq
	// below before (0: no bound), newest first, at most limit (≥ 1).
	CallsArrived(ctx context.Context, queue string, since, until time.Time, before int64, limit int) ([]events.Event, error)
	// CallEvents returns every event of the named calls (at most
	// MaxCallIDs), ordered by Seq.
	CallEvents(ctx context.Context, ids []string) ([]events.Event, error)

	// LoadConfig returns the stored configuration, or ErrNotFound when
	// SaveConfig has never been called. Lists that were empty come back nil.
	LoadConfig(ctx context.Context) (*config.Config, error)
	// SaveConfig replaces the whole stored configuration in one
	// transaction. A user given with an empty PasswordHash keeps the hash
	// already stored for that name. A user with a plain Password and no
	// PasswordHash is rejected (ErrInvalid): plain passwords are never
	// stored. Sessions and preferences of users who are no longer present
	// are deleted.
	SaveConfig(ctx context.Context, c *config.Config) error
	// SetPasswordHash replaces one user's password hash.
	SetPasswordHash(ctx context.Context, user, hash string) error

	// CreateSession stores a new web session for an existing user.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with the given ID (whether expired or
	// not: the caller holds the clock), or ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// DeleteSession removes a session; removing a missing one is not an
	// error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteExpiredSessions removes every session whose Expires is not
	// after now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	// SetPreference stores one preference of an existing user.
	SetPreference(ctx context.Context, user, key, value string) error
	// Preferences returns all preferences of an existing user (an empty
	// map when there are none).
	Preferences(ctx context.Context, user string) (map[string]string, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database. The Store is unusable afterwards.
	Close() error
}

// Filter selects events. Zero fields select everything.
type Filter struct {
	AfterSeq int64         // only events with Seq > AfterSeq
	Since    time.Time     // At >= Since
	Until    time.Time     // At < Until
	Agent    string        // exact match
	Call     string        // exact match
	Queue    string        // exact match
	Kinds    []events.Kind // any of these kinds
	Limit    int           // at most this many; 0: no limit
	// Newest returns the events newest first (Seq descending), so Limit
	// keeps the latest ones. Otherwise they come oldest first.
	Newest bool
}

// Session is one logged-in browser. ID is the hex SHA-256 of the cookie's
// token (see HashToken), never the token itself.
type Session struct {
	ID      string
	User    string
	CSRF    string
	Created time.Time
	Expires time.Time
}

// Open opens (creating if needed) and migrates the database named by dsn:
//   - "sqlite:PATH" or a plain file path: SQLite at PATH, in WAL mode;
//     "sqlite::memory:" keeps everything in memory until Close.
//   - "postgres://…" or "postgresql://…": PostgreSQL (a pgx connection URL).
func Open(ctx context.Context, dsn string) (Store, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	switch t.dialect {
	case sqliteDialect:
		return openSQLite(ctx, t)
	default:
		return openPostgres(ctx, t)
	}
}

// checkText rejects strings that cannot be stored the same way in both
// databases: invalid UTF-8 and NUL bytes (PostgreSQL text refuses both).
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8: %w", field, ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return fmt.Errorf("%s contains a NUL byte: %w", field, ErrInvalid)
		}
	}
	return nil
}

// Times are stored as int64 nanoseconds since the Unix epoch (UTC), which
// round-trips a time.Time exactly and compares the same way in both
// databases. That covers the years 1678 to 2262.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// toNanos converts a time that must be set and representable.
func toNanos(field string, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, fmt.Errorf("%s is not set: %w", field, ErrInvalid)
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("%s %s is outside the years 1678-2262: %w", field, t.Format(time.RFC3339), ErrInvalid)
	}
	return t.UnixNano(), nil
}

// fromNanos is the inverse of toNanos.
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }
