package phonetest

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Latency records how long stamped packets took to arrive.
type Latency struct {
	mu   sync.Mutex // guards on and d
	on   bool
	d    []time.Duration
	pkt  rtp.Packet
	seen int
}

// Record starts (true) or stops (false) keeping arrival delays.
func (l *Latency) Record(on bool) {
	l.mu.Lock()
	l.on = on
	l.mu.Unlock()
}

func (l *Latency) hear(b []byte) {
	now := time.Now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on || l.pkt.Unmarshal(b) != nil || l.pkt.PayloadType != 0 || len(l.pkt.Payload) < 8 {
		return
	}
	sent := int64(binary.BigEndian.Uint64(l.pkt.Payload))
	if sent <= 0 || sent > now {
		return // comfort silence or a tone, not a stamped packet
	}
	l.d = append(l.d, time.Duration(now-sent))
	l.seen++
}

// Percentiles returns the delays at the given percentiles (0–100) and how
// many packets were recorded.
func (l *Latency) Percentiles(ps ...float64) ([]time.Duration, int) {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	slices.Sort(d)
	out := make([]time.Duration, len(ps))
	if len(d) == 0 {
		return out, 0
	}
	for i, p := range ps {
		out[i] = d[min(len(d)-1, int(p/100*float64(len(d))))]
	}
	return out, len(d)
}

// StartStamped is Start for load tests: every 20 ms the page sends a PCMU
// packet whose payload begins with its send time, and what it receives is
// timed into lat.
func (p *Page) StartStamped(lat *Latency) {
	p.t.Helper()
	p.start(lat.hear)
	m := &Mouth{stop: make(chan struct{}), done: make(chan struct{})}
	p.mouth = m
	go func() {
		defer close(m.done)
		tick := time.NewTicker(frameTime)
		defer tick.Stop()
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: rand.Uint32()}, Payload: make([]byte, frame)}
		for i := range pkt.Payload {
			pkt.Payload[i] = 0xFF // µ-law silence after the stamp
		}
		buf := make([]byte, 12+frame)
		for i := 0; ; i++ {
			pkt.SequenceNumber = uint16(i)
			pkt.Timestamp = uint32(i * frame)
			binary.BigEndian.PutUint64(pkt.Payload, uint64(time.Now().UnixNano()))
			if n, err := pkt.MarshalTo(buf); err == nil {
				p.track.Write(buf[:n])
			}
			select {
			case <-tick.C:
			case <-m.stop:
				return
			}
		}
	}()
}
