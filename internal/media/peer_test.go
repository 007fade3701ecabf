package media

import (
	"context"
	"math"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// peer is a test's RTP endpoint on 127.0.0.1: it sends paced tones and
// keeps every packet it receives.
type peer struct {
	t     *testing.T
	conn  *net.UDPConn
	codec Codec
	ssrc  uint32
	seq   uint16
	ts    uint32
	n     int // samples sent, for the tone's phase

	mu     sync.Mutex // guards got and waiters
	got    []rtp.Packet
	notify chan struct{} // poked after each packet
}

func newPeer(t *testing.T, codec Codec) *peer {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, conn: conn, codec: codec, ssrc: 0x1000 + uint32(len(t.Name())), seq: 100, ts: 5000, notify: make(chan struct{}, 1)}
	done := make(chan struct{})
	go p.read(done)
	t.Cleanup(func() { conn.Close(); <-done })
	return p
}

func (p *peer) addr() netip.AddrPort {
	return p.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (p *peer) read(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 2048)
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		pkt.Payload = slices.Clone(pkt.Payload)
		p.mu.Lock()
		p.got = append(p.got, pkt)
		p.mu.Unlock()
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

// toneFrame returns the next 20 ms of the sum of freqs at −6 dBFS in total.
func (p *peer) toneFrame(freqs []float64) []byte {
	pcm := make([]int16, FrameSamples)
	for i := range pcm {
		var v float64
		for _, f := range freqs {
			v += math.Sin(2 * math.Pi * f * float64(p.n+i) / sampleRate)
		}
		pcm[i] = int16(0.5 * 32767 * v / float64(max(1, len(freqs))))
	}
	p.n += FrameSamples
	out := make([]byte, FrameSamples)
	Encode(p.codec, out, pcm)
	return out
}

// sendRaw sends one datagram to dst.
func (p *peer) sendRaw(dst netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, dst); err != nil {
		p.t.Error(err)
	}
}

// sendPacket sends one RTP packet with the peer's next sequence number.
func (p *peer) sendPacket(dst netip.AddrPort, pt uint8, ts uint32, marker bool, payload []byte) {
	p.seq++
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: ts, SSRC: p.ssrc, Marker: marker}, Payload: payload}
	b, err := pkt.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(dst, b)
}

// stream sends a tone to dst every 20 ms until ctx ends; freqs may change
// through setFreqs.
func (p *peer) stream(ctx context.Context, dst netip.AddrPort, freqs ...float64) {
	tick := time.NewTicker(frameDuration)
	defer tick.Stop()
	for {
		p.sendPacket(dst, uint8(p.codec), p.ts, false, p.toneFrame(freqs))
		p.ts += FrameSamples
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// startStream runs stream in a goroutine; the returned func stops it and
// waits.
func (p *peer) startStream(dst netip.AddrPort, freqs ...float64) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.stream(ctx, dst, freqs...) }()
	return func() { cancel(); <-done }
}

// packets returns a copy of everything received so far.
func (p *peer) packets() []rtp.Packet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// waitFor waits until cond holds for the packets received, or fails the
// test after timeout.
func (p *peer) waitFor(timeout time.Duration, what string, cond func([]rtp.Packet) bool) []rtp.Packet {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if got := p.packets(); cond(got) {
			return got
		}
		select {
		case <-p.notify:
		case <-deadline.C:
			p.t.Fatalf("timed out after %v waiting for %s (%d packets received)", timeout, what, len(p.packets()))
		}
	}
}

// waitAudio waits for n audio packets of payload type pt.
func (p *peer) waitAudio(pt uint8, n int) []rtp.Packet {
	p.t.Helper()
	return p.waitFor(5*time.Second, "audio", func(got []rtp.Packet) bool {
		return len(ofType(got, pt)) >= n
	})
}

func ofType(pkts []rtp.Packet, pt uint8) []rtp.Packet {
	var out []rtp.Packet
	for _, k := range pkts {
		if k.PayloadType == pt {
			out = append(out, k)
		}
	}
	return out
}

// decodeAudio decodes the payloads of pkts (in the order given) to samples
// in [−1, 1].
func decodeAudio(pkts []rtp.Packet, c Codec) []float64 {
	var out []float64
	for _, k := range pkts {
		for _, b := range k.Payload {
			out = append(out, float64(DecodeSample(c, b))/32768)
		}
	}
	return out
}

// after returns the packets from index skip on (to leave out the start of a
// stream, before every party was connected).
func after(pkts []rtp.Packet, skip int) []rtp.Packet {
	if skip >= len(pkts) {
		return nil
	}
	return pkts[skip:]
}

// newTestEngine starts an engine on 127.0.0.1 that the test closes.
func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	return newTestEngineWith(t, Config{})
}

// newTestEngineWith is newTestEngine with cfg's unexported options.
func newTestEngineWith(t testing.TB, cfg Config) *Engine {
	t.Helper()
	cfg.IP, cfg.PortMin, cfg.PortMax, cfg.Workers = netip.MustParseAddr("127.0.0.1"), 26000, 31999, 2
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// connect makes an RTP leg talking to peer p.
func connect(t *testing.T, e *Engine, p *peer, dtmfPT uint8) *Leg {
	t.Helper()
	l, err := e.NewRTPLeg()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetRemote(p.addr(), uint8(p.codec), dtmfPT); err != nil {
		t.Fatal(err)
	}
	return l
}

// mustAdd puts legs in a new room.
func mustRoom(t *testing.T, e *Engine, legs ...*Leg) *Room {
	t.Helper()
	r := e.NewRoom()
	for _, l := range legs {
		if err := r.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	return r
}
