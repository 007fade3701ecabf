package web

import (
	"slices"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// viewer is what one user may see, worked out from the configuration's
// roles and teams. It is immutable once built: a new configuration makes a
// new viewer.
type viewer struct {
	name       string
	admin      bool
	supervisor bool
	agent      bool
	supervises map[string]bool // agents of the teams this user supervises
	queues     map[string]bool // queues holding any of those agents
	teams      []string        // teams this user is an agent of
	supTeams   []string        // teams this user supervises
	// mates are the team mates this user may listen in on, for a user
	// with the listen-in permission; nil otherwise.
	mates map[string]bool
}

// newViewer works out u's visibility under cfg.
func newViewer(cfg *config.Config, u config.User) *viewer {
	v := &viewer{
		name:       u.Name,
		admin:      u.Has(config.RoleAdmin),
		supervisor: u.Has(config.RoleSupervisor),
		agent:      u.Has(config.RoleAgent),
		supervises: map[string]bool{},
		queues:     map[string]bool{},
	}
	teamAgents := map[string][]string{}
	for _, t := range cfg.Teams {
		teamAgents[t.Name] = t.Agents
		if slices.Contains(t.Agents, u.Name) {
			v.teams = append(v.teams, t.Name)
		}
		if slices.Contains(t.Supervisors, u.Name) {
			v.supTeams = append(v.supTeams, t.Name)
			if v.supervisor {
				for _, a := range t.Agents {
					v.supervises[a] = true
				}
			}
		}
	}
	for _, q := range cfg.Queues {
		if v.holdsSupervised(q, teamAgents) {
			v.queues[q.Name] = true
		}
	}
	if u.ListenIn {
		v.mates = colleaguesOf(cfg, u.Name)
	}
	return v
}

func (v *viewer) holdsSupervised(q config.Queue, teamAgents map[string][]string) bool {
	for _, a := range q.Agents {
		if v.supervises[a] {
			return true
		}
	}
	for _, t := range q.Teams {
		for _, a := range teamAgents[t] {
			if v.supervises[a] {
				return true
			}
		}
	}
	return false
}

// canSupervise reports whether the user may watch and act on agent as a
// supervisor: admins on everyone, supervisors on their teams' agents.
func (v *viewer) canSupervise(agent string) bool { return v.admin || v.supervises[agent] }

// seesAgent reports whether the user may see agent: as a supervisor, or
// because it is the user.
func (v *viewer) seesAgent(agent string) bool { return agent == v.name || v.canSupervise(agent) }

// seesQueue reports whether the user may see queue q.
func (v *viewer) seesQueue(q string) bool { return v.admin || v.queues[q] }

// seesCall reports whether the user may see call c: its queue is watched,
// or an agent on it is visible.
func (v *viewer) seesCall(c acd.CallView) bool {
	if v.seesQueue(c.Queue) {
		return true
	}
	for _, a := range c.Agents {
		if v.seesAgent(a) {
			return true
		}
	}
	for _, a := range c.Handlers {
		if v.seesAgent(a) {
			return true
		}
	}
	return false
}

// seesEvent reports whether the user may see e. An event naming an agent
// follows the agent (and is shown to its actor); one naming only a queue or
// a call follows the queue; configuration changes are for admins.
// callQueue finds a live call's queue.
func (v *viewer) seesEvent(e events.Event, callQueue func(id string) (string, bool)) bool {
	switch {
	case v.admin:
		return true
	case e.Kind == events.ConfigChanged:
		return false
	case e.Agent != "":
		return v.seesAgent(e.Agent) || (e.Actor != "" && e.Actor == v.name)
	case e.Queue != "":
		return v.seesQueue(e.Queue)
	case e.Call != "":
		q, ok := callQueue(e.Call)
		return ok && v.seesQueue(q)
	}
	return false
}
