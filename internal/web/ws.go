package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/events"
)

// WebSocket limits.
const (
	wsReadLimit    = 64 << 10 // bytes per client message
	wsSendQueue    = 64       // replies waiting to be written
	wsBusBuffer    = 256      // events waiting to be written
	wsWriteTimeout = 10 * time.Second
)

// ErrClientClosed is returned by Client.Send once the client is gone.
var ErrClientClosed = errors.New("websocket client closed")

// MessageHandler handles one client→server message of a type; msg is the
// whole message. A returned error is sent back to the client as
// {"type":"error","for":type,"error":…}.
type MessageHandler func(c *Client, msg json.RawMessage) error

// HandleMessage routes client messages whose "type" is typ to h, replacing
// any handler of that type.
func (s *Server) HandleMessage(typ string, h MessageHandler) {
	s.msgMu.Lock()
	defer s.msgMu.Unlock()
	s.messages[typ] = h
}

func (s *Server) messageHandler(typ string) MessageHandler {
	s.msgMu.RLock()
	defer s.msgMu.RUnlock()
	return s.messages[typ]
}

// pingMessage answers {"type":"ping"} with {"type":"pong"}: a keepalive a
// page can see.
func pingMessage(c *Client, _ json.RawMessage) error {
	return c.Send(struct {
		Type string `json:"type"`
	}{"pong"})
}

// Client is one open WebSocket: a logged-in user's live event stream.
type Client struct {
	s       *Server
	conn    *websocket.Conn
	sessID  string
	user    string
	expires time.Time
	ctx     context.Context // ends when the client is gone
	out     chan []byte     // messages from Send, written by the writer
	view    atomic.Pointer[viewer]

	endOnce   sync.Once
	ended     chan struct{} // closed by end
	endCode   websocket.StatusCode
	endReason string // endCode and endReason are written once, before ended closes
}

// User is the logged-in user's name.
func (c *Client) User() string { return c.user }

// Context ends when the client disconnects.
func (c *Client) Context() context.Context { return c.ctx }

// Send queues v, encoded as JSON, for the client. A client that lets its
// queue fill is disconnected.
func (c *Client) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	select {
	case <-c.ended:
		return ErrClientClosed
	default:
	}
	select {
	case c.out <- b:
		return nil
	default:
		c.end(websocket.StatusTryAgainLater, "too slow: messages were dropped; reconnect")
		return ErrClientClosed
	}
}

// end asks the writer to close the connection with code and reason.
func (c *Client) end(code websocket.StatusCode, reason string) {
	c.endOnce.Do(func() {
		c.endCode, c.endReason = code, reason
		close(c.ended)
	})
}

type snapshotMsg struct {
	Type   string         `json:"type"`
	Agents []AgentRow     `json:"agents"`
	Queues []QueueRow     `json:"queues"`
	Calls  []acd.CallView `json:"calls"`
}

type eventMsg struct {
	Type  string       `json:"type"`
	Event events.Event `json:"event"`
}

type agentMsg struct {
	Type  string   `json:"type"`
	Agent AgentRow `json:"agent"`
}

// listenableMsg tells a user with the listen-in permission that a team
// mate's state or Let Listen In changed, so the list of whom they may
// listen to may have changed (GET /api/v1/me/listenable). It says nothing
// more: an agent does not see colleagues' events.
var listenableMsg = []byte(`{"type":"listenable"}`)

type errorMsg struct {
	Type  string `json:"type"`
	For   string `json:"for,omitempty"`
	Error string `json:"error"`
}

// serveEvents upgrades to a WebSocket and streams what the user may see:
// a snapshot, then events and refreshed agent rows.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, c *caller) error {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Upgrade", "websocket")
		return errorf(http.StatusUpgradeRequired, "this endpoint is a WebSocket; connect with a WebSocket client")
	}
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	if s.hub.isClosed() {
		return errorf(http.StatusServiceUnavailable, "the server is shutting down")
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.opts.TrustedOrigins})
	if err != nil {
		return nil // Accept has answered
	}
	conn.SetReadLimit(wsReadLimit)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	cl := &Client{
		s: s, conn: conn, sessID: c.sess.ID, user: c.user.Name, expires: c.sess.Expires,
		ctx: ctx, out: make(chan []byte, wsSendQueue), ended: make(chan struct{}),
	}
	cl.view.Store(c.view)
	if !s.hub.add(cl) {
		conn.Close(websocket.StatusGoingAway, "server shutting down")
		return nil
	}
	defer s.hub.remove(cl)
	s.metrics.wsClients.Inc()
	defer s.metrics.wsClients.Dec()

	var sub *events.Sub
	if s.bus != nil {
		sub = s.bus.Subscribe(s.wsBuffer) // before the snapshot: nothing falls between
		defer sub.Close()
	}
	read := make(chan struct{})
	go func() { defer close(read); cl.readLoop() }()
	cl.writeLoop(sub)
	cancel()
	<-read
	return nil
}

// checkOrigin refuses a browser page from another origin: the Origin's host
// must be the request's Host, or a trusted origin.
func (s *Server) checkOrigin(r *http.Request) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err == nil && u.Host != "" {
		if strings.EqualFold(u.Host, r.Host) {
			return nil
		}
		for _, t := range s.opts.TrustedOrigins {
			if strings.EqualFold(t, u.Scheme+"://"+u.Host) {
				return nil
			}
		}
	}
	return errorf(http.StatusForbidden, "origin %q may not open this WebSocket", o)
}

