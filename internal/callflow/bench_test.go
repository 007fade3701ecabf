package callflow

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/media/loadgen"
)

// The load benchmark runs the media plane with the call flow's hearing in
// a child process (this test binary, started again with loadServerEnv
// set), and the load generator in this one, so the server's CPU is the
// child's alone. The child takes one command a line: "call A B" makes a
// plain call (customer at A, agent at B); "acall A B C MODE" adds a
// supervisor at C in MODE (listen or talk); "cpu" answers with the
// child's user+system CPU time in µs.

const loadServerEnv = "EARSHOT_CALLFLOW_LOAD_SERVER"

var (
	loadCalls    = flag.Int("assist.calls", 100, "BenchmarkAssistedCalls: concurrent calls")
	loadEvery    = flag.Int("assist.every", 10, "BenchmarkAssistedCalls: every n-th call has a supervisor")
	loadDuration = flag.Duration("assist.duration", 3*time.Second, "BenchmarkAssistedCalls: measured time of each run (after 1 s of warm-up)")
	loadRounds   = flag.Int("assist.rounds", 5, "BenchmarkAssistedCalls: rounds of plain, listen and talk runs taking turns")
)

func TestMain(m *testing.M) {
	if os.Getenv(loadServerEnv) == "1" {
		if err := serveLoad(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveLoad is the child's side: each call is a room whose hearing comes
// from applyHearing, as on a live call.
func serveLoad(in io.Reader, out io.Writer) error {
	e, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 16384, PortMax: 32767})
	if err != nil {
		return err
	}
	defer e.Close()
	f := &Flow{log: slog.New(slog.DiscardHandler)}
	return loadgen.Serve(in, out, func(w []string) (string, bool, error) {
		if len(w) == 3 && w[0] == "call" || len(w) == 5 && w[0] == "acall" {
			ports, err := loadCall(e, f, w[1:])
			return ports, true, err
		}
		return "", false, nil
	})
}

func loadCall(e *media.Engine, f *Flow, args []string) (string, error) {
	lc := &liveCall{room: e.NewRoom(), parties: map[string]*party{}}
	roles := []struct {
		name string
		role assist.Role
	}{{"customer", assist.Customer}, {"alice", assist.Agent}, {"sam", assist.Supervisor}}
	var ports []string
	for i, a := range args[:min(len(args), 3)] {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return "", err
		}
		l, err := e.NewRTPLeg()
		if err != nil {
			return "", err
		}
		if err := l.SetRemote(ap, 0, 0); err != nil {
			return "", err
		}
		if err := lc.room.Add(l); err != nil {
			return "", err
		}
		ports = append(ports, strconv.Itoa(int(l.LocalAddr().Port())))
		if i == 0 {
			lc.leg = l
			continue
		}
		p := &party{name: roles[i].name, role: roles[i].role, leg: l}
		if p.role == assist.Supervisor {
			p.mode = assist.Mode(args[3])
		}
		lc.parties[p.name] = p
	}
	f.applyHearing(lc)
	return strings.Join(ports, " "), nil
}

