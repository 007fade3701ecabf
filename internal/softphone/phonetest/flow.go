package phonetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/softphone"
)

// Customer is a caller played by the rig: a media leg that says a tone and
// keeps what it hears.
type Customer struct {
	Call   string // the call's ID
	Caller string // the caller's number
	Leg    *media.Leg
	Ear    *Ear

	r        *Rig
	mouth    *Mouth
	answered chan struct{} // closed when an agent's web phone answered

	mu      sync.Mutex // guards room, agent, aleg and parties
	room    *media.Room
	agent   string
	aleg    *media.Leg
	parties map[string]party // assist and listen-in legs by session ID
}

// Call places a customer call from caller to the rig's queue; the customer
// says freq Hz. RouteCalls must be running for an agent to be rung.
func (r *Rig) Call(caller string, freq float64) *Customer {
	r.t.Helper()
	r.mu.Lock()
	r.nextID++
	id := fmt.Sprintf("call-%d", r.nextID)
	r.mu.Unlock()
	c := &Customer{Call: id, Caller: caller, Ear: &Ear{}, r: r, answered: make(chan struct{}), parties: map[string]party{}}
	leg, err := r.Media.NewPacketLeg(func(pkt []byte) error { c.Ear.Hear(pkt); return nil }, 0, 101)
	if err != nil {
		r.t.Fatal(err)
	}
	c.Leg = leg
	c.mouth = Speak(freq, rand.Uint32(), leg.Deliver)
	r.mu.Lock()
	r.calls[id] = c
	r.mu.Unlock()
	r.t.Cleanup(c.close)
	if _, err := r.Engine.Arrive(acdInbound(id, caller)); err != nil {
		r.t.Fatal(err)
	}
	return c
}

// WaitAnswered waits until an agent answers, or fails the test after d.
func (c *Customer) WaitAnswered(d time.Duration) {
	c.r.t.Helper()
	select {
	case <-c.answered:
	case <-time.After(d):
		c.r.t.Fatalf("call %s not answered within %v", c.Call, d)
	}
}

// AgentLeg is the answering web phone's leg (nil before the answer).
func (c *Customer) AgentLeg() *media.Leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aleg
}

// Hangup is the customer hanging up.
func (c *Customer) Hangup() {
	if err := c.r.Engine.Hangup(c.Call, "customer"); err != nil {
		c.r.t.Errorf("hang up %s: %v", c.Call, err)
	}
	c.close()
}

func (c *Customer) close() {
	c.mouth.Stop()
	c.mu.Lock()
	room := c.room
	c.room = nil
	c.mu.Unlock()
	if room != nil {
		room.Close()
	}
	c.Leg.Close()
}

// connect puts the agent's leg in a room with the customer, each hearing
// the other.
func (c *Customer) connect(agent string, leg *media.Leg) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.r.Media.NewRoom()
	if err := room.Add(c.Leg); err != nil {
		return err
	}
	if err := room.Add(leg); err != nil {
		room.Close()
		return err
	}
	c.room, c.agent, c.aleg = room, agent, leg
	c.rehearLocked()
	close(c.answered)
	return nil
}

// release takes the agent's leg out of the room: the agent's part is over.
func (c *Customer) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.room != nil && c.aleg != nil {
		c.room.Remove(c.aleg)
		c.aleg = nil
		c.rehearLocked()
	}
}

// RouteCalls runs the part of the call flow the web phone needs, until the
// test ends: an offered call rings the agent's web phone; an answer
// connects the agent to the customer; Reject, a missed ring and a lost page
// go back to the control plane; the agent's Hang up ends the call, and the
// end of the agent's part is told to the page. Assist and listen-in
// sessions are routed too (RouteAssists).
func (r *Rig) RouteCalls() {
	r.RouteAssists()
	sub := r.Bus.Subscribe(1 << 16)
	var (
		mu    sync.Mutex // guards rings
		rings = map[string]context.CancelFunc{}
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C {
			switch e.Kind {
			case events.CallOffered:
				ctx, cancel := context.WithTimeout(context.Background(), r.ringTime()+time.Second)
				mu.Lock()
				rings[e.Call+"/"+e.Agent] = cancel
				mu.Unlock()
				go func() {
					defer cancel()
					r.ring(ctx, e.Call, e.Agent)
				}()
			case events.CallUnoffered:
				mu.Lock()
				if cancel := rings[e.Call+"/"+e.Agent]; cancel != nil {
					cancel()
				}
				delete(rings, e.Call+"/"+e.Agent)
				mu.Unlock()
			case events.CallHandlerEnded:
				reason := e.Reason
				if reason == "hangup" {
					reason = softphone.ReasonCustomerHangup
				}
				r.Phones.Ended(e.Agent, e.Call, reason)
				if c := r.customer(e.Call); c != nil {
					c.release()
				}
			}
		}
	}()
	r.t.Cleanup(func() {
		sub.Close()
		<-done
		mu.Lock()
		for _, cancel := range rings {
			cancel()
		}
		mu.Unlock()
	})
}

func (r *Rig) ringTime() time.Duration {
	q, _ := r.Config.Queue(Queue)
	return q.RingTimeout
}

func (r *Rig) customer(id string) *Customer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// ring rings agent's web phone for a call and reports the outcome to the
// control plane.
func (r *Rig) ring(ctx context.Context, callID, agent string) {
	cv, err := r.Engine.Call(callID)
	if err != nil {
		return
	}
	leg, err := r.Phones.Ring(ctx, agent, softphone.CallInfo{ID: callID, Caller: cv.Caller, Queue: cv.Queue})
	switch {
	case err == nil:
		c := r.customer(callID)
		if c == nil {
			r.Phones.Ended(agent, callID, softphone.ReasonCancelled)
			return
		}
		if err := r.Engine.Answer(callID, agent); err != nil {
			r.Phones.Ended(agent, callID, softphone.ReasonCancelled)
			return
		}
		if err := c.connect(agent, leg); err != nil {
			r.t.Errorf("connect %s to %s: %v", agent, callID, err)
		}
	case errors.Is(err, softphone.ErrRejected):
		r.Engine.Reject(callID, agent)
	case ctx.Err() != nil, errors.Is(err, softphone.ErrEnded):
		// the control plane ended the ringing itself
	default:
		r.Engine.RingFailed(callID, agent, "")
	}
}

func acdInbound(id, caller string) acd.Inbound {
	return acd.Inbound{ID: id, DID: DID, Caller: caller}
}
