package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/peertest"
)

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

type trunkList struct {
	Trunks []struct {
		Name         string
		Register     bool
		Registration *struct{ State, Reason string }
	}
}

// An admin changes a trunk through the API and the SIP edge uses it at
// once, with no restart: the trunk registers with its carrier (a sipp
// registrar that challenges), the carrier's calls from the registrar's
// address come in, the audit names the change, and the shutdown
// un-REGISTERs.
func TestTrunkChangeAppliesWithoutRestart(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Trunks = []config.Trunk{{Name: "carrier", Sources: []string{"192.0.2.0/24"}}}
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
	target := a.SIPAddr("udp").String()

	// 127.0.0.1 is not the carrier's: refused.
	peertest.Sipp(t, "../sip/testdata/uac_403.xml", target, "-s", "+15550100")

	regPort := freeUDPPort(t)
	registrarDone := sippAsync(t, "../sip/testdata/uas_register_once.xml", target, "-p", fmt.Sprint(regPort))

	admin := newClient(t, a)
	admin.login("admin")
	var cur map[string]any
	if code := admin.do("GET", "/api/v1/config", nil, &cur); code != 200 {
		t.Fatalf("get config: %d", code)
	}
	cur["trunks"] = []map[string]any{{
		"name": "carrier", "sources": []string{"192.0.2.0/24"},
		"outbound": fmt.Sprintf("sip:127.0.0.1:%d", regPort), "username": "trunkuser", "password": "trunkpass",
		"register": true, "caller_id": "+15550100999",
	}}
	var bad map[string]any
	badCfg := map[string]any{}
	for k, v := range cur {
		badCfg[k] = v
	}
	badCfg["trunks"] = []map[string]any{{"name": "carrier", "sources": []string{"192.0.2.0/24"}, "outbound": "sip:127.0.0.1:5", "register": true}}
	if code := admin.do("PUT", "/api/v1/config", badCfg, &bad); code != 400 {
		t.Fatalf("register without credentials: %d %v, want 400", code, bad)
	}
	if code := admin.do("PUT", "/api/v1/config", cur, nil); code != 200 {
		t.Fatalf("put config: %d", code)
	}

	waitFor(t, 10*time.Second, "the trunk to register", func() bool {
		var l trunkList
		admin.do("GET", "/api/v1/trunks", nil, &l)
		return len(l.Trunks) == 1 && l.Trunks[0].Registration != nil && l.Trunks[0].Registration.State == "registered"
	})

	if body := admin.get(t, "/api/v1/audit"); !strings.Contains(body, "trunk carrier: register off → on") ||
		!strings.Contains(body, "trunk carrier: caller ID (none) → +15550100999") {
		t.Errorf("the audit does not name the change: %s", body)
	}
	if body := admin.get(t, "/api/v1/trunks"); strings.Contains(body, "trunkpass") {
		t.Errorf("the trunk list shows the password: %s", body)
	}

	// The carrier's call comes from its registrar's address: accepted.
	peertest.Sipp(t, withAudio(t, "testdata/customer_waits_then_hangs_up.xml", 440), target, "-s", "+15550100", "-d", "500")
	if got := endings(t, a); !slices.Equal(got, []string{"abandoned"}) {
		t.Fatalf("calls ended %v, want [abandoned]: the call was not taken", got)
	}

	closed = true
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	registrarDone() // it saw the un-REGISTER
}

// get fetches path and returns the raw body.
func (c *client) get(t *testing.T, path string) string {
	t.Helper()
	var v any
	c.do("GET", path, nil, &v)
	b, _ := json.Marshal(v)
	return string(b)
}

// A supervisor who assists from a phone number is rung through the trunk
// with the trunk's caller ID: the sipp carrier answers only an INVITE
// whose From and P-Asserted-Identity carry +15550100999 at
// carrier.example, whatever the supervisor's name.
func TestAssistToNumberPresentsTrunkCallerID(t *testing.T) {
	port := freeUDPPort(t)
	r := newAssistRig(t, func(c *config.Config) {
		c.Trunks[0].Outbound = fmt.Sprintf("sip:127.0.0.1:%d", port)
		c.Trunks[0].CallerID = "+15550100999"
		c.Trunks[0].FromDomain = "carrier.example"
	})
	carrier := sippAsync(t, "../sip/testdata/uas_callerid.xml", r.sip, "-p", fmt.Sprint(port))
	r.phone("alice", toneAgent)
	samC, aliceC := r.login("sam"), r.login("alice")
	if code := samC.do("PUT", "/api/v1/me/assist-endpoint", map[string]string{"kind": "phone", "target": "+15550100201"}, nil); code != 200 {
		t.Fatalf("sam signs in on a number: %d", code)
	}
	if code := aliceC.do("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, nil); code != 200 {
		t.Fatalf("alice available: %d", code)
	}
	cust := r.customer()
	var started struct{ Session assist.Session }
	if code := samC.do("POST", "/api/v1/agents/alice/assist", nil, &started); code != 201 {
		t.Fatalf("sam assists alice: %d", code)
	}
	s := r.session("sam", assist.Listen) // the carrier answered the INVITE
	if code := samC.do("DELETE", "/api/v1/assists/"+s.ID, nil, nil); code != 204 {
		t.Fatalf("sam closes: %d", code)
	}
	r.gone(s.ID)
	carrier() // it saw the BYE
	cust.b.Command("hangup", "")
	waitFor(t, 10*time.Second, "the customer's call to end", func() bool { return r.a.sip.ActiveCalls() == 0 })
}
