package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/web"
)

// httpsConfig is the demo's configuration on loopback with HTTPS from
// the given files.
func httpsConfig(t *testing.T, certFile, keyFile string) *config.Config {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Listen.HTTPS, cfg.Listen.TLSCert, cfg.Listen.TLSKey = "127.0.0.1:0", certFile, keyFile
	return cfg
}

// trustingClient is a browser that trusts pool and follows no redirects.
func trustingClient(pool *x509.CertPool) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// TestHTTPS: with listen.https and certificate files, the pages and the
// API answer over TLS 1.2+ (HTTP/2), a login's cookie is Secure, and
// plain HTTP redirects to the same URL over HTTPS.
func TestHTTPS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	var banner bytes.Buffer
	a, err := Start(context.Background(), Options{Config: httpsConfig(t, certFile, keyFile), Out: &banner})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			a.Close()
		}
	}()
	base := "https://" + a.HTTPSAddr().String()
	hc := trustingClient(pool)
	if a.https.IdleTimeout != 2*time.Minute || a.http.IdleTimeout != 2*time.Minute {
		t.Fatalf("idle timeouts: HTTPS %v, HTTP %v; want 2m each", a.https.IdleTimeout, a.http.IdleTimeout)
	}

	res, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 || res.ProtoMajor != 2 {
		t.Fatalf("GET /healthz over HTTPS: %d %s TLS %+v", res.StatusCode, res.Proto, res.TLS)
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security over HTTPS = %q, want max-age=31536000", got)
	}

	res, err = hc.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"user":"alice","password":"demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == web.SecureCookiePrefix+web.CookieName {
			session = ck
		}
	}
	if res.StatusCode != 200 || session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("login over HTTPS: %d, cookie %+v: want 200 and a Secure HttpOnly cookie", res.StatusCode, session)
	}
	res, err = hc.Get(base + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/v1/me with the Secure cookie: %d", res.StatusCode)
	}

	plain := "http://" + a.HTTPAddr()
	_, port, _ := net.SplitHostPort(a.HTTPSAddr().String())
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/phone", "https://127.0.0.1:" + port + "/phone"},
		{"GET", "/monitor?team=A&x=%2F", "https://127.0.0.1:" + port + "/monitor?team=A&x=%2F"},
		{"POST", "/api/v1/login", "https://127.0.0.1:" + port + "/api/v1/login"},
		{"POST", "/healthz", "https://127.0.0.1:" + port + "/healthz"},
	} {
		req, _ := http.NewRequest(tc.method, plain+tc.path, strings.NewReader("{}"))
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != tc.want {
			t.Fatalf("plain %s %s: %d to %q, want 308 to %q", tc.method, tc.path, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
		if hsts := res.Header.Get("Strict-Transport-Security"); hsts != "" {
			t.Errorf("plain %s %s sets Strict-Transport-Security %q: browsers ignore it there", tc.method, tc.path, hsts)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := hc.Get(plain + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("plain GET %s: %d, want 200 for load balancers", path, res.StatusCode)
		}
	}

	if _, err := tls.Dial("tcp", a.HTTPSAddr().String(), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
	if !strings.Contains(banner.String(), "running at "+base) || !strings.Contains(banner.String(), "redirects to HTTPS") {
		t.Fatalf("banner does not give the HTTPS address:\n%s", banner.String())
	}

	closed = true
	if err := a.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, addr := range []string{a.HTTPSAddr().String(), a.HTTPAddr()} {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Fatalf("%s still accepts connections after Close", addr)
		}
	}
}

// replaceFile puts data at path the way certificate tools do: written
// beside it, then renamed over it.
func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// servedCert is the leaf certificate a new handshake gets.
func servedCert(t *testing.T, addr net.Addr, pool *x509.CertPool) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr.String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// TestHTTPSReloadsCertificate: renewed certificate files are served on the
// next handshake without a restart; files that cannot be used leave the
// previous certificate in service.
func TestHTTPSReloadsCertificate(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	a, err := Start(context.Background(), Options{Config: httpsConfig(t, certFile, keyFile), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	first := servedCert(t, a.HTTPSAddr(), pool)

	newCert, newKey, newPool := selfSigned(t)
	replaceFile(t, certFile, readFile(t, newCert))
	replaceFile(t, keyFile, readFile(t, newKey))
	second := servedCert(t, a.HTTPSAddr(), newPool)
	if second.Equal(first) {
		t.Fatal("the old certificate is still served after the files were replaced")
	}

	// A certificate whose key is not yet replaced: keep the last good one.
	third, _, _ := selfSigned(t)
	replaceFile(t, certFile, readFile(t, third))
	if got := servedCert(t, a.HTTPSAddr(), newPool); !got.Equal(second) {
		t.Fatal("a certificate without its key replaced the one in service")
	}
	replaceFile(t, certFile, []byte("not PEM"))
	if got := servedCert(t, a.HTTPSAddr(), newPool); !got.Equal(second) {
		t.Fatal("an unreadable certificate file replaced the one in service")
	}
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	if got := servedCert(t, a.HTTPSAddr(), newPool); !got.Equal(second) {
		t.Fatal("a missing certificate file replaced the one in service")
	}
}

// TestHTTPSStartErrors: a certificate problem or a busy port stops the
// start with the configuration key at fault.
func TestHTTPSStartErrors(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	otherCert, _, _ := selfSigned(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("-----BEGIN CERTIFICATE-----\nnonsense\n"), 0o600)
	for _, tc := range []struct {
		name      string
		tweak     func(*config.Listen)
		wantParts []string
	}{
		{"missing certificate", func(l *config.Listen) { l.TLSCert = filepath.Join(t.TempDir(), "none.pem") }, []string{"listen.tls_cert", "none.pem", "no such file"}},
		{"missing key", func(l *config.Listen) { l.TLSKey = filepath.Join(t.TempDir(), "none.key") }, []string{"listen.tls_key", "none.key"}},
		{"certificate not PEM", func(l *config.Listen) { l.TLSCert = garbage }, []string{"listen.tls_cert", "garbage.pem"}},
		{"key of another certificate", func(l *config.Listen) { l.TLSCert = otherCert }, []string{"listen.tls_cert", "listen.tls_key", "private key does not match"}},
		{"port in use", func(l *config.Listen) { l.HTTPS = busy.Addr().String() }, []string{"listen.https", busy.Addr().String()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := httpsConfig(t, certFile, keyFile)
			tc.tweak(&cfg.Listen)
			a, err := Start(context.Background(), Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
			if err == nil {
				a.Close()
				t.Fatal("started")
			}
			for _, part := range tc.wantParts {
				if !strings.Contains(err.Error(), part) {
					t.Fatalf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

// logWatch is a slog handler that hands each record's text, level first,
// to a channel. Like the default handler it takes Info and above, so a
// line at Debug is not seen.
type logWatch struct {
	mu    sync.Mutex // guards lines
	lines []string
	news  chan struct{}
}

func newLogWatch() *logWatch { return &logWatch{news: make(chan struct{}, 1)} }

func (w *logWatch) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *logWatch) WithGroup(string) slog.Handler                { return w }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	w.mu.Lock()
	w.lines = append(w.lines, line)
	w.mu.Unlock()
	select {
	case w.news <- struct{}{}:
	default:
	}
	return nil
}

// waitFor waits until a logged line contains every part.
func (w *logWatch) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(l, p)
			}
			if all {
				w.mu.Unlock()
				return
			}
		}
		w.mu.Unlock()
		select {
		case <-w.news:
		case <-deadline:
			t.Fatalf("no log line with %q", parts)
		}
	}
}

// TestACMEConfigured: with listen.acme_domains the certificate cache is a
// private folder, a handshake for another name (or none) is refused with
// the reason before the CA is asked anything, and plain HTTP answers the
// CA's challenges for the configured names only and redirects the rest.
// Issuance itself is TestACMEIssues's.
func TestACMEConfigured(t *testing.T) {
	var asked atomic.Int32
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer ca.Close()
	dir := t.TempDir()
	cfg := demoConfig(t, dir)
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Listen.HTTPS = "127.0.0.1:0"
	cfg.Listen.ACMEDomains = []string{"Contact.Example.test"}
	cfg.Listen.ACMEDirectory = ca.URL + "/directory"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("configuration: %v", err)
	}
	logs := newLogWatch()
	a, err := Start(context.Background(), Options{Config: cfg, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	st, err := os.Stat(filepath.Join(dir, "acme"))
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("certificate cache: %v %v, want a 0700 folder", st.Mode(), err)
	}

	_, err = tls.Dial("tcp", a.HTTPSAddr().String(), &tls.Config{ServerName: "evil.example.org", InsecureSkipVerify: true})
	if err == nil {
		t.Fatal("handshake for a name not in listen.acme_domains succeeded")
	}
	logs.waitFor(t, "WARN", "no certificate", ErrUnknownHost.Error(), `"evil.example.org"`)
	_, err = tls.Dial("tcp", a.HTTPSAddr().String(), &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		t.Fatal("handshake without a server name succeeded")
	}
	logs.waitFor(t, "WARN", "no certificate", "no server name", "Contact.Example.test")
	if n := asked.Load(); n != 0 {
		t.Fatalf("the CA was asked %d times for refused names", n)
	}

	hc := trustingClient(nil)
	plain := "http://" + a.HTTPAddr()
	get := func(host, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", plain+path, nil)
		req.Host = host
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := get("contact.example.test", "/.well-known/acme-challenge/no-such-token"); res.StatusCode != 404 {
		t.Fatalf("unknown challenge token: %d, want 404", res.StatusCode)
	}
	if res := get("evil.example.org", "/.well-known/acme-challenge/x"); res.StatusCode != 403 {
		t.Fatalf("challenge for another host: %d, want 403", res.StatusCode)
	}
	_, port, _ := net.SplitHostPort(a.HTTPSAddr().String())
	if res := get("contact.example.test", "/phone"); res.StatusCode != 308 || res.Header.Get("Location") != "https://contact.example.test:"+port+"/phone" {
		t.Fatalf("plain /phone: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestRedirectHTTPS: the redirect keeps the host name, swaps the port
// (dropping it for 443), and refuses a request without a host.
func TestRedirectHTTPS(t *testing.T) {
	plain := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(299) })
	for _, tc := range []struct {
		port, method, host, target string
		code                       int
		location                   string
	}{
		{"443", "GET", "contact.example.com", "/phone", 308, "https://contact.example.com/phone"},
		{"443", "GET", "contact.example.com:80", "/phone?a=b", 308, "https://contact.example.com/phone?a=b"},
		{"8443", "PUT", "contact.example.com:8080", "/api/v1/me/state", 308, "https://contact.example.com:8443/api/v1/me/state"},
		{"443", "GET", "[2001:db8::1]:80", "/", 308, "https://[2001:db8::1]/"},
		{"8443", "GET", "[2001:db8::1]", "/x", 308, "https://[2001:db8::1]:8443/x"},
		{"8443", "GET", "", "/phone", 400, ""},
		{"8443", "GET", "h.example", "/healthz", 299, ""},
		{"8443", "HEAD", "h.example", "/readyz", 299, ""},
		{"8443", "GET", "h.example", "/metrics", 299, ""},
		{"8443", "DELETE", "h.example", "/healthz", 308, "https://h.example:8443/healthz"},
		{"8443", "GET", "h.example", "//evil.example/x", 308, "https://h.example:8443//evil.example/x"},
	} {
		r := httptest.NewRequest(tc.method, "http://placeholder"+tc.target, nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		redirectHTTPS(tc.port, plain, nil).ServeHTTP(w, r)
		if w.Code != tc.code || w.Header().Get("Location") != tc.location {
			t.Errorf("%s %s%s to port %s: %d %q, want %d %q", tc.method, tc.host, tc.target, tc.port, w.Code, w.Header().Get("Location"), tc.code, tc.location)
		}
	}

	// A trusted proxy that received HTTPS is served, not sent round again;
	// anyone else saying so is redirected.
	proxies := web.NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")})
	for _, tc := range []struct {
		remote string
		code   int
	}{{"10.0.0.2:40000", 299}, {"203.0.113.9:40000", 308}} {
		r := httptest.NewRequest("GET", "http://h.example/phone", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Forwarded-Proto", "https")
		w := httptest.NewRecorder()
		redirectHTTPS("443", plain, proxies).ServeHTTP(w, r)
		if w.Code != tc.code {
			t.Errorf("X-Forwarded-Proto: https from %s: %d, want %d", tc.remote, w.Code, tc.code)
		}
	}
}

// TestTrustedProxiesWired: listen.trusted_proxies reaches the web edge:
// behind a trusted proxy saying https the cookie is Secure on plain HTTP.
func TestTrustedProxiesWired(t *testing.T) {
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Listen.TrustedProxies = []string{"127.0.0.1"}
	a := start(t, cfg)
	defer a.Close()
	req, _ := http.NewRequest("POST", "http://"+a.HTTPAddr()+"/api/v1/login", strings.NewReader(`{"user":"alice","password":"demo"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == web.SecureCookiePrefix+web.CookieName {
			if !ck.Secure {
				t.Fatal("cookie not Secure behind a trusted proxy saying https")
			}
			return
		}
	}
	t.Fatalf("login: %d, no session cookie", res.StatusCode)
}

// TestACMEIssues: with listen.acme_domains, the first handshake for the
// name obtains a certificate from the CA (a local ACME server validating
// over TLS-ALPN on listen.https, or over HTTP on listen.http), serves it,
// and keeps it in <data_dir>/acme for the next ones.
func TestACMEIssues(t *testing.T) {
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) {
			ca := newACMECA(t, challenge)
			dir := t.TempDir()
			cfg := demoConfig(t, dir)
			cfg.Listen.SIP = "127.0.0.1:0"
			cfg.Listen.HTTPS = "127.0.0.1:0"
			cfg.Listen.ACMEDomains = []string{"contact.example.test"}
			cfg.Listen.ACMEEmail = "ops@example.test"
			cfg.Listen.ACMEDirectory = ca.directory()
			a, err := Start(context.Background(), Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			ca.validateAt(a.HTTPAddr(), a.HTTPSAddr().String())

			hc := trustingClient(ca.roots)
			hc.Timeout = 30 * time.Second
			hc.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, a.HTTPSAddr().String())
			}
			for i := range 2 {
				res, err := hc.Get("https://contact.example.test/healthz")
				if err != nil {
					t.Fatalf("GET %d: %v", i, err)
				}
				res.Body.Close()
				leaf := res.TLS.PeerCertificates[0]
				if res.StatusCode != 200 || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "contact.example.test" || leaf.Issuer.CommonName != ca.root.Subject.CommonName {
					t.Fatalf("GET %d: %d, certificate for %v from %q", i, res.StatusCode, leaf.DNSNames, leaf.Issuer.CommonName)
				}
				hc.CloseIdleConnections()
			}
			if n := ca.issuedCount(); n != 1 {
				t.Fatalf("the CA issued %d certificates, want 1", n)
			}
			if _, err := os.Stat(filepath.Join(dir, "acme", "contact.example.test")); err != nil {
				t.Fatalf("certificate not cached: %v", err)
			}
		})
	}
}

// FuzzRedirectHTTPS: whatever Host and path plain HTTP gets, the answer
// is a redirect to an https URL on the same host name and the HTTPS
// port, or a 400; never another host.
func FuzzRedirectHTTPS(f *testing.F) {
	for _, s := range [][2]string{
		{"contact.example.com", "/phone"}, {"contact.example.com:80", "/a?b=c"}, {"[2001:db8::1]:80", "/"},
		{"", "/x"}, {"h.example", "//evil.example/x"}, {"h.example", "/healthz"}, {"[::1", "/"}, {"a:b:c", "/"},
	} {
		f.Add(s[0], s[1])
	}
	plain := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(299) })
	h := redirectHTTPS("8443", plain, nil)
	f.Fuzz(func(t *testing.T, host, path string) {
		r, err := http.NewRequest("GET", "http://placeholder/", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.URL.Path = path
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 299, http.StatusBadRequest:
			return
		case http.StatusPermanentRedirect:
		default:
			t.Fatalf("status %d", w.Code)
		}
		loc, err := url.Parse(w.Header().Get("Location"))
		if err != nil {
			t.Fatalf("Location %q: %v", w.Header().Get("Location"), err)
		}
		want := host
		if h, _, err := net.SplitHostPort(host); err == nil {
			want = h
		}
		want = strings.TrimSuffix(strings.TrimPrefix(want, "["), "]")
		if loc.Scheme != "https" || loc.Port() != "8443" || loc.Hostname() != want {
			t.Fatalf("Host %q path %q: Location %q", host, path, loc)
		}
	})
}

// BenchmarkCertFilesGetCertificate is what looking at the certificate
// files adds to each TLS handshake.
func BenchmarkCertFilesGetCertificate(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := b.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, err := loadCertFiles(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	hello := &tls.ClientHelloInfo{ServerName: "127.0.0.1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetCertificate(hello); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCertWarningsRateLimited: a certificate failure is logged at Warn
// once a minute per server name (names differing only in case are one),
// and a flood of new names cannot grow the memory without bound.
func TestCertWarningsRateLimited(t *testing.T) {
	logs := newLogWatch()
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	w := newCertWarnings(slog.New(logs), func() time.Time { return now })
	refused := errors.New("refused")
	count := func() int {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		return len(logs.lines)
	}
	w.warn("evil.example.org", refused)
	w.warn("Evil.Example.org", refused)
	if n := count(); n != 1 {
		t.Fatalf("%d lines for one name within a minute, want 1", n)
	}
	w.warn("other.example.org", refused)
	if n := count(); n != 2 {
		t.Fatalf("%d lines after a second name, want 2", n)
	}
	now = now.Add(59 * time.Second)
	w.warn("evil.example.org", refused)
	if n := count(); n != 2 {
		t.Fatalf("%d lines, want 2: logged again within a minute", n)
	}
	now = now.Add(time.Second)
	w.warn("evil.example.org", refused)
	if n := count(); n != 3 {
		t.Fatalf("%d lines, want 3: a minute later the name is logged again", n)
	}
	if !strings.HasPrefix(logs.lines[2], "WARN ") || !strings.Contains(logs.lines[2], "refused") {
		t.Fatalf("line %q: want a warning with the error", logs.lines[2])
	}
	for i := range 2 * certWarnNames {
		w.warn(fmt.Sprintf("scan%d.example", i), refused)
	}
	if len(w.last) > certWarnNames {
		t.Fatalf("%d names remembered, want at most %d", len(w.last), certWarnNames)
	}
}
