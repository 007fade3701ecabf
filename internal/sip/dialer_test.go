package sip

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/dialplan"
)

// trunkTo points the harness's trunk at a sipp UAS and gives it a plan.
func trunkTo(t *testing.T, outbound string, user, pass string) func(*Config) {
	return func(c *Config) {
		c.Trunks = []config.Trunk{{
			Name: "carrier", Sources: []string{"127.0.0.1/32"},
			Outbound: "sip:" + outbound, Username: user, Password: pass,
		}}
		plan, err := dialplan.Compile([]string{"+1555XXXXXXX", "sip:*@127.0.0.1"}, []string{"+1555999XXXX"})
		if err != nil {
			t.Fatal(err)
		}
		c.DialPlan = plan
	}
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func TestDialNumberThroughTrunk(t *testing.T) {
	p := startSipp(t, "uas_answer.xml")
	h := newHarness(t, nil, trunkTo(t, p.addr(), "", ""))
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "+1 555 010 0200", From: "+15550009999", Headers: map[string]string{"X-Earshot-Assist": "1"}})
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.report())
	}
	if c.Direction() != Outbound || c.Trunk() != "carrier" || c.DID() != "+1 555 010 0200" || c.Caller() != "+15550009999" {
		t.Errorf("call %s trunk %q DID %q caller %q", c.Direction(), c.Trunk(), c.DID(), c.Caller())
	}
	remote, pt, _, _ := c.Leg().(*fakeLeg).snapshot()
	if pt != 0 || remote.Addr().String() != "127.0.0.1" {
		t.Errorf("leg remote %s pt %d", remote, pt)
	}
	if err := c.Answer(); !errors.Is(err, ErrAnswered) {
		t.Errorf("Answer on an outbound call: %v", err)
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	if r := ended(t, c); r != EndLocalHangup {
		t.Errorf("end reason %s", r)
	}
	p.success()
	msgs := p.messages()
	if !strings.Contains(msgs, "INVITE sip:+15550100200@127.0.0.1") || !strings.Contains(msgs, "X-Earshot-Assist: 1") {
		t.Errorf("sipp did not see the expected INVITE:\n%s", msgs)
	}
}

func TestDialTrunkDigestAuth(t *testing.T) {
	p := startSipp(t, "uas_auth.xml")
	h := newHarness(t, nil, trunkTo(t, p.addr(), "trunkuser", "trunkpass"))
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "+15550100201"})
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.report())
	}
	_, pt, dtmf, _ := c.Leg().(*fakeLeg).snapshot()
	if pt != 8 || dtmf != 101 {
		t.Errorf("answer gave pt %d dtmf %d, want PCMA and 101", pt, dtmf)
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	ended(t, c)
	p.success()
}

func TestDialRingTimeoutCancels(t *testing.T) {
	p := startSipp(t, "uas_noanswer.xml")
	h := newHarness(t, nil, trunkTo(t, p.addr(), "", ""))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := h.srv.Dial(ctx, DialRequest{To: "+15550100202"})
	if !errors.Is(err, ErrNoAnswer) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial: %v, want ErrNoAnswer and DeadlineExceeded", err)
	}
	p.success() // it saw CANCEL, answered 487 and got the ACK
}

func TestDialBusy(t *testing.T) {
	p := startSipp(t, "uas_busy.xml")
	h := newHarness(t, nil, trunkTo(t, p.addr(), "", ""))
	_, err := h.srv.Dial(dialCtx(t), DialRequest{To: "+15550100203"})
	var re *ResponseError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &re) || re.Code != 486 {
		t.Fatalf("Dial: %v, want ErrBusy with 486", err)
	}
	p.success()
}

// A target the dial plan refuses never reaches the wire: the sipp UAS sees
// only the allowed call that follows.
func TestDialPlanRefusesBeforeAnySIP(t *testing.T) {
	p := startSipp(t, "uas_answer.xml")
	h := newHarness(t, nil, trunkTo(t, p.addr(), "", ""))
	refused := []struct {
		to   string
		want error
	}{
		{"+15559990000", dialplan.ErrForbidden},
		{"+442079460000", dialplan.ErrForbidden},
		{"sip:mallory@203.0.113.9", dialplan.ErrForbidden},
		{"1-800-FLOWERS", dialplan.ErrInvalid},
	}
	for _, r := range refused {
		if _, err := h.srv.Dial(dialCtx(t), DialRequest{To: r.to}); !errors.Is(err, r.want) {
			t.Errorf("Dial %q: %v, want %v", r.to, err, r.want)
		}
	}
	if h.media.open() != 0 || len(h.media.made) != 0 {
		t.Error("a refused dial made a media leg")
	}
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "+15550100204"})
	if err != nil {
		t.Fatalf("allowed Dial: %v", err)
	}
	c.Hangup()
	ended(t, c)
	p.success()
	if n := strings.Count(p.messages(), "INVITE sip:"); n != 1 {
		t.Errorf("sipp received %d INVITEs, want 1:\n%s", n, p.messages())
	}
}

