package store

import (
	"fmt"
	"strings"
)

// dialectKind says which database a DSN names.
type dialectKind int

const (
	sqliteDialect dialectKind = iota
	postgresDialect
)

func (k dialectKind) String() string {
	if k == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// target is a parsed DSN.
type target struct {
	dialect dialectKind
	// path is the SQLite file (or ":memory:"); url is the PostgreSQL URL.
	path string
	url  string
}

const memoryPath = ":memory:"

// parseDSN reads the forms Open accepts. It touches nothing.
func parseDSN(dsn string) (target, error) {
	if strings.TrimSpace(dsn) == "" {
		return target{}, fmt.Errorf("database: empty DSN: %w", ErrInvalid)
	}
	if strings.IndexByte(dsn, 0) >= 0 {
		return target{}, fmt.Errorf("database: DSN contains a NUL byte: %w", ErrInvalid)
	}
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return target{dialect: postgresDialect, url: dsn}, nil
	case strings.HasPrefix(lower, "sqlite:"):
		path := dsn[len("sqlite:"):]
		// sqlite:///abs/path and sqlite://rel/path read as paths too.
		path = strings.TrimPrefix(path, "//")
		return sqliteTarget(dsn, path)
	}
	if i := strings.Index(dsn, "://"); i > 0 {
		return target{}, fmt.Errorf("database %q: unsupported scheme %q (use sqlite:PATH, a file path, or postgres://): %w",
			redact(dsn), dsn[:i], ErrInvalid)
	}
	return sqliteTarget(dsn, dsn)
}

func sqliteTarget(dsn, path string) (target, error) {
	switch {
	case path == "":
		return target{}, fmt.Errorf("database %q: no SQLite file path: %w", dsn, ErrInvalid)
	case path == memoryPath:
		return target{dialect: sqliteDialect, path: memoryPath}, nil
	case strings.ContainsAny(path, "?#"):
		// The driver reads options after '?'; a file name with one would
		// be silently cut.
		return target{}, fmt.Errorf("database %q: SQLite path may not contain '?' or '#': %w", dsn, ErrInvalid)
	case strings.HasPrefix(strings.ToLower(path), "file:"):
		return target{}, fmt.Errorf("database %q: SQLite URIs (file:) are not supported; give a plain path: %w", dsn, ErrInvalid)
	}
	return target{dialect: sqliteDialect, path: path}, nil
}

// redact hides a password in a URL-shaped DSN so it can go into an error.
func redact(dsn string) string {
	scheme := strings.Index(dsn, "://")
	if scheme < 0 {
		return dsn
	}
	rest := dsn[scheme+3:]
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return dsn
	}
	userinfo := authority[:at]
	if colon := strings.IndexByte(userinfo, ':'); colon >= 0 {
		return dsn[:scheme+3] + userinfo[:colon] + ":xxxxx" + rest[at:]
	}
	return dsn
}
