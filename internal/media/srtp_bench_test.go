package media

import (
	"testing"

	"github.com/pion/srtp/v3"
)

// srtpCall sets up a two-party call of packet legs, both speaking SRTP
// with pion/srtp far ends, and returns a function that runs one 20 ms
// frame: each leg's packet in (authenticated, decrypted, forwarded), the
// other's out (encrypted). The far ends' packets for frames frames are
// encrypted beforehand, so only earshot's work is measured; what the legs
// send is dropped.
func srtpCall(tb testing.TB, frames int) func() {
	s := newSim(tb)
	drop := func([]byte) error { return nil }
	r := s.e.NewRoom()
	var legs [2]*Leg
	var pkts [2][][]byte
	for i := range legs {
		l, err := s.e.NewPacketLeg(drop, 0, 0)
		if err != nil {
			tb.Fatal(err)
		}
		farKey := testKeys(byte(100 + i))
		if err := l.SetSRTP(srtp.ProtectionProfileAes128CmHmacSha1_80, testKeys(byte(i)), farKey); err != nil {
			tb.Fatal(err)
		}
		if err := r.Add(l); err != nil {
			tb.Fatal(err)
		}
		legs[i] = l
		enc := mustContext(tb, farKey, srtp.ProtectionProfileAes128CmHmacSha1_80)
		tk := &talker{codec: PCMU, ssrc: uint32(i + 1), freqs: []float64{toneA}}
		for range frames + 2 {
			b, err := enc.EncryptRTP(nil, tk.packet(), nil)
			if err != nil {
				tb.Fatal(err)
			}
			pkts[i] = append(pkts[i], b)
		}
	}
	if err := r.SetHearing(AllHear(legs[0].id, legs[1].id)); err != nil {
		tb.Fatal(err)
	}
	w := s.e.workers[0]
	s.step(2)
	frame := w.frame
	n := 0
	return func() {
		frame++
		s.e.mu.Lock()
		w.cur = frame
		for i, l := range legs {
			w.handle(l, pkts[i][n], nil, uint32(n)*FrameSamples)
		}
		n++
		w.produce(frame)
		w.frame = frame
		w.flush()
		s.e.mu.Unlock()
	}
}

// BenchmarkSRTPLegForward is BenchmarkForward with both legs on SRTP
// (AES_CM_128_HMAC_SHA1_80): two packets authenticated and decrypted, two
// encrypted and sent. ns/op is per call per 20 ms, four packets.
func BenchmarkSRTPLegForward(b *testing.B) {
	frame := srtpCall(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		frame()
	}
}

// BenchmarkSRTPLegProtect is the cost of one packet's SRTP on a leg: one
// 172-byte G.711 packet encrypted and authenticated in place.
func BenchmarkSRTPLegProtect(b *testing.B) {
	s := newSim(b)
	l, err := s.e.NewPacketLeg(func([]byte) error { return nil }, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.SetSRTP(srtp.ProtectionProfileAes128CmHmacSha1_80, testKeys(1), testKeys(2)); err != nil {
		b.Fatal(err)
	}
	tk := &talker{codec: PCMU, ssrc: 1, freqs: []float64{toneA}}
	pkt := tk.packet()
	var buf [txBufSize]byte
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		tk.seq++
		n := copy(buf[:], pkt)
		buf[2], buf[3] = byte(tk.seq>>8), byte(tk.seq)
		if _, ok := l.srtp.protect(buf[:], n); !ok {
			b.Fatal("protect failed")
		}
	}
}

// The SRTP packet path does not allocate either.
func TestSRTPLegDoesNotAllocate(t *testing.T) {
	frame := srtpCall(t, 310)
	for range 10 {
		frame()
	}
	if n := testing.AllocsPerRun(200, frame); n > 0 {
		t.Errorf("%.1f allocations per frame", n)
	}
}
