package media

// produce makes frame f: it pulls the audio every consumer needs, sends each
// leg its frame, and feeds the recordings.
func (w *worker) produce(f int64) {
	for _, l := range w.legs {
		if l.connected && f-l.rt.in.lastFromRemote >= latchHold {
			l.unlatch()
		}
		switch {
		case l.voice != nil:
			if !l.voice.Frame(l.voiceN, &l.rt.pcm) {
				l.voice = nil
				l.rt.pcm = [FrameSamples]int16{}
			}
			l.voiceN++
			l.rt.pcmFrame = f
		case l.rt.needPCM:
			l.rt.jb.pull(f, &l.rt.pcm, l.rt.in.jitter, f < w.cur)
			l.rt.pcmFrame = f
		}
	}
	for _, l := range w.legs {
		w.output(l, f)
	}
	for _, r := range w.rooms {
		for _, rec := range r.recordings {
			rec.tap(f)
		}
	}
}

// output sends l its frame f, unless forwarding already took care of it,
// and keeps what l heard when a recording wants it.
func (w *worker) output(l *Leg, f int64) {
	rt := &l.rt
	send := l.canSend()
	if send && w.sendDTMF(l, f) {
		send = false
	}
	switch rt.mode {
	case modeForward:
		if rt.recordHeard {
			if src := rt.heard[0]; src.rt.pcmFrame == f {
				rt.heard16 = src.rt.pcm
			} else {
				rt.heard16 = [FrameSamples]int16{}
			}
		}
	case modeMix:
		w.mix(l, f)
		if send {
			w.sendPCM(l, f, &w.pcm)
		}
		if rt.recordHeard {
			rt.heard16 = w.pcm
		}
	default:
		w.play(l, f, send)
	}
}

// mix sums, at half gain and saturating, the frames of the legs l hears into
// w.pcm. Half gain keeps two full-scale talkers from clipping; a source
// heard in a mix is 6 dB quieter than the same source forwarded.
func (w *worker) mix(l *Leg, f int64) {
	w.acc = [FrameSamples]int32{}
	for _, src := range l.rt.heard {
		if src.rt.pcmFrame != f {
			continue
		}
		for i, s := range src.rt.pcm {
			w.acc[i] += int32(s)
		}
	}
	for i, a := range w.acc {
		w.pcm[i] = int16(max(-32768, min(32767, a/2)))
	}
}

// play sends l a frame of its Source, or comfort silence: a leg that hears
// nobody still gets a steady stream, which keeps NAT bindings open and the
// peer's RTP timeout quiet.
func (w *worker) play(l *Leg, f int64, send bool) {
	rt := &l.rt
	if l.source == nil {
		if send {
			w.sendSilence(l, f)
		}
		if rt.recordHeard {
			rt.heard16 = [FrameSamples]int16{}
		}
		return
	}
	if !send && !rt.recordHeard {
		return
	}
	if c, ok := l.source.(*clip); ok && !rt.recordHeard {
		if b, ok := c.encodedFrame(l.playN, l.codec); ok {
			l.playN++
			w.sendFrame(l, f, b)
			return
		}
		l.source = nil
		w.sendSilence(l, f)
		return
	}
	if !l.source.Frame(l.playN, &w.pcm) {
		l.source = nil
		w.pcm = [FrameSamples]int16{}
	}
	l.playN++
	if send {
		w.sendPCM(l, f, &w.pcm)
	}
	if rt.recordHeard {
		rt.heard16 = w.pcm
	}
}
