package pages_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/pages"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/softphone/phonetest"
	"github.com/earshot/earshot/internal/tonecheck"
)

const (
	customerTone = 440.0
	agentTone    = 1000.0
	wait         = 20 * time.Second

	// A tone sent at −6 dBFS arrives near −6; one not sent reads below −50.
	// The bounds leave a wide margin both ways.
	loud  = -20.0
	quiet = -40.0
)

// screenshots is where the page's pictures go: $EARSHOT_SCREENSHOTS, or a
// temporary folder.
func screenshots(t testing.TB) string {
	if dir := os.Getenv("EARSHOT_SCREENSHOTS"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// The web softphone end to end: Chromium signs in as an agent with a
// 1000 Hz microphone, goes Available, is rung for a customer who says
// 440 Hz, answers, and each hears only the other; then the help icon, Let
// Listen In, hang up, After Call Work and Ready, checked both in the page
// and in the control plane.
func TestPhonePage(t *testing.T) {
	mic := filepath.Join(t.TempDir(), "mic-1000.wav")
	if err := tonecheck.WriteTone(mic, agentTone, 48000, 120, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	shots := screenshots(t)
	r := phonetest.Start(t, phonetest.Options{Pages: pages.FS(), WrapUp: 5 * time.Minute})
	r.RouteCalls()
	b := browsertest.Start(t, browsertest.Options{FakeMicWAV: mic})
	// shot pictures the page from its top, as one sees it on arriving
	// (a click lower down scrolls the window)
	shot := func(name string) {
		t.Helper()
		b.Eval(`window.scrollTo(0, 0)`, nil)
		b.Screenshot(filepath.Join(shots, name+".png"))
	}
	uiState := func(want string) {
		t.Helper()
		b.WaitTrue(wait, "page state "+want, fmt.Sprintf(`earshotTest.state() === %q`, want))
	}
	agent := func() acd.AgentView {
		t.Helper()
		v, err := r.Engine.Agent("alice")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Sign in: a wrong password is refused in words, then the right one.
	b.Open(r.URL + "/")
	b.WaitVisible("#login-form")
	b.Click("#login-submit")
	b.WaitTrue(wait, "empty form refused", `document.getElementById('login-error').textContent === 'Enter your user name.'`)
	b.Type("#login-user", "alice")
	b.Type("#login-password", "not-the-password")
	b.Click("#login-submit")
	b.WaitTrue(wait, "wrong password refused", `document.getElementById('login-error').textContent === 'Wrong user name or password.'`)
	shot("phone-login")
	b.Eval(`document.getElementById('login-password').value = ''`, nil)
	b.Type("#login-password", phonetest.Password)
	b.Click("#login-submit")
	b.WaitVisible("#phone-view")
	uiState("offline")
	// Test tones are not speech: noise suppression would fade them.
	b.Click("#cleanup")
	b.WaitTrue(wait, "microphone reopened", `document.getElementById('mic-text').textContent === 'Microphone ready'`)
	b.WaitTrue(wait, "audio connected", `earshotTest.audio() === 'connected'`)
	phonetest.Eventually(t, wait, "alice's web phone online", func() bool { return r.Phones.Online("alice") })

	b.Click("#go-available")
	uiState("available")
	if st := agent().State; st != acd.Available {
		t.Fatalf("engine: alice is %s, want available", st)
	}
	b.WaitTrue(wait, "time in state shown", `/^for \d+:\d\d$/.test(document.getElementById('state-time').textContent)`)
	shot("phone-idle")

	// Calls ring on the SIP phone for a while: the call flow sees the web
	// phone as not there (Online false); then back to this browser.
	b.WaitTrue(wait, "calls ring in the browser", `earshotTest.ringOn() === 'browser' && document.querySelector('input[name="ring-on"]:checked').value === 'browser'`)
	b.Click(`input[name="ring-on"][value="phone"]`)
	b.WaitTrue(wait, "server says the SIP phone", `earshotTest.ringOn() === 'phone'`)
	phonetest.Eventually(t, wait, "web phone not rung", func() bool { return !r.Phones.Online("alice") && r.Phones.Connected("alice") })
	b.WaitTrue(wait, "the page says where calls ring", `document.getElementById('idle-text').textContent === 'Calls from your queues ring on your SIP phone.'`)
	shot("phone-ring-on-sip-phone")
	b.Click(`input[name="ring-on"][value="browser"]`)
	b.WaitTrue(wait, "server says the browser", `earshotTest.ringOn() === 'browser'`)
	phonetest.Eventually(t, wait, "web phone rung again", func() bool { return r.Phones.Online("alice") })

	// A customer calls: the page rings with the caller and the queue.
	cust := r.Call("+15550142", customerTone)
	uiState("ringing")
	b.WaitTrue(wait, "caller shown", `document.getElementById('call-caller').textContent === '+15550142'`)
	b.WaitTrue(wait, "queue shown", fmt.Sprintf(`document.getElementById('call-queue').textContent === 'Queue: %s'`, phonetest.Queue))
	shot("phone-ringing")
	b.Click("#answer")
	cust.WaitAnswered(wait)
	uiState("on_call")

	// Each hears the other, and not itself.
	phonetest.Eventually(t, wait, "customer hears the page's 1000 Hz and not 440 Hz", func() bool {
		return cust.Ear.Level(agentTone) > loud && cust.Ear.Level(customerTone) < quiet
	})
	var levels [2]float64
	phonetest.Eventually(t, wait, "page hears 440 Hz loud and 1000 Hz not", func() bool {
		b.Eval(fmt.Sprintf(`[earshotTest.remoteLevel(%v), earshotTest.remoteLevel(%v)]`, customerTone, agentTone), &levels)
		return levels[0] > loud && levels[1] < quiet
	})
	t.Logf("customer hears %.1f dBFS at 1000 Hz, %.1f at 440 Hz; page hears %.1f at 440 Hz, %.1f at 1000 Hz",
		cust.Ear.Level(agentTone), cust.Ear.Level(customerTone), levels[0], levels[1])
	b.WaitTrue(wait, "call duration shown", `/^\d+:\d\d$/.test(document.getElementById('call-time').textContent)`)
	shot("phone-in-call")

	// The WebSocket drops: the call's audio goes on, and the page comes back
	// on the same peer connection (ICE restart), still in the call.
	b.Eval(`earshotTest.dropConnection()`, nil)
	phonetest.Eventually(t, wait, "server saw the page go", func() bool { return !r.Phones.Online("alice") })
	heard := cust.Ear.Packets()
	phonetest.Eventually(t, wait, "audio goes on while the page is away", func() bool { return cust.Ear.Packets() > heard+25 })
	phonetest.Eventually(t, wait, "page back online", func() bool { return r.Phones.Online("alice") })
	b.WaitTrue(wait, "page shows connected", `document.getElementById('connection-text').textContent === 'Connected'`)
	uiState("on_call")
	phonetest.Eventually(t, wait, "both still hear each other after the restart", func() bool {
		b.Eval(fmt.Sprintf(`[earshotTest.remoteLevel(%v), earshotTest.remoteLevel(%v)]`, customerTone, agentTone), &levels)
		return levels[0] > loud && levels[1] < quiet && cust.Ear.Level(agentTone) > loud
	})

	// Help: blue → red (requested) → blue (cancelled) → red → green when a
	// supervisor starts assisting → blue when cleared. The words always say it.
	helpIs := func(h acd.Help, words string) {
		t.Helper()
		b.WaitTrue(wait, "help icon "+string(h), fmt.Sprintf(
			`document.getElementById('help').dataset.help === %q && document.getElementById('help-text').textContent === %q`, h, words))
		phonetest.Eventually(t, wait, "engine help "+string(h), func() bool { return agent().Help == h })
	}
	helpIs(acd.HelpNone, "Ask for help")
	b.Click("#help")
	helpIs(acd.HelpRequested, "Help requested")
	shot("phone-help-requested")
	b.Click("#help")
	helpIs(acd.HelpNone, "Ask for help")
	b.Eval(`document.getElementById('help').focus()`, nil)
	b.Type("#help", " ") // the keyboard works too
	helpIs(acd.HelpRequested, "Help requested")
	if err := r.Engine.StartAssisting("alice", "sam"); err != nil {
		t.Fatal(err)
	}
	helpIs(acd.HelpAssisting, "Being assisted")
	b.WaitTrue(wait, "assistance notice", `[...document.querySelectorAll('#notices .notice')].some(n => n.textContent.startsWith('Assistance has started'))`)
	shot("phone-assisted")
	if err := r.Engine.ClearHelp("alice", "sam"); err != nil {
		t.Fatal(err)
	}
	helpIs(acd.HelpNone, "Ask for help")

	// Let Listen In: all calls, this call only, off.
	for _, mode := range []acd.ListenIn{acd.ListenAll, acd.ListenCall, acd.ListenOff} {
		b.Click(fmt.Sprintf(`input[name="listen"][value=%q]`, mode))
		phonetest.Eventually(t, wait, "engine listen-in "+string(mode), func() bool { return agent().ListenIn == mode })
		b.WaitTrue(wait, "listen-in shown "+string(mode), fmt.Sprintf(`document.querySelector('input[name="listen"]:checked').value === %q`, mode))
	}

	// Hang up: After Call Work, then Ready.
	b.Click("#hangup")
	uiState("acw")
	phonetest.Eventually(t, wait, "engine: alice in ACW", func() bool { return agent().State == acd.ACW })
	b.WaitTrue(wait, "wrap-up time shown", `document.getElementById('call-time').textContent !== ''`)
	b.WaitTrue(wait, "ACW shows the call", `document.getElementById('call-caller').textContent === '+15550142'`)
	shot("phone-acw")
	b.Click("#ready")
	uiState("available")
	phonetest.Eventually(t, wait, "engine: alice available", func() bool { return agent().State == acd.Available })

	// A narrow window still shows everything, in one column.
	b.Resize(390, 844)
	shot("phone-narrow")
	b.Resize(1280, 800)

	// Sign out: offline in the engine, the sign-in form in the page.
	b.Click("#signout")
	b.WaitVisible("#login-form")
	phonetest.Eventually(t, wait, "engine: alice offline", func() bool { return agent().State == acd.Offline })

	// Signed in again, then somewhere else: this page says so and stops.
	b.WaitTrue(wait, "user name kept for the next sign-in", `document.getElementById('login-user').value === 'alice'`)
	b.Type("#login-password", phonetest.Password)
	b.Click("#login-submit")
	b.WaitTrue(wait, "audio connected again", `earshotTest.audio() === 'connected'`)
	other := r.Open("alice")
	other.Connect(2000)
	uiState("replaced")
	b.WaitVisible("#replaced-view")
	shot("phone-replaced")

	for _, e := range b.Errors() {
		t.Errorf("page error: %s", e)
	}
}

// A supervisor's web phone: no agent state, standing by for assist calls,
// which say whose call they are.
func TestPhonePageSupervisor(t *testing.T) {
	shots := screenshots(t)
	r := phonetest.Start(t, phonetest.Options{Pages: pages.FS()})
	b := browsertest.Start(t, browsertest.Options{})
	b.Open(r.URL + "/phone")
	b.Type("#login-user", "sam")
	b.Type("#login-password", phonetest.Password)
	b.Click("#login-submit")
	b.WaitTrue(wait, "standing by", `earshotTest.state() === 'standby'`)
	b.WaitTrue(wait, "no agent controls", `document.getElementById('help').closest('.card').hidden && document.querySelector('.state-controls').hidden`)
	phonetest.Eventually(t, wait, "sam's web phone online", func() bool { return r.Phones.Online("sam") })

	done := make(chan error, 1)
	go func() {
		_, err := r.Phones.Ring(context.Background(), "sam", softphone.CallInfo{ID: "c7", Caller: "+15550177", Queue: phonetest.Queue, Kind: softphone.KindAssist, Agent: "alice", AgentDisplay: "Alice Johnson"})
		done <- err
	}()
	b.WaitTrue(wait, "assist ringing", `earshotTest.state() === 'ringing' && document.getElementById('call-kind').textContent === "Assist · Alice Johnson's call" && document.getElementById('call-caller').textContent === '+15550177'`)
	shot := filepath.Join(shots, "phone-supervisor-assist-ringing.png")
	b.Screenshot(shot)
	b.Click("#answer")
	if err := <-done; err != nil {
		t.Fatalf("Ring: %v", err)
	}
	b.WaitTrue(wait, "assisting", `earshotTest.state() === 'on_call' && document.getElementById('call-kind').textContent === 'Assisting Alice Johnson' && document.getElementById('badge-text').textContent === 'Assisting'`)
	hung := make(chan string, 1)
	r.Phones.OnHangup(func(user, call string) { hung <- user + " " + call })
	b.Click("#hangup")
	select {
	case got := <-hung:
		if got != "sam c7" {
			t.Fatalf("OnHangup(%s)", got)
		}
	case <-time.After(wait):
		t.Fatal("hang up not reported")
	}
	b.WaitTrue(wait, "standing by again", `earshotTest.state() === 'standby'`)
	for _, e := range b.Errors() {
		t.Errorf("page error: %s", e)
	}
}
