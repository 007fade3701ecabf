package acd

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
)

// recorder is a Sink that keeps what it stored and announced.
type recorder struct {
	discard    bool // count only: keep no events (benchmarks)
	seq        int64
	stored     []events.Event
	announced  []events.Event
	fail       error
	onAnnounce func(events.Event)
}

func (r *recorder) Store(evs []events.Event) error {
	if r.fail != nil {
		return r.fail
	}
	for i := range evs {
		r.seq++
		evs[i].Seq = r.seq
	}
	if !r.discard {
		r.stored = append(r.stored, evs...)
	}
	return nil
}

func (r *recorder) Announce(evs []events.Event) {
	if !r.discard {
		r.announced = append(r.announced, evs...)
	}
	if r.onAnnounce != nil {
		for _, e := range evs {
			r.onAnnounce(e)
		}
	}
}

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// smallConfig: queue sales (a1, a2, a3, longest idle), support (a3, a4,
// round robin, 60 s max wait, overflow to sales), DIDs 100 → sales,
// 200 → support, 201 → support at priority 5.
func smallConfig() *config.Config {
	return &config.Config{
		Users: []config.User{
			{Name: "a1", Roles: []config.Role{config.RoleAgent}},
			{Name: "a2", Roles: []config.Role{config.RoleAgent}},
			{Name: "a3", Roles: []config.Role{config.RoleAgent}},
			{Name: "a4", Roles: []config.Role{config.RoleAgent}},
			{Name: "sup", Roles: []config.Role{config.RoleSupervisor}},
		},
		Teams: []config.Team{{Name: "t", Agents: []string{"a1", "a2", "a3", "a4"}, Supervisors: []string{"sup"}}},
		Queues: []config.Queue{
			{Name: "sales", Agents: []string{"a1", "a2", "a3"}, Strategy: config.LongestIdle, RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second},
			{Name: "support", Agents: []string{"a3", "a4"}, Strategy: config.RoundRobin, RingTimeout: 15 * time.Second, WrapUp: 10 * time.Second,
				MaxWait: 60 * time.Second, OnMaxWait: "overflow", OverflowTo: "sales"},
		},
		DIDs: []config.DID{
			{Number: "100", Queue: "sales"},
			{Number: "200", Queue: "support"},
			{Number: "201", Queue: "support", Priority: 5},
		},
		NotReadyReasons: []string{"Break", "Lunch"},
	}
}

type fixture struct {
	t   *testing.T
	clk *clock.Fake
	rec *recorder
	e   *Engine
}

func newFixture(t *testing.T, cfg *config.Config) *fixture {
	f := &fixture{t: t, clk: clock.NewFake(t0), rec: &recorder{}}
	f.e = New(cfg, f.clk, f.rec)
	return f
}

// step is one thing that happens, written as a sentence in a table.
type step func(f *fixture) error

func login(a string) step {
	return func(f *fixture) error { return f.e.SetState(a, Available, "", "") }
}
func ready(a string) step { return login(a) }
func notReady(a, reason string) step {
	return func(f *fixture) error { return f.e.SetState(a, NotReady, reason, "") }
}
func logout(a string) step { return func(f *fixture) error { return f.e.SetState(a, Offline, "", "") } }
func force(a string, st State, reason, sup string) step {
	return func(f *fixture) error { return f.e.SetState(a, st, reason, sup) }
}
func arrive(id, did string) step {
	return func(f *fixture) error {
		_, err := f.e.Arrive(Inbound{ID: id, DID: did, Caller: "+1555" + id})
		return err
	}
}
func answer(id, a string) step   { return func(f *fixture) error { return f.e.Answer(id, a) } }
func reject(id, a string) step   { return func(f *fixture) error { return f.e.Reject(id, a) } }
func hangup(id, by string) step  { return func(f *fixture) error { return f.e.Hangup(id, by) } }
func takeOver(id, s string) step { return func(f *fixture) error { return f.e.TakeOver(id, s) } }
func wait(d time.Duration) step  { return func(f *fixture) error { f.clk.Advance(d); return nil } }
func requestHelp(a string) step  { return func(f *fixture) error { return f.e.RequestHelp(a) } }
func cancelHelp(a string) step   { return func(f *fixture) error { return f.e.CancelHelp(a) } }
func assisting(a string) step    { return func(f *fixture) error { return f.e.StartAssisting(a, "sup") } }
func reopenHelp(a string) step {
	return func(f *fixture) error { return f.e.ReopenHelp(a, "sup", "no answer") }
}
func clearHelp(a string) step { return func(f *fixture) error { return f.e.ClearHelp(a, "sup") } }
func listenIn(a string, m ListenIn) step {
	return func(f *fixture) error { return f.e.SetListenIn(a, m) }
}

func (f *fixture) run(steps ...step) {
	f.t.Helper()
	for i, s := range steps {
		if err := s(f); err != nil {
			f.t.Fatalf("setup step %d: %v", i+1, err)
		}
	}
}

// snapshot is everything observable, to check that a refused command
// changed nothing.
func (f *fixture) snapshot() string {
	return fmt.Sprintf("%+v|%+v|%+v|%d", f.e.Agents(), f.e.Calls(), f.e.Queues(), len(f.rec.stored))
}

func (f *fixture) state(a string) State {
	v, err := f.e.Agent(a)
	if err != nil {
		f.t.Fatal(err)
	}
	return v.State
}

func isErr(err, target error) bool { return errors.Is(err, target) }
