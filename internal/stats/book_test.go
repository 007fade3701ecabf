package stats

import (
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// TestFigures: one agent's morning, written out, and the figures a
// supervisor would work out by hand.
func TestFigures(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ev := func(s int, k events.Kind, f func(*events.Event)) events.Event {
		e := events.Event{At: at(s), Kind: k}
		f(&e)
		return e
	}
	state := func(s int, st string) events.Event {
		return ev(s, events.AgentState, func(e *events.Event) { e.Agent, e.State = "alice", st })
	}
	call := func(s int, k events.Kind, id, reason string) events.Event {
		return ev(s, k, func(e *events.Event) { e.Call, e.Queue, e.Agent, e.Reason = id, "sales", "alice", reason })
	}
	history := []events.Event{
		state(0, "available"),
		call(100, events.CallArrived, "c1", ""), call(100, events.CallQueued, "c1", "arrived"),
		call(100, events.CallOffered, "c1", ""), state(100, "ringing"),
		call(110, events.CallAnswered, "c1", ""), state(110, "on_call"), // answered in 10 s: in service level
		call(230, events.CallHandlerEnded, "c1", "hangup"), state(230, "acw"), call(230, events.CallEnded, "c1", "completed"),
		state(260, "available"), // 120 s talk, 30 s ACW
		call(300, events.CallArrived, "c2", ""), call(300, events.CallQueued, "c2", "arrived"),
		call(300, events.CallOffered, "c2", ""), state(300, "ringing"),
		call(320, events.CallUnoffered, "c2", "missed"), state(320, "not_ready"), call(320, events.CallQueued, "c2", "missed"),
		call(340, events.CallEnded, "c2", "abandoned"),
		state(400, "available"),
		call(400, events.CallArrived, "c3", ""), call(400, events.CallQueued, "c3", "arrived"),
		call(400, events.CallOffered, "c3", ""), state(400, "ringing"),
		call(430, events.CallAnswered, "c3", ""), state(430, "on_call"), // answered after 30 s: out of service level
		call(490, events.CallHandlerEnded, "c3", "hangup"), state(490, "acw"), call(490, events.CallEnded, "c3", "completed"),
		state(500, "available"), // 60 s talk, 10 s ACW
		call(550, events.CallArrived, "c4", ""), call(550, events.CallQueued, "c4", "arrived"),
	}
	b := Recount(history)
	now := at(600)
	a := b.Agent("alice", now)
	want := AgentStats{Handled: 2, Missed: 1, AvgACW: 20 * time.Second, AHT: (120 + 60 + 30 + 10) * time.Second / 2}
	// busy: ringing 10+20+30, on call 120+60, ACW 30+10 = 280 s;
	// available: 100+40+0+100 = 240 s (0–100, 260–300, 400–400, 500–600)
	want.Occupancy = 280.0 / (280 + 240)
	if a != want {
		t.Errorf("agent figures\n got %+v\nwant %+v", a, want)
	}
	q := b.Queue("sales", now)
	wantQ := QueueStats{Waiting: 1, LongestWait: 50 * time.Second, Answered: 2, Abandoned: 1, ServiceLevel: 1.0 / 3}
	if q != wantQ {
		t.Errorf("queue figures\n got %+v\nwant %+v", q, wantQ)
	}
}
