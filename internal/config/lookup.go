package config

// User returns the user with the given login name.
func (c *Config) User(name string) (User, bool) {
	for _, u := range c.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// Queue returns the queue with the given name.
func (c *Config) Queue(name string) (Queue, bool) {
	for _, q := range c.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return Queue{}, false
}

// QueueForDID returns the DID entry for a dialled number. Spaces, dashes
// and parentheses are ignored on both sides, so "+1 555-0100" finds
// "+15550100".
func (c *Config) QueueForDID(number string) (DID, bool) {
	key := didKey(number)
	if key == "" {
		return DID{}, false
	}
	for _, d := range c.DIDs {
		if didKey(d.Number) == key {
			return d, true
		}
	}
	return DID{}, false
}

// QueueAgents returns the agents who serve a queue: its direct agents in
// order, then its teams' agents in order, each name once. An unknown queue
// has none.
func (c *Config) QueueAgents(queue string) []string {
	q, ok := c.Queue(queue)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(names []string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	add(q.Agents)
	for _, tn := range q.Teams {
		for _, t := range c.Teams {
			if t.Name == tn {
				add(t.Agents)
			}
		}
	}
	return out
}

// TeamsOfAgent returns, in file order, the teams the agent belongs to.
func (c *Config) TeamsOfAgent(agent string) []string {
	var out []string
	for _, t := range c.Teams {
		if contains(t.Agents, agent) {
			out = append(out, t.Name)
		}
	}
	return out
}

// TeamsOfSupervisor returns, in file order, the teams the user supervises.
func (c *Config) TeamsOfSupervisor(sup string) []string {
	var out []string
	for _, t := range c.Teams {
		if contains(t.Supervisors, sup) {
			out = append(out, t.Name)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Clone returns a deep copy: changing the copy never changes c.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := *c
	out.Users = cloneSlice(c.Users)
	for i := range out.Users {
		out.Users[i].Roles = cloneSlice(out.Users[i].Roles)
	}
	out.Teams = cloneSlice(c.Teams)
	for i := range out.Teams {
		out.Teams[i].Agents = cloneSlice(out.Teams[i].Agents)
		out.Teams[i].Supervisors = cloneSlice(out.Teams[i].Supervisors)
	}
	out.Queues = cloneSlice(c.Queues)
	for i := range out.Queues {
		out.Queues[i].Agents = cloneSlice(out.Queues[i].Agents)
		out.Queues[i].Teams = cloneSlice(out.Queues[i].Teams)
	}
	out.DIDs = cloneSlice(c.DIDs)
	out.Trunks = cloneSlice(c.Trunks)
	for i := range out.Trunks {
		out.Trunks[i].Sources = cloneSlice(out.Trunks[i].Sources)
	}
	out.DialPlan.Allow = cloneSlice(c.DialPlan.Allow)
	out.DialPlan.Deny = cloneSlice(c.DialPlan.Deny)
	out.NotReadyReasons = cloneSlice(c.NotReadyReasons)
	out.WebRTC.ICEServers = cloneSlice(c.WebRTC.ICEServers)
	for i := range out.WebRTC.ICEServers {
		out.WebRTC.ICEServers[i].URLs = cloneSlice(out.WebRTC.ICEServers[i].URLs)
	}
	out.WebRTC.PublicIPs = cloneSlice(c.WebRTC.PublicIPs)
	return &out
}

// cloneSlice copies a slice, keeping nil as nil.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
