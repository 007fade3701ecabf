package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// What persisting an agent state change costs: one Append is one committed
// transaction (WAL, synchronous=NORMAL for SQLite).

func benchStore(b *testing.B, dsn string) Store {
	b.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.SaveConfig(context.Background(), sampleConfig()); err != nil {
		b.Fatal(err)
	}
	return s
}

func stateChange(i int) events.Event {
	return events.Event{
		At: t0.Add(time.Duration(i) * time.Millisecond), Kind: events.AgentState,
		Agent: "ann", State: "available", Reason: "ready", Call: "call-0001",
	}
}

func benchAppend(b *testing.B, s Store) {
	ctx := context.Background()
	i := 0
	for b.Loop() {
		e := stateChange(i)
		if err := s.Append(ctx, &e); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAppend(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchAppend(b, benchStore(b, filepath.Join(b.TempDir(), "bench.db")))
	})
	b.Run("postgres", func(b *testing.B) {
		benchAppend(b, benchStore(b, postgresDSN(b)))
	})
}

// BenchmarkAppendParallel is many agents changing state at once: appends
// queue for the one writer.
func BenchmarkAppendParallel(b *testing.B) {
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			e := stateChange(i)
			if err := s.Append(ctx, &e); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendBatch is one control-plane command's events (a routed call
// answered: several rows) in one transaction.
func BenchmarkAppendBatch(b *testing.B) {
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	const size = 8
	batch := make([]events.Event, size)
	for b.Loop() {
		for j := range batch {
			batch[j] = stateChange(j)
		}
		if err := s.AppendBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEventsAgentDay reads one agent's day out of a busy history.
func BenchmarkEventsAgentDay(b *testing.B) {
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	agents := []string{"ann", "bob", "sue", "zed"}
	batch := make([]events.Event, 0, 500)
	for i := 0; i < 20000; i++ {
		e := stateChange(i)
		e.Agent = agents[i%len(agents)]
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if err := s.AppendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	f := Filter{Agent: "bob", Since: t0, Until: t0.Add(24 * time.Hour), Kinds: []events.Kind{events.AgentState}}
	for b.Loop() {
		es, err := s.Events(ctx, f)
		if err != nil || len(es) != 5000 {
			b.Fatalf("got %d events, %v", len(es), err)
		}
	}
}
