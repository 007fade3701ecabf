package media

import (
	"errors"
	"testing"

	"github.com/pion/rtp"
)

// FuzzDeliver feeds arbitrary datagrams through a leg's receive path (RTP
// parsing, RFC 4733, jitter buffer, forwarding and mixing) and checks that
// each is counted exactly once, as accepted, dropped or RTCP.
func FuzzDeliver(f *testing.F) {
	audio, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, Timestamp: 160, SSRC: 5}, Payload: silenceFrame(PCMU)}).Marshal()
	withExt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 2, Timestamp: 320, SSRC: 5, Extension: true, ExtensionProfile: 0xBEDE, Extensions: []rtp.Extension{{}}}, Payload: []byte{1, 2, 3}}).Marshal()
	f.Add(audio)
	f.Add(withExt)
	f.Add(dtmfPacket(10, 1000, true, 1, false, 0))
	f.Add(dtmfPacket(11, 1000, false, 1, true, 800))
	f.Add([]byte{0x80, 201, 0, 1, 0, 0, 0, 9})
	f.Add([]byte{0x80})
	f.Add(make([]byte, 600))

	s := newSim(f)
	src, fwd, mix := s.talker(PCMU, 0), s.talker(PCMA, 0), s.talker(PCMU, 0)
	src.leg.dtmfPT = 101
	r := s.e.NewRoom()
	for _, tk := range []*talker{src, fwd, mix} {
		if err := r.Add(tk.leg); err != nil {
			f.Fatal(err)
		}
	}
	if err := r.SetHearing(Hearing{fwd.leg.id: {src.leg.id}, mix.leg.id: {src.leg.id, fwd.leg.id}}); err != nil {
		f.Fatal(err)
	}
	s.step(2)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		count := func() uint64 {
			st := src.leg.Stats()
			return st.PacketsIn + st.Dropped + st.RTCPIn
		}
		before := count()
		src.leg.Deliver(pkt)
		s.step(2) // one frame: the packet is handled, then mixed and sent
		if got := count() - before; got != 1 {
			t.Fatalf("packet counted %d times", got)
		}
		fwd.out.mu.Lock()
		fwd.out.pkts = fwd.out.pkts[:0]
		fwd.out.mu.Unlock()
		mix.out.mu.Lock()
		mix.out.pkts = mix.out.pkts[:0]
		mix.out.mu.Unlock()
	})
}

// FuzzReadWAV checks that the WAV reader never panics and that what it
// accepts decodes to whole sample frames.
func FuzzReadWAV(f *testing.F) {
	h := wavHeader(1, 4)
	f.Add(append(h[:], 1, 0, 2, 0, 3, 0, 4, 0))
	st := wavHeader(2, 2)
	f.Add(append(st[:], 1, 0, 2, 0, 3, 0, 4, 0))
	u := wavHeader(1, 4)
	u[20], u[32], u[34] = wavULaw, 1, 8
	f.Add(append(u[:], 0xFF, 0x80, 0x00, 0x7F))
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := parseWAV(data)
		if err != nil {
			if !errors.Is(err, ErrWAVFormat) {
				t.Fatalf("error %v is not ErrWAVFormat", err)
			}
			return
		}
		for ch := range w.channels {
			if n := len(w.samples(ch)); n != w.frames() {
				t.Fatalf("channel %d: %d samples, want %d", ch, n, w.frames())
			}
		}
	})
}
