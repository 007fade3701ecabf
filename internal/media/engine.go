package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Sentinel errors callers can branch on.
var (
	ErrClosed     = errors.New("media: closed")
	ErrNoPorts    = errors.New("media: no free port in range")
	ErrBadCodec   = errors.New("media: payload type is neither PCMU (0) nor PCMA (8)")
	ErrNoDTMF     = errors.New("media: leg has no telephone-event payload type")
	ErrBadDigit   = errors.New("media: not a DTMF digit")
	ErrBusy       = errors.New("media: too many DTMF digits queued")
	ErrNotInRoom  = errors.New("media: leg is not in this room")
	ErrInRoom     = errors.New("media: leg is already in a room")
	ErrSelfHear   = errors.New("media: a leg cannot hear itself")
	ErrBadAddress = errors.New("media: bad remote address")
)

// Config sets up an Engine.
type Config struct {
	// IP is the address RTP legs bind to and advertise. Required.
	IP netip.Addr
	// PortMin and PortMax bound the UDP ports of RTP legs (inclusive; legs
	// take even ports). Both zero means 16384–32767.
	PortMin, PortMax int
	// Workers is the number of packet-moving goroutines; 0 means one per
	// CPU (GOMAXPROCS).
	Workers int
	// Logger receives the engine's few log lines; nil discards them.
	Logger *slog.Logger

	manual  bool // tests: no worker goroutines; the test calls step
	noURing bool // tests: the one-system-call-per-packet path
	goTimer bool // tests: workers tick on Go timers, not the kernel clock
}

// Engine owns every leg and room of the media plane and the worker
// goroutines that move their packets.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	start time.Time
	v6    bool

	// mu orders all media state. A worker holds it for reading during a
	// tick and touches only the legs and rooms assigned to it; every control
	// call (SetRemote, Add, SetHearing, Close, …) holds it for writing, so
	// it runs between ticks and never sees a worker half way through a
	// packet. mu guards closed, workers' assignments, legs, nextPort, and
	// the fields of Leg and Room documented as guarded by the engine.
	mu       sync.RWMutex
	closed   bool
	workers  []*worker
	legs     map[LegID]*Leg
	nextPort int

	nextID     atomic.Uint64
	srtpFailed atomic.Uint64  // SRTP packets refused on every leg, ever
	events     chan dtmfEvent // worker → dispatcher; never blocks a worker
	stop       chan struct{}
	wg         sync.WaitGroup
}

type dtmfEvent struct {
	leg   *Leg
	digit rune
}

// NewEngine checks cfg, starts the workers and returns the engine.
func NewEngine(cfg Config) (*Engine, error) {
	if !cfg.IP.IsValid() {
		return nil, errors.New("media: config: IP is required")
	}
	if cfg.PortMin == 0 && cfg.PortMax == 0 {
		cfg.PortMin, cfg.PortMax = 16384, 32767
	}
	if cfg.PortMin < 1024 || cfg.PortMax > 65535 || cfg.PortMin+1 > cfg.PortMax {
		return nil, fmt.Errorf("media: config: port range %d–%d must lie within 1024–65535 and hold at least two ports", cfg.PortMin, cfg.PortMax)
	}
	if cfg.Workers < 0 || cfg.Workers > 64 {
		return nil, fmt.Errorf("media: config: %d workers (want 0–64)", cfg.Workers)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg:      cfg,
		log:      cfg.Logger,
		start:    time.Now(),
		v6:       !cfg.IP.Unmap().Is4(),
		legs:     make(map[LegID]*Leg),
		nextPort: cfg.PortMin + cfg.PortMin&1,
		events:   make(chan dtmfEvent, 256),
		stop:     make(chan struct{}),
	}
	for i := range cfg.Workers {
		w, err := newWorker(e, i)
		if err != nil {
			for _, w := range e.workers {
				w.closeFDs()
			}
			return nil, fmt.Errorf("media: start worker %d: %w", i, err)
		}
		e.workers = append(e.workers, w)
	}
	for _, w := range e.workers {
		if cfg.manual {
			break
		}
		e.wg.Add(1)
		go w.run()
	}
	e.wg.Add(1)
	go e.dispatch()
	return e, nil
}

// Close stops the workers and closes every leg, room and recording.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.stop)
	for _, w := range e.workers {
		if w.clk != nil {
			w.clk.interrupt()
		}
	}
	e.mu.Unlock()
	e.wg.Wait()

	e.mu.Lock()
	var recs []*Recording
	for _, w := range e.workers {
		for _, r := range w.rooms {
			recs = append(recs, r.recordings...)
			r.recordings = nil
		}
	}
	for _, l := range e.legs {
		l.closeLocked()
	}
	for _, w := range e.workers {
		w.closeFDs()
	}
	e.mu.Unlock()
	var errs []error
	for _, rec := range recs {
		errs = append(errs, rec.finish())
	}
	return errors.Join(errs...)
}

// dispatch runs DTMF callbacks outside the workers, so a slow or re-entrant
// callback (one that changes the hearing matrix, say) never stalls audio.
func (e *Engine) dispatch() {
	defer e.wg.Done()
	for {
		select {
		case ev := <-e.events:
			if fn := ev.leg.onDTMF.Load(); fn != nil {
				(*fn)(ev.digit)
			}
		case <-e.stop:
			return
		}
	}
}

// legsPerWorker is how many legs a worker takes before the next one is
// used. Every working worker costs a hundred timer wake-ups a second, so a
// few hundred calls are cheaper on one worker than spread over two; beyond
// that the load spreads to use every core.
const legsPerWorker = 500

// pickWorker returns the worker a new leg goes to: the first that has room,
// or the least loaded when all are full. Called with mu held.
func (e *Engine) pickWorker() *worker {
	best := e.workers[0]
	for _, w := range e.workers {
		if len(w.legs) < legsPerWorker {
			return w
		}
		if len(w.legs) < len(best.legs) {
			best = w
		}
	}
	return best
}

// frameAt is the number of the 20 ms frame that contains t, counted from the
// engine's start.
func (e *Engine) frameAt(t time.Time) int64 {
	return int64(t.Sub(e.start) / frameDuration)
}
