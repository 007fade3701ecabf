package app

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/softphone/phonetest"
	"github.com/earshot/earshot/internal/store"
)

// phase is how long each phase of an assisted call lasts.
const phase = 1500 * time.Millisecond

// f is a list of tones.
func f(tones ...float64) []float64 { return tones }

// marks notes where each party's recording is now.
func marks(ps ...*party) map[*party]mark {
	m := map[*party]mark{}
	for _, p := range ps {
		m[p] = p.mark()
	}
	return m
}

// TestAssistHearing plays the hearing matrix with real phones: a customer
// (440 Hz) calls sales and reaches alice's phone (1000 Hz); sam (1700 Hz)
// and sue (2300 Hz) assist from phones earshot rings; carol (2900 Hz)
// listens in. In every phase each party's recording holds exactly the
// tones ARCHITECTURE.md's table says, and the customer never hears a
// supervisor before a take-over. Two supervisors race to take over and
// exactly one wins. The audit has every mode with its time.
func TestAssistHearing(t *testing.T) {
	r := newAssistRig(t, nil)
	alice := r.phone("alice", toneAgent)
	carol := r.phone("carol", toneListener)
	sam := r.reachable("sam", toneSam, false)
	sue := r.reachable("sue", toneSue, false)
	samC, sueC, aliceC, carolC := r.login("sam"), r.login("sue"), r.login("alice"), r.login("carol")
	for c, uri := range map[*client]string{samC: sam.uri, sueC: sue.uri} {
		if code := c.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": uri}, nil); code != 200 {
			t.Fatalf("sign in with %s: %d", uri, code)
		}
	}
	if code := aliceC.do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		t.Fatalf("alice available: %d", code)
	}
	cust := r.customer()
	var checks []expectation
	lat := map[string]time.Duration{}

	// no assist
	m0 := marks(cust, alice)
	time.Sleep(phase)
	m1 := marks(cust, alice)
	checks = append(checks,
		hears("no assist", cust, m0[cust], m1[cust], f(toneAgent), toneCustomer, toneSam),
		hears("no assist", alice, m0[alice], m1[alice], f(toneCustomer), toneAgent, toneSam))

	// sam assists: his phone rings, he answers, he listens
	var started struct{ Session assist.Session }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 || started.Session.Mode != assist.Ringing {
		t.Fatalf("sam assists alice: %d %+v", code, started)
	}
	samID := started.Session.ID
	r.session("sam", assist.Listen)
	m0 = marks(cust, alice, sam)
	time.Sleep(phase)
	m1 = marks(cust, alice, sam)
	checks = append(checks,
		hears("listen", cust, m0[cust], m1[cust], f(toneAgent), toneSam, toneCustomer),
		hears("listen", alice, m0[alice], m1[alice], f(toneCustomer), toneSam),
		hears("listen", sam, m0[sam], m1[sam], f(toneCustomer, toneAgent), toneSam))

	// talk: alice hears sam, the customer does not
	mode := func(c *client, id, m string, want int) {
		t.Helper()
		if code := c.do("PUT", "/api/v1/assists/"+id, map[string]string{"mode": m}, nil); code != want {
			t.Fatalf("%s: %d, want %d", m, code, want)
		}
	}
	mode(samC, samID, "talk", 200)
	talkAt := alice.mark()
	time.Sleep(phase)
	m1 = marks(cust, alice, sam)
	checks = append(checks,
		hears("talk", cust, m0[cust], m1[cust], f(toneAgent), toneSam, toneCustomer),
		hears("talk", alice, talkAt, m1[alice], f(toneCustomer, toneSam)),
		hears("talk", sam, m0[sam], m1[sam], f(toneCustomer, toneAgent), toneSam))

	// released: back to listening
	mode(samC, samID, "listen", 200)
	listenAt := alice.mark()
	time.Sleep(phase)
	m1b := marks(cust, alice)
	checks = append(checks, hears("talk released", alice, listenAt, m1b[alice], f(toneCustomer), toneSam))

	// sam talks; sue listens; carol listens in
	mode(samC, samID, "talk", 200)
	var sueStart struct{ Session assist.Session }
	if code := sueC.do("POST", "/api/v1/agents/alice/assist", nil, &sueStart); code != 201 {
		t.Fatalf("sue assists alice: %d", code)
	}
	if code := aliceC.do("PUT", "/api/v1/me/listen-in", map[string]string{"mode": "all"}, nil); code != 200 {
		t.Fatalf("alice lets colleagues listen: %d", code)
	}
	var listen struct{ Session assist.Session }
	if code := carolC.do("POST", "/api/v1/agents/alice/listen", nil, &listen); code != 201 {
		t.Fatalf("carol listens in: %d", code)
	}
	r.session("sue", assist.Listen)
	r.session("carol", assist.Listen)
	m0 = marks(cust, alice, sam, sue, carol)
	time.Sleep(phase)
	m1 = marks(cust, alice, sam, sue, carol)
	checks = append(checks,
		hears("talk, second supervisor, listener", cust, m0[cust], m1[cust], f(toneAgent), toneSam, toneSue, toneListener),
		hears("talk, second supervisor, listener", alice, m0[alice], m1[alice], f(toneCustomer, toneSam), toneSue, toneListener),
		hears("talk, second supervisor, listener", sam, m0[sam], m1[sam], f(toneCustomer, toneAgent), toneSam, toneSue, toneListener),
		hears("talk, second supervisor, listener", sue, m0[sue], m1[sue], f(toneCustomer, toneAgent, toneSam), toneSue, toneListener),
		hears("talk, second supervisor, listener", carol, m0[carol], m1[carol], f(toneCustomer, toneAgent), toneSam, toneSue, toneListener))

	// alice turns Let Listen In off: carol's listening ends at once
	if code := aliceC.do("PUT", "/api/v1/me/listen-in", map[string]string{"mode": "off"}, nil); code != 200 {
		t.Fatalf("alice stops listen-in: %d", code)
	}
	r.gone(listen.Session.ID)
	waitFor(t, 5*time.Second, "carol's phone to be hung up", func() bool { return r.a.sip.ActiveCalls() == 4 })

	// sue closes: customer and alice go on
	if code := sueC.do("DELETE", "/api/v1/assists/"+sueStart.Session.ID, nil, nil); code != 204 {
		t.Fatalf("sue closes: %d", code)
	}
	r.gone(sueStart.Session.ID)
	waitFor(t, 5*time.Second, "sue's phone to be hung up", func() bool { return r.a.sip.ActiveCalls() == 3 })
	m0 = marks(cust, alice, sam)
	time.Sleep(phase)
	m1 = marks(cust, alice, sam)
	checks = append(checks,
		hears("after sue's close", cust, m0[cust], m1[cust], f(toneAgent), toneSam, toneSue),
		hears("after sue's close", alice, m0[alice], m1[alice], f(toneCustomer, toneSam), toneSue),
		hears("after sue's close", sam, m0[sam], m1[sam], f(toneCustomer, toneAgent), toneSue))

	// sue comes back; both race to take over: exactly one wins
	mode(samC, samID, "listen", 200)
	if code := sueC.do("POST", "/api/v1/agents/alice/assist", nil, &sueStart); code != 201 {
		t.Fatalf("sue assists alice again: %d", code)
	}
	r.session("sue", assist.Listen)
	ids := map[*client]string{samC: samID, sueC: sueStart.Session.ID}
	codes := map[*client]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c, id := range ids {
		wg.Go(func() {
			code := c.do("PUT", "/api/v1/assists/"+id, map[string]string{"mode": "takeover"}, nil)
			mu.Lock()
			codes[c] = code
			mu.Unlock()
		})
	}
	wg.Wait()
	takeAt := cust.mark()
	winner, loser, wc, lc := sam, sue, samC, sueC
	if codes[sueC] == 200 {
		winner, loser, wc, lc = sue, sam, sueC, samC
	}
	if codes[wc] != 200 || codes[lc] != 409 {
		t.Fatalf("take-over race: sam %d, sue %d; want one 200 and one 409", codes[samC], codes[sueC])
	}
	waitFor(t, 5*time.Second, "alice to be in after call work", func() bool { return agentState(r.a, "alice") == acd.ACW })
	waitFor(t, 5*time.Second, "alice's phone to be hung up", func() bool { return r.a.sip.ActiveCalls() == 3 })
	m0 = marks(cust, winner, loser)
	time.Sleep(phase)
	m1 = marks(cust, winner, loser)
	checks = append(checks,
		hears("take over", cust, m0[cust], m1[cust], f(winner.tone), toneAgent, loser.tone),
		hears("take over", winner, m0[winner], m1[winner], f(toneCustomer), toneAgent, winner.tone, loser.tone),
		hears("take over", loser, m0[loser], m1[loser], f(toneCustomer, winner.tone), toneAgent, loser.tone))
	c, err := r.a.Engine().Call(started.Session.Call)
	if err != nil || !slices.Equal(c.Handlers, []string{"alice", winner.name}) {
		t.Fatalf("call after the take-over: %+v, %v; want handlers alice, %s", c, err, winner.name)
	}

	// the other supervisor closes; the winner closes, which ends the call
	if code := lc.do("DELETE", "/api/v1/assists/"+ids[lc], nil, nil); code != 204 {
		t.Fatalf("%s closes: %d", loser.name, code)
	}
	if code := wc.do("DELETE", "/api/v1/assists/"+ids[wc], nil, nil); code != 204 {
		t.Fatalf("%s closes: %d", winner.name, code)
	}
	waitFor(t, 10*time.Second, "every call to end", func() bool { return r.a.sip.ActiveCalls() == 0 && len(r.a.Engine().Calls()) == 0 })
	recorded(t, cust, alice, sam, sue, carol)

	for _, c := range checks {
		c.run(t)
	}
	for name, x := range map[string]struct {
		at     mark
		freq   float64
		appear bool
	}{
		"listen → talk (alice hears sam)":        {talkAt, toneSam, true},
		"talk → listen (alice stops)":            {listenAt, toneSam, false},
		"listen → take over (customer hears it)": {takeAt, winner.tone, true},
	} {
		if d, ok := latency(t, x.at, x.freq, x.appear); ok {
			lat[name] = d
		} else {
			t.Errorf("%s: the change never showed in the audio", name)
		}
	}
	for name, d := range lat {
		t.Logf("mode change %s: %d ms after the API answered (target < 60 ms)", name, d.Milliseconds())
	}

	// the audit: sam's session with its modes and times, and how it ended
	var audit struct{ History []assist.Record }
	if code := samC.do("GET", "/api/v1/assists?history=1", nil, &audit); code != 200 {
		t.Fatalf("history: %d", code)
	}
	var rec *assist.Record
	for i := range audit.History {
		if audit.History[i].ID == samID {
			rec = &audit.History[i]
		}
	}
	if rec == nil {
		t.Fatalf("sam's session %s is not in the audit: %+v", samID, audit.History)
	}
	var modes []string
	for i, s := range rec.Modes {
		modes = append(modes, string(s.Mode))
		if s.To.Before(s.From) || (i > 0 && !s.From.Equal(rec.Modes[i-1].To)) {
			t.Errorf("mode %d: %+v does not follow on", i, s)
		}
	}
	want := []string{"ringing", "listen", "talk", "listen", "talk", "listen"}
	if winner == sam {
		want = append(want, "takeover")
	}
	if !slices.Equal(modes, want) || rec.Reason != assist.EndClosed || rec.User != "sam" || rec.Agent != "alice" || rec.Ended.IsZero() {
		t.Fatalf("sam's audit: %+v (modes %v, want %v)", rec, modes, want)
	}
	if reason := endOf(t, r, listen.Session.ID); reason != assist.EndListenInOff {
		t.Fatalf("carol's listen-in ended %q, want %q", reason, assist.EndListenInOff)
	}
}

