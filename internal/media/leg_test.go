package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestSymmetricRTPLatches(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	decoy, caller, stranger := newPeer(t, PCMU), newPeer(t, PCMU), newPeer(t, PCMU)
	// The SDP said decoy; the caller (behind NAT) sends from another port.
	l := connect(t, e, decoy, 0)
	decoy.waitAudio(0, 1) // comfort silence goes to the address given at first
	for i := range 3 {
		caller.sendPacket(l.LocalAddr(), 0, uint32(i*FrameSamples), false, silenceFrame(PCMU))
	}
	caller.waitAudio(0, 3)
	if got := l.RemoteAddr(); got != caller.addr() {
		t.Fatalf("remote = %v, want the caller's %v", got, caller.addr())
	}
	// While the caller is live, packets from anyone else are refused.
	before := l.Stats()
	for i := range 3 {
		stranger.sendPacket(l.LocalAddr(), 0, uint32(i*FrameSamples), false, silenceFrame(PCMU))
	}
	caller.sendPacket(l.LocalAddr(), 0, 3*FrameSamples, false, silenceFrame(PCMU))
	waitStats(t, l, "the caller's fourth packet", func(s Stats) bool { return s.PacketsIn == before.PacketsIn+1 })
	if got := l.RemoteAddr(); got != caller.addr() {
		t.Errorf("a stranger moved the remote to %v", got)
	}
	if n := len(stranger.packets()); n != 0 {
		t.Errorf("the stranger got %d packets", n)
	}
}

// After a second of silence from the latched address, the leg latches onto
// whoever sends next (a NAT that changed its mapping). The engine runs on a
// made-up clock here; the sockets are real.
func TestSimRelatchAfterSilence(t *testing.T) {
	s := newSim(t)
	first, second := newPeer(t, PCMU), newPeer(t, PCMU)
	l, err := s.e.NewRTPLeg()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetRemote(netip.MustParseAddrPort("127.0.0.1:9"), 0, 0); err != nil {
		t.Fatal(err)
	}
	send := func(p *peer) {
		// loopback delivers within sendto: the next tick finds the packet
		p.sendPacket(l.LocalAddr(), 0, uint32(p.seq)*FrameSamples, false, silenceFrame(PCMU))
		s.step(1)
	}
	send(first)
	if got := l.RemoteAddr(); got != first.addr() {
		t.Fatalf("remote %v, want %v", got, first.addr())
	}
	send(second) // too soon: refused
	if got := l.RemoteAddr(); got != first.addr() {
		t.Fatalf("remote moved to %v while the first peer was live", got)
	}
	s.step(2 * latchHold) // a second with nothing from the first peer
	send(second)
	if got := l.RemoteAddr(); got != second.addr() {
		t.Fatalf("remote %v, want %v after the first peer fell silent", got, second.addr())
	}
	if st := l.Stats(); st.PacketsIn != 2 {
		t.Errorf("accepted %d packets, want 2", st.PacketsIn)
	}
}

// waitStats waits until cond holds for l's stats. Stats have no event of
// their own, so it waits on a ticker, bounded by a deadline.
func waitStats(t *testing.T, l *Leg, what string, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s := l.Stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: stats %+v", what, s)
		}
		<-tick.C
	}
}

func TestBadPacketsAreDroppedAndCounted(t *testing.T) {
	t.Parallel()
	for _, noURing := range []bool{false, true} {
		t.Run(fmt.Sprint("noURing=", noURing), func(t *testing.T) {
			t.Parallel()
			testBadPackets(t, newTestEngineWith(t, Config{noURing: noURing}))
		})
	}
}

