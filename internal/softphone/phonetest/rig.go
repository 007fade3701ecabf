// Package phonetest runs the web softphone for tests: a Rig wires a real
// control plane (acd), assist desk, today's figures, web edge, media engine
// and softphone together on 127.0.0.1, routes queued calls and assist
// sessions to the web phones like the call flow does, and plays customers
// as media legs with a tone of their own. Page is a web phone written in Go
// with pion, for tests that need no browser.
//
// It is test support: production wiring lives in internal/app.
package phonetest

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/stats"
	"github.com/earshot/earshot/internal/web"
)

// Password is every rig user's password.
const Password = "password-1"

// Queue and DID are the rig's one queue and the number that reaches it.
const (
	Queue = "sales"
	DID   = "100"
)

// Options shape a Rig. The zero value is one agent, "alice".
type Options struct {
	Agents []string // agent user names; default alice
	// Supervisor supervises the agents' team and has the listen-in
	// permission; default "sam".
	Supervisor string
	// Supervisors are more supervisors of the same team.
	Supervisors []string
	Grace       time.Duration // softphone grace period; default 30 s
	WrapUp      time.Duration // the queue's wrap-up time; default 30 s
	RingTime    time.Duration // the queue's ring timeout; default 20 s
	// AssistRingTime is how long an assist rings the supervisor; default 30 s.
	AssistRingTime time.Duration
	// DialPlan says which numbers may be rung for assist audio; the zero
	// plan allows none.
	DialPlan config.DialPlan
	Pages    fs.FS        // static pages for the web edge, if any
	Logger   *slog.Logger // default: discard
	// Clock is the control plane's clock; default the wall clock.
	Clock clock.Clock
}

// Rig is a running earshot slice: everything the web phone and the
// monitor touch.
type Rig struct {
	URL    string // http://127.0.0.1:port
	Config *config.Config
	Engine *acd.Engine
	Desk   *assist.Desk // assist sessions; it follows the engine's events
	Bus    *events.Bus
	Media  *media.Engine
	Web    *web.Server
	Phones *softphone.Phones

	t      testing.TB
	mu     sync.Mutex           // guards calls
	calls  map[string]*Customer // call ID → its customer, while routed
	nextID int
}

// Start runs a rig until the test ends.
func Start(t testing.TB, opts Options) *Rig {
	t.Helper()
	if len(opts.Agents) == 0 {
		opts.Agents = []string{"alice"}
	}
	if opts.Supervisor == "" {
		opts.Supervisor = "sam"
	}
	if opts.WrapUp <= 0 {
		opts.WrapUp = 30 * time.Second
	}
	if opts.RingTime <= 0 {
		opts.RingTime = 20 * time.Second
	}
	if opts.AssistRingTime <= 0 {
		opts.AssistRingTime = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	cfg := rigConfig(t, opts)
	bus := events.NewBus()
	j := &journal{bus: bus, book: stats.NewBook()}
	eng := acd.New(cfg, opts.Clock, j)
	desk := assist.New(assist.Config{ACD: eng, Clock: opts.Clock, Sink: j})
	// The desk follows the engine from a goroutine of its own, as in the
	// server: it may call the engine back.
	follow := bus.Subscribe(1 << 16)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		for e := range follow.C {
			desk.Observe(e)
		}
	}()
	med, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), Workers: 1, Logger: opts.Logger})
	if err != nil {
		t.Fatal(err)
	}
	ph, err := softphone.New(softphone.Config{Media: med, LoopbackOnly: true, Grace: opts.Grace, Logger: opts.Logger})
	if err != nil {
		t.Fatal(err)
	}
	ws := web.New(web.Options{
		Engine: eng, Sessions: newSessions(), Bus: bus, Pages: opts.Pages, Logger: opts.Logger,
		Stats: figures{j}, History: j, Assist: desk, WebPhones: connected{ph},
		SeveralSignIns: true, // page tests open agents' and supervisors' tabs in one browser
	})
	ph.Attach(ws)
	srv := httptest.NewServer(ws.Handler())
	r := &Rig{URL: srv.URL, Config: cfg, Engine: eng, Desk: desk, Bus: bus, Media: med, Web: ws, Phones: ph, t: t, calls: map[string]*Customer{}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws.Shutdown(ctx)
		srv.Close()
		ph.Close()
		med.Close()
		follow.Close()
		<-followed
	})
	return r
}

// connected says a user's web client is signed in for assist audio when
// its audio is connected, wherever the user's routed calls ring.
type connected struct{ p *softphone.Phones }

func (c connected) Online(user string) bool { return c.p.Connected(user) }

func rigConfig(t testing.TB, opts Options) *config.Config {
	// Cheap hashing parameters keep logins fast; Verify reads them from the hash.
	hash, err := auth.HashWith(Password, auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Listen:  config.Listen{HTTP: "127.0.0.1:0", SIP: "127.0.0.1:0"},
		DataDir: t.TempDir(),
		Users:   []config.User{{Name: opts.Supervisor, Display: "Sam Taylor", Roles: []config.Role{config.RoleSupervisor}, PasswordHash: hash, ListenIn: true}},
		Teams:   []config.Team{{Name: "team", Agents: opts.Agents, Supervisors: append([]string{opts.Supervisor}, opts.Supervisors...)}},
		Queues: []config.Queue{{
			Name: Queue, Teams: []string{"team"}, Strategy: config.LongestIdle,
			RingTimeout: opts.RingTime, WrapUp: opts.WrapUp,
		}},
		DIDs:            []config.DID{{Number: DID, Queue: Queue}},
		Trunks:          []config.Trunk{{Name: "test", Sources: []string{"127.0.0.1"}}},
		NotReadyReasons: []string{"Lunch", "Training", "Meeting"},
		AssistRingTime:  opts.AssistRingTime,
		DialPlan:        opts.DialPlan,
	}
	for _, s := range opts.Supervisors {
		cfg.Users = append(cfg.Users, config.User{Name: s, Display: displayName(s), Roles: []config.Role{config.RoleSupervisor}, PasswordHash: hash})
	}
	for _, a := range opts.Agents {
		cfg.Users = append(cfg.Users, config.User{Name: a, Display: displayName(a), Roles: []config.Role{config.RoleAgent}, PasswordHash: hash})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("rig configuration: %v", err)
	}
	return cfg
}

// displayName makes "alice" into "Alice Johnson"-like names for pages.
func displayName(user string) string {
	surnames := map[string]string{
		"alice": "Alice Johnson", "bob": "Bob Martinez", "carol": "Carol Nguyen", "dan": "Daniel Okafor",
		"erin": "Erin Walsh", "farid": "Farid Haddad", "grace": "Grace Liu", "hugo": "Hugo Almeida",
		"ines": "Inês Costa", "jon": "Jon Berg", "kate": "Kate Morrison", "leo": "Leo Rossi",
		"mia": "Mia Schneider", "nora": "Nora Lindqvist", "omar": "Omar Farouk", "sue": "Sue Park",
	}
	if d, ok := surnames[user]; ok {
		return d
	}
	return user
}

// sessions keeps web sessions in memory.
type sessions struct {
	mu sync.Mutex // guards m
	m  map[string]web.Session
}

func newSessions() *sessions { return &sessions{m: map[string]web.Session{}} }

func (s *sessions) CreateSession(_ context.Context, x web.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[x.ID] = x
	return nil
}

func (s *sessions) Session(_ context.Context, id string) (web.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return web.Session{}, web.ErrNoSession
	}
	return x, nil
}

func (s *sessions) DeleteSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}