// endOf reads from the store how session id ended.
func endOf(t *testing.T, r *assistRig, id string) string {
	t.Helper()
	evs, err := r.a.store.Events(t.Context(), store.Filter{Kinds: []events.Kind{events.AssistMode, events.ListenSession}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Detail == id && e.State == string(assist.Ended) {
			return e.Reason
		}
	}
	return ""
}

// TestAssistRefused: Assist on an agent who is not on a routed call is
// refused with the sentence the monitor shows as the greyed item's
// tooltip; a supervisor of another team is refused; nothing changes.
func TestAssistRefused(t *testing.T) {
	r := newAssistRig(t, nil)
	samC, tinaC, aliceC := r.login("sam"), r.login("tina"), r.login("alice")
	samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "sip:sam@127.0.0.1:5999"}, nil)
	if code := aliceC.do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		t.Fatalf("alice available: %d", code)
	}
	var row struct {
		Assist assist.Availability
	}
	if code := samC.do("GET", "/api/v1/agents/alice", nil, &row); code != 200 || row.Assist.Allowed {
		t.Fatalf("alice's row: %d %+v", code, row)
	}
	var refusal struct{ Error string }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &refusal); code != 409 {
		t.Fatalf("assist on an available agent: %d", code)
	}
	want := "Assist is possible only while Alice Johnson is on an inbound routed call; Alice Johnson is available, waiting for a call"
	if refusal.Error != want || row.Assist.Why != want {
		t.Fatalf("refusal %q, tooltip %q; want %q", refusal.Error, row.Assist.Why, want)
	}
	if code := tinaC.do("POST", "/api/v1/agents/alice/assist", nil, &refusal); code != 403 {
		t.Fatalf("a supervisor of another team: %d (%s)", code, refusal.Error)
	}
	var bad struct{ Error string }
	if code := samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "+19005550123"}, &bad); code != 400 ||
		!strings.Contains(bad.Error, "not allowed by the dial plan") {
		t.Fatalf("a premium number: %d %q", code, bad.Error)
	}
	v, _ := r.a.Engine().Agent("alice")
	if len(r.desk.Sessions()) != 0 || v.Help != acd.HelpNone || v.State != acd.Available {
		t.Fatalf("refusals changed things: sessions %+v, alice %+v", r.desk.Sessions(), v)
	}
}

