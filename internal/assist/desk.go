package assist

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/dialplan"
	"github.com/earshot/earshot/internal/events"
)

// ACD is the part of the ACD the desk reads and drives. *acd.Engine
// satisfies it. The desk calls it while holding its own lock; the ACD
// never calls the desk back (it reaches the desk only through events, see
// Observe), so the two locks are always taken in that order.
type ACD interface {
	Config() *config.Config
	Agent(name string) (acd.AgentView, error)
	Call(id string) (acd.CallView, error)
	StartAssisting(agent, supervisor string) error
	ReopenHelp(agent, actor, reason string) error
	ClearHelp(agent, actor string) error
	TakeOver(callID, supervisor string) error
	Hangup(callID, by string) error
}

// Sink stores and announces what the desk decides, with the ACD's
// contract: Store writes the events atomically and fills in their Seq;
// Announce runs only after they are stored and applied. Neither may call
// back into the desk.
type Sink interface {
	Store(evs []events.Event) error
	Announce(evs []events.Event)
}

// SessionKind tells a supervisor's assist session from a colleague's
// listen-in.
type SessionKind string

// Session kinds.
const (
	KindAssist SessionKind = "assist" // a supervisor: listen, talk, take over
	KindListen SessionKind = "listen" // a colleague listening in: listen only
)

// Ended is the mode of a session that is over, as its last event says.
const Ended Mode = "ended"

// How sessions end: the Reason of a session's last event.
const (
	EndClosed           = "closed"               // the supervisor or listener chose Close
	EndNoAnswer         = "no answer"            // the endpoint rang out
	EndNotReached       = "not reached"          // the endpoint could not be rung; a reason follows
	EndCustomerHungUp   = "customer hung up"     // the call ended from the customer's side
	EndAgentHungUp      = "agent hung up"        // the call ended from the agent's side
	EndSupervisorHungUp = "supervisor hung up"   // the supervisor's endpoint hung up
	EndListenerHungUp   = "listener hung up"     // the listener's endpoint hung up
	EndCallEnded        = "call ended"           // the call ended otherwise
	EndListenInOff      = "listen-in turned off" // the agent turned Let Listen In off
	EndTakenOver        = "call taken over"      // a supervisor took the call from the agent listened to
	EndRestart          = "server restart"       // earshot stopped while the session was live
)

// Session is a snapshot of one live session.
type Session struct {
	ID   string      `json:"id"`
	Kind SessionKind `json:"kind"`
	User string      `json:"user"` // the supervisor or the listening colleague
	// UserDisplay and AgentDisplay are the two people's display names.
	UserDisplay  string    `json:"user_display"`
	Agent        string    `json:"agent"`
	AgentDisplay string    `json:"agent_display"`
	Call         string    `json:"call"`
	Queue        string    `json:"queue,omitempty"`
	Mode         Mode      `json:"mode"`
	Endpoint     Endpoint  `json:"endpoint"`
	Started      time.Time `json:"started"`
	ModeSince    time.Time `json:"mode_since"`
}

// Role is the party role the session's leg has in the hearing matrix.
func (s Session) Role() Role {
	if s.Kind == KindListen {
		return Listener
	}
	return Supervisor
}

type session struct {
	id      string
	kind    SessionKind
	user    string
	agent   string
	names   [2]string // display names of user and agent, as at the start
	call    string
	queue   string
	ep      Endpoint
	mode    Mode
	started time.Time
	since   time.Time
	ringTmr clock.Timer
}

func (s *session) view() Session {
	return Session{ID: s.id, Kind: s.kind, User: s.user, UserDisplay: s.names[0], Agent: s.agent, AgentDisplay: s.names[1],
		Call: s.call, Queue: s.queue,
		Mode: s.mode, Endpoint: s.ep, Started: s.started, ModeSince: s.since}
}

// Config is what New needs.
type Config struct {
	ACD   ACD
	Clock clock.Clock
	Sink  Sink
}

// Desk runs assist and listen-in sessions. All its methods are safe for
// concurrent use; they are serialised by one mutex, and timers re-enter
// through it.
type Desk struct {
	mu        sync.Mutex // guards every field below
	clk       clock.Clock
	sink      Sink
	acd       ACD
	prefix    string // makes session IDs unique across restarts
	next      int64
	sessions  map[string]*session
	endpoints map[string]Endpoint // by user: where their assist audio goes
	plan      *dialplan.Plan
	planFrom  *config.Config
	greens    map[string]*green // by agent: icons this desk's assists turned green
	pending   []events.Event    // events not yet stored
}

// green is an agent's help icon that an assist turned green: what it was
// before, and whether any assist since was answered. If the last assist
// ends and none was, nobody helped: the icon goes back to what it was.
type green struct {
	before   acd.Help
	answered bool
}

// New returns a desk with no sessions.
func New(cfg Config) *Desk {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Desk{clk: cfg.Clock, sink: cfg.Sink, acd: cfg.ACD, prefix: hex.EncodeToString(b[:]),
		sessions: map[string]*session{}, endpoints: map[string]Endpoint{}, greens: map[string]*green{}}
}

