package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/media"
)

// Control is the control plane as bots use it: the commands a person's
// softphone page would send.
type Control interface {
	SetState(agent string, st acd.State, reason, actor string) error
	RequestHelp(agent string) error
	CancelHelp(agent string) error
	SetListenIn(agent string, mode acd.ListenIn) error
	Agents() []acd.AgentView
}

// Bots are demo agents that work the floor by themselves. They are an
// endpoint like a web softphone: the call flow rings them, and they answer
// after a few seconds with a leg that speaks their phrases.
type Bots struct {
	ctl    Control
	media  *media.Engine
	voices *voices
	log    *slog.Logger
	names  map[string]bool

	mu       sync.Mutex          // guards calls, hangUp, answered and short
	calls    map[string]*botCall // by agent
	hangUp   func(user, callID string)
	answered int // calls the bots have answered
	short    int // how many of the first calls are short
}

// letsListen reports whether a bot lets colleagues listen to its calls:
// about half do, chosen by name so that it is the same bots every time,
// and a person with the listen-in permission can try it at once.
func letsListen(name string) bool {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()%2 == 0
}

// shortCalls is how many of the bots' first calls are short by default,
// so that a newcomer sees After Call Work within the demo's first half
// minute.
const shortCalls = 2

// ShortFirstCalls sets how many of the bots' first calls last 8–12 s
// rather than 15–60 s (default shortCalls).
func (b *Bots) ShortFirstCalls(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.short = n
}

// talkTime is how long a bot talks on its n-th answered call (from 0)
// when the first short ones are short.
func talkTime(n, short int) time.Duration {
	if n < short {
		return time.Duration(8+rand.IntN(5)) * time.Second
	}
	return time.Duration(15+rand.IntN(45)) * time.Second
}

// botCall is a bot's audio: leg joins the call's room and speaks the
// bot's phrase (media.Leg.Speak); what it is sent goes nowhere.
type botCall struct {
	call        string
	leg         *media.Leg
	hangupTimer *time.Timer
}

// NewBots makes bots of the named agents.
func NewBots(ctl Control, m *media.Engine, voiceDir string, names []string, log *slog.Logger) (*Bots, error) {
	v, err := loadVoices(voiceDir)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	b := &Bots{ctl: ctl, media: m, voices: v, log: log, names: map[string]bool{}, calls: map[string]*botCall{}, short: shortCalls}
	for _, n := range names {
		b.names[n] = true
	}
	return b, nil
}

// OnHangUp says whom to tell when a bot ends a call.
func (b *Bots) OnHangUp(fn func(user, callID string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hangUp = fn
}

// Is reports whether user is a bot.
func (b *Bots) Is(user string) bool { return b.names[user] }

// Online reports whether user is a bot that is working (bots always are).
func (b *Bots) Online(user string) bool { return b.names[user] }

// Ring answers after a few seconds, unless the ring is called off first.
func (b *Bots) Ring(ctx context.Context, user, callID, caller, queue string) (*media.Leg, error) {
	if !b.names[user] {
		return nil, fmt.Errorf("%s is not a bot", user)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Duration(1500+rand.IntN(3000)) * time.Millisecond):
	}
	leg, err := b.media.NewPacketLeg(func([]byte) error { return nil }, byte(media.PCMU), 0)
	if err != nil {
		return nil, err
	}
	leg.Speak(pick(b.voices.agent))
	bc := &botCall{call: callID, leg: leg}
	b.mu.Lock()
	talk := talkTime(b.answered, b.short)
	b.answered++
	b.mu.Unlock()
	bc.hangupTimer = time.AfterFunc(talk, func() {
		b.mu.Lock()
		fn := b.hangUp
		b.mu.Unlock()
		if fn != nil {
			fn(user, callID)
		}
	})
	b.mu.Lock()
	if old := b.calls[user]; old != nil {
		old.close()
	}
	b.calls[user] = bc
	b.mu.Unlock()
	return leg, nil
}

// Ended releases the bot's audio for the call.
func (b *Bots) Ended(user, callID, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bc := b.calls[user]; bc != nil && bc.call == callID {
		bc.close()
		delete(b.calls, user)
	}
}

func (bc *botCall) close() {
	bc.hangupTimer.Stop()
	bc.leg.Close()
}

// Run logs the bots in and keeps them working until ctx ends: Ready after
// some After Call Work, short breaks, and now and then a help request that
// they withdraw after a while if nobody comes.
func (b *Bots) Run(ctx context.Context) {
	for name := range b.names {
		if err := b.ctl.SetState(name, acd.Available, "", ""); err != nil && !errors.Is(err, acd.ErrNotAllowed) {
			b.log.Warn("bot login", "agent", name, "err", err)
		}
		if letsListen(name) {
			if err := b.ctl.SetListenIn(name, acd.ListenAll); err != nil {
				b.log.Warn("bot lets colleagues listen in", "agent", name, "err", err)
			}
		}
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	// the first help request comes soon, so the agent-requested flow can
	// be tried at once; later ones come now and then
	firstHelp := time.Now().Add(10 * time.Second)
	asked := false
	for {
		select {
		case <-ctx.Done():
			b.mu.Lock()
			for user, bc := range b.calls {
				bc.close()
				delete(b.calls, user)
			}
			b.mu.Unlock()
			return
		case <-tick.C:
		}
		now := time.Now()
		for _, v := range b.ctl.Agents() {
			if !b.names[v.Name] {
				continue
			}
			in := now.Sub(v.Since)
			switch {
			case v.State == acd.ACW && in > time.Duration(5+rand.IntN(10))*time.Second:
				_ = b.ctl.SetState(v.Name, acd.Available, "", "")
			case v.State == acd.NotReady && in > time.Duration(20+rand.IntN(40))*time.Second:
				_ = b.ctl.SetState(v.Name, acd.Available, "", "")
			case v.State == acd.Offline:
				_ = b.ctl.SetState(v.Name, acd.Available, "", "")
			case v.State == acd.Available && rand.IntN(400) == 0:
				_ = b.ctl.SetState(v.Name, acd.NotReady, "Break", "")
			}
			switch {
			case v.Help == acd.HelpNone && v.State == acd.OnCall && (!asked && now.After(firstHelp) || rand.IntN(150) == 0):
				if b.ctl.RequestHelp(v.Name) == nil {
					asked = true
				}
			case v.Help == acd.HelpRequested && rand.IntN(30) == 0:
				_ = b.ctl.CancelHelp(v.Name)
			}
		}
	}
}
