package callflow

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/tonecheck"
)

// listen records what the phone receives (PCMU payloads, decoded) until
// it has n frames, as samples for tonecheck. It may run on a goroutine of
// its own.
func (p *phone) listen(n int) ([]float64, error) {
	var buf [1500]byte
	var out []float64
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n*media.FrameSamples {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the phone got %d frames of %d", len(out)/media.FrameSamples, n)
		}
		p.conn.SetReadDeadline(deadline)
		k, _, err := p.conn.ReadFromUDP(buf[:])
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			continue
		} else if err != nil {
			return nil, err
		}
		if k != 12+media.FrameSamples || buf[1]&0x7f != 0 {
			continue
		}
		for _, b := range buf[12:k] {
			out = append(out, float64(media.DecodeSample(media.PCMU, b))/32768)
		}
	}
	return out, nil
}

// loudest is the highest level of freq over 100 ms windows of samples.
func loudest(samples []float64, freq float64) float64 {
	top := -200.0
	const win = 800
	for i := 0; i+win <= len(samples); i += win / 2 {
		top = max(top, tonecheck.Level(samples[i:i+win], 8000, freq))
	}
	return top
}

// talk sends a frame of near-silence from each phone every 20 ms until
// ctx ends, so every leg's stream flows.
func talk(ctx context.Context, phones ...*phone) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for _, p := range phones {
				p.send(0xfe)
			}
		}
	}
}

// TestAssistNoticeToPhoneAgent: when an assist starts on an agent on a
// SIP phone, the agent hears two short beeps; the customer does not.
func TestAssistNoticeToPhoneAgent(t *testing.T) {
	r := newRig(t)
	r.call()
	r.flow.mu.Lock()
	r.flow.calls["c1"].parties["alice"].sipPhone = true
	r.flow.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := r.phoneOf("alice")
	go talk(ctx, r.cust, alice)

	var a, c []float64
	var errA, errC error
	done := make(chan struct{}, 2)
	go func() { a, errA = alice.listen(75); done <- struct{}{} }()
	go func() { c, errC = r.cust.listen(75); done <- struct{}{} }()
	r.assist("sam")
	<-done
	<-done
	if errA != nil || errC != nil {
		t.Fatalf("agent: %v; customer: %v", errA, errC)
	}
	la, lc := loudest(a, noticeFreq), loudest(c, noticeFreq)
	t.Logf("notice level: agent %.1f dBFS, customer %.1f dBFS", la, lc)
	if la < -40 {
		t.Errorf("the agent did not hear the notice (%.1f dBFS)", la)
	}
	if la > -15 {
		t.Errorf("the notice is not quiet (%.1f dBFS)", la)
	}
	if lc > -50 {
		t.Errorf("the customer heard the notice (%.1f dBFS)", lc)
	}
	r.waitFor("the notice to end", func() bool {
		r.flow.mu.Lock()
		defer r.flow.mu.Unlock()
		return r.flow.calls["c1"].notice == nil
	})
	r.waitHearing("listen", map[string][]string{"customer": {"alice"}, "alice": {"customer"}, "sam": {"customer", "alice"}})
}

// TestNoNoticeToWebAgent: an agent on the web client is told on the page,
// so no beeps join the call.
func TestNoNoticeToWebAgent(t *testing.T) {
	r := newRig(t)
	r.call()
	r.assist("sam")
	r.flow.mu.Lock()
	defer r.flow.mu.Unlock()
	if r.flow.calls["c1"].notice != nil {
		t.Fatal("a web agent got the phone's notice")
	}
}
