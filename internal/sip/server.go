// Package sip is earshot's SIP edge. It turns SIP into calls and calls into
// SIP, and knows no contact-centre rules: inbound trunk calls go to a
// Handler, registered phones are kept for Dial, and every call's audio is a
// Leg made by Media. The control plane and media plane are wired in through
// these small interfaces.
//
// It serves UDP, TCP and TLS (github.com/emiago/sipgo does the transport
// and transaction layers), accepts INVITEs only from trunk Sources, runs a
// digest-authenticated registrar for phones, and dials registered phones
// (forking to every contact) or numbers through the outbound trunk, after
// the dial plan allows them.
package sip

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/auth"
)

// Server is the SIP edge. Make one with New, then Run it.
type Server struct {
	cfg       Config
	log       *slog.Logger
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	client    *sipgo.Client
	listeners []*listener
	trunks    atomic.Pointer[[]trunk] // the list in force; SetTrunks swaps it
	carriers  *carriers               // registrations with carriers
	reg       *registrar
	nonces    *nonces
	parser    *sip.Parser // re-parses UDP datagrams that sipgo will refuse

	ready chan struct{} // closed when every listener serves
	stop  chan struct{} // closed when Run's context ends
	wg    sync.WaitGroup

	mu       sync.Mutex       // guards calls, changed, draining, and closing stop
	calls    map[string]*Call // live calls by dialog ID
	changed  chan struct{}    // closed and replaced whenever a call ends
	draining bool
}

// listener is one bound socket and what it advertises.
type listener struct {
	network string // "udp", "tcp", "tls"
	addr    netip.AddrPort
	host    string // for Via and Contact
	// advertised: host was configured (a public address), so SDP carries
	// it even when the leg is bound to a concrete private address.
	advertised bool
	pc         *readyPacketConn
	ln         *readyListener
}

// New checks cfg and binds every listener; Run serves them.
func New(cfg Config) (*Server, error) {
	cfg.withDefaults()
	if cfg.Media == nil {
		return nil, errors.New("sip: Config.Media is required")
	}
	if cfg.Calls == nil {
		return nil, errors.New("sip: Config.Calls is required")
	}
	if len(cfg.Listen) == 0 {
		return nil, errors.New("sip: Config.Listen is empty")
	}
	if strings.ContainsAny(cfg.Realm, "\"\\\r\n") {
		return nil, fmt.Errorf("sip: realm %q: no quotes, backslashes or line breaks", cfg.Realm)
	}
	trunks, err := parseTrunks(cfg.Trunks)
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	if cfg.AuthLimiter == nil {
		cfg.AuthLimiter = auth.NewLimiter(5, time.Minute, cfg.Clock)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sip: nonce key: %w", err)
	}

	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "sip"),
		nonces:  newNonces(key, cfg.NonceTTL, cfg.Clock),
		parser:  sip.NewParser(),
		ready:   make(chan struct{}),
		stop:    make(chan struct{}),
		calls:   make(map[string]*Call),
		changed: make(chan struct{}),
	}
	s.reg = newRegistrar(cfg)
	s.trunks.Store(&trunks)
	s.carriers = newCarriers(s)

	var tlsConf *tls.Config
	for _, spec := range cfg.Listen {
		ls, err := parseListen(spec)
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("sip: %w", err)
		}
		if ls.network == "tls" && tlsConf == nil && cfg.GetCertificate != nil {
			tlsConf = &tls.Config{GetCertificate: cfg.GetCertificate, MinVersion: tls.VersionTLS12}
		}
		if ls.network == "tls" && tlsConf == nil {
			cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
			if err != nil {
				s.closeListeners()
				return nil, fmt.Errorf("sip: tls listener %s: %w", ls.addr, err)
			}
			tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		l, err := bind(ls, tlsConf)
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("sip: %w", err)
		}
		l.host = advertiseHost(cfg.Advertise, l.addr.Addr())
		l.advertised = cfg.Advertise != ""
		s.listeners = append(s.listeners, l)
	}

	logger := s.log.With("layer", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(s.listeners[0].host),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(logger),
			sip.WithTransportLayerReadFilter(s.filterDatagram),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(logger),
			sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
				logger.Debug("response matches no transaction", "response", r.Short())
			}),
		),
	)
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	s.ua = ua
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(logger)); err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	if s.client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(logger)); err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	s.routes()
	return s, nil
}

func bind(ls listenSpec, tlsConf *tls.Config) (*listener, error) {
	l := &listener{network: ls.network}
	switch ls.network {
	case "udp":
		pc, err := net.ListenPacket("udp", ls.addr)
		if err != nil {
			return nil, fmt.Errorf("listen udp %s: %w", ls.addr, err)
		}
		l.pc = newReadyPacketConn(pc)
		l.addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	case "tcp", "tls":
		ln, err := net.Listen("tcp", ls.addr)
		if err != nil {
			return nil, fmt.Errorf("listen %s %s: %w", ls.network, ls.addr, err)
		}
		l.addr = ln.Addr().(*net.TCPAddr).AddrPort()
		if ls.network == "tls" {
			ln = tls.NewListener(ln, tlsConf)
		}
		l.ln = newReadyListener(ln)
	}
	l.addr = netip.AddrPortFrom(l.addr.Addr().Unmap(), l.addr.Port())
	return l, nil
}

// advertiseHost is what peers should use to reach a listener on addr.
func advertiseHost(configured string, addr netip.Addr) string {
	if configured != "" {
		return configured
	}
	if !addr.IsUnspecified() {
		return addr.String()
	}
	return outwardIP(addr.Is6()).String()
}

