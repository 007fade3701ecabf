package loadgen

import (
	"encoding/binary"
	"net/netip"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openSocket binds a non-blocking UDP socket to ip:0 that stamps every
// datagram with its kernel receive time.
func openSocket(ip netip.Addr) (int, netip.AddrPort, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	fail := func(err error) (int, netip.AddrPort, error) {
		unix.Close(fd)
		return -1, netip.AddrPort{}, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ip.Unmap().As4()}); err != nil {
		return fail(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	port := sa.(*unix.SockaddrInet4).Port
	return fd, netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

const (
	batch  = 32
	oobLen = 64
)

// rxBatch holds the buffers of one recvmmsg call; it points into itself.
type rxBatch struct {
	msgs [batch]unix.Mmsghdr
	iovs [batch]unix.Iovec
	oobs [batch][oobLen]byte
	bufs [batch][1500]byte
}

func newRxBatch() *rxBatch {
	b := new(rxBatch)
	for i := range b.msgs {
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		h := &b.msgs[i].Hdr
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		h.Control = &b.oobs[i][0]
	}
	return b
}

func (b *rxBatch) recv(fd int) int {
	for i := range b.msgs {
		b.msgs[i].Hdr.SetControllen(oobLen)
		b.msgs[i].Hdr.Flags = 0
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.msgs[0])), batch, unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0
	}
	return int(n)
}

// rxTime returns the kernel receive timestamp of message i, in unix ns.
func (b *rxBatch) rxTime(i int) (int64, bool) {
	oob := b.oobs[i][:b.msgs[i].Hdr.Controllen]
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if h.Len < unix.SizeofCmsghdr || int(h.Len) > len(oob) {
			return 0, false
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && int(h.Len) >= unix.SizeofCmsghdr+16 {
			data := oob[unix.SizeofCmsghdr:]
			sec := int64(binary.NativeEndian.Uint64(data[0:]))
			nsec := int64(binary.NativeEndian.Uint64(data[8:]))
			return sec*1e9 + nsec, true
		}
		oob = oob[unix.CmsgSpace(int(h.Len)-unix.SizeofCmsghdr):]
	}
	return 0, false
}

// receive reads every stream's socket until stop (see readSockets).
func (g *gen) receive(stop chan struct{}) error {
	fds := make([]int, len(g.streams))
	for i, s := range g.streams {
		fds[i] = s.fd
	}
	return readSockets(stop, fds, func(fd int, pkt []byte, b *rxBatch, i int) { g.packet(g.byFD[fd], pkt, b, i) })
}

// packet handles one packet received by stream s.
func (g *gen) packet(s *stream, pkt []byte, b *rxBatch, i int) {
	if len(pkt) < 12+frameBytes {
		return
	}
	rx, ok := b.rxTime(i)
	if !ok {
		rx = time.Now().UnixNano()
	}
	payload := pkt[12:]
	if s.leg == 2 {
		g.listenerFrame(s, payload, rx)
		return
	}
	t, call, leg, ok := readStamp(payload)
	if !ok || call != s.call || leg == s.leg || t < g.measureFrom || t >= g.measureTo {
		return
	}
	g.received++
	g.fwd.add(time.Duration(rx - t))
}

// listenerFrame looks for the loud frame in a listener's mix.
func (g *gen) listenerFrame(s *stream, payload []byte, rx int64) {
	var sum int
	for _, c := range payload[stampBytes:] {
		sum += ulawAbs[c]
	}
	loud := sum/(len(payload)-stampBytes) > loudAbsLevel
	if loud && !g.listenerLoud[s.call] {
		if t := g.pulseSent[s.call].Load(); t >= g.measureFrom && rx > t && rx-t < int64(time.Second) {
			g.mixed.add(time.Duration(rx - t))
		}
	}
	g.listenerLoud[s.call] = loud
}

// ulawAbs is |decoded sample| of each µ-law code.
var ulawAbs [256]int

func init() {
	for i := range ulawAbs {
		u := ^byte(i)
		t := (int(u&0x0F) << 3) + 0x84
		t <<= (u & 0x70) >> 4
		ulawAbs[i] = t - 0x84
	}
}

// histogram counts latencies in 10 µs buckets up to 2 s.
type histogram struct {
	buckets [200000]uint32
	n       uint64
}

func (h *histogram) add(d time.Duration) {
	i := int(d / (10 * time.Microsecond))
	i = max(0, min(i, len(h.buckets)-1))
	h.buckets[i]++
	h.n++
}

func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	want := uint64(q * float64(h.n))
	var seen uint64
	for i, c := range h.buckets {
		seen += uint64(c)
		if seen > want {
			return time.Duration(i) * 10 * time.Microsecond
		}
	}
	return time.Duration(len(h.buckets)) * 10 * time.Microsecond
}
