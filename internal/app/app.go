package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/demo"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/pages"
	"github.com/earshot/earshot/internal/sip"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/store"
	"github.com/earshot/earshot/internal/web"
)

// Options say how to run.
type Options struct {
	Config *config.Config // from the file, or the demo's
	Demo   bool           // print the demo's logins and URLs
	Logger *slog.Logger
	Out    io.Writer // where the start-up banner goes
	// RTPPortMin and RTPPortMax bound the media ports (default 16384–32767).
	RTPPortMin, RTPPortMax int
	// CallsPerMinute is the demo's simulated call rate (0: none).
	CallsPerMinute int
	// ShutdownWait is how long Close lets live calls finish (default 30 s).
	ShutdownWait time.Duration
	// OnDTMF, if set, sees every digit customers send (tests).
	OnDTMF func(callID string, digit rune)
}

// App is a running earshot.
type App struct {
	opts   Options
	log    *slog.Logger
	store  store.Store
	engine *acd.Engine
	bus    *events.Bus
	web    *web.Server
	http   *http.Server
	ln     net.Listener
	done   chan error // the web servers' ends: one each

	https       *http.Server // nil without listen.https
	httpsLn     net.Listener
	acmeDomains []string

	media    *media.Engine
	flow     *callflow.Flow
	sip      *sip.Server
	stopSIP  context.CancelFunc
	stopFlow context.CancelFunc

	endpoints *endpoints
	phones    *softphone.Phones
	assist    *assistParts
	callers   *demo.Callers
	demo      demoParts // the simulator for the API, and "Call me"
	stopDemo  context.CancelFunc
	sipDone   chan error
}

