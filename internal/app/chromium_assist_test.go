package app

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/peertest"
	"github.com/earshot/earshot/internal/tonecheck"
)

// Levels a Chromium party's received audio must show: a heard tone stays
// above tonecheck.HeardThreshold for the whole window, an absent one below
// notHeardDB. The analyser sees the last 170 ms (8192 samples at 48 kHz).
const notHeardDB = -40.0

// browserWait bounds each wait on a page.
const browserWait = 15 * time.Second

// webParty is a person on /phone in a headless Chromium of their own (a
// Chromium's fake microphone is one file per browser process).
type webParty struct {
	t    *testing.T
	name string
	tone float64
	b    *browsertest.Browser
}

// openPhone starts a Chromium whose microphone plays tone, signs user in
// on /phone and waits until its audio is connected. Noise suppression is
// turned off: test tones are not speech.
func openPhone(t *testing.T, base, user string, tone float64) *webParty {
	t.Helper()
	mic := filepath.Join(t.TempDir(), fmt.Sprintf("mic-%s-%.0f.wav", user, tone))
	if err := tonecheck.WriteTone(mic, tone, 48000, 120, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{FakeMicWAV: mic})
	b.Open(base + "/phone")
	b.WaitVisible("#login-form")
	b.Type("#login-user", user)
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#phone-view")
	b.Eval(`(() => { const c = document.getElementById('cleanup'); if (c.checked) c.click(); })()`, nil)
	b.WaitTrue(browserWait, user+"'s audio connected", `earshotTest.audio() === 'connected'`)
	// earshotLevels(freqs, ms) samples the received audio every 20 ms for
	// ms and gives each tone's lowest, tenth-percentile and highest level;
	// earshotWatch(freq, appear) makes earshotSeen a promise of the
	// wall-clock time the tone first appears (or, with appear false, goes
	// away), or 0 if it does not within 5 s.
	b.Eval(`(() => {
	  const level = (f) => Math.max(-200, earshotTest.remoteLevel(f));
	  window.earshotLevels = (freqs, ms) => new Promise((resolve) => {
	    const got = freqs.map(() => []);
	    const t0 = performance.now();
	    const take = () => {
	      freqs.forEach((f, i) => got[i].push(level(f)));
	      if (performance.now() - t0 < ms) return;
	      clearInterval(iv);
	      resolve(got.map((ls) => {
	        ls.sort((a, b) => a - b);
	        return {min: ls[0], p10: ls[Math.floor(ls.length / 10)], max: ls[ls.length - 1]};
	      }));
	    };
	    const iv = setInterval(take, 20);
	  });
	  window.earshotWatch = (freq, appear) => {
	    window.earshotSeen = new Promise((resolve) => {
	      const t0 = Date.now();
	      const iv = setInterval(() => {
	        const l = level(freq);
	        const now = Date.now();
	        if (appear ? l > -24 : l < -30) resolve(now);
	        else if (now - t0 > 5000) resolve(0);
	        else return;
	        clearInterval(iv);
	      }, 2);
	    });
	    return true;
	  };
	  return true;
	})()`, nil)
	return &webParty{t: t, name: user, tone: tone, b: b}
}

// state waits until the page's state is want.
func (p *webParty) state(want string) {
	p.t.Helper()
	p.b.WaitTrue(browserWait, p.name+"'s page "+want, fmt.Sprintf(`earshotTest.state() === %q`, want))
}

// span is what a window of samples showed of one tone.
type span struct{ Min, P10, Max float64 }

// levels samples the page's received audio for d.
func (p *webParty) levels(d time.Duration, freqs []float64) []span {
	p.t.Helper()
	var out []span
	list, _ := json.Marshal(freqs)
	p.b.Eval(fmt.Sprintf(`earshotLevels(%s, %d)`, list, d.Milliseconds()), &out)
	return out
}

// hears checks the page's received audio: each tone of heard is heard (in
// 90 % of the samples of a 1 s window) and none of notHeard ever is. It
// first waits (up to browserWait) for the audio to match, since a change
// made through the API reaches the page a few frames later; from then on
// a tone of notHeard in any window fails at once, while a window where a
// heard tone drops out (a late packet on a loaded machine) is logged and
// measured again, up to three times.
func (p *webParty) hears(what string, heard []float64, notHeard ...float64) {
	p.t.Helper()
	freqs := append(append([]float64{}, heard...), notHeard...)
	leaks := func(got []span) bool {
		for i := len(heard); i < len(got); i++ {
			if got[i].Max >= notHeardDB {
				return true
			}
		}
		return false
	}
	drops := func(got []span) bool {
		for i := range heard {
			if got[i].P10 <= tonecheck.HeardThreshold {
				return true
			}
		}
		return false
	}
	words := func(got []span) string {
		var w []string
		for i, f := range freqs {
			s := fmt.Sprintf("%.0f Hz %.0f…%.0f dB", f, got[i].Min, got[i].Max)
			if i < len(heard) && got[i].Min <= tonecheck.HeardThreshold {
				s += fmt.Sprintf(" (10th percentile %.0f)", got[i].P10)
			}
			w = append(w, s)
		}
		return strings.Join(w, ", ")
	}
	deadline := time.Now().Add(browserWait)
	for got := p.levels(300*time.Millisecond, freqs); leaks(got) || drops(got); got = p.levels(300*time.Millisecond, freqs) {
		if time.Now().After(deadline) {
			break
		}
	}
	for try := 1; ; try++ {
		got := p.levels(time.Second, freqs)
		p.t.Logf("%s: %s hears %s", what, p.name, words(got))
		switch {
		case leaks(got):
			p.t.Errorf("%s: %s hears a tone of %v, and should hear only %v: %s", what, p.name, notHeard, heard, words(got))
			return
		case !drops(got):
			return
		case try == 3:
			p.t.Errorf("%s: %s should hear %v throughout: %s", what, p.name, heard, words(got))
			return
		}
	}
}

// watch starts noting when freq appears (or goes away) in the page.
func (p *webParty) watch(freq float64, appear bool) {
	p.t.Helper()
	p.b.Eval(fmt.Sprintf(`earshotWatch(%v, %v)`, freq, appear), nil)
}

// seen is how long after from the watched change showed in the page, or
// false if it did not within 5 s of the watch's start.
func (p *webParty) seen(from time.Time) (time.Duration, bool) {
	p.t.Helper()
	var ms int64
	p.b.Eval(`earshotSeen`, &ms)
	if ms == 0 {
		return 0, false
	}
	return time.UnixMilli(ms).Sub(from), true
}

