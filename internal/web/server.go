package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/events"
)

// Options configure a Server. Engine and Sessions are required.
type Options struct {
	Engine   Engine
	Sessions SessionStore
	Stats    StatsSource  // optional: rows carry no figures without it
	History  History      // optional: /api/v1/history answers 503 without it
	Admin    Reconfigurer // optional: configuration changes answer 503 without it
	Bus      *events.Bus  // optional: the WebSocket sends only snapshots without it
	Pages    fs.FS        // optional: static pages served at /
	Logger   *slog.Logger // default slog.Default()
	Clock    auth.Clock   // default the wall clock; used for sessions and login limits
	// Assist is the assist desk (optional: the assist routes answer 503
	// and agent rows carry no "assist" without it).
	Assist AssistDesk
	// WebPhones says whose web softphone is signed in (optional: without
	// it nobody can choose the web client for assist audio).
	WebPhones WebPhones
	// Calls reads stored calls for call history (optional: the call
	// history routes answer 503 without it).
	Calls CallHistory
	// DataDir is the data folder: recordings are served only from
	// beneath it (optional: none are served without it).
	DataDir string
	// Demo is the caller simulator of "earshot demo" (optional: nil
	// outside the demo).
	Demo Demo
	// CallMe places "Call me" calls (optional: without it Call me
	// answers 409).
	CallMe CallMeDialer
	// Trunks reports registrations with carriers (optional: without it
	// GET /api/v1/trunks shows no registration state).
	Trunks TrunkRegistrations
	// Media gives the media plane's counters to /metrics (optional).
	Media MediaCounters

	// SeveralSignIns lets one browser hold several people's sessions, one
	// per tab (the demo: an agent and a supervisor side by side). Off, a
	// sign-in ends the browser's previous session.
	SeveralSignIns bool

	// SecureCookies marks the session cookie Secure even on plain HTTP
	// (behind a TLS-terminating proxy). It is always Secure on TLS.
	SecureCookies bool
	// Proxies are the trusted reverse proxies (listen.trusted_proxies):
	// their X-Forwarded-For gives the client's address and their
	// X-Forwarded-Proto: https marks the session cookie Secure. Optional:
	// without it no forwarding header is believed.
	Proxies *Proxies
	// SessionTTL is how long a login lasts. Default 12 h: a shift.
	SessionTTL time.Duration
	// TrustedOrigins are other origins ("https://wallboard.example.com")
	// allowed to make state-changing requests and open the WebSocket.
	TrustedOrigins []string
	// ICEServers are the STUN and TURN servers /me gives the web
	// softphones (webrtc.ice_servers).
	ICEServers []ICEServer
	// ClientIP says which address a request came from, for login limits
	// and logs. Default: Proxies.ClientIP, the connection's address
	// unless it is a trusted proxy.
	ClientIP func(*http.Request) string
	// UserLimiter and IPLimiter count failed logins per user name and per
	// source address. Defaults: 5 per user and 20 per address in 5 minutes
	// (an address may be a whole office behind one NAT).
	UserLimiter *auth.Limiter
	IPLimiter   *auth.Limiter
	// PingInterval is how often a WebSocket is pinged. Default 30 s.
	PingInterval time.Duration
}

// Server is the HTTP edge. Build it with New and serve Handler.
type Server struct {
	eng      Engine
	sessions SessionStore
	stats    StatsSource
	history  History
	admin    Reconfigurer
	bus      *events.Bus
	pages    fs.FS
	log      *slog.Logger
	clock    auth.Clock
	opts     Options

	userLimit *auth.Limiter
	ipLimit   *auth.Limiter
	hashSem   chan struct{} // bounds concurrent password hashing
	adminMu   sync.Mutex    // serialises admin changes: read the configuration, edit, apply
	dummyOnce sync.Once
	dummyHash string // verified against for unknown users, so timing says nothing
	cop       *http.CrossOriginProtection

	ready    atomic.Bool
	metrics  *metrics
	hub      *hub
	wsBuffer int // events a WebSocket may fall behind before it is dropped
	handler  http.Handler

	msgMu    sync.RWMutex // guards messages
	messages map[string]MessageHandler
}

// New returns a server for opts. It panics when a required option is
// missing: that is a wiring mistake, not a runtime condition.
func New(opts Options) *Server {
	if opts.Engine == nil || opts.Sessions == nil {
		panic("web.New: Options.Engine and Options.Sessions are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.ClientIP == nil {
		opts.ClientIP = opts.Proxies.ClientIP
	}
	if opts.UserLimiter == nil {
		opts.UserLimiter = auth.NewLimiter(5, 5*time.Minute, opts.Clock)
	}
	if opts.IPLimiter == nil {
		opts.IPLimiter = auth.NewLimiter(20, 5*time.Minute, opts.Clock)
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	s := &Server{
		eng:       opts.Engine,
		sessions:  opts.Sessions,
		stats:     opts.Stats,
		history:   opts.History,
		admin:     opts.Admin,
		bus:       opts.Bus,
		pages:     opts.Pages,
		log:       opts.Logger,
		clock:     opts.Clock,
		opts:      opts,
		userLimit: opts.UserLimiter,
		ipLimit:   opts.IPLimiter,
		hashSem:   make(chan struct{}, 2*runtime.NumCPU()),
		cop:       http.NewCrossOriginProtection(),
		hub:       newHub(),
		wsBuffer:  wsBusBuffer,
		messages:  map[string]MessageHandler{},
	}
	for _, o := range opts.TrustedOrigins {
		if err := s.cop.AddTrustedOrigin(o); err != nil {
			s.log.Error("ignoring trusted origin", "origin", o, "error", err)
		}
	}
	s.metrics = newMetrics(s)
	s.metrics.addMedia(opts.Media)
	s.HandleMessage("ping", pingMessage)
	s.handler = s.observe(s.mux())
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// SetReady sets what /readyz answers: 200 when ready, 503 when not.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Shutdown marks the server not ready, refuses new WebSockets and closes
// the open ones with a going-away reason, waiting for them until ctx ends.
// The HTTP listener itself belongs to the caller (http.Server.Shutdown).
func (s *Server) Shutdown(ctx context.Context) error {
	s.SetReady(false)
	err := s.hub.shutdown(ctx)
	s.metrics.stop()
	return err
}

func (s *Server) now() time.Time { return s.clock.Now() }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
