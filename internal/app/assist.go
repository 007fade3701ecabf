package app

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/earshot/earshot/internal/assist"
	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/events"
	"github.com/earshot/earshot/internal/softphone"
	"github.com/earshot/earshot/internal/store"
)

// assistParts is the assist desk and the subscription through which it
// follows the ACD.
type assistParts struct {
	desk    *assist.Desk
	sub     *events.Sub
	closing atomic.Bool
	done    chan struct{} // closed when the desk stops following
}

// noFigures is a journal book for events that count in no statistics.
type noFigures struct{}

func (noFigures) Apply(events.Event) {}

// startAssist builds the assist desk on the running ACD: sessions an
// earlier run left live are ended in the history, the desk follows the
// ACD's events (a call's end ends its sessions), and the call flow rings
// and joins the sessions' endpoints. It needs startTelephony first.
func (a *App) startAssist(ctx context.Context) (*assistParts, error) {
	hist, err := a.store.Events(ctx, store.Filter{
		Kinds: []events.Kind{events.AssistMode, events.ListenSession},
		Since: time.Now().Add(-7 * 24 * time.Hour),
	})
	if err != nil {
		return nil, fmt.Errorf("read assist history: %w", err)
	}
	desk := assist.New(assist.Config{ACD: a.engine, Clock: clock.Real{}, Sink: &journal{store: a.store, book: noFigures{}, bus: a.bus}})
	if err := desk.Recover(hist); err != nil {
		return nil, fmt.Errorf("recover assist sessions: %w", err)
	}
	p := &assistParts{desk: desk, sub: a.bus.Subscribe(16384), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for e := range p.sub.C {
			desk.Observe(e)
		}
		if !p.closing.Load() {
			a.log.Error("the assist desk fell behind the event stream; sessions may outlive their calls")
		}
	}()
	a.flow.SetAssists(desk)
	return p, nil
}

// close stops the desk following the ACD.
func (p *assistParts) close() {
	p.closing.Store(true)
	p.sub.Close()
	<-p.done
}

// webAudio tells the web edge whose web client can take assist audio: a
// page open with its audio connected, wherever the user's routed calls
// ring.
type webAudio struct{ p *softphone.Phones }

func (w webAudio) Online(user string) bool { return w.p != nil && w.p.Connected(user) }
