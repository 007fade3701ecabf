package media

import (
	"math/rand/v2"

	"github.com/pion/rtp"
)

// outStream is the one RTP stream a leg receives, whatever feeds it:
// forwarded packets, mixed frames, a Source, silence or DTMF. It owns the
// SSRC, sequence number and timestamp, so a switch between forwarding and
// mixing is invisible to the peer: the sequence goes on by one and the
// timestamp by the frames that passed.
type outStream struct {
	ssrc      uint32
	seq       uint16 // last sent
	ts        uint32 // timestamp of the last frame sent (or skipped for DTMF)
	lastFrame int64  // frame in which ts was used
	started   bool
	switched  bool // what feeds the stream changed: the next frame follows on directly

	// forwarding: outgoing ts = source ts + fwdOffset, for fwdSSRC
	fwdValid   bool
	fwdSSRC    uint32
	fwdOffset  uint32
	fwdLastSeq uint16
}

func (o *outStream) init() {
	o.ssrc = rand.Uint32()
	o.seq = uint16(rand.Uint32())
	o.ts = rand.Uint32()
}

// nextTS is the timestamp of a new frame sent in frame f: one frame after
// the last, or more if frames passed with nothing sent (hold, a source that
// paused). Right after a switch of what feeds the stream it is always one
// frame, so the switch never shows as a gap, even if the worker was late.
func (o *outStream) nextTS(f int64) uint32 {
	if !o.started {
		return o.ts
	}
	if o.switched {
		return o.ts + FrameSamples
	}
	d := f - o.lastFrame
	if d < 1 {
		d = 1
	}
	return o.ts + uint32(d)*FrameSamples
}

// use records that a frame with timestamp ts went out (or was skipped) in
// frame f.
func (o *outStream) use(ts uint32, f int64) {
	o.ts, o.lastFrame, o.started, o.switched = ts, f, true, false
}

// header writes an RTP header for the next packet of the stream into b.
func (o *outStream) header(b []byte, pt uint8, ts uint32, marker bool) int {
	o.seq++
	h := rtp.Header{
		Version:        2,
		Marker:         marker,
		PayloadType:    pt,
		SequenceNumber: o.seq,
		Timestamp:      ts,
		SSRC:           o.ssrc,
	}
	n, _ := h.MarshalTo(b) // b is always long enough for a bare header
	return n
}

// seqNewer reports whether a comes after b in RTP sequence order.
func seqNewer(a, b uint16) bool {
	return a != b && a-b < 0x8000
}

// canSend reports whether the leg has somewhere to send and may send now.
// Called by the owning worker.
func (l *Leg) canSend() bool {
	return !l.closed && !l.held && (l.fd < 0 || l.hasRemote)
}

// forward sends one audio packet from src to listener dst, rewriting its
// header into dst's stream and transcoding the payload if the two legs use
// different codecs.
func (w *worker) forward(src, dst *Leg, p *rtp.Packet) {
	if !dst.canSend() || dst.dtmfOut.active {
		return
	}
	o := &dst.rt.out
	f := w.cur
	expected := o.nextTS(f)
	if !o.fwdValid || o.fwdSSRC != p.SSRC ||
		absDiff(p.Timestamp+o.fwdOffset, expected) > sampleRate {
		// New source, new SSRC, or its clock jumped: continue our stream.
		o.fwdValid, o.fwdSSRC = true, p.SSRC
		o.fwdOffset = expected - p.Timestamp
		o.fwdLastSeq = p.SequenceNumber - 1
	} else if !seqNewer(p.SequenceNumber, o.fwdLastSeq) {
		src.ctr.late.Add(1)
		return
	}
	o.fwdLastSeq = p.SequenceNumber
	ts := p.Timestamp + o.fwdOffset
	b := w.slot(dst)
	n := o.header(b, uint8(dst.codec), ts, p.Marker || !o.started)
	n += Transcode(src.codec, dst.codec, b[n:], p.Payload)
	w.tx.commit(n)
	o.use(ts, f)
}

// sendFrame sends one frame of encoded audio to l in frame f.
func (w *worker) sendFrame(l *Leg, f int64, payload []byte) {
	o := &l.rt.out
	ts := o.nextTS(f)
	b := w.slot(l)
	n := o.header(b, uint8(l.codec), ts, !o.started)
	n += copy(b[n:], payload)
	w.tx.commit(n)
	o.use(ts, f)
}

// sendPCM encodes one frame of linear audio and sends it to l.
func (w *worker) sendPCM(l *Leg, f int64, pcm *[FrameSamples]int16) {
	var enc [FrameSamples]byte
	Encode(l.codec, enc[:], pcm[:])
	w.sendFrame(l, f, enc[:])
}

// sendSilence sends one frame of encoded silence to l.
func (w *worker) sendSilence(l *Leg, f int64) {
	w.sendFrame(l, f, silenceFrame(l.codec))
}

