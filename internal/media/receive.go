package media

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/pion/rtp"
)

// receive drains every readable socket and every packet leg's inbox. It
// reads one datagram from each socket epoll reports, all in one io_uring
// submission, then asks epoll again: the few sockets still readable (a
// burst, or a packet that arrived meanwhile) are read in the next round.
func (w *worker) receive() {
	for round := 0; round < 8; round++ {
		evs := w.poll.ready()
		if len(evs) == 0 {
			break
		}
		if w.ring != nil {
			w.readRing(evs)
			w.flush()
			continue
		}
		for _, ev := range evs {
			if l := w.legOf(ev.Fd); l != nil {
				if round == 0 {
					w.readOne(l)
				} else {
					w.drainSocket(l)
				}
				w.flush() // what was read leaves at once
			}
		}
	}
	for _, l := range w.pktLegs {
		for {
			n, at, ok := l.inbox.take(w.inbuf[:])
			if !ok {
				break
			}
			arrival := samplesSince(w.e.start, at)
			if w.e.cfg.manual {
				arrival = w.arrival
			}
			w.handle(l, w.inbuf[:n], nil, arrival)
		}
	}
}

// payloadTypeCN is the static RTP payload type of comfort noise.
const payloadTypeCN = 13

func (w *worker) legOf(fd int32) *Leg {
	if int(fd) >= len(w.byFD) {
		return nil
	}
	return w.byFD[fd]
}

// readRing reads one datagram from each ready socket with one io_uring
// submission, then handles them in order.
func (w *worker) readRing(evs []unix.EpollEvent) {
	b := w.rx
	for len(evs) > 0 {
		n := 0
		for _, ev := range evs[:min(len(evs), rxSlots)] {
			l := w.legOf(ev.Fd)
			if l == nil {
				continue
			}
			b.reset(n)
			b.legs[n] = l
			b.res[n] = 0
			w.ring.prep(uringOpRecvmsg, l.fd, &b.msgs[n].Hdr, uint64(n))
			n++
		}
		evs = evs[min(len(evs), rxSlots):]
		if err := w.ring.submit(w.recvDone); err != nil {
			w.ringFailed(err)
			return
		}
		for i := range n {
			l := b.legs[i]
			b.legs[i] = nil
			if b.res[i] <= 0 {
				continue // EAGAIN: someone else's packet was already read
			}
			b.names[i].n = b.msgs[i].Hdr.Namelen
			if b.msgs[i].Hdr.Flags&unix.MSG_TRUNC != 0 {
				l.ctr.dropped.Add(1)
				continue
			}
			w.handle(l, b.bufs[i][:b.res[i]], &b.names[i], w.arrival)
		}
	}
}

func (w *worker) recvDone(slot uint64, res int32) {
	w.rx.res[slot] = res
}

// ringFailed gives up io_uring for good after an unexpected error.
func (w *worker) ringFailed(err error) {
	w.e.log.Warn("media: io_uring failed; one system call per packet from now on", "err", err)
	w.ring.close()
	w.ring = nil
}

func (w *worker) readOne(l *Leg) {
	if ok, err := w.rx.recvOne(l.fd); !ok || err != nil {
		return
	}
	pkt, from, trunc := w.rx.packet(0)
	if trunc {
		l.ctr.dropped.Add(1)
		return
	}
	w.handle(l, pkt, from, w.arrival)
}

func (w *worker) drainSocket(l *Leg) {
	for range 4 { // bounded, so one flooded socket cannot starve the rest
		n, err := w.rx.recv(l.fd)
		if err != nil {
			return
		}
		for i := range n {
			pkt, from, trunc := w.rx.packet(i)
			if trunc {
				l.ctr.dropped.Add(1)
				continue
			}
			w.handle(l, pkt, from, w.arrival)
		}
		if n < rxBatch {
			return
		}
	}
}

