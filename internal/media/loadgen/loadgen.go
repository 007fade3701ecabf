// Package loadgen loads an RTP relay with paced G.711 calls over loopback
// and measures what the relay costs and how late it delivers: server CPU
// per call-second, packet loss, and the latency the relay adds.
//
// Each call has two talking legs, each sending one 20 ms PCMU packet every
// 20 ms (streams spread evenly over the 20 ms), and optionally a third leg
// that listens to both (a mixed call: the relay must decode and mix). Every packet
// carries its send time, written as µ-law bytes close to silence, so a
// forwarded packet tells its own latency against the kernel's receive
// timestamp. A mix re-encodes audio and destroys the stamp, so the first
// leg also sends a loud frame every half second and the listener's latency
// is taken from when that frame comes back, loud, in the mix.
//
// The package does not know how calls are set up: Setup does that (an
// in-process engine, a child process, a SIP server), and CPU reads the
// server's CPU time, so the generator's own work is never counted.
package loadgen

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Config describes a load run.
type Config struct {
	// Calls is the number of concurrent calls.
	Calls int
	// Mixed, when n > 0, makes every n-th call (1: every call) a
	// three-leg call whose third leg hears the other two mixed.
	Mixed int
	// Warmup runs before measuring (default 1 s); Duration is measured
	// (default 5 s).
	Warmup, Duration time.Duration
	// IP is the generator's address (default 127.0.0.1).
	IP netip.Addr
	// Setup creates call i on the server. legs are the generator's
	// addresses for the call's legs (two, or three for a mixed call:
	// first talker, second talker, listener); it returns, in the same
	// order, the server addresses each leg sends to. Required.
	Setup func(call int, legs []netip.AddrPort) ([]netip.AddrPort, error)
	// CPU returns the server's CPU time (user + system) used so far.
	// Required.
	CPU func() (time.Duration, error)
}

// Result is what a run measured over its measured window.
type Result struct {
	Calls, Mixed int
	Window       time.Duration
	ServerCPU    time.Duration
	// CPUPerCallSecond is server CPU in µs per second of one call.
	CPUPerCallSecond float64
	// Sent and Received count forwarded packets (talker to talker).
	Sent, Received uint64
	// Loss is the fraction of Sent never received.
	Loss float64
	// P50 and P99 are the latency the server added to forwarded packets.
	P50, P99 time.Duration
	// MixedP50 and MixedP95 are the latency added on the way into a mix,
	// from MixedSamples loud frames.
	MixedP50, MixedP95 time.Duration
	MixedSamples       int
	// GeneratorCPU is this process's CPU time over the window (the load
	// generator's own cost, plus anything else the process runs).
	GeneratorCPU time.Duration
	// MachineCPU is the whole machine's busy time over the window, from
	// /proc/stat: server, generator, kernel threads and anything else
	// running. It shows that no work was moved where CPU above cannot see
	// it (kernel threads, softirqs).
	MachineCPU time.Duration
}

