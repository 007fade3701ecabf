package loadgen

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/earshot/earshot/internal/tonecheck"
	"golang.org/x/sys/unix"
)

// RoomsConfig describes a load run of mixed rooms: every participant
// talks, and hears the mix of all the others and never itself.
type RoomsConfig struct {
	// Rooms is the number of concurrent rooms; Parties the participants
	// in each (2–5; default 3).
	Rooms, Parties int
	// Warmup runs before measuring (default 1 s); Duration is measured
	// (default 5 s).
	Warmup, Duration time.Duration
	// IP is the generator's address (default 127.0.0.1).
	IP netip.Addr
	// Setup creates room i on the server. legs are the generator's
	// addresses of the room's participants; it returns, in the same
	// order, the server address each participant sends to. Required.
	Setup func(room int, legs []netip.AddrPort) ([]netip.AddrPort, error)
	// CPU returns the server's CPU time (user + system) used so far.
	// Required.
	CPU func() (time.Duration, error)
}

// PartyTones are the participants' tones in Hz, in the order of a room's
// legs: the customer, agent, supervisor, second supervisor and listener
// tones of the acceptance tests.
var PartyTones = []float64{440, 1000, 1700, 2300, 2900}

// partyLevel is each participant's tone amplitude (−16.5 dBFS): low
// enough that the mix of four never looks like the loud marker frame, high
// enough that a tone in a mix at half gain (−22.5 dBFS) still reads well
// above tonecheck.HeardThreshold when a busy machine delays some frames.
const partyLevel = 0.15

// loudMixLevel is the mean |sample| above which a received mix frame holds
// the marker frame (full scale) rather than tones alone.
const loudMixLevel = 12000

// toneSeconds of audio per participant are kept for the hearing check.
const toneSeconds = 1

// RoomsResult is what a rooms run measured over its measured window.
type RoomsResult struct {
	Rooms, Parties int
	Window         time.Duration
	ServerCPU      time.Duration
	// CPUPerParticipantSecond is server CPU in µs per second of one
	// participant.
	CPUPerParticipantSecond float64
	// Expected is how many mix packets the participants should have
	// received in the window (50 a second each); Received how many came,
	// and Gaps how many sequence numbers were skipped between them.
	Expected, Received, Gaps uint64
	// Loss is the fraction of Expected that never arrived: the larger of
	// the sequence gaps and the shortfall in count.
	Loss float64
	// MixedP50 and MixedP95 are the latency from the send of a loud frame
	// by the room's first participant to its arrival in another's mix,
	// from MixedSamples loud frames.
	MixedP50, MixedP95 time.Duration
	MixedSamples       int
	// HeardMin is the lowest level (dBFS) of a tone that should be heard,
	// over every participant; UnheardMax the highest level of one that
	// should not (a participant's own tone). Checked counts the
	// participants whose audio was checked, and HearingErrors says which
	// were wrong (at most a few lines).
	HeardMin, UnheardMax float64
	Checked              int
	HearingErrors        []string
	// SelfLoud counts loud frames that came back to their own sender: a
	// participant hearing itself.
	SelfLoud int
	// GeneratorCPU and MachineCPU are as in Result.
	GeneratorCPU, MachineCPU time.Duration
	// LoadAverage is the machine's 1-minute load average at the end.
	LoadAverage string
}

// String formats the result on one line.
func (r RoomsResult) String() string {
	s := fmt.Sprintf("%d rooms × %d: %.0f µs CPU per participant-second, loss %.3f%% (%d/%d received, %d gaps), mixed p50 %.1f ms p95 %.1f ms (%d samples); tones heard ≥ %.1f dBFS, own ≤ %.1f dBFS over %d participants",
		r.Rooms, r.Parties, r.CPUPerParticipantSecond, 100*r.Loss, r.Received, r.Expected, r.Gaps,
		ms(r.MixedP50), ms(r.MixedP95), r.MixedSamples, r.HeardMin, r.UnheardMax, r.Checked)
	if n := len(r.HearingErrors); n > 0 {
		s += fmt.Sprintf(", %d HEARING ERRORS (%s)", n, strings.Join(r.HearingErrors, "; "))
	}
	if r.SelfLoud > 0 {
		s += fmt.Sprintf(", %d frames came back to their sender", r.SelfLoud)
	}
	s += fmt.Sprintf(" (generator %.0f%% of a core, machine %.0f%%, load average %s)",
		100*r.GeneratorCPU.Seconds()/r.Window.Seconds(), 100*r.MachineCPU.Seconds()/r.Window.Seconds(), r.LoadAverage)
	return s
}

