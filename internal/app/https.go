package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/web"
)

// ErrUnknownHost is a TLS handshake's answer for a server name that is
// not in listen.acme_domains: no certificate is asked for it.
var ErrUnknownHost = errors.New("host name not in listen.acme_domains")

// webTLS is how the HTTPS listener gets its certificates: from files or
// by ACME.
type webTLS struct {
	config *tls.Config
	acme   *autocert.Manager // nil with certificate files
}

// newWebTLS reads listen.tls_cert and listen.tls_key, or prepares ACME for
// listen.acme_domains with its cache in <data_dir>/acme.
func newWebTLS(l config.Listen, dataDir string, log *slog.Logger) (*webTLS, error) {
	if len(l.ACMEDomains) == 0 {
		files, err := loadCertFiles(l.TLSCert, l.TLSKey, log)
		if err != nil {
			return nil, err
		}
		return &webTLS{config: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: files.GetCertificate,
			NextProtos:     []string{"h2", "http/1.1"},
		}}, nil
	}
	dir := filepath.Join(dataDir, "acme")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("listen.acme_domains: certificate cache: %w", err)
	}
	// The cache holds the account's and the certificates' private keys.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("listen.acme_domains: certificate cache: %w", err)
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: acmeHosts(l.ACMEDomains),
		Email:      l.ACMEEmail,
	}
	if l.ACMEDirectory != "" {
		m.Client = &acme.Client{DirectoryURL: l.ACMEDirectory}
	}
	cfg := m.TLSConfig()
	cfg.MinVersion = tls.VersionTLS12
	get := cfg.GetCertificate
	warn := newCertWarnings(log, time.Now)
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if hello.ServerName == "" {
			err := fmt.Errorf("no server name in the TLS handshake: reach earshot by one of listen.acme_domains (%s)", strings.Join(l.ACMEDomains, ", "))
			warn.warn(hello.ServerName, err)
			return nil, err
		}
		cert, err := get(hello)
		if err != nil {
			warn.warn(hello.ServerName, err)
		}
		return cert, err
	}
	return &webTLS{config: cfg, acme: m}, nil
}

// certWarnEvery is how often a certificate failure is logged for one
// server name: a browser retrying, or a scanner, cannot flood the log.
const certWarnEvery = time.Minute

// certWarnNames bounds how many server names certWarnings remembers.
const certWarnNames = 1024

// certWarnings logs failures to get a certificate (the CA refused or
// could not be reached, or a name is not served) at Warn, so they show
// at the default level: at most once a certWarnEvery per server name.
type certWarnings struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex           // guards last
	last map[string]time.Time // server name → when last logged
}

func newCertWarnings(log *slog.Logger, now func() time.Time) *certWarnings {
	return &certWarnings{log: log, now: now, last: map[string]time.Time{}}
}

func (w *certWarnings) warn(serverName string, err error) {
	name := strings.ToLower(serverName)
	now := w.now()
	w.mu.Lock()
	if at, ok := w.last[name]; ok && now.Sub(at) < certWarnEvery {
		w.mu.Unlock()
		return
	}
	if len(w.last) >= certWarnNames {
		for n, at := range w.last {
			if now.Sub(at) >= certWarnEvery {
				delete(w.last, n)
			}
		}
		if len(w.last) >= certWarnNames {
			w.mu.Unlock()
			return // a flood of new names: what was logged says enough
		}
	}
	w.last[name] = now
	w.mu.Unlock()
	w.log.Warn("HTTPS: no certificate for the TLS handshake", "server_name", serverName, "err", err)
}

// acmeHosts allows exactly the configured names, with or without a port
// (the HTTP challenge's Host may carry one).
func acmeHosts(domains []string) autocert.HostPolicy {
	allowed := make(map[string]bool, len(domains))
	for _, d := range domains {
		allowed[strings.ToLower(strings.TrimSuffix(d, "."))] = true
	}
	list := strings.Join(domains, ", ")
	return func(_ context.Context, host string) error {
		name := host
		if h, _, err := net.SplitHostPort(host); err == nil {
			name = h
		}
		if !allowed[strings.ToLower(strings.TrimSuffix(name, "."))] {
			return fmt.Errorf("%w: %q (configured: %s)", ErrUnknownHost, host, list)
		}
		return nil
	}
}

// certFiles serves the certificate in two PEM files and reads them again
// when either changes, so a renewed certificate needs no restart. The
// files are looked at on every full handshake: two stat calls cost a few
// microseconds against the handshake's hundreds.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu   sync.Mutex       // guards cert and seen
	cert *tls.Certificate // what handshakes get
	seen [2]os.FileInfo   // the files as last read or tried
}

// loadCertFiles reads the certificate and key; an error names the
// configuration key at fault.
func loadCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	var err error
	if c.seen, err = c.stat(); err != nil {
		return nil, err
	}
	if c.cert, err = readKeyPair(certPath, keyPath); err != nil {
		return nil, err
	}
	if leaf := c.cert.Leaf; leaf != nil && time.Now().After(leaf.NotAfter) {
		log.Warn("the TLS certificate has expired: browsers and phones will refuse it", "file", certPath, "expired", leaf.NotAfter)
	}
	return c, nil
}

// stat looks at both files.
func (c *certFiles) stat() ([2]os.FileInfo, error) {
	ci, err := os.Stat(c.certPath)
	if err != nil {
		return [2]os.FileInfo{}, fmt.Errorf("listen.tls_cert: %w", err)
	}
	ki, err := os.Stat(c.keyPath)
	if err != nil {
		return [2]os.FileInfo{}, fmt.Errorf("listen.tls_key: %w", err)
	}
	return [2]os.FileInfo{ci, ki}, nil
}

