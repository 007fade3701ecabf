package media

import "encoding/binary"

// RFC 4733 telephone-events: DTMF digits as RTP packets.
//
// Receiving: each key press is one event, named by its RTP timestamp. The
// first packet seen for a timestamp reports the digit, whether it is the
// duration-0 packet some senders start with, a later update, or (when the
// start was lost) an end packet; later packets of the event, including the
// usual three end packets, are ignored. A capture replayed with the same
// timestamp (sipp's dtmf_2833 files all share one SSRC and replay as they
// are) counts again only once the earlier event has ended and a fresh
// non-end packet arrives at least 100 ms later.

const dtmfReplayGap = 5 // frames

// dtmfPayload is a parsed telephone-event payload.
type dtmfPayload struct {
	event    uint8
	end      bool
	volume   uint8
	duration uint16
}

// parseDTMF reads the first event of a telephone-event payload.
func parseDTMF(b []byte) (dtmfPayload, bool) {
	if len(b) < 4 {
		return dtmfPayload{}, false
	}
	return dtmfPayload{
		event:    b[0],
		end:      b[1]&0x80 != 0,
		volume:   b[1] & 0x3F,
		duration: binary.BigEndian.Uint16(b[2:]),
	}, true
}

func (p dtmfPayload) put(b []byte) int {
	b[0] = p.event
	b[1] = p.volume & 0x3F
	if p.end {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.duration)
	return 4
}

const dtmfDigits = "0123456789*#ABCD"

func dtmfEventOf(d rune) (uint8, bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i, c := range dtmfDigits {
		if c == d {
			return uint8(i), true
		}
	}
	return 0, false
}

// dtmfReceiver turns telephone-event packets into key presses.
type dtmfReceiver struct {
	seen     bool
	ts       uint32
	event    uint8
	ended    bool
	endFrame int64
}

// packet takes one telephone-event packet received in frame f and returns
// the digit when it starts a new key press.
func (d *dtmfReceiver) packet(p dtmfPayload, ts uint32, f int64) (rune, bool) {
	if p.event >= uint8(len(dtmfDigits)) {
		return 0, false // flash and tones are not digits
	}
	replay := d.ended && !p.end && f-d.endFrame >= dtmfReplayGap
	if d.seen && ts == d.ts && p.event == d.event && !replay {
		if p.end && !d.ended {
			d.ended, d.endFrame = true, f
		}
		return 0, false
	}
	d.seen, d.ts, d.event = true, ts, p.event
	d.ended, d.endFrame = p.end, f
	return rune(dtmfDigits[p.event]), true
}

// dtmfSender sends queued digits as telephone-events, one packet per frame:
// updates with a growing duration, then the end packet three times.
type dtmfSender struct {
	queue [16]struct {
		event  uint8
		frames int
	}
	head, n int

	active bool
	event  uint8
	ts     uint32
	frames int // length of the tone
	sent   int // frames of tone sent
	ends   int // end packets sent
	gap    int // frames of silence to keep before the next digit
}

func (s *dtmfSender) enqueue(event uint8, frames int) bool {
	if s.n == len(s.queue) {
		return false
	}
	q := &s.queue[(s.head+s.n)%len(s.queue)]
	q.event, q.frames = event, frames
	s.n++
	return true
}

// busy reports whether a digit is being sent or waits to be.
func (s *dtmfSender) busy() bool { return s.active || s.n > 0 || s.gap > 0 }

// next returns the payload to send in this frame, whether it is the first
// packet of an event, and false when no event packet is due. ts is the
// timestamp the leg's next audio packet would carry; an event takes it.
func (s *dtmfSender) next(ts uint32) (p dtmfPayload, first, ok bool) {
	if !s.active {
		if s.gap > 0 {
			s.gap--
			return p, false, false
		}
		if s.n == 0 {
			return p, false, false
		}
		q := s.queue[s.head]
		s.head = (s.head + 1) % len(s.queue)
		s.n--
		s.active, s.event, s.ts, s.frames, s.sent, s.ends = true, q.event, ts, q.frames, 0, 0
		first = true
	}
	p = dtmfPayload{event: s.event, volume: 10}
	if s.sent < s.frames {
		s.sent++
		p.duration = uint16(s.sent * FrameSamples)
		return p, first, true
	}
	p.end = true
	p.duration = uint16(min(s.frames*FrameSamples, 0xFFFF))
	s.ends++
	if s.ends == 3 {
		s.active = false
		s.gap = 2
	}
	return p, false, true
}
