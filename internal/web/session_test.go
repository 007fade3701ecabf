package web

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/auth"
)

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	c := e.anon()
	res := c.call("POST", "/api/v1/login", map[string]string{"user": "alice", "password": "password-1"})
	expect(t, "login", res, 200)
	m := res.json()
	if m["user"] != "alice" || m["display"] != "User alice" || m["csrf"] == "" {
		t.Fatalf("login answer %s", res.body)
	}
	ck := cookieOf(t, res, CookieName)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure on plain HTTP", ck)
	}
	c.csrf = m["csrf"].(string)

	me := c.call("GET", "/api/v1/me", nil)
	expect(t, "me", me, 200)
	mj := me.json()
	if mj["user"] != "alice" || mj["csrf"] != c.csrf || mj["agent"].(map[string]any)["state"] != "available" {
		t.Fatalf("me: %s", me.body)
	}
	if teams := mj["teams"].([]any); len(teams) != 1 || teams[0] != "A" {
		t.Fatalf("me teams: %v", teams)
	}

	expect(t, "logout", c.call("POST", "/api/v1/logout", nil), 204)
	if n := e.sess.count(); n != 0 {
		t.Fatalf("%d sessions after logout", n)
	}
	expect(t, "me after logout", c.call("GET", "/api/v1/me", nil), 401)
}

// TestSecureCookie: over HTTPS the session cookie is Secure and named
// with the __Host- prefix, and a plain-named cookie is never read, even
// one holding a live session's token: a sibling host could have set it.
func TestSecureCookie(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SecureCookies = true })
	res := e.anon().call("POST", "/api/v1/login", map[string]string{"user": "alice", "password": "password-1"})
	ck := cookieOf(t, res, SecureCookiePrefix+CookieName)
	if !ck.Secure || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("cookie %+v: want Secure, Path=/, no Domain", ck)
	}
	csrf := res.json()["csrf"].(string)
	me := func(name string) int {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: name, Value: ck.Value})
		req.Header.Set("X-CSRF-Token", csrf)
		res, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := me(SecureCookiePrefix + CookieName); code != 200 {
		t.Fatalf("me with the __Host- cookie: %d, want 200", code)
	}
	if code := me(CookieName); code != 401 {
		t.Fatalf("me with a plain-named cookie over HTTPS: %d, want 401", code)
	}
}

func cookieOf(t *testing.T, r result, name string) *http.Cookie {
	t.Helper()
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	t.Fatalf("no %s cookie in %v", name, r.header)
	return nil
}

func TestWrongPassword(t *testing.T) {
	e := newEnv(t)
	wrong := e.anon().call("POST", "/api/v1/login", map[string]string{"user": "alice", "password": "nope-nope"})
	unknown := e.anon().call("POST", "/api/v1/login", map[string]string{"user": "mallory", "password": "nope-nope"})
	expect(t, "wrong password", wrong, 401)
	expect(t, "unknown user", unknown, 401)
	if wrong.errMsg() != unknown.errMsg() {
		t.Fatalf("answers differ: %q vs %q", wrong.errMsg(), unknown.errMsg())
	}
	if e.sess.count() != 0 {
		t.Fatal("a failed login created a session")
	}
	expect(t, "missing fields", e.anon().call("POST", "/api/v1/login", map[string]string{"user": "alice"}), 400)
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.UserLimiter = auth.NewLimiter(3, 5*time.Minute, o.Clock)
		o.IPLimiter = auth.NewLimiter(5, 5*time.Minute, o.Clock)
	})
	try := func(user, pw string) result {
		return e.anon().call("POST", "/api/v1/login", map[string]string{"user": user, "password": pw})
	}
	for i := range 3 {
		expect(t, "wrong alice", try("alice", "wrong-"+string(rune('a'+i))), 401)
	}
	r := try("alice", "password-1")
	expect(t, "alice over her limit, right password", r, 429)
	if ra := r.header.Get("Retry-After"); ra != "300" {
		t.Fatalf("Retry-After %q, want 300", ra)
	}
	expect(t, "carol from the same address", try("carol", "password-1"), 200)
	for range 2 {
		expect(t, "wrong bob", try("bob", "wrong-pass"), 401)
	}
	expect(t, "carol once the address is over its limit", try("carol", "password-1"), 429)
	expect(t, "unknown user too", try("zed", "password-1"), 429)

	e.clk.Advance(5 * time.Minute)
	expect(t, "alice after the window", try("alice", "password-1"), 200)
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.login("alice")
	body := map[string]string{"state": "not_ready", "reason": "Lunch"}
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"missing token", []string{"X-CSRF-Token", ""}},
		{"wrong token", []string{"X-CSRF-Token", "not-the-token"}},
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign origin", []string{"Origin", "http://evil.example"}},
	} {
		expect(t, tc.name, c.call("PUT", "/api/v1/me/state", body, tc.headers...), 403)
		if st := e.eng.state("alice").State; st != acd.Available {
			t.Fatalf("%s: state changed to %s", tc.name, st)
		}
	}
	expect(t, "same-origin", c.call("PUT", "/api/v1/me/state", body, "Sec-Fetch-Site", "same-origin", "Origin", e.ts.URL), 200)
	if st := e.eng.state("alice").State; st != acd.NotReady {
		t.Fatalf("state %s after a good request", st)
	}
	// Logging in from another site is refused too (login CSRF).
	expect(t, "cross-site login", e.anon().call("POST", "/api/v1/login",
		map[string]string{"user": "alice", "password": "password-1"}, "Sec-Fetch-Site", "cross-site"), 403)
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SessionTTL = time.Hour })
	c := e.login("alice")
	e.clk.Advance(time.Hour)
	res := c.call("GET", "/api/v1/me", nil)
	expect(t, "expired", res, 401)
	if !strings.Contains(res.errMsg(), "expired") {
		t.Fatalf("message %q does not say the session expired", res.errMsg())
	}
	if e.sess.count() != 0 {
		t.Fatal("expired session kept")
	}
}

