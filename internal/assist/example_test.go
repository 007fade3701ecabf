package assist

import (
	"fmt"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// ExampleAudit rebuilds one assist session from its stored rows.
func ExampleAudit() {
	at := func(s int) time.Time { return time.Date(2026, 1, 5, 9, 0, s, 0, time.UTC) }
	row := func(seq int64, s int, state, reason string) events.Event {
		return events.Event{Seq: seq, At: at(s), Kind: events.AssistMode, Agent: "alice", Call: "c1", Actor: "sam",
			State: state, Reason: reason, Detail: "as-1"}
	}
	recs := Audit([]events.Event{row(1, 0, "ringing", ""), row(2, 4, "listen", ""), row(3, 30, "talk", ""),
		row(4, 45, "listen", ""), row(5, 50, "ended", "closed")})
	r := recs[0]
	fmt.Println(r.User, "assisted", r.Agent, "on", r.Call+"; ended:", r.Reason)
	for _, s := range r.Modes {
		fmt.Printf("%-8s %2ds\n", s.Mode, s.To.Sub(s.From)/time.Second)
	}
	// Output:
	// sam assisted alice on c1; ended: closed
	// ringing   4s
	// listen   26s
	// talk     15s
	// listen    5s
}
