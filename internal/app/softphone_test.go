package app

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/tonecheck"
)

// TestWebSoftphoneWithBaresipCustomer: headless Chromium signs in on /phone
// as alice with a 1000 Hz microphone; a baresip customer (440 Hz) calls the
// sales number; the page answers; each hears the other. The customer hangs
// up first, then on a second call the agent hangs up from the page.
func TestWebSoftphoneWithBaresipCustomer(t *testing.T) {
	peertest.Need(t, "baresip")
	a := telephonyApp(t)
	sipAddr := a.SIPAddr("udp").String()
	mic := filepath.Join(t.TempDir(), "mic-1000.wav")
	if err := tonecheck.WriteTone(mic, 1000, 48000, 120, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{FakeMicWAV: mic})
	const wait = 20 * time.Second
	uiState := func(want string) {
		t.Helper()
		b.WaitTrue(wait, "page state "+want, fmt.Sprintf(`earshotTest.state() === %q`, want))
	}

	b.Open("http://" + a.HTTPAddr() + "/phone")
	b.WaitVisible("#login-form")
	b.Type("#login-user", "alice")
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#phone-view")
	b.Click("#cleanup") // test tones are not speech: no noise suppression
	b.WaitTrue(wait, "audio connected", `earshotTest.audio() === 'connected'`)
	b.Click("#go-available")
	uiState("available")
	if s := agentState(a, "alice"); s != acd.Available {
		t.Fatalf("engine: alice is %s", s)
	}

	// Call 1: the customer hangs up.
	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: 440, Dial: "sip:+15550100@" + sipAddr})
	uiState("ringing")
	b.WaitTrue(wait, "caller shown", `document.getElementById('call-caller').textContent !== ''`)
	b.Click("#answer")
	uiState("on_call")
	waitFor(t, wait, "alice on call in the engine", func() bool { return agentState(a, "alice") == acd.OnCall })
	var levels [2]float64
	deadline := time.Now().Add(wait)
	for {
		b.Eval(`[earshotTest.remoteLevel(440), earshotTest.remoteLevel(1000)]`, &levels)
		if levels[0] > -30 && levels[1] < -40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("page hears 440 Hz at %.1f dBFS, 1000 Hz at %.1f dBFS", levels[0], levels[1])
	if levels[0] <= -30 || levels[1] >= -40 {
		t.Fatalf("page should hear the customer (440 Hz) and not itself (1000 Hz): %.1f, %.1f", levels[0], levels[1])
	}
	time.Sleep(2 * time.Second)
	customer.Command("hangup", "")
	uiState("acw")
	waitFor(t, wait, "alice in after call work", func() bool { return agentState(a, "alice") == acd.ACW })
	time.Sleep(300 * time.Millisecond)
	heard, rate, err := customer.Heard()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "customer", window(heard, rate, 1, float64(len(heard))/float64(rate)-0.5), rate, []float64{1000}, []float64{440})

	// Call 2: the agent hangs up from the page.
	b.Click("#ready")
	uiState("available")
	customer2 := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer2", Tone: 440, Dial: "sip:+15550100@" + sipAddr})
	uiState("ringing")
	b.Click("#answer")
	uiState("on_call")

	// The help icon and Let Listen In, clicked in the page, are stored.
	b.Click("#help")
	b.WaitTrue(wait, "help requested", `document.getElementById('help-text').textContent === 'Help requested'`)
	b.Click("#help")
	b.WaitTrue(wait, "help cancelled", `document.getElementById('help-text').textContent === 'Ask for help'`)
	b.Click(`input[name="listen"][value="call"]`)
	b.Click(`input[name="listen"][value="all"]`)
	waitFor(t, wait, "the listen-in choice in the engine", func() bool {
		v, _ := a.Engine().Agent("alice")
		return v.ListenIn == acd.ListenAll
	})
	evs, err := a.store.Events(t.Context(), store.Filter{Agent: "alice", Kinds: []events.Kind{events.HelpState, events.ListenIn}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, string(e.Kind)+"="+e.State)
	}
	want := []string{"help.state=requested", "help.state=none", "listen_in=call", "listen_in=all"}
	if !slices.Equal(got, want) {
		t.Fatalf("stored history of the page's clicks: %v, want %v", got, want)
	}
	b.Click("#hangup")
	uiState("acw")
	waitFor(t, wait, "the call to end in the engine", func() bool { return len(a.Engine().Calls()) == 0 })
	if !customer2.WaitOutput("terminated", wait) && !customer2.WaitOutput("closed", time.Second) {
		t.Fatalf("the customer's call did not end when the agent hung up:\n%s", customer2.Output())
	}
}
