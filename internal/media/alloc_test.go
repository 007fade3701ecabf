package media

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// The packet path does not allocate: real sockets, both receive and send
// paths, forwarding and mixing, counted over many ticks.
func TestPacketPathDoesNotAllocate(t *testing.T) {
	for _, noURing := range []bool{false, true} {
		s := newSim(t)
		s.e.cfg.noURing = noURing
		if noURing {
			for _, w := range s.e.workers {
				if w.ring != nil {
					w.ring.close()
					w.ring = nil
				}
			}
		}
		// Three peers on raw sockets nobody reads (the kernel keeps what
		// the engine sends), so the test itself allocates nothing.
		var fds [3]int
		var legs [3]*Leg
		var to [3]unix.SockaddrInet4
		for i := range 3 {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
				t.Fatal(err)
			}
			sa, _ := unix.Getsockname(fd)
			fds[i] = fd
			l, err := s.e.NewRTPLeg()
			if err != nil {
				t.Fatal(err)
			}
			if err := l.SetRemote(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sa.(*unix.SockaddrInet4).Port)), 0, 0); err != nil {
				t.Fatal(err)
			}
			legs[i] = l
			to[i] = unix.SockaddrInet4{Port: int(l.LocalAddr().Port()), Addr: [4]byte{127, 0, 0, 1}}
		}
		r := s.e.NewRoom()
		for _, l := range legs {
			r.Add(l)
		}
		r.SetHearing(Hearing{legs[0].id: {legs[1].id}, legs[1].id: {legs[0].id}, legs[2].id: {legs[0].id, legs[1].id}})
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: silenceFrame(PCMU)}).Marshal()
		var seq uint16
		var buf [1500]byte
		var got [3]int
		frame := func() {
			seq++
			binary.BigEndian.PutUint16(pkt[2:], seq)
			binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*FrameSamples)
			for i := range 3 {
				unix.Sendto(fds[i], pkt, 0, &to[i])
			}
			s.step(2)
			for i := range 3 { // keep the peers' queues short
				for {
					n, _, _ := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fds[i]), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), unix.MSG_DONTWAIT, 0, 0)
					if int(n) <= 0 {
						break
					}
					got[i]++
				}
			}
		}
		for range 10 {
			frame() // latch, connect, warm up
		}
		if n := testing.AllocsPerRun(200, frame); n > 0 {
			t.Errorf("noURing=%v: %.1f allocations per frame", noURing, n)
		}
		for i, n := range got {
			if n < 200 {
				t.Errorf("noURing=%v: peer %d received %d packets", noURing, i, n)
			}
		}
	}
}
