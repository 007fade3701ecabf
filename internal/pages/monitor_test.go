package pages_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/pages"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

// team is the monitor test's agents, with the names the rig gives them.
var team = []string{"alice", "bob", "carol", "dan", "erin", "farid", "grace", "hugo", "ines", "jon", "kate", "leo", "mia", "nora", "omar"}

// allowed is the only kind of number the test dial plan lets earshot ring.
const allowed = "+1555XXXXXXX"

// monitorRig is a rig with the monitor's team, and calls placed on the
// engine alone (no customer audio): the monitor needs none.
type monitorRig struct {
	*phonetest.Rig
	t     testing.TB
	mu    sync.Mutex // guards calls
	calls int
}

func startMonitorRig(t testing.TB, agents []string) *monitorRig {
	return startMonitorRigClock(t, agents, clock.Real{})
}

// startMonitorRigClock is startMonitorRig with the control plane on clk.
func startMonitorRigClock(t testing.TB, agents []string, clk clock.Clock) *monitorRig {
	r := phonetest.Start(t, phonetest.Options{
		Clock:       clk,
		Pages:       pages.FS(),
		Agents:      agents,
		Supervisors: []string{"sue"},
		WrapUp:      time.Hour,
		RingTime:    time.Hour,
		DialPlan:    config.DialPlan{Allow: []string{allowed}},
	})
	r.RouteAssists()
	return &monitorRig{Rig: r, t: t}
}

// state puts agent in st (available, not_ready with reason, offline).
func (m *monitorRig) state(agent string, st acd.State, reason string) {
	m.t.Helper()
	if err := m.Engine.SetState(agent, st, reason, ""); err != nil {
		m.t.Fatalf("%s → %s: %v", agent, st, err)
	}
}

