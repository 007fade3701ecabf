package loadgen_test

import (
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/media/loadgen"
)

// A short run against an in-process engine: every forwarded packet comes
// back with a sane latency, and mixed calls yield mixed samples.
func TestRunAgainstEngine(t *testing.T) {
	e, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 33000, PortMax: 33999, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	setup := func(call int, legs []netip.AddrPort) ([]netip.AddrPort, error) {
		r := e.NewRoom()
		var ls []*media.Leg
		var out []netip.AddrPort
		for _, a := range legs {
			l, err := e.NewRTPLeg()
			if err != nil {
				return nil, err
			}
			if err := l.SetRemote(a, 0, 0); err != nil {
				return nil, err
			}
			if err := r.Add(l); err != nil {
				return nil, err
			}
			ls = append(ls, l)
			out = append(out, l.LocalAddr())
		}
		h := media.Hearing{ls[0].ID(): {ls[1].ID()}, ls[1].ID(): {ls[0].ID()}}
		if len(ls) == 3 {
			h[ls[2].ID()] = []media.LegID{ls[0].ID(), ls[1].ID()}
		}
		return out, r.SetHearing(h)
	}
	r, err := loadgen.Run(loadgen.Config{
		Calls:    4,
		Mixed:    2,
		Warmup:   300 * time.Millisecond,
		Duration: 1100 * time.Millisecond,
		Setup:    setup,
		CPU:      loadgen.ProcessCPU(os.Getpid()),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Sent < 300 || r.Received == 0 {
		t.Fatalf("sent %d, received %d", r.Sent, r.Received)
	}
	if r.Loss > 0.05 {
		t.Errorf("loss %.1f%%", 100*r.Loss)
	}
	if r.P50 <= 0 || r.P50 > time.Second || r.P99 < r.P50 {
		t.Errorf("p50 %v, p99 %v", r.P50, r.P99)
	}
	if r.MixedSamples == 0 || r.MixedP50 <= 0 {
		t.Errorf("no mixed latency measured: %d samples", r.MixedSamples)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	if _, err := loadgen.Run(loadgen.Config{}); err == nil {
		t.Error("empty config accepted")
	}
	cpu := func() (time.Duration, error) { return 0, nil }
	bad := func(int, []netip.AddrPort) ([]netip.AddrPort, error) { return nil, nil }
	if _, err := loadgen.Run(loadgen.Config{Calls: 1, Setup: bad, CPU: cpu}); err == nil {
		t.Error("a setup returning no addresses was accepted")
	}
}

func TestProcessCPU(t *testing.T) {
	cpu := loadgen.ProcessCPU(os.Getpid())
	a, err := cpu()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3e7; i++ { // burn a little CPU
		_ = i * i
	}
	b, err := cpu()
	if err != nil || b < a {
		t.Fatalf("cpu went from %v to %v (%v)", a, b, err)
	}
	if _, err := loadgen.ProcessCPU(-1)(); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
