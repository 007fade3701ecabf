package media

// An adaptive jitter buffer with packet-loss concealment, one per leg.
//
// Every audio packet a leg sends is copied in, still encoded: that costs a
// memcpy, keeps the buffer warm for the moment the leg starts being mixed,
// and leaves decoding to the frames that are actually pulled. A pull takes
// the 160 samples at the playout point, decoding only the packets that
// overlap it.
//
// The playout point trails the newest packet by margin frames (one, plus
// twice the measured jitter). When the frame to play has not arrived and
// nothing newer has either, the source is late: the buffer conceals and
// holds its playout point, which adds a frame of delay. When more than a
// frame beyond the margin stays buffered for a second, it drops a frame to
// win the delay back; far too much buffered (a burst, a source that
// resumes) re-syncs at once.

const (
	jbSlots     = 16
	maxPayload  = 480 // 60 ms of G.711
	maxMargin   = 6   // frames
	shrinkAfter = 50  // frames with surplus delay before dropping one
)

type jbSlot struct {
	ts    uint32
	n     uint16
	codec Codec
	used  bool
	data  [maxPayload]byte
}

type jitterBuffer struct {
	slots     [jbSlots]jbSlot
	next      int // slot the next packet overwrites
	have      bool
	ssrc      uint32
	newestEnd uint32 // timestamp just past the newest sample received

	playing  bool
	playTS   uint32
	lastPull int64
	surplus  int // consecutive pulls with more than the margin buffered

	last    [FrameSamples]int16 // last frame played, for concealment
	lossRun int
}

// insert stores one packet's payload. It reports false for a duplicate or a
// payload it cannot hold.
func (jb *jitterBuffer) insert(ssrc, ts uint32, codec Codec, payload []byte) bool {
	if len(payload) == 0 || len(payload) > maxPayload {
		return false
	}
	if !jb.have || ssrc != jb.ssrc || absDiff(ts, jb.newestEnd) > 2*sampleRate {
		jb.reset(ssrc)
	}
	for i := range jb.slots {
		if s := &jb.slots[i]; s.used && s.ts == ts {
			return false
		}
	}
	s := &jb.slots[jb.next]
	jb.next = (jb.next + 1) % jbSlots
	s.ts, s.n, s.codec, s.used = ts, uint16(len(payload)), codec, true
	copy(s.data[:], payload)
	end := ts + uint32(len(payload))
	if !jb.have || int32(end-jb.newestEnd) > 0 {
		jb.newestEnd = end
	}
	jb.have = true
	return true
}

func (jb *jitterBuffer) reset(ssrc uint32) {
	for i := range jb.slots {
		jb.slots[i].used = false
	}
	jb.have = false
	jb.playing = false
	jb.ssrc = ssrc
}

// pull writes the audio of frame f into out. jitter is the source's
// measured jitter in samples. catchUp says the worker is producing a frame
// it is late for: the buffer then holds everything that arrived meanwhile,
// which is no reason to skip ahead.
func (jb *jitterBuffer) pull(f int64, out *[FrameSamples]int16, jitter float64, catchUp bool) {
	if !jb.have {
		*out = [FrameSamples]int16{}
		return
	}
	margin := 1 + int(2*jitter)/FrameSamples
	margin = min(margin, maxMargin)
	target := uint32((margin + 1) * FrameSamples)
	if !jb.playing || f != jb.lastPull+1 {
		jb.playing = true
		jb.playTS = jb.newestEnd - target
		jb.surplus = 0
	}
	jb.lastPull = f

	depth := int32(jb.newestEnd - jb.playTS)
	switch {
	case catchUp:
	case depth > int32(target)+2*FrameSamples:
		jb.playTS = jb.newestEnd - target
		jb.surplus = 0
	case depth > int32(target):
		jb.surplus++
		if jb.surplus >= shrinkAfter {
			jb.playTS += FrameSamples
			jb.surplus = 0
		}
	default:
		jb.surplus = 0
	}
	if int32(jb.newestEnd-jb.playTS) <= 0 {
		// Nothing at or after the playout point: the source is late.
		jb.conceal(out)
		if jb.lossRun > 50 {
			jb.have = false // a second of nothing: the source has stopped
		}
		return
	}
	if jb.read(jb.playTS, out) == 0 {
		jb.conceal(out)
	} else {
		jb.last = *out
		jb.lossRun = 0
	}
	jb.playTS += FrameSamples
}

// read decodes the samples of [ts, ts+160) that are buffered into out,
// zeroing the rest, and returns how many it found.
func (jb *jitterBuffer) read(ts uint32, out *[FrameSamples]int16) int {
	found := 0
	*out = [FrameSamples]int16{}
	for i := range jb.slots {
		s := &jb.slots[i]
		if !s.used {
			continue
		}
		off := int32(s.ts - ts) // slot start relative to the frame
		n := int32(s.n)
		if off >= FrameSamples || off+n <= 0 {
			continue
		}
		from, to := int32(0), n // part of the slot inside the frame
		if off < 0 {
			from = -off
		}
		if off+n > FrameSamples {
			to = FrameSamples - off
		}
		found += Decode(s.codec, out[off+from:off+to], s.data[from:to])
	}
	return found
}

// conceal fills a missing frame: the last good frame again, then fading by
// half each frame, then silence.
func (jb *jitterBuffer) conceal(out *[FrameSamples]int16) {
	jb.lossRun++
	if jb.lossRun > 1 {
		for i := range jb.last {
			jb.last[i] /= 2
		}
	}
	if jb.lossRun > 4 {
		jb.last = [FrameSamples]int16{}
	}
	*out = jb.last
}

func absDiff(a, b uint32) uint32 {
	if d := int32(a - b); d < 0 {
		return uint32(-d)
	}
	return a - b
}
