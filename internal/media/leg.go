package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// LegID names a leg within its engine.
type LegID uint64

// String returns the ID in decimal, prefixed "leg".
func (id LegID) String() string { return "leg" + strconv.FormatUint(uint64(id), 10) }

// Leg is one party's audio stream: what it sends into the media plane and
// what the media plane sends back to it. An RTP leg has a UDP socket of its
// own; a packet leg exchanges RTP packets with a transport that earshot does
// not own (a WebRTC peer connection).
//
// All methods are safe to call from any goroutine. Changes take effect
// between two worker ticks (within 10 ms).
type Leg struct {
	e     *Engine
	id    LegID
	fd    int                    // UDP socket, or -1 for a packet leg
	local netip.AddrPort         // zero for a packet leg
	send  func(pkt []byte) error // packet legs: where outgoing packets go
	inbox *inbox                 // packet legs: packets handed in by Deliver

	onDTMF atomic.Pointer[func(rune)]
	ctr    counters

	// The fields below are guarded by e.mu: control calls write them under
	// the write lock; the owning worker reads them, and writes the ones it
	// learns from the network (remote when latching, source when it ends),
	// under the read lock.
	closed    bool
	w         *worker
	room      *Room
	codec     Codec
	dtmfPT    uint8
	remote    sockaddr
	hasRemote bool
	connected bool // the socket is connected to remote (see latch)
	held      bool
	source    Source
	playN     int // next frame of source to play
	voice     Source
	voiceN    int // next frame of voice to speak
	dtmfOut   dtmfSender
	srtp      *srtpPair // nil: plain RTP
	rt        legRuntime
}

// legRuntime is the state the owning worker keeps for a leg from tick to
// tick. Room.rebuild rewrites the wiring part; everything else is touched
// only by the worker.
type legRuntime struct {
	// wiring, from the room's hearing matrix
	mode        outMode
	heard       []*Leg // sources this leg hears
	fwdTo       []*Leg // listeners that get this leg's packets forwarded
	needPCM     bool   // someone mixes or records this leg's audio
	recordHeard bool   // a recording wants what this leg hears

	in       inStats
	jb       jitterBuffer
	pcm      [FrameSamples]int16 // this leg's audio in frame pcmFrame
	pcmFrame int64
	heard16  [FrameSamples]int16 // what this leg heard in the current frame
	dtmfIn   dtmfReceiver
	out      outStream
}

type outMode uint8

const (
	modeNone    outMode = iota // hears no leg: its Source, or comfort silence
	modeForward                // hears one leg: packets forwarded as they arrive
	modeMix                    // hears two or more: mixed every frame
)