// readKeyPair reads and checks a PEM certificate (chain) and its key.
func readKeyPair(certPath, keyPath string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("listen.tls_cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("listen.tls_key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("listen.tls_cert %s and listen.tls_key %s: %w", certPath, keyPath, err)
	}
	return &cert, nil
}

// GetCertificate is the tls.Config hook: the current certificate, read
// again first if a file has changed since.
func (c *certFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	now, err := c.stat()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || !changed(c.seen, now) {
		// A file being replaced may be missing for a moment: keep
		// serving what was read last.
		return c.cert, nil
	}
	c.seen = now
	cert, err := readKeyPair(c.certPath, c.keyPath)
	if err != nil {
		// Half-written, or the key not yet replaced: try again when a
		// file changes next.
		c.log.Warn("HTTPS certificate files changed but cannot be used; keeping the previous certificate", "error", err)
		return c.cert, nil
	}
	c.cert = cert
	c.log.Info("HTTPS certificate reloaded", "file", c.certPath, "expires", cert.Leaf.NotAfter)
	return c.cert, nil
}

// changed reports whether either file is another file, or was written,
// since it was last seen.
func changed(was, now [2]os.FileInfo) bool {
	for i := range was {
		if !os.SameFile(was[i], now[i]) || !was[i].ModTime().Equal(now[i].ModTime()) || was[i].Size() != now[i].Size() {
			return true
		}
	}
	return false
}

// healthRoutes stay on plain HTTP when HTTPS is on, for load balancers
// and Prometheus; they carry no cookie and need no login.
var healthRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// redirectHTTPS answers plain HTTP with a 308 redirect to the same URL
// over HTTPS on httpsPort, keeping the host name the client asked for.
// GET and HEAD of the health routes go to plain instead, and so does
// whatever a trusted proxy says it received over HTTPS (redirecting it
// would loop).
func redirectHTTPS(httpsPort string, plain http.Handler, proxies *web.Proxies) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if healthRoutes[r.URL.Path] && (r.Method == http.MethodGet || r.Method == http.MethodHead) || proxies.ForwardedTLS(r) {
			plain.ServeHTTP(w, r)
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if !redirectableHost(host) {
			http.Error(w, "this server answers over HTTPS only; the request named no usable host", http.StatusBadRequest)
			return
		}
		if httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		uri := r.URL.RequestURI()
		if !strings.HasPrefix(uri, "/") {
			uri = "/"
		}
		http.Redirect(w, r, "https://"+host+uri, http.StatusPermanentRedirect)
	})
}

// redirectableHost reports whether host is an IP address or a DNS name
// that can go into a URL as it is.
func redirectableHost(host string) bool {
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		return err == nil && a.Zone() == ""
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

// startHTTPS listens on listen.https and serves handler there over TLS.
// It returns the handler for the plain HTTP listener: redirects to HTTPS,
// and with ACME the CA's HTTP challenges.
func (a *App) startHTTPS(cfg *config.Config, handler http.Handler, proxies *web.Proxies) (http.Handler, error) {
	wt, err := newWebTLS(cfg.Listen, cfg.DataDir, a.log)
	if err != nil {
		return nil, err
	}
	a.httpsLn, err = net.Listen("tcp", cfg.Listen.HTTPS)
	if err != nil {
		return nil, fmt.Errorf("listen.https %s: %w", cfg.Listen.HTTPS, err)
	}
	a.acmeDomains = cfg.Listen.ACMEDomains
	a.https = &http.Server{
		Handler:           strictTransport(handler),
		TLSConfig:         wt.config,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       idleTimeout,
		// Handshake failures are mostly scanners and old clients; the
		// certificate's own failures are logged at Warn (certWarnings).
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	go func() {
		err := a.https.ServeTLS(a.httpsLn, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		a.done <- err
	}()
	_, port, _ := net.SplitHostPort(a.httpsLn.Addr().String())
	redirect := redirectHTTPS(port, handler, proxies)
	if wt.acme != nil {
		return wt.acme.HTTPHandler(redirect), nil
	}
	return redirect, nil
}

// idleTimeout closes keep-alive connections idle this long, on HTTP and
// HTTPS alike; WebSockets are hijacked and so not affected.
const idleTimeout = 2 * time.Minute

// hstsMaxAge is how long browsers keep to HTTPS for earshot's host once
// they have seen it there: a year, the host only (not its subdomains).
const hstsMaxAge = "max-age=31536000"

// strictTransport tells browsers on HTTPS to use nothing else for this
// host (HSTS), so a later plain http:// link cannot leak the session.
func strictTransport(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hstsMaxAge)
		next.ServeHTTP(w, r)
	})
}

// HTTPSAddr is where the pages and API answer over HTTPS (nil without
// listen.https).
func (a *App) HTTPSAddr() net.Addr {
	if a.httpsLn == nil {
		return nil
	}
	return a.httpsLn.Addr()
}

// webURL is the address people open: HTTPS when it is on.
func (a *App) webURL() string {
	addr := a.HTTPSAddr()
	if addr == nil {
		return "http://" + a.HTTPAddr()
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if len(a.acmeDomains) > 0 {
		host = a.acmeDomains[0]
	}
	if port == "443" {
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}

// trustedProxies reads listen.trusted_proxies.
func trustedProxies(list []string) (*web.Proxies, error) {
	var prefixes []netip.Prefix
	for _, s := range list {
		p, err := config.ParseProxy(s)
		if err != nil {
			return nil, fmt.Errorf("listen.trusted_proxies %q: %w", s, err)
		}
		prefixes = append(prefixes, p)
	}
	return web.NewProxies(prefixes), nil
}
