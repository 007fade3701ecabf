package callflow

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/media"
)

// An agent on a SIP phone has no page to say that a supervisor has started
// assisting, so their phone plays a notice: two short, quiet beeps. The
// beeps come from a leg of the call's room that only the agent hears, so
// the customer never hears them, and the agent still hears the customer
// while they play.

// noticeFreq is the beeps' pitch, away from the tones of speech's
// strongest harmonics and of the tests' parties.
const noticeFreq = 1400

// noticeLevel is the beeps' peak, as a fraction of full scale (−18 dBFS;
// the mix halves it again).
const noticeLevel = 0.125

// noticeCadence is the notice in 20 ms frames: beep, gap, beep.
var noticeCadence = []bool{
	true, true, true, true, true, true, true, true,
	false, false, false, false, false,
	true, true, true, true, true, true, true, true,
}

// noticeDrain is how many frames the notice's leg stays after its last
// packet, so the mixer's jitter buffer plays the whole of it.
const noticeDrain = 10

// noticePackets are the notice's RTP packets (PCMU), made once and only
// read afterwards.
var noticePackets = sync.OnceValue(func() [][]byte {
	var pcm [media.FrameSamples]int16
	out := make([][]byte, len(noticeCadence))
	for i, on := range noticeCadence {
		pkt := make([]byte, 12+media.FrameSamples)
		pkt[0], pkt[1] = 0x80, byte(media.PCMU)
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i*media.FrameSamples))
		binary.BigEndian.PutUint32(pkt[8:], 0x6e6f7469)
		for j := range pcm {
			pcm[j] = 0
			if on {
				n := float64(j) // each beep starts at phase 0
				pcm[j] = int16(math.Round(noticeLevel * 32767 * math.Sin(2*math.Pi*noticeFreq*n/8000)))
			}
		}
		media.Encode(media.PCMU, pkt[12:], pcm[:])
		out[i] = pkt
	}
	return out
})

// notifyAgent plays the assist notice to the call's agent when they are
// on a SIP phone. The caller holds f.mu.
func (f *Flow) notifyAgent(lc *liveCall) {
	a := lc.parties[lc.agent]
	if a == nil || a.released || !a.sipPhone || lc.notice != nil {
		return
	}
	leg, err := f.cfg.Media.NewPacketLeg(func([]byte) error { return nil }, byte(media.PCMU), 0)
	if err != nil {
		f.log.Warn("assist notice", "call", lc.id, "err", err)
		return
	}
	if err := lc.room.Add(leg); err != nil {
		f.log.Warn("assist notice", "call", lc.id, "err", err)
		_ = leg.Close()
		return
	}
	lc.notice = leg
	f.applyHearing(lc)
	go f.playNotice(lc, leg)
}

// playNotice feeds the notice into its leg at the pace of the audio, then
// takes the leg out of the call.
func (f *Flow) playNotice(lc *liveCall, leg *media.Leg) {
	tick := time.NewTicker(frameTime)
	defer tick.Stop()
	pkts := noticePackets()
	for i := 0; i < len(pkts)+noticeDrain; i++ {
		if i < len(pkts) {
			leg.Deliver(pkts[i])
		}
		<-tick.C
	}
	f.mu.Lock()
	if lc.notice == leg {
		lc.notice = nil
		if f.calls[lc.id] == lc {
			lc.room.Remove(leg)
			f.applyHearing(lc)
		}
	}
	f.mu.Unlock()
	_ = leg.Close()
}
