// Package callflow carries the control plane's decisions out into the
// world: a customer's SIP call becomes a media room and an ACD call; an
// offer rings the agent's endpoint (web softphone or SIP phone); an answer
// joins the agent's leg to the room; the end of a call releases everyone.
// Who hears whom is always the assist package's hearing matrix. It holds no
// routing rules: those are the ACD's.
package callflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/sip"
)

// Engine is the control plane as the call flow drives it.
type Engine interface {
	Arrive(in acd.Inbound) (string, error)
	Answer(callID, agent string) error
	Reject(callID, agent string) error
	RingFailed(callID, agent, why string) error
	Hangup(callID, by string) error
	NoteRecording(callID, path string) error
	Config() *config.Config
}

// Dialer places outbound SIP calls (to agents' registered phones).
type Dialer interface {
	Dial(ctx context.Context, req sip.DialRequest) (*sip.Call, error)
}

// Browsers are the web softphones. Ring blocks until the page answers
// (returning its leg), rejects (an error wrapping ErrRejected), goes away,
// or ctx ends.
type Browsers interface {
	Online(user string) bool
	Ring(ctx context.Context, user, callID, caller, queue string) (*media.Leg, error)
	Ended(user, callID, reason string)
}

// ErrRejected is what a Browsers implementation wraps when the person
// declined the call.
var ErrRejected = errors.New("call declined")

// Config is what New needs.
type Config struct {
	Engine   Engine
	Bus      *events.Bus
	Media    *media.Engine
	Dialer   Dialer
	Browsers Browsers // optional
	DataDir  string   // recordings go under DataDir/recordings
	Logger   *slog.Logger
	// OnDTMF, if set, sees every digit a customer sends. Digits are not
	// stored: callers key in card numbers.
	OnDTMF func(callID string, digit rune)
	// Assists is the assist desk (optional; SetAssists sets it later).
	Assists Assists
}

// Flow is the running call flow.
type Flow struct {
	cfg Config
	log *slog.Logger
	sub *events.Sub

	mu        sync.Mutex // guards calls, finishing and every callLog
	calls     map[string]*liveCall
	finishing map[string]*callLog // ended recorded calls awaiting their sessions' ends

	music    *soundCache[media.Source] // music on hold, by file
	messages *soundCache[*Message]     // queue messages, by file
	chime    func() media.Source       // music for a queue without a file
}

// liveCall is one customer call and everyone on it.
type liveCall struct {
	id       string
	customer customerEnd
	leg      *media.Leg
	room     *media.Room
	queue    string
	caller   string
	agent    string                        // who answered it
	rings    map[string]context.CancelFunc // agent or assist session → stop ringing
	parties  map[string]*party             // by key(); the customer is not here
	rec      *media.Recording
	log      *callLog   // what the recording's metadata is made of
	notice   *media.Leg // the assist notice the agent hears, while it plays
}

// customerEnd is the customer's call as the flow ends it (a *sip.Call).
type customerEnd interface {
	Hangup() error
	Done() <-chan struct{}
}

// party is someone other than the customer with a leg in the call.
type party struct {
	name     string
	role     assist.Role
	mode     assist.Mode
	session  string // the assist or listen-in session; "" for the agent
	leg      *media.Leg
	release  func(reason string) // hang up their endpoint
	released bool
	sipPhone bool // on a SIP phone (not the web client): told things by tones
}

// key is the party's key in liveCall.parties: the agent by name, a
// supervisor or listener by session, so a person can never stand for two.
func (p *party) key() string {
	if p.session != "" {
		return p.session
	}
	return p.name
}

// SetDialer gives the flow the SIP edge, which is built after the flow
// (the edge hands the flow its inbound calls).
func (f *Flow) SetDialer(d Dialer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg.Dialer = d
}

func (f *Flow) dialer() Dialer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg.Dialer
}

// New starts the flow. It listens to the control plane's events until ctx
// ends.
func New(ctx context.Context, cfg Config) *Flow {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	f := &Flow{cfg: cfg, log: cfg.Logger, calls: map[string]*liveCall{}, finishing: map[string]*callLog{},
		music:    newSoundCache(func(path string) (media.Source, error) { return openSound(path, true) }),
		messages: newSoundCache(LoadMessage),
		chime:    sync.OnceValue(chime)}
	f.sub = cfg.Bus.Subscribe(16384)
	go f.loop(ctx)
	return f
}

func (f *Flow) loop(ctx context.Context) {
	defer f.sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-f.sub.C:
			if !ok {
				f.log.Error("call flow fell behind the event stream; calls may be left ringing")
				return
			}
			f.handle(ctx, e)
		}
	}
}

