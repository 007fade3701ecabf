package acd

import (
	"errors"
	"testing"
	"time"
)

// TestTransitions: every row is a behaviour. given sets the scene, when is
// the command under test; a refused command must leave everything as it was.
func TestTransitions(t *testing.T) {
	type want map[string]State
	rows := []struct {
		name    string
		given   []step
		when    step
		wantErr error
		agents  want
		calls   map[string]CallState // "" = ended
	}{
		{name: "login makes the agent available",
			when: login("a1"), agents: want{"a1": Available}},
		{name: "login straight into not ready with a reason",
			when: notReady("a1", "Break"), agents: want{"a1": NotReady}},
		{name: "not ready needs a configured reason",
			given: []step{login("a1")}, when: notReady("a1", "Nap"), wantErr: ErrBadReason, agents: want{"a1": Available}},
		{name: "not ready with no reason is refused",
			given: []step{login("a1")}, when: notReady("a1", ""), wantErr: ErrBadReason},
		{name: "available ⇄ not ready",
			given: []step{login("a1"), notReady("a1", "Lunch")}, when: ready("a1"), agents: want{"a1": Available}},
		{name: "logout from not ready",
			given: []step{notReady("a1", "Break")}, when: logout("a1"), agents: want{"a1": Offline}},
		{name: "logout twice is refused",
			when: logout("a1"), wantErr: ErrNotAllowed},
		{name: "ready while available is refused",
			given: []step{login("a1")}, when: ready("a1"), wantErr: ErrNotAllowed},
		{name: "unknown agent",
			when: login("zz"), wantErr: ErrUnknownAgent},
		{name: "ringing/on call/acw cannot be chosen",
			given: []step{login("a1")}, when: force("a1", OnCall, "", ""), wantErr: ErrNotAllowed},
		{name: "call to an unknown DID is refused and queues nothing",
			given: []step{login("a1")}, when: arrive("c1", "999"), wantErr: ErrUnknownNumber, agents: want{"a1": Available}},
		{name: "the same call id twice is refused",
			given: []step{arrive("c1", "100")}, when: arrive("c1", "100"), wantErr: ErrDuplicateCall},
		{name: "call with nobody logged in waits",
			when: arrive("c1", "100"), calls: map[string]CallState{"c1": CallQueued}},
		{name: "call rings the available agent",
			given: []step{login("a1")}, when: arrive("c1", "100"),
			agents: want{"a1": Ringing}, calls: map[string]CallState{"c1": CallRinging}},
		{name: "longest idle agent gets the call",
			given: []step{login("a2"), wait(time.Second), login("a1")}, when: arrive("c1", "100"),
			agents: want{"a2": Ringing, "a1": Available}},
		{name: "waiting call goes to the agent who logs in",
			given: []step{arrive("c1", "100")}, when: login("a1"), agents: want{"a1": Ringing}},
		{name: "answer puts the agent on call",
			given: []step{login("a1"), arrive("c1", "100")}, when: answer("c1", "a1"),
			agents: want{"a1": OnCall}, calls: map[string]CallState{"c1": CallConnected}},
		{name: "answer by an agent who is not ringing is refused",
			given: []step{login("a1"), login("a2"), arrive("c1", "100")}, when: answer("c1", "a2"), wantErr: ErrNotAllowed,
			agents: want{"a1": Ringing, "a2": Available}},
		{name: "ready while on call is refused",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1")}, when: ready("a1"), wantErr: ErrNotAllowed,
			agents: want{"a1": OnCall}},
		{name: "logout while on call is refused",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1")}, when: logout("a1"), wantErr: ErrNotAllowed},
		{name: "ready while ringing is refused",
			given: []step{login("a1"), arrive("c1", "100")}, when: ready("a1"), wantErr: ErrNotAllowed},
		{name: "not ready while ringing cancels the ring; call back to the queue",
			given: []step{login("a1"), arrive("c1", "100")}, when: notReady("a1", "Break"),
			agents: want{"a1": NotReady}, calls: map[string]CallState{"c1": CallQueued}},
		{name: "ring timeout → not ready (missed call), call back to the head of the queue",
			given: []step{login("a1"), arrive("c1", "100"), arrive("c2", "100")}, when: wait(20 * time.Second),
			agents: want{"a1": NotReady}, calls: map[string]CallState{"c1": CallQueued, "c2": CallQueued}},
		{name: "missed call is re-offered to the next agent",
			given: []step{login("a1"), arrive("c1", "100"), login("a2")}, when: wait(20 * time.Second),
			agents: want{"a1": NotReady, "a2": Ringing}, calls: map[string]CallState{"c1": CallRinging}},
		{name: "reject → not ready (rejected call), call offered to the next agent",
			given: []step{login("a1"), login("a2"), arrive("c1", "100")}, when: reject("c1", "a1"),
			agents: want{"a1": NotReady, "a2": Ringing}},
		{name: "customer hangs up while queued: leaves the queue at once",
			given: []step{arrive("c1", "100")}, when: hangup("c1", "customer"), calls: map[string]CallState{"c1": ""}},
		{name: "customer hangs up while the agent rings: agent available again",
			given: []step{login("a1"), arrive("c1", "100")}, when: hangup("c1", "customer"),
			agents: want{"a1": Available}, calls: map[string]CallState{"c1": ""}},
		{name: "hang up after answer → after call work",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1")}, when: hangup("c1", "a1"),
			agents: want{"a1": ACW}, calls: map[string]CallState{"c1": ""}},
		{name: "after call work ends after the queue's wrap-up",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1"), hangup("c1", "customer")}, when: wait(30 * time.Second),
			agents: want{"a1": Available}},
		{name: "after call work goes on until wrap-up",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1"), hangup("c1", "customer")}, when: wait(29 * time.Second),
			agents: want{"a1": ACW}},
		{name: "ready ends after call work early, and takes the waiting call",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1"), hangup("c1", "customer"), arrive("c2", "100")}, when: ready("a1"),
			agents: want{"a1": Ringing}, calls: map[string]CallState{"c2": CallRinging}},
		{name: "a supervisor ends a stuck after call work",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1"), hangup("c1", "customer")}, when: force("a1", Available, "", "sup"),
			agents: want{"a1": Available}},
		{name: "a supervisor may use any Not Ready reason",
			given: []step{login("a1")}, when: force("a1", NotReady, "coaching", "sup"), agents: want{"a1": NotReady}},
		{name: "an agent in two queues gets the longest-waiting call first",
			given: []step{arrive("c1", "200"), wait(time.Second), arrive("c2", "100")}, when: login("a3"),
			agents: want{"a3": Ringing}, calls: map[string]CallState{"c1": CallRinging, "c2": CallQueued}},
		{name: "a higher priority call goes first",
			given: []step{arrive("c1", "200"), wait(time.Second), arrive("c2", "201")}, when: login("a4"),
			calls: map[string]CallState{"c1": CallQueued, "c2": CallRinging}},
		{name: "max wait overflows to another queue",
			given: []step{login("a1"), notReady("a1", "Break"), arrive("c1", "200"), ready("a1")}, when: wait(60 * time.Second),
			agents: want{"a1": Ringing}, calls: map[string]CallState{"c1": CallRinging}},
		{name: "take over: agent to after call work, the call goes on",
			given: []step{login("a1"), arrive("c1", "100"), answer("c1", "a1")}, when: takeOver("c1", "sup"),
			agents: want{"a1": ACW}, calls: map[string]CallState{"c1": CallConnected}},
		{name: "take over of a queued call is refused",
			given: []step{arrive("c1", "100")}, when: takeOver("c1", "sup"), wantErr: ErrNotRouted},
		{name: "hang up an unknown call",
			when: hangup("zz", "customer"), wantErr: ErrUnknownCall},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t, smallConfig())
			f.run(r.given...)
			before := f.snapshot()
			err := r.when(f)
			switch {
			case r.wantErr != nil && !errors.Is(err, r.wantErr):
				t.Fatalf("got error %v, want %v", err, r.wantErr)
			case r.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case r.wantErr != nil && f.snapshot() != before:
				t.Fatalf("a refused command changed something:\nbefore %s\nafter  %s", before, f.snapshot())
			}
			for a, st := range r.agents {
				if got := f.state(a); got != st {
					t.Errorf("agent %s is %s, want %s", a, got, st)
				}
			}
			for id, st := range r.calls {
				v, err := f.e.Call(id)
				switch {
				case st == "" && err == nil:
					t.Errorf("call %s still live (%s), want ended", id, v.State)
				case st != "" && err != nil:
					t.Errorf("call %s: %v, want %s", id, err, st)
				case st != "" && v.State != st:
					t.Errorf("call %s is %s, want %s", id, v.State, st)
				}
			}
		})
	}
}

