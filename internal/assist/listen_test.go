package assist

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/earshot/earshot/internal/acd"
)

// TestListen is every rule of Let Listen In, one row each. A refused
// Listen changes nothing.
func TestListen(t *testing.T) {
	rows := []struct {
		name      string
		setup     []step
		colleague string
		agent     string
		err       error
		says      string
	}{
		{name: "on for all calls", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenAll)}, colleague: "carol", agent: "alice"},
		{name: "on for this call", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenCall)}, colleague: "carol", agent: "alice"},
		{name: "no listen-in permission", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenAll)}, colleague: "bob", agent: "alice",
			err: ErrForbidden, says: "listen-in permission"},
		{name: "a supervisor without the permission", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenAll)}, colleague: "sam", agent: "alice",
			err: ErrForbidden},
		{name: "not a colleague of the agent's teams", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenAll)}, colleague: "henry", agent: "alice",
			err: ErrForbidden, says: "colleagues of your own teams"},
		{name: "oneself", setup: []step{onCall("carol", "c1"), listenIn("carol", acd.ListenAll)}, colleague: "carol", agent: "carol",
			err: ErrNotAllowed, says: "your own calls"},
		{name: "listen-in off", setup: []step{onCall("alice", "c1")}, colleague: "carol", agent: "alice",
			err: ErrNotAllowed, says: "Alice Johnson does not let colleagues listen in"},
		{name: "agent not on a call", setup: []step{login("alice"), listenIn("alice", acd.ListenAll)}, colleague: "carol", agent: "alice",
			err: ErrNotRouted, says: "is not on a call"},
		{name: "the colleague is on a call", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenAll), onCall("carol", "c2")},
			colleague: "carol", agent: "alice", err: ErrNotAllowed, says: "on a call yourself"},
		{name: "already listening", setup: []step{onCall("alice", "c1"), listenIn("alice", acd.ListenAll), func(f *fixture) error {
			_, err := f.desk.Listen("carol", "alice", Endpoint{})
			return err
		}}, colleague: "carol", agent: "alice", err: ErrNotAllowed, says: "already listening"},
		{name: "unknown agent", colleague: "carol", agent: "zed", err: acd.ErrUnknownAgent},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t)
			f.run(r.setup...)
			before := f.snapshot()
			s, err := f.desk.Listen(r.colleague, r.agent, Endpoint{})
			f.pump()
			if r.err != nil {
				if !errors.Is(err, r.err) || !strings.Contains(err.Error(), r.says) {
					t.Fatalf("err = %v, want %v saying %q", err, r.err, r.says)
				}
				if after := f.snapshot(); after != before {
					t.Fatalf("a refused Listen changed things:\nbefore %s\nafter  %s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != KindListen || s.Mode != Ringing || s.User != r.colleague || s.Call != "c1" || !s.Endpoint.IsZero() || s.Role() != Listener {
				t.Fatalf("session %+v", s)
			}
			if h := f.agent(r.agent).Help; h != acd.HelpNone {
				t.Fatalf("listening in turned the help icon %s", h)
			}
		})
	}
}

// TestListenInOffEndsListening: the agent turning Let Listen In off ends
// every listen-in on their call at once; supervisors' assists go on.
func TestListenInOffEndsListening(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), listenIn("alice", acd.ListenAll))
	l, err := f.desk.Listen("carol", "alice", Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Answered(l.ID); err != nil {
		t.Fatal(err)
	}
	sam := f.answered("sam", "alice")
	f.run(listenIn("alice", acd.ListenOff))
	if got := f.trail(l.ID); !slices.Equal(got, []string{"ringing", "listen", "ended/listen-in turned off"}) {
		t.Fatalf("listener's trail %v", got)
	}
	if _, err := f.desk.Session(sam); err != nil {
		t.Fatalf("the supervisor's assist ended with listen-in: %v", err)
	}
}

// TestListenForThisCall: "on for this call" lapses with the call; the
// listen-in ends with the call, saying how the call ended.
func TestListenForThisCall(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), listenIn("alice", acd.ListenCall))
	l, err := f.desk.Listen("carol", "alice", Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Answered(l.ID); err != nil {
		t.Fatal(err)
	}
	f.run(hangup("c1", "customer"))
	if got := f.trail(l.ID); !slices.Equal(got, []string{"ringing", "listen", "ended/customer hung up"}) {
		t.Fatalf("listener's trail %v", got)
	}
}

// TestListenerLeaves: the listener's own phone hanging up, or Close.
func TestListenerLeaves(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), listenIn("alice", acd.ListenAll))
	l, _ := f.desk.Listen("carol", "alice", Endpoint{})
	if err := f.desk.Answered(l.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.EndpointLeft(l.ID); err != nil {
		t.Fatal(err)
	}
	l2, err := f.desk.Listen("carol", "alice", Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Close(l2.ID, "carol"); err != nil {
		t.Fatal(err)
	}
	if got := f.trail(l.ID); !slices.Equal(got, []string{"ringing", "listen", "ended/listener hung up"}) {
		t.Fatalf("trail %v", got)
	}
	if got := f.trail(l2.ID); !slices.Equal(got, []string{"ringing", "ended/closed"}) {
		t.Fatalf("trail %v", got)
	}
	if _, err := f.eng.Call("c1"); err != nil {
		t.Fatalf("a listener leaving ended the call: %v", err)
	}
}
