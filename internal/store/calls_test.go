package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

func TestCallsArrivedAndCallEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		in := []events.Event{
			ev(events.CallArrived, 0, "", "c1", "sales"),
			ev(events.CallOffered, time.Second, "ann", "c1", "sales"),
			ev(events.CallArrived, 2*time.Second, "", "c2", "support"),
			ev(events.CallAnswered, 3*time.Second, "ann", "c1", "sales"),
			ev(events.AgentState, 3*time.Second, "ann", "c1", ""),
			ev(events.CallArrived, 4*time.Second, "", "c3", "sales"),
			ev(events.CallEnded, 5*time.Second, "", "c1", "sales"),
			ev(events.CallEnded, 6*time.Second, "", "c2", "support"),
		}
		if err := s.AppendBatch(ctx, in); err != nil {
			t.Fatal(err)
		}
		calls := func(es []events.Event) []string {
			var out []string
			for _, e := range es {
				if e.Kind != events.CallArrived {
					t.Errorf("CallsArrived returned a %s event", e.Kind)
				}
				out = append(out, e.Call)
			}
			return out
		}
		all, err := s.CallsArrived(ctx, "", time.Time{}, time.Time{}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := calls(all); !slices.Equal(got, []string{"c3", "c2", "c1"}) {
			t.Fatalf("all calls newest first: %v", got)
		}
		page, err := s.CallsArrived(ctx, "", time.Time{}, time.Time{}, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		next, err := s.CallsArrived(ctx, "", time.Time{}, time.Time{}, page[1].Seq, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := append(calls(page), calls(next)...); !slices.Equal(got, []string{"c3", "c2", "c1"}) {
			t.Fatalf("paged: %v", got)
		}
		sales, err := s.CallsArrived(ctx, "sales", time.Time{}, time.Time{}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := calls(sales); !slices.Equal(got, []string{"c3", "c1"}) {
			t.Fatalf("sales: %v", got)
		}
		window, err := s.CallsArrived(ctx, "", t0.Add(time.Second), t0.Add(4*time.Second), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := calls(window); !slices.Equal(got, []string{"c2"}) {
			t.Fatalf("window: %v", got)
		}

		evs, err := s.CallEvents(ctx, []string{"c1", "c3"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Call+" "+string(e.Kind))
		}
		want := []string{"c1 call.arrived", "c1 call.offered", "c1 call.answered", "c1 agent.state", "c3 call.arrived", "c1 call.ended"}
		if !slices.Equal(got, want) {
			t.Fatalf("CallEvents = %v, want %v", got, want)
		}
		if evs, err := s.CallEvents(ctx, nil); err != nil || len(evs) != 0 {
			t.Fatalf("no IDs: %v %v", evs, err)
		}
	})
}

func TestCallQueriesRefuseBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		for name, err := range map[string]error{
			"zero limit":     second(s.CallsArrived(ctx, "", time.Time{}, time.Time{}, 0, 0)),
			"negative seq":   second(s.CallsArrived(ctx, "", time.Time{}, time.Time{}, -1, 5)),
			"until<since":    second(s.CallsArrived(ctx, "", t0, t0.Add(-time.Second), 0, 5)),
			"NUL queue":      second(s.CallsArrived(ctx, "a\x00", time.Time{}, time.Time{}, 0, 5)),
			"empty call ID":  second(s.CallEvents(ctx, []string{""})),
			"too many calls": second(s.CallEvents(ctx, make([]string, MaxCallIDs+1))),
			"bad UTF-8 ID":   second(s.CallEvents(ctx, []string{"\xff"})),
		} {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }
