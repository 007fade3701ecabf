package pages_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/pages"
	"github.com/earshot/earshot/internal/softphone/phonetest"
	"github.com/earshot/earshot/internal/tonecheck"
)

// Let Listen In from a colleague's /phone, in one Chromium with two tabs:
// alice (1000 Hz microphone) takes a customer's call (440 Hz) and lets
// colleagues listen; carol, who has the listen-in permission, sees alice
// on her Listen in card, listens from her own page and hears both; alice
// turns Let Listen In off and carol's card says her listen-in ended. bob,
// without the permission, sees no card and the API refuses him.
func TestPhonePageListenIn(t *testing.T) {
	mic := filepath.Join(t.TempDir(), "mic-1000.wav")
	if err := tonecheck.WriteTone(mic, agentTone, 48000, 120, tonecheck.PCM16); err != nil {
		t.Fatal(err)
	}
	shots := screenshots(t)
	r := phonetest.Start(t, phonetest.Options{Pages: pages.FS(), Agents: []string{"alice", "carol", "bob"}, WrapUp: 5 * time.Minute})
	r.RouteCalls()
	cfg := r.Engine.Config().Clone()
	for i := range cfg.Users {
		if cfg.Users[i].Name == "carol" {
			cfg.Users[i].ListenIn = true
		}
	}
	if err := r.Engine.Reconfigure(cfg, "admin", "carol may listen in"); err != nil {
		t.Fatal(err)
	}

	alice := browsertest.Start(t, browsertest.Options{FakeMicWAV: mic})
	carol := alice.NewTab()
	phoneIn := func(b *browsertest.Browser, user string) {
		t.Helper()
		b.Open(r.URL + "/phone?as=" + user) // this tab's own user: the other tab's sign-in is not taken
		signIn(t, b, user)
		b.WaitVisible("#phone-view")
		b.WaitTrue(wait, user+"'s audio connected", `earshotTest.audio() === 'connected'`)
	}

	// alice: tones are not speech, so no noise suppression; Available.
	phoneIn(alice, "alice")
	alice.Click("#cleanup")
	alice.WaitTrue(wait, "microphone reopened", `document.getElementById('mic-text').textContent === 'Microphone ready'`)
	alice.Click("#go-available")
	alice.WaitTrue(wait, "alice available", `earshotTest.state() === 'available'`)
	var hidden bool
	alice.Eval(`document.getElementById('colleagues-card').hidden`, &hidden)
	if !hidden {
		t.Fatal("alice has no listen-in permission, yet her page shows the Listen in card")
	}

	// carol: the card, with nobody to listen to yet.
	phoneIn(carol, "carol")
	carol.WaitTrue(wait, "card shown, empty", `!document.getElementById('colleagues-card').hidden && !document.getElementById('colleagues-empty').hidden && earshotTest.listenable().length === 0`)

	// A customer calls alice, who answers: she does not let colleagues
	// listen yet, so carol's card stays empty.
	cust := r.Call("+15550142", customerTone)
	alice.WaitTrue(wait, "alice ringing", `earshotTest.state() === 'ringing'`)
	alice.Click("#answer")
	cust.WaitAnswered(wait)
	alice.WaitTrue(wait, "alice on the call", `earshotTest.state() === 'on_call'`)
	phonetest.Eventually(t, wait, "customer hears alice", func() bool { return cust.Ear.Level(agentTone) > loud })
	var listed []string
	carol.Eval(`earshotTest.listenable()`, &listed)
	if len(listed) != 0 {
		t.Fatalf("carol's card lists %v while alice does not let colleagues listen", listed)
	}

	// alice lets colleagues listen: carol's card lists her, on her call.
	alice.Click(`input[name="listen"][value="all"]`)
	phonetest.Eventually(t, wait, "engine: alice lets colleagues listen", func() bool { v, _ := r.Engine.Agent("alice"); return v.ListenIn == acd.ListenAll })
	carol.WaitTrue(wait, "alice listed", `earshotTest.listenable().join() === 'alice'`)
	mate := `#colleagues-list .mate[data-agent="alice"]`
	carol.WaitTrue(wait, "alice's row says her call", fmt.Sprintf(`document.querySelector('%s .mate-name').textContent === 'Alice Johnson' && /^On a call · %s · \d+:\d\d$/.test(document.querySelector('%s .mate-meta').textContent)`, mate, phonetest.Queue, mate))
	carol.WaitTrue(wait, "Listen offered", fmt.Sprintf(`(() => { const b = document.querySelector('%s .mate-action'); return b.textContent === 'Listen' && !b.disabled; })()`, mate))
	carol.Eval(`document.getElementById('colleagues-card').scrollIntoView({block: 'end'})`, nil)
	carol.Screenshot(filepath.Join(shots, "phone-listen-in-list.png"))

	// carol listens: her own page is rung and answers by itself; she
	// hears the customer and alice.
	carol.Click(mate + " .mate-action")
	var id string
	phonetest.Eventually(t, wait, "desk: carol listening to alice", func() bool {
		for _, s := range r.Desk.Sessions() {
			if s.Kind == assist.KindListen && s.User == "carol" && s.Agent == "alice" && s.Mode == assist.Listen && s.Endpoint.Kind == assist.EndpointWeb {
				id = s.ID
				return true
			}
		}
		return false
	})
	carol.WaitTrue(wait, "card says listening", `document.getElementById('colleagues-status').textContent === "Listening in on Alice Johnson's call. Nobody hears you." && document.querySelector('`+mate+`').dataset.mode === 'listen'`)
	carol.WaitTrue(wait, "call card: listening, Stop listening", `earshotTest.state() === 'on_call' && document.getElementById('badge-text').textContent === 'Listening in' && document.getElementById('state-time').textContent === '' && document.getElementById('call-kind').textContent.startsWith('Listening to') && document.getElementById('hangup-text').textContent === 'Stop listening' && document.getElementById('mute').hidden`)
	carol.WaitTrue(wait, "whose call, not the customer's number", `document.getElementById('call-caller').textContent === "Alice Johnson's call" && !document.body.innerText.includes('+15550142')`)
	var got struct {
		Colleagues []struct {
			Name    string
			Session *struct{ ID, Mode string }
		}
	}
	carol.Eval(`import('/shared/api.js').then((m) => m.api('GET', '/api/v1/me/listenable'))`, &got)
	if len(got.Colleagues) != 1 || got.Colleagues[0].Session == nil || got.Colleagues[0].Session.ID != id || got.Colleagues[0].Session.Mode != "listen" {
		t.Fatalf("GET /api/v1/me/listenable as carol: %+v, want alice with session %s listening", got, id)
	}
	var levels [2]float64
	phonetest.Eventually(t, wait, "carol hears the customer and alice", func() bool {
		carol.Eval(fmt.Sprintf(`[earshotTest.remoteLevel(%v), earshotTest.remoteLevel(%v)]`, customerTone, agentTone), &levels)
		return levels[0] > loud && levels[1] > loud
	})
	t.Logf("carol hears %.1f dBFS at 440 Hz (customer), %.1f at 1000 Hz (alice)", levels[0], levels[1])
	carol.Screenshot(filepath.Join(shots, "phone-listening-in.png"))
	carol.Resize(390, 844)
	carol.Screenshot(filepath.Join(shots, "phone-listening-in-narrow.png"))
	carol.Resize(1280, 800)

	// alice turns Let Listen In off: carol's listen-in ends at once, and
	// her card says so; alice's call goes on.
	alice.Click(`input[name="listen"][value="off"]`)
	phonetest.Eventually(t, wait, "desk: carol's listen-in over", func() bool { _, err := r.Desk.Session(id); return err != nil })
	carol.WaitTrue(wait, "card says it ended", `(() => { const s = document.getElementById('colleagues-status'); return !s.hidden && s.dataset.reason === 'listen-in turned off' && s.textContent === 'Alice Johnson turned Let Listen In off, so your listen-in has ended.'; })()`)
	carol.WaitTrue(wait, "carol's call card idle, alice gone from the list", `earshotTest.state() !== 'on_call' && earshotTest.listenable().length === 0`)
	carol.WaitTrue(wait, "no generic call-ended notice", `document.querySelectorAll('#notices .notice').length === 0`)
	if v, _ := r.Engine.Agent("alice"); v.State != acd.OnCall {
		t.Fatalf("alice is %s after turning Let Listen In off, want on_call", v.State)
	}
	carol.Eval(`document.getElementById('colleagues-card').scrollIntoView({block: 'end'})`, nil)
	carol.Screenshot(filepath.Join(shots, "phone-listen-in-ended.png"))

	// bob has no permission: the API refuses him, and his page has no card.
	alice.Click(`input[name="listen"][value="all"]`)
	phonetest.Eventually(t, wait, "alice lets colleagues listen again", func() bool { v, _ := r.Engine.Agent("alice"); return v.ListenIn == acd.ListenAll })
	bob := apiLogin(t, r.URL, "bob")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/me/listenable", ""},
		{"POST", "/api/v1/me/listens", `{"agent":"alice"}`},
		{"POST", "/api/v1/agents/alice/listen", ""},
	} {
		if code := bob.do(c.method, c.path, c.body); code != http.StatusForbidden {
			t.Fatalf("bob %s %s: %d, want 403", c.method, c.path, code)
		}
	}
	if n := len(r.Desk.Sessions()); n != 0 {
		t.Fatalf("refusals left %d sessions", n)
	}
	carol.Click("#signout")
	carol.WaitVisible("#login-form")
	phoneIn(carol, "bob")
	carol.Eval(`document.getElementById('colleagues-card').hidden`, &hidden)
	if !hidden {
		t.Fatal("bob's page shows the Listen in card")
	}

	for _, b := range []*browsertest.Browser{alice, carol} {
		for _, e := range b.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
}

// apiClient is a user logged in over the API, as a script would be.
type apiClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func apiLogin(t *testing.T, base, user string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &apiClient{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	var out struct{ CSRF string }
	if code := c.doInto("POST", "/api/v1/login", fmt.Sprintf(`{"user":%q,"password":%q}`, user, phonetest.Password), &out); code != http.StatusOK {
		t.Fatalf("log in %s: %d", user, code)
	}
	c.csrf = out.CSRF
	return c
}

// do sends body (JSON, or nothing when empty) and returns the status.
func (c *apiClient) do(method, path, body string) int { return c.doInto(method, path, body, nil) }

func (c *apiClient) doInto(method, path, body string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader([]byte(body)))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}
