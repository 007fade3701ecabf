package callflow

import (
	"math"
	"sync"
	"time"

	"github.com/earshot/earshot/internal/media"
)

// An agent on a SIP phone has no page to say that a supervisor has started
// assisting, so their phone plays a notice: two short, quiet beeps. The
// beeps are the voice of a leg of the call's room that only the agent
// hears (media.Leg.Speak), so the customer never hears them, and the agent
// still hears the customer while they play.

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

// noticeSound is the notice's audio, made once and only read afterwards.
var noticeSound = sync.OnceValue(func() media.Source {
	pcm := make([]int16, len(noticeCadence)*media.FrameSamples)
	for i, on := range noticeCadence {
		if !on {
			continue
		}
		for j := range media.FrameSamples {
			n := float64(j) // each frame of a beep starts at phase 0
			pcm[i*media.FrameSamples+j] = int16(math.Round(noticeLevel * 32767 * math.Sin(2*math.Pi*noticeFreq*n/8000)))
		}
	}
	return media.NewClipSource(pcm)
})

// noticeTime is how long the notice's leg stays in the call: the notice,
// and a little more, so that its end is heard whole.
var noticeTime = time.Duration(len(noticeCadence)+5) * frameTime

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
	leg.Speak(noticeSound())
	if err := lc.room.Add(leg); err != nil {
		f.log.Warn("assist notice", "call", lc.id, "err", err)
		_ = leg.Close()
		return
	}
	lc.notice = leg
	f.applyHearing(lc)
	time.AfterFunc(noticeTime, func() { f.endNotice(lc, leg) })
}

// endNotice takes the notice's leg out of the call once it has played.
func (f *Flow) endNotice(lc *liveCall, leg *media.Leg) {
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