func TestHelpCycle(t *testing.T) {
	rows := []struct {
		name    string
		given   []step
		when    step
		wantErr error
		want    Help
	}{
		{"request turns red", []step{login("a1")}, requestHelp("a1"), nil, HelpRequested},
		{"request while offline is refused", nil, requestHelp("a1"), ErrNotAllowed, HelpNone},
		{"request twice is refused", []step{login("a1"), requestHelp("a1")}, requestHelp("a1"), ErrNotAllowed, HelpRequested},
		{"cancel turns blue", []step{login("a1"), requestHelp("a1")}, cancelHelp("a1"), nil, HelpNone},
		{"cancel with nothing asked is refused", []step{login("a1")}, cancelHelp("a1"), ErrNotAllowed, HelpNone},
		{"assist turns green", []step{login("a1"), requestHelp("a1")}, assisting("a1"), nil, HelpAssisting},
		{"cancel while assisted is refused", []step{login("a1"), requestHelp("a1"), assisting("a1")}, cancelHelp("a1"), ErrNotAllowed, HelpAssisting},
		{"clear turns green to blue", []step{login("a1"), requestHelp("a1"), assisting("a1")}, clearHelp("a1"), nil, HelpNone},
		{"clear turns red to blue", []step{login("a1"), requestHelp("a1")}, clearHelp("a1"), nil, HelpNone},
		{"clear with nothing to clear is refused", []step{login("a1")}, clearHelp("a1"), ErrNotAllowed, HelpNone},
		{"an unanswered assist turns green back to red", []step{login("a1"), requestHelp("a1"), assisting("a1")}, reopenHelp("a1"), nil, HelpRequested},
		{"an unanswered assist of an agent who logged out turns blue", []step{login("a1"), requestHelp("a1"), assisting("a1"), logout("a1")},
			reopenHelp("a1"), nil, HelpNone},
		{"reopen with no assist is refused", []step{login("a1"), requestHelp("a1")}, reopenHelp("a1"), ErrNotAllowed, HelpRequested},
		{"green stays after the call ends", []step{login("a1"), arrive("c1", "100"), answer("c1", "a1"), requestHelp("a1"), assisting("a1")},
			hangup("c1", "customer"), nil, HelpAssisting},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t, smallConfig())
			f.run(r.given...)
			err := r.when(f)
			if r.wantErr != nil && !errors.Is(err, r.wantErr) || r.wantErr == nil && err != nil {
				t.Fatalf("got error %v, want %v", err, r.wantErr)
			}
			v, _ := f.e.Agent("a1")
			if v.Help != r.want {
				t.Fatalf("help is %s, want %s", v.Help, r.want)
			}
		})
	}
}

