package assist

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
)

// TestStart is every rule of a supervisor's Assist, one row each. A
// refused Start changes nothing.
func TestStart(t *testing.T) {
	rows := []struct {
		name   string
		setup  []step
		sup    string
		agent  string
		ep     Endpoint
		err    error  // nil: a session starts ringing
		says   string // in the refusal's sentence
		clears bool   // Assist returns a green icon to blue instead
	}{
		{name: "agent on a routed call: the endpoint rings", setup: []step{onCall("alice", "c1")}, sup: "sam", agent: "alice", ep: samPhone},
		{name: "a second supervisor of the team joins", setup: []step{onCall("alice", "c1"), func(f *fixture) error {
			_, err := f.desk.Start("sam", "alice", samPhone)
			return err
		}}, sup: "sue", agent: "alice", ep: phone("+15550100123")},
		{name: "the endpoint chosen at sign-in is used", setup: []step{onCall("alice", "c1"), endpoint("sam", phone("+1 (555) 010-0123"))},
			sup: "sam", agent: "alice"},
		{name: "supervisor of another team", setup: []step{onCall("alice", "c1")}, sup: "tom", agent: "alice", ep: phone("+15550100123"),
			err: ErrForbidden, says: "You do not supervise a team of Alice Johnson"},
		{name: "an agent is no supervisor", setup: []step{onCall("alice", "c1")}, sup: "bob", agent: "alice", ep: samPhone,
			err: ErrForbidden, says: "do not supervise"},
		{name: "an admin without a team", setup: []step{onCall("alice", "c1")}, sup: "admin", agent: "alice", ep: samPhone,
			err: ErrForbidden},
		{name: "unknown agent", sup: "sam", agent: "zed", ep: samPhone, err: acd.ErrUnknownAgent},
		{name: "a supervisor is not an agent", sup: "sam", agent: "sue", ep: samPhone, err: acd.ErrUnknownAgent},
		{name: "agent logged out", sup: "sam", agent: "alice", ep: samPhone,
			err: ErrNotRouted, says: "Assist is possible only while Alice Johnson is on an inbound routed call; Alice Johnson is logged out"},
		{name: "agent available", setup: []step{login("alice")}, sup: "sam", agent: "alice", ep: samPhone,
			err: ErrNotRouted, says: "is available, waiting for a call"},
		{name: "agent not ready", setup: []step{notReady("alice")}, sup: "sam", agent: "alice", ep: samPhone,
			err: ErrNotRouted, says: "is not ready (Break)"},
		{name: "agent's phone still ringing", setup: []step{ringing("alice", "c1")}, sup: "sam", agent: "alice", ep: samPhone,
			err: ErrNotRouted, says: "has a call ringing"},
		{name: "agent in After Call Work", setup: []step{onCall("alice", "c1"), hangup("c1", "customer")}, sup: "sam", agent: "alice", ep: samPhone,
			err: ErrNotRouted, says: "is in After Call Work"},
		{name: "help requested, but no routed call yet", setup: []step{login("alice"), requestHelp("alice")}, sup: "sam", agent: "alice", ep: samPhone,
			err: ErrNotRouted},
		{name: "no endpoint chosen", setup: []step{onCall("alice", "c1")}, sup: "sam", agent: "alice",
			err: ErrNoEndpoint, says: "Choose where assist audio reaches you"},
		{name: "a number the dial plan denies", setup: []step{onCall("alice", "c1")}, sup: "sam", agent: "alice", ep: phone("+19005550100"),
			err: ErrBadEndpoint, says: "not allowed by the dial plan"},
		{name: "not a number", setup: []step{onCall("alice", "c1")}, sup: "sam", agent: "alice", ep: phone("call me"),
			err: ErrBadEndpoint, says: "not a dialable"},
		{name: "already assisting this agent", setup: []step{onCall("alice", "c1"), func(f *fixture) error {
			_, err := f.desk.Start("sam", "alice", samPhone)
			return err
		}}, sup: "sam", agent: "alice", ep: samPhone, err: ErrNotAllowed, says: "You are already assisting Alice Johnson"},
		{name: "green after Close: Assist clears it", setup: []step{onCall("alice", "c1"), func(f *fixture) error {
			r, err := f.desk.Start("sam", "alice", samPhone)
			if err != nil {
				return err
			}
			if err := f.desk.Answered(r.Session.ID); err != nil {
				return err
			}
			return f.desk.Close(r.Session.ID, "sam")
		}}, sup: "sam", agent: "alice", clears: true},
		{name: "green after the call ended: Assist clears it", setup: []step{onCall("alice", "c1"), func(f *fixture) error {
			r, err := f.desk.Start("sue", "alice", samPhone)
			if err != nil {
				return err
			}
			return f.desk.Answered(r.Session.ID)
		}, hangup("c1", "customer")}, sup: "sam", agent: "alice", clears: true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t)
			f.run(r.setup...)
			before := f.snapshot()
			var helpBefore acd.Help
			if r.clears {
				helpBefore = f.agent(r.agent).Help
			}
			res, err := f.desk.Start(r.sup, r.agent, r.ep)
			f.pump()
			if r.err != nil {
				if !errors.Is(err, r.err) {
					t.Fatalf("err = %v, want %v", err, r.err)
				}
				if !strings.Contains(err.Error(), r.says) {
					t.Errorf("refusal %q does not say %q", err, r.says)
				}
				if after := f.snapshot(); after != before {
					t.Fatalf("a refused Start changed things:\nbefore %s\nafter  %s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.clears {
				if !res.Cleared || res.Session.ID != "" {
					t.Fatalf("result %+v, want the icon cleared and no session", res)
				}
				if helpBefore != acd.HelpAssisting || f.agent(r.agent).Help != acd.HelpNone {
					t.Fatalf("help %s → %s, want assisting → none", helpBefore, f.agent(r.agent).Help)
				}
				return
			}
			s := res.Session
			if s.Mode != Ringing || s.User != r.sup || s.Agent != r.agent || s.Call != "c1" || s.Queue != "sales" || s.Kind != KindAssist {
				t.Fatalf("session %+v", s)
			}
			if s.Endpoint.Kind != EndpointPhone || strings.ContainsAny(s.Endpoint.Target, " ()-") {
				t.Fatalf("endpoint %+v, want a normalised phone", s.Endpoint)
			}
			if h := f.agent(r.agent).Help; h != acd.HelpAssisting {
				t.Fatalf("help %s, want assisting (green)", h)
			}
			last := f.deskRec.announced[len(f.deskRec.announced)-1]
			if last.Kind != events.AssistMode || last.State != "ringing" || last.Actor != r.sup || last.Agent != r.agent ||
				last.Call != "c1" || last.Detail != s.ID || last.Seq == 0 || !last.At.Equal(t0) {
				t.Fatalf("announced %+v", last)
			}
		})
	}
}

