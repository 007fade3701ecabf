package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/auth"
)

func testProxies(t testing.TB) *Proxies {
	t.Helper()
	var pre []netip.Prefix
	for _, s := range []string{"10.0.0.0/8", "192.0.2.1/32", "2001:db8:1::/48"} {
		pre = append(pre, netip.MustParsePrefix(s))
	}
	return NewProxies(pre)
}

func TestProxiesClientIP(t *testing.T) {
	p := testProxies(t)
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client, no header", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"direct client spoofing the header", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted client names a proxy", "203.0.113.9:5000", []string{"10.0.0.1"}, "203.0.113.9"},
		{"proxy without header", "10.1.2.3:443", nil, "10.1.2.3"},
		{"proxy forwards the client", "10.1.2.3:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"client spoofs a chain through one proxy", "10.1.2.3:443", []string{"1.1.1.1, 2.2.2.2, 198.51.100.7"}, "198.51.100.7"},
		{"two proxies in a row", "10.1.2.3:443", []string{"198.51.100.7, 192.0.2.1"}, "198.51.100.7"},
		{"spoof behind two proxies", "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"chain over several header lines", "10.1.2.3:443", []string{"6.6.6.6", "198.51.100.7", "10.9.9.9"}, "198.51.100.7"},
		{"every hop a proxy: the left-most", "10.1.2.3:443", []string{"10.0.0.9, 192.0.2.1"}, "10.0.0.9"},
		{"spaces and empty lines", "10.1.2.3:443", []string{" 198.51.100.7 ,10.0.0.2 "}, "198.51.100.7"},
		{"proxy writes a port", "10.1.2.3:443", []string{"198.51.100.7:61000"}, "198.51.100.7"},
		{"IPv6 client through an IPv6 proxy", "[2001:db8:1::5]:443", []string{"2001:db8:99::1"}, "2001:db8:99::1"},
		{"IPv6 client with brackets and port", "10.1.2.3:443", []string{"[2001:db8:99::1]:5060"}, "2001:db8:99::1"},
		{"IPv4-mapped proxy address", "[::ffff:10.1.2.3]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"IPv4-mapped client address", "10.1.2.3:443", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"garbage after a trusted hop: the proxy", "10.1.2.3:443", []string{"198.51.100.7, unknown"}, "10.1.2.3"},
		{"garbage beyond the client is not reached", "10.1.2.3:443", []string{"garbage, 198.51.100.7"}, "198.51.100.7"},
		{"garbage between two proxies: the nearer one", "10.1.2.3:443", []string{"unknown, 10.0.0.4"}, "10.0.0.4"},
		{"empty entry", "10.1.2.3:443", []string{"198.51.100.7,,"}, "10.1.2.3"},
		{"zoned address is not an address", "10.1.2.3:443", []string{"fe80::1%eth0"}, "10.1.2.3"},
		{"remote address without port", "203.0.113.9", nil, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := p.ClientIP(r); got != tc.want {
				t.Fatalf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProxiesForwardedTLS(t *testing.T) {
	p := testProxies(t)
	for _, tc := range []struct {
		name, remote string
		proto        []string
		want         bool
	}{
		{"proxy says https", "10.1.2.3:443", []string{"https"}, true},
		{"proxy says HTTPS", "10.1.2.3:443", []string{"HTTPS"}, true},
		{"proxy says http", "10.1.2.3:443", []string{"http"}, false},
		{"proxy says nothing", "10.1.2.3:443", nil, false},
		{"the nearest proxy's word counts", "10.1.2.3:443", []string{"https, http"}, false},
		{"the nearest proxy's word counts, lines", "10.1.2.3:443", []string{"http", "https"}, true},
		{"anyone else is not believed", "203.0.113.9:5000", []string{"https"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.proto {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if got := p.ForwardedTLS(r); got != tc.want {
				t.Fatalf("ForwardedTLS = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNilProxiesTrustNobody: without listen.trusted_proxies the headers
// change nothing.
func TestNilProxiesTrustNobody(t *testing.T) {
	var p *Proxies
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:443"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := p.ClientIP(r); got != "10.1.2.3" {
		t.Fatalf("ClientIP = %q", got)
	}
	if p.ForwardedTLS(r) {
		t.Fatal("ForwardedTLS believed an untrusted source")
	}
}

// TestLoginBehindProxy: through a trusted proxy (here: loopback) the
// session cookie is Secure when the proxy says https, and failed logins
// count against the forwarded address, not the proxy's.
func TestLoginBehindProxy(t *testing.T) {
	loopback := NewProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	e := newEnv(t, func(o *Options) {
		o.Proxies = loopback
		o.IPLimiter = auth.NewLimiter(2, 5*time.Minute, o.Clock)
	})
	login := func(user, pw string, hdr map[string]string) *http.Response {
		t.Helper()
		body := `{"user":"` + user + `","password":"` + pw + `"}`
		req, err := http.NewRequest("POST", e.ts.URL+"/api/v1/login", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	secure := func(res *http.Response) bool {
		for _, ck := range res.Cookies() {
			switch ck.Name {
			case SecureCookiePrefix + CookieName:
				return ck.Secure
			case CookieName:
				return false
			}
		}
		t.Fatalf("no session cookie: %d %v", res.StatusCode, res.Header)
		return false
	}
	if !secure(login("alice", "password-1", map[string]string{"X-Forwarded-Proto": "https"})) {
		t.Fatal("cookie not Secure behind a trusted proxy saying https")
	}
	if secure(login("alice", "password-1", map[string]string{"X-Forwarded-Proto": "http"})) {
		t.Fatal("cookie Secure behind a proxy saying http")
	}

	a := map[string]string{"X-Forwarded-For": "198.51.100.7"}
	b := map[string]string{"X-Forwarded-For": "198.51.100.8"}
	for range 2 {
		if res := login("nobody-"+strings.Repeat("x", 3), "wrong", a); res.StatusCode != 401 {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
	}
	if res := login("alice", "password-1", a); res.StatusCode != 429 {
		t.Fatalf("client over its address limit: %d, want 429", res.StatusCode)
	}
	if res := login("alice", "password-1", b); res.StatusCode != 200 {
		t.Fatalf("another client behind the same proxy: %d, want 200", res.StatusCode)
	}
}

// TestUntrustedForwardingHeaders: without trusted proxies a forged
// X-Forwarded-Proto does not make the cookie Secure and a forged
// X-Forwarded-For does not escape the address limit.
func TestUntrustedForwardingHeaders(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.IPLimiter = auth.NewLimiter(1, 5*time.Minute, o.Clock) })
	do := func(user, pw, xff string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/login", strings.NewReader(`{"user":"`+user+`","password":"`+pw+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := do("alice", "password-1", "198.51.100.1")
	for _, ck := range res.Cookies() {
		if ck.Name != CookieName || ck.Secure {
			t.Fatal("forged X-Forwarded-Proto made the cookie Secure")
		}
	}
	if res := do("bob", "wrong", "198.51.100.2"); res.StatusCode != 401 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if res := do("alice", "password-1", "198.51.100.3"); res.StatusCode != 429 {
		t.Fatalf("forged X-Forwarded-For escaped the address limit: %d", res.StatusCode)
	}
}

// FuzzClientIP: whatever a request carries, ClientIP gives the
// connection's address, or from a trusted proxy an address written in
// X-Forwarded-For.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{
		"", "198.51.100.7", "1.1.1.1, 198.51.100.7, 10.0.0.1", "[2001:db8::1]:80",
		"::ffff:1.2.3.4", "unknown", ",,,", "fe80::1%eth0, 10.0.0.1", "10.0.0.1:99999",
	} {
		f.Add(s, "10.1.2.3:443")
		f.Add(s, "203.0.113.9:1")
	}
	p := testProxies(f)
	f.Fuzz(func(t *testing.T, xff, remote string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		// the same bytes as X-Forwarded-Host: Host changes only from a
		// trusted proxy, and only to something host-like
		r.Header.Set("X-Forwarded-Host", xff)
		host := r.Host
		p.ForwardHost(r)
		if r.Host != host {
			if rem, ok := parseHop(remote); !ok || !p.trusts(rem) || !hostLike(r.Host) || strings.ContainsAny(r.Host, " ,/") {
				t.Fatalf("X-Forwarded-Host %q from %q made Host %q", xff, remote, r.Host)
			}
		}
		got := p.ClientIP(r)
		rem, ok := parseHop(remote)
		if !ok {
			if got != remoteIP(r) {
				t.Fatalf("ClientIP = %q from an unreadable remote %q", got, remote)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("ClientIP = %q: not an address", got)
		}
		if !p.trusts(rem) {
			if a != rem {
				t.Fatalf("ClientIP = %s from an untrusted %q", a, remote)
			}
			return
		}
		if a == rem {
			return
		}
		for _, hop := range strings.Split(xff, ",") {
			if h, ok := parseHop(strings.TrimSpace(hop)); ok && h == a {
				return
			}
		}
		t.Fatalf("ClientIP = %s: not the remote %q nor in %q", a, remote, xff)
	})
}

// TestForwardedHost: behind a trusted proxy that sends a Host of its own,
// X-Forwarded-Host is the name the browser used, and the event stream and
// the API accept that origin; from an untrusted address the header
// changes nothing, and a header that is no host name is ignored.
func TestForwardedHost(t *testing.T) {
	const site = "https://earshot.example.com"
	for _, tc := range []struct {
		name    string
		trusted bool
		xfh     string
		ok      bool
	}{
		{"trusted proxy names the host", true, "earshot.example.com", true},
		{"the nearest proxy's value counts", true, "evil.example, earshot.example.com", true},
		{"no header", true, "", false},
		{"not a host name", true, "earshot.example.com/x", false},
		{"untrusted sender", false, "earshot.example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) {
				if tc.trusted {
					o.Proxies = NewProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
				}
			})
			alice := e.login("alice")
			_, res, err := alice.dial(t, "Origin", site, "X-Forwarded-Host", tc.xfh)
			if tc.ok && err != nil {
				t.Fatalf("event stream from %s: %v", site, err)
			}
			if !tc.ok && (err == nil || res == nil || res.StatusCode != 403) {
				t.Fatalf("event stream from %s: %v, want 403", site, err)
			}
			code := alice.call("PUT", "/api/v1/me/state", map[string]string{"state": "available"}, "Origin", site, "X-Forwarded-Host", tc.xfh).status
			if want := map[bool]int{true: 200, false: 403}[tc.ok]; code != want {
				t.Fatalf("state change from %s: %d, want %d", site, code, want)
			}
		})
	}
}