func TestListenIn(t *testing.T) {
	f := newFixture(t, smallConfig())
	f.run(login("a1"))
	if err := f.e.SetListenIn("a1", ListenCall); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("listen-in for this call with no call: %v", err)
	}
	if err := f.e.SetListenIn("a1", "sometimes"); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("bad mode: %v", err)
	}
	f.run(arrive("c1", "100"), answer("c1", "a1"), listenIn("a1", ListenCall))
	if v, _ := f.e.Agent("a1"); v.ListenIn != ListenCall {
		t.Fatalf("listen-in %s", v.ListenIn)
	}
	f.run(hangup("c1", "customer"))
	if v, _ := f.e.Agent("a1"); v.ListenIn != ListenOff {
		t.Fatalf("listen-in for this call outlived the call: %s", v.ListenIn)
	}
	f.run(listenIn("a1", ListenAll), ready("a1"), arrive("c2", "100"), answer("c2", "a1"), hangup("c2", "a1"))
	if v, _ := f.e.Agent("a1"); v.ListenIn != ListenAll {
		t.Fatalf("listen-in for all calls ended with a call: %s", v.ListenIn)
	}
}

func TestRingAllFirstAnswerWins(t *testing.T) {
	cfg := smallConfig()
	cfg.Queues[0].Strategy = "ring-all"
	f := newFixture(t, cfg)
	f.run(login("a1"), login("a2"), arrive("c1", "100"))
	if f.state("a1") != Ringing || f.state("a2") != Ringing {
		t.Fatalf("ring-all rang %s and %s", f.state("a1"), f.state("a2"))
	}
	f.run(answer("c1", "a2"))
	if f.state("a1") != Available || f.state("a2") != OnCall {
		t.Fatalf("after answer: a1 %s, a2 %s", f.state("a1"), f.state("a2"))
	}
}

