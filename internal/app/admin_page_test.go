package app

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/peertest"
)

// adminShots is where the admin page's pictures go: $EARSHOT_SCREENSHOTS,
// or a temporary folder.
func adminShots(t *testing.T) string {
	if dir := os.Getenv("EARSHOT_SCREENSHOTS"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// TestAdminPage: an admin changes earshot through /admin in Chromium —
// adds a user whose SIP phone then registers with the password set there,
// adds grace to the sales team, shortens the sales queue's wrap-up to 2 s,
// forbids a range of numbers — and each takes effect on the next call
// without a restart: a customer's call to sales is offered to grace and
// answered on her SIP phone, her After Call Work ends after 2 s (not the
// old 30), and a supervisor can no longer choose a forbidden number for
// assist audio. Each change is in the audit, on the page and in the API.
// Not Ready reasons, numbers and listen-in save from their sections too.
// A negative wrap-up and a malformed pattern are refused with the server's
// sentence shown in the page, and change nothing.
func TestAdminPage(t *testing.T) {
	r := newAssistRig(t, nil)
	shots := adminShots(t)
	b := browsertest.Start(t, browsertest.Options{})
	shot := func(name string) {
		t.Helper()
		b.Screenshot(filepath.Join(shots, name+".png"))
	}
	const wait = 20 * time.Second
	ready := func() { b.WaitTrue(wait, "page ready", `window.earshotTest && earshotTest.ready()`) }
	tab := func(name string) {
		t.Helper()
		b.Click("#tab-" + name)
		b.WaitVisible("#" + name + "-panel")
	}
	toastSays := func(what, text string) {
		t.Helper()
		b.WaitTrue(wait, what, fmt.Sprintf(`(() => { const t = document.getElementById('toast'); return !t.hidden && t.textContent.includes(%q); })()`, text))
	}

	// A supervisor is told the page is not theirs.
	b.Open(r.base + "/admin/")
	b.WaitVisible("#login-form")
	b.Type("#login-user", "sam")
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#denied-view")
	b.WaitTrue(wait, "denied title", `document.getElementById('denied-title').textContent === 'You need the admin role'`)
	b.Click("#denied-signout")
	b.WaitVisible("#login-form")

	b.Type("#login-user", "admin")
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#admin-view")
	ready()
	b.Click("#tab-users")
	b.WaitVisible(`#users-rows tr[data-user="grace"]`)

	// Add a user, then give her phone a SIP password and listen-in.
	b.Type("#new-user-name", "zoe")
	b.Type("#new-user-display", "Zoe Clarke")
	b.Type("#new-user-password", "zoe-password")
	b.Click(`#user-add button[type="submit"]`)
	toastSays("user added", "user zoe added (agent)")
	b.Click(`#users-rows tr[data-user="zoe"] button`)
	b.WaitVisible("#user-edit")
	b.Type("#edit-sip", "zoe-sip-secret")
	b.Click(`#user-edit [name="listen_in"]`)
	b.Click(`#user-edit button[type="submit"]`)
	toastSays("user saved", "user zoe: listen-in permission off → on")
	b.Click(`#users-rows tr[data-user="zoe"] button`)
	b.WaitVisible("#user-edit")
	b.Eval(`document.querySelector('.content').scrollTo(0, 0)`, nil)
	shot("admin-users")
	if u, ok := r.a.Engine().Config().User("zoe"); !ok || u.SIPPassword != "zoe-sip-secret" || !u.ListenIn || u.Display != "Zoe Clarke" {
		t.Fatalf("zoe is %+v", u)
	}
	zoe := &client{t: t, base: r.base, http: &http.Client{Timeout: 10 * time.Second}}
	if code := zoe.do("POST", "/api/v1/login", map[string]string{"user": "zoe", "password": "zoe-password"}, nil); code != 200 {
		t.Fatalf("zoe logs in: %d", code)
	}
	// Her SIP phone registers with the password just set.
	peertest.StartBaresip(t, peertest.BaresipOptions{Name: "zoe", Tone: toneListener, AOR: "sip:zoe@" + r.sip, Password: "zoe-sip-secret"})
	waitFor(t, wait, "zoe's phone to register", func() bool { return len(r.a.sip.Contacts("zoe")) > 0 })

	// Before: grace is not in sales, and a supervisor may be rung at
	// +1 555 010 0123.
	sam := r.login("sam")
	phoneEndpoint := map[string]string{"kind": "phone", "target": "+1 555 010 0123"}
	if code := sam.do("PUT", "/api/v1/me/assist-endpoint", phoneEndpoint, nil); code != 200 {
		t.Fatalf("sam's phone endpoint before the change: %d", code)
	}

	// 1. Add grace to the sales team.
	tab("teams")
	b.Eval(`(() => { const s = document.querySelector('[data-team="sales"] select.add-agent'); s.value = 'grace'; return s.value; })()`, nil)
	b.Click(`[data-team="sales"] .add-agent-btn`)
	toastSays("team saved", "team sales: agents + grace")
	b.WaitVisible(`[data-team="sales"] .chip[data-name="grace"]`)
	if !slices.Contains(r.a.Engine().Config().Teams[0].Agents, "grace") {
		t.Fatalf("sales agents are %v", r.a.Engine().Config().Teams[0].Agents)
	}

	// 2. The sales queue's wrap-up: a negative value is refused beside the
	// field, then 2 s is saved.
	tab("queues")
	wrap := `[data-queue="sales"] input[name="wrap_up"]`
	before := r.a.Engine().Config()
	b.Eval(fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = '-5'; return true; })()`, wrap), nil)
	b.Click(`[data-queue="sales"] button[type="submit"]`)
	b.WaitTrue(wait, "negative wrap-up refused in the page", fmt.Sprintf(
		`(() => { const e = document.querySelector('[data-queue="sales"] .field-error'); return !!e && e.textContent.includes('wrap-up must not be negative') && document.querySelector(%q).getAttribute('aria-invalid') === 'true'; })()`, wrap))
	shot("admin-queues-error")
	if r.a.Engine().Config() != before {
		t.Fatal("a negative wrap-up changed the configuration")
	}
	b.Eval(fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = '2'; return true; })()`, wrap), nil)
	b.Click(`[data-queue="sales"] button[type="submit"]`)
	toastSays("queue saved", "queue sales: wrap-up 30s → 2s")
	if q, _ := r.a.Engine().Config().Queue("sales"); q.WrapUp != 2*time.Second {
		t.Fatalf("sales wrap-up is %s", q.WrapUp)
	}
	ready()
	b.Eval(`document.querySelector('[data-queue="sales"]').scrollIntoView()`, nil)
	shot("admin-queues")

	// 3. Forbid +1555010XXXX: a malformed pattern first, refused; the
	// tester tries the unsaved plan; then the good one is saved.
	tab("dialplan")
	before = r.a.Engine().Config()
	setDeny := func(v string) {
		b.Eval(fmt.Sprintf(`(() => { document.getElementById('plan-deny').value = %q; return true; })()`, v), nil)
	}
	setDeny("+1900!\n+1976!\n+1555010[X")
	b.Click("#dialplan-save")
	b.WaitTrue(wait, "malformed pattern refused in the page",
		`(() => { const e = document.getElementById('dialplan-error'); return !e.hidden && e.textContent.includes('Deny pattern "+1555010[X"'); })()`)
	if r.a.Engine().Config() != before {
		t.Fatal("a malformed pattern changed the configuration")
	}
	setDeny("+1900!\n+1976!\n+1555010XXXX")
	b.Eval(`document.getElementById('test-target').value = '+1 555 010 0123'`, nil)
	b.Click("#test-run")
	b.WaitTrue(wait, "tester refuses the number", `(() => { const v = document.getElementById('test-result'); return !v.hidden && v.dataset.verdict === 'refused' && v.textContent.includes('deny pattern "+1555010XXXX"'); })()`)
	if code := sam.do("PUT", "/api/v1/me/assist-endpoint", phoneEndpoint, nil); code != 200 {
		t.Fatalf("the tester changed the plan: %d", code)
	}
	b.Click("#dialplan-save")
	toastSays("dial plan saved", "dial plan: deny + +1555010XXXX")
	b.Click("#test-run")
	b.WaitTrue(wait, "tester result", `document.getElementById('test-result').dataset.verdict === 'refused'`)
	shot("admin-dialplan")

	// The forbidden number is refused at once, naming the dial plan.
	var refused struct{ Error string }
	code := sam.do("PUT", "/api/v1/me/assist-endpoint", phoneEndpoint, &refused)
	if code < 400 || code >= 500 || !strings.Contains(refused.Error, "dial plan") {
		t.Fatalf("forbidden endpoint: %d %q", code, refused.Error)
	}
	if code := sam.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "+1 555 020 0123"}, nil); code != 200 {
		t.Fatalf("a number outside the new deny pattern: %d", code)
	}

	// The next call to sales is offered to grace, the new member.
	grace := r.phone("grace", toneAgent)
	if err := r.a.Engine().SetState("grace", acd.Available, "", ""); err != nil {
		t.Fatal(err)
	}
	customer := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer", Tone: toneCustomer, Dial: "sip:+15550100@" + r.sip})
	waitFor(t, wait, "grace to be on the sales call", func() bool {
		v, _ := r.a.Engine().Agent("grace")
		return v.State == acd.OnCall && v.Queue == "sales"
	})
	_ = grace
	customer.Command("hangup", "")
	var acw acd.AgentView
	waitFor(t, wait, "grace in After Call Work", func() bool {
		acw, _ = r.a.Engine().Agent("grace")
		return acw.State == acd.ACW || acw.State == acd.Available
	})
	if acw.State != acd.ACW {
		t.Fatalf("grace skipped After Call Work: %+v", acw)
	}
	// Her After Call Work ends by itself after the new wrap-up: the
	// engine's own timestamps say how long it lasted.
	var after acd.AgentView
	waitFor(t, wait, "grace's After Call Work to end", func() bool {
		after, _ = r.a.Engine().Agent("grace")
		return after.State != acd.ACW
	})
	lasted := after.Since.Sub(acw.Since)
	if after.State != acd.Available || lasted < 2*time.Second || lasted > 10*time.Second {
		t.Fatalf("After Call Work lasted %s and ended in %s; the new wrap-up is 2s (it was 30s)", lasted, after.State)
	}

	// Not Ready reasons, numbers and listen-in save from their sections
	// too, and apply at once.
	tab("reasons")
	b.Type("#new-reason", "Coaching")
	b.Click("#reason-add")
	b.Click(`#reasons-form button[type="submit"]`)
	toastSays("reasons saved", "Not Ready reasons: + Coaching")
	if err := r.a.Engine().SetState("bob", acd.NotReady, "Coaching", ""); err != nil {
		t.Fatalf("the new reason is not in force: %v", err)
	}
	tab("dids")
	b.Click("#did-add")
	b.Type(`#dids-rows tr:last-child [name="number"]`, "+15550400")
	b.Eval(`(() => { const s = document.querySelector('#dids-rows tr:last-child [name="queue"]'); s.value = 'support'; return s.value; })()`, nil)
	b.Click("#dids-save")
	toastSays("numbers saved", "DID +15550400 added → queue support")
	if d, ok := r.a.Engine().Config().QueueForDID("+15550400"); !ok || d.Queue != "support" {
		t.Fatalf("DID +15550400: %+v %v", d, ok)
	}
	tab("listen")
	b.Click("#listen-bob")
	toastSays("listen-in saved", "user bob: listen-in permission off → on")

	// Every change is in the audit: the API and the page.
	admin := r.login("admin")
	var audit struct {
		Entries []struct {
			Actor   string
			Changes []string
		}
	}
	if code := admin.do("GET", "/api/v1/audit", nil, &audit); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var lines []string
	for _, e := range audit.Entries {
		if e.Actor == "admin" {
			lines = append(lines, e.Changes...)
		}
	}
	wantLines := []string{
		"user zoe added (agent)", "user zoe: SIP phone password set", "user zoe: listen-in permission off → on",
		"team sales: agents + grace", "queue sales: wrap-up 30s → 2s", "dial plan: deny + +1555010XXXX",
		"Not Ready reasons: + Coaching", "DID +15550400 added → queue support", "user bob: listen-in permission off → on",
	}
	for _, want := range wantLines {
		if !slices.Contains(lines, want) {
			t.Errorf("audit %q lacks %q", lines, want)
		}
	}
	if len(lines) != len(wantLines) {
		t.Errorf("audit holds %d changes by admin, want %d (refused changes are not audited): %q", len(lines), len(wantLines), lines)
	}
	tab("audit")
	b.WaitTrue(wait, "audit in the page", `(() => { const t = document.getElementById('audit-rows').textContent; return t.includes('team sales: agents + grace') && t.includes('queue sales: wrap-up 30s → 2s') && t.includes('dial plan: deny + +1555010XXXX'); })()`)
	b.Eval(`document.getElementById('toast').hidden = true`, nil)
	shot("admin-audit")

	// Narrow windows keep every section reachable.
	b.Resize(420, 860)
	tab("teams")
	shot("admin-narrow")
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}
