package softphone

import (
	"encoding/json"
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/earshot/earshot/internal/web"
)

// Messages earshot sends a page.
type (
	answerOut struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	}
	candidateOut struct {
		Type      string                  `json:"type"`
		Candidate webrtc.ICECandidateInit `json:"candidate"`
	}
	callOut struct {
		Type   string `json:"type"` // call.ringing or call.connected
		Call   string `json:"call"`
		Caller string `json:"caller"`
		Queue  string `json:"queue"`
		Kind   string `json:"kind"`
		Agent  string `json:"agent,omitempty"`
		// AgentDisplay is the agent's display name, when there is one.
		AgentDisplay string `json:"agent_display,omitempty"`
	}
	callEnded struct {
		Type   string `json:"type"`
		Call   string `json:"call"`
		Reason string `json:"reason"`
	}
	replacedOut struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	errorOut struct {
		Type    string `json:"type"`
		About   string `json:"about"`
		Message string `json:"message"`
	}
)

func callMsg(typ string, c CallInfo) callOut {
	kind := c.Kind
	if kind == "" {
		kind = KindRouted
	}
	return callOut{Type: typ, Call: c.ID, Caller: c.Caller, Queue: c.Queue, Kind: kind, Agent: c.Agent, AgentDisplay: c.AgentDisplay}
}

func ringingMsg(c CallInfo) callOut   { return callMsg("call.ringing", c) }
func connectedMsg(c CallInfo) callOut { return callMsg("call.connected", c) }

// refuse tells the page why its message about was not acted on. Refusals
// are said as they are; anything else is logged and summarised.
func (ph *Phones) refuse(c *web.Client, about string, err error) error {
	msg := "the server could not do that; see its log"
	var r *refusal
	switch {
	case errors.As(err, &r):
		msg = r.msg
	case errors.Is(err, ErrClosed):
		msg = "the server is shutting down"
	default:
		ph.log.Warn("web phone message failed", "user", c.User(), "type", about, "error", err)
	}
	c.Send(errorOut{Type: "error", About: about, Message: msg})
	return nil
}

// pageOf returns c's user's page when c is its WebSocket.
func (ph *Phones) pageOf(c *web.Client) *page {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p := ph.pages[c.User()]
	if p == nil || p.client != c || p.closed {
		return nil
	}
	return p
}

var errNoConnection = badf("no audio connection to restart; send rtc.offer to start one")

// handleOffer sets up a page's audio connection. It replaces the user's
// previous page, which is told session.replaced.
func (ph *Phones) handleOffer(c *web.Client, raw json.RawMessage) error {
	o, err := parseOffer(raw)
	if err != nil {
		return ph.refuse(c, msgOffer, err)
	}
	ph.mu.Lock()
	closed := ph.closed
	cur := ph.pages[c.User()]
	busy := cur != nil && cur.client == c && (cur.ring != nil || cur.call.ID != "")
	ph.mu.Unlock()
	switch {
	case closed:
		return ph.refuse(c, msgOffer, ErrClosed)
	case busy:
		return ph.refuse(c, msgOffer, badf("a call is in progress on this connection; restore it with rtc.restart"))
	}
	p, answer, err := ph.newPage(c.User(), o)
	if err != nil {
		return ph.refuse(c, msgOffer, err)
	}
	ph.mu.Lock()
	if ph.closed {
		ph.mu.Unlock()
		p.teardown()
		return ph.refuse(c, msgOffer, ErrClosed)
	}
	old := ph.pages[p.user]
	ph.pages[p.user] = p
	p.client = c
	ph.watchLocked(c)
	p.send(answerOut{Type: "rtc.answer", SDP: answer})
	p.flushLocked()
	var oldCall string
	if old != nil {
		if old.client != c {
			old.send(replacedOut{Type: "session.replaced", Message: "You signed in somewhere else"})
		}
		oldCall = ph.dropLocked(old)
	}
	ph.mu.Unlock()
	if old != nil {
		ph.release(old, oldCall)
	}
	return nil
}

