package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/earshot/earshot/internal/acd"
)

// apiError is an error the client is told about as it is.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf builds an error answered with status and the formatted sentence.
func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to its HTTP status and the sentence the client
// sees. Unknown errors are internal: their text stays in the log.
func statusOf(err error) (int, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.Is(err, acd.ErrUnknownAgent), errors.Is(err, acd.ErrUnknownCall), errors.Is(err, acd.ErrUnknownNumber):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, acd.ErrNotAllowed), errors.Is(err, acd.ErrNotRouted), errors.Is(err, acd.ErrDuplicateCall):
		return http.StatusConflict, err.Error()
	case errors.Is(err, acd.ErrBadReason), errors.Is(err, ErrInvalidConfig):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the request was cancelled or timed out"
	}
	return http.StatusInternalServerError, "internal error; see the server log"
}

// errorBody is every error response.
type errorBody struct {
	Error string `json:"error"`
}

// fail answers err as {"error": "..."} with its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	writeJSON(w, status, errorBody{msg})
}

// writeJSON writes v as the response body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: response could not be encoded"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
