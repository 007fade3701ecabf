package softphone

import "errors"

// Errors Ring returns, wrapped with context, for the call flow to branch on.
var (
	// ErrRejected: the agent pressed Reject.
	ErrRejected = errors.New("softphone: call rejected")
	// ErrGone: the user has no web phone with connected audio, or it went
	// away (closed, replaced by a newer login, connection lost) while
	// ringing.
	ErrGone = errors.New("softphone: web phone not connected")
	// ErrBusy: the user's web phone already has a call ringing or connected.
	ErrBusy = errors.New("softphone: web phone busy with another call")
	// ErrEnded: Ended was called for the call while it was ringing.
	ErrEnded = errors.New("softphone: call ended while ringing")
	// ErrClosed: the Phones were closed.
	ErrClosed = errors.New("softphone: closed")
)

// Reasons a call ends, sent to the page in call.ended. The call flow may
// pass others to Ended; the page shows these in words.
const (
	ReasonHangup         = "hangup"          // the agent pressed Hang up
	ReasonRejected       = "rejected"        // the agent pressed Reject
	ReasonMissed         = "missed"          // nobody answered in the ring time
	ReasonCancelled      = "cancelled"       // the ringing was called off (caller hung up, taken by another agent)
	ReasonCustomerHangup = "customer_hangup" // the customer hung up
	ReasonTakenOver      = "taken_over"      // a supervisor took the call over
	ReasonGone           = "connection_lost" // the page's connection was lost or replaced
)
