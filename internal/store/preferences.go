package store

import (
	"context"
	"database/sql"
	"fmt"
)

// maxPreferenceKey bounds a preference name; values are free text.
const maxPreferenceKey = 128

// SetPreference implements Store.
func (s *sqlStore) SetPreference(ctx context.Context, user, key, value string) error {
	if err := checkPreference(user, key, value); err != nil {
		return fmt.Errorf("set preference %q of %q: %w", key, user, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lock(ctx, tx, lockConfig, true); err != nil {
			return err
		}
		if ok, err := s.userExists(ctx, tx, user); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("no such user: %w", ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO preferences (user_name, key, value) VALUES (?, ?, ?)
			ON CONFLICT (user_name, key) DO UPDATE SET value = excluded.value`), user, key, value)
		return constraintError(err)
	})
	if err != nil {
		return fmt.Errorf("set preference %q of %q: %w", key, user, err)
	}
	return nil
}

func checkPreference(user, key, value string) error {
	if user == "" {
		return fmt.Errorf("no user: %w", ErrInvalid)
	}
	if key == "" || len(key) > maxPreferenceKey {
		return fmt.Errorf("preference name must be 1 to %d bytes: %w", maxPreferenceKey, ErrInvalid)
	}
	for _, t := range [...]struct{ name, v string }{{"user", user}, {"preference name", key}, {"preference value", value}} {
		if err := checkText(t.name, t.v); err != nil {
			return err
		}
	}
	return nil
}

// Preferences implements Store.
func (s *sqlStore) Preferences(ctx context.Context, user string) (map[string]string, error) {
	if err := checkText("user", user); err != nil {
		return nil, fmt.Errorf("preferences of %q: %w", user, err)
	}
	prefs := map[string]string{}
	err := s.inReadTx(ctx, func(tx *sql.Tx) error {
		if ok, err := s.userExists(ctx, tx, user); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("no such user: %w", ErrNotFound)
		}
		rows, err := tx.QueryContext(ctx, s.q("SELECT key, value FROM preferences WHERE user_name = ?"), user)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			prefs[k] = v
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("preferences of %q: %w", user, err)
	}
	return prefs, nil
}
