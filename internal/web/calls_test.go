package web

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// fakeCalls is an in-memory CallHistory over a list of events.
type fakeCalls struct{ evs []events.Event }

func (f *fakeCalls) CallsArrived(_ context.Context, queue string, since, until time.Time, before int64, limit int) ([]events.Event, error) {
	var out []events.Event
	for i := len(f.evs) - 1; i >= 0 && len(out) < limit; i-- {
		e := f.evs[i]
		if e.Kind != events.CallArrived || before > 0 && e.Seq >= before || queue != "" && e.Queue != queue ||
			!since.IsZero() && e.At.Before(since) || !until.IsZero() && !e.At.Before(until) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (f *fakeCalls) CallEvents(_ context.Context, ids []string) ([]events.Event, error) {
	var out []events.Event
	for _, e := range f.evs {
		if slices.Contains(ids, e.Call) {
			out = append(out, e)
		}
	}
	return out, nil
}

// callsT0 is when the first test call arrives.
var callsT0 = time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)

// callEvents builds the history of the test calls: c1 (sales, answered by
// alice, assisted and taken over by sup-a, recorded), c2 (support,
// abandoned while queued), c3 (support, abandoned while bob rang), c4
// (support, answered by alice — sup-a's agent), c5 (sales, live, recorded).
func callEvents(wav, wav5 string) []events.Event {
	var evs []events.Event
	at := func(s int, e events.Event) {
		e.Seq = int64(len(evs) + 1)
		e.At = callsT0.Add(time.Duration(s) * time.Second)
		evs = append(evs, e)
	}
	at(0, events.Event{Kind: events.CallArrived, Call: "c1", Queue: "sales", Caller: "+441111", DID: "+15550100"})
	at(0, events.Event{Kind: events.CallRecording, Call: "c1", Queue: "sales", Detail: wav})
	at(1, events.Event{Kind: events.CallOffered, Call: "c1", Queue: "sales", Agent: "alice"})
	at(3, events.Event{Kind: events.CallAnswered, Call: "c1", Queue: "sales", Agent: "alice"})
	at(3, events.Event{Kind: events.AgentState, Call: "c1", Agent: "alice", State: "on_call"})
	at(10, events.Event{Kind: events.AssistMode, Call: "c1", Agent: "alice", Actor: "sup-a", State: "ringing", Detail: "as-1"})
	at(12, events.Event{Kind: events.AssistMode, Call: "c1", Agent: "alice", Actor: "sup-a", State: "listen", Detail: "as-1"})
	at(20, events.Event{Kind: events.AssistMode, Call: "c1", Agent: "alice", Actor: "sup-a", State: "talk", Detail: "as-1"})
	at(30, events.Event{Kind: events.AssistMode, Call: "c1", Agent: "alice", Actor: "sup-a", State: "takeover", Detail: "as-1"})
	at(30, events.Event{Kind: events.CallHandlerEnded, Call: "c1", Queue: "sales", Agent: "alice", Reason: "taken_over"})
	at(30, events.Event{Kind: events.CallAnswered, Call: "c1", Queue: "sales", Agent: "sup-a", Reason: "take_over"})
	at(40, events.Event{Kind: events.CallEnded, Call: "c1", Queue: "sales", Reason: "completed", Actor: "customer"})
	at(40, events.Event{Kind: events.AssistMode, Call: "c1", Agent: "alice", Actor: "sup-a", State: "ended", Reason: "customer hung up", Detail: "as-1"})
	at(50, events.Event{Kind: events.CallArrived, Call: "c2", Queue: "support", Caller: "+442222", DID: "+15550200"})
	at(55, events.Event{Kind: events.CallEnded, Call: "c2", Queue: "support", Reason: "abandoned", Actor: "customer"})
	at(60, events.Event{Kind: events.CallArrived, Call: "c3", Queue: "support", Caller: "+443333", DID: "+15550200"})
	at(61, events.Event{Kind: events.CallOffered, Call: "c3", Queue: "support", Agent: "bob"})
	at(64, events.Event{Kind: events.CallUnoffered, Call: "c3", Agent: "bob", Reason: "cancelled"})
	at(64, events.Event{Kind: events.CallEnded, Call: "c3", Queue: "support", Reason: "abandoned", Actor: "customer"})
	at(70, events.Event{Kind: events.CallArrived, Call: "c4", Queue: "support", Caller: "+444444", DID: "+15550200"})
	at(71, events.Event{Kind: events.CallOffered, Call: "c4", Queue: "support", Agent: "alice"})
	at(72, events.Event{Kind: events.CallAnswered, Call: "c4", Queue: "support", Agent: "alice"})
	at(90, events.Event{Kind: events.CallEnded, Call: "c4", Queue: "support", Reason: "completed", Actor: "alice"})
	at(100, events.Event{Kind: events.CallArrived, Call: "c5", Queue: "sales", Caller: "+445555", DID: "+15550100"})
	at(100, events.Event{Kind: events.CallRecording, Call: "c5", Queue: "sales", Detail: wav5})
	return evs
}

// callsEnv is a server whose call history holds callEvents, with c1's
// recording, its metadata and sup-a's track in a data folder.
func callsEnv(t *testing.T) (*env, string) {
	t.Helper()
	data := t.TempDir()
	dir := filepath.Join(data, "recordings", "2025-01-06")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(dir, "c1.wav")
	body := make([]byte, 44+1600)
	copy(body, "RIFF")
	for i := 44; i < len(body); i++ {
		body[i] = byte(i)
	}
	for name, b := range map[string][]byte{
		"c1.wav": body, "c1-as-1.wav": []byte("RIFF-track"), "c5.wav": []byte("RIFF"),
		"c1.json": []byte(`{"call":"c1","supervisor_tracks":[{"file":"c1-as-1.wav","supervisor":"sup-a","session":"as-1","offset_seconds":12.5}]}`),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	fc := &fakeCalls{evs: callEvents(wav, filepath.Join(dir, "c5.wav"))}
	e := newEnv(t, func(o *Options) { o.Calls, o.DataDir = fc, data })
	return e, wav
}

func callIDs(t *testing.T, r result) []string {
	t.Helper()
	var page struct {
		Calls []struct {
			ID string `json:"id"`
		} `json:"calls"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	ids := []string{}
	for _, c := range page.Calls {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestCallHistoryAccess(t *testing.T) {
	e, _ := callsEnv(t)
	for user, want := range map[string][]string{
		"admin": {"c5", "c4", "c3", "c2", "c1"},
		"sup-a": {"c5", "c4", "c1"}, // sales, and c4 which alice handled
		"sup-b": {"c4", "c3", "c2"},
	} {
		r := e.login(user).call("GET", "/api/v1/call-history", nil)
		expect(t, user, r, 200)
		if got := callIDs(t, r); !slices.Equal(got, want) {
			t.Errorf("%s sees %v, want %v", user, got, want)
		}
	}
	expect(t, "an agent", e.login("alice").call("GET", "/api/v1/call-history", nil), 403)
	expect(t, "anonymous", e.anon().call("GET", "/api/v1/call-history", nil), 401)
	supA := e.login("sup-a")
	expect(t, "another team's queue", supA.call("GET", "/api/v1/call-history?queue=support", nil), 403)
	expect(t, "another team's agent", supA.call("GET", "/api/v1/call-history?agent=bob", nil), 403)
	expect(t, "another team's call", supA.call("GET", "/api/v1/call-history/c2", nil), 403)
	expect(t, "another team's recording", e.login("sup-b").call("GET", "/api/v1/recordings/c1", nil), 403)
	expect(t, "an agent's recording", e.login("alice").call("GET", "/api/v1/recordings/c1", nil), 403)
	expect(t, "unknown call", supA.call("GET", "/api/v1/call-history/nope", nil), 404)
	expect(t, "unknown call's recording", supA.call("GET", "/api/v1/recordings/nope", nil), 404)
}

func TestCallHistoryRows(t *testing.T) {
	e, _ := callsEnv(t)
	admin := e.login("admin")
	r := admin.call("GET", "/api/v1/call-history", nil)
	expect(t, "list", r, 200)
	var page struct{ Calls []callSummary }
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	rows := map[string]callSummary{}
	for _, c := range page.Calls {
		rows[c.ID] = c
	}
	c1 := rows["c1"]
	if !slices.Equal(c1.Handlers, []string{"alice", "sup-a"}) || !slices.Equal(c1.AssistedBy, []string{"sup-a"}) ||
		c1.Outcome != OutcomeAnswered || c1.Wait != 3 || c1.Duration != 40 || !c1.Recording || c1.Caller != "+441111" || c1.DID != "+15550100" {
		t.Errorf("c1: %+v", c1)
	}
	for id, want := range map[string]string{"c2": OutcomeAbandonedQueued, "c3": OutcomeAbandonedRinging, "c4": OutcomeAnswered, "c5": OutcomeLive} {
		if rows[id].Outcome != want {
			t.Errorf("%s outcome %q, want %q", id, rows[id].Outcome, want)
		}
	}
	if rows["c2"].Wait != 5 || rows["c2"].Recording {
		t.Errorf("c2: %+v", rows["c2"])
	}
	for q, want := range map[string][]string{
		"q=%2B4433":                          {"c3"},
		"q=SUP-A":                            {"c1"},
		"outcome=abandoned_ringing":          {"c3"},
		"outcome=answered":                   {"c4", "c1"},
		"queue=sales":                        {"c5", "c1"},
		"agent=alice":                        {"c4", "c1"},
		"since=2025-01-06T08:00:50Z":         {"c5", "c4", "c3", "c2"},
		"until=2025-01-06T08:00:50Z":         {"c1"},
		"since=2025-01-06T08:00:50Z&limit=2": {"c5", "c4"},
	} {
		r := admin.call("GET", "/api/v1/call-history?"+q, nil)
		expect(t, q, r, 200)
		if got := callIDs(t, r); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	// paging
	var seen []string
	path := "/api/v1/call-history?limit=2"
	for range 5 {
		r := admin.call("GET", path, nil)
		expect(t, path, r, 200)
		seen = append(seen, callIDs(t, r)...)
		next, ok := r.json()["next_before"].(float64)
		if !ok {
			break
		}
		path = "/api/v1/call-history?limit=2&before=" + url.QueryEscape(strings.TrimSpace(jsonNumber(next)))
	}
	if !slices.Equal(seen, []string{"c5", "c4", "c3", "c2", "c1"}) {
		t.Errorf("pages: %v", seen)
	}
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestCallHistoryBadQueries(t *testing.T) {
	e, _ := callsEnv(t)
	admin := e.login("admin")
	for _, q := range []string{
		"foo=1", "limit=0", "limit=201", "limit=x", "before=0", "before=-3", "before=x", "outcome=lost",
		"since=yesterday", "since=2025-01-06T10:00:00Z&until=2025-01-06T09:00:00Z", "q=a&q=b",
		"q=" + strings.Repeat("x", 201),
	} {
		r := admin.call("GET", "/api/v1/call-history?"+q, nil)
		expect(t, q, r, 400)
	}
	expect(t, "bad download", admin.call("GET", "/api/v1/recordings/c1?download=maybe", nil), 400)
	expect(t, "unknown recording parameter", admin.call("GET", "/api/v1/recordings/c1?x=1", nil), 400)
	expect(t, "long call ID", admin.call("GET", "/api/v1/call-history/"+strings.Repeat("a", 300), nil), 400)
}

func TestCallHistoryDetail(t *testing.T) {
	e, _ := callsEnv(t)
	r := e.login("sup-a").call("GET", "/api/v1/call-history/c1", nil)
	expect(t, "detail", r, 200)
	var d struct {
		Call     callSummary
		Timeline []events.Event
		Sessions []struct {
			User, Reason string
			Modes        []struct{ Mode string }
		}
		Recording struct {
			URL         string
			DownloadURL string `json:"download_url"`
			Available   bool
			Meta        map[string]any
			Tracks      []trackInfo
		}
	}
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Call.ID != "c1" || len(d.Timeline) != 12 {
		t.Errorf("call %s with %d timeline rows (agent states left out): %s", d.Call.ID, len(d.Timeline), r.body)
	}
	if len(d.Sessions) != 1 || d.Sessions[0].User != "sup-a" || d.Sessions[0].Reason != "customer hung up" || len(d.Sessions[0].Modes) != 4 {
		t.Errorf("sessions %+v", d.Sessions)
	}
	if !d.Recording.Available || d.Recording.Meta["call"] != "c1" || len(d.Recording.Tracks) != 1 ||
		d.Recording.Tracks[0].URL != "/api/v1/recordings/c1/tracks/as-1" || d.Recording.Tracks[0].OffsetSeconds != 12.5 ||
		d.Recording.DownloadURL != "/api/v1/recordings/c1?download=1" {
		t.Errorf("recording %+v", d.Recording)
	}
	r = e.login("sup-a").call("GET", "/api/v1/call-history/c4", nil)
	expect(t, "unrecorded call", r, 200)
	if r.json()["recording"] != nil {
		t.Errorf("an unrecorded call has a recording: %s", r.body)
	}
}

func TestRecordingServed(t *testing.T) {
	e, wav := callsEnv(t)
	want, _ := os.ReadFile(wav)
	sup := e.login("sup-a")
	r := sup.call("GET", "/api/v1/recordings/c1", nil)
	expect(t, "recording", r, 200)
	if r.header.Get("Content-Type") != "audio/wav" || string(r.body) != string(want) || r.header.Get("Content-Disposition") != "" ||
		r.header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("recording: %v, %d bytes", r.header, len(r.body))
	}
	r = sup.call("GET", "/api/v1/recordings/c1", nil, "Range", "bytes=100-199")
	expect(t, "range", r, 206)
	if r.header.Get("Content-Range") != "bytes 100-199/1644" || string(r.body) != string(want[100:200]) {
		t.Errorf("range: %v, %d bytes", r.header, len(r.body))
	}
	r = sup.call("GET", "/api/v1/recordings/c1?download=1", nil)
	expect(t, "download", r, 200)
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="c1.wav"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	r = sup.call("GET", "/api/v1/recordings/c1/tracks/as-1?download=1", nil)
	expect(t, "track", r, 200)
	if string(r.body) != "RIFF-track" || !strings.Contains(r.header.Get("Content-Disposition"), "c1-as-1.wav") {
		t.Errorf("track: %v %q", r.header, r.body)
	}
	expect(t, "unknown track", sup.call("GET", "/api/v1/recordings/c1/tracks/as-9", nil), 404)
	expect(t, "live call", sup.call("GET", "/api/v1/recordings/c5", nil), 409)
	expect(t, "unrecorded call", sup.call("GET", "/api/v1/recordings/c4", nil), 404)
}

// TestRecordingNeverOutsideData: a stored path outside the data folder,
// or a track name that climbs out, is never served.
func TestRecordingNeverOutsideData(t *testing.T) {
	data := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.wav")
	os.WriteFile(outside, []byte("secret"), 0o640)
	dir := filepath.Join(data, "recordings")
	os.MkdirAll(dir, 0o750)
	os.WriteFile(filepath.Join(dir, "c1.wav"), []byte("RIFF"), 0o640)
	os.WriteFile(filepath.Join(dir, "c1.json"), []byte(`{"supervisor_tracks":[{"file":"../../secret.wav","session":"as-1"}]}`), 0o640)
	if err := os.Symlink(outside, filepath.Join(dir, "c3.wav")); err != nil {
		t.Fatal(err)
	}
	evs := []events.Event{}
	for i, p := range []string{outside, filepath.Join(dir, "c1.wav"), filepath.Join(data, "..", filepath.Base(filepath.Dir(outside)), "secret.wav"), filepath.Join(dir, "c3.wav")} {
		id := "c" + string(rune('0'+i))
		evs = append(evs,
			events.Event{Seq: int64(3*i + 1), At: callsT0, Kind: events.CallArrived, Call: id, Queue: "sales"},
			events.Event{Seq: int64(3*i + 2), At: callsT0, Kind: events.CallRecording, Call: id, Queue: "sales", Detail: p},
			events.Event{Seq: int64(3*i + 3), At: callsT0.Add(time.Second), Kind: events.CallEnded, Call: id, Queue: "sales", Reason: "completed"})
	}
	e := newEnv(t, func(o *Options) { o.Calls, o.DataDir = &fakeCalls{evs: evs}, data })
	admin := e.login("admin")
	expect(t, "absolute path outside", admin.call("GET", "/api/v1/recordings/c0", nil), 404)
	expect(t, "inside", admin.call("GET", "/api/v1/recordings/c1", nil), 200)
	expect(t, "track climbing out", admin.call("GET", "/api/v1/recordings/c1/tracks/as-1", nil), 404)
	expect(t, "relative path climbing out", admin.call("GET", "/api/v1/recordings/c2", nil), 404)
	r := admin.call("GET", "/api/v1/recordings/c3", nil)
	if r.status == 200 || strings.Contains(string(r.body), "secret") {
		t.Fatalf("a symbolic link out of the data folder was followed: %d %q", r.status, r.body)
	}
}

func TestSummarizeCallOutcomes(t *testing.T) {
	at := func(s int) time.Time { return callsT0.Add(time.Duration(s) * time.Second) }
	arrived := events.Event{Seq: 1, At: at(0), Kind: events.CallArrived, Call: "c", Queue: "sales"}
	for name, tc := range map[string]struct {
		evs  []events.Event
		want string
		over bool
	}{
		"max wait": {[]events.Event{arrived, {At: at(60), Kind: events.CallEnded, Call: "c", Reason: "max_wait"}}, OutcomeMaxWait, false},
		"overflowed and answered": {[]events.Event{arrived,
			{At: at(60), Kind: events.CallQueued, Call: "c", Queue: "support", Reason: "overflow"},
			{At: at(70), Kind: events.CallAnswered, Call: "c", Agent: "bob"},
			{At: at(90), Kind: events.CallEnded, Call: "c", Reason: "completed"}}, OutcomeAnswered, true},
		"interrupted": {[]events.Event{arrived, {At: at(5), Kind: events.CallEnded, Call: "c", Reason: "interrupted"}}, OutcomeInterrupted, false},
		"live":        {[]events.Event{arrived}, OutcomeLive, false},
	} {
		s := summarizeCall(tc.evs, at(100))
		if s.Outcome != tc.want || s.Overflowed != tc.over {
			t.Errorf("%s: outcome %q overflowed %v", name, s.Outcome, s.Overflowed)
		}
		if name == "overflowed and answered" && (!slices.Equal(s.Queues, []string{"sales", "support"}) || s.Wait != 70) {
			t.Errorf("%s: %+v", name, s)
		}
		if name == "live" && s.Duration != 100 {
			t.Errorf("live duration %v", s.Duration)
		}
	}
}
