package callflow

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

func TestMetaPaths(t *testing.T) {
	wav := filepath.Join("data", "recordings", "2025-01-06", "abc.wav")
	if got := MetaPath(wav); got != filepath.Join("data", "recordings", "2025-01-06", "abc.json") {
		t.Errorf("MetaPath = %s", got)
	}
	if got := trackPath(wav, "as-1f/../x"); got != filepath.Join("data", "recordings", "2025-01-06", "abc-as-1f____x.wav") {
		t.Errorf("trackPath = %s: a session ID must not name another folder", got)
	}
}

// TestOpenSessions: the metadata waits until every session of the call
// has its end.
func TestOpenSessions(t *testing.T) {
	t0 := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	evs := []events.Event{
		{Seq: 1, At: t0, Kind: events.CallArrived, Call: "c"},
		{Seq: 2, At: t0.Add(time.Second), Kind: events.AssistMode, Call: "c", State: "ringing", Detail: "as-1", Actor: "sam"},
		{Seq: 3, At: t0.Add(2 * time.Second), Kind: events.ListenSession, Call: "c", State: "listen", Detail: "li-1", Actor: "carol"},
		{Seq: 4, At: t0.Add(3 * time.Second), Kind: events.AssistMode, Call: "c", State: "ended", Detail: "as-1", Actor: "sam"},
	}
	if !openSessions(evs) {
		t.Fatal("carol's listen-in has not ended, yet no session is open")
	}
	evs = append(evs, events.Event{Seq: 5, At: t0.Add(4 * time.Second), Kind: events.ListenSession, Call: "c", State: "ended", Detail: "li-1"})
	if openSessions(evs) {
		t.Fatal("every session has ended, yet one is open")
	}
	if openSessions(evs[:1]) {
		t.Fatal("a call without sessions has one open")
	}
}

// TestHandlersFromEvents: a take-over gives the call two handlers, each
// with when and how they began and ended.
func TestHandlersFromEvents(t *testing.T) {
	t0 := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	m := RecordingMeta{Handlers: []Handler{}}
	for _, e := range []events.Event{
		{At: at(0), Kind: events.CallArrived, Call: "c", Queue: "sales", Caller: "+44", DID: "+1555"},
		{At: at(2), Kind: events.CallAnswered, Call: "c", Agent: "alice"},
		{At: at(9), Kind: events.CallHandlerEnded, Call: "c", Agent: "alice", Reason: "taken_over"},
		{At: at(9), Kind: events.CallAnswered, Call: "c", Agent: "sam", Reason: "take_over"},
		{At: at(20), Kind: events.CallEnded, Call: "c", Reason: "completed", Actor: "customer"},
	} {
		m.apply(e)
	}
	var names []string
	for _, h := range m.Handlers {
		names = append(names, h.Name)
	}
	if !slices.Equal(names, []string{"alice", "sam"}) || m.Handlers[0].To != at(9) || m.Handlers[0].EndedHow != "taken_over" ||
		m.Handlers[1].How != "take_over" || m.Handlers[1].To != at(20) || m.Caller != "+44" || m.Queue != "sales" || m.DID != "+1555" ||
		m.EndReason != "completed" || m.EndedBy != "customer" || m.Ended != at(20) {
		t.Fatalf("meta %+v", m)
	}
}
