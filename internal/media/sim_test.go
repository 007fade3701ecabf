package media

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// sim runs an engine without worker goroutines on a made-up clock: each
// step is one 10 ms tick, so tests of timing-sensitive logic (jitter
// buffers, switches, DTMF) are exact and take no real time.
type sim struct {
	t   testing.TB
	e   *Engine
	now time.Time
}

func newSim(t testing.TB) *sim {
	t.Helper()
	e, err := NewEngine(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 26000, PortMax: 31999, Workers: 1, manual: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &sim{t: t, e: e, now: e.start.Add(tickDuration / 2)}
}

// step runs n ticks.
func (s *sim) step(n int) {
	for range n {
		s.now = s.now.Add(tickDuration)
		s.e.mu.Lock()
		for _, w := range s.e.workers {
			w.tick(s.now)
		}
		s.e.mu.Unlock()
	}
}

// capture collects what the engine sends to a packet leg.
type capture struct {
	mu   sync.Mutex // guards pkts
	pkts []rtp.Packet
}

func (c *capture) send(b []byte) error {
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return err
	}
	p.Payload = slices.Clone(p.Payload)
	c.mu.Lock()
	c.pkts = append(c.pkts, p)
	c.mu.Unlock()
	return nil
}

func (c *capture) packets() []rtp.Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.pkts)
}

// talker is a packet leg's peer: it makes tone packets.
type talker struct {
	leg   *Leg
	out   *capture
	codec Codec
	ssrc  uint32
	seq   uint16
	ts    uint32
	n     int
	freqs []float64
}

func (s *sim) talker(codec Codec, dtmfPT uint8, freqs ...float64) *talker {
	s.t.Helper()
	c := &capture{}
	l, err := s.e.NewPacketLeg(c.send, uint8(codec), dtmfPT)
	if err != nil {
		s.t.Fatal(err)
	}
	return &talker{leg: l, out: c, codec: codec, ssrc: uint32(l.id) * 7919, seq: uint16(l.id) * 1000, ts: uint32(l.id) * 100000, freqs: freqs}
}

// packet returns the talker's next 20 ms tone packet.
func (tk *talker) packet() []byte {
	pcm := make([]int16, FrameSamples)
	for i := range pcm {
		var v float64
		for _, f := range tk.freqs {
			v += math.Sin(2 * math.Pi * f * float64(tk.n+i) / sampleRate)
		}
		pcm[i] = int16(0.5 * 32767 * v / float64(max(1, len(tk.freqs))))
	}
	tk.n += FrameSamples
	payload := make([]byte, FrameSamples)
	Encode(tk.codec, payload, pcm)
	tk.seq++
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(tk.codec), SequenceNumber: tk.seq, Timestamp: tk.ts, SSRC: tk.ssrc}, Payload: payload}
	tk.ts += FrameSamples
	b, _ := p.Marshal()
	return b
}

// talk delivers one packet per 20 ms from each talker for frames frames,
// delivering talker i's packets in the tick given by phase[i] (0 or 1) of
// each frame.
func (s *sim) talk(frames int, talkers ...*talker) {
	for range frames {
		for tick := range 2 {
			for i, tk := range talkers {
				if i%2 == tick {
					tk.leg.Deliver(tk.packet())
				}
			}
			s.step(1)
		}
	}
}