// BenchmarkAssistedCalls measures the server's CPU per call-second with
// -assist.calls calls (default 100): plain, then with a supervisor on
// every -assist.every-th call (default 10) listening, then talking. The
// supervisor's leg hears customer and agent mixed; in talk the agent's
// leg gets a mix too (the generator's supervisor sends nothing, so the
// talk run's loss figure counts the agent's mixed packets, not loss).
// A shared machine's CPU figures wander by more than the difference
// measured, so the three runs take turns for -assist.rounds rounds and
// each assisted run is set against the plain run of its own round; the
// figures reported are the medians. The product's target: assisted at
// most 1.2 × plain.
func BenchmarkAssistedCalls(b *testing.B) {
	runs := []struct {
		name  string
		every int
		mode  assist.Mode
	}{{"plain", 0, ""}, {"listen", *loadEvery, assist.Listen}, {"talk", *loadEvery, assist.Talk}}
	for range b.N {
		cpu := make([][]float64, len(runs))   // µs per call-second, by run, by round
		ratio := make([][]float64, len(runs)) // × the round's plain run
		var mixP95 []float64
		var rounds []string
		for round := range *loadRounds {
			for i, run := range runs {
				srv := loadgen.StartChild(b, loadServerEnv)
				setup := func(_ int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
					if len(legs) == 3 {
						return srv.Setup("acall", legs, string(run.mode))
					}
					return srv.Setup("call", legs)
				}
				r, err := loadgen.Run(loadgen.Config{Calls: *loadCalls, Mixed: run.every, Duration: *loadDuration, Setup: setup, CPU: srv.CPU})
				if err != nil {
					b.Fatal(err)
				}
				rounds = append(rounds, fmt.Sprintf("round %d, %s: %v", round+1, run.name, r))
				cpu[i] = append(cpu[i], r.CPUPerCallSecond)
				ratio[i] = append(ratio[i], r.CPUPerCallSecond/cpu[0][round])
				if r.MixedSamples > 0 {
					mixP95 = append(mixP95, float64(r.MixedP95)/1e6)
				}
			}
		}
		var summary []string
		for i, run := range runs {
			b.ReportMetric(median(cpu[i]), "µs-cpu/call-s-"+run.name)
			if i > 0 {
				b.ReportMetric(median(ratio[i]), "x-plain-"+run.name)
				summary = append(summary, fmt.Sprintf("%s: %.2f × plain (median), %.2f–%.2f over %d rounds",
					run.name, median(ratio[i]), slices.Min(ratio[i]), slices.Max(ratio[i]), len(ratio[i])))
			}
		}
		// one log line: a benchmark's log is cut after a few lines
		b.Log(strings.Join(append(summary, rounds...), "\n"))
		if len(mixP95) > 0 {
			b.ReportMetric(median(mixP95), "mix-p95-ms")
		}
	}
}

// median is the middle of xs (the mean of the middle two for an even
// count); xs is sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// BenchmarkModeChange measures how long a mode change takes to reach the
// audio: from SetMode returning to the first packet toward the agent
// carrying the supervisor (talk), and to the first carrying the customer
// alone again (listen). The product's target: under 60 ms.
func BenchmarkModeChange(b *testing.B) {
	r := newRig(b)
	r.call()
	id := r.assist("sam")
	const cByte, sByte = 0xA0, 0x30
	mixed := media.EncodeSample(media.PCMU, int16((int32(media.DecodeSample(media.PCMU, cByte))+int32(media.DecodeSample(media.PCMU, sByte)))/2))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	b.Cleanup(func() { close(stop); wg.Wait() })
	for _, x := range []struct {
		p *phone
		v byte
	}{{r.cust, cByte}, {r.phoneOf("sam"), sByte}} {
		wg.Go(func() {
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					x.p.send(x.v)
				}
			}
		})
	}
	alice := r.phoneOf("alice")
	got := make(chan byte, 64)
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			alice.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := alice.conn.Read(buf)
			select {
			case <-stop:
				return
			default:
			}
			if err == nil && n > 12 && buf[1]&0x7F == 0 {
				select {
				case got <- buf[12+80]:
				default:
				}
			}
		}
	})
	waitByte := func(want byte) time.Time {
		deadline := time.After(5 * time.Second)
		for {
			select {
			case v := <-got:
				if v == want {
					return time.Now()
				}
			case <-deadline:
				b.Fatalf("no packet with %#x reached the agent", want)
			}
		}
	}
	drain := func() {
		for {
			select {
			case <-got:
			default:
				return
			}
		}
	}
	waitByte(cByte)
	var on, off []time.Duration
	for b.Loop() {
		drain()
		t0 := time.Now()
		if err := r.desk.SetMode(id, "sam", assist.Talk); err != nil {
			b.Fatal(err)
		}
		on = append(on, waitByte(mixed).Sub(t0))
		drain()
		t1 := time.Now()
		if err := r.desk.SetMode(id, "sam", assist.Listen); err != nil {
			b.Fatal(err)
		}
		off = append(off, waitByte(cByte).Sub(t1))
	}
	report := func(ds []time.Duration, unit string) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2])/1e6, unit+"-p50-ms")
		b.ReportMetric(float64(ds[len(ds)-1])/1e6, unit+"-max-ms")
	}
	report(on, "talk")
	report(off, "listen")
}
