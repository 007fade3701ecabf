package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/clock"
)

var epoch = time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)

// registrarHarness is a server with users alice and bob on a fake clock.
func registrarHarness(t *testing.T) (*harness, *clock.Fake) {
	clk := clock.NewFake(epoch)
	h := newHarness(t, nil, func(c *Config) {
		c.Clock = clk
		c.Users = passwords{"alice": "wonderland", "bob": "builder"}
	})
	return h, clk
}

func contactExpires(t *testing.T, res *sip.Response) []string {
	t.Helper()
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		ch := h.(*sip.ContactHeader)
		v, _ := ch.Params.Get("expires")
		out = append(out, v)
	}
	return out
}

func TestRegisterAndExpire(t *testing.T) {
	h, clk := registrarHarness(t)
	p := newGoPhone(t, true)
	res := p.register(h.addr("udp"), "alice", "wonderland", 300)
	if res.StatusCode != 200 {
		t.Fatalf("REGISTER: %d %s", res.StatusCode, res.Reason)
	}
	if got := contactExpires(t, res); len(got) != 1 || got[0] != "300" {
		t.Errorf("200 lists contacts expiring %v", got)
	}
	cs := h.srv.Contacts("alice")
	if len(cs) != 1 || cs[0].Source.String() != p.addr || cs[0].Transport != "udp" || cs[0].UserAgent != "gophone" {
		t.Fatalf("contacts %+v", cs)
	}
	if !cs[0].Expires.Equal(epoch.Add(300 * time.Second)) {
		t.Errorf("expires %s", cs[0].Expires)
	}
	clk.Advance(301 * time.Second)
	if cs := h.srv.Contacts("alice"); len(cs) != 0 {
		t.Errorf("expired contact still listed: %+v", cs)
	}
}

// A wrong password and an unknown user get the same answer.
func TestRegisterRefusalsLookAlike(t *testing.T) {
	h, _ := registrarHarness(t)
	p := newGoPhone(t, true)
	wrong := p.register(h.addr("udp"), "alice", "rabbit", 300)
	unknown := p.register(h.addr("udp"), "mallory", "rabbit", 300)
	other := p.registerWith(h.addr("udp"), "alice", "builder", func(req *sip.Request) {
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "x", Host: "127.0.0.1", Port: p.port}})
	})
	for _, res := range []*sip.Response{wrong, unknown, other} {
		if res.StatusCode != 403 || res.Reason != wrong.Reason || len(res.Headers()) != len(wrong.Headers()) {
			t.Errorf("refusal %d %q with %d headers, want 403 %q with %d", res.StatusCode, res.Reason, len(res.Headers()), wrong.Reason, len(wrong.Headers()))
		}
	}
	if len(h.srv.Contacts("alice")) != 0 || len(h.srv.Contacts("mallory")) != 0 {
		t.Error("a refused REGISTER left a contact")
	}
}

// Five failures within a minute lock the source out, even with the right
// password, until the minute has passed.
func TestRegisterLockout(t *testing.T) {
	h, clk := registrarHarness(t)
	p := newGoPhone(t, true)
	for i := range 5 {
		if res := p.register(h.addr("udp"), "alice", "guess", 300); res.StatusCode != 403 {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
		clk.Advance(time.Second)
	}
	if res := p.register(h.addr("udp"), "alice", "wonderland", 300); res.StatusCode != 403 {
		t.Fatalf("locked-out source with the right password got %d", res.StatusCode)
	}
	clk.Advance(time.Minute)
	if res := p.register(h.addr("udp"), "alice", "wonderland", 300); res.StatusCode != 200 {
		t.Fatalf("after the lockout: %d", res.StatusCode)
	}
}

func TestRegisterStaleNonce(t *testing.T) {
	h, clk := registrarHarness(t)
	p := newGoPhone(t, true)
	res, _ := p.registerChallenge(h.addr("udp"), "alice", "wonderland", func(req *sip.Request) {
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: p.port}})
	}, func() { clk.Advance(6 * time.Minute) })
	if res.StatusCode != 401 {
		t.Fatalf("stale nonce: %d, want 401", res.StatusCode)
	}
	if ch := res.GetHeader("WWW-Authenticate"); ch == nil || !strings.Contains(ch.Value(), "stale=true") {
		t.Errorf("challenge %v lacks stale=true", ch)
	}
}

func TestRegisterBindingRules(t *testing.T) {
	h, clk := registrarHarness(t)
	p := newGoPhone(t, true)
	contact := func(port int, params ...string) sip.Header {
		ch := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "bob", Host: "127.0.0.1", Port: port}, Params: sip.NewParams()}
		for i := 0; i+1 < len(params); i += 2 {
			ch.Params.Add(params[i], params[i+1])
		}
		return ch
	}
	expires := func(v string) sip.Header { return sip.NewHeader("Expires", v) }
	steps := []struct {
		name     string
		headers  []sip.Header
		code     int
		contacts int      // bob's contacts afterwards
		expires  []string // in the 200, in order
	}{
		{"too brief", []sip.Header{contact(7001), expires("30")}, 423, 0, nil},
		{"not a number", []sip.Header{contact(7001), expires("soon")}, 400, 0, nil},
		{"default expiry", []sip.Header{contact(7001)}, 200, 1, []string{"3600"}},
		{"capped at max", []sip.Header{contact(7002), expires("100000")}, 200, 2, []string{"3600", "7200"}},
		{"contact param wins", []sip.Header{contact(7003, "expires", "120"), expires("3600")}, 200, 3, []string{"3600", "7200", "120"}},
		{"refresh keeps one binding", []sip.Header{contact(7001, "expires", "600")}, 200, 3, []string{"7200", "120", "600"}},
		{"query", nil, 200, 3, []string{"7200", "120", "600"}},
		{"remove one", []sip.Header{contact(7002), expires("0")}, 200, 2, []string{"120", "600"}},
		{"star needs Expires 0", []sip.Header{&sip.ContactHeader{Address: sip.Uri{Wildcard: true, Host: "*"}}, expires("10")}, 400, 2, nil},
		{"star removes all", []sip.Header{&sip.ContactHeader{Address: sip.Uri{Wildcard: true, Host: "*"}}, expires("0")}, 200, 0, nil},
	}
	for _, st := range steps {
		res := p.registerWith(h.addr("udp"), "bob", "builder", func(req *sip.Request) {
			for _, hd := range st.headers {
				req.AppendHeader(hd)
			}
		})
		if res.StatusCode != st.code {
			t.Fatalf("%s: %d %s, want %d", st.name, res.StatusCode, res.Reason, st.code)
		}
		if st.code == 423 {
			if mh := res.GetHeader("Min-Expires"); mh == nil || mh.Value() != "60" {
				t.Errorf("%s: Min-Expires %v", st.name, mh)
			}
		}
		if got := len(h.srv.Contacts("bob")); got != st.contacts {
			t.Errorf("%s: %d contacts, want %d", st.name, got, st.contacts)
		}
		if st.code == 200 && strings.Join(contactExpires(t, res), ",") != strings.Join(st.expires, ",") {
			t.Errorf("%s: 200 lists expiries %v, want %v", st.name, contactExpires(t, res), st.expires)
		}
		clk.Advance(0)
	}
}
