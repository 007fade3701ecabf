package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/earshot/earshot/internal/config"
)

// reader runs queries in one read transaction, stopping at the first error.
type reader struct {
	ctx context.Context
	tx  *sql.Tx
	err error
}

// each runs query and calls scan for every row; scan reads the row with the
// function it is given.
func (r *reader) each(what, query string, scan func(row func(dest ...any) error) error) {
	if r.err != nil {
		return
	}
	rows, err := r.tx.QueryContext(r.ctx, query)
	if err != nil {
		r.err = fmt.Errorf("read %s: %w", what, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows.Scan); err != nil {
			r.err = fmt.Errorf("read %s: %w", what, err)
			return
		}
	}
	if err := rows.Err(); err != nil {
		r.err = fmt.Errorf("read %s: %w", what, err)
	}
}

func loadUsers(r *reader, c *config.Config) {
	index := map[string]int{}
	r.each("users", "SELECT name, display, password_hash, sip_password, listen_in FROM users ORDER BY position",
		func(row func(...any) error) error {
			var u config.User
			if err := row(&u.Name, &u.Display, &u.PasswordHash, &u.SIPPassword, &u.ListenIn); err != nil {
				return err
			}
			index[u.Name] = len(c.Users)
			c.Users = append(c.Users, u)
			return nil
		})
	r.each("user roles", "SELECT user_name, role FROM user_roles ORDER BY user_name, position",
		func(row func(...any) error) error {
			var name, role string
			if err := row(&name, &role); err != nil {
				return err
			}
			i, ok := index[name]
			if !ok {
				return fmt.Errorf("role of unknown user %q", name)
			}
			c.Users[i].Roles = append(c.Users[i].Roles, config.Role(role))
			return nil
		})
}

func loadTeams(r *reader, c *config.Config) {
	index := map[string]int{}
	r.each("teams", "SELECT name FROM teams ORDER BY position", func(row func(...any) error) error {
		var t config.Team
		if err := row(&t.Name); err != nil {
			return err
		}
		index[t.Name] = len(c.Teams)
		c.Teams = append(c.Teams, t)
		return nil
	})
	r.each("team members", "SELECT team, user_name, role FROM team_members ORDER BY team, role, position",
		func(row func(...any) error) error {
			var team, user, role string
			if err := row(&team, &user, &role); err != nil {
				return err
			}
			i, ok := index[team]
			if !ok {
				return fmt.Errorf("member of unknown team %q", team)
			}
			if role == "supervisor" {
				c.Teams[i].Supervisors = append(c.Teams[i].Supervisors, user)
			} else {
				c.Teams[i].Agents = append(c.Teams[i].Agents, user)
			}
			return nil
		})
}

func loadQueues(r *reader, c *config.Config) {
	index := map[string]int{}
	r.each("queues", `SELECT name, strategy, ring_timeout_ns, wrap_up_ns, max_wait_ns, on_max_wait,
		overflow_to, message, music, record FROM queues ORDER BY position`,
		func(row func(...any) error) error {
			var q config.Queue
			var strategy string
			var ring, wrap, wait int64
			if err := row(&q.Name, &strategy, &ring, &wrap, &wait, &q.OnMaxWait,
				&q.OverflowTo, &q.Message, &q.Music, &q.Record); err != nil {
				return err
			}
			q.Strategy = config.Strategy(strategy)
			q.RingTimeout, q.WrapUp, q.MaxWait = time.Duration(ring), time.Duration(wrap), time.Duration(wait)
			index[q.Name] = len(c.Queues)
			c.Queues = append(c.Queues, q)
			return nil
		})
	r.each("queue agents", "SELECT queue, user_name FROM queue_agents ORDER BY queue, position",
		func(row func(...any) error) error {
			var queue, user string
			if err := row(&queue, &user); err != nil {
				return err
			}
			i, ok := index[queue]
			if !ok {
				return fmt.Errorf("agent of unknown queue %q", queue)
			}
			c.Queues[i].Agents = append(c.Queues[i].Agents, user)
			return nil
		})
	r.each("queue teams", "SELECT queue, team FROM queue_teams ORDER BY queue, position",
		func(row func(...any) error) error {
			var queue, team string
			if err := row(&queue, &team); err != nil {
				return err
			}
			i, ok := index[queue]
			if !ok {
				return fmt.Errorf("team of unknown queue %q", queue)
			}
			c.Queues[i].Teams = append(c.Queues[i].Teams, team)
			return nil
		})
}

// loadRouting reads DIDs, trunks and the dial plan.
func loadRouting(r *reader, c *config.Config) {
	r.each("DIDs", "SELECT number, queue, priority FROM dids ORDER BY position", func(row func(...any) error) error {
		var d config.DID
		if err := row(&d.Number, &d.Queue, &d.Priority); err != nil {
			return err
		}
		c.DIDs = append(c.DIDs, d)
		return nil
	})
	index := map[string]int{}
	r.each("trunks", `SELECT name, outbound, username, password,
		register, register_expires_ns, registrar, caller_id, from_domain FROM trunks ORDER BY position`,
		func(row func(...any) error) error {
			var t config.Trunk
			var expires int64
			if err := row(&t.Name, &t.Outbound, &t.Username, &t.Password,
				&t.Register, &expires, &t.Registrar, &t.CallerID, &t.FromDomain); err != nil {
				return err
			}
			t.RegisterExpires = time.Duration(expires)
			index[t.Name] = len(c.Trunks)
			c.Trunks = append(c.Trunks, t)
			return nil
		})
	r.each("trunk sources", "SELECT trunk, source FROM trunk_sources ORDER BY trunk, position",
		func(row func(...any) error) error {
			var trunk, src string
			if err := row(&trunk, &src); err != nil {
				return err
			}
			i, ok := index[trunk]
			if !ok {
				return fmt.Errorf("source of unknown trunk %q", trunk)
			}
			c.Trunks[i].Sources = append(c.Trunks[i].Sources, src)
			return nil
		})
	r.each("dial plan", "SELECT rule, pattern FROM dial_plan ORDER BY rule, position",
		func(row func(...any) error) error {
			var rule, pattern string
			if err := row(&rule, &pattern); err != nil {
				return err
			}
			if rule == "deny" {
				c.DialPlan.Deny = append(c.DialPlan.Deny, pattern)
			} else {
				c.DialPlan.Allow = append(c.DialPlan.Allow, pattern)
			}
			return nil
		})
}
