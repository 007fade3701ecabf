package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/events"
)

// indexedCalls is a CallHistory whose lookups cost what the database's
// indexes make them cost, so the benchmark measures the server's part.
type indexedCalls struct {
	arrived []events.Event // oldest first
	byCall  map[string][]events.Event
}

func (f *indexedCalls) CallsArrived(_ context.Context, _ string, _, _ time.Time, before int64, limit int) ([]events.Event, error) {
	var out []events.Event
	for i := len(f.arrived) - 1; i >= 0 && len(out) < limit; i-- {
		if before == 0 || f.arrived[i].Seq < before {
			out = append(out, f.arrived[i])
		}
	}
	return out, nil
}

func (f *indexedCalls) CallEvents(_ context.Context, ids []string) ([]events.Event, error) {
	var out []events.Event
	for _, id := range ids {
		out = append(out, f.byCall[id]...)
	}
	return out, nil
}

// BenchmarkCallHistoryPage: one page of 50 calls for a supervisor who sees
// half the queues, out of 10,000 assisted calls of eight events each.
func BenchmarkCallHistoryPage(b *testing.B) {
	f := &indexedCalls{byCall: map[string][]events.Event{}}
	seq := int64(0)
	for i := range 10000 {
		id := fmt.Sprintf("call-%d", i)
		queue := []string{"sales", "support"}[i%2]
		for _, e := range callEvents("/data/recordings/x.wav", "")[:13] {
			seq++
			e.Seq, e.Call, e.Queue = seq, id, queue
			if e.Kind == events.CallArrived {
				f.arrived = append(f.arrived, e)
			}
			f.byCall[id] = append(f.byCall[id], e)
		}
	}
	s := New(Options{Engine: newFakeEngine(testConfig(b), clock.NewFake(callsT0), nil), Sessions: newFakeSessions(), Calls: f})
	defer s.metrics.stop()
	v := newViewer(s.eng.Config(), s.eng.Config().Users[1]) // sup-a
	q := callQuery{limit: 50}
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.callsPage(context.Background(), v, q)
		if err != nil || len(p.Calls) != 50 {
			b.Fatalf("%d calls, %v", len(p.Calls), err)
		}
	}
}
