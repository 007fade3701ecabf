package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// History limits.
const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 1000
)

// knownKinds are the event kinds a history query may ask for.
var knownKinds = map[events.Kind]bool{
	events.AgentState: true, events.CallArrived: true, events.CallQueued: true,
	events.CallOffered: true, events.CallUnoffered: true, events.CallAnswered: true,
	events.CallHandlerEnded: true, events.CallEnded: true, events.CallRecording: true, events.HelpState: true,
	events.AssistMode: true, events.ListenSession: true, events.ListenIn: true, events.ConfigChanged: true,
}

var historyParams = map[string]bool{"agent": true, "call": true, "since": true, "until": true, "kind": true, "limit": true}

// parseHistoryQuery reads /api/v1/history's query: agent, call, kind,
// since and until (RFC 3339), limit (1..1000, default 100).
func parseHistoryQuery(q url.Values) (HistoryFilter, error) {
	f := HistoryFilter{Limit: defaultHistoryLimit}
	for k, vs := range q {
		if !historyParams[k] {
			return f, errorf(http.StatusBadRequest, "unknown query parameter %q; use agent, call, since, until, kind or limit", k)
		}
		if len(vs) > 1 {
			return f, errorf(http.StatusBadRequest, "query parameter %q is given more than once", k)
		}
	}
	f.Agent = q.Get("agent")
	f.Call = q.Get("call")
	if k := q.Get("kind"); k != "" {
		if !knownKinds[events.Kind(k)] {
			return f, errorf(http.StatusBadRequest, "unknown event kind %q", k)
		}
		f.Kind = events.Kind(k)
	}
	var err error
	if f.Since, err = parseTime(q, "since"); err != nil {
		return f, err
	}
	if f.Until, err = parseTime(q, "until"); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, errorf(http.StatusBadRequest, "since must be before until")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxHistoryLimit {
			return f, errorf(http.StatusBadRequest, "limit must be a whole number from 1 to %d", maxHistoryLimit)
		}
		f.Limit = n
	}
	return f, nil
}

func parseTime(q url.Values, key string) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errorf(http.StatusBadRequest, "%s must be an RFC 3339 time such as 2025-01-06T09:00:00Z", key)
	}
	return t, nil
}

// listHistory returns stored events the caller may see. A supervisor asking
// for an agent outside their teams is refused; other events they may not
// see are left out, so a page may hold fewer than limit.
func (s *Server) listHistory(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := parseHistoryQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if f.Agent != "" && !c.view.canSupervise(f.Agent) {
		return errorf(http.StatusForbidden, "you do not supervise agent %q", f.Agent)
	}
	if s.history == nil {
		return errorf(http.StatusServiceUnavailable, "history is not available")
	}
	evs, err := s.history.Events(r.Context(), f)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	out := []events.Event{}
	for _, e := range evs {
		if c.view.seesEvent(e, s.callQueue) {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
	return nil
}
