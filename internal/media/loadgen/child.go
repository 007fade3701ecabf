package loadgen

import (
	"bufio"
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
)

// A load benchmark runs the server under test in a child process (the
// test binary, started again with an environment variable set that its
// TestMain looks for), so that the server's CPU is the child's alone. The
// two talk one line at a time: the parent writes a command, the child
// answers "ok" and the ports of the legs it set up, or "error" and why;
// "cpu" answers the child's user+system CPU time in µs.

// Handler carries out one command of a child (its words): the ports of
// the legs it set up, or known false for a command it does not know.
type Handler func(words []string) (ports string, known bool, err error)

// ProfileEnv names a file: a child whose environment sets it writes its
// CPU profile there (go tool pprof reads it), to see where the server's
// CPU of a load benchmark goes.
const ProfileEnv = "EARSHOT_LOAD_CPUPROFILE"

// Serve is the child's side: it answers the commands on in, on out, until
// in ends.
func Serve(in io.Reader, out io.Writer, h Handler) error {
	if path := os.Getenv(ProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 0 {
			continue
		}
		var reply string
		if len(w) == 1 && w[0] == "cpu" {
			reply = strconv.FormatInt(selfCPU().Microseconds(), 10)
		} else {
			ports, known, err := h(w)
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

// Child is the parent's handle on a child server.
type Child struct {
	in  io.WriteCloser
	mu  sync.Mutex // guards out and the command/answer exchange
	out *bufio.Reader
}

// StartChild starts this test binary again, running no test, with env=1
// set; the test's TestMain is to see env and Serve. The child ends with
// the test.
func StartChild(tb testing.TB, env string) *Child {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"=1")
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
	tb.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	return &Child{in: in, out: bufio.NewReader(out)}
}

// Ask sends one command and returns the child's answer, or its error.
func (c *Child) Ask(line string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		return "", err
	}
	reply, err := c.out.ReadString('\n')
	if err != nil {
		return "", err
	}
	reply = strings.TrimSpace(reply)
	if msg, ok := strings.CutPrefix(reply, "error "); ok {
		return "", fmt.Errorf("load server: %s", msg)
	}
	return reply, nil
}

// Setup asks the child for legs toward legs ("cmd A B … extra…") and
// returns where the child's legs receive, on 127.0.0.1.
func (c *Child) Setup(cmd string, legs []netip.AddrPort, extra ...string) ([]netip.AddrPort, error) {
	words := []string{cmd}
	for _, l := range legs {
		words = append(words, l.String())
	}
	reply, err := c.Ask(strings.Join(append(words, extra...), " "))
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

// CPU is the child's user+system CPU time so far.
func (c *Child) CPU() (time.Duration, error) {
	reply, err := c.Ask("cpu")
	if err != nil {
		return 0, err
	}
	us, err := strconv.ParseInt(reply, 10, 64)
	return time.Duration(us) * time.Microsecond, err
}