// readLoop dispatches client messages by their "type" until the
// connection ends.
func (c *Client) readLoop() {
	for {
		typ, data, err := c.conn.Read(c.ctx)
		if err != nil {
			c.end(websocket.StatusNormalClosure, "")
			return
		}
		if typ != websocket.MessageText {
			c.Send(errorMsg{Type: "error", Error: "messages must be JSON text"})
			continue
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &head); err != nil || head.Type == "" {
			c.Send(errorMsg{Type: "error", Error: `a message must be a JSON object with a "type"`})
			continue
		}
		h := c.s.messageHandler(head.Type)
		if h == nil {
			c.Send(errorMsg{Type: "error", For: head.Type, Error: fmt.Sprintf("unknown message type %q", head.Type)})
			continue
		}
		if err := h(c, data); err != nil && !errors.Is(err, ErrClientClosed) {
			_, msg := statusOf(err)
			c.Send(errorMsg{Type: "error", For: head.Type, Error: msg})
		}
	}
}

// writeLoop owns writing: the snapshot, then events, replies and pings,
// until the client ends. It closes the connection with the end's reason.
func (c *Client) writeLoop(sub *events.Sub) {
	var evs <-chan events.Event
	if sub != nil {
		evs = sub.C
	}
	if err := c.writeJSON(c.snapshot()); err != nil {
		c.conn.CloseNow()
		return
	}
	ping := time.NewTicker(c.s.opts.PingInterval)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-c.ended:
			c.conn.Close(c.endCode, c.endReason)
			return
		case e, ok := <-evs:
			if !ok {
				evs = nil
				c.end(websocket.StatusTryAgainLater, "too slow: events were dropped; reconnect for a fresh snapshot")
				continue
			}
			err = c.deliver(e)
		case b := <-c.out:
			err = c.write(b)
		case <-ping.C:
			err = c.keepalive()
		}
		if err != nil {
			c.conn.CloseNow()
			return
		}
	}
}

// keepalive pings the peer and checks the session is still valid.
func (c *Client) keepalive() error {
	ctx, cancel := context.WithTimeout(c.ctx, wsWriteTimeout)
	defer cancel()
	if err := c.conn.Ping(ctx); err != nil {
		return err
	}
	if !c.s.now().Before(c.expires) {
		c.end(websocket.StatusPolicyViolation, "session expired; log in again")
		return nil
	}
	if _, err := c.s.sessions.Session(ctx, c.sessID); errors.Is(err, ErrNoSession) {
		c.end(websocket.StatusPolicyViolation, "logged out")
	}
	return nil
}

// snapshot is what the user may see now.
func (c *Client) snapshot() snapshotMsg {
	v := c.view.Load()
	m := snapshotMsg{Type: "snapshot", Agents: []AgentRow{}, Queues: []QueueRow{}, Calls: []acd.CallView{}}
	for _, a := range c.s.eng.Agents() {
		if v.seesAgent(a.Name) {
			m.Agents = append(m.Agents, c.s.row(a))
		}
	}
	for _, q := range c.s.eng.Queues() {
		if v.seesQueue(q.Name) {
			m.Queues = append(m.Queues, c.s.queueRow(q))
		}
	}
	for _, call := range c.s.eng.Calls() {
		if v.seesCall(call) {
			m.Calls = append(m.Calls, call)
		}
	}
	sortedNames(m.Agents, func(r AgentRow) string { return r.Name })
	sortedNames(m.Queues, func(r QueueRow) string { return r.Name })
	sortedNames(m.Calls, func(c acd.CallView) string { return c.ID })
	return m
}

// deliver sends e if the user may see it, then the agent's refreshed row.
func (c *Client) deliver(e events.Event) error {
	v := c.view.Load()
	listener := v.mates != nil // before a change of configuration
	if e.Kind == events.ConfigChanged {
		cfg := c.s.eng.Config()
		u, ok := cfg.User(c.user)
		if !ok {
			c.end(websocket.StatusPolicyViolation, "your account was removed")
			return nil
		}
		v = newViewer(cfg, u)
		c.view.Store(v)
	}
	if v.seesEvent(e, c.s.callQueue) {
		if err := c.writeJSON(eventMsg{Type: "event", Event: e}); err != nil {
			return err
		}
		if e.Agent != "" && v.seesAgent(e.Agent) {
			if row, err := c.s.agentRow(e.Agent); err == nil { // else the agent left the configuration
				if err := c.writeJSON(agentMsg{Type: "agent", Agent: row}); err != nil {
					return err
				}
			}
		}
	}
	// whom one may listen to follows the mates' states and Let Listen In;
	// the mates and the permission come from the configuration
	mateChanged := (e.Kind == events.AgentState || e.Kind == events.ListenIn) && v.mates[e.Agent]
	if mateChanged || e.Kind == events.ConfigChanged && (listener || v.mates != nil) {
		return c.write(listenableMsg)
	}
	return nil
}

func (c *Client) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	return c.write(b)
}

func (c *Client) write(b []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, wsWriteTimeout)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, b)
}