// onCall gives agent a routed call from caller and answers it: agent must
// be the only one available.
func (m *monitorRig) onCall(agent, caller string) string {
	m.t.Helper()
	m.mu.Lock()
	m.calls++
	id := fmt.Sprintf("mc-%d", m.calls)
	m.mu.Unlock()
	if v, _ := m.Engine.Agent(agent); v.State != acd.Available {
		m.state(agent, acd.Available, "")
	}
	if _, err := m.Engine.Arrive(acd.Inbound{ID: id, DID: phonetest.DID, Caller: caller}); err != nil {
		m.t.Fatal(err)
	}
	cv, err := m.Engine.Call(id)
	if err != nil || len(cv.Agents) != 1 || cv.Agents[0] != agent {
		m.t.Fatalf("call %s offered to %v, want %s (%v)", id, cv.Agents, agent, err)
	}
	if err := m.Engine.Answer(id, agent); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// handled runs one short call through agent, for today's figures, and
// leaves them Not Ready so that the next call goes where it is placed.
func (m *monitorRig) handled(agent, caller string) {
	m.t.Helper()
	id := m.onCall(agent, caller)
	if err := m.Engine.Hangup(id, agent); err != nil {
		m.t.Fatal(err)
	}
	m.state(agent, acd.NotReady, "Meeting")
}

// sessionEvents collects the assist.mode events of the bus.
type sessionEvents struct {
	mu  sync.Mutex // guards evs
	evs []events.Event
}

func watchSessions(t *testing.T, r *phonetest.Rig) *sessionEvents {
	s := &sessionEvents{}
	sub := r.Bus.Subscribe(4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C {
			if e.Kind == events.AssistMode {
				s.mu.Lock()
				s.evs = append(s.evs, e)
				s.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		sub.Close()
		<-done
	})
	return s
}

// modes are the modes session id went through, in order.
func (s *sessionEvents) modes(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.evs {
		if e.Detail == id {
			out = append(out, e.State)
		}
	}
	return out
}

func signIn(t testing.TB, b *browsertest.Browser, user string) {
	t.Helper()
	b.WaitVisible("#login-form")
	b.Type("#login-user", user)
	b.Type("#login-password", phonetest.Password)
	b.Click("#login-submit")
}

// openMonitorOnPhone opens /monitor at base as sam, with his assist
// audio on the phone number +1 (555) 010-0100.
func openMonitorOnPhone(t testing.TB, b *browsertest.Browser, base string) {
	t.Helper()
	b.Open(base + "/monitor")
	signIn(t, b, "sam")
	b.WaitVisible("#signin-form")
	b.Click("#signin-phone")
	b.Type("#signin-target", "+1 (555) 010-0100")
	b.Click("#signin-submit")
	b.WaitVisible("#monitor-view")
}

// The monitor end to end, with the real control plane, assist desk, web
// edge and web phones: sign-in both ways, live rows, sort and filter, a
// help request from pop-up to assist, the assist panel in every mode with
// Talk held by pointer and by space bar, the row menu's state changes, an
// assist ended by the customer, and the history.
func TestMonitorPage(t *testing.T) {
	shots := screenshots(t)
	m := startMonitorRig(t, team)
	watch := watchSessions(t, m.Rig)
	b := browsertest.Start(t, browsertest.Options{Width: 1440, Height: 900})
	// settle waits until the page has drawn what it was given: rows off
	// screen are not rendered, and cannot be clicked, until then.
	settle := func() {
		t.Helper()
		b.Eval(`(earshotTest.flush(), earshotTest.settled())`, nil)
	}
	shot := func(name string) {
		t.Helper()
		settle()
		b.Screenshot(filepath.Join(shots, name+".png"))
	}
	// click clicks a control of the page once the page has drawn.
	click := func(sel string) {
		t.Helper()
		settle()
		b.Click(sel)
	}
	js := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	eng := m.Engine

	// A morning so far: calls handled, people on calls, breaks.
	m.handled("dan", "+15550100")
	m.handled("dan", "+15550101")
	m.handled("erin", "+15550102")
	m.onCall("alice", "+15550142")
	m.onCall("erin", "+15550177")
	m.onCall("grace", "+15550190")
	m.state("farid", acd.NotReady, "Lunch")
	m.state("hugo", acd.NotReady, "Training")
	for _, a := range []string{"carol", "dan", "ines", "kate", "mia"} {
		if v, _ := eng.Agent(a); v.State != acd.Available {
			m.state(a, acd.Available, "")
		}
	}

	// Sign in as a supervisor, then choose where assist audio goes.
	b.Open(m.URL + "/monitor")
	signIn(t, b, "sam")
	b.WaitVisible("#signin-form")
	shot("monitor-signin")

	// The web client, while sam's web phone is not signed in: the monitor
	// says so and offers to open it.
	click("#signin-submit")
	b.WaitTrue(wait, "web client refused in words", `document.getElementById('signin-error-text').textContent === 'Your web client is not signed in: open /phone first.'`)
	b.WaitTrue(wait, "offer to open /phone in a new tab", `(() => { const a = document.getElementById('open-phone'); return a.offsetParent !== null && a.getAttribute('href') === '/phone?as=sam' && a.target === '_blank'; })()`)
	shot("monitor-signin-no-web-client")

	// A phone number the dial plan forbids: the server's sentence.
	click("#signin-phone")
	b.Type("#signin-target", "+449001234567")
	click("#signin-submit")
	b.WaitTrue(wait, "forbidden number refused", `document.getElementById('signin-error-text').textContent.startsWith('Assist audio cannot go to that phone')`)
	b.WaitTrue(wait, "number marked invalid", `document.getElementById('signin-target').getAttribute('aria-invalid') === 'true'`)
	var said string
	b.Eval(`document.getElementById('signin-error-text').textContent`, &said)
	t.Logf("forbidden number: %q", said)
	shot("monitor-signin-forbidden")

	// sam's web phone signs in (another tab, here a Go page): the web
	// client is accepted.
	phone := m.Open("sam")
	phone.Connect(1700)
	phonetest.Eventually(t, wait, "sam's web phone connected", func() bool { return m.Phones.Connected("sam") })
	click("#signin-web")
	click("#signin-submit")
	b.WaitVisible("#monitor-view")
	b.WaitTrue(wait, "audio chip says web client", `document.getElementById('audio-chip-text').textContent === 'Web client'`)
	if ep, ok := m.Desk.Endpoint("sam"); !ok || ep.Kind != assist.EndpointWeb {
		t.Fatalf("desk endpoint %+v %v, want web", ep, ok)
	}

	// One row per agent of sam's team, live.
	b.WaitTrue(wait, "every agent shown", js(`earshotTest.shownAgents().length === %d`, len(team)))
	rowText := func(agent, cell string) string {
		return js(`(document.querySelector('tr[data-agent=%q] %s') || {}).textContent`, agent, cell)
	}
	b.WaitTrue(wait, "alice on call with the caller", rowText("alice", ".caller")+` === '+15550142' && `+rowText("alice", ".state-text")+` === 'On Call'`)
	b.WaitTrue(wait, "farid not ready for lunch", rowText("farid", ".state-text")+` === 'Not Ready' && `+rowText("farid", ".state-reason")+` === 'Lunch'`)
	b.WaitTrue(wait, "dan handled two calls", js(`document.querySelector('tr[data-agent="dan"]').cells[8].textContent === '2'`))
	b.Eval(`earshotTest.settled()`, nil) // the overview pictures are TestMonitorPageFloor's

	// Rows follow the engine.
	m.state("bob", acd.Available, "")
	b.WaitTrue(wait, "bob available", rowText("bob", ".state-text")+` === 'Available'`)
	m.state("bob", acd.NotReady, "Meeting")
	b.WaitTrue(wait, "bob in a meeting", rowText("bob", ".state-text")+` === 'Not Ready' && `+rowText("bob", ".state-reason")+` === 'Meeting'`)
	b.WaitTrue(wait, "time in state ticks", js(`/^\d+:\d\d$/.test(%s)`, rowText("bob", ".c-time")))

	// Sort: by name both ways, by state; aria-sort says which.
	var names []string
	b.Eval(`earshotTest.shownAgents()`, &names)
	if names[0] != "alice" || names[len(names)-1] != "omar" {
		t.Fatalf("by name: %v", names)
	}
	click(`th[data-key="name"] button`)
	b.WaitTrue(wait, "name descending", `earshotTest.shownAgents()[0] === 'omar' && document.querySelector('th[data-key="name"]').getAttribute('aria-sort') === 'descending'`)
	click(`th[data-key="state"] button`)
	b.WaitTrue(wait, "on-call agents first", `['alice','erin','grace'].every((a, i) => earshotTest.shownAgents()[i] === a) && document.querySelector('th[data-key="state"]').getAttribute('aria-sort') === 'ascending' && !document.querySelector('th[data-key="name"]').hasAttribute('aria-sort')`)
	// A row whose state changes moves to its place.
	m.state("carol", acd.NotReady, "Lunch")
	b.WaitTrue(wait, "carol not ready", rowText("carol", ".state-text")+` === 'Not Ready' && `+rowText("carol", ".state-reason")+` === 'Lunch'`)
	b.Eval(`earshotTest.shownAgents()`, &names)
	var states []string
	b.Eval(`earshotTest.shownAgents().map(a => document.querySelector('tr[data-agent="' + a + '"] .state').dataset.state)`, &states)
	order := map[string]int{"on_call": 0, "ringing": 1, "acw": 2, "not_ready": 3, "available": 4, "offline": 5}
	for i := 1; i < len(states); i++ {
		if order[states[i-1]] > order[states[i]] {
			t.Fatalf("by state: %v %v", names, states)
		}
	}
	click(`th[data-key="handled"] button`)
	b.WaitTrue(wait, "most calls first", `earshotTest.shownAgents()[0] === 'dan' && document.querySelector('th[data-key="handled"]').getAttribute('aria-sort') === 'descending'`)
	click(`th[data-key="name"] button`)

	// Filter by name, by state words, by team.
	b.Type("#filter", "not ready")
	b.WaitTrue(wait, "filtered by state", `earshotTest.shownAgents().join() === 'bob,carol,farid,hugo'`)
	b.WaitTrue(wait, "count says so", fmt.Sprintf(`document.getElementById('row-count').textContent === 'Showing 4 of %d agents'`, len(team)))
	b.Eval(`(() => { const f = document.getElementById('filter'); f.value = 'ali'; f.dispatchEvent(new Event('input')); })()`, nil)
	b.WaitTrue(wait, "filtered by name", `earshotTest.shownAgents().join() === 'alice'`)
	b.Eval(`(() => { const f = document.getElementById('filter'); f.value = 'zzz'; f.dispatchEvent(new Event('input')); })()`, nil)
	b.WaitTrue(wait, "nothing matches, in words", `!document.getElementById('empty').hidden && document.getElementById('empty-title').textContent === 'No agents match'`)
	b.Eval(`(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); const s = document.getElementById('team-filter'); s.value = 'team'; s.dispatchEvent(new Event('change')); })()`, nil)
	b.WaitTrue(wait, "team filter", js(`earshotTest.shownAgents().length === %d`, len(team)))

	// Assist is greyed out, with the server's reason, for an agent who is
	// not on a routed call.
	click(`tr[data-agent="bob"] .row-menu-btn`)
	b.WaitVisible("#row-menu")
	var items []struct {
		ID, Label, Title string
		Disabled         bool
	}
	b.Eval(`earshotTest.menuItems()`, &items)
	av := m.Desk.Availability("bob")
	if av.Allowed || items[0].ID != "assist" || !items[0].Disabled || items[0].Title != av.Why+"." {
		t.Fatalf("bob's Assist: %+v, availability %+v", items[0], av)
	}
	b.WaitTrue(wait, "focus on the first item", `document.activeElement.closest('#row-menu') !== null`)
	shot("monitor-menu-assist-greyed")
	b.Eval(`document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))`, nil)
	b.WaitTrue(wait, "menu closed, focus back on its button", `document.getElementById('row-menu').hidden && document.activeElement === document.querySelector('tr[data-agent="bob"] .row-menu-btn')`)

	// Help: alice asks from her own /phone, in another tab: her icon turns
	// red; a pop-up on every monitor, and her row flashes.
	agentTab := b.NewTab()
	agentTab.Open(m.URL + "/phone?as=alice") // her own sign-in, beside sam's
	signIn(t, agentTab, "alice")
	agentTab.WaitTrue(wait, "alice's phone shows her call", `earshotTest.state() === 'on_call'`)
	helpOnPhone := func(what, help, words, desc string) {
		t.Helper()
		agentTab.WaitTrue(wait, "alice's phone: "+what, js(`document.getElementById('help').dataset.help === %q && document.getElementById('help-text').textContent === %q && document.getElementById('help-desc').textContent.startsWith(%q)`, help, words, desc))
	}
	helpOnPhone("ask for help", "none", "Ask for help", "Alerts the supervisors")
	agentTab.Click("#help")
	helpOnPhone("red", "requested", "Help requested", "Your supervisors have been alerted.")
	b.WaitTrue(wait, "help pop-up", `earshotTest.toasts().join() === 'alice' && document.querySelector('.toast[data-agent="alice"] .toast-name').textContent === 'Alice Johnson'`)
	b.WaitTrue(wait, "row flashes red, with words", `document.querySelector('tr[data-agent="alice"]').classList.contains('flash') && `+rowText("alice", ".help-text")+` === 'Help requested'`)
	b.WaitTrue(wait, "summary counts the request", `document.getElementById('sum-help').textContent === '1'`)
	// A request from an agent not on a call: shown, but Assist greyed.
	m.state("kate", acd.NotReady, "Training")
	if err := eng.RequestHelp("kate"); err != nil {
		t.Fatal(err)
	}
	b.WaitTrue(wait, "kate's pop-up with why", `document.querySelector('.toast[data-agent="kate"] .toast-assist').getAttribute('aria-disabled') === 'true' && !document.querySelector('.toast[data-agent="kate"] .toast-why').hidden`)
	b.WaitTrue(wait, "pop-ups in place", `[...document.querySelectorAll('.toast')].every(t => t.getAnimations().every(a => a.playState === 'finished'))`)
	shot("monitor-help-request")
	// kate cancels: her pop-up closes.
	if err := eng.CancelHelp("kate"); err != nil {
		t.Fatal(err)
	}
	b.WaitTrue(wait, "cancelled pop-up closes", `earshotTest.toasts().join() === 'alice'`)

	// Assist from the pop-up: the web client rings, the pop-up closes.
	click(`.toast[data-agent="alice"] .toast-assist`)
	b.WaitTrue(wait, "panel ringing", `earshotTest.session() && earshotTest.session().mode === 'ringing' && !document.getElementById('assist-panel').hidden`)
	b.WaitTrue(wait, "pop-up gone once assisting", `earshotTest.toasts().length === 0 && !document.querySelector('tr[data-agent="alice"]').classList.contains('flash')`)
	b.WaitTrue(wait, "help icon green, with words", rowText("alice", ".help-text")+` === 'Being assisted' && `+rowText("alice", ".c-by")+` === 'You'`)
	b.WaitTrue(wait, "ringing words", `document.getElementById('assist-status').textContent.startsWith('Ringing your web client')`)
	b.WaitTrue(wait, "talk unavailable while ringing", `document.getElementById('assist-talk').disabled`)
	shot("monitor-assist-ringing")
	var id string
	b.Eval(`earshotTest.session().id`, &id)
	ring := phone.Next("call.ringing", wait)
	if ring.Str("kind") != "assist" || ring.Str("agent") != "alice" {
		t.Fatalf("sam's web phone rang with %v", ring)
	}
	phone.Send(map[string]string{"type": "call.answer", "call": ring.Str("call")})
	b.WaitTrue(wait, "listening", `earshotTest.session().mode === 'listen' && document.getElementById('assist-listen').getAttribute('aria-pressed') === 'true'`)
	shot("monitor-assist-listen")
	// alice's phone: green, saying who is with her.
	helpOnPhone("green, with sam's name", "assisting", "Being assisted", "Sam Taylor is assisting you.")
	agentTab.WaitTrue(wait, "alice told assistance started", `[...document.querySelectorAll('#notices .notice')].some(n => n.textContent.startsWith('Assistance has started: Sam Taylor is with you on this call.'))`)

	// Talk, held by the pointer: talk while held, listen when let go.
	b.Eval(`document.getElementById('assist-talk').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, button: 0, pointerId: 1, isPrimary: true}))`, nil)
	b.WaitTrue(wait, "talk pressed", `document.getElementById('assist-talk').getAttribute('aria-pressed') === 'true'`)
	phonetest.Eventually(t, wait, "desk: talk", func() bool { s, _ := m.Desk.Session(id); return s.Mode == assist.Talk })
	b.WaitTrue(wait, "panel talking", `earshotTest.session().mode === 'talk' && document.getElementById('assist-mode').textContent === 'Talking'`)
	shot("monitor-assist-talk")
	b.Eval(`document.getElementById('assist-talk').dispatchEvent(new PointerEvent('pointerup', {bubbles: true, button: 0, pointerId: 1, isPrimary: true}))`, nil)
	phonetest.Eventually(t, wait, "desk: listen again", func() bool { s, _ := m.Desk.Session(id); return s.Mode == assist.Listen })
	b.WaitTrue(wait, "talk released", `document.getElementById('assist-talk').getAttribute('aria-pressed') === 'false' && earshotTest.session().mode === 'listen'`)

	// Talk by the space bar (real key events: down, then up).
	b.Type("#assist-talk", " ")
	phonetest.Eventually(t, wait, "talk then listen by the space bar", func() bool { return len(watch.modes(id)) >= 6 })
	if got := strings.Join(watch.modes(id), " "); got != "ringing listen talk listen talk listen" {
		t.Fatalf("modes: %s", got)
	}
	b.WaitTrue(wait, "listening after the space bar", `earshotTest.session().mode === 'listen' && document.getElementById('assist-talk').getAttribute('aria-pressed') === 'false'`)

	// Take over: the call is sam's; alice goes to After Call Work.
	click("#assist-takeover")
	b.WaitTrue(wait, "taken over", `earshotTest.session().mode === 'takeover' && document.getElementById('assist-close-text').textContent === 'End call'`)
	phonetest.Eventually(t, wait, "alice in ACW", func() bool { v, _ := eng.Agent("alice"); return v.State == acd.ACW })
	b.WaitTrue(wait, "alice's row in ACW", rowText("alice", ".state-text")+` === 'After Call Work'`)
	shot("monitor-assist-takeover")

	// End call: the session and the call end; alice's icon stays green.
	click("#assist-close")
	b.WaitTrue(wait, "panel gone", `document.getElementById('assist-panel').hidden && earshotTest.session() === null`)
	phonetest.Eventually(t, wait, "session over", func() bool { _, err := m.Desk.Session(id); return err != nil })
	helpOnPhone("still green after the session", "assisting", "Being assisted", "")

	// The row menu: End After Call Work, then Assist clears the green icon.
	click(`tr[data-agent="alice"] .row-menu-btn`)
	b.WaitVisible("#row-menu")
	b.Eval(`earshotTest.menuItems()`, &items)
	if items[0].Label != "Assist (clear help)" || items[0].Disabled {
		t.Fatalf("alice's first item after the session: %+v", items[0])
	}
	shot("monitor-menu-clear-help")
	click(`#row-menu [data-action="end-acw"]`)
	b.WaitTrue(wait, "end ACW dialog", `document.getElementById('state-dialog').open`)
	b.Type("#reason-text", "Wrap-up stuck")
	click("#state-confirm")
	phonetest.Eventually(t, wait, "alice available", func() bool { v, _ := eng.Agent("alice"); return v.State == acd.Available })
	b.WaitTrue(wait, "dialog closed", `!document.getElementById('state-dialog').open`)
	var ended struct{ State, Reason, Actor string }
	b.Eval(`import('/shared/api.js').then(m => m.api('GET', '/api/v1/history?agent=alice&kind=agent.state&limit=1')).then(o => o.events[0])`, &ended)
	if ended.State != "available" || ended.Reason != "Wrap-up stuck" || ended.Actor != "sam" {
		t.Fatalf("End After Call Work stored %+v, want available, reason and actor", ended)
	}
	click(`tr[data-agent="alice"] .row-menu-btn`)
	click(`#row-menu [data-action="assist"]`)
	phonetest.Eventually(t, wait, "alice's help back to blue", func() bool { v, _ := eng.Agent("alice"); return v.Help == acd.HelpNone })
	b.WaitTrue(wait, "row says so", rowText("alice", ".help-text")+` === '—'`)
	helpOnPhone("blue again", "none", "Ask for help", "")
	for _, e := range agentTab.Errors() {
		t.Errorf("alice's page error: %s", e)
	}

	// Make Not Ready with a reason of the supervisor's, stored with sam as
	// actor; then log out.
	click(`tr[data-agent="ines"] .row-menu-btn`)
	click(`#row-menu [data-action="not-ready"]`)
	b.WaitTrue(wait, "not ready dialog", `document.getElementById('state-dialog').open`)
	b.Eval(`(() => { const s = document.getElementById('reason-pick'); s.value = ''; s.dispatchEvent(new Event('change')); })()`, nil)
	b.Type("#reason-text", "Coaching session")
	shot("monitor-make-not-ready")
	click("#state-confirm")
	phonetest.Eventually(t, wait, "ines not ready", func() bool {
		v, _ := eng.Agent("ines")
		return v.State == acd.NotReady && v.Reason == "Coaching session"
	})
	click(`tr[data-agent="ines"] .row-menu-btn`)
	click(`#row-menu [data-action="logout"]`)
	b.Type("#reason-text", "End of shift")
	click("#state-confirm")
	phonetest.Eventually(t, wait, "ines logged out", func() bool { v, _ := eng.Agent("ines"); return v.State == acd.Offline })
	b.WaitTrue(wait, "ines offline in the table", rowText("ines", ".state-text")+` === 'Offline'`)

	// Another supervisor starts assisting a requester: the pop-up closes
	// on sam's monitor too.
	if err := eng.RequestHelp("erin"); err != nil {
		t.Fatal(err)
	}
	b.WaitTrue(wait, "erin's pop-up", `earshotTest.toasts().join() === 'erin'`)
	if _, err := m.Desk.SetEndpoint("sue", assist.Endpoint{Kind: assist.EndpointPhone, Target: "+15550009999"}); err != nil {
		t.Fatal(err)
	}
	res, err := m.Desk.Start("sue", "erin", assist.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	b.WaitTrue(wait, "pop-up closed for sam", `earshotTest.toasts().length === 0`)
	b.WaitTrue(wait, "sue shown assisting, by her display name", rowText("erin", ".c-by")+` === 'Sue Park'`)
	// sue's phone never answers: nobody helped erin, so her request is
	// open again: red, the row flashes and the pop-up is back.
	if err := m.Desk.RingFailed(res.Session.ID, "busy"); err != nil {
		t.Fatal(err)
	}
	b.WaitTrue(wait, "erin's pop-up again, saying why", `earshotTest.toasts().join() === 'erin' && `+
		`document.querySelector('.toast[data-agent="erin"] .toast-note').textContent === 'Sue Park could not be reached; the request is open again.'`)
	b.WaitTrue(wait, "pop-ups in place", `[...document.querySelectorAll('.toast')].every(t => t.getAnimations().every(a => a.playState === 'finished'))`)
	shot("monitor-help-reopened")
	b.WaitTrue(wait, "erin's row red again", `document.querySelector('tr[data-agent="erin"]').classList.contains('flash') && `+
		rowText("erin", ".help-text")+` === 'Help requested' && `+rowText("erin", ".c-by")+` === '—'`)
	click(`.toast[data-agent="erin"] .toast-close`)
	b.WaitTrue(wait, "pop-up dismissed", `earshotTest.toasts().length === 0`)
	// Clear help, from erin's row menu: the request closes unassisted.
	click(`tr[data-agent="erin"] .row-menu-btn`)
	b.WaitTrue(wait, "clear help offered", `earshotTest.menuItems().some(i => i.id === 'clear-help' && !i.disabled)`)
	click(`#row-menu [data-action="clear-help"]`)
	phonetest.Eventually(t, wait, "erin's help cleared", func() bool { v, _ := eng.Agent("erin"); return v.Help == acd.HelpNone })
	b.WaitTrue(wait, "erin's row calm", `!document.querySelector('tr[data-agent="erin"]').classList.contains('flash') && `+rowText("erin", ".help-text")+` === '—'`)

	// An assist the customer ends: the panel says so plainly.
	click(`tr[data-agent="grace"] .row-menu-btn`)
	click(`#row-menu [data-action="assist"]`)
	ring = phone.Next("call.ringing", wait)
	phone.Send(map[string]string{"type": "call.answer", "call": ring.Str("call")})
	b.WaitTrue(wait, "listening to grace", `earshotTest.session() && earshotTest.session().agent === 'grace' && earshotTest.session().mode === 'listen'`)
	cv, _ := eng.Agent("grace")
	if err := eng.Hangup(cv.Call, "customer"); err != nil {
		t.Fatal(err)
	}
	b.WaitTrue(wait, "ended notice", `document.getElementById('assist-panel').dataset.mode === 'ended' && document.getElementById('assist-status').textContent === "The customer hung up. The assist on Grace Liu's call has ended."`)
	shot("monitor-assist-ended")
	click("#assist-close")
	b.WaitTrue(wait, "notice dismissed", `document.getElementById('assist-panel').hidden`)

	// The history: each session, its modes and how it ended.
	click("#tab-history")
	b.WaitTrue(wait, "history rows", `document.querySelectorAll('#history-rows tr').length === 3`)
	var first []string
	b.Eval(`[...document.querySelector('#history-rows tr').cells].map(c => c.textContent)`, &first)
	if first[2] != "Grace Liu" || first[6] != "Customer hung up" {
		t.Fatalf("newest history row: %q", first)
	}
	var sues []string
	b.Eval(`[...document.querySelector('#history-rows tr[data-session="`+res.Session.ID+`"]').cells].map(c => c.textContent)`, &sues)
	if sues[1] != "Sue Park" || sues[2] != "Erin Walsh" || sues[6] != "Not reached: busy" {
		t.Fatalf("sue's session in the history, by display names: %q", sues)
	}
	var takeover []string
	b.Eval(`[...document.querySelector('#history-rows tr[data-session="`+id+`"]').cells].map(c => c.textContent)`, &takeover)
	if !strings.Contains(takeover[4], "Listen") || !strings.Contains(takeover[4], "Talk") || !strings.Contains(takeover[4], "Take over") || takeover[6] != "Closed by the supervisor" {
		t.Fatalf("the taken-over session in the history: %q", takeover)
	}
	shot("monitor-history")

	b.Resize(1280, 800)
	click("#tab-perf")
	b.WaitTrue(wait, "the table again at 1280 pixels", `!document.getElementById('monitor-view').hidden && earshotTest.shownAgents().length > 0`)

	for _, e := range b.Errors() {
		t.Errorf("page error: %s", e)
	}
}

// Assist audio on a phone: the number the dial plan allows is kept as it
// normalised it; an assist rings it, and unanswered it ends with a plain
// notice. Then listening in, for a supervisor with that permission, on an
// agent who lets colleagues listen.
func TestMonitorPhoneAudio(t *testing.T) {
	shots := screenshots(t)
	r := phonetest.Start(t, phonetest.Options{
		Pages:          pages.FS(),
		Agents:         []string{"alice", "bob"},
		AssistRingTime: time.Second,
		DialPlan:       config.DialPlan{Allow: []string{allowed}},
	})
	r.RouteAssists()
	m := &monitorRig{Rig: r, t: t}
	m.onCall("alice", "+15550142")

	b := browsertest.Start(t, browsertest.Options{Width: 1280, Height: 800})
	openMonitorOnPhone(t, b, r.URL)
	b.WaitTrue(wait, "the chip shows the number", `document.getElementById('audio-chip-text').textContent === '+15550100100'`)
	if ep, _ := r.Desk.Endpoint("sam"); ep.Kind != assist.EndpointPhone || ep.Target != "+15550100100" {
		t.Fatalf("desk endpoint %+v", ep)
	}
	b.WaitTrue(wait, "rows", `earshotTest.shownAgents().join() === 'alice,bob'`)

	// Assist rings the phone; nobody answers.
	b.Eval(`earshotTest.settled()`, nil)
	b.Click(`tr[data-agent="alice"] .row-menu-btn`)
	b.Click(`#row-menu [data-action="assist"]`)
	b.WaitTrue(wait, "ringing the phone", `document.getElementById('assist-status').textContent === 'Ringing your phone (+15550100100)… answer to start listening.'`)
	b.WaitTrue(wait, "not answered, in words", `document.getElementById('assist-panel').dataset.mode === 'ended' && document.getElementById('assist-status').textContent === "Your phone was not answered within 1 second, so the assist on Alice Johnson's call did not start."`)
	b.Eval(`earshotTest.settled()`, nil)
	b.Screenshot(filepath.Join(shots, "monitor-assist-no-answer.png"))
	b.Click("#assist-close")
	b.WaitTrue(wait, "notice dismissed", `document.getElementById('assist-panel').hidden`)

	// Listen in: greyed while alice does not allow it, then allowed.
	b.Eval(`earshotTest.settled()`, nil)
	b.Click(`tr[data-agent="alice"] .row-menu-btn`)
	b.WaitTrue(wait, "listen in greyed", `earshotTest.menuItems().some(i => i.id === 'listen' && i.disabled && i.title === 'Alice Johnson does not let colleagues listen in.')`)
	b.Eval(`document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))`, nil)
	if err := r.Engine.SetListenIn("alice", acd.ListenAll); err != nil {
		t.Fatal(err)
	}
	b.Eval(`earshotTest.settled()`, nil)
	b.Click(`tr[data-agent="alice"] .row-menu-btn`)
	b.WaitTrue(wait, "listen in allowed", `earshotTest.menuItems().some(i => i.id === 'listen' && !i.disabled)`)
	b.Click(`#row-menu [data-action="listen"]`)
	b.WaitTrue(wait, "listen in ringing", `earshotTest.session() && earshotTest.session().kind === 'listen' && document.getElementById('assist-title').textContent === 'Listen in'`)
	var id string
	b.Eval(`earshotTest.session().id`, &id)
	if err := r.Desk.Answered(id); err != nil { // the phone answers
		t.Fatal(err)
	}
	b.WaitTrue(wait, "listening in", `document.getElementById('assist-status').textContent === "Listening in on Alice Johnson's call." && document.getElementById('assist-controls').hidden`)
	b.Eval(`earshotTest.settled()`, nil)
	b.Screenshot(filepath.Join(shots, "monitor-listen-in.png"))
	b.Click("#assist-close")
	phonetest.Eventually(t, wait, "listen-in over", func() bool { _, err := r.Desk.Session(id); return err != nil })
	b.WaitTrue(wait, "panel gone", `document.getElementById('assist-panel').hidden`)

	for _, e := range b.Errors() {
		t.Errorf("page error: %s", e)
	}
}