// TestAssistNoAnswer: while the supervisor's phone rings nobody hears
// anything new; not answered in the assist ring time, the session ends
// "no answer" and the ringing stops. alice had asked for help: nobody
// helped, so her request is open again (red, not green).
func TestAssistNoAnswer(t *testing.T) {
	r := newAssistRig(t, func(c *config.Config) { c.AssistRingTime = 2 * time.Second })
	alice := r.phone("alice", toneAgent)
	sam := r.reachable("sam", toneSam, true)
	samC := r.login("sam")
	samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": sam.uri}, nil)
	if err := r.a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	cust := r.customer()
	if err := r.a.Engine().RequestHelp("alice"); err != nil {
		t.Fatal(err)
	}
	var started struct{ Session assist.Session }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
		t.Fatalf("assist: %d", code)
	}
	if v, _ := r.a.Engine().Agent("alice"); v.Help != acd.HelpAssisting {
		t.Fatalf("help while sam's phone rings: %s, want assisting (green)", v.Help)
	}
	if !sam.b.WaitOutput("Incoming call", 5*time.Second) {
		t.Fatal("sam's phone does not ring")
	}
	m0 := marks(cust, alice)
	time.Sleep(phase)
	m1 := marks(cust, alice)
	r.gone(started.Session.ID)
	if reason := endOf(t, r, started.Session.ID); reason != assist.EndNoAnswer {
		t.Fatalf("ended %q, want %q", reason, assist.EndNoAnswer)
	}
	if v, _ := r.a.Engine().Agent("alice"); v.Help != acd.HelpRequested {
		t.Fatalf("help after the unanswered assist: %s, want requested (red) again", v.Help)
	}
	if !sam.b.WaitOutput("session closed", 5*time.Second) {
		t.Fatal("sam's phone goes on ringing")
	}
	if s := agentState(r.a, "alice"); s != acd.OnCall {
		t.Fatalf("alice is %s after the unanswered assist", s)
	}
	cust.b.Command("hangup", "")
	waitFor(t, 10*time.Second, "the call to end", func() bool { return r.a.sip.ActiveCalls() == 0 })
	recorded(t, cust, alice)
	hears("ringing", cust, m0[cust], m1[cust], f(toneAgent), toneSam, toneCustomer).run(t)
	hears("ringing", alice, m0[alice], m1[alice], f(toneCustomer), toneSam, toneAgent).run(t)
}

