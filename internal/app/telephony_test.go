package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/tonecheck"
)

// telephonyApp starts the demo configuration with SIP on a free loopback
// port.
func telephonyApp(t *testing.T) *App {
	t.Helper()
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	a, err := Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func agentState(a *App, name string) acd.State {
	v, _ := a.Engine().Agent(name)
	return v.State
}

// window returns the samples between from and to seconds.
func window(s []float64, rate int, from, to float64) []float64 {
	i, j := int(from*float64(rate)), int(to*float64(rate))
	j = min(j, len(s))
	i = min(i, j)
	return s[i:j]
}

// TestCustomerToAgentPhone: a baresip customer (440 Hz) calls the sales DID,
// hears music while queued, and is bridged to alice's registered baresip
// phone (1000 Hz) when she becomes available. Each side hears the other's
// tone and not its own; the customer's hang-up puts alice in After Call
// Work.
func TestCustomerToAgentPhone(t *testing.T) {
	a := telephonyApp(t)
	sipAddr := a.SIPAddr("udp").String()

	phone := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000,
		AOR: "sip:alice@" + sipAddr, Password: "demo"})
	waitFor(t, 10*time.Second, "alice's phone to register", func() bool { return len(a.sip.Contacts("alice")) > 0 })
	if err := a.Engine().SetState("alice", acd.NotReady, "Break", ""); err != nil {
		t.Fatal(err)
	}

	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: 440,
		Dial: fmt.Sprintf("sip:+15550100@%s", sipAddr)})
	waitFor(t, 10*time.Second, "the call to queue", func() bool {
		q := a.Engine().Queues()
		for _, x := range q {
			if x.Name == "sales" && x.Waiting == 1 {
				return true
			}
		}
		return false
	})
	queuedAt := time.Now()
	time.Sleep(3 * time.Second) // the customer hears music on hold meanwhile
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "alice to be on the call", func() bool { return agentState(a, "alice") == acd.OnCall })
	talkFrom := time.Since(queuedAt).Seconds()
	time.Sleep(3 * time.Second)
	customer.Command("hangup", "")
	waitFor(t, 10*time.Second, "alice to be in after call work", func() bool { return agentState(a, "alice") == acd.ACW })
	time.Sleep(500 * time.Millisecond) // baresip finishes its recordings

	heard, rate, err := customer.Heard()
	if err != nil {
		t.Fatal(err)
	}
	hold := window(heard, rate, 0.5, 2.5)
	talk := window(heard, rate, talkFrom+0.7, talkFrom+2.5)
	check(t, "customer while queued", hold, rate, []float64{523.25}, []float64{440, 1000})
	check(t, "customer while talking", talk, rate, []float64{1000}, []float64{440, 523.25})

	agentHeard, rate, err := phone.Heard()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "agent", window(agentHeard, rate, 0.5, 2.5), rate, []float64{440}, []float64{1000, 523.25})
}

// check asserts which tones are heard (above −30 dBFS) in samples.
func check(t *testing.T, who string, samples []float64, rate int, heard, notHeard []float64) {
	t.Helper()
	if len(samples) < rate/2 {
		t.Fatalf("%s: only %d samples recorded", who, len(samples))
	}
	for _, f := range append(append([]float64{}, heard...), notHeard...) {
		t.Logf("%s: %.0f Hz at %.1f dBFS", who, f, tonecheck.Level(samples, rate, f))
	}
	for _, f := range heard {
		if l := tonecheck.Level(samples, rate, f); !tonecheck.Heard(l) {
			t.Errorf("%s does not hear %.0f Hz (%.1f dBFS)", who, f, l)
		}
	}
	for _, f := range notHeard {
		if l := tonecheck.Level(samples, rate, f); tonecheck.Heard(l) {
			t.Errorf("%s hears %.0f Hz (%.1f dBFS), and should not", who, f, l)
		}
	}
}
