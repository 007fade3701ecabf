package app

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/store"
)

// withAudio writes a copy of a scenario with [audio] replaced by a µ-law
// tone file (sipp does not substitute keys inside rtp_stream).
func withAudio(t *testing.T, scenario string, freq float64) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(scenario)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.Base(scenario))
	b = bytes.ReplaceAll(b, []byte("[audio]"), []byte(peertest.ULawTone(t, dir, freq)))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ended reports how the history says the calls ended, oldest first.
func endings(t *testing.T, a *App) []string {
	t.Helper()
	evs, err := a.store.Events(t.Context(), store.Filter{Kinds: []events.Kind{events.CallEnded}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Reason)
	}
	return out
}

func waiting(a *App, queue string) int {
	for _, q := range a.Engine().Queues() {
		if q.Name == queue {
			return q.Waiting
		}
	}
	return -1
}

// sippAsync runs a sipp scenario in the background; the returned function
// waits for it and fails the test if sipp failed.
func sippAsync(t *testing.T, scenario, target string, extra ...string) func() {
	var wg sync.WaitGroup
	var out string
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		out, err = peertest.SippResult(t, scenario, target, extra...)
	}()
	return func() {
		t.Helper()
		wg.Wait()
		if err != nil {
			t.Fatalf("sipp %s: %v\n%s", scenario, err, out)
		}
	}
}

// A customer who hangs up while queued leaves the queue at once.
func TestSippCustomerHangsUpWhileQueued(t *testing.T) {
	a := telephonyApp(t)
	target := a.SIPAddr("udp").String()
	done := sippAsync(t, withAudio(t, "testdata/customer_waits_then_hangs_up.xml", 440), target, "-s", "+15550100", "-d", "2000")
	waitFor(t, 10*time.Second, "the call to wait in sales", func() bool { return waiting(a, "sales") == 1 })
	done()
	waitFor(t, time.Second, "the call to leave the queue", func() bool { return waiting(a, "sales") == 0 })
	if got := endings(t, a); !slices.Equal(got, []string{"abandoned"}) {
		t.Fatalf("calls ended %v, want [abandoned]", got)
	}
	if n := a.sip.ActiveCalls(); n != 0 {
		t.Fatalf("%d SIP calls left over", n)
	}
}

// A customer who hangs up while the agent's phone rings cancels the ring;
// the agent is available again.
func TestSippCustomerHangsUpWhileAgentRings(t *testing.T) {
	a := telephonyApp(t)
	target := a.SIPAddr("udp").String()
	peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000, AOR: "sip:alice@" + target, Password: "demo", Manual: true})
	waitFor(t, 10*time.Second, "alice's phone to register", func() bool { return len(a.sip.Contacts("alice")) > 0 })
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	done := sippAsync(t, withAudio(t, "testdata/customer_waits_then_hangs_up.xml", 440), target, "-s", "+15550100", "-d", "3000")
	waitFor(t, 10*time.Second, "alice's phone to ring", func() bool { return agentState(a, "alice") == acd.Ringing })
	done()
	waitFor(t, 5*time.Second, "alice to be available again", func() bool { return agentState(a, "alice") == acd.Available })
	waitFor(t, 5*time.Second, "the ring to be cancelled", func() bool { return a.sip.ActiveCalls() == 0 })
	if got := endings(t, a); !slices.Equal(got, []string{"abandoned"}) {
		t.Fatalf("calls ended %v, want [abandoned]", got)
	}
}

