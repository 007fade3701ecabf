package web

import (
	"slices"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// Outcomes of a call as call history shows them.
const (
	OutcomeLive             = "live"              // not ended yet
	OutcomeAnswered         = "answered"          // someone handled it
	OutcomeAbandonedQueued  = "abandoned_queued"  // the customer hung up while waiting
	OutcomeAbandonedRinging = "abandoned_ringing" // the customer hung up while an agent was ringing
	OutcomeMaxWait          = "max_wait"          // hung up on reaching the queue's maximum wait
	OutcomeFailed           = "failed"            // the call failed
	OutcomeInterrupted      = "interrupted"       // the server stopped during the call
	// OutcomeOverflowed is not an outcome of its own but a filter: calls
	// that overflowed to another queue, whatever became of them.
	OutcomeOverflowed = "overflowed"
)

var outcomes = []string{OutcomeLive, OutcomeAnswered, OutcomeAbandonedQueued, OutcomeAbandonedRinging,
	OutcomeMaxWait, OutcomeFailed, OutcomeInterrupted, OutcomeOverflowed}

// callSummary is one row of call history.
type callSummary struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"` // of its arrival; the list's cursor
	Arrived    time.Time `json:"arrived"`
	Answered   time.Time `json:"answered,omitzero"`
	Ended      time.Time `json:"ended,omitzero"`
	Caller     string    `json:"caller"`
	DID        string    `json:"did"`
	Queue      string    `json:"queue"`  // where it arrived
	Queues     []string  `json:"queues"` // every queue it waited in
	Handlers   []string  `json:"handlers"`
	Wait       float64   `json:"wait_seconds"`     // arrival to answer (or to the end)
	Duration   float64   `json:"duration_seconds"` // arrival to the end (or now)
	Outcome    string    `json:"outcome"`
	EndReason  string    `json:"end_reason,omitempty"`
	EndedBy    string    `json:"ended_by,omitempty"`
	Overflowed bool      `json:"overflowed"`
	AssistedBy []string  `json:"assisted_by"`
	ListenedBy []string  `json:"listened_by"`
	Recording  bool      `json:"has_recording"`

	recording string   // the WAV's path
	offered   []string // agents rung for it
}

// summarizeCall works one call's row out of its events (in Seq order).
// now measures a live call.
func summarizeCall(evs []events.Event, now time.Time) callSummary {
	s := callSummary{Queues: []string{}, Handlers: []string{}, AssistedBy: []string{}, ListenedBy: []string{}, Outcome: OutcomeLive}
	cancelled := false
	answeredSessions := map[string]bool{}
	for _, e := range evs {
		if s.ID == "" {
			s.ID = e.Call
		}
		switch e.Kind {
		case events.CallArrived:
			s.Seq, s.Arrived, s.Caller, s.DID, s.Queue = e.Seq, e.At, e.Caller, e.DID, e.Queue
			addOnce(&s.Queues, e.Queue)
		case events.CallQueued:
			addOnce(&s.Queues, e.Queue)
			if e.Reason == "overflow" {
				s.Overflowed = true
			}
		case events.CallOffered:
			addOnce(&s.offered, e.Agent)
		case events.CallUnoffered:
			if e.Reason == "cancelled" {
				cancelled = true
			}
		case events.CallAnswered:
			if s.Answered.IsZero() {
				s.Answered = e.At
			}
			addOnce(&s.Handlers, e.Agent)
		case events.CallRecording:
			s.recording, s.Recording = e.Detail, e.Detail != ""
		case events.CallEnded:
			s.Ended, s.EndReason, s.EndedBy = e.At, e.Reason, e.Actor
		case events.AssistMode:
			// a supervisor assisted once their endpoint answered
			if e.State != "ringing" && e.State != "ended" && !answeredSessions[e.Detail] {
				answeredSessions[e.Detail] = true
				addOnce(&s.AssistedBy, e.Actor)
			}
		case events.ListenSession:
			if e.State == "listen" {
				addOnce(&s.ListenedBy, e.Actor)
			}
		}
	}
	end := now
	if !s.Ended.IsZero() {
		end = s.Ended
		switch {
		case len(s.Handlers) > 0:
			s.Outcome = OutcomeAnswered
		case s.EndReason == "abandoned" && cancelled:
			s.Outcome = OutcomeAbandonedRinging
		case s.EndReason == "abandoned":
			s.Outcome = OutcomeAbandonedQueued
		case s.EndReason == "max_wait":
			s.Outcome = OutcomeMaxWait
		case s.EndReason == "interrupted":
			s.Outcome = OutcomeInterrupted
		default:
			s.Outcome = OutcomeFailed
		}
	}
	if !s.Arrived.IsZero() {
		s.Duration = max(end.Sub(s.Arrived), 0).Seconds()
		waitEnd := end
		if !s.Answered.IsZero() {
			waitEnd = s.Answered
		}
		s.Wait = max(waitEnd.Sub(s.Arrived), 0).Seconds()
	}
	return s
}

func addOnce(list *[]string, v string) {
	if v != "" && !slices.Contains(*list, v) {
		*list = append(*list, v)
	}
}

// callFilter is what a call history query asks for besides time and
// paging.
type callFilter struct {
	text    string // lower case; matched in caller, DID, call ID and people
	queue   string
	agent   string
	outcome string
}

// matches reports whether s is one the filter asks for.
func (f callFilter) matches(s *callSummary) bool {
	if f.queue != "" && !slices.Contains(s.Queues, f.queue) {
		return false
	}
	if f.agent != "" && !slices.Contains(s.Handlers, f.agent) && !slices.Contains(s.offered, f.agent) &&
		!slices.Contains(s.AssistedBy, f.agent) {
		return false
	}
	switch f.outcome {
	case "":
	case OutcomeOverflowed:
		if !s.Overflowed {
			return false
		}
	default:
		if s.Outcome != f.outcome {
			return false
		}
	}
	if f.text == "" {
		return true
	}
	for _, v := range [][]string{{s.ID, s.Caller, s.DID}, s.Handlers, s.AssistedBy, s.ListenedBy} {
		for _, x := range v {
			if strings.Contains(strings.ToLower(x), f.text) {
				return true
			}
		}
	}
	return false
}

// seesSummary reports whether v may see the call: one of its queues is
// watched, or one of its people is visible.
func (v *viewer) seesSummary(s *callSummary) bool {
	if v.admin {
		return true
	}
	for _, q := range s.Queues {
		if v.seesQueue(q) {
			return true
		}
	}
	for _, list := range [][]string{s.Handlers, s.offered} {
		for _, a := range list {
			if v.seesAgent(a) {
				return true
			}
		}
	}
	return false
}
