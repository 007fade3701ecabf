package sip

import (
	"errors"
	"fmt"
)

// Sentinel errors. Handlers return the first group to choose the SIP
// response; Dial and the Call methods return the rest, wrapped.
var (
	// ErrUnknownNumber, returned by a Handler, answers the INVITE 404.
	ErrUnknownNumber = errors.New("unknown number")
	// ErrUnavailable, returned by a Handler, answers the INVITE 503.
	ErrUnavailable = errors.New("service unavailable")

	// ErrBusy: the far end is busy (486, 600).
	ErrBusy = errors.New("busy")
	// ErrNoAnswer: nobody answered (408, 480, 487, or the Dial context
	// ended first, in which case the error also wraps the context's).
	ErrNoAnswer = errors.New("no answer")
	// ErrRejected: the far end refused the call with another final response.
	ErrRejected = errors.New("call rejected")
	// ErrUnreachable: no response came at all, or the transport failed.
	ErrUnreachable = errors.New("far end unreachable")
	// ErrNotRegistered: a "user:" target has no registered phone.
	ErrNotRegistered = errors.New("no registered phone")
	// ErrNoTrunk: a number was dialled but no trunk has an Outbound address.
	ErrNoTrunk = errors.New("no outbound trunk")
	// ErrInvalidTarget: the dial target or request is not usable.
	ErrInvalidTarget = errors.New("invalid dial request")
	// ErrMedia: the media leg or the far end's SDP could not be used.
	ErrMedia = errors.New("media negotiation failed")

	// ErrCallEnded: the call is over; the method has no effect.
	ErrCallEnded = errors.New("call has ended")
	// ErrAnswered: the call is already answered (Reject, Ringing, Answer
	// again, or any of them on an outbound call).
	ErrAnswered = errors.New("call already answered")
	// ErrShuttingDown: the server takes no new calls.
	ErrShuttingDown = errors.New("SIP server is shutting down")
)

// ResponseError is a final SIP response that ended a Dial. It unwraps to
// ErrBusy, ErrNoAnswer or ErrRejected.
type ResponseError struct {
	Code   int
	Reason string
	kind   error
}

// Error implements error.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("%v: %d %s", e.kind, e.Code, e.Reason)
}

// Unwrap returns the sentinel the response code falls under.
func (e *ResponseError) Unwrap() error { return e.kind }

// responseError classifies a final non-2xx response to an INVITE.
func responseError(code int, reason string) *ResponseError {
	kind := ErrRejected
	switch code {
	case 486, 600:
		kind = ErrBusy
	case 408, 480, 487:
		kind = ErrNoAnswer
	}
	return &ResponseError{Code: code, Reason: reason, kind: kind}
}

// handlerResponse maps a Handler's error to the response for the INVITE.
func handlerResponse(err error) (int, string) {
	switch {
	case errors.Is(err, ErrUnknownNumber):
		return 404, "Not Found"
	case errors.Is(err, ErrBusy):
		return 486, "Busy Here"
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrShuttingDown):
		return 503, "Service Unavailable"
	default:
		return 500, "Server Internal Error"
	}
}
