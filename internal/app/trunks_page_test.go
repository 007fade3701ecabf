package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/browsertest"
	"github.com/earshot/earshot/internal/config"
)

// TestAdminTrunksPage: in Chromium, an admin opens /admin → SIP trunks,
// and sets the carrier trunk to register with a caller ID. A caller ID
// that is not a number is refused with the server's sentence beside the
// field. The save applies at once: the sipp registrar is challenged and
// accepts, and the page shows the trunk Registered. Stopping earshot
// un-REGISTERs.
func TestAdminTrunksPage(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Trunks = []config.Trunk{
		{Name: "carrier", Sources: []string{"198.51.100.10", "198.51.100.64/27"}},
		{Name: "pbx", Sources: []string{"192.0.2.30"}, Outbound: "sip:192.0.2.30:5060"},
	}
	a, err := Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			a.Close()
		}
	})
	shots := adminShots(t)
	b := browsertest.Start(t, browsertest.Options{})
	const wait = 20 * time.Second

	regPort := freeUDPPort(t)
	registrarDone := sippAsync(t, "../sip/testdata/uas_register_once.xml", a.SIPAddr("udp").String(), "-p", fmt.Sprint(regPort))

	b.Open("http://" + a.HTTPAddr() + "/admin/#trunks")
	b.WaitVisible("#login-form")
	b.Type("#login-user", "admin")
	b.Type("#login-password", "demo")
	b.Click("#login-submit")
	b.WaitVisible("#trunks-panel")
	b.WaitTrue(wait, "page ready", `window.earshotTest && earshotTest.ready()`)
	b.WaitVisible(`#trunks-rows tr[data-trunk="carrier"]`)

	b.Click(`#trunks-rows tr[data-trunk="carrier"] button`)
	b.WaitVisible("#trunk-edit")
	b.Type("#trunk-outbound", fmt.Sprintf("sip:127.0.0.1:%d", regPort))
	b.Type("#trunk-username", "trunkuser")
	b.Type("#trunk-password", "trunkpass")
	b.Click("#trunk-register")
	b.Type("#trunk-callerid", "sales")
	b.Click(`#trunk-edit button[type="submit"]`)
	b.WaitTrue(wait, "the refusal beside the caller ID", `(() => { const e = document.getElementById('trunk-callerid-error'); return !!e && e.textContent.includes('must be a number'); })()`)
	b.Eval(`document.getElementById('toast').hidden = true`, nil)
	b.Screenshot(filepath.Join(shots, "admin-trunks-edit-error.png"))
	if tr := a.Engine().Config().Trunks[0]; tr.Register || tr.CallerID != "" {
		t.Fatalf("a refused save changed the trunk: %+v", tr)
	}

	b.Eval(`document.getElementById('trunk-callerid').value = ''`, nil)
	b.Type("#trunk-callerid", "+44 20 7946 0100")
	b.Click(`#trunk-edit button[type="submit"]`)
	b.WaitTrue(wait, "saved", `(() => { const t = document.getElementById('toast'); return !t.hidden && t.textContent.includes('trunk carrier: register off → on'); })()`)
	b.WaitTrue(wait, "registered on the page", `!!document.querySelector('#trunks-rows tr[data-trunk="carrier"] .reg[data-state="registered"]')`)
	tr := a.Engine().Config().Trunks[0]
	if !tr.Register || tr.CallerID != "+442079460100" || tr.Password != "trunkpass" {
		t.Fatalf("trunk in force: %+v", tr)
	}
	var row string
	b.Eval(`document.querySelector('#trunks-rows tr[data-trunk="carrier"]').textContent`, &row)
	if !strings.Contains(row, "Registered") || !strings.Contains(row, "+442079460100") {
		t.Errorf("carrier row says %q", row)
	}
	b.Eval(`document.getElementById('toast').hidden = true`, nil)
	b.Screenshot(filepath.Join(shots, "admin-trunks.png"))
	b.Resize(420, 860)
	b.Screenshot(filepath.Join(shots, "admin-trunks-narrow.png"))
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	closed = true
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	registrarDone()
}