// TestAssistCallEnds: the customer hanging up during talk, or the agent
// during listen, ends the assist; the supervisor's phone is hung up and
// the session says why.
func TestAssistCallEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   string
		hangup func(cust, alice *party)
		reason string
	}{
		{"customer hangs up during talk", "talk", func(c, _ *party) { c.b.Command("hangup", "") }, assist.EndCustomerHungUp},
		{"agent hangs up during listen", "listen", func(_, a *party) { a.b.Command("hangup", "") }, assist.EndAgentHungUp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newAssistRig(t, nil)
			alice := r.phone("alice", toneAgent)
			sam := r.reachable("sam", toneSam, false)
			samC := r.login("sam")
			samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": sam.uri}, nil)
			if err := r.a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
				t.Fatal(err)
			}
			cust := r.customer()
			var started struct{ Session assist.Session }
			if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
				t.Fatalf("assist: %d", code)
			}
			r.session("sam", assist.Listen)
			if code := samC.do("PUT", "/api/v1/assists/"+started.Session.ID, map[string]string{"mode": tc.mode}, nil); code != 200 {
				t.Fatalf("%s: %d", tc.mode, code)
			}
			tc.hangup(cust, alice)
			r.gone(started.Session.ID)
			if reason := endOf(t, r, started.Session.ID); reason != tc.reason {
				t.Fatalf("ended %q, want %q", reason, tc.reason)
			}
			waitFor(t, 10*time.Second, "every phone to be hung up", func() bool { return r.a.sip.ActiveCalls() == 0 })
		})
	}
}

