// Package assist holds what supervisor assistance means: who hears whom in
// each mode (the hearing matrix, as one table of data), and the Desk, which
// runs supervisors' assist sessions and colleagues' listen-ins by their
// rules: who may start one, on which calls, each mode change, the ring
// time, how each ends, and the audit rebuilt from their events.
//
// It is pure, like the ACD: no I/O, time from an injected clock, news out
// only as stored-then-announced events. The media plane applies the
// matrix; the call flow rings the sessions' endpoints and carries out
// their modes; the web edge turns requests into the Desk's commands.
package assist

import "slices"

// Role is a party's part in a call.
type Role string

// Roles.
const (
	Customer   Role = "customer"
	Agent      Role = "agent"
	Supervisor Role = "supervisor"
	Listener   Role = "listener" // a colleague listening in (Let Listen In)
)

// Mode is a supervisor's assist mode.
type Mode string

// Modes. A supervisor whose endpoint is still ringing hears nothing and is
// heard by nobody.
const (
	Ringing  Mode = "ringing"
	Listen   Mode = "listen"
	Talk     Mode = "talk"
	TakeOver Mode = "takeover"
)

// Party is one leg of a call.
type Party struct {
	ID   string
	Role Role
	Mode Mode // supervisors only
}

// anyMode matches every mode.
const anyMode Mode = "*"

// rule: a party of role Hearer in one of HearerModes hears a party of role
// Source in one of SourceModes.
type rule struct {
	Hearer      Role
	HearerModes []Mode
	Source      Role
	SourceModes []Mode
}

// Matrix is the hearing matrix of ARCHITECTURE.md, as data. Nothing else in
// earshot decides who hears whom.
//
//	supervisor mode | customer hears | agent hears           | supervisor hears
//	(no assist)     | agent          | customer              | —
//	listen          | agent          | customer              | customer + agent
//	talk (whisper)  | agent          | customer + supervisor | customer + agent
//	take over       | supervisor     | — (leg released)      | customer
//
// A listening colleague hears customer + agent and is heard by nobody. With
// several supervisors each has a mode: a supervisor who has answered hears
// customer and agent, and the other supervisors while they talk or have
// taken over; a supervisor's microphone is heard by nobody, not even
// another supervisor, before Talk or Take over.
var Matrix = []rule{
	{Customer, []Mode{anyMode}, Agent, []Mode{anyMode}},
	{Customer, []Mode{anyMode}, Supervisor, []Mode{TakeOver}},
	{Agent, []Mode{anyMode}, Customer, []Mode{anyMode}},
	{Agent, []Mode{anyMode}, Supervisor, []Mode{Talk}},
	{Supervisor, []Mode{Listen, Talk, TakeOver}, Customer, []Mode{anyMode}},
	{Supervisor, []Mode{Listen, Talk, TakeOver}, Agent, []Mode{anyMode}},
	{Supervisor, []Mode{Listen, Talk, TakeOver}, Supervisor, []Mode{Talk, TakeOver}},
	{Listener, []Mode{anyMode}, Customer, []Mode{anyMode}},
	{Listener, []Mode{anyMode}, Agent, []Mode{anyMode}},
}

func matches(modes []Mode, m Mode) bool {
	return slices.Contains(modes, anyMode) || slices.Contains(modes, m)
}

// Hearing returns, for each party, the IDs of the parties it hears, in the
// order given. A party never hears itself.
func Hearing(parties []Party) map[string][]string {
	out := make(map[string][]string, len(parties))
	for _, h := range parties {
		var heard []string
		for _, s := range parties {
			if s.ID == h.ID {
				continue
			}
			for _, r := range Matrix {
				if r.Hearer == h.Role && r.Source == s.Role && matches(r.HearerModes, h.Mode) && matches(r.SourceModes, s.Mode) {
					heard = append(heard, s.ID)
					break
				}
			}
		}
		out[h.ID] = heard
	}
	return out
}
