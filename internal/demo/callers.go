package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/sip"
)

// CallersConfig says where simulated customers call.
type CallersConfig struct {
	Target string // earshot's SIP address, host:port
	// Local is the address the callers call from (SIP and, through Media,
	// RTP); default: LocalFor(Target).
	Local    netip.Addr
	DIDs     []string // numbers to call
	PerMin   int      // calls per minute to start with
	Media    *media.Engine
	VoiceDir string // where the phrases are unpacked
	Logger   *slog.Logger
}

// LocalFor is the address of this machine that reaches target: loopback
// for a loopback target, else the address the system routes from (asked
// of the kernel; nothing is sent).
func LocalFor(target netip.AddrPort) (netip.Addr, error) {
	switch {
	case target.Addr().Is4() && target.Addr().IsLoopback():
		return netip.MustParseAddr("127.0.0.1"), nil
	case target.Addr().IsLoopback():
		return netip.IPv6Loopback(), nil
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(target))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no route to %s: %w", target, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// Callers places simulated customer calls. Each caller speaks a phrase in
// a loop, waits a random time (some lose patience while queued) and hangs
// up, unless earshot hangs up first.
type Callers struct {
	cfg    CallersConfig
	log    *slog.Logger
	sip    *sip.Server
	voices *voices
	perMin atomic.Int64
	paused atomic.Bool
	wake   chan struct{}

	mu      sync.Mutex // guards placed, live
	placed  int
	live    int
	stopSIP context.CancelFunc
	sipDone chan error
}

// refuse is the simulator's SIP handler: it places calls, it takes none.
type refuse struct{}

func (refuse) InboundCall(*sip.Call) error { return sip.ErrUnavailable }

// onlyTarget is the simulator's dial plan: it may call earshot and nothing
// else.
type onlyTarget struct{ host string }

func (p onlyTarget) Check(target string) error {
	if !strings.HasPrefix(target, "sip:") || !strings.HasSuffix(target, "@"+p.host) {
		return fmt.Errorf("the simulator only calls %s", p.host)
	}
	return nil
}

type legs struct{ e *media.Engine }

func (l legs) NewLeg() (sip.Leg, error) { return l.e.NewRTPLeg() }

// NewCallers starts the simulator's own SIP user agent on a free loopback
// port.
func NewCallers(cfg CallersConfig) (*Callers, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.DIDs) == 0 {
		return nil, errors.New("simulator: no numbers to call")
	}
	target, err := netip.ParseAddrPort(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("simulator: target %q: %w", cfg.Target, err)
	}
	v, err := loadVoices(cfg.VoiceDir)
	if err != nil {
		return nil, err
	}
	local := cfg.Local
	if !local.IsValid() {
		if local, err = LocalFor(target); err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	}
	srv, err := sip.New(sip.Config{
		Listen:    []string{"udp:" + netip.AddrPortFrom(local, 0).String()},
		DialPlan:  onlyTarget{host: target.String()},
		Media:     legs{cfg.Media},
		Calls:     refuse{},
		Logger:    cfg.Logger.With("component", "simulator"),
		UserAgent: "earshot-simulator",
	})
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	c := &Callers{cfg: cfg, log: cfg.Logger, sip: srv, voices: v, wake: make(chan struct{}, 1), sipDone: make(chan error, 1)}
	c.perMin.Store(int64(cfg.PerMin))
	ctx, cancel := context.WithCancel(context.Background())
	c.stopSIP = cancel
	go func() { c.sipDone <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-c.sipDone:
		return nil, fmt.Errorf("simulator: %w", err)
	}
	return c, nil
}

// SetRate changes how many calls a minute are placed (0 pauses).
func (c *Callers) SetRate(perMin int) {
	c.perMin.Store(int64(max(perMin, 0)))
	c.poke()
}

// Rate is the calls per minute in force.
func (c *Callers) Rate() int { return int(c.perMin.Load()) }

// Pause stops (or resumes) placing new calls; calls in progress go on.
func (c *Callers) Pause(on bool) {
	c.paused.Store(on)
	c.poke()
}

// Paused reports whether the simulator is paused.
func (c *Callers) Paused() bool { return c.paused.Load() }

func (c *Callers) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Counts reports calls placed so far and calls in progress.
func (c *Callers) Counts() (placed, live int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.placed, c.live
}

// Run places calls until ctx ends, then hangs up its calls.
func (c *Callers) Run(ctx context.Context) {
	defer func() {
		c.stopSIP()
		<-c.sipDone
	}()
	first := true
	for {
		wait := time.Minute
		if n := c.perMin.Load(); n > 0 && !c.paused.Load() {
			// exponential gaps: callers arrive at random, like real ones
			mean := time.Minute / time.Duration(n)
			wait = time.Duration(rand.ExpFloat64() * float64(mean))
			wait = min(max(wait, 200*time.Millisecond), 3*mean)
			if first {
				// the first customer calls at once: a newcomer sees the
				// floor working without waiting for chance
				wait = firstCallAfter
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			continue
		case <-time.After(wait):
		}
		if c.perMin.Load() > 0 && !c.paused.Load() {
			did := c.cfg.DIDs[rand.IntN(len(c.cfg.DIDs))]
			go c.Call(ctx, did, randomPatience())
			first = false
		}
	}
}

// firstCallAfter is when the first simulated customer calls.
const firstCallAfter = time.Second

// randomPatience is how long a caller stays on the line: most until the
// conversation is done, some give up while waiting.
func randomPatience() time.Duration {
	if rand.IntN(100) < 15 {
		return time.Duration(5+rand.IntN(20)) * time.Second
	}
	return time.Duration(40+rand.IntN(80)) * time.Second
}

// Call places one call to did from a random caller number, speaks, and
// hangs up after patience unless earshot hangs up first.
func (c *Callers) Call(ctx context.Context, did string, patience time.Duration) error {
	return c.CallFrom(ctx, did, CallerNumber(), patience)
}

// CallerNumber is a random fictional caller number (+1 555 …).
func CallerNumber() string { return fmt.Sprintf("+1555%07d", rand.IntN(10_000_000)) }

// CallFrom is Call from the caller number from.
func (c *Callers) CallFrom(ctx context.Context, did, from string, patience time.Duration) error {
	c.mu.Lock()
	c.placed++
	c.live++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.live--
		c.mu.Unlock()
	}()
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	call, err := c.sip.Dial(dctx, sip.DialRequest{To: "sip:" + did + "@" + c.cfg.Target, From: from})
	cancel()
	if err != nil {
		c.log.Info("simulated call not answered", "did", did, "err", err)
		return err
	}
	if leg, ok := call.Leg().(*media.Leg); ok {
		leg.Play(pick(c.voices.customer))
	}
	select {
	case <-call.Done():
	case <-time.After(patience):
		_ = call.Hangup()
	case <-ctx.Done():
		_ = call.Hangup()
	}
	return nil
}