// party is one generator participant: what it sends and what it heard.
type party struct {
	fd    int
	room  int
	idx   int // position in the room; the tone is PartyTones[idx]
	to    unix.SockaddrInet4
	seq   uint16
	ts    uint32
	frame int

	// receiver-owned
	rxCount    uint64
	gaps       uint64
	lastSeq    uint16
	seenSeq    bool
	loud       bool
	heard      []int16 // decoded audio of the first toneSeconds of the window
	heardUntil int64   // unix ns: stop keeping audio received after this
}

type roomGen struct {
	cfg     RoomsConfig
	parties []*party
	byFD    map[int]*party
	tones   [][]byte // per room position: one second of µ-law tone

	start, measureFrom, measureTo int64
	pulseSent                     []atomic.Int64 // per room: send time of the last loud frame

	mixed    histogram // receiver-owned
	selfLoud int       // receiver-owned
}

// RunRooms sets up cfg.Rooms rooms of cfg.Parties participants, runs them
// for Warmup plus Duration, and returns what it measured. Every
// participant sends its own tone (PartyTones) as paced 20 ms PCMU packets;
// the first of each room replaces one frame in 25 by a full-scale one, to
// time the way through the mix. It closes its sockets before returning;
// the server's rooms are left for the caller to end.
func RunRooms(cfg RoomsConfig) (RoomsResult, error) {
	if cfg.Parties == 0 {
		cfg.Parties = 3
	}
	if cfg.Rooms <= 0 || cfg.Setup == nil || cfg.CPU == nil {
		return RoomsResult{}, errors.New("loadgen: Rooms, Setup and CPU are required")
	}
	if cfg.Parties < 2 || cfg.Parties > len(PartyTones) {
		return RoomsResult{}, fmt.Errorf("loadgen: %d parties per room (want 2–%d)", cfg.Parties, len(PartyTones))
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = time.Second
	}
	if cfg.Duration == 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.Duration < toneSeconds*time.Second {
		return RoomsResult{}, fmt.Errorf("loadgen: duration %v is shorter than the %d s the hearing check needs", cfg.Duration, toneSeconds)
	}
	if !cfg.IP.IsValid() {
		cfg.IP = netip.MustParseAddr("127.0.0.1")
	}
	if !cfg.IP.Unmap().Is4() {
		return RoomsResult{}, errors.New("loadgen: IPv4 only")
	}
	g := &roomGen{cfg: cfg, pulseSent: make([]atomic.Int64, cfg.Rooms)}
	for i := range cfg.Parties {
		g.tones = append(g.tones, toneULaw(PartyTones[i], partyLevel))
	}
	defer g.close()
	for i := range cfg.Rooms {
		if err := g.setupRoom(i); err != nil {
			return RoomsResult{}, err
		}
	}
	return g.run()
}

func (g *roomGen) setupRoom(i int) error {
	var local []netip.AddrPort
	var made []*party
	for k := range g.cfg.Parties {
		fd, addr, err := openSocket(g.cfg.IP)
		if err != nil {
			return fmt.Errorf("loadgen: room %d: %w", i, err)
		}
		p := &party{fd: fd, room: i, idx: k, seq: uint16(i*11 + k), ts: uint32(i)*1000 + uint32(k)*7}
		g.parties = append(g.parties, p)
		made = append(made, p)
		local = append(local, addr)
	}
	remote, err := g.cfg.Setup(i, local)
	if err != nil {
		return fmt.Errorf("loadgen: set up room %d: %w", i, err)
	}
	if len(remote) != len(made) {
		return fmt.Errorf("loadgen: set up room %d: %d server addresses for %d participants", i, len(remote), len(made))
	}
	for k, p := range made {
		if p.to, err = inet4(remote[k]); err != nil {
			return fmt.Errorf("loadgen: room %d: %w", i, err)
		}
	}
	return nil
}

func (g *roomGen) close() {
	for _, p := range g.parties {
		unix.Close(p.fd)
	}
}