var silence = [2][FrameSamples]byte{}

func init() {
	for i := range FrameSamples {
		silence[0][i] = ulawSilence
		silence[1][i] = alawSilence
	}
}

func silenceFrame(c Codec) []byte {
	if c == PCMA {
		return silence[1][:]
	}
	return silence[0][:]
}

// sendDTMF sends l's due telephone-event packet for frame f, if any, and
// reports whether it did (audio is then held back for this frame).
func (w *worker) sendDTMF(l *Leg, f int64) bool {
	o := &l.rt.out
	ts := o.nextTS(f)
	p, first, ok := l.dtmfOut.next(ts)
	if !ok {
		return false
	}
	b := w.slot(l)
	n := o.header(b, l.dtmfPT, l.dtmfOut.ts, first)
	n += p.put(b[n:])
	w.tx.commit(n)
	o.use(ts, f) // the audio clock runs on under the event
	return true
}

// flush sends every queued packet: all in one io_uring submission, or
// without io_uring one sendto per packet (sendmmsg for a run of packets to
// the same socket); a packet leg's packets go to its send function.
func (w *worker) flush() {
	q := w.tx
	if q.n == 0 {
		return
	}
	if w.ring != nil {
		w.flushRing()
	} else {
		w.flushSyscalls()
	}
	for k := range q.n {
		q.legs[k] = nil
	}
	q.n = 0
}

func (w *worker) flushRing() {
	q := w.tx
	for k := range q.n {
		l := q.legs[k]
		if l.fd < 0 {
			w.sendToPacketLeg(l, k)
			continue
		}
		h := &q.msgs[k].Hdr
		h.Name, h.Namelen = &l.remote.b[0], l.remote.n
		if l.connected {
			h.Name, h.Namelen = nil, 0
		}
		w.ring.prep(uringOpSendmsg, l.fd, h, uint64(k))
	}
	if err := w.ring.submit(w.sendDone); err != nil {
		w.ringFailed(err)
	}
}

func (w *worker) sendDone(k uint64, res int32) {
	l := w.tx.legs[k]
	if res < 0 {
		l.ctr.sendErrors.Add(1)
		return
	}
	l.ctr.packetsOut.Add(1)
	l.ctr.bytesOut.Add(uint64(res))
}

func (w *worker) sendToPacketLeg(l *Leg, k int) {
	q := w.tx
	pkt := q.bufs[k][:q.iovs[k].Len]
	if err := l.send(pkt); err != nil {
		l.ctr.sendErrors.Add(1)
		return
	}
	l.ctr.packetsOut.Add(1)
	l.ctr.bytesOut.Add(uint64(len(pkt)))
}

func (w *worker) flushSyscalls() {
	q := w.tx
	for i := 0; i < q.n; {
		l := q.legs[i]
		j := i + 1
		for j < q.n && q.legs[j] == l {
			j++
		}
		switch {
		case l.fd < 0:
			for k := i; k < j; k++ {
				w.sendToPacketLeg(l, k)
			}
		case j == i+1:
			to := &l.remote
			if l.connected {
				to = nil
			}
			if err := sendto(l.fd, q.bufs[i][:q.iovs[i].Len], to); err != nil {
				l.ctr.sendErrors.Add(1)
			} else {
				l.ctr.packetsOut.Add(1)
				l.ctr.bytesOut.Add(q.iovs[i].Len)
			}
		default:
			for k := i; k < j; k++ {
				q.msgs[k].Hdr.Name, q.msgs[k].Hdr.Namelen = &l.remote.b[0], l.remote.n
				if l.connected {
					q.msgs[k].Hdr.Name, q.msgs[k].Hdr.Namelen = nil, 0
				}
			}
			for k := i; k < j; {
				n, err := sendmmsg(l.fd, q.msgs[k:j])
				if err != nil || n == 0 {
					l.ctr.sendErrors.Add(uint64(j - k))
					break
				}
				for m := k; m < k+n; m++ {
					l.ctr.bytesOut.Add(uint64(q.msgs[m].Len))
				}
				l.ctr.packetsOut.Add(uint64(n))
				k += n
			}
		}
		i = j
	}
}

// slot returns the buffer for the next packet to l, flushing first if the
// queue is full. w.tx.commit(n) then queues the packet's first n bytes.
func (w *worker) slot(l *Leg) []byte {
	q := w.tx
	if q.n == txBatch {
		w.flush()
	}
	q.legs[q.n] = l
	return q.bufs[q.n][:]
}

func (q *sendQueue) commit(n int) {
	if l := q.legs[q.n]; l.srtp != nil {
		var ok bool
		if n, ok = l.srtp.protect(q.bufs[q.n][:], n); !ok {
			l.ctr.sendErrors.Add(1)
			q.legs[q.n] = nil
			return
		}
	}
	q.iovs[q.n].SetLen(n)
	q.n++
}
