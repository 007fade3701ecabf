package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/tonecheck"
)

// recordSales makes the sales queue record its calls.
func recordSales(cfg *config.Config) {
	for i := range cfg.Queues {
		cfg.Queues[i].Record = cfg.Queues[i].Name == "sales"
	}
}

// recordedMeta waits for the metadata of the one recorded call and reads
// it.
func recordedMeta(t *testing.T, a *App) (callflow.RecordingMeta, string) {
	t.Helper()
	var wav string
	waitFor(t, 10*time.Second, "the recording's path in the history", func() bool {
		evs, err := a.store.Events(t.Context(), store.Filter{Kinds: []events.Kind{events.CallRecording}})
		if err != nil || len(evs) == 0 {
			return false
		}
		wav = evs[0].Detail
		return true
	})
	var m callflow.RecordingMeta
	waitFor(t, 15*time.Second, "the recording's metadata", func() bool {
		b, err := os.ReadFile(callflow.MetaPath(wav))
		return err == nil && json.Unmarshal(b, &m) == nil
	})
	return m, wav
}

// TestRecordingMetadata: sam assists alice on a recorded sales call —
// listen, talk, listen, take over — and the customer hangs up. Beside the
// call's stereo WAV lie sam's own track (his tone, 1700 Hz) and a JSON
// file naming the call, its two handlers, the WAV's channels, sam's track
// with its offset, and the session with each mode's times and how it
// ended. Until the take-over neither channel of the customer's recording
// holds sam's whisper.
// assistedRecordedCall plays a recorded sales call: a customer (440 Hz)
// reaches alice's phone (1000 Hz); sam (1700 Hz, rung on his phone)
// assists — listen, talk, listen, take over — and the customer hangs up.
// It returns the rig and sam's session once the call has ended.
func assistedRecordedCall(t *testing.T) (*assistRig, string) {
	t.Helper()
	r := newAssistRig(t, recordSales)
	_, samC, cust := r.samOnPhoneAliceOnCall()
	var started struct{ Session assist.Session }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
		t.Fatalf("sam assists alice: %d", code)
	}
	id := started.Session.ID
	r.session("sam", assist.Listen)
	mode := func(m string) {
		t.Helper()
		if code := samC.do("PUT", "/api/v1/assists/"+id, map[string]string{"mode": m}, nil); code != 200 {
			t.Fatalf("%s: %d", m, code)
		}
	}
	time.Sleep(phase)
	mode("talk")
	time.Sleep(phase)
	mode("listen")
	time.Sleep(phase)
	mode("takeover")
	time.Sleep(phase)
	cust.b.Command("hangup", "")
	waitFor(t, 10*time.Second, "the call to end", func() bool { return len(r.a.Engine().Calls()) == 0 })
	return r, id
}

func TestRecordingMetadata(t *testing.T) {
	r, id := assistedRecordedCall(t)
	m, wav := recordedMeta(t, r.a)
	if m.Call == "" || m.Queue != "sales" || m.DID != "+15550100" || m.Caller == "" || m.File != filepath.Base(wav) {
		t.Errorf("metadata names call %q caller %q DID %q queue %q file %q", m.Call, m.Caller, m.DID, m.Queue, m.File)
	}
	if !slices.Equal(m.Channels, []string{callflow.ChannelCustomerSaid, callflow.ChannelCustomerHeard}) {
		t.Errorf("channels %v", m.Channels)
	}
	if len(m.Handlers) != 2 || m.Handlers[0].Name != "alice" || m.Handlers[1].Name != "sam" || m.Handlers[1].How != "take_over" ||
		m.Handlers[0].EndedHow != "taken_over" || m.Handlers[1].To.IsZero() {
		t.Errorf("handlers %+v; want alice, then sam by take-over", m.Handlers)
	}
	if m.EndReason != "completed" || m.EndedBy != "customer" || !m.Ended.After(m.Started) {
		t.Errorf("end %q by %q, %s..%s", m.EndReason, m.EndedBy, m.Started, m.Ended)
	}
	if len(m.Sessions) != 1 {
		t.Fatalf("sessions %+v; want sam's", m.Sessions)
	}
	s := m.Sessions[0]
	var modes []string
	for _, sp := range s.Modes {
		modes = append(modes, string(sp.Mode))
		if sp.To.IsZero() || sp.To.Before(sp.From) {
			t.Errorf("mode %s: %s..%s", sp.Mode, sp.From, sp.To)
		}
	}
	if s.ID != id || s.User != "sam" || s.Agent != "alice" || s.Reason != assist.EndCustomerHungUp ||
		!slices.Equal(modes, []string{"ringing", "listen", "talk", "listen", "takeover"}) {
		t.Errorf("session %s by %s on %s: modes %v, ended %q", s.ID, s.User, s.Agent, modes, s.Reason)
	}
	if len(m.SupervisorTracks) != 1 {
		t.Fatalf("supervisor tracks %+v; want sam's", m.SupervisorTracks)
	}
	tr := m.SupervisorTracks[0]
	if tr.Supervisor != "sam" || tr.Session != id || tr.OffsetSeconds <= 0 || tr.Frames == 0 {
		t.Errorf("track %+v", tr)
	}
	talk := s.Modes[2]
	track, rate, err := tonecheck.ReadWAV(filepath.Join(filepath.Dir(wav), tr.File))
	if err != nil {
		t.Fatal(err)
	}
	at := func(ts time.Time, from time.Time) float64 { return ts.Sub(from).Seconds() }
	check(t, "sam's track while he talks", window(track, rate, at(talk.From, tr.Started)+0.3, at(talk.To, tr.Started)),
		rate, f(toneSam), f(toneCustomer, toneAgent))

	said, rate, err := tonecheck.ReadWAVChannel(wav, 0)
	if err != nil {
		t.Fatal(err)
	}
	heard, _, err := tonecheck.ReadWAVChannel(wav, 1)
	if err != nil {
		t.Fatal(err)
	}
	tk := s.Modes[4]
	whisper := window(heard, rate, at(talk.From, m.Started)+0.3, at(talk.To, m.Started))
	check(t, "what the customer heard during the whisper", whisper, rate, f(toneAgent), f(toneSam))
	check(t, "what the customer heard before the take-over", window(heard, rate, 0, at(tk.From, m.Started)-0.1), rate, nil, f(toneSam))
	check(t, "what the customer said", said, rate, f(toneCustomer), f(toneSam, toneAgent))
	check(t, "what the customer heard after the take-over", window(heard, rate, at(tk.From, m.Started)+0.3, at(tk.To, m.Started)),
		rate, f(toneSam), f(toneAgent))
}
