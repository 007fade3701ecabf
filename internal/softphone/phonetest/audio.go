package phonetest

import (
	"math"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/tonecheck"
)

// Audio parameters: G.711 µ-law, 8 kHz, 20 ms frames.
const (
	rate        = 8000
	frame       = 160
	frameTime   = 20 * time.Millisecond
	earSamples  = rate     // an Ear keeps the last second
	levelWindow = rate / 2 // Level looks at the last half second
)

// toneFrames returns one second of a sine at freq Hz and −6 dBFS, µ-law
// encoded and cut into 20 ms frames. A whole number of Hz loops seamlessly.
func toneFrames(freq float64) [][]byte {
	pcm := make([]int16, rate)
	for i := range pcm {
		pcm[i] = int16(tonecheck.ToneAmplitude * 32767 * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	enc := make([]byte, rate)
	media.Encode(media.PCMU, enc, pcm)
	frames := make([][]byte, rate/frame)
	for i := range frames {
		frames[i] = enc[i*frame : (i+1)*frame]
	}
	return frames
}

// Mouth sends a tone as paced PCMU RTP packets until stopped.
type Mouth struct {
	stop chan struct{}
	done chan struct{}
}

// Speak starts sending freq Hz to send, one 20 ms packet at a time, with a
// stream of its own (SSRC, sequence numbers, timestamps).
func Speak(freq float64, ssrc uint32, send func(pkt []byte)) *Mouth {
	m := &Mouth{stop: make(chan struct{}), done: make(chan struct{})}
	frames := toneFrames(freq)
	go func() {
		defer close(m.done)
		tick := time.NewTicker(frameTime)
		defer tick.Stop()
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: ssrc, Marker: true}}
		buf := make([]byte, 12+frame)
		for i := 0; ; i++ {
			p.SequenceNumber = uint16(i)
			p.Timestamp = uint32(i * frame)
			p.Payload = frames[i%len(frames)]
			n, err := p.MarshalTo(buf)
			if err == nil {
				send(buf[:n])
			}
			p.Marker = false
			select {
			case <-tick.C:
			case <-m.stop:
				return
			}
		}
	}()
	return m
}

// Stop stops the tone and waits for the sender to finish.
func (m *Mouth) Stop() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// Ear keeps the last second of what a party heard, decoded from PCMU or
// PCMA RTP packets.
type Ear struct {
	mu      sync.Mutex // guards samples and packets
	samples []int16
	packets int
	pkt     rtp.Packet
}

// Hear takes one received RTP packet; telephone-events and other payload
// types are ignored.
func (e *Ear) Hear(b []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.pkt.Unmarshal(b); err != nil {
		return
	}
	var codec media.Codec
	switch e.pkt.PayloadType {
	case 0:
		codec = media.PCMU
	case 8:
		codec = media.PCMA
	default:
		return
	}
	pcm := make([]int16, len(e.pkt.Payload))
	media.Decode(codec, pcm, e.pkt.Payload)
	e.samples = append(e.samples, pcm...)
	if over := len(e.samples) - earSamples; over > 0 {
		e.samples = append(e.samples[:0], e.samples[over:]...)
	}
	e.packets++
}

// Packets is how many audio packets the ear has heard.
func (e *Ear) Packets() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.packets
}

// Level is freq's level, in dBFS, over the last half second heard (−200
// before anything was heard).
func (e *Ear) Level(freq float64) float64 {
	e.mu.Lock()
	s := e.samples
	if len(s) > levelWindow {
		s = s[len(s)-levelWindow:]
	}
	f := make([]float64, len(s))
	for i, v := range s {
		f[i] = float64(v) / 32768
	}
	e.mu.Unlock()
	if len(f) < levelWindow/2 {
		return -200
	}
	return tonecheck.Level(f, rate, freq)
}

// Hears reports whether freq is heard (at or above tonecheck's threshold).
func (e *Ear) Hears(freq float64) bool { return tonecheck.Heard(e.Level(freq)) }
