package softphone

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/web"
)

// page is one /phone page's audio connection: a pion peer connection and the
// media leg behind it. pc, track, leg and the offer's identity are set when
// the page is built and never change.
type page struct {
	ph          *Phones
	user        string
	pc          *webrtc.PeerConnection
	track       *rtpTrack
	leg         *media.Leg
	fingerprint string // the browser's DTLS fingerprint: names the page on restart
	mid         string // the audio section's media ID, for candidates
	mline       uint16

	sig sync.Mutex // serialises signalling on pc: descriptions and candidates

	// Guarded by ph.mu.
	client   *web.Client // nil while the WebSocket is down
	state    webrtc.PeerConnectionState
	grace    *time.Timer // runs while the page is not alive (see checkAliveLocked)
	gen      int         // bumped whenever a grace timer starts
	answered bool        // rtc.answer sent for the current negotiation
	pending  []webrtc.ICECandidateInit
	ring     *ring    // the call ringing, or nil
	call     CallInfo // the connected call; ID "" when none; set with setCall
	closed   bool
}

// setCall records the page's connected call (ID "" for none). Audio flows
// between the page and its leg only while it has one. Called with ph.mu
// held.
func (p *page) setCall(c CallInfo) {
	p.call = c
	p.track.setLive(c.ID != "")
}

// newPage answers a page's first offer: a peer connection with earshot's
// audio track, and a media leg for the codec the answer settles on. On
// error nothing is left open.
func (ph *Phones) newPage(user string, o offer) (p *page, answer string, err error) {
	pc, err := ph.api.NewPeerConnection(webrtc.Configuration{ICEServers: ph.cfg.ICEServers})
	if err != nil {
		return nil, "", err
	}
	p = &page{ph: ph, user: user, pc: pc, track: &rtpTrack{}, fingerprint: o.fingerprint, mid: o.mid, mline: o.mline}
	defer func() {
		if err != nil {
			pc.Close()
			if p.leg != nil {
				p.leg.Close()
			}
		}
	}()
	pc.OnICECandidate(p.onCandidate)
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) { p.onState() })
	pc.OnTrack(p.onTrack)
	sender, err := pc.AddTrack(p.track)
	if err != nil {
		return nil, "", err
	}
	go drainRTCP(sender.Read)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: o.sdp}); err != nil {
		return nil, "", badf("the offer was refused: %v", err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, "", badf("no answer to this offer: %v", err)
	}
	pt, dtmfPT, err := negotiated(ans.SDP)
	if err != nil {
		return nil, "", badf("no common audio codec: %v", err)
	}
	p.track.setPayloadType(pt)
	if p.leg, err = ph.cfg.Media.NewPacketLeg(p.track.write, pt, dtmfPT); err != nil {
		return nil, "", err
	}
	if err := pc.SetLocalDescription(ans); err != nil {
		return nil, "", err
	}
	return p, ans.SDP, nil
}

// drainRTCP reads and drops RTCP until the connection closes: nothing here
// uses it, and unread packets would fill pion's buffers.
func drainRTCP(read func([]byte) (int, interceptor.Attributes, error)) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := read(buf); err != nil {
			return
		}
	}
}

// onTrack moves the browser's RTP into the leg until the track ends.
func (p *page) onTrack(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	go drainRTCP(recv.Read)
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if p.track.isLive() {
			p.leg.Deliver(buf[:n])
		}
	}
}

// onCandidate trickles one of earshot's ICE candidates to the page, or keeps
// it until the answer has gone out.
func (p *page) onCandidate(c *webrtc.ICECandidate) {
	if c == nil {
		return
	}
	init := c.ToJSON()
	init.SDPMid = &p.mid
	init.SDPMLineIndex = &p.mline
	ph := p.ph
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if p.closed {
		return
	}
	if !p.answered || p.client == nil {
		p.pending = append(p.pending, init)
		return
	}
	p.send(candidateOut{Type: "rtc.candidate", Candidate: init})
}

// flushLocked marks the answer as sent and sends the candidates that waited
// for it. Called with ph.mu held, right after the answer.
func (p *page) flushLocked() {
	p.answered = true
	for _, c := range p.pending {
		p.send(candidateOut{Type: "rtc.candidate", Candidate: c})
	}
	p.pending = nil
}

// onState follows the peer connection's state. pion reports changes on
// goroutines of their own, so the current state is read, not the reported
// one.
func (p *page) onState() {
	st := p.pc.ConnectionState()
	ph := p.ph
	ph.mu.Lock()
	if p.closed {
		ph.mu.Unlock()
		return
	}
	p.state = st
	if st == webrtc.PeerConnectionStateClosed {
		callID := ph.dropLocked(p)
		ph.mu.Unlock()
		ph.release(p, callID)
		return
	}
	ph.checkAliveLocked(p)
	ph.mu.Unlock()
}

// alive reports whether the page is reachable: its WebSocket is up and its
// connection has not failed. Called with ph.mu held.
func (p *page) alive() bool {
	return !p.closed && p.client != nil && p.state != webrtc.PeerConnectionStateFailed
}

// ringable reports whether the page can be rung now: alive, with audio
// connected. Called with ph.mu held.
func (p *page) ringable() bool {
	return p.alive() && p.state == webrtc.PeerConnectionStateConnected
}

// send queues v for the page's WebSocket, if it has one. Called with ph.mu
// held; Client.Send never blocks.
func (p *page) send(v any) {
	if p.client != nil {
		p.client.Send(v)
	}
}

// teardown closes the connection and the leg.
func (p *page) teardown() {
	if err := p.pc.Close(); err != nil {
		p.ph.log.Debug("close web phone connection", "user", p.user, "error", err)
	}
	p.leg.Close()
}

// checkAliveLocked starts the grace timer when p stops being alive and
// stops it when p is alive again. A page not alive when its timer fires is
// dropped. Called with ph.mu held.
func (ph *Phones) checkAliveLocked(p *page) {
	if p.alive() {
		if p.grace != nil {
			p.grace.Stop()
			p.grace = nil
		}
		return
	}
	if p.grace == nil && !p.closed {
		p.gen++
		gen := p.gen
		p.grace = time.AfterFunc(ph.cfg.Grace, func() { ph.expire(p, gen) })
	}
}
