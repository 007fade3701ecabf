package events

import "sync"

// Bus fans events out to subscribers in the process. Publish never blocks:
// a subscriber that falls more than its buffer behind is dropped and its
// channel closed, so a slow page can never stall the control plane.
type Bus struct {
	mu   sync.Mutex // guards subs
	subs map[*Sub]struct{}
}

// Sub is one subscription. Read events from C; C is closed when the
// subscription ends (Close, or the subscriber fell behind).
type Sub struct {
	C   <-chan Event
	c   chan Event
	bus *Bus
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Sub]struct{}{}} }

// Subscribe returns a subscription with room for buffer pending events.
func (b *Bus) Subscribe(buffer int) *Sub {
	c := make(chan Event, buffer)
	s := &Sub{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close ends the subscription.
func (s *Sub) Close() {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.c)
	}
}

// Publish hands e to every subscriber.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			delete(b.subs, s)
			close(s.c)
		}
	}
}
