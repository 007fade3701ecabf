package app

import (
	"context"
	"time"

	"github.com/earshot/earshot/internal/events"
)

// appender is the part of the store the journal writes to.
type appender interface {
	AppendBatch(ctx context.Context, es []events.Event) error
}

// journal is the control plane's Sink: it stores a command's events in one
// transaction, and once stored folds them into today's figures and
// publishes them to the pages.
type journal struct {
	store appender
	book  interface{ Apply(events.Event) }
	bus   *events.Bus
}

func (j *journal) Store(evs []events.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return j.store.AppendBatch(ctx, evs)
}

func (j *journal) Announce(evs []events.Event) {
	for _, e := range evs {
		j.book.Apply(e)
		j.bus.Publish(e)
	}
}
