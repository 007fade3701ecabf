package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/config"
)

// Settings keys for the parts of config.Config that are not tables.
const (
	keyFormat          = "config.format" // present once a configuration is saved
	keyListenHTTP      = "config.listen.http"
	keyListenSIP       = "config.listen.sip"
	keyDataDir         = "config.data_dir"
	keyDatabase        = "config.database"
	keyNotReadyReasons = "config.not_ready_reasons" // JSON array of strings
	keyAssistRingTime  = "config.assist_ring_time"  // nanoseconds
	configFormat       = "1"
)

// configTables lists the configuration tables children first, the order
// they are emptied in.
var configTables = [...]string{
	"dial_plan", "trunk_sources", "trunks", "dids", "queue_teams", "queue_agents",
	"queues", "team_members", "teams", "user_roles", "users",
}

// SaveConfig implements Store.
func (s *sqlStore) SaveConfig(ctx context.Context, c *config.Config) error {
	if c == nil {
		return fmt.Errorf("save config: nil configuration: %w", ErrInvalid)
	}
	if err := checkConfig(c); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	reasons, err := json.Marshal(c.NotReadyReasons)
	if err != nil {
		return fmt.Errorf("save config: not ready reasons: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lock(ctx, tx, lockConfig, false); err != nil {
			return err
		}
		kept, err := s.passwordHashes(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range configTables {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return fmt.Errorf("empty %s: %w", t, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM settings WHERE key LIKE 'config.%'"); err != nil {
			return fmt.Errorf("empty settings: %w", err)
		}
		ins := inserter{ctx: ctx, tx: tx, s: s}
		for i, u := range c.Users {
			hash := u.PasswordHash
			if hash == "" {
				hash = kept[u.Name]
			}
			ins.do("user "+u.Name, "INSERT INTO users (name, position, display, password_hash, sip_password, listen_in) VALUES (?, ?, ?, ?, ?, ?)",
				u.Name, i, u.Display, hash, u.SIPPassword, u.ListenIn)
			for j, r := range u.Roles {
				ins.do("role of "+u.Name, "INSERT INTO user_roles (user_name, position, role) VALUES (?, ?, ?)", u.Name, j, string(r))
			}
		}
		for i, t := range c.Teams {
			ins.do("team "+t.Name, "INSERT INTO teams (name, position) VALUES (?, ?)", t.Name, i)
			for j, a := range t.Agents {
				ins.do("agent of team "+t.Name, "INSERT INTO team_members (team, user_name, role, position) VALUES (?, ?, 'agent', ?)", t.Name, a, j)
			}
			for j, a := range t.Supervisors {
				ins.do("supervisor of team "+t.Name, "INSERT INTO team_members (team, user_name, role, position) VALUES (?, ?, 'supervisor', ?)", t.Name, a, j)
			}
		}
		for i, q := range c.Queues {
			ins.do("queue "+q.Name, `INSERT INTO queues (name, position, strategy, ring_timeout_ns, wrap_up_ns, max_wait_ns,
				on_max_wait, overflow_to, message, music, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				q.Name, i, string(q.Strategy), int64(q.RingTimeout), int64(q.WrapUp), int64(q.MaxWait),
				q.OnMaxWait, q.OverflowTo, q.Message, q.Music, q.Record)
			for j, a := range q.Agents {
				ins.do("agent of queue "+q.Name, "INSERT INTO queue_agents (queue, user_name, position) VALUES (?, ?, ?)", q.Name, a, j)
			}
			for j, t := range q.Teams {
				ins.do("team of queue "+q.Name, "INSERT INTO queue_teams (queue, team, position) VALUES (?, ?, ?)", q.Name, t, j)
			}
		}
		for i, d := range c.DIDs {
			ins.do("DID "+d.Number, "INSERT INTO dids (number, position, queue, priority) VALUES (?, ?, ?, ?)", d.Number, i, d.Queue, d.Priority)
		}
		for i, t := range c.Trunks {
			ins.do("trunk "+t.Name, `INSERT INTO trunks (name, position, outbound, username, password,
				register, register_expires_ns, registrar, caller_id, from_domain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				t.Name, i, t.Outbound, t.Username, t.Password,
				t.Register, int64(t.RegisterExpires), t.Registrar, t.CallerID, t.FromDomain)
			for j, src := range t.Sources {
				ins.do("source of trunk "+t.Name, "INSERT INTO trunk_sources (trunk, position, source) VALUES (?, ?, ?)", t.Name, j, src)
			}
		}
		for j, p := range c.DialPlan.Allow {
			ins.do("dial plan", "INSERT INTO dial_plan (rule, position, pattern) VALUES ('allow', ?, ?)", j, p)
		}
		for j, p := range c.DialPlan.Deny {
			ins.do("dial plan", "INSERT INTO dial_plan (rule, position, pattern) VALUES ('deny', ?, ?)", j, p)
		}
		for _, kv := range [...][2]string{
			{keyFormat, configFormat},
			{keyListenHTTP, c.Listen.HTTP},
			{keyListenSIP, c.Listen.SIP},
			{keyDataDir, c.DataDir},
			{keyDatabase, c.Database},
			{keyNotReadyReasons, string(reasons)},
			{keyAssistRingTime, strconv.FormatInt(int64(c.AssistRingTime), 10)},
		} {
			ins.do("setting "+kv[0], "INSERT INTO settings (key, value) VALUES (?, ?)", kv[0], kv[1])
		}
		ins.do("sessions of removed users", "DELETE FROM sessions WHERE user_name NOT IN (SELECT name FROM users)")
		ins.do("preferences of removed users", "DELETE FROM preferences WHERE user_name NOT IN (SELECT name FROM users)")
		return ins.err
	})
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// inserter runs a sequence of statements, stopping at the first error.
type inserter struct {
	ctx context.Context
	tx  *sql.Tx
	s   *sqlStore
	err error
}

func (in *inserter) do(what, query string, args ...any) {
	if in.err != nil {
		return
	}
	if _, err := in.tx.ExecContext(in.ctx, in.s.q(query), args...); err != nil {
		in.err = fmt.Errorf("%s: %w", what, constraintError(err))
	}
}

// passwordHashes returns the stored hash of every user.
func (s *sqlStore) passwordHashes(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name, password_hash FROM users")
	if err != nil {
		return nil, fmt.Errorf("read password hashes: %w", err)
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var name, hash string
		if err := rows.Scan(&name, &hash); err != nil {
			return nil, fmt.Errorf("read password hashes: %w", err)
		}
		m[name] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read password hashes: %w", err)
	}
	return m, nil
}

// SetPasswordHash implements Store.
func (s *sqlStore) SetPasswordHash(ctx context.Context, user, hash string) error {
	if err := checkHash(user, hash); err != nil {
		return fmt.Errorf("set password of %q: %w", user, err)
	}
	if hash == "" {
		return fmt.Errorf("set password of %q: empty hash: %w", user, ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lock(ctx, tx, lockConfig, true); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE users SET password_hash = ? WHERE name = ?"), hash, user)
		if err != nil {
			return constraintError(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("no such user: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set password of %q: %w", user, err)
	}
	return nil
}

// checkHash accepts only what a password hasher writes: a crypt/PHC string
// such as "$argon2id$…" or "$2a$…". Anything else is probably a plain
// password given by mistake.
func checkHash(user, hash string) error {
	if hash == "" {
		return nil
	}
	if err := checkText("password hash of "+user, hash); err != nil {
		return err
	}
	if !strings.HasPrefix(hash, "$") || len(hash) < 20 {
		return fmt.Errorf("password hash of %q is not a crypt/PHC hash string ($argon2id$…, $2a$…): %w", user, ErrInvalid)
	}
	return nil
}

// LoadConfig implements Store.
func (s *sqlStore) LoadConfig(ctx context.Context) (*config.Config, error) {
	c := &config.Config{}
	err := s.inReadTx(ctx, func(tx *sql.Tx) error {
		settings, err := readSettings(ctx, tx)
		if err != nil {
			return err
		}
		if settings[keyFormat] == "" {
			return fmt.Errorf("no configuration saved: %w", ErrNotFound)
		}
		if f := settings[keyFormat]; f != configFormat {
			return fmt.Errorf("configuration stored in format %q, this program reads %q: %w", f, configFormat, ErrSchemaTooNew)
		}
		if err := decodeSettings(settings, c); err != nil {
			return err
		}
		r := reader{ctx: ctx, tx: tx}
		loadUsers(&r, c)
		loadTeams(&r, c)
		loadQueues(&r, c)
		loadRouting(&r, c)
		return r.err
	})
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return c, nil
}

func readSettings(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT key, value FROM settings WHERE key LIKE 'config.%'")
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("read settings: %w", err)
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	return m, nil
}

func decodeSettings(m map[string]string, c *config.Config) error {
	c.Listen.HTTP = m[keyListenHTTP]
	c.Listen.SIP = m[keyListenSIP]
	c.DataDir = m[keyDataDir]
	c.Database = m[keyDatabase]
	if v := m[keyNotReadyReasons]; v != "" {
		if err := json.Unmarshal([]byte(v), &c.NotReadyReasons); err != nil {
			return fmt.Errorf("setting %s: %w", keyNotReadyReasons, err)
		}
	}
	if v := m[keyAssistRingTime]; v != "" {
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("setting %s: %w", keyAssistRingTime, err)
		}
		c.AssistRingTime = time.Duration(ns)
	}
	return nil
}
