package phonetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// Msg is one message the server sent a page.
type Msg map[string]any

// Type is the message's "type".
func (m Msg) Type() string { s, _ := m["type"].(string); return s }

// Str is a string field of the message.
func (m Msg) Str(key string) string { s, _ := m[key].(string); return s }

// Page is a web phone written in Go: it logs in over the API, keeps the
// page's WebSocket and one pion peer connection to earshot, says a tone and
// keeps what it hears. Like Chromium, it offers Opus first, then PCMU and
// PCMA, and telephone-events as payload type 126.
type Page struct {
	User string
	Ear  *Ear // what the page hears from earshot

	t     testing.TB
	base  string
	hc    *http.Client
	csrf  string
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	mouth *Mouth
	up    chan struct{} // closed when the connection first connects

	sig sync.Mutex // serialises descriptions and candidates on pc

	mu        sync.Mutex // guards the fields below
	ws        *websocket.Conn
	stopWS    context.CancelFunc
	backlog   []Msg
	notify    chan struct{}
	remoteSet bool
	pending   []webrtc.ICECandidateInit // remote candidates before the answer
	offered   bool                      // the current offer has been sent
	local     []webrtc.ICECandidateInit // own candidates before the offer went out
}

// Open logs user in at the rig's server and opens the page's WebSocket.
func (r *Rig) Open(user string) *Page { return Open(r.t, r.URL, user, Password) }

