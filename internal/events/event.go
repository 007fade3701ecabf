// Package events holds the one record every part of earshot speaks: an Event
// is a state change with its time. The control plane emits them, the store
// keeps them (history, statistics, audit) and the web hub shows them to the
// users allowed to see them. It also holds the in-process Bus.
package events

import "time"

// Kind names what changed.
type Kind string

// Kinds of event. The comment lists the fields each one sets.
const (
	// AgentState: Agent, State (offline|available|not_ready|ringing|on_call|acw),
	// Reason (for not_ready, or why it changed), Call (ringing/on_call/acw),
	// Actor (who changed it, when not the agent or the system).
	AgentState Kind = "agent.state"
	// CallArrived: Call, Queue, Caller, DID. A customer call entered a queue.
	CallArrived Kind = "call.arrived"
	// CallQueued: Call, Queue, Reason (arrived|missed|rejected|overflow).
	// The call is waiting in Queue (again).
	CallQueued Kind = "call.queued"
	// CallOffered: Call, Queue, Agent. The agent's endpoint is ringing.
	CallOffered Kind = "call.offered"
	// CallUnoffered: Call, Agent, Reason (missed|rejected|cancelled|taken).
	// The agent's ringing ended without an answer.
	CallUnoffered Kind = "call.unoffered"
	// CallAnswered: Call, Queue, Agent. The agent now handles the call.
	CallAnswered Kind = "call.answered"
	// CallHandlerEnded: Call, Agent, Reason (hangup|taken_over|customer_hangup).
	// An agent stopped handling the call (the call may go on: take over).
	CallHandlerEnded Kind = "call.handler_ended"
	// CallEnded: Call, Queue, Reason (completed|abandoned|max_wait|failed),
	// Actor (customer|agent name|system).
	CallEnded Kind = "call.ended"
	// CallRecording: Call, Queue, Detail (the recording's file). The call
	// is being recorded there.
	CallRecording Kind = "call.recording"
	// HelpState: Agent, State (none|requested|assisting), Actor, Call.
	HelpState Kind = "help.state"
	// AssistMode: Agent, Call, Queue, Actor (the supervisor or listener),
	// State (ringing|listen|talk|takeover|ended), Reason (how it ended),
	// Detail (the assist session's ID). A session's first row (ringing)
	// is its start and its last (ended) its end; each row in between is
	// the start of a mode, which lasts until the next row.
	AssistMode Kind = "assist.mode"
	// ListenSession: Agent, Call, Queue, Actor (the listening colleague),
	// State (ringing|listen|ended), Reason (how it ended), Detail (the
	// session's ID). One colleague listening in (Let Listen In).
	ListenSession Kind = "listen.session"
	// ListenIn: Agent, State (off|all|call), Call (for "call").
	ListenIn Kind = "listen_in"
	// ConfigChanged: Actor, Detail (what changed, in words).
	ConfigChanged Kind = "config.changed"
)

// Event is one stored, timed state change. Seq is given by the store when it
// is written; events are announced only after that.
type Event struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Kind   Kind      `json:"kind"`
	Agent  string    `json:"agent,omitempty"`
	Call   string    `json:"call,omitempty"`
	Queue  string    `json:"queue,omitempty"`
	State  string    `json:"state,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	Caller string    `json:"caller,omitempty"`
	DID    string    `json:"did,omitempty"`
	Detail string    `json:"detail,omitempty"`
}