func TestDialRequestChecks(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) {
		c.Trunks = []config.Trunk{{Name: "in-only", Sources: []string{"127.0.0.1"}}}
		plan, _ := dialplan.Compile([]string{"+1555XXXXXXX"}, nil)
		c.DialPlan = plan
	})
	tests := []struct {
		req  DialRequest
		want error
	}{
		{DialRequest{To: "+15550100205"}, ErrNoTrunk},
		{DialRequest{To: "user:nobody"}, ErrNotRegistered},
		{DialRequest{To: "user:"}, ErrInvalidTarget},
		{DialRequest{To: "+15550100205", Headers: map[string]string{"Via": "x"}}, ErrInvalidTarget},
		{DialRequest{To: "+15550100205", Headers: map[string]string{"X-A": "a\r\nVia: evil"}}, ErrInvalidTarget},
		{DialRequest{To: "+15550100205", Headers: map[string]string{"Bad Name": "x"}}, ErrInvalidTarget},
		{DialRequest{To: "+15550100205", From: "evil\"\r\n"}, ErrInvalidTarget},
	}
	for _, tt := range tests {
		if _, err := h.srv.Dial(dialCtx(t), tt.req); !errors.Is(err, tt.want) {
			t.Errorf("Dial %+v: %v, want %v", tt.req, err, tt.want)
		}
	}
	h2 := newHarness(t, nil, nil) // no dial plan: nothing but users
	if _, err := h2.srv.Dial(dialCtx(t), DialRequest{To: "+15550100205"}); !errors.Is(err, ErrInvalidTarget) {
		t.Errorf("Dial without a plan: %v", err)
	}
}

// Dialling a user rings every registered phone; the first to answer wins
// and the other is cancelled.
func TestDialRegisteredUserForks(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) {
		c.Users = passwords{"alice": "wonderland"}
	})
	answering := newGoPhone(t, true)
	ringing := newGoPhone(t, false)
	for _, p := range []*goPhone{answering, ringing} {
		if res := p.register(h.addr("udp"), "alice", "wonderland", 300); res.StatusCode != 200 {
			t.Fatalf("%s: REGISTER %d", p, res.StatusCode)
		}
	}
	if n := len(h.srv.Contacts("alice")); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "user:alice", From: "Queue Sales"})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	ringing.expect("cancel")
	answering.expect("ack")
	if c.Trunk() != "" || c.Caller() != "earshot" || c.CallerName() != "Queue Sales" {
		t.Errorf("trunk %q caller %q name %q", c.Trunk(), c.Caller(), c.CallerName())
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	answering.expect("bye")
	ended(t, c)
}

// passwords is a Credentials from a map.
type passwords map[string]string

func (p passwords) SIPPassword(user string) (string, bool) {
	pw, ok := p[user]
	return pw, ok
}

// A hang-up with a reason tells the far end why, in the BYE's Reason
// header; quotes and control characters in the reason are left out.
func TestHangupBecause(t *testing.T) {
	p := startSipp(t, "uas_answer.xml")
	h := newHarness(t, nil, trunkTo(t, p.addr(), "", ""))
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "+15550100200", From: "+15550009999"})
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.report())
	}
	if err := c.HangupBecause("The customer hung up \"now\"\r\nX-Evil: 1"); err != nil {
		t.Fatal(err)
	}
	if r := ended(t, c); r != EndLocalHangup {
		t.Errorf("end reason %s", r)
	}
	p.success()
	msgs := p.messages()
	if !strings.Contains(msgs, `Reason: SIP;cause=200;text="The customer hung up nowX-Evil: 1"`) || strings.Contains(msgs, "\nX-Evil") {
		t.Errorf("sipp did not see the BYE's Reason:\n%s", msgs)
	}
}
