package app

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/tonecheck"
)

// demoApp starts "earshot demo" on free loopback ports with the simulator
// placing perMin calls a minute.
func demoApp(t *testing.T, perMin int) *App {
	t.Helper()
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	a, err := Start(context.Background(), Options{Config: cfg, Demo: true, CallsPerMinute: perMin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// shotsDir is where screenshots go: $EARSHOT_SCREENSHOTS, or nowhere.
func shotsDir(t *testing.T) string {
	if dir := os.Getenv("EARSHOT_SCREENSHOTS"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// signInPhone signs user in on /phone.
func signInPhone(b *browsertest.Browser, base, user string) {
	b.Open(base + "/phone")
	b.WaitVisible("#login-form")
	b.Type("#login-user", user)
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#phone-view")
}

// TestCallMe is the demo's first minute for a newcomer: Chromium signs in
// on /phone as alice (the human demo agent), goes Available and presses
// "Call me"; the simulator calls her queue's number and, although the bot
// agents of that queue are Available too, the call rings alice. She
// answers and hears the simulated customer speak (energy in the speech
// band), then hangs up. The banner tells her, read-only, that callers are
// simulated.
func TestCallMe(t *testing.T) {
	a := demoApp(t, 0)
	const (
		wait     = 20 * time.Second
		speaking = -30.0 // a voice reads −25 to −10 dB here
		silent   = -60.0
	)
	mic := filepath.Join(t.TempDir(), "mic-1000.wav")
	if err := tonecheck.WriteTone(mic, 1000, 48000, 120, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{FakeMicWAV: mic})
	uiState := func(want string) {
		t.Helper()
		b.WaitTrue(wait, "page state "+want, fmt.Sprintf(`earshotTest.state() === %q`, want))
	}
	base := "http://" + a.HTTPAddr()
	signInPhone(b, base, "alice")
	b.Click("#cleanup") // the customer's voice, not the microphone, is measured
	b.WaitTrue(wait, "audio connected", `earshotTest.audio() === 'connected'`)

	// The banner, read-only for an agent; Call me is offered.
	b.WaitTrue(wait, "demo banner shown", `!document.getElementById('demo-banner').hidden`)
	b.WaitTrue(wait, "banner is read-only for an agent",
		`document.getElementById('demo-faster').hidden && document.getElementById('demo-pause').disabled && document.getElementById('demo-pause').textContent === 'No new calls'`)
	b.WaitTrue(wait, "banner says the rate", `document.getElementById('demo-rate').textContent === '0 calls/min'`)
	b.WaitTrue(wait, "Call me offered", `!document.getElementById('call-me-box').hidden`)
	b.Resize(390, 800)
	b.WaitTrue(wait, "a phone-sized window: nothing wider than the screen", `document.documentElement.scrollWidth <= 390`)
	b.Eval(`window.scrollTo(0, 0)`, nil)
	b.Screenshot(filepath.Join(shotsDir(t), "phone-call-me-narrow.png"))
	b.Resize(1280, 800)

	// Not Available yet: the page says to go Available first.
	b.Click("#call-me")
	b.WaitTrue(wait, "told to go Available", `document.getElementById('call-me-text').textContent.startsWith('Go Available first')`)
	if placed, _ := a.Callers().Counts(); placed != 0 {
		t.Fatalf("a call was placed for an agent who is not Available (%d)", placed)
	}

	// The bots of alice's queue are Available before she is, so by
	// longest idle a bot would get the next call of the queue.
	waitFor(t, wait, "a bot of sales available", func() bool {
		for _, bot := range []string{"bob", "carol", "dave", "erin", "frank"} {
			if agentState(a, bot) == acd.Available {
				return true
			}
		}
		return false
	})
	b.Click("#go-available")
	uiState("available")
	b.WaitTrue(wait, "the hint is back", `document.getElementById('call-me-text').textContent.startsWith('Demo:')`)
	b.Eval(`window.scrollTo(0, 0)`, nil)
	b.Screenshot(filepath.Join(shotsDir(t), "phone-call-me.png"))
	b.Click("#call-me")
	b.WaitTrue(wait, "Calling you…", `document.getElementById('call-me-text').textContent.startsWith('Calling you')`)
	uiState("ringing")
	var caller string
	b.Eval(`document.getElementById('call-caller').textContent`, &caller)
	var before float64
	b.Eval(`earshotTest.speechLevel()`, &before)
	if before > silent {
		t.Errorf("the page hears %.1f dB in the speech band before it answers", before)
	}
	b.Click("#answer")
	uiState("on_call")
	waitFor(t, wait, "alice on call in the engine", func() bool { return agentState(a, "alice") == acd.OnCall })
	v, _ := a.Engine().Agent("alice")
	if v.Caller != caller || v.Queue != "sales" {
		t.Errorf("alice's call: caller %q queue %q; the page showed %q", v.Caller, v.Queue, caller)
	}

	// The customer speaks: energy in the speech band, where before the
	// answer there was silence.
	best := -200.0
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && best <= speaking {
		var level float64
		b.Eval(`earshotTest.speechLevel()`, &level)
		best = max(best, level)
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the page hears the customer at %.1f dB in 300–3400 Hz; %.1f dB before the answer", best, before)
	if best <= speaking {
		t.Fatalf("the page hears no customer speech: %.1f dB in the speech band", best)
	}
	b.Eval(`window.scrollTo(0, 0)`, nil)
	b.Screenshot(filepath.Join(shotsDir(t), "phone-call-me-answered.png"))

	b.Click("#hangup")
	uiState("acw")
	waitFor(t, wait, "the call to end in the engine", func() bool { return len(a.Engine().Calls()) == 0 })
	waitFor(t, wait, "the simulated customer gone", func() bool { _, live := a.Callers().Counts(); return live == 0 })

	evs, err := a.store.Events(t.Context(), store.Filter{Kinds: []events.Kind{events.CallOffered, events.CallAnswered, events.CallEnded}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ended := 0
	for _, e := range evs {
		if e.Kind == events.CallEnded {
			ended++
			continue
		}
		got = append(got, fmt.Sprintf("%s %s", e.Kind, e.Agent))
	}
	if want := fmt.Sprint([]string{"call.offered alice", "call.answered alice"}); fmt.Sprint(got) != want || ended != 1 {
		t.Errorf("history: %v and %d ended; want %v and 1 ended (offered to alice only, no bot)", got, ended, want)
	}
	if placed, _ := a.Callers().Counts(); placed != 1 {
		t.Errorf("the simulator placed %d calls; want the one Call me asked for", placed)
	}
}

// TestDemoBanner: a supervisor changes the simulated call rate and pauses
// through the banner on /phone, and the simulator follows; then the
// monitor shows the bots at work.
func TestDemoBanner(t *testing.T) {
	a := demoApp(t, 0)
	const wait = 20 * time.Second
	b := browsertest.Start(t, browsertest.Options{})
	base := "http://" + a.HTTPAddr()
	signInPhone(b, base, "sam")
	b.WaitTrue(wait, "demo banner shown", `!document.getElementById('demo-banner').hidden`)
	b.WaitTrue(wait, "controls for a supervisor", `!document.getElementById('demo-faster').hidden && document.getElementById('demo-pause').textContent === 'Pause'`)
	b.WaitTrue(wait, "no Call me for a supervisor", `document.getElementById('call-me-box').hidden`)

	b.Click("#demo-slower") // at 0 already: disabled, nothing changes
	for _, want := range []int{1, 2, 3} {
		b.Click("#demo-faster")
		b.WaitTrue(wait, fmt.Sprintf("%d calls/min shown", want), fmt.Sprintf(`document.getElementById('demo-rate').textContent === '%d calls/min'`, want))
		waitFor(t, wait, fmt.Sprintf("simulator at %d a minute", want), func() bool { return a.Callers().Rate() == want })
	}
	b.Click("#demo-slower")
	waitFor(t, wait, "simulator at 2 a minute", func() bool { return a.Callers().Rate() == 2 })
	b.Click("#demo-pause")
	b.WaitTrue(wait, "Resume offered", `document.getElementById('demo-pause').textContent === 'Resume'`)
	waitFor(t, wait, "simulator paused", func() bool { return a.Callers().Paused() })
	b.Screenshot(filepath.Join(shotsDir(t), "demo-banner-paused.png"))
	b.Click("#demo-pause")
	waitFor(t, wait, "simulator resumed", func() bool { return !a.Callers().Paused() })
	if r := a.Callers().Rate(); r != 2 {
		t.Errorf("rate %d after resume; want 2", r)
	}

	// Busy floor: the monitor as the supervisor sees it with bots on calls,
	// in a tab of its own: sam's web phone stays signed in in this one and
	// is chosen for his assist audio.
	a.Callers().SetRate(120)
	b.WaitTrue(wait, "sam's audio connected", `earshotTest.audio() === 'connected'`)
	phone := b
	b = b.NewTab()
	b.Open(base + "/monitor")
	b.WaitVisible("#signin-form")
	b.Click("#signin-web")
	b.Click("#signin-submit")
	b.WaitVisible("#monitor-view")
	b.WaitTrue(wait, "assist audio: the web client", `document.getElementById('audio-chip-text').textContent === 'Web client'`)
	// The banner as the pages include it.
	b.Eval(`(() => {
		if (document.getElementById('demo-banner')) return true;
		const l = document.createElement('link'); l.rel = 'stylesheet'; l.href = '/shared/demo-banner.css'; document.head.append(l);
		const s = document.createElement('script'); s.type = 'module'; s.src = '/shared/demo-banner.js'; document.head.append(s);
		return true;
	})()`, nil)
	b.WaitTrue(40*time.Second, "four agents on calls", `Number(document.getElementById('sum-on_call').textContent) >= 4`)
	b.WaitTrue(wait, "banner on the monitor", `!!document.getElementById('demo-banner') && !document.getElementById('demo-banner').hidden`)
	// The agents left for a person are marked "you"; bots are not.
	b.WaitTrue(wait, "alice marked you, bob not", `(() => {
		const you = (n) => { const e = document.querySelector('tr[data-agent="' + n + '"] .agent-name'); return e && e.dataset.you; };
		return you('alice') === 'true' && you('bob') === 'false';
	})()`)
	// The bots' first help request comes about ten seconds after the
	// start, once one of them is on a call, and may be to another team or
	// withdrawn; so that the picture never waits on chance, one of sam's
	// bots on a call asks now unless a request is showing already.
	var bot string
	b.Eval(`(() => {
		if (earshotTest.toasts().length > 0) return '';
		const r = [...document.querySelectorAll('tr[data-agent]')].find((r) =>
			r.querySelector('[data-state="on_call"]') && r.querySelector('.agent-name').dataset.you === 'false');
		return r ? r.dataset.agent : '';
	})()`, &bot)
	if bot != "" {
		if err := a.Engine().RequestHelp(bot); err != nil {
			t.Logf("%s asks for help: %v (a request of the bots' own will do)", bot, err)
		}
	}
	b.WaitTrue(40*time.Second, "a bot asks for help", `earshotTest.toasts().length > 0`)
	b.WaitTrue(wait, "pop-ups in place", `[...document.querySelectorAll('.toast')].every(t => t.getAnimations().every(a => a.playState === 'finished'))`)
	b.Eval(`earshotTest.settled()`, nil)
	b.Screenshot(filepath.Join(shotsDir(t), "demo-monitor.png"))
	for _, e := range phone.Errors() {
		t.Errorf("sam's phone: page error: %s", e)
	}
}

// TestCallMeOutsideTheDemo: under "serve", an admin who is also an agent
// presses Call me; a one-off simulated customer calls the queue's number
// over loopback SIP through the trunk that accepts 127.0.0.1, and the queue
// offers the call to the admin. A plain agent may not; and without a
// trunk that accepts the server's own calls, Call me says why.
func TestCallMeOutsideTheDemo(t *testing.T) {
	const wait = 20 * time.Second
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	for i, u := range cfg.Users {
		if u.Name == "admin" {
			cfg.Users[i].Roles = append(cfg.Users[i].Roles, config.RoleAgent)
		}
	}
	cfg.Teams[0].Agents = append(cfg.Teams[0].Agents, "admin")
	a := start(t, cfg)
	defer a.Close()

	admin, alice := newClient(t, a), newClient(t, a)
	admin.login("admin")
	alice.login("alice")
	var demo struct {
		Enabled bool `json:"enabled"`
		CallMe  bool `json:"call_me"`
	}
	if code := admin.do("GET", "/api/v1/demo", nil, &demo); code != 200 || demo.Enabled || !demo.CallMe {
		t.Fatalf("admin outside the demo: %d %+v; want enabled false, call_me true", code, demo)
	}
	var refused struct{ Error string }
	if code := alice.do("POST", "/api/v1/me/call-me", nil, &refused); code != 409 || refused.Error != "outside the demo, Call me is for admins" {
		t.Errorf("alice: %d %q", code, refused.Error)
	}
	if code := admin.do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		t.Fatalf("admin available: %d", code)
	}
	var out struct{ DID, Queue, Caller string }
	if code := admin.do("POST", "/api/v1/me/call-me", nil, &out); code != 202 || out.Queue != "sales" {
		t.Fatalf("admin's Call me: %d %+v", code, out)
	}
	waitFor(t, wait, "the call offered to the admin", func() bool {
		evs, err := a.store.Events(t.Context(), store.Filter{Kinds: []events.Kind{events.CallOffered}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Agent == "admin" && e.Caller == out.Caller {
				return true
			}
		}
		return false
	})

	// No trunk takes calls from this machine: nobody is offered Call me.
	next := a.Engine().Config().Clone()
	next.Trunks[0].Sources = []string{"192.0.2.0/24"}
	if err := a.Engine().Reconfigure(next, "admin", "trunk sources"); err != nil {
		t.Fatal(err)
	}
	if code := admin.do("GET", "/api/v1/demo", nil, &demo); code != 200 || demo.CallMe {
		t.Errorf("Call me offered without a trunk for it: %d %+v", code, demo)
	}
}

// TestTrunkAccepts: Call me outside the demo needs a trunk whose sources
// hold the server's own loopback address.
func TestTrunkAccepts(t *testing.T) {
	lo4, lo6 := netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()
	for _, tc := range []struct {
		sources  []string
		ip       netip.Addr
		accepted bool
	}{
		{[]string{"127.0.0.1/32"}, lo4, true},
		{[]string{"127.0.0.0/8"}, lo4, true},
		{[]string{"127.0.0.1"}, lo4, true},
		{[]string{"::1/128"}, lo6, true},
		{[]string{"127.0.0.1/32"}, lo6, false},
		{[]string{"192.0.2.0/24", "198.51.100.7"}, lo4, false},
		{[]string{"not an address"}, lo4, false},
		{nil, lo4, false},
	} {
		got := trunkAccepts([]config.Trunk{{Name: "t", Sources: tc.sources}}, tc.ip)
		if got != tc.accepted {
			t.Errorf("sources %v, %s: %v; want %v", tc.sources, tc.ip, got, tc.accepted)
		}
	}
}

// TestDemoListenToABot: in the demo a person with the listen-in
// permission has someone to listen to at once. Five simulated customers
// call sales, so every sales bot is on a call; Chromium, signed in on
// /phone as alice, finds the bots that let colleagues listen in on her
// Listen in card, listens to one, hears the call (energy in the speech
// band, where her page was silent before), and stops.
func TestDemoListenToABot(t *testing.T) {
	a := demoApp(t, 0)
	const (
		wait     = 20 * time.Second
		speaking = -30.0
		silent   = -60.0
	)
	// alice's page first, so that she listens soon after the bots answer:
	// a bot's call lasts 15 s at least
	b := browsertest.Start(t, browsertest.Options{})
	signInPhone(b, "http://"+a.HTTPAddr(), "alice")
	b.WaitTrue(wait, "audio connected", `earshotTest.audio() === 'connected'`)
	b.WaitTrue(wait, "an empty Listen in card", `!document.getElementById('colleagues-card').hidden && earshotTest.listenable().length === 0`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 5 {
		go a.Callers().Call(ctx, "+15550100", time.Minute)
	}
	waitFor(t, wait, "every sales bot on a call", func() bool {
		for _, bot := range []string{"bob", "carol", "dave", "erin", "frank"} {
			if agentState(a, bot) != acd.OnCall {
				return false
			}
		}
		return true
	})
	b.WaitTrue(wait, "bob and carol listed, who let colleagues listen in", `earshotTest.listenable().join() === 'bob,carol' || earshotTest.listenable().join() === 'carol,bob'`)
	var before float64
	b.Eval(`earshotTest.speechLevel()`, &before)
	if before > silent {
		t.Errorf("the page hears %.1f dB in the speech band before listening", before)
	}
	b.WaitTrue(wait, "Listen offered", `!document.querySelector('li[data-agent="bob"] .mate-action').disabled`)
	b.Click(`li[data-agent="bob"] .mate-action`)
	b.WaitTrue(wait, "listening to bob", `earshotTest.state() === 'on_call' && document.getElementById('badge-text').textContent === 'Listening in' && document.querySelector('li[data-agent="bob"]').dataset.mode === 'listen'`)
	best := -200.0
	for deadline := time.Now().Add(wait); time.Now().Before(deadline) && best <= speaking; time.Sleep(100 * time.Millisecond) {
		var level float64
		b.Eval(`earshotTest.speechLevel()`, &level)
		best = max(best, level)
	}
	t.Logf("listening to bob's call: %.1f dB in 300–3400 Hz; %.1f dB before", best, before)
	if best <= speaking {
		t.Fatalf("alice hears nothing of bob's call: %.1f dB in the speech band", best)
	}
	b.Click(`li[data-agent="bob"] .mate-action`)
	b.WaitTrue(wait, "stopped", `earshotTest.state() !== 'on_call' && document.getElementById('colleagues-status').textContent === 'You stopped listening in on Bob Martinez.'`)
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
