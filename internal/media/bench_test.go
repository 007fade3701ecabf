package media

import (
	"encoding/binary"
	"testing"
)

// benchCall sets up n packet legs in one room with hearing h (built from
// the legs' IDs) and returns a function that runs one 20 ms frame: each
// leg's packet in, the frame out. Sending goes to a function that drops
// the packet, so the figures are the media plane's own work, without
// syscalls (the load benchmark measures those).
func benchCall(b *testing.B, n int, hearing func(ids []LegID) Hearing) func() {
	s := newSim(b)
	drop := func([]byte) error { return nil }
	var legs []*Leg
	var pkts [][]byte
	var ids []LegID
	r := s.e.NewRoom()
	tk := &talker{freqs: []float64{toneA}, codec: PCMU}
	for i := range n {
		l, err := s.e.NewPacketLeg(drop, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Add(l); err != nil {
			b.Fatal(err)
		}
		legs = append(legs, l)
		ids = append(ids, l.id)
		tk.ssrc = uint32(i + 1)
		pkts = append(pkts, tk.packet())
	}
	if err := r.SetHearing(hearing(ids)); err != nil {
		b.Fatal(err)
	}
	w := s.e.workers[0]
	s.step(2)
	frame := w.frame
	seq, ts := uint16(0), uint32(0)
	return func() {
		seq++
		ts += FrameSamples
		frame++
		s.e.mu.Lock()
		w.cur = frame
		for i, l := range legs {
			binary.BigEndian.PutUint16(pkts[i][2:], seq)
			binary.BigEndian.PutUint32(pkts[i][4:], ts)
			w.handle(l, pkts[i], nil, ts)
		}
		w.produce(frame)
		w.frame = frame
		w.flush()
		s.e.mu.Unlock()
	}
}

// BenchmarkForward is one frame of a plain two-party call: two packets in,
// each forwarded with its header rewritten. ns/op is per call per 20 ms.
func BenchmarkForward(b *testing.B) {
	frame := benchCall(b, 2, func(ids []LegID) Hearing { return AllHear(ids...) })
	b.ReportAllocs()
	for b.Loop() {
		frame()
	}
}

// BenchmarkMix3 is one frame of a three-party room in which everyone hears
// the other two: three packets in and buffered, three frames decoded,
// three mixes encoded and sent. ns/op is per room per 20 ms.
func BenchmarkMix3(b *testing.B) {
	frame := benchCall(b, 3, func(ids []LegID) Hearing { return AllHear(ids...) })
	b.ReportAllocs()
	for b.Loop() {
		frame()
	}
}

// BenchmarkListened is one frame of a two-party call with a third leg
// listening: the two parties forwarded to each other, the listener hearing
// both, mixed.
func BenchmarkListened(b *testing.B) {
	frame := benchCall(b, 3, func(ids []LegID) Hearing {
		return Hearing{ids[0]: {ids[1]}, ids[1]: {ids[0]}, ids[2]: {ids[0], ids[1]}}
	})
	b.ReportAllocs()
	for b.Loop() {
		frame()
	}
}