// TestRingTimeout: nothing is heard until the supervisor answers, and a
// ring not answered in the assist ring time ends "no answer".
func TestRingTimeout(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"))
	id := f.start("sam", "alice")
	f.run(wait(29 * 1e9))
	if s, err := f.desk.Session(id); err != nil || s.Mode != Ringing {
		t.Fatalf("after 29 s: %+v, %v; want still ringing", s, err)
	}
	if err := f.desk.SetMode(id, "sam", Talk); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("talk while ringing: %v, want ErrNotAllowed", err)
	}
	f.run(wait(1e9))
	if _, err := f.desk.Session(id); !errors.Is(err, ErrUnknownSession) {
		t.Fatalf("after 30 s the session is still live: %v", err)
	}
	if got := f.trail(id); !slices.Equal(got, []string{"ringing", "ended/no answer"}) {
		t.Fatalf("trail %v", got)
	}
	if err := f.desk.Answered(id); !errors.Is(err, ErrUnknownSession) {
		t.Fatalf("an answer after the ring time: %v, want ErrUnknownSession", err)
	}
	if h := f.agent("alice").Help; h != acd.HelpNone {
		t.Fatalf("help %s: nobody assisted, so the icon goes back to blue", h)
	}
}

// TestRingFailed: an endpoint that cannot be rung ends the session at once.
func TestRingFailed(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"))
	id := f.start("sam", "alice")
	if err := f.desk.RingFailed(id, "busy"); err != nil {
		t.Fatal(err)
	}
	if got := f.trail(id); !slices.Equal(got, []string{"ringing", "ended/not reached: busy"}) {
		t.Fatalf("trail %v", got)
	}
	f.run(wait(60 * 1e9))
	if got := f.trail(id); len(got) != 2 {
		t.Fatalf("the ring timer fired after the session ended: %v", got)
	}
}
