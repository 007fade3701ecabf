package media

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media/loadgen"
	"golang.org/x/sys/unix"
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

// serveLoad is the child's side.
func serveLoad(in io.Reader, out io.Writer) error {
	return serveEngine(in, out, func(e *Engine, f []string) (string, bool, error) {
		if f[0] != "call" && f[0] != "acall" {
			return "", false, nil
		}
		ports, err := serveCall(e, f[1:], f[0] == "acall")
		return ports, true, err
	})
}

// serveEngine runs an engine for a load generator in the parent process:
// one command a line on in, one answer a line on out. "cpu" answers the
// process's CPU time in µs; cmd answers the rest, or says it does not
// know the command.
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
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var reply string
		if f[0] == "cpu" {
			var ru unix.Rusage
			if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
				return err
			}
			us := ru.Utime.Sec*1e6 + ru.Utime.Usec + ru.Stime.Sec*1e6 + ru.Stime.Usec
			reply = strconv.FormatInt(us, 10)
		} else {
			ports, known, err := cmd(e, f)
			switch {
			case !known:
				reply = "error unknown command"
			case err != nil:
				reply = "error " + err.Error()
			default:
				reply = "ok " + ports
			}
		}
		if _, err := fmt.Fprintln(out, reply); err != nil {
			return err
		}
	}
	return sc.Err()
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

// loadServer is the parent's handle on the child.
type loadServer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	mu  sync.Mutex // guards out and the command/answer exchange
	out *bufio.Reader
}

func startLoadServer(tb testing.TB) *loadServer {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), loadServerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &loadServer{cmd: cmd, in: in, out: bufio.NewReader(out)}
	tb.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	return s
}

func (s *loadServer) ask(line string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		return "", err
	}
	reply, err := s.out.ReadString('\n')
	if err != nil {
		return "", err
	}
	reply = strings.TrimSpace(reply)
	if msg, ok := strings.CutPrefix(reply, "error "); ok {
		return "", fmt.Errorf("load server: %s", msg)
	}
	return reply, nil
}

func (s *loadServer) setup(call int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
	cmd := "call"
	if len(legs) == 3 {
		cmd = "acall"
	}
	for _, l := range legs {
		cmd += " " + l.String()
	}
	reply, err := s.ask(cmd)
	if err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, p := range strings.Fields(strings.TrimPrefix(reply, "ok ")) {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)))
	}
	return out, nil
}

func (s *loadServer) cpu() (time.Duration, error) {
	reply, err := s.ask("cpu")
	if err != nil {
		return 0, err
	}
	us, err := strconv.ParseInt(reply, 10, 64)
	return time.Duration(us) * time.Microsecond, err
}

func runLoad(b *testing.B, calls, mixed int) {
	for range b.N {
		srv := startLoadServer(b)
		r, err := loadgen.Run(loadgen.Config{
			Calls:    calls,
			Mixed:    mixed,
			Duration: *loadDuration,
			Setup:    srv.setup,
			CPU:      srv.cpu,
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
