package app

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/peertest"
)

// TestHistoryPage: after sam assists alice on a recorded sales call and
// takes it over, sam opens /history in Chromium. The call is listed with
// both handlers and sam as its assistant; its details show the assist
// audit (each mode, how it ended), the call recording and sam's track
// load into their players, and the download links answer with the WAV.
// A second caller who gives up while waiting is listed above it. tina,
// who supervises only support, sees neither.
func TestHistoryPage(t *testing.T) {
	r, session := assistedRecordedCall(t)
	m, _ := recordedMeta(t, r.a)
	shots := adminShots(t)
	// A second sales caller gives up while alice wraps up.
	c2 := peertest.StartBaresip(t, peertest.BaresipOptions{Name: "customer2", From: "+12125550178", Tone: toneCustomer, Dial: "sip:+15550100@" + r.sip})
	waitFor(t, 10*time.Second, "the second call to wait", func() bool { return len(r.a.Engine().Calls()) == 1 })
	c2.Command("hangup", "")
	waitFor(t, 10*time.Second, "the second call to end", func() bool { return len(r.a.Engine().Calls()) == 0 })

	var page struct {
		Calls []struct {
			ID string `json:"id"`
		} `json:"calls"`
	}
	if code := r.login("tina").do("GET", "/api/v1/call-history", nil, &page); code != 200 || len(page.Calls) != 0 {
		t.Fatalf("tina's call history: %d %+v; want no calls", code, page.Calls)
	}

	b := browsertest.Start(t, browsertest.Options{})
	shot := func(name string) {
		t.Helper()
		b.Screenshot(filepath.Join(shots, name+".png"))
	}
	const wait = 20 * time.Second
	b.Open(r.base + "/history/")
	b.WaitVisible("#login-form")
	b.Type("#login-user", "sam")
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#history-view")
	row := fmt.Sprintf(`#call-rows tr[data-call=%q]`, m.Call)
	b.WaitVisible(row)
	b.WaitTrue(wait, "both calls listed, the abandoned one first", `(() => { const rows = document.querySelectorAll('#call-rows tr'); return rows.length === 2 && rows[0].textContent.includes('Abandoned in queue'); })()`)
	var cells []string
	b.Eval(fmt.Sprintf(`[...document.querySelector(%q).cells].map(c => c.textContent)`, row), &cells)
	joined := strings.Join(cells, " | ")
	for _, want := range []string{"sales", "Answered", "taken over"} {
		if !strings.Contains(joined, want) {
			t.Errorf("row %q lacks %q", joined, want)
		}
	}
	if !strings.Contains(strings.ToLower(joined), "alice") || !slices.ContainsFunc(cells, func(c string) bool { return strings.Contains(strings.ToLower(c), "sam") }) {
		t.Errorf("row %q does not name alice and sam", joined)
	}
	shot("history-list")

	b.Click(row)
	audit := fmt.Sprintf(`#d-audit li[data-session=%q]`, session)
	b.WaitVisible(audit)
	var auditText string
	b.Eval(fmt.Sprintf(`document.querySelector(%q).textContent`, audit), &auditText)
	for _, want := range []string{"Listen", "Talk", "Take over", "customer hung up"} {
		if !strings.Contains(auditText, want) {
			t.Errorf("audit %q lacks %q", auditText, want)
		}
	}
	b.WaitTrue(wait, "the call recording to load", `(() => { const a = document.querySelector('#rec-main audio'); return a && a.readyState >= 1 && a.duration > 0; })()`)
	b.WaitTrue(wait, "sam's track to load", fmt.Sprintf(`(() => { const a = document.querySelector('.player.track[data-session=%q] audio'); return a && a.readyState >= 1 && a.duration > 0; })()`, session))
	var duration float64
	b.Eval(`document.querySelector('#rec-main audio').duration`, &duration)
	if want := m.Ended.Sub(m.Started).Seconds(); duration < want-1 || duration > want+1 {
		t.Errorf("the player's recording lasts %.1f s; the call's recording %.1f s", duration, want)
	}
	var dl []string
	b.Eval(`Promise.all([...document.querySelectorAll('#d-rec a.download')].map(a =>
		fetch(a.href).then(r => r.status + ' ' + r.headers.get('content-type') + ' ' + r.headers.get('content-disposition'))))`, &dl)
	if len(dl) != 2 {
		t.Fatalf("download links: %v; want the recording's and sam's track's", dl)
	}
	for _, d := range dl {
		if !strings.HasPrefix(d, "200 audio/wav attachment") {
			t.Errorf("download answered %q", d)
		}
	}
	var timeline string
	b.Eval(`document.getElementById('d-timeline').textContent`, &timeline)
	if !strings.Contains(timeline, "took the call over") || !strings.Contains(timeline, "Recording started") {
		t.Errorf("timeline %q", timeline)
	}
	b.Eval(`(() => { const d = document.getElementById('detail'); d.scrollTop = document.getElementById('d-rec-title').offsetTop - 90; return true; })()`, nil)
	shot("history-call")

	b.Resize(420, 900)
	b.WaitTrue(wait, "the details under the list", `document.getElementById('detail').getBoundingClientRect().top > document.getElementById('calls').getBoundingClientRect().bottom - 1`)
	b.Eval(`document.getElementById('detail').scrollIntoView()`, nil)
	shot("history-call-narrow")
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
