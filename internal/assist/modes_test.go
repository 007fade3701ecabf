package assist

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
)

// TestModes: answered, the supervisor listens; Talk and back; each change
// is an event with its time, so the audit knows when each mode began and
// ended.
func TestModes(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"))
	id := f.start("sam", "alice")
	f.run(wait(2 * time.Second))
	steps := []struct {
		name string
		do   func() error
		mode Mode
	}{
		{"answered: listen", func() error { return f.desk.Answered(id) }, Listen},
		{"talk", func() error { return f.desk.SetMode(id, "sam", Talk) }, Talk},
		{"talk again changes nothing", func() error { return f.desk.SetMode(id, "sam", Talk) }, Talk},
		{"release: listen", func() error { return f.desk.SetMode(id, "sam", Listen) }, Listen},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, _ := f.desk.Session(id)
		if got.Mode != s.mode || !got.ModeSince.Equal(f.clk.Now()) && s.name != "talk again changes nothing" {
			t.Fatalf("%s: %+v", s.name, got)
		}
		f.run(wait(time.Second))
	}
	if err := f.desk.Close(id, "sam"); err != nil {
		t.Fatal(err)
	}
	f.pump()
	if got := f.trail(id); !slices.Equal(got, []string{"ringing", "listen", "talk", "listen", "ended/closed"}) {
		t.Fatalf("trail %v", got)
	}
	recs := Audit(f.deskRec.stored)
	if len(recs) != 1 {
		t.Fatalf("audit %+v", recs)
	}
	r := recs[0]
	if r.User != "sam" || r.Agent != "alice" || r.Call != "c1" || r.Reason != "closed" || !r.Started.Equal(t0) || !r.Ended.Equal(t0.Add(6*time.Second)) {
		t.Fatalf("audit record %+v", r)
	}
	want := []Span{{Ringing, t0, t0.Add(2 * time.Second)}, {Listen, t0.Add(2 * time.Second), t0.Add(3 * time.Second)},
		{Talk, t0.Add(3 * time.Second), t0.Add(5 * time.Second)}, {Listen, t0.Add(5 * time.Second), t0.Add(6 * time.Second)}}
	if !slices.Equal(r.Modes, want) {
		t.Fatalf("modes %+v\nwant  %+v", r.Modes, want)
	}
	v := f.agent("alice")
	if v.State != acd.OnCall || v.Help != acd.HelpAssisting {
		t.Fatalf("after Close alice is %s with help %s; want on call, still green", v.State, v.Help)
	}
}

// TestRefusedModeChanges: wrong person, unknown session, unknown mode,
// listeners who would talk. Nothing changes.
func TestRefusedModeChanges(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), listenIn("alice", acd.ListenAll))
	id := f.answered("sam", "alice")
	lid, err := f.desk.Listen("carol", "alice", Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Answered(lid.ID); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		name string
		do   func() error
		err  error
	}{
		{"another supervisor's session", func() error { return f.desk.SetMode(id, "sue", Talk) }, ErrForbidden},
		{"another supervisor closes it", func() error { return f.desk.Close(id, "sue") }, ErrForbidden},
		{"another supervisor takes over with it", func() error { return f.desk.TakeOver(id, "sue") }, ErrForbidden},
		{"unknown session", func() error { return f.desk.SetMode("as-x", "sam", Talk) }, ErrUnknownSession},
		{"unknown mode", func() error { return f.desk.SetMode(id, "sam", "shout") }, ErrBadMode},
		{"ringing is not a choice", func() error { return f.desk.SetMode(id, "sam", Ringing) }, ErrBadMode},
		{"a listener talks", func() error { return f.desk.SetMode(lid.ID, "carol", Talk) }, ErrNotAllowed},
		{"a listener takes over", func() error { return f.desk.TakeOver(lid.ID, "carol") }, ErrNotAllowed},
		{"answered twice", func() error { return f.desk.Answered(id) }, ErrNotAllowed},
		{"a key that does nothing", func() error { return f.desk.Key(id, '9') }, ErrBadMode},
	}
	for _, r := range rows {
		before := f.snapshot()
		if err := r.do(); !errors.Is(err, r.err) {
			t.Errorf("%s: %v, want %v", r.name, err, r.err)
		}
		f.pump()
		if after := f.snapshot(); after != before {
			t.Errorf("%s changed things:\nbefore %s\nafter  %s", r.name, before, after)
		}
	}
}

