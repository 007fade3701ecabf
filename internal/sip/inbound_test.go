package sip

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// expectEvent waits for a leg event starting with prefix and returns it.
func expectEvent(t *testing.T, l *fakeLeg, prefix string) string {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e := <-l.events:
			if strings.HasPrefix(e, prefix) {
				return e
			}
		case <-deadline:
			t.Fatalf("no leg event %q", prefix)
			return ""
		}
	}
}

func TestInboundCallCallerHangsUp(t *testing.T) {
	for _, transport := range []string{"u1", "t1"} {
		t.Run(transport, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			network := "udp"
			if transport == "t1" {
				network = "tcp"
			}
			p := startSipp(t, "uac_call.xml", "-t", transport, "-s", "5551000", h.addr(network))
			c := h.nextCall()
			if c.DID() != "5551000" || c.Caller() != "+15550001111" || c.CallerName() != "Carrier" {
				t.Errorf("call DID %q caller %q name %q", c.DID(), c.Caller(), c.CallerName())
			}
			if c.Trunk() != "carrier" || c.Direction() != Inbound {
				t.Errorf("trunk %q direction %s", c.Trunk(), c.Direction())
			}
			if r := ended(t, c); r != EndRemoteHangup {
				t.Errorf("end reason %s, want remote hangup", r)
			}
			p.success()
			leg := c.Leg().(*fakeLeg)
			remote, pt, dtmf, _ := leg.snapshot()
			if pt != 0 || dtmf != 101 || remote.Addr().String() != "127.0.0.1" || remote.Port() == 0 {
				t.Errorf("leg remote %s pt %d dtmf %d", remote, pt, dtmf)
			}
			if !leg.isClosed() {
				t.Error("leg not closed")
			}
		})
	}
}

func TestInboundCallEarshotHangsUp(t *testing.T) {
	answered := make(chan *Call, 1)
	h := newHarness(t, func(c *Call) error {
		if err := c.Ringing(); err != nil {
			return err
		}
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
	if err := c.Answer(); err != ErrAnswered {
		t.Errorf("second Answer: %v, want ErrAnswered", err)
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	if r := ended(t, c); r != EndLocalHangup {
		t.Errorf("end reason %s", r)
	}
	p.success()
	if err := c.Hangup(); err != nil {
		t.Errorf("Hangup on an ended call: %v", err)
	}
	if err := c.Answer(); err != ErrCallEnded {
		t.Errorf("Answer on an ended call: %v", err)
	}
}

func TestInboundCancelBeforeAnswer(t *testing.T) {
	h := newHarness(t, func(c *Call) error { return c.Ringing() }, nil)
	p := startSipp(t, "uac_cancel.xml", "-s", "5551000", h.addr("udp"))
	c := h.nextCall()
	if r := ended(t, c); r != EndCancelled {
		t.Errorf("end reason %s, want cancelled", r)
	}
	p.success()
	if !c.Leg().(*fakeLeg).isClosed() {
		t.Error("leg not released")
	}
	if err := c.Answer(); err != ErrCallEnded {
		t.Errorf("Answer after CANCEL: %v", err)
	}
}

func TestInboundRefusals(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		handler  func(*Call) error
		extra    []string
		reached  bool // the handler sees the call
	}{
		{name: "unknown number", scenario: "uac_404.xml", handler: func(*Call) error { return fmt.Errorf("no queue: %w", ErrUnknownNumber) }, reached: true},
		{name: "unknown source", scenario: "uac_403.xml", extra: []string{"-i", "127.0.0.2"}},
		{name: "no common codec", scenario: "uac_488.xml"},
		{name: "malformed SDP", scenario: "uac_400_sdp.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.handler, nil)
			args := append([]string{"-s", "5551000"}, tt.extra...)
			args = append(args, h.addr("udp"))
			p := startSipp(t, tt.scenario, args...)
			p.success()
			if tt.reached {
				c := h.nextCall()
				if r := ended(t, c); r != EndRejected {
					t.Errorf("end reason %s", r)
				}
			} else {
				select {
				case c := <-h.calls:
					t.Errorf("handler got call %s", c.ID())
				default:
				}
			}
			if n := h.srv.ActiveCalls(); n != 0 {
				t.Errorf("%d calls left", n)
			}
		})
	}
}

func TestInboundHoldAndResume(t *testing.T) {
	h := newHarness(t, nil, nil)
	p := startSipp(t, "uac_hold.xml", "-s", "5551000", h.addr("udp"))
	c := h.nextCall()
	leg := c.Leg().(*fakeLeg)
	if r := ended(t, c); r != EndRemoteHangup {
		t.Errorf("end reason %s", r)
	}
	p.success()
	_, pt, _, holds := leg.snapshot()
	if fmt.Sprint(holds) != "[true false]" {
		t.Errorf("holds %v, want [true false]", holds)
	}
	if pt != 0 {
		t.Errorf("payload type %d", pt)
	}
}

func TestOptions(t *testing.T) {
	h := newHarness(t, nil, nil)
	p := startSipp(t, "uac_options.xml", h.addr("udp"))
	p.success()
}

func TestHandlerErrorsMapToResponses(t *testing.T) {
	tests := []struct {
		err  error
		code int
	}{
		{fmt.Errorf("x: %w", ErrUnknownNumber), 404},
		{ErrBusy, 486},
		{fmt.Errorf("queue full: %w", ErrUnavailable), 503},
		{ErrShuttingDown, 503},
		{fmt.Errorf("database down"), 500},
	}
	for _, tt := range tests {
		if code, _ := handlerResponse(tt.err); code != tt.code {
			t.Errorf("%v: %d, want %d", tt.err, code, tt.code)
		}
	}
}