func testBadPackets(t *testing.T, e *Engine) {
	ps, pl := newPeer(t, PCMU), newPeer(t, PCMU)
	src, lis := connect(t, e, ps, 101), connect(t, e, pl, 0)
	r := mustRoom(t, e, src, lis)
	if err := r.SetHearing(Hearing{lis.ID(): {src.ID()}}); err != nil {
		t.Fatal(err)
	}
	valid := func(seq uint16) []byte {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * FrameSamples, SSRC: ps.ssrc}, Payload: silenceFrame(PCMU)}).Marshal()
		return b
	}
	// Stream until the hearing is in force and the listener gets audio.
	stop := ps.startStream(src.LocalAddr(), toneA)
	pl.waitAudio(0, 1)
	stop()
	csrcOverrun := valid(2)
	csrcOverrun[0] |= 0x0F // 15 CSRCs need 72 bytes of header
	csrcOverrun = csrcOverrun[:20]
	badPadding := valid(3)
	badPadding[0] |= 0x20
	badPadding[len(badPadding)-1] = 0 // padding length 0 is invalid
	extOverrun := valid(4)[:16]
	extOverrun[0] |= 0x10
	binary.BigEndian.PutUint16(extOverrun[14:], 100)
	unknownPT := valid(5)
	unknownPT[1] = 96
	wrongVersion := valid(6)
	wrongVersion[0] = 0x40
	shortDTMF := valid(7)[:14]
	shortDTMF[1] = 101
	bad := [][]byte{
		{0x80},                                   // short
		valid(8)[:11],                            // one byte short of a header
		wrongVersion,                             // version 1
		unknownPT,                                // payload type nobody agreed
		csrcOverrun,                              // CSRC list past the end
		badPadding,                               // padding of length 0
		extOverrun,                               // extension past the end
		shortDTMF,                                // telephone-event with a 2-byte payload
		make([]byte, 1400),                       // zeros: version 0
		valid(9)[:12],                            // audio with no payload
		append(valid(11), make([]byte, 2000)...), // larger than any packet we read
	}
	before := src.Stats()
	heard := len(ofType(pl.packets(), 0))
	for _, b := range bad {
		ps.sendRaw(src.LocalAddr(), b)
	}
	rr := []byte{0x80, 201, 0, 1, 0, 0, 0, 9} // RTCP receiver report, no blocks
	ps.sendRaw(src.LocalAddr(), rr)
	ps.sendPacket(src.LocalAddr(), payloadTypeCN, ps.ts, false, []byte{40}) // comfort noise: accepted, not forwarded
	ps.ts += FrameSamples
	ps.sendPacket(src.LocalAddr(), 0, ps.ts, false, silenceFrame(PCMU))
	pl.waitAudio(0, heard+1) // the valid packet after them all still gets through
	s := waitStats(t, src, "counters", func(s Stats) bool { return s.PacketsIn == before.PacketsIn+2 })
	if s.Dropped != before.Dropped+uint64(len(bad)) || s.RTCPIn != 1 {
		t.Errorf("dropped %d (want %d), RTCP %d (want 1); stats %+v", s.Dropped-before.Dropped, len(bad), s.RTCPIn, s)
	}
	if s.Lost != 0 {
		t.Errorf("lost = %d, want 0", s.Lost)
	}
}

// dtmfPacket builds a telephone-event packet as sipp's captures carry them.
func dtmfPacket(seq uint16, ts uint32, marker bool, event uint8, end bool, duration uint16) []byte {
	payload := make([]byte, 4)
	dtmfPayload{event: event, end: end, volume: 10, duration: duration}.put(payload)
	b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 0x0e05384e, Marker: marker}, Payload: payload}).Marshal()
	return b
}

// keyPress is the packets of one key press like sipp's dtmf_2833 captures:
// a duration-0 first packet with the marker, updates every 20 ms, and the
// end packet three times with the same sequence number.
func keyPress(seq uint16, ts uint32, event uint8) [][]byte {
	pkts := [][]byte{dtmfPacket(seq, ts, true, event, false, 0)}
	for i := 1; i <= 6; i++ {
		pkts = append(pkts, dtmfPacket(seq+uint16(i), ts, false, event, false, uint16(i*320)))
	}
	for range 3 {
		pkts = append(pkts, dtmfPacket(seq+7, ts, false, event, true, 2240))
	}
	return pkts
}

