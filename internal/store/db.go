package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// sqlStore is the Store for both dialects. Its fields are set by Open and
// never change; the database/sql pools do their own locking, and the
// databases' transactions order concurrent writers.
type sqlStore struct {
	dialect dialectKind
	// w takes every write. For a SQLite file it holds one connection, so
	// writers queue in Go rather than spinning on the file lock.
	w *sql.DB
	// r takes reads: a pool of read-only connections for a SQLite file
	// (WAL lets them run beside the writer); the same pool as w otherwise.
	r *sql.DB
	// insertEvent is prepared once on w.
	insertEvent *sql.Stmt
}

// readOnly is how read transactions are begun: one consistent snapshot
// (SQLite gives that to every transaction and ignores the level).
var readOnly = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

const sqliteBusyTimeoutMS = "10000"

func openSQLite(ctx context.Context, t target) (*sqlStore, error) {
	if t.path == memoryPath {
		// One connection: each connection to ":memory:" is its own database.
		db, err := sql.Open("sqlite", memoryPath+"?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite in memory: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return finishOpen(ctx, sqliteDialect, db, db, "sqlite in memory")
	}
	if dir := filepath.Dir(t.path); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("open sqlite %s: directory %s does not exist", t.path, dir)
		}
	}
	// The file holds password hashes and session IDs: readable by earshot
	// only. SQLite gives its -wal and -shm files the same mode.
	if f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open sqlite %s: %w", t.path, err)
	}
	opts := url.Values{}
	opts.Add("_pragma", "busy_timeout("+sqliteBusyTimeoutMS+")")
	opts.Add("_pragma", "foreign_keys(1)")
	opts.Add("_pragma", "journal_mode(WAL)")
	opts.Add("_pragma", "synchronous(NORMAL)")
	opts.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", t.path+"?"+opts.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", t.path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	ro := url.Values{}
	ro.Add("_pragma", "busy_timeout("+sqliteBusyTimeoutMS+")")
	ro.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", t.path+"?"+ro.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", t.path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return finishOpen(ctx, sqliteDialect, w, r, "sqlite "+t.path)
}

func openPostgres(ctx context.Context, t target) (*sqlStore, error) {
	db, err := sql.Open("pgx", t.url)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redact(t.url), err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	return finishOpen(ctx, postgresDialect, db, db, "postgres "+redact(t.url))
}

// finishOpen checks the connection, migrates and prepares. On error it closes
// what it was given.
func finishOpen(ctx context.Context, k dialectKind, w, r *sql.DB, what string) (_ *sqlStore, err error) {
	s := &sqlStore{dialect: k, w: w, r: r}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := w.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	if err := migrate(ctx, w, k); err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	s.insertEvent, err = w.PrepareContext(ctx, k.rebind(insertEventSQL))
	if err != nil {
		return nil, fmt.Errorf("open %s: prepare: %w", what, err)
	}
	return s, nil
}

// Ping implements Store.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect, err)
	}
	return nil
}

// Close implements Store.
func (s *sqlStore) Close() error {
	var errs []error
	if s.insertEvent != nil {
		errs = append(errs, s.insertEvent.Close())
	}
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", s.dialect, err)
	}
	return nil
}

// inTx runs fn in a write transaction and commits it; any error rolls it back.
func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", constraintError(err))
	}
	return nil
}

// inReadTx runs fn in a read-only transaction, so it sees one snapshot.
func (s *sqlStore) inReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, readOnly)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// q rebinds a query for this store's dialect.
func (s *sqlStore) q(query string) string { return s.dialect.rebind(query) }

// userExists reports whether a user with this name is configured.
func (s *sqlStore) userExists(ctx context.Context, tx *sql.Tx, user string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM users WHERE name = ?"), user).Scan(&n); err != nil {
		return false, fmt.Errorf("look up user %q: %w", user, err)
	}
	return n > 0, nil
}