// An agent who never answers goes Not Ready (missed call) after the ring
// timeout, and the call goes to the next agent, who answers.
func TestSippAgentNeverAnswers(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	for i := range cfg.Queues {
		cfg.Queues[i].RingTimeout = 3 * time.Second
	}
	a, err := Start(t.Context(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	target := a.SIPAddr("udp").String()
	peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000, AOR: "sip:alice@" + target, Password: "demo", Manual: true})
	peertest.StartBaresip(t, peertest.BaresipOptions{Name: "bob", Tone: 1000, AOR: "sip:bob@" + target, Password: "demo"})
	waitFor(t, 10*time.Second, "both phones to register", func() bool {
		return len(a.sip.Contacts("alice")) > 0 && len(a.sip.Contacts("bob")) > 0
	})
	// alice has been idle longest, so she is offered the call first
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := a.Engine().SetState("bob", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	done := sippAsync(t, withAudio(t, "testdata/customer_waits_then_hangs_up.xml", 440), target, "-s", "+15550100", "-d", "8000")
	waitFor(t, 10*time.Second, "alice's phone to ring", func() bool { return agentState(a, "alice") == acd.Ringing })
	waitFor(t, 10*time.Second, "bob to take the call", func() bool { return agentState(a, "bob") == acd.OnCall })
	v, _ := a.Engine().Agent("alice")
	if v.State != acd.NotReady || v.Reason != acd.ReasonMissed {
		t.Fatalf("alice is %s (%s), want not ready (missed call)", v.State, v.Reason)
	}
	done()
	waitFor(t, 5*time.Second, "bob to be in after call work", func() bool { return agentState(a, "bob") == acd.ACW })
}

// A customer's RFC 4733 digits reach earshot as events.
func TestSippCustomerDTMF(t *testing.T) {
	var mu sync.Mutex
	var digits []rune
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	a, err := Start(t.Context(), Options{Config: cfg, OnDTMF: func(_ string, d rune) {
		mu.Lock()
		digits = append(digits, d)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	peertest.Sipp(t, "testdata/customer_dtmf.xml", a.SIPAddr("udp").String(), "-s", "+15550100", "-d", "1000")
	waitFor(t, 2*time.Second, "the digits", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(digits) >= 2
	})
	mu.Lock()
	defer mu.Unlock()
	if string(digits) != "15" {
		t.Fatalf("earshot heard %q, want \"15\"", string(digits))
	}
}

// A customer on a call with an agent puts the call on hold and back; the
// call goes on, and ends normally.
func TestSippHoldAndUnhold(t *testing.T) {
	a := telephonyApp(t)
	target := a.SIPAddr("udp").String()
	peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000, AOR: "sip:alice@" + target, Password: "demo"})
	waitFor(t, 10*time.Second, "alice's phone to register", func() bool { return len(a.sip.Contacts("alice")) > 0 })
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	done := sippAsync(t, withAudio(t, "testdata/customer_hold.xml", 440), target, "-s", "+15550100", "-d", "1500")
	waitFor(t, 10*time.Second, "alice on the call", func() bool { return agentState(a, "alice") == acd.OnCall })
	time.Sleep(2 * time.Second) // on hold now
	if s := agentState(a, "alice"); s != acd.OnCall {
		t.Fatalf("on hold, alice is %s", s)
	}
	done()
	waitFor(t, 5*time.Second, "alice in after call work", func() bool { return agentState(a, "alice") == acd.ACW })
	if got := endings(t, a); !slices.Equal(got, []string{"completed"}) {
		t.Fatalf("calls ended %v, want [completed]", got)
	}
}

// Bad input changes nothing: an unknown number (404), a bad SDP (488),
// garbage datagrams; then a good call works.
func TestSippBadInputThenGoodCall(t *testing.T) {
	a := telephonyApp(t)
	target := a.SIPAddr("udp").String()
	peertest.Sipp(t, "../sip/testdata/uac_404.xml", target, "-s", "+19005550000")
	peertest.Sipp(t, "../sip/testdata/uac_488.xml", target, "-s", "+15550100")
	c, err := net.Dial("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	for _, junk := range []string{"\x00\x01\x02", "INVITE sip:x SIP/2.0\r\n\r\n", "hello earshot"} {
		fmt.Fprint(c, junk)
	}
	c.Close()
	if calls := a.Engine().Calls(); len(calls) != 0 {
		t.Fatalf("bad input left calls behind: %+v", calls)
	}
	if got := endings(t, a); len(got) != 0 {
		t.Fatalf("bad input made history: %v", got)
	}
	peertest.Sipp(t, withAudio(t, "testdata/customer_waits_then_hangs_up.xml", 440), target, "-s", "+15550100", "-d", "500")
	if got := endings(t, a); !slices.Equal(got, []string{"abandoned"}) {
		t.Fatalf("the good call after bad input ended %v", got)
	}
}