func TestDTMFIn(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	p := newPeer(t, PCMU)
	l := connect(t, e, p, 101)
	digits := make(chan rune, 16)
	l.OnDTMF(func(d rune) { digits <- d })
	want := "1#9"
	seq := uint16(0x1f30)
	for i, ev := range []uint8{1, 11, 9} {
		for _, b := range keyPress(seq, uint32(0x33e0+i*0x2000), ev) {
			p.sendRaw(l.LocalAddr(), b)
		}
		seq += 8
	}
	var got []rune
	timeout := time.After(5 * time.Second)
	for len(got) < len(want) {
		select {
		case d := <-digits:
			got = append(got, d)
		case <-timeout:
			t.Fatalf("got digits %q, want %q", string(got), want)
		}
	}
	if string(got) != want {
		t.Fatalf("got digits %q, want %q", string(got), want)
	}
	if s := l.Stats(); s.DTMFIn != 3 {
		t.Errorf("DTMFIn = %d, want 3", s.DTMFIn)
	}
}

func TestDTMFOut(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t)
	p := newPeer(t, PCMU)
	l := connect(t, e, p, 101)
	p.waitAudio(0, 2)
	if err := l.SendDTMF('5', 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := p.waitFor(5*time.Second, "three end packets then audio", func(pkts []rtp.Packet) bool {
		ends := 0
		for _, k := range pkts {
			if k.PayloadType == 101 && len(k.Payload) == 4 && k.Payload[1]&0x80 != 0 {
				ends++
			}
		}
		return ends == 3 && pkts[len(pkts)-1].PayloadType == 0
	})
	checkSeqContiguous(t, got)
	ev := ofType(got, 101)
	if len(ev) != 8 { // 5 updates (100 ms) + 3 end packets
		t.Fatalf("%d event packets, want 8", len(ev))
	}
	first := slices.IndexFunc(got, func(k rtp.Packet) bool { return k.PayloadType == 101 })
	if !ev[0].Marker || got[first-1].Timestamp+FrameSamples != ev[0].Timestamp {
		t.Errorf("first event packet: marker %v ts %d, after audio ts %d", ev[0].Marker, ev[0].Timestamp, got[first-1].Timestamp)
	}
	var lastDur uint16
	for i, k := range ev {
		d, _ := parseDTMF(k.Payload)
		if k.Timestamp != ev[0].Timestamp || d.event != 5 || d.duration < lastDur {
			t.Errorf("event packet %d: ts %d event %d duration %d", i, k.Timestamp, d.event, d.duration)
		}
		if d.end != (i >= 5) {
			t.Errorf("event packet %d: end = %v", i, d.end)
		}
		lastDur = d.duration
	}
	if lastDur != 800 {
		t.Errorf("final duration %d, want 800", lastDur)
	}
	resumed := got[first+len(ev)]
	if resumed.Timestamp != ev[0].Timestamp+8*FrameSamples {
		t.Errorf("audio resumed at ts %d, want %d (the event's frames counted)", resumed.Timestamp, ev[0].Timestamp+8*FrameSamples)
	}
}

func checkSeqContiguous(t *testing.T, pkts []rtp.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		if pkts[i].SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, pkts[i].SequenceNumber, pkts[i-1].SequenceNumber)
		}
	}
}

func TestSendDTMFRejects(t *testing.T) {
	e := newTestEngine(t)
	p := newPeer(t, PCMU)
	noEvents := connect(t, e, p, 0)
	if err := noEvents.SendDTMF('1', 100*time.Millisecond); !errors.Is(err, ErrNoDTMF) {
		t.Errorf("no telephone-event type: err = %v", err)
	}
	l := connect(t, e, p, 101)
	if err := l.SendDTMF('x', 100*time.Millisecond); !errors.Is(err, ErrBadDigit) {
		t.Errorf("digit x: err = %v", err)
	}
	if err := l.SendDTMF('1', time.Millisecond); err == nil {
		t.Error("1 ms digit accepted")
	}
	for i := range 16 {
		if err := l.SendDTMF('1', 5*time.Second); err != nil {
			t.Fatalf("digit %d: %v", i, err)
		}
	}
	if err := l.SendDTMF('1', 100*time.Millisecond); !errors.Is(err, ErrBusy) {
		t.Errorf("17th digit: err = %v, want ErrBusy", err)
	}
	l.Close()
	if err := l.SendDTMF('1', 100*time.Millisecond); !errors.Is(err, ErrClosed) {
		t.Errorf("closed leg: err = %v", err)
	}
}

