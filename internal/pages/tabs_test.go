package pages_test

import (
	"fmt"
	"testing"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/pages"
	"github.com/earshot/earshot/internal/softphone/phonetest"
)

// One browser, an agent's tab and a supervisor's: signing in as the
// supervisor in a second tab leaves the agent's tab signed in as the
// agent, through reloads; a tab the monitor opens for the supervisor's web
// phone needs no sign-in; signing out in one tab leaves the other.
func TestTwoPeopleTwoTabs(t *testing.T) {
	r := phonetest.Start(t, phonetest.Options{Pages: pages.FS()})
	agentTab := browsertest.Start(t, browsertest.Options{})
	whoIs := func(b *browsertest.Browser, name, what string) {
		t.Helper()
		b.WaitTrue(wait, what, fmt.Sprintf(`(() => { const w = document.getElementById('who'); return !w.hidden && document.getElementById('who-name').textContent === %q; })()`, name))
	}

	agentTab.Open(r.URL + "/phone")
	signIn(t, agentTab, "alice")
	whoIs(agentTab, "Alice Johnson", "alice signed in on /phone")

	supTab := agentTab.NewTab()
	supTab.Open(r.URL + "/monitor")
	supTab.WaitTrue(wait, "the new tab says alice is signed in elsewhere", `document.getElementById('login-error').textContent.startsWith('Alice Johnson is signed in in another tab')`)
	signIn(t, supTab, "sam")
	whoIs(supTab, "Sam Taylor", "sam signed in on /monitor")

	// The agent's tab still acts as alice: its button changes alice's state.
	agentTab.Open(r.URL + "/phone") // a reload, after sam's sign-in
	whoIs(agentTab, "Alice Johnson", "alice's tab after sam signed in elsewhere")
	agentTab.WaitTrue(wait, "alice's phone offline", `earshotTest.state() === 'offline'`)
	phonetest.Eventually(t, wait, "alice's web phone online", func() bool { return r.Phones.Online("alice") })
	agentTab.Click("#go-available")
	agentTab.WaitTrue(wait, "alice available", `earshotTest.state() === 'available'`)
	if v, err := r.Engine.Agent("alice"); err != nil || v.State != acd.Available {
		t.Fatalf("engine: alice is %s (%v), want available", v.State, err)
	}

	// sam's web phone, opened from the monitor's own link, is sam's at once.
	supTab.WaitVisible("#signin-form")
	supTab.Click("#signin-submit") // web client, not signed in yet: the monitor offers /phone
	supTab.WaitTrue(wait, "offer to open sam's /phone", `document.getElementById('open-phone').offsetParent !== null`)
	var href string
	supTab.Eval(`document.getElementById('open-phone').href`, &href)
	phoneTab := supTab.NewTab()
	phoneTab.Open(href)
	whoIs(phoneTab, "Sam Taylor", "sam's /phone tab without a second sign-in")
	phoneTab.WaitTrue(wait, "the address bar drops ?as=", `location.search === ''`)

	// alice signs out: her tab, reloaded, asks for a sign-in rather than
	// taking up sam's session, the browser's latest.
	agentTab.Click("#signout")
	agentTab.WaitVisible("#login-form")
	agentTab.Open(r.URL + "/phone")
	agentTab.WaitVisible("#login-form")
	agentTab.WaitTrue(wait, "the sign-in asked for, nobody signed in", `document.activeElement.id === 'login-user' && document.getElementById('who').hidden`)
	signIn(t, agentTab, "alice")
	whoIs(agentTab, "Alice Johnson", "alice signed in again")

	// sam signs out on the monitor; alice's tab goes on.
	supTab.Click("#signout")
	supTab.WaitVisible("#login-form")
	agentTab.Open(r.URL + "/phone")
	whoIs(agentTab, "Alice Johnson", "alice's tab after sam signed out")
}
