package app

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/demo"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/web"
)

// humanAgents are the demo agents left for the person trying earshot; the
// other agents are bots.
var humanAgents = map[string]bool{"alice": true, "grace": true}

// people are the human agents' names, sorted.
func people() []string { return slices.Sorted(maps.Keys(humanAgents)) }

// callMePatience is how long a "Call me" customer stays on the line: long
// enough for the person to answer and talk, bounded so a forgotten call
// ends by itself.
const callMePatience = 3 * time.Minute

// demoParts are the demo's simulator as the API drives it, and the calls
// "Call me" placed for a person. Outside the demo, Call me starts a
// simulator of its own on first use, placing calls only when asked.
type demoParts struct {
	app *App            // set before the web edge starts
	ctx context.Context // ends when the app stops; set before the web edge starts

	mu      sync.Mutex        // guards callers (outside the demo) and direct
	callers *demo.Callers     // in the demo, set by startDemo before the web edge starts
	direct  map[string]string // caller number → agent who asked for the call
}

// startDemo brings the demo floor to life: bot agents, and simulated
// customers calling the demo's numbers.
func (a *App) startDemo(cfg *config.Config) error {
	var bots []string
	for _, u := range cfg.Users {
		if u.Has(config.RoleAgent) && !humanAgents[u.Name] {
			bots = append(bots, u.Name)
		}
	}
	voiceDir := filepath.Join(cfg.DataDir, "voices")
	b, err := demo.NewBots(a.engine, a.media, voiceDir, bots, a.log.With("component", "bots"))
	if err != nil {
		return err
	}
	b.OnHangUp(a.flow.BrowserHungUp)
	if a.opts.CallsPerMinute == 0 {
		// No simulated callers: the calls are the person's own (Call me),
		// and nothing needs After Call Work to show early.
		b.ShortFirstCalls(0)
	}
	a.endpoints.bots = b
	var dids []string
	for _, d := range cfg.DIDs {
		if strings.HasPrefix(d.Number, "+") {
			dids = append(dids, d.Number)
		}
	}
	callers, err := demo.NewCallers(demo.CallersConfig{Target: a.SIPAddr("udp").String(), DIDs: dids, PerMin: a.opts.CallsPerMinute,
		Media: a.media, VoiceDir: voiceDir, Logger: a.log})
	if err != nil {
		return err
	}
	a.callers = callers
	ctx, cancel := context.WithCancel(context.Background())
	a.stopDemo = cancel
	a.demo.callers, a.demo.ctx, a.demo.app = callers, ctx, a
	go a.logFirstAnswer(ctx, time.Now())
	go b.Run(ctx)
	go callers.Run(ctx)
	return nil
}

// logFirstAnswer says, once, when the demo's first call was answered: the
// moment a newcomer sees the floor working.
func (a *App) logFirstAnswer(ctx context.Context, started time.Time) {
	sub := a.bus.Subscribe(1024)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			if e.Kind == events.CallAnswered {
				a.log.Info("demo: first simulated call answered", "agent", e.Agent, "queue", e.Queue,
					"after", time.Since(started).Round(time.Millisecond).String())
				return
			}
		}
	}
}

// Callers is the demo's caller simulator (nil outside the demo).
func (a *App) Callers() *demo.Callers { return a.callers }

// demoAPI is the simulator for the web edge: nil outside the demo.
func (a *App) demoAPI() web.Demo {
	if a.callers == nil {
		return nil
	}
	return &a.demo
}

// callMeAPI is the web edge's Call me: the demo's simulator, or outside
// the demo one started when first asked.
func (a *App) callMeAPI() web.CallMeDialer {
	if a.demo.ctx == nil {
		ctx, cancel := context.WithCancel(context.Background())
		a.demo.ctx, a.demo.app, a.stopDemo = ctx, a, cancel
	}
	return &a.demo
}

// Simulator reports the simulator's rate, pause and counts.
func (d *demoParts) Simulator() web.DemoStatus {
	placed, live := d.callers.Counts()
	return web.DemoStatus{CallsPerMinute: d.callers.Rate(), Paused: d.callers.Paused(), Placed: placed, Live: live, People: people()}
}

