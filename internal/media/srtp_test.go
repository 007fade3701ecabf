package media

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/earshot/earshot/internal/tonecheck"
)

const profile80 = srtp.ProtectionProfileAes128CmHmacSha1_80

func testKeys(seed byte) []byte {
	k := make([]byte, SRTPKeyLen)
	for i := range k {
		k[i] = seed + byte(i)*7
	}
	return k
}

func mustContext(t testing.TB, key []byte, p srtp.ProtectionProfile) *srtp.Context {
	t.Helper()
	c, err := srtp.CreateContext(key[:16], key[16:], p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// farEnd is the SRTP peer of a packet leg, played by pion/srtp: it
// encrypts what it says and decrypts what the leg sends it.
type farEnd struct {
	t         testing.TB
	tk        *talker
	enc, dec  *srtp.Context
	heard     capture
	authFails atomic.Int64
}

// newSRTPTalker makes a packet leg keyed for SRTP with profile p and its
// pion far end.
func newSRTPTalker(s *sim, p srtp.ProtectionProfile, dtmfPT uint8, freq float64) *farEnd {
	s.t.Helper()
	legKey, farKey := testKeys(1), testKeys(100)
	f := &farEnd{t: s.t, enc: mustContext(s.t, farKey, p), dec: mustContext(s.t, legKey, p)}
	l, err := s.e.NewPacketLeg(func(b []byte) error {
		plain, err := f.dec.DecryptRTP(nil, b, nil)
		if err != nil {
			f.authFails.Add(1)
			return nil
		}
		return f.heard.send(plain)
	}, uint8(PCMU), dtmfPT)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := l.SetSRTP(p, legKey, farKey); err != nil {
		s.t.Fatal(err)
	}
	f.tk = &talker{leg: l, codec: PCMU, ssrc: 0xABCD, seq: 65500, ts: 1234, freqs: []float64{freq}}
	return f
}

// seal encrypts one RTP packet as the far end.
func (f *farEnd) seal(pkt []byte) []byte {
	b, err := f.enc.EncryptRTP(nil, pkt, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// talk has every far end and plain talker say one frame per 20 ms.
func (s *sim) talkSRTP(frames int, far []*farEnd, plain ...*talker) {
	for range frames {
		for _, f := range far {
			f.tk.leg.Deliver(f.seal(f.tk.packet()))
		}
		for _, tk := range plain {
			tk.leg.Deliver(tk.packet())
		}
		s.step(2)
	}
}

// An SRTP leg in a room with plain legs: forwarded one way, mixed the
// other, both through pion/srtp as the far end, and recorded in clear; the
// sequence number wraps on the way (the rollover counter must follow).
func TestSimSRTPLegRoundTrip(t *testing.T) {
	for _, p := range []srtp.ProtectionProfile{profile80, srtp.ProtectionProfileAes128CmHmacSha1_32} {
		t.Run(p.String(), func(t *testing.T) {
			s := newSim(t)
			a := newSRTPTalker(s, p, 0, toneA)
			b, c := s.talker(PCMU, 0, toneB), s.talker(PCMU, 0, toneC)
			r := s.e.NewRoom()
			for _, l := range []*Leg{a.tk.leg, b.leg, c.leg} {
				if err := r.Add(l); err != nil {
					t.Fatal(err)
				}
			}
			// a hears b and c (mixed); b and c hear only a (forwarded).
			if err := r.SetHearing(Hearing{a.tk.leg.id: {b.leg.id, c.leg.id}, b.leg.id: {a.tk.leg.id}, c.leg.id: {a.tk.leg.id}}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "a.wav")
			rec, err := r.Record(path, a.tk.leg.id)
			if err != nil {
				t.Fatal(err)
			}
			s.talkSRTP(60, []*farEnd{a}, b, c)
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			for ch, want := range [][]float64{{toneA}, {toneB, toneC}} {
				samples, _, err := tonecheck.ReadWAVChannel(path, ch)
				if err != nil || len(samples) < 4000 {
					t.Fatalf("recording channel %d: %d samples, %v", ch, len(samples), err)
				}
				checkTones(t, fmt.Sprintf("recording channel %d", ch), samples[800:], -6-6*float64(len(want)-1), want...)
			}
			checkTones(t, "B", decodeAudio(after(b.out.packets(), 5), PCMU), -6, toneA)
			checkTones(t, "far end of A", decodeAudio(after(a.heard.packets(), 5), PCMU), -12, toneB, toneC)
			st := a.tk.leg.Stats()
			if st.PacketsIn != 60 || st.SRTPFailed != 0 || st.Dropped != 0 || a.authFails.Load() != 0 {
				t.Errorf("stats %+v, far end refused %d", st, a.authFails.Load())
			}
		})
	}
}

// Packets that fail authentication or replay an earlier one are dropped
// and counted; they are never heard.
func TestSimSRTPDropsForgeries(t *testing.T) {
	s := newSim(t)
	a := newSRTPTalker(s, profile80, 0, toneA)
	b := s.talker(PCMU, 0, toneB)
	r := s.e.NewRoom()
	r.Add(a.tk.leg)
	r.Add(b.leg)
	r.SetHearing(AllHear(a.tk.leg.id, b.leg.id))
	s.talkSRTP(5, []*farEnd{a})
	heard := len(b.out.packets())

	good := a.seal(a.tk.packet())
	tampered := append([]byte(nil), good...)
	tampered[20] ^= 1
	wrongKey := mustContext(t, testKeys(200), profile80)
	forged, err := wrongKey.EncryptRTP(nil, a.tk.packet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := a.tk.packet()
	for _, pkt := range [][]byte{tampered, forged, plain, good[:20]} {
		a.tk.leg.Deliver(pkt)
	}
	a.tk.leg.Deliver(good)
	a.tk.leg.Deliver(good) // a replay
	s.step(2)
	st := a.tk.leg.Stats()
	if st.SRTPFailed != 5 || st.PacketsIn != 6 {
		t.Fatalf("SRTPFailed %d, PacketsIn %d; want 5 refused and 1 more accepted (stats %+v)", st.SRTPFailed, st.PacketsIn, st)
	}
	if got := len(b.out.packets()) - heard; got != 1 {
		t.Errorf("B got %d packets for one authentic packet among forgeries", got)
	}
}

// RFC 4733 events travel inside SRTP both ways.
func TestSimSRTPDTMF(t *testing.T) {
	s := newSim(t)
	a := newSRTPTalker(s, profile80, 101, toneA)
	ev := []byte{5, 0x80 | 10, 0x03, 0x20} // digit 5, end, 800 samples
	for i := range 3 {
		a.tk.seq++
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: a.tk.seq, Timestamp: 9000, SSRC: a.tk.ssrc, Marker: i == 0}, Payload: ev}
		b, _ := p.Marshal()
		a.tk.leg.Deliver(a.seal(b))
	}
	s.step(2)
	if st := a.tk.leg.Stats(); st.DTMFIn != 1 || st.SRTPFailed != 0 {
		t.Fatalf("stats %+v, want one digit", st)
	}
	if err := a.tk.leg.SendDTMF('7', 100*1e6); err != nil {
		t.Fatal(err)
	}
	s.step(20)
	events := ofType(a.heard.packets(), 101)
	if len(events) == 0 || events[0].Payload[0] != 7 {
		t.Fatalf("far end decrypted %d telephone-events", len(events))
	}
}

// Symmetric RTP on an SRTP leg latches only onto a source whose packets
// authenticate.
func TestSimSRTPLatchesOnlyAuthentic(t *testing.T) {
	s := newSim(t)
	caller, stranger := newPeer(t, PCMU), newPeer(t, PCMU)
	l, err := s.e.NewRTPLeg()
	if err != nil {
		t.Fatal(err)
	}
	decoy := netip.MustParseAddrPort("127.0.0.1:9")
	if err := l.SetRemote(decoy, 0, 0); err != nil {
		t.Fatal(err)
	}
	legKey, farKey := testKeys(1), testKeys(100)
	if err := l.SetSRTP(profile80, legKey, farKey); err != nil {
		t.Fatal(err)
	}
	enc, wrong := mustContext(t, farKey, profile80), mustContext(t, testKeys(50), profile80)
	tk := &talker{codec: PCMU, ssrc: 7, seq: 1, freqs: []float64{toneA}}
	seal := func(c *srtp.Context) []byte {
		b, err := c.EncryptRTP(nil, tk.packet(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stranger.sendRaw(l.LocalAddr(), seal(wrong))
	stranger.sendRaw(l.LocalAddr(), tk.packet())
	waitStats(t, l, "two refused packets", func(st Stats) bool { s.step(1); return st.SRTPFailed == 2 })
	if got := l.RemoteAddr(); got != decoy {
		t.Fatalf("an unauthenticated packet moved the remote to %v", got)
	}
	caller.sendRaw(l.LocalAddr(), seal(enc))
	waitStats(t, l, "the caller's packet", func(st Stats) bool { s.step(1); return st.PacketsIn == 1 })
	if got := l.RemoteAddr(); got != caller.addr() {
		t.Fatalf("remote %v, want the authentic caller %v", got, caller.addr())
	}
}

func TestSetSRTPRejects(t *testing.T) {
	s := newSim(t)
	l, err := s.e.NewPacketLeg(func([]byte) error { return nil }, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetSRTP(srtp.ProtectionProfileAeadAes128Gcm, testKeys(1), testKeys(2)); !errors.Is(err, ErrSRTPProfile) {
		t.Errorf("GCM profile: %v", err)
	}
	if err := l.SetSRTP(profile80, testKeys(1)[:16], testKeys(2)); err == nil {
		t.Error("a short key was taken")
	}
	if l.srtp != nil {
		t.Fatal("a refused SetSRTP changed the leg")
	}
	if err := l.SetSRTP(profile80, testKeys(1), testKeys(2)); err != nil {
		t.Fatal(err)
	}
	first := l.srtp
	if err := l.SetSRTP(profile80, testKeys(1), testKeys(2)); err != nil || l.srtp.enc != first.enc || l.srtp.dec != first.dec {
		t.Error("the same keys again did not keep the running contexts")
	}
	if err := l.SetSRTP(profile80, testKeys(1), testKeys(3)); err != nil || l.srtp.enc != first.enc || l.srtp.dec == first.dec {
		t.Error("a new receive key did not replace only the receive context")
	}
	if err := l.SetSRTP(0, nil, nil); err != nil || l.srtp != nil {
		t.Errorf("turning SRTP off: %v", err)
	}
}

// A new send context never starts on the key in use: its rollover
// counter would start again and keystream would repeat.
func TestSetSRTPRefusesSendKeyReuse(t *testing.T) {
	s := newSim(t)
	l, err := s.e.NewPacketLeg(func([]byte) error { return nil }, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	profile32 := srtp.ProtectionProfileAes128CmHmacSha1_32
	if err := l.SetSRTP(profile80, testKeys(1), testKeys(2)); err != nil {
		t.Fatal(err)
	}
	first := l.srtp
	if err := l.SetSRTP(profile32, testKeys(1), testKeys(2)); !errors.Is(err, ErrSRTPKeyReused) || l.srtp != first {
		t.Errorf("another profile on the same send key: %v, want ErrSRTPKeyReused and no change", err)
	}
	if err := l.SetSRTP(profile32, testKeys(4), testKeys(2)); err != nil || l.srtp.enc == first.enc || l.srtp.dec == first.dec {
		t.Errorf("another profile on a new send key: %v, want new contexts", err)
	}
}
