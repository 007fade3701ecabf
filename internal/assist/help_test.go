package assist

import (
	"slices"
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
)

// TestHelpAfterAssist: green means a supervisor is assisting. An assist
// that ends before it was answered helped nobody: the icon goes back to
// what it was, and a request (red) is open again, so the supervisors'
// pop-ups show again. An answered assist leaves it green until a
// supervisor clears it.
func TestHelpAfterAssist(t *testing.T) {
	requested := []step{onCall("alice", "c1"), requestHelp("alice")}
	unasked := []step{onCall("alice", "c1")}
	rows := []struct {
		name  string
		given []step
		when  func(f *fixture) // starts and ends assists
		want  acd.Help
		actor string // of the last help event; "" for none
	}{
		{"requested, not answered in the ring time → red again", requested, func(f *fixture) {
			f.start("sam", "alice")
			f.run(wait(30 * 1e9))
		}, acd.HelpRequested, "sam"},
		{"requested, the endpoint cannot be rung → red again", requested, func(f *fixture) {
			id := f.start("sam", "alice")
			must(f, f.desk.RingFailed(id, "busy"))
		}, acd.HelpRequested, "sam"},
		{"requested, the supervisor closes before answering → red again", requested, func(f *fixture) {
			id := f.start("sam", "alice")
			must(f, f.desk.Close(id, "sam"))
		}, acd.HelpRequested, "sam"},
		{"requested, the customer hangs up while it rings → red again", requested, func(f *fixture) {
			f.start("sam", "alice")
			f.run(hangup("c1", "customer"))
		}, acd.HelpRequested, "sam"},
		{"not asked, not answered → blue again", unasked, func(f *fixture) {
			f.start("sam", "alice")
			f.run(wait(30 * 1e9))
		}, acd.HelpNone, "sam"},
		{"requested, answered and closed → stays green", requested, func(f *fixture) {
			id := f.answered("sam", "alice")
			must(f, f.desk.Close(id, "sam"))
		}, acd.HelpAssisting, "sam"},
		{"two supervisors, one rings out while the other assists → green", requested, func(f *fixture) {
			f.answered("sue", "alice")
			f.start("sam", "alice")
			f.run(wait(30 * 1e9))
		}, acd.HelpAssisting, "sue"},
		{"two supervisors, both ring out → red once the last ends", requested, func(f *fixture) {
			f.start("sue", "alice")
			f.run(wait(10 * 1e9))
			f.start("sam", "alice")
			f.run(wait(20 * 1e9))
			if h := f.agent("alice").Help; h != acd.HelpAssisting {
				f.t.Fatalf("sue's assist ended while sam's still rings: help %s, want assisting", h)
			}
			f.run(wait(10 * 1e9))
		}, acd.HelpRequested, "sam"},
		{"cleared while ringing, then a second rings out → blue", requested, func(f *fixture) {
			f.start("sue", "alice")
			must(f, f.eng.ClearHelp("alice", "tom"))
			f.start("sam", "alice")
			f.run(wait(30 * 1e9))
		}, acd.HelpNone, "sam"},
		{"one answered, then a second rings out → green", requested, func(f *fixture) {
			id := f.answered("sue", "alice")
			f.start("sam", "alice")
			must(f, f.desk.Close(id, "sue"))
			f.run(wait(30 * 1e9))
		}, acd.HelpAssisting, "sue"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := newFixture(t)
			f.run(r.given...)
			r.when(f)
			f.pump()
			if h := f.agent("alice").Help; h != r.want {
				t.Fatalf("help %s, want %s", h, r.want)
			}
			var helps []events.Event
			for _, e := range f.acdRec.announced {
				if e.Kind == events.HelpState && e.Agent == "alice" {
					helps = append(helps, e)
				}
			}
			if last := helps[len(helps)-1]; last.Actor != r.actor {
				t.Fatalf("last help event %+v, want actor %q", last, r.actor)
			}
			if r.want == acd.HelpRequested && !slices.ContainsFunc(helps[1:], func(e events.Event) bool {
				return e.State == string(acd.HelpRequested) && e.Reason != ""
			}) {
				t.Fatalf("the reopened request does not say why: %+v", helps)
			}
		})
	}
}

// TestHelpReopenedIsAssistable: after a failed assist the agent's request
// is open again and Assist starts a new attempt, which turns it green.
func TestHelpReopenedIsAssistable(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), requestHelp("alice"))
	f.start("sam", "alice")
	f.run(wait(30 * 1e9))
	if a := f.desk.Availability("alice"); !a.Allowed || len(a.By) != 0 {
		t.Fatalf("availability after the failed assist: %+v", a)
	}
	r, err := f.desk.Start("sue", "alice", phone("sip:sue@127.0.0.1:5070"))
	if err != nil || r.Cleared || r.Session.Mode != Ringing {
		t.Fatalf("second attempt: %+v, %v", r, err)
	}
	if h := f.agent("alice").Help; h != acd.HelpAssisting {
		t.Fatalf("help %s, want assisting", h)
	}
}

func must(f *fixture, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}