// String formats the result on one line.
func (r Result) String() string {
	s := fmt.Sprintf("%d calls: %.0f µs CPU per call-second, loss %.3f%%, forwarded p50 %.2f ms p99 %.2f ms",
		r.Calls, r.CPUPerCallSecond, 100*r.Loss, ms(r.P50), ms(r.P99))
	if r.MixedSamples > 0 {
		s += fmt.Sprintf(", mixed p50 %.1f ms p95 %.1f ms (%d samples)", ms(r.MixedP50), ms(r.MixedP95), r.MixedSamples)
	}
	s += fmt.Sprintf(" (generator %.0f%% of a core, machine %.0f%%)", 100*r.GeneratorCPU.Seconds()/r.Window.Seconds(), 100*r.MachineCPU.Seconds()/r.Window.Seconds())
	return s
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

const (
	frameBytes   = 160
	framePeriod  = 20 * time.Millisecond
	sendSlots    = 10 // the 20 ms are cut in 2 ms slots
	pulseEvery   = 25 // frames between loud frames on a mixed call
	stampBytes   = 2 + 2*13
	loudAbsLevel = 8000 // mean |sample| above which a received frame is the pulse
)

// stream is one generator leg.
type stream struct {
	fd     int
	call   int
	leg    int // 0, 1 talkers; 2 listener
	to     unix.SockaddrInet4
	seq    uint16
	ts     uint32
	frames int
	pulse  bool // sends the loud frames (first talker of a mixed call)
}

// Run sets up cfg.Calls calls, runs them for Warmup plus Duration, and
// returns what it measured. It closes its sockets before returning; the
// server's calls are left for the caller to end.
func Run(cfg Config) (Result, error) {
	if cfg.Calls <= 0 || cfg.Setup == nil || cfg.CPU == nil {
		return Result{}, errors.New("loadgen: Calls, Setup and CPU are required")
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = time.Second
	}
	if cfg.Duration == 0 {
		cfg.Duration = 5 * time.Second
	}
	if !cfg.IP.IsValid() {
		cfg.IP = netip.MustParseAddr("127.0.0.1")
	}
	if !cfg.IP.Unmap().Is4() {
		return Result{}, errors.New("loadgen: IPv4 only")
	}
	g := &gen{cfg: cfg, pulseSent: make([]atomic.Int64, cfg.Calls), listenerLoud: make([]bool, cfg.Calls)}
	defer g.close()
	for i := range cfg.Calls {
		if err := g.setupCall(i); err != nil {
			return Result{}, err
		}
	}
	return g.run()
}

type gen struct {
	cfg     Config
	streams []*stream
	byFD    map[int]*stream

	start, measureFrom, measureTo int64 // unix ns
	sent                          atomic.Uint64
	pulseSent                     []atomic.Int64 // per call: send time of the last loud frame

	// receiver-owned
	fwd          histogram
	mixed        histogram
	received     uint64
	listenerLoud []bool
}

func (g *gen) setupCall(i int) error {
	n := 2
	if g.cfg.Mixed > 0 && i%g.cfg.Mixed == 0 {
		n = 3
	}
	var local []netip.AddrPort
	var made []*stream
	for leg := range n {
		fd, addr, err := openSocket(g.cfg.IP)
		if err != nil {
			return fmt.Errorf("loadgen: call %d: %w", i, err)
		}
		s := &stream{fd: fd, call: i, leg: leg, seq: uint16(i * 7), ts: uint32(i) * 1000, pulse: n == 3 && leg == 0}
		g.streams = append(g.streams, s)
		made = append(made, s)
		local = append(local, addr)
	}
	remote, err := g.cfg.Setup(i, local)
	if err != nil {
		return fmt.Errorf("loadgen: set up call %d: %w", i, err)
	}
	if len(remote) != n {
		return fmt.Errorf("loadgen: set up call %d: %d server addresses for %d legs", i, len(remote), n)
	}
	for k, s := range made {
		if s.to, err = inet4(remote[k]); err != nil {
			return fmt.Errorf("loadgen: call %d: %w", i, err)
		}
	}
	return nil
}

// inet4 is the socket address of a server's IPv4 leg.
func inet4(a netip.AddrPort) (unix.SockaddrInet4, error) {
	if !a.Addr().Unmap().Is4() {
		return unix.SockaddrInet4{}, fmt.Errorf("server address %v is not IPv4", a)
	}
	return unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().Unmap().As4()}, nil
}

func (g *gen) close() {
	for _, s := range g.streams {
		unix.Close(s.fd)
	}
}

func (g *gen) run() (Result, error) {
	g.byFD = make(map[int]*stream, len(g.streams))
	for _, s := range g.streams {
		g.byFD[s.fd] = s
	}
	now := time.Now()
	g.start = now.UnixNano()
	g.measureFrom = now.Add(g.cfg.Warmup).UnixNano()
	g.measureTo = now.Add(g.cfg.Warmup + g.cfg.Duration).UnixNano()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	rerr := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); rerr <- g.receive(stop) }()
	wg.Add(1)
	go func() { defer wg.Done(); g.send(time.Unix(0, g.measureTo)) }()

	time.Sleep(time.Until(time.Unix(0, g.measureFrom)))
	gen0, mach0 := selfCPU(), machineCPU()
	cpu0, err := g.cfg.CPU()
	if err != nil {
		close(stop)
		wg.Wait()
		return Result{}, fmt.Errorf("loadgen: read server CPU: %w", err)
	}
	time.Sleep(time.Until(time.Unix(0, g.measureTo)))
	gen1, mach1 := selfCPU(), machineCPU()
	cpu1, err := g.cfg.CPU()
	if err != nil {
		close(stop)
		wg.Wait()
		return Result{}, fmt.Errorf("loadgen: read server CPU: %w", err)
	}
	time.Sleep(200 * time.Millisecond) // the last packets' way back
	close(stop)
	wg.Wait()
	if err := <-rerr; err != nil {
		return Result{}, err
	}
	window := time.Duration(g.measureTo - g.measureFrom)
	r := Result{
		Calls:            g.cfg.Calls,
		Mixed:            g.cfg.Mixed,
		Window:           window,
		ServerCPU:        cpu1 - cpu0,
		CPUPerCallSecond: float64((cpu1 - cpu0).Microseconds()) / (float64(g.cfg.Calls) * window.Seconds()),
		Sent:             g.sent.Load(),
		Received:         g.received,
		P50:              g.fwd.quantile(0.50),
		P99:              g.fwd.quantile(0.99),
		MixedP50:         g.mixed.quantile(0.50),
		MixedP95:         g.mixed.quantile(0.95),
		MixedSamples:     int(g.mixed.n),
		GeneratorCPU:     gen1 - gen0,
		MachineCPU:       mach1 - mach0,
	}
	if r.Sent > 0 && r.Received < r.Sent {
		r.Loss = float64(r.Sent-r.Received) / float64(r.Sent)
	}
	return r, nil
}