// SetSimulator changes the rate and the pause.
func (d *demoParts) SetSimulator(perMin int, paused bool) {
	d.callers.SetRate(perMin)
	d.callers.Pause(paused)
}

// CallMeReady says whether a Call me call can be placed: always in the
// demo; outside it, when SIP listens on loopback and a trunk accepts calls
// from there, so the call comes in like a carrier's.
func (d *demoParts) CallMeReady() error {
	if d.app.opts.Demo {
		return nil
	}
	_, err := d.app.loopbackTarget()
	return err
}

// loopbackTarget is where a simulated customer on this machine calls.
func (a *App) loopbackTarget() (string, error) {
	sipAddr := a.SIPAddr("udp")
	ip := sipAddr.Addr()
	switch {
	case ip.IsUnspecified() && ip.Is6():
		ip = netip.IPv6Loopback()
	case ip.IsUnspecified():
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case !ip.IsLoopback():
		return "", fmt.Errorf("%w: Call me needs the caller simulator (earshot demo), or SIP listening on this machine's loopback address", web.ErrCallMeUnavailable)
	}
	if !trunkAccepts(a.engine.Config().Trunks, ip) {
		return "", fmt.Errorf("%w: Call me needs the caller simulator (earshot demo), or a trunk whose sources include %s", web.ErrCallMeUnavailable, ip)
	}
	return netip.AddrPortFrom(ip, sipAddr.Port()).String(), nil
}

// trunkAccepts reports whether a trunk takes calls from ip.
func trunkAccepts(trunks []config.Trunk, ip netip.Addr) bool {
	for _, t := range trunks {
		for _, src := range t.Sources {
			if p, err := netip.ParsePrefix(src); err == nil && p.Contains(ip) {
				return true
			}
			if a, err := netip.ParseAddr(src); err == nil && a == ip {
				return true
			}
		}
	}
	return false
}

// dialer returns the simulator, starting one outside the demo.
func (d *demoParts) dialer() (*demo.Callers, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.callers != nil {
		return d.callers, nil
	}
	target, err := d.app.loopbackTarget()
	if err != nil {
		return nil, err
	}
	cfg := d.app.engine.Config()
	var dids []string
	for _, n := range cfg.DIDs {
		dids = append(dids, n.Number)
	}
	voices := filepath.Join(os.TempDir(), "earshot-voices")
	if cfg.DataDir != "" {
		voices = filepath.Join(cfg.DataDir, "voices")
	}
	c, err := demo.NewCallers(demo.CallersConfig{Target: target, DIDs: dids, Media: d.app.media,
		VoiceDir: voices, Logger: d.app.log})
	if err != nil {
		return nil, err
	}
	go c.Run(d.ctx) // places no calls by itself (rate 0); hangs up at the end
	d.callers = c
	return c, nil
}

// CallMe has a simulated customer dial did from a fresh number, which
// the queue offers to agent first (see preferArrivals). The call lives on
// the app's context, not the request's.
func (d *demoParts) CallMe(_ context.Context, agent, did string) (string, error) {
	callers, err := d.dialer()
	if err != nil {
		return "", err
	}
	from := demo.CallerNumber()
	d.mu.Lock()
	if d.direct == nil {
		d.direct = map[string]string{}
	}
	for d.direct[from] != "" {
		from = demo.CallerNumber()
	}
	d.direct[from] = agent
	d.mu.Unlock()
	go func() {
		defer d.forget(from)
		_ = callers.CallFrom(d.ctx, did, from, callMePatience)
	}()
	return from, nil
}

func (d *demoParts) forget(from string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.direct, from)
}

// askedFor is the agent who asked for a call from caller, if any.
func (d *demoParts) askedFor(caller string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.direct[caller]
}

// preferArrivals is the control plane as the call flow sees it, with one
// addition: a call "Call me" placed names the agent who asked for it, so
// the queue offers it to that agent first when they are Available.
type preferArrivals struct {
	*acd.Engine
	demo *demoParts
}

// Arrive routes in, preferring the agent who asked for the call.
func (p preferArrivals) Arrive(in acd.Inbound) (string, error) {
	if agent := p.demo.askedFor(in.Caller); agent != "" {
		in.Prefer = agent
	}
	return p.Engine.Arrive(in)
}