// One browser, two people: an agent's tab and a supervisor's tab each name
// their user and keep their own session; a request naming nobody gets the
// latest sign-in; signing one out leaves the other.
func TestTwoPeopleOneBrowser(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SeveralSignIns = true })
	b := e.anon()
	signIn := func(user string) string {
		t.Helper()
		res := b.call("POST", "/api/v1/login", map[string]string{"user": user, "password": "password-1"})
		expect(t, "login "+user, res, 200)
		return res.json()["csrf"].(string)
	}
	aliceCSRF := signIn("alice")
	supCSRF := signIn("sup-a")
	if n := e.sess.count(); n != 2 {
		t.Fatalf("%d sessions after two people signed in, want 2", n)
	}
	whoAmI := func(path string, headers ...string) string {
		t.Helper()
		res := b.call("GET", path, nil, headers...)
		expect(t, "me "+path, res, 200)
		return res.json()["user"].(string)
	}
	if u := whoAmI("/api/v1/me"); u != "sup-a" {
		t.Fatalf("no user named: %s, want the latest sign-in sup-a", u)
	}
	if u := whoAmI("/api/v1/me", UserHeader, "alice"); u != "alice" {
		t.Fatalf("%s: alice got %s", UserHeader, u)
	}
	if u := whoAmI("/api/v1/me?as=alice"); u != "alice" {
		t.Fatalf("?as=alice got %s", u)
	}
	// A handler that refuses unknown parameters never sees "as".
	expect(t, "history ?as=sup-a", b.call("GET", "/api/v1/history?limit=5&as=sup-a", nil), 200)
	if u := whoAmI("/api/v1/me", UserHeader, "SUP-A"); u != "sup-a" {
		t.Fatalf("user names are case-blind: got %s", u)
	}
	res := b.call("GET", "/api/v1/me", nil, UserHeader, "bob")
	expect(t, "someone not signed in here", res, 401)
	if !strings.Contains(res.errMsg(), "bob is not logged in") {
		t.Fatalf("401 says %q", res.errMsg())
	}

	// Each tab's CSRF token belongs to its own session.
	b.csrf = aliceCSRF
	res = b.call("POST", "/api/v1/logout", nil, UserHeader, "sup-a")
	expect(t, "alice's token for sup-a's session", res, 403)
	if !strings.Contains(res.errMsg(), "X-CSRF-Token") {
		t.Fatalf("403 says %q, want the CSRF reason", res.errMsg())
	}
	b.csrf = supCSRF
	expect(t, "sup-a signs out", b.call("POST", "/api/v1/logout", nil, UserHeader, "sup-a"), 204)
	if n := e.sess.count(); n != 1 {
		t.Fatalf("%d sessions after one signed out, want 1", n)
	}
	expect(t, "sup-a after signing out", b.call("GET", "/api/v1/me", nil, UserHeader, "sup-a"), 401)
	expect(t, "latest sign-in gone", b.call("GET", "/api/v1/me", nil), 401)
	if u := whoAmI("/api/v1/me", UserHeader, "alice"); u != "alice" {
		t.Fatalf("alice's tab after sup-a signed out: %s", u)
	}

	// Signing in again as the same person replaces only that person's session.
	signIn("alice")
	if n := e.sess.count(); n != 1 {
		t.Fatalf("%d sessions after alice signed in again, want 1", n)
	}
}

// A shared desk, outside the demo: a sign-in ends the browser's previous
// session, so the last person's rights do not linger, and naming them
// gets nothing.
func TestSignInEndsPreviousSession(t *testing.T) {
	e := newEnv(t)
	b := e.anon()
	for _, user := range []string{"sup-a", "alice"} {
		expect(t, "login "+user, b.call("POST", "/api/v1/login", map[string]string{"user": user, "password": "password-1"}), 200)
	}
	if n := e.sess.count(); n != 1 {
		t.Fatalf("%d sessions after two sign-ins in one browser, want 1", n)
	}
	expect(t, "history as sup-a after alice signed in", b.call("GET", "/api/v1/history?limit=5&as=sup-a", nil), 401)
	res := b.call("GET", "/api/v1/me", nil, UserHeader, "alice")
	expect(t, "alice naming herself", res, 200)
	if u := res.json()["user"]; u != "alice" {
		t.Fatalf("me: %v", u)
	}
	res = b.call("GET", "/api/v1/me", nil, UserHeader, "sup-a")
	expect(t, "naming sup-a", res, 401)
	if !strings.Contains(res.errMsg(), "sup-a is not logged in") {
		t.Fatalf("401 says %q", res.errMsg())
	}
	for _, ck := range (&http.Response{Header: res.header}).Cookies() {
		if strings.HasPrefix(ck.Name, CookieName+"_") {
			t.Fatalf("per-user cookie %s set outside the demo", ck.Name)
		}
	}
}

// A browser signed in before per-user cookies (or one that dropped them)
// still reaches its session when a page names its user.
func TestNamedUserFallsBackToTheBrowsersSession(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SeveralSignIns = true })
	c := e.login("alice")
	u, _ := url.Parse(e.ts.URL)
	var only []*http.Cookie
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == CookieName {
			only = append(only, ck)
		}
	}
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, only)
	c.hc.Jar = jar
	res := c.call("GET", "/api/v1/me", nil, UserHeader, "alice")
	expect(t, "alice with the browser's session only", res, 200)
	expect(t, "bob with alice's session", c.call("GET", "/api/v1/me", nil, UserHeader, "bob"), 401)
}