func (g *roomGen) run() (RoomsResult, error) {
	g.byFD = make(map[int]*party, len(g.parties))
	for _, p := range g.parties {
		g.byFD[p.fd] = p
	}
	now := time.Now()
	g.start = now.UnixNano()
	g.measureFrom = now.Add(g.cfg.Warmup).UnixNano()
	g.measureTo = now.Add(g.cfg.Warmup + g.cfg.Duration).UnixNano()
	for _, p := range g.parties {
		p.heard = make([]int16, 0, toneSeconds*8000)
		p.heardUntil = g.measureFrom + int64(toneSeconds*time.Second)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	rerr := make(chan error, 1)
	wg.Add(2)
	go func() { defer wg.Done(); rerr <- g.receive(stop) }()
	go func() { defer wg.Done(); g.send(time.Unix(0, g.measureTo)) }()

	time.Sleep(time.Until(time.Unix(0, g.measureFrom)))
	gen0, mach0 := selfCPU(), machineCPU()
	cpu0, err0 := g.cfg.CPU()
	time.Sleep(time.Until(time.Unix(0, g.measureTo)))
	gen1, mach1 := selfCPU(), machineCPU()
	cpu1, err1 := g.cfg.CPU()
	time.Sleep(300 * time.Millisecond) // the last packets' way back through the mixers
	close(stop)
	wg.Wait()
	if err := errors.Join(err0, err1); err != nil {
		return RoomsResult{}, fmt.Errorf("loadgen: read server CPU: %w", err)
	}
	if err := <-rerr; err != nil {
		return RoomsResult{}, err
	}
	window := time.Duration(g.measureTo - g.measureFrom)
	n := len(g.parties)
	r := RoomsResult{
		Rooms:                   g.cfg.Rooms,
		Parties:                 g.cfg.Parties,
		Window:                  window,
		ServerCPU:               cpu1 - cpu0,
		CPUPerParticipantSecond: float64((cpu1 - cpu0).Microseconds()) / (float64(n) * window.Seconds()),
		Expected:                uint64(n) * uint64(window/framePeriod),
		MixedP50:                g.mixed.quantile(0.50),
		MixedP95:                g.mixed.quantile(0.95),
		MixedSamples:            int(g.mixed.n),
		SelfLoud:                g.selfLoud,
		GeneratorCPU:            gen1 - gen0,
		MachineCPU:              mach1 - mach0,
		LoadAverage:             loadAverage(),
		HeardMin:                math.Inf(1),
		UnheardMax:              math.Inf(-1),
	}
	for _, p := range g.parties {
		r.Received += p.rxCount
		r.Gaps += p.gaps
	}
	short := uint64(0)
	if r.Received < r.Expected {
		short = r.Expected - r.Received
	}
	if r.Expected > 0 {
		r.Loss = float64(max(short, r.Gaps)) / float64(r.Expected)
	}
	g.checkHearing(&r)
	return r, nil
}

// checkHearing measures, in each participant's kept audio, every tone of
// its room: the others' must be heard, its own must not.
func (g *roomGen) checkHearing(r *RoomsResult) {
	samples := make([]float64, 0, toneSeconds*8000)
	for _, p := range g.parties {
		samples = samples[:0]
		for _, s := range p.heard {
			samples = append(samples, float64(s)/32768)
		}
		r.Checked++
		var wrong []string
		for k := range g.cfg.Parties {
			level := tonecheck.Level(samples, 8000, PartyTones[k])
			if k == p.idx {
				r.UnheardMax = max(r.UnheardMax, level)
				if tonecheck.Heard(level) {
					wrong = append(wrong, fmt.Sprintf("hears itself at %.1f dBFS", level))
				}
				continue
			}
			r.HeardMin = min(r.HeardMin, level)
			if !tonecheck.Heard(level) {
				wrong = append(wrong, fmt.Sprintf("%g Hz at %.1f dBFS", PartyTones[k], level))
			}
		}
		if len(wrong) > 0 && len(r.HearingErrors) < 5 {
			r.HearingErrors = append(r.HearingErrors, fmt.Sprintf("room %d participant %d (%d samples): %s", p.room, p.idx, len(p.heard), strings.Join(wrong, ", ")))
		}
	}
}

// send paces every participant at 50 packets a second until end.
func (g *roomGen) send(end time.Time) {
	pace(end, len(g.parties), func(i int, pkt []byte) { g.sendOne(g.parties[i], pkt) })
}

func (g *roomGen) sendOne(p *party, pkt []byte) {
	p.seq++
	p.ts += frameBytes
	p.frame++
	pkt[0], pkt[1] = 0x80, 0
	pkt[2], pkt[3] = byte(p.seq>>8), byte(p.seq)
	pkt[4], pkt[5], pkt[6], pkt[7] = byte(p.ts>>24), byte(p.ts>>16), byte(p.ts>>8), byte(p.ts)
	ssrc := uint32(p.room)<<3 | uint32(p.idx)
	pkt[8], pkt[9], pkt[10], pkt[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	payload := pkt[12:]
	loud := p.idx == 0 && p.frame%pulseEvery == 0
	if loud {
		for i := range payload {
			payload[i] = byte(i&1) << 7 // 0x00 and 0x80: ±full scale
		}
	} else {
		tone := g.tones[p.idx]
		off := (p.frame * frameBytes) % len(tone)
		copy(payload, tone[off:off+frameBytes])
	}
	now := time.Now().UnixNano()
	if err := unix.Sendto(p.fd, pkt, unix.MSG_DONTWAIT, &p.to); err != nil {
		return
	}
	if loud && now >= g.measureFrom {
		g.pulseSent[p.room].Store(now)
	}
}

// receive reads every participant's socket until stop (see readSockets).
func (g *roomGen) receive(stop chan struct{}) error {
	fds := make([]int, len(g.parties))
	for i, p := range g.parties {
		fds[i] = p.fd
	}
	return readSockets(stop, fds, func(fd int, pkt []byte, b *rxBatch, i int) { g.mixPacket(g.byFD[fd], pkt, b, i) })
}

// mixPacket handles one mix packet received by participant p.
func (g *roomGen) mixPacket(p *party, pkt []byte, b *rxBatch, i int) {
	if len(pkt) < 12+frameBytes || pkt[0]>>6 != 2 || pkt[1]&0x7F != 0 {
		return
	}
	rx, ok := b.rxTime(i)
	if !ok {
		rx = time.Now().UnixNano()
	}
	payload := pkt[12 : 12+frameBytes]
	var sum int
	for _, c := range payload {
		sum += ulawAbs[c]
	}
	loud := sum/frameBytes > loudMixLevel
	if loud && !p.loud {
		if p.idx == 0 {
			g.selfLoud++
		} else if t := g.pulseSent[p.room].Load(); t >= g.measureFrom && rx > t && rx-t < int64(time.Second) {
			g.mixed.add(time.Duration(rx - t))
		}
	}
	p.loud = loud
	if rx < g.measureFrom || rx >= g.measureTo {
		return
	}
	seq := uint16(pkt[2])<<8 | uint16(pkt[3])
	if p.seenSeq {
		if d := seq - p.lastSeq; d > 1 && d < 1000 {
			p.gaps += uint64(d - 1)
		}
	}
	p.seenSeq, p.lastSeq = true, seq
	p.rxCount++
	if rx < p.heardUntil && !loud && len(p.heard)+frameBytes <= cap(p.heard) {
		for _, c := range payload {
			p.heard = append(p.heard, ulawLinear[c])
		}
	}
}

// ulawLinear is the decoded sample of each µ-law code.
var ulawLinear [256]int16

func init() {
	for i := range ulawLinear {
		v := int16(ulawAbs[i])
		if i&0x80 == 0 {
			v = -v
		}
		ulawLinear[i] = v
	}
}

// toneULaw returns one second of a sine at freq Hz and amplitude level
// (fraction of full scale) in µ-law; a whole number of Hz makes it loop
// without a click.
func toneULaw(freq, level float64) []byte {
	out := make([]byte, 8000)
	for i := range out {
		s := level * 32767 * math.Sin(2*math.Pi*freq*float64(i)/8000)
		out[i] = linearToULaw(int16(math.Round(s)))
	}
	return out
}

// linearToULaw encodes one 16-bit sample as G.711 µ-law.
func linearToULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	v := int(s)
	sign := byte(0)
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, clip) + bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0F
	return ^(sign | byte(exp<<4) | byte(mant))
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
