package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// HashToken returns the session ID to store for a session cookie's token:
// its SHA-256 in lower-case hex. A stolen database then yields no usable
// cookie.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// checkSessionID accepts only what HashToken returns.
func checkSessionID(id string) error {
	if len(id) != 2*sha256.Size {
		return fmt.Errorf("session id must be the hex SHA-256 of the token (HashToken), got %d characters: %w", len(id), ErrInvalid)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("session id must be lower-case hex (HashToken): %w", ErrInvalid)
		}
	}
	return nil
}

// CreateSession implements Store.
func (s *sqlStore) CreateSession(ctx context.Context, ss Session) error {
	if err := checkSession(ss); err != nil {
		return fmt.Errorf("create session for %q: %w", ss.User, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lock(ctx, tx, lockConfig, true); err != nil {
			return err
		}
		if ok, err := s.userExists(ctx, tx, ss.User); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("no such user: %w", ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO sessions (id, user_name, csrf, created_ns, expires_ns) VALUES (?, ?, ?, ?, ?)"),
			ss.ID, ss.User, ss.CSRF, ss.Created.UnixNano(), ss.Expires.UnixNano())
		return constraintError(err)
	})
	if err != nil {
		return fmt.Errorf("create session for %q: %w", ss.User, err)
	}
	return nil
}

func checkSession(ss Session) error {
	if err := checkSessionID(ss.ID); err != nil {
		return err
	}
	if ss.User == "" {
		return fmt.Errorf("no user: %w", ErrInvalid)
	}
	if ss.CSRF == "" {
		return fmt.Errorf("no CSRF token: %w", ErrInvalid)
	}
	for _, t := range [...]struct{ name, v string }{{"user", ss.User}, {"CSRF token", ss.CSRF}} {
		if err := checkText(t.name, t.v); err != nil {
			return err
		}
	}
	if _, err := toNanos("created", ss.Created); err != nil {
		return err
	}
	if _, err := toNanos("expires", ss.Expires); err != nil {
		return err
	}
	if !ss.Expires.After(ss.Created) {
		return fmt.Errorf("expires %s is not after created %s: %w",
			ss.Expires.Format(time.RFC3339), ss.Created.Format(time.RFC3339), ErrInvalid)
	}
	return nil
}

// Session implements Store.
func (s *sqlStore) Session(ctx context.Context, id string) (Session, error) {
	if checkSessionID(id) != nil {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	ss := Session{ID: id}
	var created, expires int64
	err := s.r.QueryRowContext(ctx, s.q("SELECT user_name, csrf, created_ns, expires_ns FROM sessions WHERE id = ?"), id).
		Scan(&ss.User, &ss.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	ss.Created, ss.Expires = fromNanos(created), fromNanos(expires)
	return ss, nil
}

// DeleteSession implements Store.
func (s *sqlStore) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, s.q("DELETE FROM sessions WHERE id = ?"), id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements Store.
func (s *sqlStore) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("delete expired sessions: no time given: %w", ErrInvalid)
	}
	if _, err := s.w.ExecContext(ctx, s.q("DELETE FROM sessions WHERE expires_ns <= ?"), clampNanos(now)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
