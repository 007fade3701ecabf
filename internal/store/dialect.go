package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Queries are written once, with '?' placeholders, in SQL both databases
// accept; the dialect rebinds them and supplies the few things that differ.

// lockKey names a PostgreSQL advisory lock taken inside a transaction. SQLite
// needs none: its one writer connection begins every transaction IMMEDIATE.
type lockKey int64

// Advisory lock keys: "earsh" in ASCII plus a small number, so they are
// unlikely to collide with another application's locks in a shared database.
const (
	lockMigrations lockKey = 0x6561727368<<8 + iota
	lockEvents             // serialises appends so Seq order is commit order
	lockConfig             // SaveConfig exclusive; writes naming a user shared
)

// lock takes k for the rest of tx (PostgreSQL only). shared locks exclude only
// exclusive ones.
func (k dialectKind) lock(ctx context.Context, tx *sql.Tx, key lockKey, shared bool) error {
	if k != postgresDialect {
		return nil
	}
	q := "SELECT pg_advisory_xact_lock($1)"
	if shared {
		q = "SELECT pg_advisory_xact_lock_shared($1)"
	}
	if _, err := tx.ExecContext(ctx, q, int64(key)); err != nil {
		return fmt.Errorf("take lock %d: %w", key, err)
	}
	return nil
}

// rebind turns '?' placeholders into the dialect's own ($1, $2, … for
// PostgreSQL). A '?' inside a quoted string or identifier, or a comment, is
// left alone.
func (k dialectKind) rebind(q string) string {
	if k != postgresDialect || strings.IndexByte(q, '?') < 0 {
		return q
	}
	return numberPlaceholders(q)
}

func numberPlaceholders(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			end := closing(q, i+1, c)
			b.WriteString(q[i:end])
			i = end - 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				end = len(q) - i
			}
			b.WriteString(q[i : i+end])
			i += end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// closing returns the index just past the quote that closes a string opened
// before from; a doubled quote is an escaped one. An unclosed string runs to
// the end.
func closing(q string, from int, quote byte) int {
	for i := from; i < len(q); i++ {
		if q[i] != quote {
			continue
		}
		if i+1 < len(q) && q[i+1] == quote {
			i++
			continue
		}
		return i + 1
	}
	return len(q)
}

// constraintError classifies a database error: a duplicate key wraps
// ErrConflict, a broken reference or check wraps ErrInvalid. Anything else is
// returned as it is.
func constraintError(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case "23503", "23514", "23502", "22021": // foreign key, check, not null, bad encoding
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return err
}