// handleRestart answers an ICE-restart offer on a page's existing
// connection, typically after its WebSocket reconnected. The offer must come
// from the same peer connection (same DTLS fingerprint). The page is told
// again about a call ringing or connected.
func (ph *Phones) handleRestart(c *web.Client, raw json.RawMessage) error {
	o, err := parseOffer(raw)
	if err != nil {
		return ph.refuse(c, msgRestart, err)
	}
	ph.mu.Lock()
	p := ph.pages[c.User()]
	ph.mu.Unlock()
	if p == nil || p.fingerprint != o.fingerprint {
		return ph.refuse(c, msgRestart, errNoConnection)
	}
	p.sig.Lock()
	defer p.sig.Unlock()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: o.sdp}); err != nil {
		return ph.refuse(c, msgRestart, badf("the restart offer was refused: %v", err))
	}
	ans, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return ph.refuse(c, msgRestart, badf("no answer to this restart offer: %v", err))
	}
	ph.mu.Lock()
	if p.closed {
		ph.mu.Unlock()
		return ph.refuse(c, msgRestart, errNoConnection)
	}
	p.client = c
	p.answered = false
	p.pending = nil
	ph.watchLocked(c)
	ph.checkAliveLocked(p)
	ph.mu.Unlock()
	if err := p.pc.SetLocalDescription(ans); err != nil {
		return ph.refuse(c, msgRestart, err)
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p.send(answerOut{Type: "rtc.answer", SDP: ans.SDP})
	p.flushLocked()
	if p.ring != nil {
		p.send(ringingMsg(p.ring.info))
	}
	if p.call.ID != "" {
		p.send(connectedMsg(p.call))
	}
	return nil
}

// handleCandidate adds one of the page's ICE candidates.
func (ph *Phones) handleCandidate(c *web.Client, raw json.RawMessage) error {
	cand, err := parseCandidate(raw)
	if err != nil {
		return ph.refuse(c, msgCandidate, err)
	}
	p := ph.pageOf(c)
	if p == nil {
		return ph.refuse(c, msgCandidate, badf("no audio connection yet; send rtc.offer before candidates"))
	}
	p.sig.Lock()
	err = p.pc.AddICECandidate(cand)
	p.sig.Unlock()
	if err != nil {
		return ph.refuse(c, msgCandidate, badf("the candidate was refused: %v", err))
	}
	return nil
}

// handleAnswer connects the ringing call: Ring returns the page's leg.
func (ph *Phones) handleAnswer(c *web.Client, raw json.RawMessage) error {
	id, err := parseCall(raw)
	if err != nil {
		return ph.refuse(c, msgAnswer, err)
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p := ph.pages[c.User()]
	switch {
	case p == nil || p.client != c || p.closed:
		return ph.refuse(c, msgAnswer, badf("no audio connection; the page must connect before answering"))
	case p.ring == nil || p.ring.info.ID != id:
		return ph.refuse(c, msgAnswer, badf("call %q is not ringing", id))
	case p.state != webrtc.PeerConnectionStateConnected:
		return ph.refuse(c, msgAnswer, badf("the audio connection is not up yet; answer again in a moment"))
	}
	info := p.ring.info
	p.resolveRing(nil)
	p.setCall(info)
	p.send(connectedMsg(info))
	return nil
}

// handleReject declines the ringing call: Ring returns ErrRejected.
func (ph *Phones) handleReject(c *web.Client, raw json.RawMessage) error {
	id, err := parseCall(raw)
	if err != nil {
		return ph.refuse(c, msgReject, err)
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p := ph.pages[c.User()]
	if p == nil || p.client != c || p.closed || p.ring == nil || p.ring.info.ID != id {
		return ph.refuse(c, msgReject, badf("call %q is not ringing", id))
	}
	p.resolveRing(ErrRejected)
	p.send(callEnded{Type: "call.ended", Call: id, Reason: ReasonRejected})
	return nil
}

// handleHangup ends the connected call on the agent's side and tells the
// call flow through OnHangup.
func (ph *Phones) handleHangup(c *web.Client, raw json.RawMessage) error {
	id, err := parseCall(raw)
	if err != nil {
		return ph.refuse(c, msgHangup, err)
	}
	ph.mu.Lock()
	p := ph.pages[c.User()]
	if p == nil || p.client != c || p.closed || p.call.ID != id {
		ph.mu.Unlock()
		return ph.refuse(c, msgHangup, badf("call %q is not connected here", id))
	}
	p.setCall(CallInfo{})
	p.send(callEnded{Type: "call.ended", Call: id, Reason: ReasonHangup})
	ph.mu.Unlock()
	ph.hungUp(c.User(), id)
	return nil
}

// handleDTMF passes a key pressed on the page's keypad to the call flow.
func (ph *Phones) handleDTMF(c *web.Client, raw json.RawMessage) error {
	digit, err := parseDigit(raw)
	if err != nil {
		return ph.refuse(c, msgDTMF, err)
	}
	ph.mu.Lock()
	p := ph.pages[c.User()]
	var id string
	if p != nil && p.client == c && !p.closed {
		id = p.call.ID
	}
	ph.mu.Unlock()
	fn := ph.onDTMF.Load()
	switch {
	case id == "":
		return ph.refuse(c, msgDTMF, badf("no call is connected"))
	case fn == nil:
		return ph.refuse(c, msgDTMF, badf("the keypad is not available"))
	}
	(*fn)(c.User(), id, digit)
	return nil
}