// TestTakeOver: the agent goes to After Call Work and the call has two
// handlers; colleagues listening in stop; a second supervisor keeps
// listening but cannot take over too; after the take-over the agent
// leaving ends nothing, and the supervisor's Close ends the call.
func TestTakeOver(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), listenIn("alice", acd.ListenAll))
	sam := f.answered("sam", "alice")
	sue := f.answered("sue", "alice")
	l, err := f.desk.Listen("carol", "alice", Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Answered(l.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.TakeOver(sam, "sam"); err != nil {
		t.Fatal(err)
	}
	f.pump()
	v := f.agent("alice")
	if v.State != acd.ACW {
		t.Fatalf("alice is %s after the take-over, want acw", v.State)
	}
	c, err := f.eng.Call("c1")
	if err != nil || !slices.Equal(c.Handlers, []string{"alice", "sam"}) {
		t.Fatalf("call %+v, %v; want handlers alice, sam", c, err)
	}
	if got := f.trail(l.ID); !slices.Equal(got, []string{"ringing", "listen", "ended/call taken over"}) {
		t.Fatalf("listener's trail %v", got)
	}
	if err := f.desk.TakeOver(sue, "sue"); !errors.Is(err, ErrTakenOver) || err.Error() != "Sam Taylor has already taken this call over" {
		t.Fatalf("second take-over: %v", err)
	}
	if err := f.desk.SetMode(sam, "sam", Talk); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("talk after take-over: %v", err)
	}
	if err := f.desk.TakeOver(sam, "sam"); err != nil {
		t.Fatalf("take over again: %v, want nothing to happen", err)
	}
	// alice ends her After Call Work: the call goes on
	f.run(login("alice"))
	if s, err := f.desk.Session(sue); err != nil || s.Mode != Listen {
		t.Fatalf("sue after alice left: %+v, %v", s, err)
	}
	if err := f.desk.Close(sam, "sam"); err != nil {
		t.Fatal(err)
	}
	f.pump()
	if _, err := f.eng.Call("c1"); !errors.Is(err, acd.ErrUnknownCall) {
		t.Fatalf("the call outlived the take-over supervisor's Close: %v", err)
	}
	if got := f.trail(sam); !slices.Equal(got, []string{"ringing", "listen", "takeover", "ended/closed"}) {
		t.Fatalf("sam's trail %v", got)
	}
	if got := f.trail(sue); !slices.Equal(got, []string{"ringing", "listen", "ended/call ended by sam"}) {
		t.Fatalf("sue's trail %v", got)
	}
}

// TestTakeOverRace: two supervisors take over at once; exactly one wins.
func TestTakeOverRace(t *testing.T) {
	for range 20 {
		f := newFixture(t)
		f.run(onCall("alice", "c1"))
		ids := []string{f.answered("sam", "alice"), f.answered("sue", "alice")}
		sups := []string{"sam", "sue"}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { errs[i] = f.desk.TakeOver(ids[i], sups[i]) })
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrTakenOver):
				t.Fatalf("%s: %v", sups[i], err)
			}
		}
		if won != 1 {
			t.Fatalf("%d supervisors took the call over", won)
		}
		c, _ := f.eng.Call("c1")
		if len(c.Handlers) != 2 {
			t.Fatalf("handlers %v", c.Handlers)
		}
	}
}

// TestCallEndsSessions: the customer or the agent hangs up; every session
// on the call ends and says how. After a take-over the supervisor hanging
// up ends the call.
func TestCallEndsSessions(t *testing.T) {
	rows := []struct {
		name   string
		during Mode
		end    func(f *fixture, id string) error
		reason string
		ended  bool // the call ended
	}{
		{"customer hangs up during talk", Talk, func(f *fixture, _ string) error { return f.eng.Hangup("c1", "customer") },
			EndCustomerHungUp, true},
		{"agent hangs up during listen", Listen, func(f *fixture, _ string) error { return f.eng.Hangup("c1", "alice") },
			EndAgentHungUp, true},
		{"customer hangs up while it rings", Ringing, func(f *fixture, _ string) error { return f.eng.Hangup("c1", "customer") },
			EndCustomerHungUp, true},
		{"supervisor's phone hangs up during listen", Listen, func(f *fixture, id string) error { return f.desk.EndpointLeft(id) },
			EndSupervisorHungUp, false},
		{"supervisor's phone hangs up after take over", TakeOver, func(f *fixture, id string) error { return f.desk.EndpointLeft(id) },
			EndSupervisorHungUp, true},
		{"customer hangs up after take over", TakeOver, func(f *fixture, _ string) error { return f.eng.Hangup("c1", "customer") },
			EndCustomerHungUp, true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t)
			f.run(onCall("alice", "c1"))
			id := f.start("sam", "alice")
			if r.during != Ringing {
				if err := f.desk.Answered(id); err != nil {
					t.Fatal(err)
				}
				if err := f.desk.SetMode(id, "sam", r.during); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.end(f, id); err != nil {
				t.Fatal(err)
			}
			f.pump()
			got := f.trail(id)
			if last := got[len(got)-1]; last != "ended/"+r.reason {
				t.Fatalf("trail %v, want it to end %q", got, r.reason)
			}
			if _, err := f.eng.Call("c1"); (err != nil) != r.ended {
				t.Fatalf("call ended: %v, want %v", err != nil, r.ended)
			}
			if len(f.desk.Sessions()) != 0 {
				t.Fatalf("sessions left: %+v", f.desk.Sessions())
			}
		})
	}
}

