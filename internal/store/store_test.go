package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// forEachDSN runs fn once per database earshot supports, each with a fresh,
// empty database named by dsn: a SQLite file in a temporary folder, and a
// schema of the run's PostgreSQL database.
func forEachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite:"+filepath.Join(t.TempDir(), "earshot.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, postgresDSN(t))
	})
}

// forEachStore runs fn against an open, empty Store of each kind.
func forEachStore(t *testing.T, fn func(t *testing.T, s Store)) {
	t.Helper()
	forEachDSN(t, func(t *testing.T, dsn string) {
		fn(t, openTest(t, dsn))
	})
}

func openTest(t testing.TB, dsn string) Store {
	t.Helper()
	s, err := Open(testContext(t), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testContext bounds every database call of a test.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var t0 = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func ev(kind events.Kind, at time.Duration, agent, call, queue string) events.Event {
	return events.Event{At: t0.Add(at), Kind: kind, Agent: agent, Call: call, Queue: queue}
}

func mustEvents(t *testing.T, s Store, f Filter) []events.Event {
	t.Helper()
	got, err := s.Events(testContext(t), f)
	if err != nil {
		t.Fatalf("Events(%+v): %v", f, err)
	}
	return got
}

func seqsOf(es []events.Event) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestAppendOrderAndFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		in := []events.Event{
			ev(events.CallArrived, 0, "", "c1", "sales"),
			ev(events.CallOffered, time.Second, "ann", "c1", "sales"),
			ev(events.AgentState, time.Second, "ann", "c1", ""),
			ev(events.CallAnswered, 3*time.Second, "ann", "c1", "sales"),
			ev(events.CallArrived, 4*time.Second, "", "c2", "support"),
			ev(events.AgentState, 5*time.Second, "bob", "", ""),
		}
		in[2].State, in[2].Reason, in[2].Actor, in[2].Detail = "ringing", "offered", "system", "détail ✓"
		in[0].Caller, in[0].DID = "+441234", "+44800"
		// Stored out of time order on purpose: Seq, not At, orders history.
		in[5].At = t0.Add(-time.Minute)
		for i := range in[:3] {
			if err := s.Append(ctx, &in[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AppendBatch(ctx, in[3:]); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(in); i++ {
			if in[i].Seq <= in[i-1].Seq {
				t.Fatalf("Seq not increasing: %v", seqsOf(in))
			}
		}
		all := mustEvents(t, s, Filter{})
		if !reflect.DeepEqual(all, in) {
			t.Fatalf("Events() =\n%+v\nwant\n%+v", all, in)
		}
		seq := func(i ...int) []int64 {
			out := []int64{}
			for _, x := range i {
				out = append(out, in[x].Seq)
			}
			return out
		}
		cases := []struct {
			name string
			f    Filter
			want []int64
		}{
			{"after seq", Filter{AfterSeq: in[3].Seq}, seq(4, 5)},
			{"agent", Filter{Agent: "ann"}, seq(1, 2, 3)},
			{"call", Filter{Call: "c1"}, seq(0, 1, 2, 3)},
			{"queue", Filter{Queue: "sales"}, seq(0, 1, 3)},
			{"kinds", Filter{Kinds: []events.Kind{events.CallArrived, events.AgentState}}, seq(0, 2, 4, 5)},
			{"since inclusive", Filter{Since: t0.Add(time.Second)}, seq(1, 2, 3, 4)},
			{"until exclusive", Filter{Until: t0.Add(time.Second)}, seq(0, 5)},
			{"since and until", Filter{Since: t0.Add(time.Second), Until: t0.Add(4 * time.Second)}, seq(1, 2, 3)},
			{"limit keeps oldest", Filter{Limit: 2}, seq(0, 1)},
			{"newest first", Filter{Newest: true, Limit: 2}, seq(5, 4)},
			{"combined", Filter{Agent: "ann", Kinds: []events.Kind{events.AgentState, events.CallAnswered}, AfterSeq: in[1].Seq, Limit: 1}, seq(2)},
			{"nothing", Filter{Agent: "nobody"}, seq()},
			{"far bounds", Filter{Since: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, seq(0, 1, 2, 3, 4, 5)},
		}
		for _, c := range cases {
			if got := seqsOf(mustEvents(t, s, c.f)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: got seqs %v, want %v", c.name, got, c.want)
			}
		}
		for _, bad := range []Filter{{Limit: -1}, {Since: t0, Until: t0.Add(-time.Second)}, {Agent: "a\x00b"}} {
			if _, err := s.Events(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("Events(%+v) error = %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		zone := time.FixedZone("UTC+5:30", 5*3600+1800)
		times := []time.Time{
			time.Date(2025, 3, 14, 15, 4, 5, 123456789, zone),
			time.Date(2025, 3, 14, 15, 4, 5, 1, time.UTC),
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
			time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC),
			time.Now(), // has a monotonic reading and the local zone
		}
		for _, at := range times {
			e := events.Event{Kind: events.AgentState, At: at, Agent: "ann"}
			if err := s.Append(ctx, &e); err != nil {
				t.Fatalf("Append at %v: %v", at, err)
			}
			if !e.At.Equal(at) || e.At.Location() != time.UTC {
				t.Errorf("Append changed At %v to %v; want the same instant in UTC", at, e.At)
			}
			got := mustEvents(t, s, Filter{AfterSeq: e.Seq - 1, Limit: 1})
			if len(got) != 1 || !reflect.DeepEqual(got[0], e) {
				t.Errorf("stored %+v, read back %+v", e, got)
			}
		}
	})
}

func TestAppendRejectsBadInputAndChangesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		good := ev(events.AgentState, 0, "ann", "", "")
		bad := map[string]events.Event{
			"no kind":      {At: t0},
			"no time":      {Kind: events.AgentState},
			"year 1600":    {Kind: events.AgentState, At: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
			"year 2300":    {Kind: events.AgentState, At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
			"invalid utf8": {Kind: events.AgentState, At: t0, Agent: "\xff\xfe"},
			"nul byte":     {Kind: events.AgentState, At: t0, Detail: "a\x00b"},
		}
		for name, e := range bad {
			e2 := e
			if err := s.Append(ctx, &e2); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: Append error = %v, want ErrInvalid", name, err)
			}
			if !reflect.DeepEqual(e2, e) {
				t.Errorf("%s: a refused Append changed the event to %+v", name, e2)
			}
			batch := []events.Event{good, e, good}
			if err := s.AppendBatch(ctx, batch); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: AppendBatch error = %v, want ErrInvalid", name, err)
			}
			if batch[0].Seq != 0 || batch[2].Seq != 0 {
				t.Errorf("%s: a refused batch set Seqs %v", name, seqsOf(batch))
			}
		}
		if got := mustEvents(t, s, Filter{}); len(got) != 0 {
			t.Fatalf("refused appends stored %d events", len(got))
		}
		if err := s.AppendBatch(ctx, nil); err != nil {
			t.Fatalf("empty batch: %v", err)
		}
	})
}

func TestConcurrentAppendsGetUniqueIncreasingSeqs(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := testContext(t)
		const writers, each = 6, 40
		seqs := make([][]int64, writers)
		errs := make(chan error, writers)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					e := ev(events.AgentState, time.Duration(i)*time.Millisecond, "agent", "", "")
					e.Detail = string(rune('a' + w))
					if err := s.Append(ctx, &e); err != nil {
						errs <- err
						return
					}
					seqs[w] = append(seqs[w], e.Seq)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for w, list := range seqs {
			for i, q := range list {
				if seen[q] {
					t.Fatalf("Seq %d given twice", q)
				}
				seen[q] = true
				if i > 0 && q <= list[i-1] {
					t.Fatalf("writer %d got Seq %d after %d", w, q, list[i-1])
				}
			}
		}
		all := mustEvents(t, s, Filter{})
		if len(all) != writers*each {
			t.Fatalf("stored %d events, want %d", len(all), writers*each)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq <= all[i-1].Seq {
				t.Fatalf("Events not in Seq order at %d", i)
			}
		}
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		ctx := testContext(t)
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg := sampleConfig()
		e := ev(events.AgentState, 0, "ann", "", "")
		sess := sampleSession("tok-1", "ann")
		for _, step := range []error{
			s.SaveConfig(ctx, cfg),
			s.Append(ctx, &e),
			s.CreateSession(ctx, sess),
			s.SetPreference(ctx, "ann", "ring_on", "browser"),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s = openTest(t, dsn) // migrations already applied: a no-op
		got, err := s.LoadConfig(ctx)
		if err != nil || !reflect.DeepEqual(got, cfg) {
			t.Fatalf("after reopen LoadConfig = %+v, %v", got, err)
		}
		if es := mustEvents(t, s, Filter{}); !reflect.DeepEqual(es, []events.Event{e}) {
			t.Fatalf("after reopen Events = %+v", es)
		}
		if ss, err := s.Session(ctx, sess.ID); err != nil || !reflect.DeepEqual(ss, sess) {
			t.Fatalf("after reopen Session = %+v, %v", ss, err)
		}
		if p, err := s.Preferences(ctx, "ann"); err != nil || p["ring_on"] != "browser" {
			t.Fatalf("after reopen Preferences = %v, %v", p, err)
		}
		next := ev(events.AgentState, time.Second, "ann", "", "")
		if err := s.Append(ctx, &next); err != nil || next.Seq <= e.Seq {
			t.Fatalf("after reopen Append gave Seq %d (before: %d), %v", next.Seq, e.Seq, err)
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		ctx := testContext(t)
		s := openTest(t, dsn).(*sqlStore)
		if _, err := s.w.ExecContext(ctx, s.q("INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)"),
			999999, "9999_future.sql", 0); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := Open(ctx, dsn); !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("Open on a newer schema: %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestInMemorySQLite(t *testing.T) {
	s := openTest(t, "sqlite::memory:")
	ctx := testContext(t)
	if err := s.SaveConfig(ctx, sampleConfig()); err != nil {
		t.Fatal(err)
	}
	e := ev(events.CallArrived, 0, "", "c1", "sales")
	if err := s.Append(ctx, &e); err != nil || e.Seq != 1 {
		t.Fatalf("Append: seq %d, %v", e.Seq, err)
	}
	if _, err := s.LoadConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "earshot.db")
	s := openTest(t, path)
	if err := s.SaveConfig(testContext(t), sampleConfig()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
		}
	}
}

func TestOpenReportsMissingDirectory(t *testing.T) {
	_, err := Open(testContext(t), filepath.Join(t.TempDir(), "no", "such", "earshot.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}