func (f *Flow) handle(ctx context.Context, e events.Event) {
	f.note(e)
	switch e.Kind {
	case events.CallOffered:
		f.ring(ctx, e.Call, e.Agent)
	case events.CallUnoffered:
		f.stopRinging(e.Call, e.Agent)
	case events.CallAnswered:
		if e.Reason != "take_over" {
			f.connect(e.Call, e.Agent)
		}
	case events.CallHandlerEnded:
		f.release(e.Call, e.Agent, e.Reason)
	case events.CallEnded:
		f.end(ctx, e)
	case events.AssistMode, events.ListenSession:
		f.assistEvent(ctx, e)
	}
}

// InboundCall takes a customer's call from the SIP edge: into the ACD, into
// a room, answered, with music while it waits.
func (f *Flow) InboundCall(c *sip.Call) error {
	leg, ok := c.Leg().(*media.Leg)
	if !ok {
		return fmt.Errorf("%w: call %s has no media leg", sip.ErrUnavailable, c.ID())
	}
	lc := &liveCall{id: c.ID(), customer: c, leg: leg, caller: c.Caller(),
		rings: map[string]context.CancelFunc{}, parties: map[string]*party{},
		log: &callLog{did: c.DID()}}
	lc.room = f.cfg.Media.NewRoom()
	if err := lc.room.Add(leg); err != nil {
		lc.room.Close()
		return fmt.Errorf("%w: %v", sip.ErrUnavailable, err)
	}
	f.mu.Lock()
	f.calls[lc.id] = lc
	f.mu.Unlock()
	queue, err := f.cfg.Engine.Arrive(acd.Inbound{ID: lc.id, DID: c.DID(), Caller: c.Caller()})
	if err != nil {
		f.forget(lc)
		lc.room.Close()
		if errors.Is(err, acd.ErrUnknownNumber) {
			return fmt.Errorf("%w: %w", sip.ErrUnknownNumber, err)
		}
		return fmt.Errorf("%w: %w", sip.ErrUnavailable, err)
	}
	f.mu.Lock()
	lc.queue = queue
	if lc.parties != nil && len(lc.parties) == 0 {
		leg.Play(f.musicFor(queue))
	}
	f.mu.Unlock()
	if f.cfg.OnDTMF != nil {
		leg.OnDTMF(func(d rune) { f.cfg.OnDTMF(lc.id, d) })
	}
	f.startRecording(lc, queue)
	if err := c.Answer(); err != nil {
		f.log.Warn("answer customer", "call", lc.id, "err", err)
		_ = f.cfg.Engine.Hangup(lc.id, "customer")
		return nil
	}
	go func() {
		<-c.Done()
		if err := f.cfg.Engine.Hangup(lc.id, "customer"); err != nil && !errors.Is(err, acd.ErrUnknownCall) {
			f.log.Warn("customer hang-up", "call", lc.id, "err", err)
		}
	}()
	return nil
}

func (f *Flow) forget(lc *liveCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls[lc.id] == lc {
		delete(f.calls, lc.id)
	}
}

func (f *Flow) call(id string) *liveCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

// musicFor returns the queue's music on hold: its WAV file, or a calm
// generated tone. The file in the queue's configuration now is the one
// played, so music changed through the admin API is heard by the next
// caller; an unchanged file is decoded once and shared.
func (f *Flow) musicFor(queue string) media.Source {
	if q, ok := f.cfg.Engine.Config().Queue(queue); ok && q.Music != "" {
		s, err := f.music.get(q.Music)
		if err == nil {
			return s
		}
		f.log.Warn("music on hold", "queue", queue, "music", q.Music, "err", err)
	}
	return f.chime()
}

// chime is a soft two-note chime every four seconds.
func chime() media.Source {
	s, err := media.NewToneSource([]float64{523.25, 659.25}, 1500*time.Millisecond, 2500*time.Millisecond)
	if err != nil {
		panic(err) // constant arguments
	}
	return s
}

func (f *Flow) startRecording(lc *liveCall, queue string) {
	q, ok := f.cfg.Engine.Config().Queue(queue)
	if !ok || !q.Record || f.cfg.DataDir == "" {
		return
	}
	dir := filepath.Join(f.cfg.DataDir, "recordings", time.Now().Format("2006-01-02"))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		f.log.Warn("recording folder", "err", err)
		return
	}
	path := filepath.Join(dir, lc.id+".wav")
	rec, err := lc.room.Record(path, lc.leg.ID())
	if err != nil {
		f.log.Warn("start recording", "call", lc.id, "err", err)
		return
	}
	f.mu.Lock()
	lc.rec = rec
	lc.log.path, lc.log.rec, lc.log.started = path, rec, time.Now()
	f.mu.Unlock()
	if err := f.cfg.Engine.NoteRecording(lc.id, path); err != nil {
		f.log.Warn("store the recording's path", "call", lc.id, "err", err)
	}
}
