package web

import (
	"net/http"
	"slices"

	"github.com/earshot/earshot/internal/config"
)

// changeResult answers an admin edit: what changed, in the audit's words
// (empty when nothing did), and the configuration now in force.
type changeResult struct {
	Changes []string      `json:"changes"`
	Config  config.Config `json:"config"`
}

// edit runs one admin change and answers it.
func (s *Server) edit(w http.ResponseWriter, r *http.Request, c *caller, fn func(next *config.Config) error) error {
	next, lines, err := s.change(r, c, fn)
	if err != nil {
		return err
	}
	if lines == nil {
		lines = []string{}
	}
	writeJSON(w, http.StatusOK, changeResult{Changes: lines, Config: publicConfig(next)})
	return nil
}

// userPatch is a change to a user; absent fields stay as they are.
type userPatch struct {
	Display     *string        `json:"display"`
	Roles       *[]config.Role `json:"roles"`
	ListenIn    *bool          `json:"listen_in"`
	SIPPassword *string        `json:"sip_password"`
}

// patchUser changes a user's display name, roles, listen-in permission or
// SIP phone password.
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	var in userPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Roles != nil && name == c.user.Name && !slices.Contains(*in.Roles, config.RoleAdmin) {
		return errorf(http.StatusConflict, "you cannot take the admin role from yourself; another admin can")
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Users, func(u config.User) bool { return u.Name == name })
		if i < 0 {
			return errorf(http.StatusNotFound, "no user %q", name)
		}
		u := &next.Users[i]
		if in.Display != nil {
			u.Display = *in.Display
		}
		if in.Roles != nil {
			u.Roles = slices.Clone(*in.Roles)
		}
		if in.ListenIn != nil {
			u.ListenIn = *in.ListenIn
		}
		if in.SIPPassword != nil {
			u.SIPPassword = *in.SIPPassword
		}
		return nil
	})
}

// deleteUser removes a user, and with them their places in teams and
// queues.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	if name == c.user.Name {
		return errorf(http.StatusConflict, "you cannot remove yourself; another admin can")
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Users, func(u config.User) bool { return u.Name == name })
		if i < 0 {
			return errorf(http.StatusNotFound, "no user %q", name)
		}
		next.Users = slices.Delete(next.Users, i, i+1)
		drop := func(xs []string) []string { return slices.DeleteFunc(xs, func(x string) bool { return x == name }) }
		for j := range next.Teams {
			next.Teams[j].Agents = drop(next.Teams[j].Agents)
			next.Teams[j].Supervisors = drop(next.Teams[j].Supervisors)
		}
		for j := range next.Queues {
			next.Queues[j].Agents = drop(next.Queues[j].Agents)
		}
		return nil
	})
}

// teamIn is a team as an admin sends it; the name is in the path.
type teamIn struct {
	Agents      []string `json:"agents"`
	Supervisors []string `json:"supervisors"`
}

// putTeam creates a team or replaces its agents and supervisors.
func (s *Server) putTeam(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	var in teamIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t := config.Team{Name: name, Agents: orEmpty(in.Agents), Supervisors: orEmpty(in.Supervisors)}
	return s.edit(w, r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Teams, func(x config.Team) bool { return x.Name == name })
		if i < 0 {
			next.Teams = append(next.Teams, t)
		} else {
			next.Teams[i] = t
		}
		return nil
	})
}

// deleteTeam removes a team no queue uses.
func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	return s.edit(w, r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Teams, func(x config.Team) bool { return x.Name == name })
		if i < 0 {
			return errorf(http.StatusNotFound, "no team %q", name)
		}
		for _, q := range next.Queues {
			if slices.Contains(q.Teams, name) {
				return errorf(http.StatusConflict, "team %q serves queue %q; take it off the queue first", name, q.Name)
			}
		}
		next.Teams = slices.Delete(next.Teams, i, i+1)
		return nil
	})
}

// queueIn is a queue as an admin sends it: the config.Queue fields, with
// durations in nanoseconds as GET /api/v1/config shows them. The name is in
// the path; a name in the body must be the same.
type queueIn struct {
	config.Queue
}

// putQueue creates a queue or replaces its settings.
func (s *Server) putQueue(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	var in queueIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	q := in.Queue
	if q.Name != "" && q.Name != name {
		return errorf(http.StatusBadRequest, "the body names queue %q but the path %q; rename is not supported", q.Name, name)
	}
	q.Name = name
	q.Agents, q.Teams = orEmpty(q.Agents), orEmpty(q.Teams)
	if q.Strategy == "" {
		q.Strategy = config.LongestIdle
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Queues, func(x config.Queue) bool { return x.Name == name })
		if i < 0 {
			next.Queues = append(next.Queues, q)
		} else {
			next.Queues[i] = q
		}
		return nil
	})
}

// deleteQueue removes a queue no DID or overflow leads to.
func (s *Server) deleteQueue(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	return s.edit(w, r, c, func(next *config.Config) error {
		i := slices.IndexFunc(next.Queues, func(x config.Queue) bool { return x.Name == name })
		if i < 0 {
			return errorf(http.StatusNotFound, "no queue %q", name)
		}
		for _, d := range next.DIDs {
			if d.Queue == name {
				return errorf(http.StatusConflict, "DID %s leads to queue %q; point it elsewhere first", d.Number, name)
			}
		}
		for _, o := range next.Queues {
			if o.OverflowTo == name && o.Name != name {
				return errorf(http.StatusConflict, "queue %q overflows to %q; change that first", o.Name, name)
			}
		}
		next.Queues = slices.Delete(next.Queues, i, i+1)
		return nil
	})
}

type didsIn struct {
	DIDs []config.DID `json:"dids"`
}

// putDIDs replaces the list of DIDs.
func (s *Server) putDIDs(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in didsIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.DIDs == nil {
		return errorf(http.StatusBadRequest, "dids is required (a list, which may be empty)")
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		next.DIDs = in.DIDs
		return nil
	})
}

type dialPlanIn struct {
	Allow []string `json:"allow"`
	Deny  []string `json:"deny"`
}

// putDialPlan replaces the dial plan's allow and deny patterns.
func (s *Server) putDialPlan(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in dialPlanIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := compilePlan(in.Allow, in.Deny); err != nil {
		return err
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		next.DialPlan = config.DialPlan{Allow: orEmpty(in.Allow), Deny: orEmpty(in.Deny)}
		return nil
	})
}

type reasonsIn struct {
	Reasons []string `json:"reasons"`
}

// putNotReadyReasons replaces the Not Ready reasons agents choose from.
func (s *Server) putNotReadyReasons(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in reasonsIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.edit(w, r, c, func(next *config.Config) error {
		next.NotReadyReasons = orEmpty(in.Reasons)
		return nil
	})
}

// orEmpty makes a nil list an empty one, so the configuration shows [].
func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