// do runs one command as the ACD does: fn checks everything that can fail
// before it changes anything, then changes state and emits events; the
// events are stored and, once stored, announced. If storing fails the
// error is returned and the events wait to be stored with the next
// command's, so history gets no hole and nothing unstored is announced.
func (d *Desk) do(fn func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := fn()
	if len(d.pending) == 0 {
		return err
	}
	if serr := d.sink.Store(d.pending); serr != nil {
		return fmt.Errorf("store: %w", serr)
	}
	evs := d.pending
	d.pending = nil
	d.sink.Announce(evs)
	return err
}

// emit records s's mode (or its end, with reason) as an event.
func (d *Desk) emit(s *session, state Mode, reason string) {
	kind := events.AssistMode
	if s.kind == KindListen {
		kind = events.ListenSession
	}
	d.pending = append(d.pending, events.Event{At: d.clk.Now(), Kind: kind, Agent: s.agent, Call: s.call, Queue: s.queue,
		Actor: s.user, State: string(state), Reason: reason, Detail: s.id})
}

func (d *Desk) newID(kind SessionKind) string {
	d.next++
	p := "as-"
	if kind == KindListen {
		p = "li-"
	}
	return p + d.prefix + "-" + strconv.FormatInt(d.next, 10)
}

// setMode moves s to m and records it.
func (d *Desk) setMode(s *session, m Mode) {
	s.mode, s.since = m, d.clk.Now()
	d.emit(s, m, "")
}

// end finishes s with reason.
func (d *Desk) end(s *session, reason string) {
	if d.sessions[s.id] != s {
		return
	}
	if s.ringTmr != nil {
		s.ringTmr.Stop()
		s.ringTmr = nil
	}
	delete(d.sessions, s.id)
	s.mode, s.since = Ended, d.clk.Now()
	d.emit(s, Ended, reason)
	if s.kind == KindAssist {
		d.settleHelp(s, reason)
	}
}

// settleHelp runs when assist s has ended. While other assists on the
// agent live, the icon stays green. Once none does: if one of them was
// answered, green stays until a supervisor clears it; if none was, nobody
// helped, and the icon goes back to what it was, a request (red) being
// still open, so every supervisor is asked again.
func (d *Desk) settleHelp(s *session, reason string) {
	g := d.greens[s.agent]
	if g == nil || len(d.ofAgent(s.agent, KindAssist)) > 0 {
		return
	}
	delete(d.greens, s.agent)
	if g.answered {
		return
	}
	// The icon is the ACD's: if it changed meanwhile (a supervisor cleared
	// it), the ACD refuses and that change stands.
	if g.before == acd.HelpRequested {
		_ = d.acd.ReopenHelp(s.agent, s.user, reason)
	} else {
		_ = d.acd.ClearHelp(s.agent, s.user)
	}
}

// session finds a live session.
func (d *Desk) session(id string) (*session, error) {
	s := d.sessions[id]
	if s == nil {
		return nil, refuse(ErrUnknownSession, "No live assist or listen-in session has the ID %q", clip(id))
	}
	return s, nil
}

// Session returns a snapshot of one live session.
func (d *Desk) Session(id string) (Session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.session(id)
	if err != nil {
		return Session{}, err
	}
	return s.view(), nil
}

// Sessions returns every live session, oldest first.
func (d *Desk) Sessions() []Session {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Session, 0, len(d.sessions))
	for _, s := range d.sessions {
		out = append(out, s.view())
	}
	slices.SortFunc(out, func(a, b Session) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// onCall returns the live sessions of kind on call, oldest first.
func (d *Desk) onCall(call string, kind SessionKind) []*session {
	var out []*session
	for _, s := range d.sessions {
		if s.call == call && s.kind == kind {
			out = append(out, s)
		}
	}
	return oldestFirst(out)
}

// ofAgent returns the live sessions of kind on agent's calls, oldest first.
func (d *Desk) ofAgent(agent string, kind SessionKind) []*session {
	var out []*session
	for _, s := range d.sessions {
		if s.agent == agent && s.kind == kind {
			out = append(out, s)
		}
	}
	return oldestFirst(out)
}

// oldestFirst sorts sessions by start, then ID.
func oldestFirst(ss []*session) []*session {
	slices.SortFunc(ss, func(a, b *session) int {
		if c := a.started.Compare(b.started); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return ss
}

// armRing ends s as unanswered after the configured ring time.
func (d *Desk) armRing(s *session) {
	ring := d.acd.Config().AssistRingTime
	if ring <= 0 {
		ring = config.DefaultAssistRingTime
	}
	s.ringTmr = d.clk.AfterFunc(ring, func() {
		_ = d.do(func() error {
			if d.sessions[s.id] == s && s.mode == Ringing {
				s.ringTmr = nil
				d.end(s, EndNoAnswer)
			}
			return nil
		})
	})
}

// displayName is the user's display name, or their login name.
func displayName(cfg *config.Config, name string) string {
	if u, ok := cfg.User(name); ok && u.Display != "" {
		return u.Display
	}
	return name
}