// handle takes one packet received by l from the address from (nil for a
// packet leg).
func (w *worker) handle(l *Leg, b []byte, from *sockaddr, arrival uint32) {
	if len(b) < 8 || b[0]>>6 != 2 {
		l.ctr.dropped.Add(1)
		return
	}
	if pt := b[1] & 0x7F; pt >= 72 && pt <= 76 { // RTCP SR, RR, SDES, BYE, APP
		l.ctr.rtcpIn.Add(1)
		return
	}
	if len(b) < 12 {
		l.ctr.dropped.Add(1)
		return
	}
	if s := l.srtp; s != nil {
		var ok bool
		if b, ok = s.unprotect(b); !ok { // before latching: only an authentic packet may move the remote
			l.ctr.srtpFailed.Add(1)
			l.ctr.dropped.Add(1)
			w.e.srtpFailed.Add(1)
			return
		}
	}
	if err := w.pkt.Unmarshal(b); err != nil {
		l.ctr.dropped.Add(1)
		return
	}
	p := &w.pkt
	audio := p.PayloadType == uint8(l.codec) && (l.fd < 0 || l.hasRemote)
	dtmf := l.dtmfPT != 0 && p.PayloadType == l.dtmfPT
	// Comfort noise (RFC 3389) from a peer that suppresses silence: taken
	// as the silence it stands for.
	cn := p.PayloadType == payloadTypeCN && (l.fd < 0 || l.hasRemote)
	switch {
	case !audio && !dtmf && !cn,
		audio && (len(p.Payload) == 0 || len(p.Payload) > maxPayload),
		dtmf && len(p.Payload) < 4:
		l.ctr.dropped.Add(1)
		return
	}
	if from != nil && !w.latch(l, from) {
		l.ctr.dropped.Add(1)
		return
	}
	l.ctr.packetsIn.Add(1)
	l.ctr.bytesIn.Add(uint64(len(b)))
	in := &l.rt.in
	in.packet(p.SSRC, p.SequenceNumber, p.Timestamp, arrival, audio)
	l.ctr.lost.Store(in.lost())
	switch {
	case dtmf:
		w.handleDTMF(l, p)
		return
	case cn:
		return
	}
	l.ctr.jitterBits.Store(math.Float64bits(in.jitter))
	l.rt.jb.insert(p.SSRC, p.Timestamp, l.codec, p.Payload)
	for _, dst := range l.rt.fwdTo {
		w.forward(l, dst, p)
	}
}

// latch applies symmetric RTP: it accepts a packet from the leg's remote
// address, or moves the remote to the packet's source when the remote has
// not sent for a second (or ever), and reports whether to accept the
// packet. Once the remote has sent, the socket is connected to it, which
// makes every packet cheaper and has the kernel drop strangers' packets; a
// second of silence from the remote (see produce) unlatches again.
func (w *worker) latch(l *Leg, from *sockaddr) bool {
	in := &l.rt.in
	if !from.same(&l.remote) {
		if in.fromRemote && w.cur-in.lastFromRemote < latchHold {
			return false
		}
		l.unlatch()
		l.remote = *from
	}
	if !l.connected && connectUDP(l.fd, &l.remote) == nil {
		l.connected = true
	}
	in.fromRemote = true
	in.lastFromRemote = w.cur
	return true
}

// latchHold is how long, in frames, a latched remote keeps its place
// without sending.
const latchHold = 50

// unlatch disconnects the socket so packets from any address reach it
// again. Called by the owning worker or under the engine's write lock.
func (l *Leg) unlatch() {
	if l.connected {
		connectUDP(l.fd, nil)
		l.connected = false
	}
	l.rt.in.fromRemote = false
}

func (w *worker) handleDTMF(l *Leg, p *rtp.Packet) {
	ev, _ := parseDTMF(p.Payload) // length checked by handle
	digit, isNew := l.rt.dtmfIn.packet(ev, p.Timestamp, w.cur)
	if !isNew {
		return
	}
	l.ctr.dtmfIn.Add(1)
	if l.onDTMF.Load() == nil {
		return
	}
	select {
	case w.e.events <- dtmfEvent{leg: l, digit: digit}:
	default:
		w.e.log.Warn("media: DTMF event dropped, dispatcher busy", "leg", l.id)
	}
}
