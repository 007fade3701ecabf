package sip

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Stopping the server hangs up live calls with BYE.
func TestShutdownHangsUpLiveCalls(t *testing.T) {
	answered := make(chan *Call, 1)
	h := newHarness(t, func(c *Call) error {
		if err := c.Answer(); err != nil {
			return err
		}
		answered <- c
		return nil
	}, nil)
	p := startSipp(t, "uac_remote_bye.xml", "-s", "5551000", h.addr("udp"))
	var c *Call
	select {
	case c = <-answered:
	case <-time.After(wait):
		t.Fatal("not answered")
	}
	h.stop()
	if r := ended(t, c); r != EndShutdown {
		t.Errorf("end reason %s, want shutdown", r)
	}
	p.success() // sipp got the BYE
}

// While draining, new calls are refused and live ones go on; WaitIdle
// returns when the last one ends.
func TestDrainRefusesNewCalls(t *testing.T) {
	answered := make(chan *Call, 1)
	h := newHarness(t, func(c *Call) error {
		if err := c.Answer(); err != nil {
			return err
		}
		answered <- c
		return nil
	}, nil)
	live := startSipp(t, "uac_remote_bye.xml", "-s", "5551000", h.addr("udp"))
	var c *Call
	select {
	case c = <-answered:
	case <-time.After(wait):
		t.Fatal("not answered")
	}
	<-h.calls // the live call
	h.srv.Drain()
	if err := h.srv.WaitIdle(canceled()); err == nil {
		t.Error("WaitIdle returned with a live call")
	}
	idle := make(chan error, 1)
	go func() { idle <- h.srv.WaitIdle(dialCtx(t)) }()
	p := startSipp(t, "uac_503.xml", "-s", "5551000", h.addr("udp"))
	p.success()
	if _, err := h.srv.Dial(dialCtx(t), DialRequest{To: "user:alice"}); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("Dial while draining: %v", err)
	}
	select {
	case c := <-h.calls:
		t.Errorf("handler got call %s while draining", c.ID())
	default:
	}
	if r := c.EndReason(); r != NotEnded {
		t.Fatalf("live call ended while draining: %s", r)
	}
	c.Hangup()
	live.success()
	if err := <-idle; err != nil {
		t.Errorf("WaitIdle: %v", err)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// An INVITE without SDP gets earshot's offer in the 200, and the answer
// comes in the ACK; the same for a re-INVITE without SDP.
func TestLateOffer(t *testing.T) {
	h := newHarness(t, nil, nil)
	p := startSipp(t, "uac_late_offer.xml", "-s", "5551000", h.addr("udp"))
	c := h.nextCall()
	leg := c.Leg().(*fakeLeg)
	if r := ended(t, c); r != EndRemoteHangup {
		t.Errorf("end reason %s", r)
	}
	p.success()
	var remotes []string
	for len(leg.events) > 0 {
		if e := <-leg.events; strings.HasPrefix(e, "remote ") {
			remotes = append(remotes, e)
		}
	}
	if len(remotes) != 2 || !strings.HasSuffix(remotes[0], " 8 0") || !strings.HasSuffix(remotes[1], " 0 0") {
		t.Errorf("leg set to %q, want PCMA then PCMU", remotes)
	}
}

// A 2xx that is never ACKed is resent, then the call is hung up.
func TestNoACKHangsUp(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.t1 = 5 * time.Millisecond })
	probe := newUDPProbe(t, h.addr("udp"))
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
	probe.send(rawRequest("INVITE", probe.from(), "CSeq: 1 INVITE", "Contact: <sip:probe@"+probe.from()+">",
		"Content-Type: application/sdp", "Content-Length: "+strconv.Itoa(len(sdp))) + sdp)
	c := h.nextCall()
	oks := 0
	for {
		msg := probe.next()
		if strings.HasPrefix(msg, "SIP/2.0 200 OK") {
			oks++
			continue
		}
		if strings.HasPrefix(msg, "BYE ") {
			probe.send(okFor(msg))
			break
		}
		t.Fatalf("unexpected %q", statusLine(msg))
	}
	if oks < 2 {
		t.Errorf("200 sent %d times, want retransmissions", oks)
	}
	if r := ended(t, c); r != EndNoACK {
		t.Errorf("end reason %s, want no ACK", r)
	}
}

// okFor answers a request with 200, copying the headers that match it.
func okFor(req string) string {
	res := "SIP/2.0 200 OK\r\n"
	for _, line := range strings.Split(req, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(name) {
		case "via", "from", "to", "call-id", "cseq":
			res += line + "\r\n"
		}
	}
	return res + "Content-Length: 0\r\n\r\n"
}