// send paces every stream at 50 packets a second until end.
func (g *gen) send(end time.Time) {
	pace(end, len(g.streams), func(i int, pkt []byte) { g.sendOne(g.streams[i], pkt) })
}

func (g *gen) sendOne(s *stream, pkt []byte) {
	s.seq++
	s.ts += frameBytes
	s.frames++
	pkt[0], pkt[1] = 0x80, 0
	pkt[2], pkt[3] = byte(s.seq>>8), byte(s.seq)
	pkt[4], pkt[5], pkt[6], pkt[7] = byte(s.ts>>24), byte(s.ts>>16), byte(s.ts>>8), byte(s.ts)
	ssrc := uint32(s.call)<<2 | uint32(s.leg)
	pkt[8], pkt[9], pkt[10], pkt[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	payload := pkt[12:]
	for i := range payload {
		payload[i] = 0xFF
	}
	loud := s.pulse && s.frames%pulseEvery == 0
	if loud {
		for i := stampBytes; i < len(payload); i++ {
			payload[i] = byte(i&1) << 7 // 0x00 and 0x80: ±full scale
		}
	}
	now := time.Now().UnixNano()
	putStamp(payload, now, s.call, s.leg)
	if err := unix.Sendto(s.fd, pkt, unix.MSG_DONTWAIT, &s.to); err != nil {
		return
	}
	if loud && now >= g.measureFrom {
		g.pulseSent[s.call].Store(now)
	}
	if s.leg < 2 && now >= g.measureFrom && now < g.measureTo {
		g.sent.Add(1)
	}
}

// putStamp writes the send time, call and leg as nibbles under a µ-law
// code near silence (0xF0–0xFF), so they survive forwarding and barely
// sound in a mix.
func putStamp(p []byte, t int64, call, leg int) {
	p[0], p[1] = 0xFA, 0xF5
	var v [13]byte
	for i := range 8 {
		v[i] = byte(t >> (56 - 8*i))
	}
	v[8], v[9], v[10], v[11] = byte(call>>24), byte(call>>16), byte(call>>8), byte(call)
	v[12] = byte(leg)
	for i, b := range v {
		p[2+2*i] = 0xF0 | b>>4
		p[3+2*i] = 0xF0 | b&0x0F
	}
}

func readStamp(p []byte) (t int64, call, leg int, ok bool) {
	if len(p) < stampBytes || p[0] != 0xFA || p[1] != 0xF5 {
		return 0, 0, 0, false
	}
	var v [13]byte
	for i := range v {
		hi, lo := p[2+2*i], p[3+2*i]
		if hi&0xF0 != 0xF0 || lo&0xF0 != 0xF0 {
			return 0, 0, 0, false
		}
		v[i] = hi<<4 | lo&0x0F
	}
	for i := range 8 {
		t = t<<8 | int64(v[i])
	}
	call = int(v[8])<<24 | int(v[9])<<16 | int(v[10])<<8 | int(v[11])
	return t, call, int(v[12]), true
}

func selfCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU returns the time all CPUs spent busy since boot (0 if
// /proc/stat cannot be read).
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, x := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, _ := strconv.ParseInt(x, 10, 64)
		busy += v
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

// ProcessCPU returns a CPU function for Config that reads the user and
// system time of process pid from /proc (in clock ticks of 10 ms).
func ProcessCPU(pid int) func() (time.Duration, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	return func() (time.Duration, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		// Fields after the command name (which may hold spaces) in ")".
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			return 0, fmt.Errorf("%s: no command name", path)
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 13 {
			return 0, fmt.Errorf("%s: %d fields", path, len(f))
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		return time.Duration(utime+stime) * 10 * time.Millisecond, nil
	}
}
