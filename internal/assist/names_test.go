package assist

import (
	"maps"
	"testing"
)

// TestDisplayNames: the monitor shows people by their display names, and
// supervisors have no agent row to take theirs from: sessions, the row's
// "who is assisting" and the audit carry them.
func TestDisplayNames(t *testing.T) {
	f := newFixture(t)
	f.run(onCall("alice", "c1"), listenIn("alice", "all"))
	id := f.answered("sue", "alice")
	l, err := f.desk.Listen("carol", "alice", phone("sip:carol@127.0.0.1:5070"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.desk.Session(id)
	if err != nil || s.UserDisplay != "Sue Anderson" || s.AgentDisplay != "Alice Johnson" {
		t.Fatalf("session %+v, %v", s, err)
	}
	if l.UserDisplay != "Carol Nguyen" || l.AgentDisplay != "Alice Johnson" {
		t.Fatalf("listen-in %+v", l)
	}
	a := f.desk.Availability("alice")
	if want := map[string]string{"sue": "Sue Anderson", "carol": "Carol Nguyen"}; !maps.Equal(a.Names, want) {
		t.Fatalf("names %v, want %v", a.Names, want)
	}
	if a := f.desk.Availability("bob"); a.Names == nil || len(a.Names) != 0 {
		t.Fatalf("nobody on bob: names %v", a.Names)
	}
	recs := Named(f.eng.Config(), Audit(f.deskRec.stored))
	if len(recs) != 2 {
		t.Fatalf("audit %+v", recs)
	}
	for _, r := range recs {
		if r.AgentDisplay != "Alice Johnson" || r.UserDisplay != map[string]string{"sue": "Sue Anderson", "carol": "Carol Nguyen"}[r.User] {
			t.Fatalf("record %+v", r)
		}
	}
	gone := Named(f.eng.Config(), []Record{{User: "olduser", Agent: "alice"}})
	if gone[0].UserDisplay != "olduser" {
		t.Fatalf("a user no longer configured: %+v", gone[0])
	}
}
