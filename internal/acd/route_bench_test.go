package acd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/events"
)

type nullSink struct{}

func (nullSink) Store([]events.Event) error { return nil }
func (nullSink) Announce([]events.Event)    {}

// BenchmarkRoutingDecision: 1,000 agents in 20 queues and 1,000 waiting
// callers. Each operation is one routing decision: an agent becomes
// available and is offered the best waiting call among its queues (then the
// ring fails, the call returns to the head of its queue and the agent goes
// Not Ready, keeping 1,000 waiting). Reports p50 and p99 per decision.
// Target: p99 under 1 ms.
func BenchmarkRoutingDecision(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	cfg := bigConfig(1000, 20, rng)
	for i := range cfg.Queues {
		cfg.Queues[i].Strategy = "longest-idle"
		cfg.Queues[i].MaxWait = 0
	}
	clk := clock.NewFake(t0)
	e := New(cfg, clk, nullSink{})
	for _, u := range cfg.Users {
		mustOK(b, e.SetState(u.Name, NotReady, "Break", ""))
	}
	for i := range 1000 {
		did := cfg.DIDs[rng.IntN(len(cfg.DIDs))].Number
		if _, err := e.Arrive(Inbound{ID: fmt.Sprintf("c%d", i), DID: did}); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		name := cfg.Users[i%len(cfg.Users)].Name
		i++
		start := time.Now()
		mustOK(b, e.SetState(name, Available, "", ""))
		lat = append(lat, time.Since(start))
		v, _ := e.Agent(name)
		if v.State != Ringing {
			b.Fatalf("agent %s is %s with 1,000 calls waiting", name, v.State)
		}
		mustOK(b, e.RingFailed(v.Call, name, ""))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
