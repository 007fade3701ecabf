package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
)

// callDetail is GET /api/v1/call-history/{id}: the call's row, its
// timeline, the audit of its assist and listen-in sessions, and its
// recording.
type callDetail struct {
	Call      callSummary     `json:"call"`
	Timeline  []events.Event  `json:"timeline"`
	Sessions  []assist.Record `json:"sessions"` // oldest first
	Recording *recordingInfo  `json:"recording"`
}

// recordingInfo says where a call's recording and its supervisor tracks
// are served. Meta is the metadata file written beside the WAV when the
// call ended (null until then, or if it was never written).
type recordingInfo struct {
	URL         string          `json:"url"`
	DownloadURL string          `json:"download_url"`
	Available   bool            `json:"available"` // the call has ended and the file is there
	Meta        json.RawMessage `json:"meta"`
	Tracks      []trackInfo     `json:"tracks"`
}

// trackInfo is one supervisor track of a recording.
type trackInfo struct {
	Session       string  `json:"session"`
	Supervisor    string  `json:"supervisor"`
	OffsetSeconds float64 `json:"offset_seconds"`
	URL           string  `json:"url"`
	DownloadURL   string  `json:"download_url"`
}

// recordingMeta is the part of the metadata file the server reads
// itself: where the supervisor tracks are.
type recordingMeta struct {
	SupervisorTracks []struct {
		File          string  `json:"file"`
		Supervisor    string  `json:"supervisor"`
		Session       string  `json:"session"`
		OffsetSeconds float64 `json:"offset_seconds"`
	} `json:"supervisor_tracks"`
}

// callID reads and checks the {id} of a call route.
func callID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 256 || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		return "", errorf(http.StatusBadRequest, "call ID must be 1 to 256 characters of text")
	}
	return id, nil
}

// visibleCall reads call id's events and row, checking that it exists and
// that the caller may see it.
func (s *Server) visibleCall(ctx context.Context, c *caller, id string) ([]events.Event, callSummary, error) {
	if s.opts.Calls == nil {
		return nil, callSummary{}, errorf(http.StatusServiceUnavailable, "call history is not available")
	}
	evs, err := s.opts.Calls.CallEvents(ctx, []string{id})
	if err != nil {
		return nil, callSummary{}, fmt.Errorf("read call %s: %w", id, err)
	}
	sum := summarizeCall(evs, s.now())
	if sum.Arrived.IsZero() {
		return nil, sum, errorf(http.StatusNotFound, "no call %q in the history", id)
	}
	if !c.view.seesSummary(&sum) {
		return nil, sum, errorf(http.StatusForbidden, "call %q is not in a queue your teams serve", id)
	}
	return evs, sum, nil
}

// getCallHistory answers GET /api/v1/call-history/{id}.
func (s *Server) getCallHistory(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := callID(r)
	if err != nil {
		return err
	}
	evs, sum, err := s.visibleCall(r.Context(), c, id)
	if err != nil {
		return err
	}
	d := callDetail{Call: sum, Timeline: []events.Event{}, Sessions: assist.Audit(evs)}
	slices.Reverse(d.Sessions)
	for _, e := range evs {
		if e.Kind != events.AgentState && e.Kind != events.HelpState && e.Kind != events.ListenIn {
			d.Timeline = append(d.Timeline, e)
		}
	}
	if sum.Recording {
		d.Recording = s.recordingInfo(&sum)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// recordingInfo describes sum's recording as far as the files tell.
func (s *Server) recordingInfo(sum *callSummary) *recordingInfo {
	base := "/api/v1/recordings/" + urlPathEscape(sum.ID)
	info := &recordingInfo{URL: base, DownloadURL: base + "?download=1", Meta: json.RawMessage("null"), Tracks: []trackInfo{}}
	if sum.Ended.IsZero() {
		return info
	}
	root, rel, err := s.recordingFile(sum.recording)
	if err != nil {
		return info
	}
	defer root.Close()
	if st, err := root.Stat(rel); err == nil && st.Mode().IsRegular() {
		info.Available = true
	}
	b, err := root.ReadFile(metaPath(rel))
	var m recordingMeta
	if err != nil || json.Unmarshal(b, &m) != nil {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("read recording metadata", "call", sum.ID, "error", err)
		}
		return info
	}
	info.Meta = b
	for _, t := range m.SupervisorTracks {
		u := base + "/tracks/" + urlPathEscape(t.Session)
		info.Tracks = append(info.Tracks, trackInfo{Session: t.Session, Supervisor: t.Supervisor,
			OffsetSeconds: t.OffsetSeconds, URL: u, DownloadURL: u + "?download=1"})
	}
	return info
}
