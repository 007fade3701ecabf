package assist

import (
	"cmp"
	"slices"
	"time"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// Record is one session as the audit shows it: who, which agent and call,
// when each mode began and ended, and how it ended.
type Record struct {
	ID    string      `json:"id"`
	Kind  SessionKind `json:"kind"`
	User  string      `json:"user"`
	Agent string      `json:"agent"`
	// UserDisplay and AgentDisplay are display names, filled in by Named.
	UserDisplay  string    `json:"user_display,omitempty"`
	AgentDisplay string    `json:"agent_display,omitempty"`
	Call         string    `json:"call"`
	Queue        string    `json:"queue,omitempty"`
	Started      time.Time `json:"started"`
	Ended        time.Time `json:"ended,omitzero"` // zero while live
	Reason       string    `json:"reason,omitempty"`
	Modes        []Span    `json:"modes"`
}

// Span is one mode of a session and when it held; To is zero while it
// still holds.
type Span struct {
	Mode Mode      `json:"mode"`
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// Audit rebuilds the sessions from their stored events (assist.mode and
// listen.session, any order, other kinds ignored), newest session first.
// A session whose start fell outside the events given starts at its first
// row there.
func Audit(evs []events.Event) []Record {
	evs = slices.Clone(evs)
	slices.SortStableFunc(evs, func(a, b events.Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	byID := map[string]*Record{}
	var order []*Record
	for _, e := range evs {
		kind := KindAssist
		switch e.Kind {
		case events.AssistMode:
		case events.ListenSession:
			kind = KindListen
		default:
			continue
		}
		if e.Detail == "" {
			continue
		}
		r := byID[e.Detail]
		if r == nil {
			r = &Record{ID: e.Detail, Kind: kind, User: e.Actor, Agent: e.Agent, Call: e.Call, Queue: e.Queue,
				Started: e.At, Modes: []Span{}}
			byID[e.Detail] = r
			order = append(order, r)
		}
		if n := len(r.Modes); n > 0 && r.Modes[n-1].To.IsZero() {
			r.Modes[n-1].To = e.At
		}
		if Mode(e.State) == Ended {
			r.Ended, r.Reason = e.At, e.Reason
			continue
		}
		r.Modes = append(r.Modes, Span{Mode: Mode(e.State), From: e.At})
	}
	out := make([]Record, 0, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		out = append(out, *order[i])
	}
	return out
}

// Named fills in the records' display names from cfg (a user no longer
// configured keeps their user name).
func Named(cfg *config.Config, recs []Record) []Record {
	for i := range recs {
		recs[i].UserDisplay = displayName(cfg, recs[i].User)
		recs[i].AgentDisplay = displayName(cfg, recs[i].Agent)
	}
	return recs
}
