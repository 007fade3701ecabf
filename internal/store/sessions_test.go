package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleSession(token, user string) Session {
	return Session{
		ID:      HashToken(token),
		User:    user,
		CSRF:    "csrf-" + token,
		Created: t0.Add(123456789 * time.Nanosecond),
		Expires: t0.Add(12 * time.Hour),
	}
}

func TestSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		if err := s.SaveConfig(ctx, sampleConfig()); err != nil {
			t.Fatal(err)
		}
		a := sampleSession("token-a", "ann")
		b := sampleSession("token-b", "bob")
		b.Expires = t0.Add(time.Hour)
		for _, ss := range []Session{a, b} {
			if err := s.CreateSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Session(ctx, a.ID)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("Session = %+v, %v; want %+v", got, err, a)
		}
		if err := s.CreateSession(ctx, a); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate CreateSession: %v, want ErrConflict", err)
		}
		if err := s.CreateSession(ctx, sampleSession("token-c", "ghost")); !errors.Is(err, ErrNotFound) {
			t.Errorf("CreateSession for an unknown user: %v, want ErrNotFound", err)
		}
		invalid := map[string]func(*Session){
			"raw token as id":    func(ss *Session) { ss.ID = "token-d" },
			"upper-case hex id":  func(ss *Session) { ss.ID = strings.ToUpper(ss.ID) },
			"no CSRF":            func(ss *Session) { ss.CSRF = "" },
			"no user":            func(ss *Session) { ss.User = "" },
			"no created":         func(ss *Session) { ss.Created = time.Time{} },
			"expires before now": func(ss *Session) { ss.Expires = ss.Created.Add(-time.Second) },
		}
		for name, spoil := range invalid {
			ss := sampleSession("token-d", "ann")
			spoil(&ss)
			if err := s.CreateSession(ctx, ss); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: CreateSession = %v, want ErrInvalid", name, err)
			}
		}
		if _, err := s.Session(ctx, HashToken("token-d")); !errors.Is(err, ErrNotFound) {
			t.Errorf("refused session was stored: %v", err)
		}
		if _, err := s.Session(ctx, "not-a-hash"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Session(garbage) = %v, want ErrNotFound", err)
		}

		// Expiry: b's Expires is exactly the cut.
		if err := s.DeleteExpiredSessions(ctx, b.Expires); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, b.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired session survived: %v", err)
		}
		if _, err := s.Session(ctx, a.ID); err != nil {
			t.Errorf("live session was deleted: %v", err)
		}

		if err := s.DeleteSession(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted session: %v, want ErrNotFound", err)
		}
		if err := s.DeleteSession(ctx, a.ID); err != nil {
			t.Errorf("deleting a missing session: %v", err)
		}
	})
}

func TestPreferences(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		if err := s.SetPreference(ctx, "ann", "ring_on", "phone"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetPreference before any users: %v, want ErrNotFound", err)
		}
		if err := s.SaveConfig(ctx, sampleConfig()); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Preferences(ctx, "ann"); err != nil || p == nil || len(p) != 0 {
			t.Fatalf("Preferences of a new user = %v, %v; want an empty map", p, err)
		}
		for _, kv := range [][2]string{{"ring_on", "phone"}, {"listen_in", "all"}, {"ring_on", "browser"}} {
			if err := s.SetPreference(ctx, "ann", kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetPreference(ctx, "bob", "listen_in", "off"); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"ring_on": "browser", "listen_in": "all"}
		if p, err := s.Preferences(ctx, "ann"); err != nil || !reflect.DeepEqual(p, want) {
			t.Fatalf("Preferences(ann) = %v, %v; want %v", p, err, want)
		}
		for name, kv := range map[string][3]string{
			"no key":       {"ann", "", "x"},
			"long key":     {"ann", strings.Repeat("k", 200), "x"},
			"no user":      {"", "k", "x"},
			"invalid utf8": {"ann", "k", "\xff"},
		} {
			if err := s.SetPreference(ctx, kv[0], kv[1], kv[2]); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: SetPreference = %v, want ErrInvalid", name, err)
			}
		}
		if _, err := s.Preferences(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Preferences(ghost) = %v, want ErrNotFound", err)
		}
		if p, _ := s.Preferences(ctx, "ann"); !reflect.DeepEqual(p, want) {
			t.Fatalf("refused SetPreference changed ann's preferences to %v", p)
		}
	})
}
