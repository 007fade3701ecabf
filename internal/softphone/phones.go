package softphone

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/web"
)

// LegMaker makes the media leg behind each page's peer connection.
// *media.Engine satisfies it.
type LegMaker interface {
	NewPacketLeg(send func(pkt []byte) error, payloadType, dtmfPT uint8) (*media.Leg, error)
}

// Config sets up Phones.
type Config struct {
	// Media makes the pages' legs. Required.
	Media LegMaker
	// ICEServers are the STUN and TURN servers offered to pion's ICE agent.
	ICEServers []webrtc.ICEServer
	// PublicIPs are this host's public addresses when it sits behind a 1:1
	// NAT: they replace the host candidates' addresses.
	PublicIPs []string
	// LoopbackOnly keeps ICE on 127.0.0.1 (UDP over IPv4, no mDNS): for
	// tests, which must not leave the machine.
	LoopbackOnly bool
	// PortMin and PortMax bound the UDP ports ICE uses; both zero means any.
	PortMin, PortMax uint16
	// Grace is how long a page's connection and leg outlive its WebSocket,
	// waiting for the page to reconnect. Default 30 s.
	Grace time.Duration
	// Logger receives the package's log lines; nil means slog.Default().
	Logger *slog.Logger
}

// CallInfo is the call a page is rung for, as its user sees it.
type CallInfo struct {
	ID     string // call identifier
	Caller string // the customer's number
	Queue  string // the queue's name
	// Kind is KindRouted (or empty) for a routed call, KindAssist for a
	// supervisor's assist, KindListen for a colleague's listen-in.
	Kind string
	// Agent is, for an assist or a listen-in, the agent whose call it is,
	// and AgentDisplay the agent's name as pages show it.
	Agent, AgentDisplay string
}

// Kinds of call a page is rung for.
const (
	KindRouted = "routed"
	KindAssist = "assist"
	KindListen = "listen"
)

// Phones are the web softphones of every logged-in page.
type Phones struct {
	cfg Config
	api *webrtc.API
	log *slog.Logger

	// mu guards pages, watched, ringOn and closed, and every page field
	// marked as guarded by it. Sends to web clients happen under mu: Client.Send never
	// blocks, and holding mu keeps each page's messages in order.
	mu      sync.Mutex
	pages   map[string]*page      // user → the user's live page
	watched map[*web.Client]bool  // clients whose disconnect is being watched
	ringOn  map[string]ringChoice // user → where their calls ring, when not the browser
	closed  bool

	released sync.WaitGroup // pages dropped and not yet torn down

	onHangup atomic.Pointer[func(user, callID string)]
	onDTMF   atomic.Pointer[func(user, callID string, digit rune)]
}

// New checks cfg and returns Phones ready to Attach.
func New(cfg Config) (*Phones, error) {
	if cfg.Media == nil {
		return nil, errors.New("softphone: config: Media is required")
	}
	if cfg.PortMin > cfg.PortMax || (cfg.PortMin == 0) != (cfg.PortMax == 0) {
		return nil, fmt.Errorf("softphone: config: port range %d–%d: give both ends, lowest first", cfg.PortMin, cfg.PortMax)
	}
	for _, ip := range cfg.PublicIPs {
		if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("softphone: config: public IP %q is not an IP address", ip)
		}
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	api, err := newAPI(cfg)
	if err != nil {
		return nil, err
	}
	return &Phones{
		cfg:     cfg,
		api:     api,
		log:     cfg.Logger,
		pages:   map[string]*page{},
		watched: map[*web.Client]bool{},
		ringOn:  map[string]ringChoice{},
	}, nil
}

// telephoneEvent is RFC 4733's media type.
const telephoneEvent = "audio/telephone-event"

// newAPI builds pion's API: G.711 and telephone-events only, no
// interceptors (audio needs no NACK, no congestion control), and the
// network settings of cfg.
func newAPI(cfg Config) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: telephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 101},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("softphone: register %s: %w", c.MimeType, err)
		}
	}
	s := webrtc.SettingEngine{}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	if cfg.LoopbackOnly {
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		s.SetIncludeLoopbackCandidate(true)
		s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	if cfg.PortMin != 0 {
		if err := s.SetEphemeralUDPPortRange(cfg.PortMin, cfg.PortMax); err != nil {
			return nil, fmt.Errorf("softphone: config: port range: %w", err)
		}
	}
	if len(cfg.PublicIPs) > 0 {
		s.SetNAT1To1IPs(cfg.PublicIPs, webrtc.ICECandidateTypeHost)
	}
	return webrtc.NewAPI(
		webrtc.WithMediaEngine(m),
		webrtc.WithSettingEngine(s),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}),
	), nil
}

// Attach registers the softphone's message types on the WebSocket of ws.
func (ph *Phones) Attach(ws *web.Server) {
	ws.HandleMessage(msgOffer, ph.handleOffer)
	ws.HandleMessage(msgRestart, ph.handleRestart)
	ws.HandleMessage(msgCandidate, ph.handleCandidate)
	ws.HandleMessage(msgAnswer, ph.handleAnswer)
	ws.HandleMessage(msgReject, ph.handleReject)
	ws.HandleMessage(msgHangup, ph.handleHangup)
	ws.HandleMessage(msgDTMF, ph.handleDTMF)
	ws.HandleMessage(msgRingOn, ph.handleRingOn)
}

