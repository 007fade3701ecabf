package sip

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
)

// udpRegistrar is a carrier's registrar played by the test on a loopback
// UDP socket, so the test sees each REGISTER as it arrives and answers
// when it chooses.
type udpRegistrar struct {
	t    *testing.T
	conn *net.UDPConn
}

func newUDPRegistrar(t *testing.T) *udpRegistrar {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpRegistrar{t: t, conn: c}
}

func (g *udpRegistrar) addr() string { return g.conn.LocalAddr().String() }

// next returns the next REGISTER that is not a retransmission of seen
// (nil: any), and where it came from.
func (g *udpRegistrar) next(seen *sip.Request) (*sip.Request, *net.UDPAddr) {
	g.t.Helper()
	buf := make([]byte, 65535)
	if err := g.conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		g.t.Fatal(err)
	}
	for {
		n, from, err := g.conn.ReadFromUDP(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			g.t.Fatal("no REGISTER")
		}
		if err != nil {
			g.t.Fatal(err)
		}
		msg, err := sip.NewParser().ParseSIP(append([]byte(nil), buf[:n]...))
		if err != nil {
			g.t.Fatalf("registrar got %q: %v", buf[:n], err)
		}
		req, ok := msg.(*sip.Request)
		if !ok || req.Method != sip.REGISTER {
			g.t.Fatalf("registrar got:\n%s", msg)
		}
		if seen != nil && req.CallID().Value() == seen.CallID().Value() && req.CSeq().SeqNo == seen.CSeq().SeqNo {
			continue // a retransmission
		}
		return req, from
	}
}

// ok answers req with 200, granting what it asked.
func (g *udpRegistrar) ok(req *sip.Request, to *net.UDPAddr) {
	g.t.Helper()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c := req.Contact(); c != nil {
		res.AppendHeader(c.Clone())
	}
	if _, err := g.conn.WriteToUDP([]byte(res.String()), to); err != nil {
		g.t.Fatal(err)
	}
}

func expiresOf(t *testing.T, req *sip.Request) string {
	t.Helper()
	h := req.GetHeader("Expires")
	if h == nil {
		t.Fatalf("REGISTER without Expires:\n%s", req)
	}
	return strings.TrimSpace(h.Value())
}

func registerWith(g *udpRegistrar, clk *clock.Fake, events observed) func(*Config) {
	return func(c *Config) {
		c.Trunks = []config.Trunk{{
			Name: "carrier", Sources: []string{"192.0.2.1/32"},
			Outbound: "sip:" + g.addr(), Username: "trunkuser", Password: "trunkpass", Register: true,
		}}
		c.Clock = clk
		c.observe = events.observe
	}
}

// earshot stops while its first REGISTER is unanswered: the carrier may
// have taken it, so earshot un-REGISTERs all the same.
func TestCarrierUnregistersARegisterCutShortByStop(t *testing.T) {
	g := newUDPRegistrar(t)
	events := make(observed, 32)
	h := newHarness(t, nil, registerWith(g, clock.NewFake(regStart), events))

	first, _ := g.next(nil)
	if got := expiresOf(t, first); got == "0" {
		t.Fatalf("first REGISTER has Expires: 0")
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		h.stop()
	}()
	un, from := g.next(first)
	if got := expiresOf(t, un); got != "0" {
		t.Fatalf("after the stop earshot sent REGISTER with Expires: %s, want 0", got)
	}
	g.ok(un, from)
	events.expect(t, "trunk-unregistered carrier")
	<-stopped
}

// A trunk whose registration settings change un-REGISTERs the old binding
// (its Call-ID, Expires: 0) before the new registration begins.
func TestCarrierUnregistersOnTrunkChange(t *testing.T) {
	g := newUDPRegistrar(t)
	events := make(observed, 32)
	h := newHarness(t, nil, registerWith(g, clock.NewFake(regStart), events))

	first, from := g.next(nil)
	g.ok(first, from)
	events.expect(t, "trunk-registered carrier")

	changed := []config.Trunk{{
		Name: "carrier", Sources: []string{"192.0.2.1/32"},
		Outbound: "sip:" + g.addr(), Username: "trunkuser", Password: "newpass", Register: true,
	}}
	if err := h.srv.SetTrunks(changed); err != nil {
		t.Fatal(err)
	}
	un, from := g.next(first)
	if got := expiresOf(t, un); got != "0" || un.CallID().Value() != first.CallID().Value() {
		t.Fatalf("after the change: REGISTER Call-ID %s Expires %s, want the old Call-ID %s with Expires 0",
			un.CallID().Value(), got, first.CallID().Value())
	}
	g.ok(un, from)
	events.expect(t, "trunk-unregistered carrier")

	again, from := g.next(un)
	if got := expiresOf(t, again); got == "0" || again.CallID().Value() == first.CallID().Value() {
		t.Fatalf("the new registration: Call-ID %s Expires %s, want a new Call-ID asking for a lifetime", again.CallID().Value(), got)
	}
	g.ok(again, from)
	events.expect(t, "trunk-registered carrier")

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		h.stop()
	}()
	last, from := g.next(again)
	if got := expiresOf(t, last); got != "0" {
		t.Fatalf("at stop: Expires %s, want 0", got)
	}
	g.ok(last, from)
	<-stopped
}
