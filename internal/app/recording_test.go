package app

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/tonecheck"
)

// TestQueueRecording: a queue that records keeps a stereo WAV per call —
// left what the customer said, right what the customer heard — and its
// path is stored with the call.
func TestQueueRecording(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	for i := range cfg.Queues {
		cfg.Queues[i].Record = cfg.Queues[i].Name == "sales"
	}
	a, err := Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sipAddr := a.SIPAddr("udp").String()
	peertest.StartBaresip(t, peertest.BaresipOptions{Name: "alice", Tone: 1000, AOR: "sip:alice@" + sipAddr, Password: "demo"})
	waitFor(t, 10*time.Second, "alice's phone to register", func() bool { return len(a.sip.Contacts("alice")) > 0 })
	if err := a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: 440, Dial: "sip:+15550100@" + sipAddr})
	waitFor(t, 10*time.Second, "alice on the call", func() bool { return agentState(a, "alice") == acd.OnCall })
	time.Sleep(3 * time.Second)
	customer.Command("hangup", "")
	waitFor(t, 10*time.Second, "the call to end", func() bool { return len(a.Engine().Calls()) == 0 })

	var path string
	waitFor(t, 5*time.Second, "the recording's path in the history", func() bool {
		evs, err := a.store.Events(t.Context(), store.Filter{Kinds: []events.Kind{events.CallRecording}})
		if err != nil || len(evs) == 0 {
			return false
		}
		path = evs[0].Detail
		return true
	})
	waitFor(t, 5*time.Second, "the recording to be finished", func() bool {
		_, _, err := tonecheck.ReadWAVChannel(path, 1)
		return err == nil
	})
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	said, rate, err := tonecheck.ReadWAVChannel(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	heard, _, err := tonecheck.ReadWAVChannel(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	end := float64(len(said))/float64(rate) - 0.5
	check(t, "recording, customer's channel", window(said, rate, end-2, end), rate, []float64{440}, []float64{1000})
	check(t, "recording, what the customer heard", window(heard, rate, end-2, end), rate, []float64{1000}, []float64{440})
}
