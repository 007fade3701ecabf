package acd

import (
	"errors"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// State is an agent's state.
type State string

// Agent states. A routed call moves Available → Ringing → OnCall → ACW →
// Available.
const (
	Offline   State = "offline"
	Available State = "available"
	NotReady  State = "not_ready"
	Ringing   State = "ringing"
	OnCall    State = "on_call"
	ACW       State = "acw"
)

// Help is an agent's help-request state: the icon's colour.
type Help string

// Help states: none (blue) → requested (red) → assisting (green) → none.
const (
	HelpNone      Help = "none"
	HelpRequested Help = "requested"
	HelpAssisting Help = "assisting"
)

// ListenIn is an agent's Let Listen In choice.
type ListenIn string

// Let Listen In choices.
const (
	ListenOff  ListenIn = "off"
	ListenAll  ListenIn = "all"  // on for all calls
	ListenCall ListenIn = "call" // on for the current call only
)

// System reasons for Not Ready.
const (
	ReasonMissed      = "missed call"
	ReasonRejected    = "rejected call"
	ReasonUnreachable = "unreachable"
	// ReasonACWEnded is stored when a supervisor ends an agent's After
	// Call Work without giving a reason.
	ReasonACWEnded = "After Call Work ended by a supervisor"
)

// Errors that callers branch on. They are wrapped with context.
var (
	ErrUnknownAgent  = errors.New("unknown agent")
	ErrUnknownNumber = errors.New("number not in service")
	ErrUnknownCall   = errors.New("unknown call")
	ErrNotAllowed    = errors.New("not allowed in this state")
	ErrBadReason     = errors.New("unknown Not Ready reason")
	ErrDuplicateCall = errors.New("call already known")
	ErrNotRouted     = errors.New("agent is not on a routed call")
)

// Sink stores and announces what the engine decides. Store must write the
// events atomically (all or none) and fill in their Seq; when it fails the
// engine changes nothing and returns the error. Announce is called after the
// events are applied, still in order. Neither may call back into the engine.
type Sink interface {
	Store(evs []events.Event) error
	Announce(evs []events.Event)
}

// Inbound describes a customer's call as it arrives.
type Inbound struct {
	ID     string
	DID    string
	Caller string
	// Prefer names an agent of the queue to offer the call to first, when
	// that agent is Available ("Call me" in the demo). Otherwise the
	// queue's strategy routes the call as usual.
	Prefer string
}

// AgentView is a snapshot of one agent.
type AgentView struct {
	Name      string    `json:"name"`
	Display   string    `json:"display"`
	Teams     []string  `json:"teams"`
	State     State     `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Since     time.Time `json:"since"`
	Call      string    `json:"call,omitempty"`
	Queue     string    `json:"queue,omitempty"`
	Caller    string    `json:"caller,omitempty"`
	CallSince time.Time `json:"call_since,omitzero"`
	Help      Help      `json:"help"`
	ListenIn  ListenIn  `json:"listen_in"`
}

// CallState is where a customer's call is.
type CallState string

// Call states.
const (
	CallQueued    CallState = "queued"
	CallRinging   CallState = "ringing"
	CallConnected CallState = "connected"
)

// CallView is a snapshot of one live call.
type CallView struct {
	ID       string    `json:"id"`
	Queue    string    `json:"queue"`
	Caller   string    `json:"caller"`
	DID      string    `json:"did"`
	State    CallState `json:"state"`
	Arrived  time.Time `json:"arrived"`
	Agents   []string  `json:"agents,omitempty"` // ringing, or the handler
	Handlers []string  `json:"handlers,omitempty"`
	Answered time.Time `json:"answered,omitzero"`
}

// QueueView is a snapshot of one queue.
type QueueView struct {
	Name        string    `json:"name"`
	Waiting     int       `json:"waiting"`
	OldestSince time.Time `json:"oldest_since,omitzero"`
	Agents      int       `json:"agents"`
	Available   int       `json:"available"`
}