func TestSetRemoteRejects(t *testing.T) {
	e := newTestEngine(t)
	l, err := e.NewRTPLeg()
	if err != nil {
		t.Fatal(err)
	}
	good := netip.MustParseAddrPort("127.0.0.1:4000")
	tests := map[string]struct {
		addr       netip.AddrPort
		pt, dtmfPT uint8
	}{
		"zero address":      {netip.AddrPort{}, 0, 0},
		"port 0":            {netip.MustParseAddrPort("127.0.0.1:0"), 0, 0},
		"unspecified":       {netip.MustParseAddrPort("0.0.0.0:4000"), 0, 0},
		"IPv6 on IPv4":      {netip.MustParseAddrPort("[::1]:4000"), 0, 0},
		"G.729":             {good, 18, 0},
		"static DTMF type":  {good, 0, 13},
		"DTMF type too big": {good, 0, 128},
	}
	for name, tt := range tests {
		if err := l.SetRemote(tt.addr, tt.pt, tt.dtmfPT); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := l.RemoteAddr(); got.IsValid() {
		t.Errorf("a rejected SetRemote set the remote to %v", got)
	}
	if _, err := e.NewPacketLeg(func([]byte) error { return nil }, 9, 0); !errors.Is(err, ErrBadCodec) {
		t.Errorf("packet leg with G.722: err = %v", err)
	}
	if _, err := e.NewPacketLeg(nil, 0, 0); err == nil {
		t.Error("packet leg without send accepted")
	}
}

func TestEngineConfig(t *testing.T) {
	bad := map[string]Config{
		"no IP":           {},
		"port below 1024": {IP: netip.MustParseAddr("127.0.0.1"), PortMin: 80, PortMax: 2000},
		"inverted range":  {IP: netip.MustParseAddr("127.0.0.1"), PortMin: 30000, PortMax: 20000},
		"too many":        {IP: netip.MustParseAddr("127.0.0.1"), Workers: 1000},
	}
	for name, cfg := range bad {
		if e, err := NewEngine(cfg); err == nil {
			e.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPortsRunOut(t *testing.T) {
	e, err := NewEngine(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 31990, PortMax: 31995, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var legs []*Leg
	for {
		l, err := e.NewRTPLeg()
		if err != nil {
			if !errors.Is(err, ErrNoPorts) {
				t.Fatalf("err = %v, want ErrNoPorts", err)
			}
			break
		}
		if p := l.LocalAddr().Port(); p%2 != 0 || p < 31990 || p > 31995 {
			t.Errorf("port %d outside the even ports of the range", p)
		}
		legs = append(legs, l)
	}
	if len(legs) == 0 || len(legs) > 3 {
		t.Fatalf("%d legs from a range of 3 even ports", len(legs))
	}
	legs[0].Close()
	if _, err := e.NewRTPLeg(); err != nil {
		t.Errorf("a closed leg's port was not reused: %v", err)
	}
}

func TestIPv6Legs(t *testing.T) {
	t.Parallel()
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer probe.Close()
	e, err := NewEngine(Config{IP: netip.MustParseAddr("::1"), PortMin: 26000, PortMax: 31999, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	l, err := e.NewRTPLeg()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetRemote(netip.MustParseAddrPort("127.0.0.1:4000"), 0, 0); err == nil {
		t.Error("an IPv4 remote on an IPv6 engine was accepted")
	}
	peerAddr := probe.LocalAddr().(*net.UDPAddr).AddrPort()
	if err := l.SetRemote(peerAddr, 0, 0); err != nil {
		t.Fatal(err)
	}
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1, SSRC: 1}, Payload: silenceFrame(PCMU)}).Marshal()
	if _, err := probe.WriteToUDPAddrPort(pkt, l.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	probe.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := probe.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if from.Port() != l.LocalAddr().Port() || n != 12+FrameSamples {
		t.Errorf("got %d bytes from %v", n, from)
	}
	waitStats(t, l, "the probe's packet", func(s Stats) bool { return s.PacketsIn == 1 })
}
