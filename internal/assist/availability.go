package assist

import (
	"github.com/earshot/earshot/internal/acd"
)

// Availability is what the monitor shows of Assist on one agent's row:
// whether Assist may be clicked, and if not why (the tooltip), and who is
// assisting now.
type Availability struct {
	Allowed bool     `json:"allowed"`
	Why     string   `json:"why,omitempty"`
	By      []string `json:"by"`        // supervisors with a live session on the agent, oldest first
	Listens []string `json:"listeners"` // colleagues listening in, oldest first
	// Names are the display names of everyone in By and Listens, by user
	// name: supervisors have no row of their own to take them from.
	Names map[string]string `json:"names"`
}

// Availability says whether a supervisor of the agent may click Assist:
// when the agent is on an inbound routed call, or when their help icon is
// green and nobody is assisting any more (Assist then clears it).
func (d *Desk) Availability(agent string) Availability {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := Availability{By: []string{}, Listens: []string{}, Names: map[string]string{}}
	for _, s := range d.ofAgent(agent, KindAssist) {
		a.By = append(a.By, s.user)
		a.Names[s.user] = s.names[0]
	}
	for _, s := range d.ofAgent(agent, KindListen) {
		a.Listens = append(a.Listens, s.user)
		a.Names[s.user] = s.names[0]
	}
	v, err := d.acd.Agent(agent)
	if err != nil {
		a.Why = "Unknown agent"
		return a
	}
	if v.Help == acd.HelpAssisting && len(a.By) == 0 {
		a.Allowed = true
		return a
	}
	a.Why = notRoutedWhy(d.acd.Config(), v)
	a.Allowed = a.Why == ""
	return a
}
