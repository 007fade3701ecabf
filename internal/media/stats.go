package media

import (
	"math"
	"sync/atomic"
	"time"
)

// Stats counts a leg's traffic since it was created.
type Stats struct {
	PacketsIn  uint64        // RTP packets accepted (audio and telephone-events)
	PacketsOut uint64        // RTP packets sent to the leg's peer
	BytesIn    uint64        // bytes of accepted RTP packets
	BytesOut   uint64        // bytes of RTP packets sent
	Lost       uint64        // packets missing from the incoming sequence (RFC 3550 cumulative loss)
	Jitter     time.Duration // interarrival jitter of incoming audio (RFC 3550)
	Dropped    uint64        // packets refused: malformed, unknown payload type, from a foreign address, too large, or no room in the inbox
	Late       uint64        // audio packets too late or duplicated to forward
	RTCPIn     uint64        // RTCP packets received (and ignored)
	SendErrors uint64        // packets the socket or the send function refused
	DTMFIn     uint64        // DTMF digits detected
	SRTPFailed uint64        // SRTP packets that failed authentication or the replay check (also in Dropped)
}

// counters is a leg's Stats, written by its worker and read by anyone.
type counters struct {
	packetsIn, packetsOut, bytesIn, bytesOut atomic.Uint64
	lost                                     atomic.Uint64
	jitterBits                               atomic.Uint64 // float64 jitter in samples
	dropped, late, rtcpIn, sendErrors        atomic.Uint64
	dtmfIn                                   atomic.Uint64
	srtpFailed                               atomic.Uint64
}

// Stats returns a snapshot of the leg's counters.
func (l *Leg) Stats() Stats {
	c := &l.ctr
	j := math.Float64frombits(c.jitterBits.Load())
	return Stats{
		PacketsIn:  c.packetsIn.Load(),
		PacketsOut: c.packetsOut.Load(),
		BytesIn:    c.bytesIn.Load(),
		BytesOut:   c.bytesOut.Load(),
		Lost:       c.lost.Load(),
		Jitter:     time.Duration(j * float64(time.Second) / sampleRate),
		Dropped:    c.dropped.Load(),
		Late:       c.late.Load(),
		RTCPIn:     c.rtcpIn.Load(),
		SendErrors: c.sendErrors.Load(),
		DTMFIn:     c.dtmfIn.Load(),
		SRTPFailed: c.srtpFailed.Load(),
	}
}

// inStats follows the incoming RTP sequence of one leg (RFC 3550 A.1, A.8,
// simplified: a new SSRC or a jump of more than 3000 restarts the count).
type inStats struct {
	started  bool
	ssrc     uint32
	baseSeq  uint32
	maxSeq   uint16
	cycles   uint32
	received uint64
	lostPrev uint64 // loss counted under earlier SSRCs
	transit  int32
	timed    bool    // transit holds an audio packet's transit time
	jitter   float64 // samples

	// symmetric RTP: when the current remote address last sent
	fromRemote     bool
	lastFromRemote int64 // frame
}

func (s *inStats) lost() uint64 {
	if !s.started {
		return s.lostPrev
	}
	expected := uint64(s.cycles) + uint64(s.maxSeq) - uint64(s.baseSeq) + 1
	if expected < s.received {
		return s.lostPrev
	}
	return s.lostPrev + expected - s.received
}

// packet records one accepted packet; arrival is in samples on the engine's
// clock, and audio packets also update the jitter.
func (s *inStats) packet(ssrc uint32, seq uint16, ts, arrival uint32, audio bool) {
	delta := seq - s.maxSeq
	jump := delta >= 3000 && delta <= 0xFFFF-3000
	if !s.started || ssrc != s.ssrc || jump {
		s.lostPrev = s.lost()
		s.started = true
		s.ssrc = ssrc
		s.baseSeq = uint32(seq)
		s.maxSeq = seq
		s.cycles = 0
		s.received = 0
		s.timed = false
		s.jitter = 0
	} else if delta != 0 && delta < 0x8000 {
		if seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = seq
	}
	s.received++
	if audio {
		transit := int32(arrival - ts)
		if s.timed {
			d := transit - s.transit
			if d < 0 {
				d = -d
			}
			s.jitter += (float64(d) - s.jitter) / 16
		}
		s.transit = transit
		s.timed = true
	}
}