// NewRTPLeg opens a UDP socket on the engine's IP at the first free even
// port of the configured range and returns a leg that speaks RTP over it.
// The leg sends nothing until SetRemote.
func (e *Engine) NewRTPLeg() (*Leg, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	span := (e.cfg.PortMax - e.cfg.PortMin + 2) / 2
	for range span {
		port := e.nextPort
		e.nextPort += 2
		if e.nextPort > e.cfg.PortMax {
			e.nextPort = e.cfg.PortMin + e.cfg.PortMin&1
		}
		fd, err := openUDP(e.cfg.IP, port, e.v6)
		if err != nil {
			if isAddrInUse(err) {
				continue
			}
			return nil, fmt.Errorf("media: open RTP port %d: %w", port, err)
		}
		l := e.newLeg(fd, netip.AddrPortFrom(e.cfg.IP, uint16(port)))
		if err := l.w.attach(l); err != nil {
			closeFD(fd)
			return nil, fmt.Errorf("media: watch RTP port %d: %w", port, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w %d–%d", ErrNoPorts, e.cfg.PortMin, e.cfg.PortMax)
}

// NewPacketLeg returns a leg whose RTP travels over a transport the caller
// owns. earshot calls send with each marshalled RTP packet for the peer (from
// a worker goroutine; send must not keep pkt and should not block), and the
// caller hands received packets in with Deliver. payloadType is 0 (PCMU) or
// 8 (PCMA); dtmfPT is the telephone-event payload type, or 0 for none.
func (e *Engine) NewPacketLeg(send func(pkt []byte) error, payloadType, dtmfPT uint8) (*Leg, error) {
	if send == nil {
		return nil, errors.New("media: new packet leg: send is nil")
	}
	codec, err := checkPayloadTypes(payloadType, dtmfPT)
	if err != nil {
		return nil, fmt.Errorf("media: new packet leg: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	l := e.newLeg(-1, netip.AddrPort{})
	l.send = send
	l.inbox = new(inbox)
	l.codec, l.dtmfPT = codec, dtmfPT
	if err := l.w.attach(l); err != nil {
		return nil, err
	}
	return l, nil
}

// newLeg makes a leg and picks its worker. Called with e.mu held.
func (e *Engine) newLeg(fd int, local netip.AddrPort) *Leg {
	l := &Leg{e: e, id: LegID(e.nextID.Add(1)), fd: fd, local: local}
	l.w = e.pickWorker()
	l.rt.out.init()
	e.legs[l.id] = l
	return l
}

func checkPayloadTypes(pt, dtmfPT uint8) (Codec, error) {
	if pt != uint8(PCMU) && pt != uint8(PCMA) {
		return 0, fmt.Errorf("%w: got %d", ErrBadCodec, pt)
	}
	if dtmfPT != 0 && (dtmfPT < 96 || dtmfPT > 127) {
		return 0, fmt.Errorf("media: telephone-event payload type %d is not dynamic (96–127)", dtmfPT)
	}
	return Codec(pt), nil
}

// ID returns the leg's identifier, unique within its engine.
func (l *Leg) ID() LegID { return l.id }

// LocalAddr returns the address the leg receives RTP on (zero for a packet
// leg).
func (l *Leg) LocalAddr() netip.AddrPort { return l.local }

// SetRemote tells an RTP leg where to send and which payload types to use:
// payloadType 0 (PCMU) or 8 (PCMA), dtmfPT the RFC 4733 telephone-event
// type or 0 for none. The leg sends to addr until RTP arrives from another
// address (a caller behind NAT): then it latches onto the address the packets
// come from. It re-latches only after the latched source has been silent for
// a second, so a stray packet cannot steal the stream.
func (l *Leg) SetRemote(addr netip.AddrPort, payloadType uint8, dtmfPT uint8) error {
	if l.fd < 0 {
		return errors.New("media: set remote: a packet leg has no remote address")
	}
	if !addr.IsValid() || addr.Port() == 0 || addr.Addr().IsUnspecified() {
		return fmt.Errorf("%w: %v", ErrBadAddress, addr)
	}
	if l.e.v6 == addr.Addr().Unmap().Is4() {
		return fmt.Errorf("%w: %v is not of the engine's address family", ErrBadAddress, addr)
	}
	codec, err := checkPayloadTypes(payloadType, dtmfPT)
	if err != nil {
		return fmt.Errorf("media: set remote: %w", err)
	}
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.unlatch()
	l.remote = makeSockaddr(addr, l.e.v6)
	l.hasRemote = true
	l.codec, l.dtmfPT = codec, dtmfPT
	return nil
}

// RemoteAddr returns where the leg currently sends: the address given to
// SetRemote, or the one it latched onto. Zero for a packet leg or before
// SetRemote.
func (l *Leg) RemoteAddr() netip.AddrPort {
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	if !l.hasRemote {
		return netip.AddrPort{}
	}
	return l.remote.addrPort()
}

// Hold stops (on) or resumes (off) everything the leg sends. What the leg
// says is still received and heard by others.
func (l *Leg) Hold(on bool) {
	l.e.mu.Lock()
	l.held = on
	l.e.mu.Unlock()
}

// Play makes the leg hear s whenever it hears no leg of a room (nil stops).
// Each call starts s from its beginning. A Source that ends stops by itself.
func (l *Leg) Play(s Source) {
	l.e.mu.Lock()
	l.source = s
	l.playN = 0
	l.e.mu.Unlock()
}

// Speak makes s the leg's voice: while s lasts, legs that hear this one in
// a room hear s rather than what the leg receives (nil stops, and so does
// a Source that ends). Each call starts s from its beginning. A leg that
// speaks is mixed into what others hear, never forwarded, so its voice
// needs no packets: an announcement or a notice joins a call this way,
// made by the workers at the pace of the call's own audio.
func (l *Leg) Speak(s Source) {
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	l.voice, l.voiceN = s, 0
	if l.room != nil {
		l.room.dirty = true
	}
}

// OnDTMF sets the function called with each DTMF digit the leg sends
// (RFC 4733 telephone-events), once per key press. It runs on the engine's
// event goroutine, so it may call back into the media plane. nil removes it.
func (l *Leg) OnDTMF(fn func(digit rune)) {
	if fn == nil {
		l.onDTMF.Store(nil)
		return
	}
	l.onDTMF.Store(&fn)
}

// SendDTMF queues digit (0–9, *, #, A–D) to be sent to the leg as an RFC 4733
// telephone-event lasting d (rounded to 20 ms, between 40 ms and 5 s), with
// three end packets. The leg's audio pauses while the digit is sent.
func (l *Leg) SendDTMF(digit rune, d time.Duration) error {
	ev, ok := dtmfEventOf(digit)
	if !ok {
		return fmt.Errorf("%w: %q", ErrBadDigit, digit)
	}
	if d < 40*time.Millisecond || d > 5*time.Second {
		return fmt.Errorf("media: send DTMF: duration %v outside 40ms–5s", d)
	}
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.dtmfPT == 0 {
		return ErrNoDTMF
	}
	if !l.dtmfOut.enqueue(ev, int((d+frameDuration/2)/frameDuration)) {
		return ErrBusy
	}
	return nil
}

// Close releases the leg: it leaves its room, stops sending, and its port is
// freed. Closing twice is harmless.
func (l *Leg) Close() error {
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	return l.closeLocked()
}

func (l *Leg) closeLocked() error {
	if l.closed {
		return nil
	}
	l.closed = true
	if l.room != nil {
		l.room.removeLocked(l)
	}
	if l.w != nil {
		l.w.detach(l)
	}
	if l.inbox != nil {
		l.inbox.close()
	}
	delete(l.e.legs, l.id)
	if l.fd >= 0 {
		if err := closeFD(l.fd); err != nil {
			return fmt.Errorf("media: close %v: %w", l.id, err)
		}
	}
	return nil
}

// Deliver hands the leg one RTP packet received from its peer. It copies the
// packet and returns at once; the worker handles it at its next tick. Safe
// to call from any goroutine; never allocates. Packets that do not fit the
// inbox (more than 32 waiting, or longer than 512 bytes) are dropped and
// counted.
func (l *Leg) Deliver(pkt []byte) {
	if l.inbox == nil || !l.inbox.put(pkt, time.Now()) {
		l.ctr.dropped.Add(1)
	}
}

const (
	inboxSlots    = 32
	inboxSlotSize = 512
)

// inbox carries packets from Deliver's goroutine to the worker.
type inbox struct {
	mu     sync.Mutex // guards everything below
	closed bool
	head   int
	count  int
	slots  [inboxSlots]struct {
		n  int
		at time.Time
		b  [inboxSlotSize]byte
	}
}

func (b *inbox) put(pkt []byte, at time.Time) bool {
	if len(pkt) > inboxSlotSize {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.count == inboxSlots {
		return false
	}
	s := &b.slots[(b.head+b.count)%inboxSlots]
	s.n = copy(s.b[:], pkt)
	s.at = at
	b.count++
	return true
}

// take copies the oldest packet into dst and returns its length and arrival
// time; ok is false when the inbox is empty.
func (b *inbox) take(dst []byte) (n int, at time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.count == 0 {
		return 0, time.Time{}, false
	}
	s := &b.slots[b.head]
	n = copy(dst, s.b[:s.n])
	at = s.at
	b.head = (b.head + 1) % inboxSlots
	b.count--
	return n, at, true
}

func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.count = 0
	b.mu.Unlock()
}