func TestRoundRobinTakesTurns(t *testing.T) {
	f := newFixture(t, smallConfig())
	f.run(login("a3"), login("a4"))
	var got []string
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		f.run(arrive(id, "200"))
		v, _ := f.e.Call(id)
		got = append(got, v.Agents[0])
		f.run(answer(id, v.Agents[0]), hangup(id, "customer"), ready(v.Agents[0]))
	}
	if got[0] == got[1] || got[1] == got[2] || got[2] == got[3] {
		t.Fatalf("round robin went %v", got)
	}
}

func TestStoreFailureAnnouncesNothing(t *testing.T) {
	f := newFixture(t, smallConfig())
	f.rec.fail = errors.New("disk full")
	if err := f.e.SetState("a1", Available, "", ""); err == nil {
		t.Fatal("a failed store must be reported")
	}
	if len(f.rec.announced) != 0 {
		t.Fatal("announced an event that was not stored")
	}
	f.rec.fail = nil
	f.run(arrive("c1", "100"))
	// the earlier change is stored with the next command, in order
	if len(f.rec.stored) < 2 || f.rec.stored[0].Kind != "agent.state" || f.rec.stored[0].Agent != "a1" {
		t.Fatalf("the earlier change was lost: %+v", f.rec.stored)
	}
}

// TestStoredReasons: what a state change stores beside the state: who
// made it and why, so history can show a supervisor's hand.
func TestStoredReasons(t *testing.T) {
	inACW := []step{login("a1"), arrive("c1", "100"), answer("c1", "a1"), hangup("c1", "customer")}
	rows := []struct {
		name       string
		given      []step
		when       step
		state      State
		reason     string // stored with the change
		actor      string
		liveReason string // on the agent's row afterwards
	}{
		{"a supervisor ends After Call Work with a reason", inACW, force("a1", Available, "Wrap-up stuck", "sup"),
			Available, "Wrap-up stuck", "sup", ""},
		{"a supervisor ends After Call Work without one", inACW, force("a1", Available, "", "sup"),
			Available, ReasonACWEnded, "sup", ""},
		{"the agent's own Ready stores no reason", inACW, force("a1", Available, "done", ""),
			Available, "", "", ""},
		{"a supervisor makes an agent Not Ready", []step{login("a1")}, force("a1", NotReady, "coaching", "sup"),
			NotReady, "coaching", "sup", "coaching"},
		{"a supervisor makes a Not Ready agent available", []step{notReady("a1", "Break")}, force("a1", Available, "Break over", "sup"),
			Available, "Break over", "sup", ""},
		{"a supervisor logs an agent out", []step{login("a1")}, force("a1", Offline, "End of shift", "sup"),
			Offline, "End of shift", "sup", "End of shift"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t, smallConfig())
			f.run(r.given...)
			f.run(r.when)
			last := f.rec.stored[len(f.rec.stored)-1]
			for i := len(f.rec.stored) - 1; i >= 0; i-- {
				if e := f.rec.stored[i]; e.Kind == "agent.state" && e.Agent == "a1" {
					last = e
					break
				}
			}
			if State(last.State) != r.state || last.Reason != r.reason || last.Actor != r.actor {
				t.Fatalf("stored %s (reason %q, actor %q), want %s (reason %q, actor %q)", last.State, last.Reason, last.Actor, r.state, r.reason, r.actor)
			}
			if v, _ := f.e.Agent("a1"); v.State != r.state || v.Reason != r.liveReason {
				t.Fatalf("agent is %s (%q), want %s (%q)", v.State, v.Reason, r.state, r.liveReason)
			}
		})
	}
}
