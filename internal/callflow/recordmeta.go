package callflow

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
)

// metaGrace bounds how long a finished call's metadata waits for the
// ends of its assist and listen-in sessions, which the desk announces
// after the call's own end.
const metaGrace = 5 * time.Second

// RecordingMeta is what the call flow writes beside a call's recording
// when the call ends (MetaPath): who and what the call was, what each
// channel of the WAV holds, the supervisors' own tracks and every assist
// and listen-in session with its modes.
type RecordingMeta struct {
	Call      string    `json:"call"`
	Caller    string    `json:"caller"`
	DID       string    `json:"did"`
	Queue     string    `json:"queue"`
	Started   time.Time `json:"started"` // the recording's first frame
	Ended     time.Time `json:"ended"`
	EndReason string    `json:"end_reason,omitempty"` // the ACD's call.ended reason
	EndedBy   string    `json:"ended_by,omitempty"`   // customer, a user, or system
	Handlers  []Handler `json:"handlers"`
	// File is the WAV's name, in the folder of this file. Channels say
	// what each of its channels holds, in order.
	File     string   `json:"file"`
	Channels []string `json:"channels"`
	// Frames is the WAV's length in 20 ms frames; Dropped of them were
	// lost because the disk fell behind.
	Frames           int64             `json:"frames"`
	Dropped          uint64            `json:"dropped_frames"`
	SupervisorTracks []SupervisorTrack `json:"supervisor_tracks"`
	Sessions         []assist.Record   `json:"sessions"`
}

// Channel names of the call recording, in order.
const (
	ChannelCustomerSaid  = "customer said"
	ChannelCustomerHeard = "customer heard"
)

// Handler is one person who handled the call: the agent, and after a take
// over the supervisor.
type Handler struct {
	Name     string    `json:"name"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to,omitzero"`
	How      string    `json:"how,omitempty"`       // "take_over" for a supervisor's
	EndedHow string    `json:"ended_how,omitempty"` // the call.handler_ended reason
}

// SupervisorTrack is a mono WAV of what one assisting supervisor said,
// from the moment their leg joined the call.
type SupervisorTrack struct {
	File       string    `json:"file"` // in the folder of the call's recording
	Supervisor string    `json:"supervisor"`
	Session    string    `json:"session"`
	Started    time.Time `json:"started"`
	// Offset is where the track starts in the call's recording.
	OffsetSeconds float64 `json:"offset_seconds"`
	Frames        int64   `json:"frames"`
}

// MetaPath is where the metadata of the recording at wav is written: the
// same name with .json for .wav.
func MetaPath(wav string) string {
	return strings.TrimSuffix(wav, filepath.Ext(wav)) + ".json"
}

// trackPath is where session's supervisor track of the recording at wav
// goes.
func trackPath(wav, session string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, session)
	return strings.TrimSuffix(wav, filepath.Ext(wav)) + "-" + clean + ".wav"
}

// track is a supervisor track being recorded.
type track struct {
	meta SupervisorTrack
	rec  *media.Recording
}

// callLog is what the flow gathers of a recorded call for its metadata.
// It belongs to the liveCall and, after the call's end, to f.finishing;
// f.mu guards it.
type callLog struct {
	path     string // the call's recording; "" while not recorded
	did      string
	started  time.Time
	evs      []events.Event
	tracks   []*track
	rec      *media.Recording
	deadline *time.Timer
}

// logged reports whether e belongs in a call's metadata.
func logged(e events.Event) bool {
	switch e.Kind {
	case events.CallArrived, events.CallQueued, events.CallOffered, events.CallUnoffered,
		events.CallAnswered, events.CallHandlerEnded, events.CallEnded, events.CallRecording,
		events.AssistMode, events.ListenSession:
		return e.Call != ""
	}
	return false
}

// note adds e to the log of its recorded call, live or finishing. A
// finishing call whose sessions have all ended gets its metadata written.
func (f *Flow) note(e events.Event) {
	if !logged(e) {
		return
	}
	f.mu.Lock()
	if lc := f.calls[e.Call]; lc != nil && lc.log != nil {
		lc.log.evs = append(lc.log.evs, e)
		f.mu.Unlock()
		return
	}
	cl := f.finishing[e.Call]
	if cl == nil {
		f.mu.Unlock()
		return
	}
	cl.evs = append(cl.evs, e)
	done := !openSessions(cl.evs)
	if done {
		f.takeFinishing(e.Call)
	}
	f.mu.Unlock()
	if done {
		f.writeMeta(e.Call, cl)
	}
}

// openSessions reports whether any assist or listen-in session in evs has
// not ended.
func openSessions(evs []events.Event) bool {
	for _, r := range assist.Audit(evs) {
		if r.Ended.IsZero() {
			return true
		}
	}
	return false
}

