package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// auditEntry is one configuration change: who, when, and each thing that
// changed, in words.
type auditEntry struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Changes []string  `json:"changes"`
}

// listAudit lists configuration changes, newest first (limit 1..1000,
// default 100).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ *caller) error {
	f := HistoryFilter{Kind: events.ConfigChanged, Limit: defaultHistoryLimit}
	q := r.URL.Query()
	for k := range q {
		if k != "limit" {
			return errorf(http.StatusBadRequest, "unknown query parameter %q; use limit", k)
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxHistoryLimit {
			return errorf(http.StatusBadRequest, "limit must be a whole number from 1 to %d", maxHistoryLimit)
		}
		f.Limit = n
	}
	if s.history == nil {
		return errorf(http.StatusServiceUnavailable, "the audit is not available")
	}
	evs, err := s.history.Events(r.Context(), f)
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	out := make([]auditEntry, 0, len(evs))
	for _, e := range evs {
		if e.Kind != events.ConfigChanged {
			continue
		}
		changes := []string{}
		if e.Detail != "" {
			changes = strings.Split(e.Detail, "\n")
		}
		out = append(out, auditEntry{Seq: e.Seq, At: e.At, Actor: e.Actor, Changes: changes})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
	return nil
}