// TestKeys: a supervisor on a plain phone changes mode with digits.
func TestKeys(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"))
	id := f.answered("sam", "alice")
	for _, k := range []struct {
		digit rune
		mode  Mode
	}{{'2', Talk}, {'2', Listen}, {'2', Talk}, {'1', Listen}, {'3', TakeOver}, {'#', Ended}} {
		if err := f.desk.Key(id, k.digit); err != nil {
			t.Fatalf("key %c: %v", k.digit, err)
		}
		s, err := f.desk.Session(id)
		if k.mode == Ended {
			if !errors.Is(err, ErrUnknownSession) {
				t.Fatalf("after #: %+v, %v", s, err)
			}
			continue
		}
		if s.Mode != k.mode {
			t.Fatalf("key %c: mode %s, want %s", k.digit, s.Mode, k.mode)
		}
	}
}

// TestSeveralListen: several supervisors may listen to one call, each
// with a mode of their own; the row shows who is assisting.
func TestSeveralListen(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"))
	sam := f.answered("sam", "alice")
	f.run(wait(time.Second))
	f.answered("sue", "alice")
	if err := f.desk.SetMode(sam, "sam", Talk); err != nil {
		t.Fatal(err)
	}
	modes := map[string]Mode{}
	for _, s := range f.desk.Sessions() {
		modes[s.User] = s.Mode
	}
	if modes["sam"] != Talk || modes["sue"] != Listen {
		t.Fatalf("modes %v", modes)
	}
	a := f.desk.Availability("alice")
	if !a.Allowed || !slices.Equal(a.By, []string{"sam", "sue"}) {
		t.Fatalf("availability %+v", a)
	}
}

// TestAvailability: Assist is greyed, with a sentence, unless the agent is
// on a routed call or their icon is green with nobody assisting.
func TestAvailability(t *testing.T) {
	f := newFixture(t)
	if a := f.desk.Availability("alice"); a.Allowed || a.Why == "" || len(a.By) != 0 {
		t.Fatalf("offline: %+v", a)
	}
	f.run(onCall("alice", "c1"))
	if a := f.desk.Availability("alice"); !a.Allowed || a.Why != "" {
		t.Fatalf("on call: %+v", a)
	}
	id := f.answered("sam", "alice")
	f.run(hangup("c1", "customer"))
	if _, err := f.desk.Session(id); err == nil {
		t.Fatal("session outlived the call")
	}
	if a := f.desk.Availability("alice"); !a.Allowed || len(a.By) != 0 {
		t.Fatalf("green in After Call Work: %+v, want allowed (to clear)", a)
	}
	if a := f.desk.Availability("zed"); a.Allowed {
		t.Fatalf("unknown agent: %+v", a)
	}
}

// TestStoreFailure: when the store fails the command says so and nothing
// is announced; the events are stored with the next command's.
func TestStoreFailure(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"))
	id := f.answered("sam", "alice")
	n := len(f.deskRec.announced)
	f.deskRec.fail = errors.New("disk full")
	if err := f.desk.SetMode(id, "sam", Talk); err == nil {
		t.Fatal("SetMode succeeded with a failing store")
	}
	if len(f.deskRec.announced) != n {
		t.Fatal("an unstored event was announced")
	}
	f.deskRec.fail = nil
	if err := f.desk.SetMode(id, "sam", Listen); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.deskRec.announced[n:] {
		got = append(got, e.State)
	}
	if !slices.Equal(got, []string{"talk", "listen"}) {
		t.Fatalf("announced %v, want the held talk then listen", got)
	}
}

// TestRecover: sessions an earlier run left live end "server restart".
func TestRecover(t *testing.T) {
	f := newFixture(t)
	hist := []events.Event{
		{Seq: 1, Kind: events.AssistMode, Agent: "alice", Call: "c1", Actor: "sam", State: "ringing", Detail: "as-a-1"},
		{Seq: 2, Kind: events.AssistMode, Agent: "alice", Call: "c1", Actor: "sam", State: "listen", Detail: "as-a-1"},
		{Seq: 3, Kind: events.AssistMode, Agent: "bob", Call: "c2", Actor: "sam", State: "ringing", Detail: "as-a-2"},
		{Seq: 4, Kind: events.AssistMode, Agent: "bob", Call: "c2", Actor: "sam", State: "ended", Reason: "no answer", Detail: "as-a-2"},
		{Seq: 5, Kind: events.ListenSession, Agent: "alice", Call: "c1", Actor: "carol", State: "listen", Detail: "li-a-3"},
		{Seq: 6, Kind: events.AgentState, Agent: "alice", State: "on_call"},
	}
	if err := f.desk.Recover(hist); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.deskRec.stored {
		got = append(got, string(e.Kind)+"/"+e.Detail+"/"+e.State+"/"+e.Reason)
	}
	want := []string{"assist.mode/as-a-1/ended/server restart", "listen.session/li-a-3/ended/server restart"}
	if !slices.Equal(got, want) {
		t.Fatalf("recovered %v, want %v", got, want)
	}
}
