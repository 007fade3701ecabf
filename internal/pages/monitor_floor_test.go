package pages_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/clock"
)

// floor is a contact-centre floor of 40 agents: the monitor test's team
// and more, with display names for the ones the rig does not name.
var floor = append(append([]string{}, team...), []string{
	"paula", "quinn", "rosa", "sami", "tariq", "uma", "victor", "wendy", "xavier", "yara",
	"zoe", "amir", "beatriz", "chen", "dmitri", "elena", "felix", "gita", "henrik", "isla",
	"jamal", "kenji", "lucia", "marek", "noor",
}...)

var floorNames = map[string]string{
	"paula": "Paula Reyes", "quinn": "Quinn Harper", "rosa": "Rosa Delgado", "sami": "Sami Virtanen",
	"tariq": "Tariq Aziz", "uma": "Uma Patel", "victor": "Victor Hugo Lima", "wendy": "Wendy Clarke",
	"xavier": "Xavier Dubois", "yara": "Yara Haddad", "zoe": "Zoë Fischer", "amir": "Amir Karimi",
	"beatriz": "Beatriz Santos", "chen": "Chen Wei", "dmitri": "Dmitri Volkov", "elena": "Elena Popescu",
	"felix": "Felix Braun", "gita": "Gita Sharma", "henrik": "Henrik Nilsson", "isla": "Isla MacLeod",
	"jamal": "Jamal Bakr", "kenji": "Kenji Watanabe", "lucia": "Lucía Romero", "marek": "Marek Nowak",
	"noor": "Noor Hassan",
}

