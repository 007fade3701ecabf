package assist

import (
	"errors"
	"fmt"
)

// Errors that callers branch on. The desk wraps them in refusals whose
// text is a whole sentence for the person who asked, without the
// sentinel's words: the monitor shows it as it is.
var (
	// ErrForbidden: the person may not do this (not the agent's
	// supervisor, no listen-in permission, not their session).
	ErrForbidden = errors.New("not permitted")
	// ErrNotRouted: the agent is not on an inbound routed call.
	ErrNotRouted = errors.New("agent is not on an inbound routed call")
	// ErrTakenOver: another supervisor has already taken the call over.
	ErrTakenOver = errors.New("call already taken over")
	// ErrUnknownSession: no live session has this ID.
	ErrUnknownSession = errors.New("no such assist session")
	// ErrBadEndpoint: the endpoint is malformed or the dial plan refuses it.
	ErrBadEndpoint = errors.New("bad assist endpoint")
	// ErrNoEndpoint: the supervisor has not said where assist audio goes.
	ErrNoEndpoint = errors.New("no assist endpoint")
	// ErrBadMode: not a mode one can ask for.
	ErrBadMode = errors.New("unknown assist mode")
	// ErrNotAllowed: not possible in the session's or agent's present state.
	ErrNotAllowed = errors.New("not allowed now")
)

// refusal is an error whose text is a sentence for people and which
// unwraps to a sentinel for code.
type refusal struct {
	msg  string
	kind error
	err  error // an underlying cause, if any
}

func (r *refusal) Error() string { return r.msg }

// Unwrap gives the sentinel and the cause.
func (r *refusal) Unwrap() []error {
	if r.err != nil {
		return []error{r.kind, r.err}
	}
	return []error{r.kind}
}

// refuse builds a refusal of kind with a formatted sentence.
func refuse(kind error, format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...), kind: kind}
}

// refuseCause is refuse with an underlying error kept for errors.Is.
func refuseCause(kind, cause error, format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...), kind: kind, err: cause}
}
