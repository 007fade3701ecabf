package media

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media/loadgen"
)

// The load benchmarks run the engine in a child process (this test binary,
// started again with loadServerEnv set) and the generator in this one, so
// the server's CPU is that child's getrusage alone: the generator shares the
// two cores but is never counted. The child takes one command a line on
// stdin: "call A B" makes a two-leg room in which A's and B's legs hear
// each other; "acall A B C" adds a third leg that hears both (mixed); "cpu"
// answers with the child's user+system CPU time in µs.

const (
	loadServerEnv  = "EARSHOT_MEDIA_LOAD_SERVER"
	loadWorkersEnv = "EARSHOT_MEDIA_WORKERS"
	loadNoURingEnv = "EARSHOT_MEDIA_NO_URING" // 1: measure the one-system-call-per-packet path
	loadGoTimerEnv = "EARSHOT_MEDIA_GO_TIMER" // 1: measure workers ticking on Go timers
)

var (
	loadCalls     = flag.String("load.calls", "100,300", "concurrent calls for the load benchmarks, comma-separated")
	loadDuration  = flag.Duration("load.duration", 3*time.Second, "measured time of each load run (after 1 s of warm-up)")
	loadRTPEngine = flag.Bool("load.rtpengine", false, "BenchmarkRTPEngineCalls: run rtpengine under the same load, for comparison")
	loadMixed     = flag.Int("load.mixed", 10, "BenchmarkMixedCalls: every n-th call has a third leg hearing both parties")
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

// serveLoad is the child's side: "call A B" and "acall A B C" for the
// bridged-call benchmarks, "room A B C…" for the mixed-room ones.
func serveLoad(in io.Reader, out io.Writer) error {
	return serveEngine(in, out, func(e *Engine, f []string) (string, bool, error) {
		switch f[0] {
		case "call", "acall":
			ports, err := serveCall(e, f[1:], f[0] == "acall")
			return ports, true, err
		case "room":
			ports, err := serveRoom(e, f[1:])
			return ports, true, err
		}
		return "", false, nil
	})
}

// serveEngine runs an engine for a load generator in the parent process
// (loadgen.Serve); cmd carries out the commands other than "cpu".
func serveEngine(in io.Reader, out io.Writer, cmd func(e *Engine, f []string) (ports string, known bool, err error)) error {
	if path := os.Getenv("EARSHOT_MEDIA_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	workers, _ := strconv.Atoi(os.Getenv(loadWorkersEnv))
	e, err := NewEngine(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 16384, PortMax: 32767, Workers: workers,
		noURing: os.Getenv(loadNoURingEnv) == "1", goTimer: os.Getenv(loadGoTimerEnv) == "1"})
	if err != nil {
		return err
	}
	defer e.Close()
	return loadgen.Serve(in, out, func(f []string) (string, bool, error) { return cmd(e, f) })
}

func serveCall(e *Engine, addrs []string, mixed bool) (string, error) {
	want := 2
	if mixed {
		want = 3
	}
	if len(addrs) != want {
		return "", fmt.Errorf("%d addresses, want %d", len(addrs), want)
	}
	r := e.NewRoom()
	var legs []*Leg
	var ports []string
	for _, a := range addrs {
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
		if err := r.Add(l); err != nil {
			return "", err
		}
		legs = append(legs, l)
		ports = append(ports, strconv.Itoa(int(l.LocalAddr().Port())))
	}
	h := Hearing{legs[0].id: {legs[1].id}, legs[1].id: {legs[0].id}}
	if mixed {
		h[legs[2].id] = []LegID{legs[0].id, legs[1].id}
	}
	return strings.Join(ports, " "), r.SetHearing(h)
}

// callCommand is the child's command for a call of len(legs) parties.
func callCommand(legs []netip.AddrPort) string {
	if len(legs) == 3 {
		return "acall"
	}
	return "call"
}

func runLoad(b *testing.B, calls, mixed int) {
	for range b.N {
		srv := loadgen.StartChild(b, loadServerEnv)
		r, err := loadgen.Run(loadgen.Config{
			Calls:    calls,
			Mixed:    mixed,
			Duration: *loadDuration,
			Setup: func(_ int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
				return srv.Setup(callCommand(legs), legs)
			},
			CPU: srv.CPU,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(r)
		b.ReportMetric(r.CPUPerCallSecond, "µs-cpu/call-s")
		b.ReportMetric(100*r.Loss, "loss-%")
		b.ReportMetric(ms(r.P50), "fwd-p50-ms")
		b.ReportMetric(ms(r.P99), "fwd-p99-ms")
		if r.MixedSamples > 0 {
			b.ReportMetric(ms(r.MixedP95), "mix-p95-ms")
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadCallCounts(b *testing.B) []int {
	var out []int
	for _, s := range strings.Split(*loadCalls, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-load.calls: bad count %q", s)
		}
		out = append(out, n)
	}
	return out
}

// BenchmarkCalls runs N plain two-party calls through the engine over
// loopback (one run per N; -load.calls, -load.duration).
func BenchmarkCalls(b *testing.B) {
	for _, n := range loadCallCounts(b) {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) { runLoad(b, n, 0) })
	}
}

// BenchmarkMixedCalls is BenchmarkCalls with a third leg on every
// -load.mixed-th call that hears both parties, mixed: the load of calls
// with a listening supervisor.
func BenchmarkMixedCalls(b *testing.B) {
	for _, n := range loadCallCounts(b) {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) { runLoad(b, n, *loadMixed) })
	}
}