// TestAssistFromWebClient: a supervisor who signed in with "No Extension"
// is rung on their web client (a Go WebRTC page, 1700 Hz), listens, and
// whispers to alice's phone; the customer never hears them. Choosing the
// web client before it is signed in is refused.
func TestAssistFromWebClient(t *testing.T) {
	r := newAssistRig(t, nil)
	alice := r.phone("alice", toneAgent)
	samC := r.login("sam")
	var refusal struct{ Error string }
	if code := samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "web"}, &refusal); code != 409 ||
		refusal.Error != "Your web client is not signed in: open /phone first" {
		t.Fatalf("web client before it is open: %d %q", code, refusal.Error)
	}
	page := phonetest.Open(t, "http://"+r.a.HTTPAddr(), "sam", "demo")
	page.Connect(toneSam)
	phonetest.Eventually(t, 5*time.Second, "sam's web client to be connected", func() bool { return r.a.phones.Connected("sam") })
	if code := samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "web"}, nil); code != 200 {
		t.Fatalf("web client signed in: %d", code)
	}
	if err := r.a.Engine().SetState("alice", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	cust := r.customer()
	var started struct{ Session assist.Session }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
		t.Fatalf("assist: %d", code)
	}
	ring := page.Next("call.ringing", 10*time.Second)
	page.Send(map[string]string{"type": "call.answer", "call": ring.Str("call")})
	r.session("sam", assist.Listen)
	phonetest.Eventually(t, 5*time.Second, "sam to hear customer and agent", func() bool {
		return page.Ear.Hears(toneCustomer) && page.Ear.Hears(toneAgent)
	})
	if page.Ear.Hears(toneSam) {
		t.Fatal("sam hears himself")
	}
	if code := samC.do("PUT", "/api/v1/assists/"+started.Session.ID, map[string]string{"mode": "talk"}, nil); code != 200 {
		t.Fatalf("talk: %d", code)
	}
	m0 := marks(cust, alice)
	time.Sleep(phase)
	m1 := marks(cust, alice)
	if code := samC.do("DELETE", "/api/v1/assists/"+started.Session.ID, nil, nil); code != 204 {
		t.Fatalf("close: %d", code)
	}
	if m := page.Next("call.ended", 5*time.Second); m.Str("call") != ring.Str("call") {
		t.Fatalf("sam's page was told %v", m)
	}
	cust.b.Command("hangup", "")
	waitFor(t, 10*time.Second, "the call to end", func() bool { return r.a.sip.ActiveCalls() == 0 })
	recorded(t, cust, alice)
	hears("web supervisor talks", cust, m0[cust], m1[cust], f(toneAgent), toneSam).run(t)
	hears("web supervisor talks", alice, m0[alice], m1[alice], f(toneCustomer, toneSam)).run(t)
}
