package media

import (
	"time"

	"github.com/pion/rtp"
)

// FrameSamples is the length of a frame, the media plane's unit of audio:
// 20 ms at 8 kHz.
const FrameSamples = 160

// Timing of the media plane.
const (
	sampleRate    = 8000
	frameDuration = 20 * time.Millisecond
	tickDuration  = 10 * time.Millisecond
	maxCatchUp    = 25 // frames a late worker still produces one by one
)

// worker moves the packets of the legs assigned to it. It wakes every
// 10 ms, reads the sockets epoll says have data, forwards what can be
// forwarded at once, and at every 20 ms frame boundary produces the mixed,
// played and silent frames. The fields below are the worker's own; the legs
// and rooms lists are changed only under the engine's write lock.
type worker struct {
	e    *Engine
	id   int
	wake chan struct{} // poked when an idle worker is given a leg
	poll *poller
	clk  *kernelClock // nil: a Go timer
	ring *uring       // nil: one system call per packet
	rx   *recvBatch
	tx   *sendQueue

	legs    []*Leg // every leg it owns
	pktLegs []*Leg // the packet legs among them
	byFD    []*Leg // socket → leg
	rooms   []*Room

	frame   int64  // last frame processed
	cur     int64  // frame the current tick falls in
	arrival uint32 // this tick's time in samples, for jitter
	pkt     rtp.Packet
	pcm     [FrameSamples]int16
	acc     [FrameSamples]int32
	inbuf   [inboxSlotSize]byte
}

func newWorker(e *Engine, id int) (*worker, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	w := &worker{e: e, id: id, wake: make(chan struct{}, 1), poll: p, rx: newRecvBatch(), tx: newSendQueue()}
	if !e.cfg.goTimer {
		if w.clk, err = newKernelClock(); err != nil {
			e.log.Info("media: no kernel clock; workers tick on Go timers", "err", err)
			w.clk = nil
		}
	}
	if !e.cfg.noURing {
		if w.ring, err = newURing(2 * txBatch); err != nil {
			if id == 0 {
				e.log.Info("media: io_uring unavailable; one system call per packet", "err", err)
			}
			w.ring = nil
		}
	}
	return w, nil
}

func (w *worker) closeFDs() {
	if w.poll != nil {
		closeFD(w.poll.fd)
		w.poll = nil
	}
	if w.ring != nil {
		w.ring.close()
		w.ring = nil
	}
	if w.clk != nil {
		w.clk.close()
		w.clk = nil
	}
}

// attach makes w the owner of l. Called with the engine's write lock.
func (w *worker) attach(l *Leg) error {
	if l.fd >= 0 {
		if err := w.poll.add(l.fd); err != nil {
			return err
		}
		for len(w.byFD) <= l.fd {
			w.byFD = append(w.byFD, nil)
		}
		w.byFD[l.fd] = l
	} else {
		w.pktLegs = append(w.pktLegs, l)
	}
	w.legs = append(w.legs, l)
	l.w = w
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// detach gives up l. Called with the engine's write lock.
func (w *worker) detach(l *Leg) {
	if l.fd >= 0 {
		w.poll.remove(l.fd)
		w.byFD[l.fd] = nil
	} else {
		w.pktLegs = removeLeg(w.pktLegs, l)
	}
	w.legs = removeLeg(w.legs, l)
	l.w = nil
}

// move hands l from its worker to w. Called with the engine's write lock.
func (w *worker) move(l *Leg) error {
	if l.w == w {
		return nil
	}
	l.w.detach(l)
	return w.attach(l)
}

func removeLeg(s []*Leg, l *Leg) []*Leg {
	for i, x := range s {
		if x == l {
			last := len(s) - 1
			s[i] = s[last]
			s[last] = nil
			return s[:last]
		}
	}
	return s
}

// run ticks every 10 ms while the worker owns legs or rooms; an idle
// worker sleeps until it is given a leg.
func (w *worker) run() {
	defer w.e.wg.Done()
	e := w.e
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	w.frame = e.frameAt(time.Now())
	clk := w.clk // nil, or set to nil here if it fails: Go timers
	ticking := false
	for {
		e.mu.RLock()
		idle := len(w.legs) == 0 && len(w.rooms) == 0
		e.mu.RUnlock()
		if idle {
			if ticking {
				clk.halt()
				ticking = false
			}
			select {
			case <-w.wake:
			case <-e.stop:
				return
			}
			w.frame = e.frameAt(time.Now())
			continue
		}
		if clk != nil {
			if !ticking {
				if err := clk.start(e.start, tickDuration); err != nil {
					e.log.Warn("media: kernel clock; back to Go timers", "err", err)
					clk = nil
					continue
				}
				ticking = true
			}
			if !clk.wait() {
				return
			}
		} else {
			since := time.Since(e.start)
			timer.Reset(time.Until(e.start.Add((since/tickDuration + 1) * tickDuration)))
			select {
			case <-timer.C:
			case <-e.stop:
				return
			}
		}
		e.mu.RLock()
		w.tick(time.Now())
		e.mu.RUnlock()
	}
}

// tick is one wake-up of the worker. Called with the engine's read lock.
func (w *worker) tick(now time.Time) {
	e := w.e
	w.cur = e.frameAt(now)
	w.arrival = samplesSince(e.start, now)
	boundary := w.cur > w.frame
	if boundary {
		for _, r := range w.rooms {
			if r.dirty {
				r.rebuild()
			}
		}
	}
	w.receive()
	if boundary {
		if w.cur-w.frame > maxCatchUp {
			w.frame = w.cur - maxCatchUp
		}
		for w.frame < w.cur {
			w.frame++
			w.produce(w.frame)
		}
	}
	w.flush()
}

func samplesSince(start, t time.Time) uint32 {
	return uint32(t.Sub(start) * sampleRate / time.Second)
}