// Open logs user in at base (http://host:port) and opens the page's
// WebSocket. The page is closed when the test ends.
func Open(t testing.TB, base, user, password string) *Page {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &Page{User: user, Ear: &Ear{}, t: t, base: base, hc: &http.Client{Jar: jar}, up: make(chan struct{}), notify: make(chan struct{}, 1)}
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := p.hc.Do(req)
	if err != nil {
		t.Fatalf("log in %s: %v", user, err)
	}
	var out struct {
		CSRF  string `json:"csrf"`
		Error string `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("log in %s: %d %s", user, res.StatusCode, out.Error)
	}
	p.csrf = out.CSRF
	p.Redial()
	t.Cleanup(p.Close)
	return p
}

// Redial opens a new WebSocket for the page (after DropWebSocket).
func (p *Page) Redial() {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(p.base, "http")+"/api/v1/events", &websocket.DialOptions{HTTPClient: p.hc})
	if err != nil {
		cancel()
		p.t.Fatalf("open WebSocket for %s: %v", p.User, err)
	}
	ws.SetReadLimit(4 << 20)
	p.mu.Lock()
	p.ws, p.stopWS = ws, cancel
	p.mu.Unlock()
	go p.readLoop(ctx, ws)
}

// DropWebSocket closes the page's WebSocket as a network drop would; the
// peer connection stays.
func (p *Page) DropWebSocket() {
	p.mu.Lock()
	ws, stop := p.ws, p.stopWS
	p.ws = nil
	p.mu.Unlock()
	if ws != nil {
		stop()
		ws.CloseNow()
	}
}

func (p *Page) readLoop(ctx context.Context, ws *websocket.Conn) {
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var m Msg
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Type() {
		case "rtc.answer":
			p.applyAnswer(m.Str("sdp"))
		case "rtc.candidate":
			p.addCandidate(m)
		}
		p.mu.Lock()
		p.backlog = append(p.backlog, m)
		p.mu.Unlock()
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

func (p *Page) applyAnswer(sdp string) {
	p.sig.Lock()
	defer p.sig.Unlock()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		p.t.Errorf("%s: apply answer: %v", p.User, err)
		return
	}
	p.mu.Lock()
	p.remoteSet = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, c := range pending {
		p.pc.AddICECandidate(c)
	}
}

func (p *Page) addCandidate(m Msg) {
	b, _ := json.Marshal(m["candidate"])
	var c webrtc.ICECandidateInit
	if json.Unmarshal(b, &c) != nil {
		return
	}
	p.sig.Lock()
	defer p.sig.Unlock()
	p.mu.Lock()
	if !p.remoteSet {
		p.pending = append(p.pending, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.pc.AddICECandidate(c)
}

// Send sends v (JSON-encoded) on the page's WebSocket.
func (p *Page) Send(v any) {
	p.t.Helper()
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	if ws == nil {
		p.t.Fatalf("%s: no WebSocket", p.User)
	}
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		p.t.Fatalf("%s: send: %v", p.User, err)
	}
}

// SendRaw sends b as it is.
func (p *Page) SendRaw(b []byte) {
	p.t.Helper()
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		p.t.Fatalf("%s: send: %v", p.User, err)
	}
}

// Next waits up to d for the next message of type typ and takes it out of
// the backlog; messages of other types stay.
func (p *Page) Next(typ string, d time.Duration) Msg {
	p.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for i, m := range p.backlog {
			if m.Type() == typ {
				p.backlog = append(p.backlog[:i], p.backlog[i+1:]...)
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-deadline.C:
			p.t.Fatalf("%s: no %q message within %v", p.User, typ, d)
		}
	}
}

// Drain forgets every message received so far.
func (p *Page) Drain() {
	p.mu.Lock()
	p.backlog = nil
	p.mu.Unlock()
}

// Has reports whether a message of type typ is waiting.
func (p *Page) Has(typ string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.backlog {
		if m.Type() == typ {
			return true
		}
	}
	return false
}

// pageAPI is pion as a browser would offer: Opus first, then G.711.
func pageAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000}, PayloadType: 126},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	s := webrtc.SettingEngine{}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s), webrtc.WithInterceptorRegistry(&interceptor.Registry{})), nil
}

// Connect sets up the page's peer connection (offer, answer, trickled
// candidates), starts saying freq Hz, and waits until the connection is up.
func (p *Page) Connect(freq float64) {
	p.t.Helper()
	p.Start(freq)
	p.WaitConnected(10 * time.Second)
}

// Start sends the page's offer and starts saying freq Hz once the track is
// negotiated; it does not wait for the connection.
func (p *Page) Start(freq float64) {
	p.t.Helper()
	p.start(p.Ear.Hear)
	p.mouth = Speak(freq, rand.Uint32(), func(pkt []byte) { p.track.Write(pkt) })
}

// start sets up the peer connection, handing every received RTP packet to
// hear, and sends the offer.
func (p *Page) start(hear func(pkt []byte)) {
	p.t.Helper()
	api, err := pageAPI()
	if err != nil {
		p.t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		p.t.Fatal(err)
	}
	p.pc = pc
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(p.up) })
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		p.mu.Lock()
		if !p.offered {
			p.local = append(p.local, c.ToJSON())
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.sendCandidate(c.ToJSON())
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				return
			}
			hear(buf[:n])
		}
	})
	p.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, "mic", "page")
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := pc.AddTrack(p.track); err != nil {
		p.t.Fatal(err)
	}
	p.offer("rtc.offer", nil)
}

// offer makes and sends an offer of type typ.
func (p *Page) offer(typ string, opts *webrtc.OfferOptions) {
	p.t.Helper()
	p.mu.Lock()
	p.offered = false
	p.mu.Unlock()
	p.sig.Lock()
	o, err := p.pc.CreateOffer(opts)
	if err == nil {
		err = p.pc.SetLocalDescription(o)
	}
	p.sig.Unlock()
	if err != nil {
		p.t.Fatalf("%s: offer: %v", p.User, err)
	}
	p.mu.Lock()
	p.remoteSet = false
	p.mu.Unlock()
	p.Send(map[string]string{"type": typ, "sdp": o.SDP})
	p.mu.Lock()
	p.offered = true
	local := p.local
	p.local = nil
	p.mu.Unlock()
	for _, c := range local {
		p.sendCandidate(c)
	}
}

// sendCandidate trickles one of the page's candidates, if the WebSocket is
// up.
func (p *Page) sendCandidate(c webrtc.ICECandidateInit) {
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	if ws == nil {
		return
	}
	b, _ := json.Marshal(map[string]any{"type": "rtc.candidate", "candidate": c})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws.Write(ctx, websocket.MessageText, b)
}

// Restart sends an ICE-restart offer on the same peer connection, as the
// page does after its WebSocket reconnects.
func (p *Page) Restart() {
	p.t.Helper()
	p.offer("rtc.restart", &webrtc.OfferOptions{ICERestart: true})
}

// LocalSDP is the page's current local description.
func (p *Page) LocalSDP() string {
	p.sig.Lock()
	defer p.sig.Unlock()
	if d := p.pc.LocalDescription(); d != nil {
		return d.SDP
	}
	return ""
}

// WaitConnected waits until the peer connection has connected.
func (p *Page) WaitConnected(d time.Duration) {
	p.t.Helper()
	select {
	case <-p.up:
	case <-time.After(d):
		p.t.Fatalf("%s: peer connection not up within %v", p.User, d)
	}
}

// State is the peer connection's state.
func (p *Page) State() webrtc.PeerConnectionState { return p.pc.ConnectionState() }

// Close ends the page: tone, peer connection and WebSocket.
func (p *Page) Close() {
	if p.mouth != nil {
		p.mouth.Stop()
	}
	if p.pc != nil {
		p.pc.Close()
	}
	p.DropWebSocket()
}

// Eventually polls cond every 20 ms until it holds, failing the test with
// what after d.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		<-tick.C
	}
}

// String names the page in test output.
func (p *Page) String() string { return fmt.Sprintf("page(%s)", p.User) }