// takeFinishing removes a finishing call's log; the caller holds f.mu.
func (f *Flow) takeFinishing(id string) {
	if cl := f.finishing[id]; cl != nil && cl.deadline != nil {
		cl.deadline.Stop()
	}
	delete(f.finishing, id)
}

// startTrack records what the supervisor of session p says, beside the
// call's recording. The caller holds f.mu.
func (f *Flow) startTrack(lc *liveCall, p *party) {
	cl := lc.log
	if cl == nil || cl.rec == nil {
		return
	}
	for _, tr := range cl.tracks {
		if tr.meta.Session == p.session {
			return
		}
	}
	path := trackPath(cl.path, p.session)
	rec, err := lc.room.RecordLeg(path, p.leg.ID())
	if err != nil {
		f.log.Warn("start supervisor track", "call", lc.id, "session", p.session, "err", err)
		return
	}
	offset := time.Duration(cl.rec.Frames()) * 20 * time.Millisecond
	cl.tracks = append(cl.tracks, &track{rec: rec, meta: SupervisorTrack{
		File: filepath.Base(path), Supervisor: p.name, Session: p.session,
		Started: cl.started.Add(offset), OffsetSeconds: offset.Seconds(),
	}})
}

// stopTrack ends the track of session, if any, without waiting for its
// file. The caller holds f.mu.
func (f *Flow) stopTrack(lc *liveCall, session string) {
	if lc.log == nil || session == "" {
		return
	}
	for _, tr := range lc.log.tracks {
		if tr.meta.Session == session {
			go tr.rec.Close()
		}
	}
}

// finishRecording closes the call's recordings, then writes the metadata
// once every session of the call has ended (or metaGrace has passed).
func (f *Flow) finishRecording(id string, cl *callLog) {
	if err := cl.rec.Close(); err != nil {
		f.log.Warn("finish recording", "call", id, "err", err)
	}
	for _, tr := range cl.tracks {
		if err := tr.rec.Close(); err != nil {
			f.log.Warn("finish supervisor track", "call", id, "session", tr.meta.Session, "err", err)
		}
		tr.meta.Frames = tr.rec.Frames()
	}
	f.mu.Lock()
	if !openSessions(cl.evs) {
		f.mu.Unlock()
		f.writeMeta(id, cl)
		return
	}
	f.finishing[id] = cl
	cl.deadline = time.AfterFunc(metaGrace, func() {
		f.mu.Lock()
		mine := f.finishing[id] == cl
		if mine {
			delete(f.finishing, id)
		}
		f.mu.Unlock()
		if mine {
			f.writeMeta(id, cl)
		}
	})
	f.mu.Unlock()
}

// writeMeta writes the call's metadata beside its recording, through a
// temporary file so a reader never sees half of it.
func (f *Flow) writeMeta(id string, cl *callLog) {
	m := buildMeta(id, cl)
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		err = writeFileAtomic(MetaPath(cl.path), append(b, '\n'))
	}
	if err != nil {
		f.log.Warn("write recording metadata", "call", id, "err", err)
	}
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}

// buildMeta works the metadata out of the call's log.
func buildMeta(id string, cl *callLog) RecordingMeta {
	m := RecordingMeta{
		Call: id, DID: cl.did, Started: cl.started,
		File:     filepath.Base(cl.path),
		Channels: []string{ChannelCustomerSaid, ChannelCustomerHeard},
		Frames:   cl.rec.Frames(), Dropped: cl.rec.Dropped(),
		Handlers: []Handler{}, SupervisorTracks: []SupervisorTrack{},
	}
	m.Ended = cl.started.Add(time.Duration(m.Frames) * 20 * time.Millisecond)
	for _, e := range cl.evs {
		m.apply(e)
	}
	for _, tr := range cl.tracks {
		m.SupervisorTracks = append(m.SupervisorTracks, tr.meta)
	}
	m.Sessions = assist.Audit(cl.evs)
	slices.Reverse(m.Sessions) // oldest first, as the rest of the file reads
	return m
}

// apply adds what e says of the call to m.
func (m *RecordingMeta) apply(e events.Event) {
	switch e.Kind {
	case events.CallArrived:
		m.Caller, m.Queue = e.Caller, e.Queue
		if e.DID != "" {
			m.DID = e.DID
		}
	case events.CallAnswered:
		m.Handlers = append(m.Handlers, Handler{Name: e.Agent, From: e.At, How: e.Reason})
	case events.CallHandlerEnded:
		for i := len(m.Handlers) - 1; i >= 0; i-- {
			if h := &m.Handlers[i]; h.Name == e.Agent && h.To.IsZero() {
				h.To, h.EndedHow = e.At, e.Reason
				break
			}
		}
	case events.CallEnded:
		m.EndReason, m.EndedBy, m.Ended = e.Reason, e.Actor, e.At
		for i := range m.Handlers {
			if m.Handlers[i].To.IsZero() {
				m.Handlers[i].To = e.At
			}
		}
	}
}
