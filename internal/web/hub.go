package web

import (
	"context"
	"sync"

	"github.com/coder/websocket"
)

// hub knows the open WebSockets, to close them on logout and shutdown.
type hub struct {
	mu      sync.Mutex // guards clients and closed
	clients map[*Client]struct{}
	closed  bool
	wg      sync.WaitGroup // one per client goroutine set
}

func newHub() *hub { return &hub{clients: map[*Client]struct{}{}} }

// add registers c; false when the hub is shutting down.
func (h *hub) add(c *Client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients[c] = struct{}{}
	h.wg.Add(1)
	return true
}

// remove forgets c once its goroutines have ended.
func (h *hub) remove(c *Client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	h.wg.Done()
}

// each returns the clients matching keep.
func (h *hub) each(keep func(*Client) bool) []*Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Client
	for c := range h.clients {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// closeSession closes the WebSockets of one session.
func (h *hub) closeSession(id, reason string) {
	for _, c := range h.each(func(c *Client) bool { return c.sessID == id }) {
		c.end(websocket.StatusNormalClosure, reason)
	}
}

// shutdown refuses new clients, closes every open one as going away and
// waits for them until ctx ends.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	for _, c := range h.each(func(*Client) bool { return true }) {
		c.end(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}
