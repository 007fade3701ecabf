package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// errOutsideData marks a stored recording path that does not lie beneath
// the data folder: it is never served.
var errOutsideData = errors.New("recording is not in the data folder")

func urlPathEscape(s string) string { return url.PathEscape(s) }

// metaPath is where the metadata of the recording at wav lies: the same
// name with .json for .wav.
func metaPath(wav string) string {
	return strings.TrimSuffix(wav, filepath.Ext(wav)) + ".json"
}

// recordingFile opens the data folder as a root and returns p (a stored
// path) relative to it. The root refuses any name that leaves it, symbolic
// links included; the caller closes it.
func (s *Server) recordingFile(p string) (*os.Root, string, error) {
	if s.opts.DataDir == "" || p == "" {
		return nil, "", errOutsideData
	}
	base, err := filepath.Abs(s.opts.DataDir)
	if err != nil {
		return nil, "", fmt.Errorf("data folder: %w", err)
	}
	abs, err := filepath.Abs(filepath.Clean(p))
	if err != nil {
		return nil, "", fmt.Errorf("recording path: %w", err)
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, "", fmt.Errorf("%s: %w", p, errOutsideData)
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, "", fmt.Errorf("data folder: %w", err)
	}
	return root, rel, nil
}

// downloadParam reads ?download=: true sends the file as an attachment.
func downloadParam(q url.Values) (bool, error) {
	for k := range q {
		if k != "download" {
			return false, errorf(http.StatusBadRequest, "unknown query parameter %q; only download is known", k)
		}
	}
	switch q.Get("download") {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, errorf(http.StatusBadRequest, "download must be 1 or 0")
}

// serveRecording answers GET /api/v1/recordings/{id}: the call's stereo
// WAV (left what the customer said, right what the customer heard), with
// Range support so a player can seek.
func (s *Server) serveRecording(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.serveCallFile(w, r, c, "")
}

// serveTrack answers GET /api/v1/recordings/{id}/tracks/{session}: what
// the supervisor of that assist session said, as a mono WAV.
func (s *Server) serveTrack(w http.ResponseWriter, r *http.Request, c *caller) error {
	session := r.PathValue("session")
	if session == "" || len(session) > 256 {
		return errorf(http.StatusBadRequest, "session must be 1 to 256 characters")
	}
	return s.serveCallFile(w, r, c, session)
}

// serveCallFile serves the call's recording, or with session the
// supervisor track of that session.
func (s *Server) serveCallFile(w http.ResponseWriter, r *http.Request, c *caller, session string) error {
	download, err := downloadParam(r.URL.Query())
	if err != nil {
		return err
	}
	id, err := callID(r)
	if err != nil {
		return err
	}
	_, sum, err := s.visibleCall(r.Context(), c, id)
	if err != nil {
		return err
	}
	if !sum.Recording {
		return errorf(http.StatusNotFound, "call %q was not recorded", id)
	}
	if sum.Ended.IsZero() {
		return errorf(http.StatusConflict, "call %q is still going on; its recording can be played once it ends", id)
	}
	root, rel, err := s.recordingFile(sum.recording)
	if errors.Is(err, errOutsideData) {
		s.log.Warn("recording outside the data folder refused", "call", id, "path", sum.recording)
		return errorf(http.StatusNotFound, "the recording of call %q is not available", id)
	}
	if err != nil {
		return err
	}
	defer root.Close()
	name := safeFileName(id) + ".wav"
	if session != "" {
		if rel, err = trackFile(root, rel, session); err != nil {
			return err
		}
		name = safeFileName(id+"-"+session) + ".wav"
	}
	f, err := root.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return errorf(http.StatusNotFound, "the recording file of call %q is missing", id)
	}
	if err != nil {
		return fmt.Errorf("open recording of %s: %w", id, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("recording of %s: %w", id, err)
	}
	if !st.Mode().IsRegular() {
		return errorf(http.StatusNotFound, "the recording of call %q is not available", id)
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if download {
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	http.ServeContent(w, r, name, st.ModTime(), f)
	return nil
}

// trackFile finds session's supervisor track in the metadata beside the
// recording rel, and returns the track's path relative to the root.
func trackFile(root *os.Root, rel, session string) (string, error) {
	b, err := root.ReadFile(metaPath(rel))
	if err != nil {
		return "", errorf(http.StatusNotFound, "the recording has no supervisor tracks")
	}
	var m recordingMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("recording metadata %s: %w", metaPath(rel), err)
	}
	for _, t := range m.SupervisorTracks {
		if t.Session != session {
			continue
		}
		if t.File == "" || t.File != filepath.Base(t.File) || t.File == ".." || filepath.Ext(t.File) != ".wav" {
			return "", errorf(http.StatusNotFound, "the supervisor track of session %q is not available", session)
		}
		return filepath.Join(filepath.Dir(rel), t.File), nil
	}
	return "", errorf(http.StatusNotFound, "no supervisor track of session %q on this call", session)
}

// safeFileName keeps the letters, digits, dots and dashes of s for a
// Content-Disposition file name.
func safeFileName(s string) string {
	out := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
	if len(out) > 100 {
		out = out[:100]
	}
	return out
}
