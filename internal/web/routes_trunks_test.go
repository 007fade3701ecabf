package web

import (
	"slices"
	"strings"
	"testing"
	"time"
)

type fakeTrunks []TrunkRegistration

func (f fakeTrunks) TrunkRegistrations() []TrunkRegistration { return f }

// TestTrunksListAndReplace: admins see every trunk with its registration
// and never its password; a replaced list keeps a password not sent, is
// audited in words, and applies at once; bad input changes nothing.
func TestTrunksListAndReplace(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, func(o *Options) {
		o.Trunks = fakeTrunks{{Trunk: "carrier", Registrar: "sip:192.0.2.1", State: "failed", Reason: "403 Forbidden", Since: at, NextAttempt: at.Add(time.Minute)}}
	})
	admin, sup := e.login("admin"), e.login("sup-a")
	sub := e.bus.Subscribe(16)
	defer sub.Close()

	expect(t, "supervisor lists trunks", sup.call("GET", "/api/v1/trunks", nil), 403)

	res := admin.call("PUT", "/api/v1/trunks", map[string]any{"trunks": []map[string]any{{
		"name": "carrier", "sources": []string{"127.0.0.1"}, "outbound": "sip:192.0.2.1", "username": "acct",
		"register": true, "caller_id": "+15550100999",
	}}})
	expect(t, "register the carrier", res, 200)
	want := []string{"trunk carrier: outbound (none) → sip:192.0.2.1", "trunk carrier: register off → on", "trunk carrier: caller ID (none) → +15550100999"}
	if got := changes(res); !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	if _, lines := audited(t, sub); !slices.Equal(lines, want) {
		t.Errorf("audited %q", lines)
	}
	if tr := e.eng.Config().Trunks[0]; tr.Password != "trunk-secret" || !tr.Register {
		t.Errorf("trunk in force: %+v", tr)
	}

	res = admin.call("GET", "/api/v1/trunks", nil)
	expect(t, "list trunks", res, 200)
	body := string(res.body)
	if strings.Contains(body, "trunk-secret") {
		t.Fatal("the trunk list shows the password")
	}
	for _, w := range []string{`"state":"failed"`, `"reason":"403 Forbidden"`, `"register_expires":"5m0s"`, `"caller_id":"+15550100999"`} {
		if !strings.Contains(body, w) {
			t.Errorf("trunk list lacks %s: %s", w, body)
		}
	}

	before := e.eng.Config()
	for _, tc := range []struct {
		what string
		body any
		want string
	}{
		{"no list", map[string]any{}, "trunks is required"},
		{"caller ID not a number", map[string]any{"trunks": []map[string]any{{"name": "carrier", "sources": []string{"127.0.0.1"}, "caller_id": "sales"}}}, `caller_id "sales" must be a number`},
		{"register without outbound", map[string]any{"trunks": []map[string]any{{"name": "carrier", "sources": []string{"127.0.0.1"}, "username": "acct", "register": true}}}, "register needs outbound or registrar"},
	} {
		res := admin.call("PUT", "/api/v1/trunks", tc.body)
		expect(t, tc.what, res, 400)
		if !strings.Contains(res.errMsg(), tc.want) {
			t.Errorf("%s: %q, want %q", tc.what, res.errMsg(), tc.want)
		}
	}
	if e.eng.Config() != before {
		t.Error("refused input changed the configuration")
	}
}

// TestTrunksRoundTrip: the list GET returns can be sent back by PUT as it
// is (durations as strings, the read-only registration included) and
// changes nothing; register_expires also takes a duration string or
// integer nanoseconds, and refuses anything else.
func TestTrunksRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, func(o *Options) {
		o.Trunks = fakeTrunks{{Trunk: "carrier", Registrar: "sip:192.0.2.1", State: "registered", Since: at, Expires: at.Add(time.Hour)}}
	})
	admin := e.login("admin")
	res := admin.call("PUT", "/api/v1/trunks", map[string]any{"trunks": []map[string]any{
		{"name": "carrier", "sources": []string{"192.0.2.0/28"}, "outbound": "sip:192.0.2.1", "username": "acct", "password": "pw", "register": true},
		{"name": "backup", "sources": []string{"198.51.100.1"}, "outbound": "sip:198.51.100.1", "username": "acct2", "password": "pw2", "register": true, "register_expires": "10m"},
		{"name": "pbx", "sources": []string{"10.0.0.5"}, "register_expires": int64(20 * time.Minute)},
	}})
	expect(t, "set trunks", res, 200)
	before := e.eng.Config()
	if got := []time.Duration{before.Trunks[0].RegisterExpires, before.Trunks[1].RegisterExpires, before.Trunks[2].RegisterExpires}; !slices.Equal(got, []time.Duration{0, 10 * time.Minute, 20 * time.Minute}) {
		t.Fatalf("register_expires in force %v, want 0, 10m, 20m", got)
	}

	res = admin.call("GET", "/api/v1/trunks", nil)
	expect(t, "list trunks", res, 200)
	if !strings.Contains(string(res.body), `"registration":{`) || !strings.Contains(string(res.body), `"register_expires":"10m0s"`) {
		t.Fatalf("trunk list: %s", res.body)
	}
	res = admin.call("PUT", "/api/v1/trunks", res.body)
	expect(t, "send the list back", res, 200)
	if got := changes(res); len(got) != 0 {
		t.Errorf("sending the list back changed %q", got)
	}
	after := e.eng.Config()
	for i := range before.Trunks {
		if b, a := before.Trunks[i], after.Trunks[i]; b.RegisterExpires != a.RegisterExpires || b.Password != a.Password || b.Register != a.Register {
			t.Errorf("trunk %s: %+v, then %+v", b.Name, b, a)
		}
	}

	for _, tc := range []struct {
		what    string
		expires any
		status  int
		want    time.Duration
	}{
		{"a duration string", "15m", 200, 15 * time.Minute},
		{"nanoseconds", int64(30 * time.Minute), 200, 30 * time.Minute},
		{"not a duration", "soon", 400, 0},
		{"a fraction", 1.5, 400, 0},
	} {
		cfg := e.eng.Config()
		res := admin.call("PUT", "/api/v1/trunks", map[string]any{"trunks": []map[string]any{
			{"name": "carrier", "sources": []string{"192.0.2.0/28"}, "outbound": "sip:192.0.2.1", "username": "acct", "register": true, "register_expires": tc.expires},
		}})
		expect(t, tc.what, res, tc.status)
		if tc.status != 200 {
			if !strings.Contains(res.errMsg(), "register_expires") {
				t.Errorf("%s: %q does not name register_expires", tc.what, res.errMsg())
			}
			if e.eng.Config() != cfg {
				t.Errorf("%s: refused input changed the configuration", tc.what)
			}
			continue
		}
		if got := e.eng.Config().Trunks[0].RegisterExpires; got != tc.want {
			t.Errorf("%s: register_expires %s, want %s", tc.what, got, tc.want)
		}
	}
}
