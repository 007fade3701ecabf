package store

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	ok := []struct {
		dsn     string
		dialect dialectKind
		path    string
	}{
		{"sqlite:/var/lib/earshot/earshot.db", sqliteDialect, "/var/lib/earshot/earshot.db"},
		{"sqlite:data/earshot.db", sqliteDialect, "data/earshot.db"},
		{"sqlite:///var/lib/earshot.db", sqliteDialect, "/var/lib/earshot.db"},
		{"SQLite:x.db", sqliteDialect, "x.db"},
		{"sqlite::memory:", sqliteDialect, ":memory:"},
		{"earshot.db", sqliteDialect, "earshot.db"},
		{"/tmp/with space/e.db", sqliteDialect, "/tmp/with space/e.db"},
		{"postgres://u:p@db.example/earshot?sslmode=disable", postgresDialect, ""},
		{"postgresql:///earshot?host=/var/run/postgresql", postgresDialect, ""},
	}
	for _, c := range ok {
		got, err := parseDSN(c.dsn)
		if err != nil {
			t.Errorf("parseDSN(%q): %v", c.dsn, err)
			continue
		}
		if got.dialect != c.dialect || got.path != c.path {
			t.Errorf("parseDSN(%q) = %+v, want %v %q", c.dsn, got, c.dialect, c.path)
		}
		if c.dialect == postgresDialect && got.url != c.dsn {
			t.Errorf("parseDSN(%q) url = %q", c.dsn, got.url)
		}
	}
	for _, bad := range []string{
		"", "   ", "sqlite:", "sqlite://", "mysql://root@localhost/earshot", "e.db?mode=ro",
		"sqlite:file:e.db", "file:e.db", "a\x00b", "sqlite:x.db#frag",
	} {
		if _, err := parseDSN(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseDSN(%q) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	cases := map[string]string{
		"postgres://earshot:s3cret@db:5432/earshot":  "postgres://earshot:xxxxx@db:5432/earshot",
		"postgres://db/earshot?user=a@b":             "postgres://db/earshot?user=a@b",
		"postgres://earshot@db/earshot":              "postgres://earshot@db/earshot",
		"mysql://root:pw@localhost/x":                "mysql://root:xxxxx@localhost/x",
		"postgres://u:p@ss:w@rd@host/db?x=1":         "postgres://u:xxxxx@host/db?x=1",
		"sqlite:/var/lib/earshot.db":                 "sqlite:/var/lib/earshot.db",
		"postgresql:///earshot?host=/run/postgresql": "postgresql:///earshot?host=/run/postgresql",
	}
	for in, want := range cases {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := parseDSN("mysql://root:topsecret@localhost/x"); err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error for an unsupported DSN shows its password: %v", err)
	}
}

func TestRebind(t *testing.T) {
	cases := map[string]string{
		"SELECT 1":                               "SELECT 1",
		"a = ? AND b = ?":                        "a = $1 AND b = $2",
		"x = '?' AND y = ?":                      "x = '?' AND y = $1",
		"x = 'it''s ?' AND y = ?":                "x = 'it''s ?' AND y = $1",
		`"we?ird" = ?`:                           `"we?ird" = $1`,
		"-- why?\nx = ?":                         "-- why?\nx = $1",
		"IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)":   "IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		"x = 'unclosed ?":                        "x = 'unclosed ?",
		"VALUES (?, 'allow', ?) RETURNING seq ?": "VALUES ($1, 'allow', $2) RETURNING seq $3",
	}
	for in, want := range cases {
		if got := postgresDialect.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := sqliteDialect.rebind(in); got != in {
			t.Errorf("sqlite rebind changed %q to %q", in, got)
		}
	}
}

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	sq, err := migrations(sqliteDialect)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	if len(sq) == 0 || len(sq) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(sq), len(pg))
	}
	for i := range sq {
		if sq[i].version != pg[i].version || sq[i].name != pg[i].name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, sq[i].name, pg[i].name)
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"sqlite:/var/lib/earshot.db", "earshot.db", "sqlite::memory:", "postgres://u:p@h/db",
		"postgresql:///db?host=/run", "mysql://x", "sqlite://", "e.db?x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		got, err := parseDSN(dsn)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("parseDSN(%q) error %v does not wrap ErrInvalid", dsn, err)
			}
			return
		}
		switch got.dialect {
		case sqliteDialect:
			if got.path == "" || strings.ContainsAny(got.path, "?#\x00") {
				t.Fatalf("parseDSN(%q) gave SQLite path %q", dsn, got.path)
			}
		case postgresDialect:
			if got.url != dsn {
				t.Fatalf("parseDSN(%q) changed the URL to %q", dsn, got.url)
			}
		default:
			t.Fatalf("parseDSN(%q) gave dialect %v", dsn, got.dialect)
		}
		_ = redact(dsn)
	})
}

func FuzzRebind(f *testing.F) {
	for _, s := range []string{"a = ? AND b = ?", "x = '?' AND y = ?", `"q?" = ?`, "-- ?\n?", "'it''s'?", "??"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if strings.Contains(q, "$") {
			t.Skip("a '$' of its own would read as a placeholder below")
		}
		out := postgresDialect.rebind(q)
		// Turning $1, $2, … back into '?' in order must give back the
		// query exactly: nothing else changed.
		if back := unbind(t, out); back != q {
			t.Fatalf("rebind(%q) = %q, which reads back as %q", q, out, back)
		}
	})
}

// unbind undoes rebind: each "$n" outside quotes and comments, numbered in
// order from 1, becomes '?'.
func unbind(t *testing.T, q string) string {
	var b strings.Builder
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
		case c == '$':
			n++
			num := strconv.Itoa(n)
			if !strings.HasPrefix(q[i+1:], num) {
				t.Fatalf("placeholder %d missing at %d of %q", n, i, q)
			}
			b.WriteByte('?')
			i += len(num)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