// Online reports whether user's routed calls ring in the browser now: a
// page is open with its audio connected, and it has not chosen (with
// phone.ring_on) that calls ring on the user's SIP phone. The call flow
// rings the SIP phone when it is false.
func (ph *Phones) Online(user string) bool {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p := ph.pages[user]
	return p != nil && p.ringable() && !ph.ringsOnPhoneLocked(user)
}

// Connected reports whether user has a page open whose audio is connected,
// wherever their routed calls ring: the web client can be rung for a call
// the user asked to hear there (an assist with the "web" endpoint).
func (ph *Phones) Connected(user string) bool {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p := ph.pages[user]
	return p != nil && p.ringable()
}

// OnHangup sets the function called when a page's side ends a connected
// call: the page pressed Hang up, or the page went away for good (closed,
// replaced by a newer login, not back within the grace period) during the
// call. user is the page's user: the handling agent, or for an assist or a
// listen-in the supervisor or colleague leaving it. It runs on its own goroutine's time, outside any lock, and may call
// back into Phones.
func (ph *Phones) OnHangup(fn func(user, callID string)) {
	if fn == nil {
		ph.onHangup.Store(nil)
		return
	}
	ph.onHangup.Store(&fn)
}

// OnDTMF sets the function called when the agent presses a key of the
// page's keypad during a connected call. Without one, the page is told the
// keypad is not available.
func (ph *Phones) OnDTMF(fn func(user, callID string, digit rune)) {
	if fn == nil {
		ph.onDTMF.Store(nil)
		return
	}
	ph.onDTMF.Store(&fn)
}

// Ended tells user's page that the call is over (the customer hung up, a
// supervisor took it over, …); reason is sent as it is (see the Reason
// constants). For a call still ringing, Ring returns ErrEnded. A call the
// page does not have is ignored.
func (ph *Phones) Ended(user, callID, reason string) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	p := ph.pages[user]
	if p == nil || callID == "" {
		return
	}
	switch {
	case p.call.ID == callID:
		p.setCall(CallInfo{})
	case p.ring != nil && p.ring.info.ID == callID:
		p.resolveRing(ErrEnded)
	default:
		return
	}
	p.send(callEnded{Type: "call.ended", Call: callID, Reason: reason})
}

// Close closes every page's connection and leg and refuses new ones.
// Calls in progress are reported through OnHangup.
func (ph *Phones) Close() error {
	ph.mu.Lock()
	ph.closed = true
	var gone []*page
	for _, p := range ph.pages {
		gone = append(gone, p)
	}
	var hungUp []string
	for _, p := range gone {
		hungUp = append(hungUp, ph.dropLocked(p))
	}
	ph.mu.Unlock()
	for i, p := range gone {
		ph.release(p, hungUp[i])
	}
	ph.released.Wait()
	return nil
}

// dropLocked retires p: it leaves the pages, its ringing ends with ErrGone
// and its connected call, returned, must be reported as hung up. The caller
// holds mu and then calls release.
func (ph *Phones) dropLocked(p *page) (callID string) {
	if p.closed {
		return ""
	}
	p.closed = true
	ph.released.Add(1) // under mu, so that Close's Wait sees it
	if ph.pages[p.user] == p {
		delete(ph.pages, p.user)
	}
	if p.grace != nil {
		p.grace.Stop()
		p.grace = nil
	}
	if p.ring != nil {
		p.resolveRing(ErrGone)
	}
	callID = p.call.ID
	p.setCall(CallInfo{})
	return callID
}

// release tears down a dropped page's connection and leg in the background,
// then reports its call as hung up. Every page dropLocked drops is released
// once.
func (ph *Phones) release(p *page, callID string) {
	go func() {
		defer ph.released.Done()
		p.teardown()
		if callID != "" {
			ph.hungUp(p.user, callID)
		}
	}()
}

func (ph *Phones) hungUp(user, callID string) {
	if fn := ph.onHangup.Load(); fn != nil {
		(*fn)(user, callID)
	}
}

// watchLocked notices when c disconnects and detaches it from its user's
// page, which then waits out the grace period for the page to come back.
// Called with mu held.
func (ph *Phones) watchLocked(c *web.Client) {
	if ph.watched[c] {
		return
	}
	ph.watched[c] = true
	go func() {
		<-c.Context().Done()
		ph.mu.Lock()
		defer ph.mu.Unlock()
		delete(ph.watched, c)
		ph.forgetRingOnLocked(c)
		p := ph.pages[c.User()]
		if p == nil || p.client != c || p.closed {
			return
		}
		p.client = nil
		ph.checkAliveLocked(p)
	}()
}

// expire drops a page that did not come back (WebSocket reconnected, ICE
// restarted) within the grace period; gen is the page's generation when
// its timer started.
func (ph *Phones) expire(p *page, gen int) {
	ph.mu.Lock()
	if p.gen != gen || p.closed || p.alive() {
		ph.mu.Unlock()
		return
	}
	callID := ph.dropLocked(p)
	ph.mu.Unlock()
	ph.log.Info("web phone connection expired", "user", p.user)
	ph.release(p, callID)
}
