package softphone_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

// Environment of the load client process that BenchmarkWebRTCLegs starts.
const (
	envLoadURL     = "EARSHOT_LOAD_URL"
	envLoadUsers   = "EARSHOT_LOAD_USERS"
	envLoadSeconds = "EARSHOT_LOAD_SECONDS"
)

// loadReport is what the load client prints when it is done.
type loadReport struct {
	P50, P95, P99 time.Duration
	Packets       int
}

// BenchmarkWebRTCLegs measures the server side of N web phones in calls:
// N pion pages, in a process of their own so that their CPU is not counted,
// are paired two by two into bridged calls (page → earshot → page), each
// sending 50 packets a second. It reports the server process's CPU per
// leg-second and the one-way delay from one page's send to the other's
// receipt (both pages' pion stacks, earshot's two pion stacks and the media
// plane's forwarding). Run with -benchtime=1x.
func BenchmarkWebRTCLegs(b *testing.B) {
	for _, n := range []int{10, 50, 100} {
		b.Run(fmt.Sprintf("legs=%d", n), func(b *testing.B) { benchLegs(b, n, 5*time.Second) })
	}
}

func benchLegs(b *testing.B, n int, window time.Duration) {
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("a%03d", i)
	}
	r := phonetest.Start(b, phonetest.Options{Agents: users})
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadClient$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envLoadURL+"="+r.URL, envLoadUsers+"="+strings.Join(users, ","),
		envLoadSeconds+"="+strconv.FormatFloat(window.Seconds(), 'f', -1, 64))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	expect := func(prefix string) string {
		for lines.Scan() {
			if l := lines.Text(); strings.HasPrefix(l, prefix) {
				return strings.TrimPrefix(l, prefix)
			}
		}
		b.Fatalf("load client ended before %q", prefix)
		return ""
	}

	expect("load: connected")
	phonetest.Eventually(b, time.Minute, "every page online", func() bool {
		for _, u := range users {
			if !r.Phones.Online(u) {
				return false
			}
		}
		return true
	})
	legs := make([]*media.Leg, n)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			leg, err := r.Phones.Ring(context.Background(), u, softphone.CallInfo{ID: "load-" + u, Caller: "+15550100", Queue: "sales"})
			if err != nil {
				b.Errorf("ring %s: %v", u, err)
			}
			legs[i] = leg
		})
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	for i := 0; i+1 < n; i += 2 {
		room := r.Media.NewRoom()
		room.Add(legs[i])
		room.Add(legs[i+1])
		if err := room.SetHearing(media.AllHear(legs[i].ID(), legs[i+1].ID())); err != nil {
			b.Fatal(err)
		}
	}
	fmt.Fprintln(os.Stderr) // keep the client's progress apart from the results
	b.ResetTimer()
	expect("load: measuring")
	start, cpu0 := time.Now(), cpuTime()
	report := expect("load: report ")
	cpu, elapsed := cpuTime()-cpu0, time.Since(start)
	b.StopTimer()
	var rep loadReport
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		b.Fatal(err)
	}
	if rep.Packets == 0 {
		b.Fatal("no stamped packet arrived")
	}
	legSeconds := float64(n) * elapsed.Seconds()
	b.ReportMetric(float64(cpu.Microseconds())/legSeconds, "µs-cpu/leg-s")
	b.ReportMetric(float64(rep.P50.Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(rep.P99.Microseconds())/1000, "ms-p99")
	b.ReportMetric(float64(rep.Packets)/legSeconds, "pkts/leg-s")
}

// cpuTime is this process's CPU time, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLoadClient is BenchmarkWebRTCLegs's client process: it is not a test
// of its own and does nothing unless the benchmark started it.
func TestLoadClient(t *testing.T) {
	url := os.Getenv(envLoadURL)
	if url == "" {
		t.Skip("the load client runs only inside BenchmarkWebRTCLegs")
	}
	users := strings.Split(os.Getenv(envLoadUsers), ",")
	secs, _ := strconv.ParseFloat(os.Getenv(envLoadSeconds), 64)
	lat := &phonetest.Latency{}
	pages := make([]*phonetest.Page, len(users))
	for i, u := range users {
		pages[i] = phonetest.Open(t, url, u, phonetest.Password)
		pages[i].StartStamped(lat)
	}
	for _, p := range pages {
		p.WaitConnected(time.Minute)
	}
	fmt.Println("load: connected")
	var wg sync.WaitGroup
	for _, p := range pages {
		wg.Go(func() {
			m := p.Next("call.ringing", time.Minute)
			p.Send(map[string]string{"type": "call.answer", "call": m.Str("call")})
			p.Next("call.connected", time.Minute)
		})
	}
	wg.Wait()
	time.Sleep(time.Second) // let the streams settle before measuring
	fmt.Println("load: measuring")
	lat.Record(true)
	time.Sleep(time.Duration(secs * float64(time.Second)))
	lat.Record(false)
	ps, n := lat.Percentiles(50, 95, 99)
	b, _ := json.Marshal(loadReport{P50: ps[0], P95: ps[1], P99: ps[2], Packets: n})
	fmt.Println("load: report " + string(b))
}