// outwardIP is the address of the interface that routes outwards; a UDP
// "connection" sends nothing.
func outwardIP(v6 bool) netip.Addr {
	network, probe := "udp4", "192.0.2.1:9"
	if v6 {
		network, probe = "udp6", "[2001:db8::1]:9"
	}
	c, err := net.Dial(network, probe)
	if err != nil {
		if v6 {
			return netip.IPv6Loopback()
		}
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
}

// Addr returns the bound address of the first listener on network ("udp",
// "tcp" or "tls"), or the zero AddrPort.
func (s *Server) Addr(network string) netip.AddrPort {
	if l := s.listenerFor(network, netip.Addr{}); l != nil {
		return l.addr
	}
	return netip.AddrPort{}
}

// listenerFor picks the listener on network, preferring one of remote's
// address family.
func (s *Server) listenerFor(network string, remote netip.Addr) *listener {
	var first *listener
	for _, l := range s.listeners {
		if l.network != network {
			continue
		}
		if first == nil {
			first = l
		}
		if !remote.IsValid() || l.addr.Addr().Is4() == remote.Unmap().Is4() {
			return l
		}
	}
	return first
}

// Ready is closed once every listener serves.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx ends, then hangs up every live call (waiting at most
// Config.ShutdownGrace), closes the listeners and returns. Call Drain first
// to let calls finish on their own. It returns an error only if a listener
// fails.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		go func() { errc <- s.serve(l) }()
	}
	go func() {
		for _, l := range s.listeners {
			if l.pc != nil {
				<-l.pc.ready
			} else {
				<-l.ln.ready
			}
		}
		close(s.ready)
	}()
	s.carriers.start(func() []trunk { return s.trunkList() })
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			runErr = err
			break loop
		case <-tick.C:
			s.reg.expire()
		}
	}
	s.shutdown()
	return runErr
}

func (s *Server) serve(l *listener) error {
	var err error
	switch l.network {
	case "udp":
		err = s.srv.ServeUDP(l.pc)
	case "tcp":
		err = s.srv.ServeTCP(l.ln)
	case "tls":
		err = s.srv.ServeTLS(l.ln)
	}
	select {
	case <-s.stop:
		return nil
	default:
	}
	if err == nil {
		err = errors.New("stopped")
	}
	return fmt.Errorf("sip: %s listener %s: %w", l.network, l.addr, err)
}

// Drain makes the server refuse new calls (503 to INVITEs, ErrShuttingDown
// from Dial) while live calls go on. A graceful stop is Drain, WaitIdle
// with a deadline, then cancelling Run's context.
func (s *Server) Drain() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
}

// ActiveCalls is the number of calls not yet ended, answered or not.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// WaitIdle waits until no call is live, or ctx ends. With Drain, it lets
// calls finish on their own before Run's context is cancelled.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		n, changed := len(s.calls), s.changed
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d calls still live: %w", n, ctx.Err())
		}
	}
}

func (s *Server) shutdown() {
	s.mu.Lock()
	s.draining = true
	close(s.stop)
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	t := time.NewTimer(s.cfg.ShutdownGrace)
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("calls still ending at shutdown", "calls", s.ActiveCalls())
	}
	t.Stop()
	s.carriers.stopAll()
	s.closeListeners()
	if s.ua != nil {
		if err := s.ua.Close(); err != nil {
			s.log.Debug("close user agent", "err", err)
		}
	}
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		if l.pc != nil {
			l.pc.Close()
		}
		if l.ln != nil {
			l.ln.Close()
		}
	}
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// begin counts a piece of work shutdown must wait for; the caller calls
// s.wg.Done when it ends. It fails once the server is stopping.
func (s *Server) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stop:
		return ErrShuttingDown
	default:
	}
	s.wg.Add(1)
	return nil
}

// track registers a live call under its dialog ID and counts it as work
// (the call's finish calls s.wg.Done). It fails once the server is
// stopping.
func (s *Server) track(c *Call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stop:
		return ErrShuttingDown
	default:
	}
	s.calls[c.dialogID] = c
	s.wg.Add(1)
	return nil
}

func (s *Server) untrack(c *Call) {
	s.mu.Lock()
	delete(s.calls, c.dialogID)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) lookup(dialogID string) *Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[dialogID]
}

// t1 is the RTT estimate for earshot's own SIP timers (RFC 3261 17.1.1.1).
func (s *Server) t1() time.Duration {
	if s.cfg.t1 > 0 {
		return s.cfg.t1
	}
	return sip.T1
}

// newID returns a random identifier for calls and tags.
func newID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// readyPacketConn signals when sipgo first reads from it, which is after
// sipgo registered it for sending.
type readyPacketConn struct {
	net.PacketConn
	once  sync.Once
	ready chan struct{}
}

func newReadyPacketConn(pc net.PacketConn) *readyPacketConn {
	return &readyPacketConn{PacketConn: pc, ready: make(chan struct{})}
}

func (c *readyPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.once.Do(func() { close(c.ready) })
	return c.PacketConn.ReadFrom(b)
}

// readyListener signals when sipgo first accepts on it.
type readyListener struct {
	net.Listener
	once  sync.Once
	ready chan struct{}
}

func newReadyListener(ln net.Listener) *readyListener {
	return &readyListener{Listener: ln, ready: make(chan struct{})}
}

func (l *readyListener) Accept() (net.Conn, error) {
	l.once.Do(func() { close(l.ready) })
	return l.Listener.Accept()
}