// The monitor as a supervisor sees a busy floor: 40 agents on calls, in
// After Call Work, on breaks, available and signed out, with one asking
// for help. It checks the rows and takes the monitor's overview pictures
// at 1440 and 1280 pixels.
func TestMonitorPageFloor(t *testing.T) {
	shots := screenshots(t)
	// The control plane's clock starts the morning three hours ago and is
	// moved on between steps, so calls last minutes and every agent has
	// been in their state for a time of their own; a fixed seed keeps the
	// pictures the same from run to run.
	clk := clock.NewShifted(2*time.Hour + 52*time.Minute)
	rnd := rand.New(rand.NewPCG(7, 40))
	later := func(lo, hi time.Duration) { clk.Advance(lo + time.Duration(rnd.Int64N(int64(hi-lo)))) }
	m := startMonitorRigClock(t, floor, clk)
	// ready makes agent Available for a while, as before a call comes.
	ready := func(agent string) {
		m.state(agent, acd.Available, "")
		later(20*time.Second, 2*time.Minute)
	}
	cfg := m.Engine.Config().Clone()
	for i := range cfg.Users {
		if d, ok := floorNames[cfg.Users[i].Name]; ok {
			cfg.Users[i].Display = d
		}
	}
	if err := m.Engine.Reconfigure(cfg, "admin", "display names"); err != nil {
		t.Fatal(err)
	}

	// The morning so far: calls handled (each agent is left in a
	// meeting), then calls in wrap-up, calls going on, breaks, people
	// ready and people not signed in yet.
	caller := 100
	next := func() string { caller += 37; return fmt.Sprintf("+1555014%04d", caller) }
	for i, a := range []string{"dan", "erin", "paula", "quinn", "chen", "kenji", "alice", "grace", "tariq", "noor", "uma", "felix"} {
		for range 1 + i%3 {
			ready(a)
			id := m.onCall(a, next())
			later(2*time.Minute, 6*time.Minute)
			if err := m.Engine.Hangup(id, a); err != nil {
				t.Fatal(err)
			}
			later(10*time.Second, 40*time.Second)
			m.state(a, acd.NotReady, "Meeting")
		}
	}
	for _, a := range []string{"rosa", "victor", "gita", "marek"} {
		id := m.onCall(a, next())
		later(time.Minute, 3*time.Minute)
		if err := m.Engine.Hangup(id, "customer"); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct{ name, why string }{{"farid", "Lunch"}, {"hugo", "Training"}, {"beatriz", "Lunch"}, {"isla", "Training"}, {"xavier", "Lunch"}} {
		m.state(a.name, acd.NotReady, a.why)
		later(30*time.Second, 3*time.Minute)
	}
	onCall := []string{"alice", "erin", "grace", "jon", "leo", "paula", "sami", "uma", "wendy", "yara", "amir", "chen", "elena", "henrik", "kenji", "lucia"}
	for _, a := range onCall {
		ready(a)
		m.onCall(a, next())
		later(20*time.Second, 80*time.Second)
	}
	for _, a := range []string{"carol", "dan", "ines", "kate", "mia", "quinn", "tariq", "zoe", "noor"} {
		m.state(a, acd.Available, "")
		later(5*time.Second, 40*time.Second)
	}
	t.Logf("the morning ends %v ago", time.Since(clk.Now()).Round(time.Second))
	clk.Advance(3 * time.Hour) // now, whatever is left of the morning
	// Left signed out: bob, nora, omar, dmitri, jamal.
	if err := m.Engine.RequestHelp("wendy"); err != nil {
		t.Fatal(err)
	}

	b := browsertest.Start(t, browsertest.Options{Width: 1440, Height: 900})
	openMonitorOnPhone(t, b, m.URL)
	b.WaitTrue(wait, "every agent shown", fmt.Sprintf(`earshotTest.shownAgents().length === %d`, len(floor)))
	b.WaitTrue(wait, "wendy's pop-up", `earshotTest.toasts().join() === 'wendy' && document.querySelector('tr[data-agent="wendy"]').classList.contains('flash')`)
	b.WaitTrue(wait, "pop-ups in place", `[...document.querySelectorAll('.toast')].every(t => t.getAnimations().every(a => a.playState === 'finished'))`)
	var counts map[string]int
	b.Eval(`earshotTest.shownAgents().reduce((n, a) => { const s = document.querySelector('tr[data-agent="' + a + '"] .state'); if (s) n[s.dataset.state] = (n[s.dataset.state] || 0) + 1; return n; }, {})`, &counts)
	t.Logf("states drawn: %v", counts)
	if counts["on_call"] < 10 || counts["acw"] != 4 || counts["not_ready"] < 5 || counts["available"] != 9 {
		t.Fatalf("rows drawn by state %v", counts)
	}
	b.WaitTrue(wait, "the summary counts the request", `document.getElementById('sum-help').textContent === '1'`)
	shot := func(name string) {
		t.Helper()
		b.Eval(`(earshotTest.flush(), earshotTest.settled())`, nil)
		// times of hours (the signed-out agents') fit their columns
		var clipped []string
		b.Eval(`[...document.querySelectorAll('td.c-time, td.c-calltime')].filter(td => td.scrollWidth > td.clientWidth).map(td => td.textContent)`, &clipped)
		if len(clipped) > 0 {
			t.Errorf("%s: times cut off: %q", name, clipped)
		}
		b.Screenshot(filepath.Join(shots, name+".png"))
	}
	// Busiest first, as a supervisor watches a floor.
	b.Eval(`earshotTest.settled()`, nil)
	b.Click(`th[data-key="state"] button`)
	b.WaitTrue(wait, "on-call agents first", `document.querySelector('th[data-key="state"]').getAttribute('aria-sort') === 'ascending' && document.querySelector('tr[data-agent="' + earshotTest.shownAgents()[0] + '"] .state').dataset.state === 'on_call'`)
	shot("monitor-agents")
	// At 1280 pixels, by name: every state side by side.
	b.Resize(1280, 800)
	b.Click(`th[data-key="name"] button`)
	b.WaitTrue(wait, "by name", `document.querySelector('th[data-key="name"]').getAttribute('aria-sort') === 'ascending' && earshotTest.shownAgents()[0] === 'alice'`)
	shot("monitor-1280")

	for _, e := range b.Errors() {
		t.Errorf("page error: %s", e)
	}
}