// TestAssistChromium plays the hearing matrix with browsers on both ends
// of the assist: a baresip customer (440 Hz) calls sales; alice answers on
// /phone in headless Chromium (1000 Hz); sam, signed in with "No
// Extension", is rung on his own /phone in a second Chromium (1700 Hz) and
// answers there. The assist is driven through the API. Each Chromium
// party's received audio is read by the page's analyser, the customer's
// from baresip's recording: in listen alice does not hear sam and sam
// hears both; in talk alice hears sam and the customer does not; after
// Close customer and alice go on alone; after a second assist's take-over
// sam and the customer talk and alice is released. The customer never
// hears 1700 Hz before the take-over. Mode-change latencies as seen in
// Chromium are logged, not asserted.
func TestAssistChromium(t *testing.T) {
	peertest.Need(t, "baresip")
	r := newAssistRig(t, nil)
	alice := openPhone(t, r.base, "alice", toneAgent)
	sam := openPhone(t, r.base, "sam", toneSam)
	alice.b.Click("#go-available")
	alice.state("available")
	sam.state("standby")

	samC := r.login("sam")
	waitFor(t, browserWait, "sam's web client to be accepted for assist audio", func() bool {
		return samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "web"}, nil) == 200
	})

	b := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: toneCustomer, Dial: "sip:+15550100@" + r.sip})
	cust := &party{name: "customer", tone: toneCustomer, b: b}
	alice.state("ringing")
	alice.b.Click("#answer")
	alice.state("on_call")
	waitFor(t, browserWait, "alice on the call", func() bool { return agentState(r.a, "alice") == acd.OnCall })

	var checks []expectation
	lat := map[string]time.Duration{}
	measure := func(name string, p *webParty, start time.Time) {
		t.Helper()
		if d, ok := p.seen(start); ok {
			lat[name] = d
		} else {
			t.Errorf("%s: not seen in %s's page within 5 s", name, p.name)
		}
	}
	mode := func(id, m string) time.Time {
		t.Helper()
		at := time.Now()
		if code := samC.do("PUT", "/api/v1/assists/"+id, map[string]string{"mode": m}, nil); code != 200 {
			t.Fatalf("%s: %d", m, code)
		}
		return at
	}

	// No assist: customer and alice hear each other.
	m0 := cust.mark()
	alice.hears("no assist", f(toneCustomer), toneAgent, toneSam)
	checks = append(checks, hears("no assist", cust, m0, cust.mark(), f(toneAgent), toneCustomer, toneSam))

	// Assist: sam's web client rings; nobody hears him while it does.
	var started struct{ Session assist.Session }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
		t.Fatalf("sam assists alice: %d", code)
	}
	id := started.Session.ID
	sam.state("ringing")
	// sam's page says whose call it is, by name, and who the caller is.
	sam.b.WaitTrue(browserWait, "sam's page names alice and the caller", `document.getElementById('call-kind').textContent === "Assist · Alice Johnson's call" && !['', 'Unknown caller'].includes(document.getElementById('call-caller').textContent)`)
	m0 = cust.mark()
	alice.hears("sam's web client ringing", f(toneCustomer), toneSam)
	checks = append(checks, hears("ringing", cust, m0, cust.mark(), f(toneAgent), toneSam))

	// Listen: sam hears customer and alice; nobody hears sam.
	sam.b.Click("#answer")
	sam.state("on_call")
	r.session("sam", assist.Listen)
	m0 = cust.mark()
	sam.hears("listen", f(toneCustomer, toneAgent), toneSam)
	alice.hears("listen", f(toneCustomer), toneSam, toneAgent)
	checks = append(checks, hears("listen", cust, m0, cust.mark(), f(toneAgent), toneSam, toneCustomer))

	// Talk: alice hears sam; the customer does not, and still hears alice.
	alice.watch(toneSam, true)
	at := mode(id, "talk")
	measure("listen → talk (alice hears sam)", alice, at)
	m0 = cust.mark()
	alice.hears("talk", f(toneCustomer, toneSam), toneAgent)
	sam.hears("talk", f(toneCustomer, toneAgent), toneSam)
	checks = append(checks, hears("talk", cust, m0, cust.mark(), f(toneAgent), toneSam, toneCustomer))

	// Released: back to listening.
	alice.watch(toneSam, false)
	at = mode(id, "listen")
	measure("talk → listen (alice stops hearing sam)", alice, at)
	m0 = cust.mark()
	alice.hears("talk released", f(toneCustomer), toneSam)
	checks = append(checks, hears("talk released", cust, m0, cust.mark(), f(toneAgent), toneSam))

	// Close: sam's page is hung up; customer and alice go on alone.
	if code := samC.do("DELETE", "/api/v1/assists/"+id, nil, nil); code != 204 {
		t.Fatalf("close: %d", code)
	}
	r.gone(id)
	sam.state("standby")
	m0 = cust.mark()
	alice.hears("after close", f(toneCustomer), toneSam, toneAgent)
	checks = append(checks, hears("after close", cust, m0, cust.mark(), f(toneAgent), toneSam, toneCustomer))

	// After Close the help icon stays green: Assist returns it to blue,
	// and Assist again starts a second assist.
	var cleared struct{ Cleared bool }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &cleared); code != 200 || !cleared.Cleared {
		t.Fatalf("Assist after Close: %d %+v, want the green icon cleared", code, cleared)
	}

	// The second assist is taken over: at once sam and the customer talk;
	// alice's leg is released and she goes to After Call Work.
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
		t.Fatalf("sam assists alice again: %d", code)
	}
	id = started.Session.ID
	sam.state("ringing")
	sam.b.Click("#answer")
	sam.state("on_call")
	r.session("sam", assist.Listen)
	sam.hears("listen again", f(toneCustomer, toneAgent), toneSam)
	sam.watch(toneAgent, false)
	takeAt := cust.mark()
	at = mode(id, "takeover")
	measure("listen → take over (sam stops hearing alice)", sam, at)
	alice.state("acw")
	waitFor(t, browserWait, "alice in After Call Work", func() bool { return agentState(r.a, "alice") == acd.ACW })
	m0 = cust.mark()
	sam.hears("take over", f(toneCustomer), toneAgent, toneSam)
	checks = append(checks, hears("take over", cust, m0, cust.mark(), f(toneSam), toneAgent, toneCustomer))
	if c, err := r.a.Engine().Call(started.Session.Call); err != nil || len(c.Handlers) != 2 || c.Handlers[1] != "sam" {
		t.Fatalf("the call after the take-over: %+v, %v; want handlers alice, sam", c, err)
	}

	// Close after a take-over ends the call.
	if code := samC.do("DELETE", "/api/v1/assists/"+id, nil, nil); code != 204 {
		t.Fatalf("close after take-over: %d", code)
	}
	waitFor(t, browserWait, "the call to end", func() bool { return r.a.sip.ActiveCalls() == 0 && len(r.a.Engine().Calls()) == 0 })
	sam.state("standby")
	recorded(t, cust)
	for _, c := range checks {
		c.run(t)
	}
	if d, ok := latency(t, takeAt, toneSam, true); ok {
		lat["listen → take over (customer hears sam, baresip)"] = d
	} else {
		t.Errorf("take over: sam's tone never showed in the customer's recording")
	}
	for name, d := range lat {
		t.Logf("mode change %s: %d ms after the API call", name, d.Milliseconds())
	}
	t.Logf("(a Chromium figure includes the page's jitter buffer and the analyser's 170 ms window; the baresip one is read from its recording)")
	for _, p := range []*webParty{alice, sam} {
		for _, e := range p.b.Errors() {
			t.Errorf("%s's page error: %s", p.name, e)
		}
	}
}