// Start opens the store, restores history, and starts every edge. It
// returns once earshot is listening.
func Start(ctx context.Context, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.ShutdownWait == 0 {
		opts.ShutdownWait = 30 * time.Second
	}
	file := opts.Config
	if file.DataDir != "" {
		if err := os.MkdirAll(file.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
	}
	if opts.Demo {
		f, err := withDemoMessage(file)
		if err != nil {
			return nil, err
		}
		file = f
	}
	st, err := store.Open(ctx, DatabaseDSN(file))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a := &App{opts: opts, log: opts.Logger, store: st, bus: events.NewBus(), done: make(chan error, 2)}
	if err := a.start(ctx, file); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) start(ctx context.Context, file *config.Config) error {
	cfg, err := Bootstrap(ctx, a.store, file)
	if err != nil {
		return err
	}
	cfg.Phone = file.Phone // read from the file at every start, like listen
	if err := checkSounds(cfg, nil); err != nil {
		return fmt.Errorf("queue sound files: %w", err)
	}
	clk := clock.Real{}
	now := clk.Now()
	recent, err := a.store.Events(ctx, store.Filter{Since: now.Add(-7 * 24 * time.Hour)})
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	var today []events.Event
	for _, e := range recent {
		if !e.At.Before(startOfDay(now)) {
			today = append(today, e)
		}
	}
	daily := newDailyStats(clk, today)
	a.engine = acd.New(cfg, clk, &journal{store: a.store, book: daily, bus: a.bus})
	if err := a.engine.Recover(recent); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	a.endpoints = &endpoints{}
	if err := a.startTelephony(ctx, cfg); err != nil {
		return err
	}
	if err := a.startPhones(cfg); err != nil {
		return err
	}
	if a.assist, err = a.startAssist(ctx); err != nil {
		return err
	}
	if a.opts.Demo {
		if err := a.startDemo(cfg); err != nil {
			return err
		}
	}
	proxies, err := trustedProxies(cfg.Listen.TrustedProxies)
	if err != nil {
		return err
	}
	a.web = web.New(web.Options{
		Engine:    a.engine,
		Sessions:  sessions{a.store},
		Stats:     daily,
		History:   history{a.store},
		Admin:     &reconfigurer{st: a.store, eng: a.engine, trunks: a.sip},
		Trunks:    sipTrunks{a.sip},
		Media:     a.media,
		Bus:       a.bus,
		Assist:    a.assist.desk,
		WebPhones: webAudio{a.phones},
		Demo:      a.demoAPI(),
		// The demo's tour has an agent and a supervisor in two tabs.
		SeveralSignIns: a.opts.Demo,
		CallMe:         a.callMeAPI(),
		Calls:          a.store,
		DataDir:        cfg.DataDir,
		ICEServers:     browserICE(cfg.WebRTC.ICEServers),
		Proxies:        proxies,
		Pages:          pages.FS(),
		Logger:         a.log,
	})
	a.phones.Attach(a.web)
	plain := a.web.Handler()
	if cfg.Listen.HTTPS != "" {
		if plain, err = a.startHTTPS(cfg, plain, proxies); err != nil {
			return err
		}
	}
	a.ln, err = net.Listen("tcp", cfg.Listen.HTTP)
	if err != nil {
		return fmt.Errorf("listen.http %s: %w", cfg.Listen.HTTP, err)
	}
	a.http = &http.Server{Handler: plain, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idleTimeout}
	go func() {
		err := a.http.Serve(a.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		a.done <- err
	}()
	a.web.SetReady(true)
	a.banner(cfg)
	return nil
}

// HTTPAddr is where the pages and API answer.
func (a *App) HTTPAddr() string { return a.ln.Addr().String() }

// Engine is the control plane, for tests and the demo's simulator.
func (a *App) Engine() *acd.Engine { return a.engine }

// Wait blocks until the HTTP server stops by itself or ctx ends, then shuts
// down gracefully.
func (a *App) Wait(ctx context.Context) error {
	var err error
	select {
	case err = <-a.done:
	case <-ctx.Done():
	}
	return errors.Join(err, a.Close())
}

// Close stops taking new calls (SIP answers 503), lets live calls and
// requests finish (up to the SIP edge's grace and 10 s), and closes the
// store.
func (a *App) Close() error {
	if a.web != nil {
		a.web.SetReady(false)
	}
	var errs []error
	if a.stopDemo != nil {
		a.stopDemo()
	}
	if a.sip != nil {
		a.sip.Drain()
		idle, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownWait)
		if err := a.sip.WaitIdle(idle); err != nil {
			a.log.Warn("calls still live at shutdown: hanging them up", "calls", a.sip.ActiveCalls())
		}
		cancel()
		a.stopSIP()
		errs = append(errs, <-a.sipDone)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.web != nil {
		errs = append(errs, a.web.Shutdown(ctx))
	}
	if a.http != nil {
		errs = append(errs, a.http.Shutdown(ctx))
	}
	if a.https != nil {
		errs = append(errs, a.https.Shutdown(ctx))
	}
	if a.phones != nil {
		errs = append(errs, a.phones.Close())
	}
	if a.media != nil {
		errs = append(errs, a.media.Close())
	}
	if a.stopFlow != nil {
		a.stopFlow()
	}
	if a.assist != nil {
		a.assist.close()
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}

// Run starts earshot and runs it until ctx ends.
func Run(ctx context.Context, opts Options) error {
	a, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	return a.Wait(ctx)
}

func (a *App) banner(cfg *config.Config) {
	url := a.webURL()
	fmt.Fprintf(a.opts.Out, "earshot is running at %s\n", url)
	if a.https != nil {
		fmt.Fprintf(a.opts.Out, "  HTTP: http://%s redirects to HTTPS\n", a.HTTPAddr())
	}
	fmt.Fprintf(a.opts.Out, "  SIP: %s (UDP and TCP)\n", a.SIPAddr("udp"))
	if !a.opts.Demo {
		return
	}
	fmt.Fprintf(a.opts.Out, "  data folder: %s (delete it to start afresh)\n", cfg.DataDir)
	fmt.Fprintf(a.opts.Out, "  API: %s/api/v1/openapi.json   health: %s/healthz\n", url, url)
	fmt.Fprintf(a.opts.Out, "  take a call:  %s/phone    as alice or grace, and press \"Call me\"\n", url)
	fmt.Fprintf(a.opts.Out, "  supervise:    %s/monitor  as sam, in another tab\n", url)
	fmt.Fprintln(a.opts.Out, "  demo logins (password \"demo\"):")
	for _, u := range cfg.Users {
		note := ""
		switch {
		case humanAgents[u.Name]:
			note = "  <- you"
		case u.Has(config.RoleAgent):
			note = "  (bot)"
		}
		fmt.Fprintf(a.opts.Out, "    %-10s %-22s %v%s\n", u.Name, u.Display, u.Roles, note)
	}
	fmt.Fprintln(a.opts.Out, "  from another machine: the microphone needs HTTPS; use an SSH tunnel or earshot serve with listen.https (docs/tls.md)")
}