func TestSimMixLevels(t *testing.T) {
	s := newSim(t)
	a, b, c := s.talker(PCMU, 0, toneA), s.talker(PCMU, 0, toneB), s.talker(PCMU, 0)
	r := s.e.NewRoom()
	for _, tk := range []*talker{a, b, c} {
		if err := r.Add(tk.leg); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetHearing(Hearing{c.leg.id: {a.leg.id, b.leg.id}}); err != nil {
		t.Fatal(err)
	}
	s.talk(100, a, b)
	got := c.out.packets()
	checkContinuous(t, "C", got)
	checkTones(t, "C", decodeAudio(after(got, 10), PCMU), -12, toneA, toneB)
}

// talkJittered is talk with each packet delayed by 0–maxDelay ticks at
// random, and the clock sometimes stalling for a few ticks.
func (s *sim) talkJittered(frames, maxDelay int, rng *rand.Rand, talkers ...*talker) {
	type due struct {
		tick int
		tk   *talker
		b    []byte
	}
	var queue []due
	for tick := 0; tick < 2*frames; tick++ {
		for _, tk := range talkers {
			if tick%2 == 0 {
				queue = append(queue, due{tick + rng.IntN(maxDelay+1), tk, tk.packet()})
			}
		}
		rest := queue[:0]
		for _, d := range queue {
			if d.tick <= tick {
				d.tk.leg.Deliver(d.b)
			} else {
				rest = append(rest, d)
			}
		}
		queue = rest
		s.step(1)
	}
}

func TestSimMixUnderJitter(t *testing.T) {
	for _, maxDelay := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprint("delay up to ", maxDelay, " ticks"), func(t *testing.T) {
			s := newSim(t)
			a, b, c := s.talker(PCMU, 0, toneA), s.talker(PCMU, 0, toneB), s.talker(PCMU, 0)
			r := s.e.NewRoom()
			for _, tk := range []*talker{a, b, c} {
				r.Add(tk.leg)
			}
			r.SetHearing(Hearing{c.leg.id: {a.leg.id, b.leg.id}})
			s.talkJittered(200, maxDelay, rand.New(rand.NewPCG(1, uint64(maxDelay))), a, b)
			got := c.out.packets()
			checkContinuous(t, "C", got)
			checkTones(t, "C", decodeAudio(after(got, 50), PCMU), -12, toneA, toneB)
		})
	}
}

// Switching a listener between forwarding and mixing, with the sources'
// packets arriving at either tick of a frame, never breaks its stream.
func TestSimSwitchContinuity(t *testing.T) {
	s := newSim(t)
	a, b, l := s.talker(PCMU, 0, toneA), s.talker(PCMA, 0, toneB), s.talker(PCMU, 0)
	r := s.e.NewRoom()
	for _, tk := range []*talker{a, b, l} {
		if err := r.Add(tk.leg); err != nil {
			t.Fatal(err)
		}
	}
	phases := []struct {
		hears []LegID
		tones []float64
		level float64
	}{
		{nil, nil, 0}, // comfort silence
		{[]LegID{a.leg.id}, []float64{toneA}, -6},
		{[]LegID{a.leg.id, b.leg.id}, []float64{toneA, toneB}, -12},
		{[]LegID{b.leg.id}, []float64{toneB}, -6}, // forwarded across laws
		{[]LegID{a.leg.id}, []float64{toneA}, -6},
		{nil, nil, 0},
		{[]LegID{b.leg.id, a.leg.id}, []float64{toneA, toneB}, -12},
	}
	for i, ph := range phases {
		h := Hearing{}
		if ph.hears != nil {
			h[l.leg.id] = ph.hears
		}
		if err := r.SetHearing(h); err != nil {
			t.Fatal(err)
		}
		before := len(l.out.packets())
		s.talk(40+i, a, b) // odd lengths move the switch to either tick
		got := l.out.packets()
		seg := decodeAudio(got[before+5:], PCMU)
		if ph.tones == nil {
			for _, x := range seg {
				if x != 0 {
					t.Fatalf("phase %d: not silent", i)
				}
			}
			continue
		}
		checkTones(t, fmt.Sprint("phase ", i), seg, ph.level, ph.tones...)
	}
	checkContinuous(t, "listener", l.out.packets())
}

// A packet leg is served like an RTP leg: what it delivers is heard, what
// it hears goes to its send function.
func TestSimPacketLegsForward(t *testing.T) {
	s := newSim(t)
	a, b := s.talker(PCMU, 0, toneA), s.talker(PCMU, 0, toneB)
	r := s.e.NewRoom()
	r.Add(a.leg)
	r.Add(b.leg)
	r.SetHearing(AllHear(a.leg.id, b.leg.id))
	s.talk(60, a, b)
	checkTones(t, "A", decodeAudio(after(a.out.packets(), 5), PCMU), -6, toneB)
	checkTones(t, "B", decodeAudio(after(b.out.packets(), 5), PCMU), -6, toneA)
	st := a.leg.Stats()
	if st.PacketsIn != 60 || st.PacketsOut < 58 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	a.leg.Close()
	a.leg.Deliver(a.packet())
	if a.leg.Stats().Dropped != 1 {
		t.Error("a packet delivered to a closed leg was not counted as dropped")
	}
	if got := r.Legs(); len(got) != 1 || got[0] != b.leg.id {
		t.Errorf("room legs after close: %v", got)
	}
}
