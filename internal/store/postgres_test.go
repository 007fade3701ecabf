package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The PostgreSQL tests run against a real server: EARSHOT_TEST_POSTGRES names
// a database to connect to, in which the run creates a database of its own
// (dropped at the end); each test then works in a fresh schema of it.

const defaultTestPostgres = "postgres:///postgres?host=/var/run/postgresql"

// testPG is the run's PostgreSQL database, made on first use.
var testPG struct {
	once  sync.Once
	admin string // URL of the server's maintenance database
	url   string // URL of the run's own database
	name  string
	err   error
	n     atomic.Int64 // schemas handed out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testPG.name != "" {
		if err := dropTestDatabase(); err != nil {
			fmt.Fprintln(os.Stderr, "drop test database:", err)
		}
	}
	os.Exit(code)
}

// postgresDSN returns the URL of an empty schema in the run's test database,
// or skips (fails under CI=true) when PostgreSQL is not reachable.
func postgresDSN(tb testing.TB) string {
	tb.Helper()
	testPG.once.Do(createTestDatabase)
	if testPG.err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL is required under CI: %v", testPG.err)
		}
		tb.Skipf("PostgreSQL not reachable (set EARSHOT_TEST_POSTGRES): %v", testPG.err)
	}
	schema := fmt.Sprintf("t%d", testPG.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", testPG.url)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	u, _ := url.Parse(testPG.url)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func createTestDatabase() {
	admin := os.Getenv("EARSHOT_TEST_POSTGRES")
	if admin == "" {
		admin = defaultTestPostgres
	}
	u, err := url.Parse(admin)
	if err != nil {
		testPG.err = fmt.Errorf("EARSHOT_TEST_POSTGRES: %w", err)
		return
	}
	var b [6]byte
	rand.Read(b[:])
	name := "earshot_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		testPG.err = err
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		testPG.err = fmt.Errorf("create database %s: %w", name, err)
		return
	}
	u.Path = "/" + name
	testPG.admin, testPG.url, testPG.name = admin, u.String(), name
}

func dropTestDatabase() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", testPG.admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+testPG.name+" WITH (FORCE)")
	return err
}
