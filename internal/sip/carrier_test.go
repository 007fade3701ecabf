package sip

import (
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/clock"
	"github.com/earshot/earshot/internal/config"
)

var regStart = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// registerAt points the harness's one trunk at a sipp registrar, with a
// fake clock and registration events.
func registerAt(t *testing.T, p *sipp, clk *clock.Fake, events observed) func(*Config) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sipp:\n%s", p.report())
		}
	})
	registrar := p.addr()
	return func(c *Config) {
		c.Trunks = []config.Trunk{{
			Name: "carrier", Sources: []string{"192.0.2.1/32"},
			Outbound: "sip:" + registrar, Username: "trunkuser", Password: "trunkpass", Register: true,
		}}
		c.Clock = clk
		c.observe = events.observe
	}
}

func onlyRegistration(t *testing.T, s *Server) TrunkRegistration {
	t.Helper()
	regs := s.Registrations()
	if len(regs) != 1 {
		t.Fatalf("Registrations: %+v, want one", regs)
	}
	return regs[0]
}

// A carrier's registrar challenges; earshot answers with the trunk's
// credentials, refreshes at half the granted 120 s (on the fake clock),
// and un-REGISTERs when it stops. While registered, INVITEs from the
// registrar's address count as the trunk's.
func TestCarrierRegisterRefreshUnregister(t *testing.T) {
	p := startSipp(t, "uas_register.xml")
	clk := clock.NewFake(regStart)
	events := make(observed, 32)
	h := newHarness(t, nil, registerAt(t, p, clk, events))

	events.expect(t, "trunk-registered carrier")
	r := onlyRegistration(t, h.srv)
	if r.State != RegRegistered || !r.Expires.Equal(regStart.Add(120*time.Second)) || !r.NextAttempt.Equal(regStart.Add(60*time.Second)) {
		t.Errorf("after registering: %+v, want registered, expiring in 120s, refreshed in 60s", r)
	}
	if tr := h.srv.trunkFor(netip.MustParseAddr("127.0.0.1")); tr == nil || tr.name != "carrier" {
		t.Errorf("INVITE from the registrar's address: trunk %v, want carrier", tr)
	}
	if tr := h.srv.trunkFor(netip.MustParseAddr("127.0.0.2")); tr != nil {
		t.Errorf("INVITE from another address: trunk %q, want none", tr.name)
	}

	clk.Advance(59 * time.Second)
	if got := onlyRegistration(t, h.srv); !got.Expires.Equal(r.Expires) {
		t.Errorf("refreshed early: %+v", got)
	}
	clk.Advance(time.Second)
	events.expect(t, "trunk-registered carrier")
	r = onlyRegistration(t, h.srv)
	if now := regStart.Add(60 * time.Second); !r.Expires.Equal(now.Add(120*time.Second)) || !r.Since.Equal(regStart) {
		t.Errorf("after the refresh: %+v", r)
	}

	h.stop()
	events.expect(t, "trunk-unregistered carrier")
	p.success()
	if tr := h.srv.trunkFor(netip.MustParseAddr("127.0.0.1")); tr != nil {
		t.Errorf("after un-REGISTER the registrar's address is still trunk %q", tr.name)
	}
}

// A registrar that answers 503 first: the state says so with the reason
// and the retry time, and the retry 30 s later registers.
func TestCarrierRegisterRetriesAfterFailure(t *testing.T) {
	p := startSipp(t, "uas_register_retry.xml")
	clk := clock.NewFake(regStart)
	events := make(observed, 32)
	h := newHarness(t, nil, registerAt(t, p, clk, events))

	events.expect(t, "trunk-failed carrier")
	r := onlyRegistration(t, h.srv)
	if r.State != RegFailed || !strings.Contains(r.Reason, "503") || !r.NextAttempt.Equal(regStart.Add(regRetryFirst)) {
		t.Errorf("after a 503: %+v, want failed with 503, retried in %s", r, regRetryFirst)
	}
	if tr := h.srv.trunkFor(netip.MustParseAddr("127.0.0.1")); tr != nil {
		t.Errorf("not registered, yet the registrar's address is trunk %q", tr.name)
	}
	clk.Advance(regRetryFirst)
	events.expect(t, "trunk-registered carrier")
	r = onlyRegistration(t, h.srv)
	if now := regStart.Add(regRetryFirst); r.State != RegRegistered || r.Reason != "" || !r.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("after the retry: %+v, want registered for the granted hour", r)
	}
	h.stop()
	events.expect(t, "trunk-unregistered carrier")
	p.success()
}

// SetTrunks takes effect for the next INVITE; the call already up keeps
// going and ends normally. A list that does not parse changes nothing.
func TestSetTrunksWhileACallIsUp(t *testing.T) {
	h := newHarness(t, nil, nil)
	p := startSipp(t, "uac_remote_bye.xml", "-s", "5551000", h.addr("udp"))
	c := h.nextCall()

	if err := h.srv.SetTrunks([]config.Trunk{{Name: "carrier", Sources: []string{"192.0.2.0/24"}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
		t.Fatal("the call in progress ended when the trunks changed")
	default:
	}
	if c.Trunk() != "carrier" {
		t.Errorf("call trunk %q", c.Trunk())
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	if r := ended(t, c); r != EndLocalHangup {
		t.Errorf("end reason %s", r)
	}
	p.success()

	// 127.0.0.1 is no longer a source: refused.
	startSipp(t, "uac_403.xml", "-s", "5551000", h.addr("udp")).success()

	bad := []config.Trunk{{Name: "carrier", Sources: []string{"not-an-address"}}}
	if err := h.srv.SetTrunks(bad); err == nil {
		t.Fatal("SetTrunks took a bad source")
	}
	if err := CheckTrunks(bad); err == nil {
		t.Fatal("CheckTrunks took a bad source")
	}
	if tr := h.srv.trunkFor(netip.MustParseAddr("192.0.2.9")); tr == nil {
		t.Error("a refused list replaced the one in force")
	}

	// Back again: 127.0.0.1 is accepted at once.
	if err := h.srv.SetTrunks([]config.Trunk{{Name: "pbx", Sources: []string{"127.0.0.1"}}}); err != nil {
		t.Fatal(err)
	}
	p = startSipp(t, "uac_call.xml", "-s", "5551000", h.addr("udp"))
	c = h.nextCall()
	if c.Trunk() != "pbx" {
		t.Errorf("new call trunk %q, want pbx", c.Trunk())
	}
	ended(t, c)
	p.success()
}

// Calls placed through a trunk with caller_id present it as the From user
// (and P-Asserted-Identity), at from_domain, whatever the call's own
// caller ID; the sipp carrier refuses any other.
func TestDialTrunkCallerID(t *testing.T) {
	p := startSipp(t, "uas_callerid.xml")
	h := newHarness(t, nil, func(c *Config) {
		trunkTo(t, p.addr(), "", "")(c)
		c.Trunks[0].CallerID = "+15550100999"
		c.Trunks[0].FromDomain = "carrier.example"
	})
	c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "+15550100201", From: "Sam Supervisor"})
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.report())
	}
	if c.Caller() != "+15550100999" {
		t.Errorf("caller %q", c.Caller())
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	ended(t, c)
	p.success()
}

func TestGrantedExpires(t *testing.T) {
	l := &listener{network: "udp", host: "192.0.2.5", addr: netip.MustParseAddrPort("192.0.2.5:5060")}
	parse := func(raw string) *sip.Response {
		t.Helper()
		msg, err := sip.NewParser().ParseSIP([]byte(strings.ReplaceAll(raw, "\n", "\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		return msg.(*sip.Response)
	}
	head := "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1\nFrom: <sip:u@c>;tag=1\nTo: <sip:u@c>;tag=2\nCall-ID: x\nCSeq: 2 REGISTER\n"
	for _, tc := range []struct {
		name, headers string
		want          time.Duration
	}{
		{"ours among others", "Contact: <sip:other@198.51.100.1>;expires=900\nContact: <sip:u@192.0.2.5:5060>;expires=120\n", 120 * time.Second},
		{"only contact", "Contact: <sip:u@203.0.113.1:5060>;expires=90\n", 90 * time.Second},
		{"expires header", "Expires: 600\n", 600 * time.Second},
		{"nothing", "", 300 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := parse(head + tc.headers + "Content-Length: 0\n\n")
			if got := grantedExpires(res, l, "u", 300*time.Second); got != tc.want {
				t.Errorf("granted %s, want %s", got, tc.want)
			}
		})
	}
}

// A registrar that answers 423 Interval Too Brief gets a REGISTER for its
// Min-Expires at once.
func TestCarrierRegisterIntervalTooBrief(t *testing.T) {
	p := startSipp(t, "uas_register_423.xml")
	clk := clock.NewFake(regStart)
	events := make(observed, 32)
	h := newHarness(t, nil, registerAt(t, p, clk, events))
	events.expect(t, "trunk-registered carrier")
	if r := onlyRegistration(t, h.srv); r.State != RegRegistered || !r.Expires.Equal(regStart.Add(time.Hour)) {
		t.Errorf("after the 423: %+v", r)
	}
	h.stop()
	events.expect(t, "trunk-unregistered carrier")
	p.success()
}

// A registering trunk's carrier sends calls to the Contact earshot
// registered, so the Request-URI user is the trunk's username: the
// dialled number comes from To, and the call is routed (sipp gets 200).
func TestCarrierCallToRegisteredContact(t *testing.T) {
	p := startSipp(t, "uas_register_invite.xml")
	clk := clock.NewFake(regStart)
	events := make(observed, 32)
	h := newHarness(t, nil, func(c *Config) {
		registerAt(t, p, clk, events)(c)
		c.Trunks[0].Sources = []string{"127.0.0.1/32"} // the INVITE may beat the 200's processing
	})
	c := h.nextCall()
	if c.DID() != "+442079460100" || c.Trunk() != "carrier" {
		t.Errorf("call on trunk %q to DID %q, want carrier to +442079460100 (the number in To)", c.Trunk(), c.DID())
	}
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	ended(t, c)
	h.stop()
	events.expect(t, "trunk-unregistered carrier")
	p.success()
}

func TestDIDOf(t *testing.T) {
	registering := &trunk{name: "carrier", user: "trunkuser", registrar: &sip.Uri{Scheme: "sip", Host: "192.0.2.1"}}
	numberUser := &trunk{name: "carrier", user: "+442079460100", registrar: &sip.Uri{Scheme: "sip", Host: "192.0.2.1"}}
	plain := &trunk{name: "pbx", user: "trunkuser"}
	for _, tc := range []struct {
		name     string
		tr       *trunk
		ruri, to string
		want     string
	}{
		{"registered Contact", registering, "trunkuser", "+442079460101", "+442079460101"},
		{"number in the Request-URI", registering, "+442079460102", "+442079460101", "+442079460102"},
		{"username is a number", numberUser, "+442079460100", "+442079460101", "+442079460101"},
		{"no number in the Request-URI", registering, "earshot", "02079460101", "02079460101"},
		{"neither a number", registering, "earshot", "sales", "earshot"},
		{"empty Request-URI user", plain, "", "+442079460101", "+442079460101"},
		{"trunk that does not register", plain, "trunkuser", "+442079460101", "trunkuser"},
		{"known: registered Contact, To a DID", registering, "trunkuser", "+442079460101", "+442079460101"},
		{"known: a DID in the Request-URI wins", numberUser, "+442079460100", "+448001234567", "+442079460100"},
		{"known: a named DID in the Request-URI wins", registering, "sales", "+442079460101", "sales"},
		{"known: To no DID", registering, "trunkuser", "+449999999999", "trunkuser"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: tc.ruri, Host: "192.0.2.5"})
			req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: tc.to, Host: "192.0.2.5"}, Params: sip.NewParams()})
			var known func(string) bool
			if strings.HasPrefix(tc.name, "known: ") {
				dids := map[string]bool{"+442079460100": true, "+442079460101": true, "sales": true}
				known = func(n string) bool { return dids[n] }
			}
			if got := didOf(req, tc.tr, known); got != tc.want {
				t.Errorf("DID %q, want %q", got, tc.want)
			}
		})
	}
}

// Two trunk changes in a row: B waits for A's un-REGISTER; B is stopped
// while it waits, and still ends only after A has, so C (waiting on B)
// never REGISTERs while A's Expires: 0 is in flight.
func TestRegistrationStoppedWhileWaitingForTheOldOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &registration{quit: make(chan struct{}), done: make(chan struct{})}
		b := &registration{srv: &Server{ready: make(chan struct{})}, quit: make(chan struct{}), done: make(chan struct{}), kick: make(chan struct{}, 1)}
		go b.run(a.done)
		b.stop()
		synctest.Wait() // B has taken the stop and is blocked, or has ended
		select {
		case <-b.done:
			t.Fatal("B ended while A was still un-REGISTERing")
		default:
		}
		close(a.done)
		<-b.done
	})
}

// INVITEs from a registrar's address count as its trunk's only while the
// binding it granted is in force (a failed refresh keeps it until it
// lapses), and when two trunks register at one carrier the first trunk
// in the list takes them, every time.
func TestTrunkFromRegistrar(t *testing.T) {
	clk := clock.NewFake(regStart)
	s := &Server{cfg: Config{Clock: clk}}
	cs := newCarriers(s)
	list := []trunk{{name: "second"}, {name: "first"}}
	registrar := netip.MustParseAddr("198.51.100.7")
	for i := range list {
		r := &registration{tr: &list[i]}
		r.bind(registrar, regStart.Add(120*time.Second))
		cs.regs[list[i].name] = r
	}
	for range 20 {
		if tr := cs.trunkFrom(netip.MustParseAddr("::ffff:198.51.100.7"), list); tr == nil || tr.name != "second" {
			t.Fatalf("trunk %v, want the first in the list (second)", tr)
		}
	}
	if tr := cs.trunkFrom(netip.MustParseAddr("198.51.100.8"), list); tr != nil {
		t.Errorf("another address: trunk %q", tr.name)
	}
	// The refresh at 60 s fails: the binding holds until 120 s.
	cs.regs["second"].set(func(st *TrunkRegistration) { st.State = RegFailed })
	clk.Advance(119 * time.Second)
	if tr := cs.trunkFrom(registrar, list); tr == nil || tr.name != "second" {
		t.Errorf("before the binding lapses: trunk %v, want second", tr)
	}
	clk.Advance(time.Second)
	if tr := cs.trunkFrom(registrar, list); tr != nil {
		t.Errorf("after the binding lapsed: trunk %q, want none", tr.name)
	}
	cs.regs["first"].bind(registrar, regStart.Add(time.Hour))
	if tr := cs.trunkFrom(registrar, list); tr == nil || tr.name != "first" {
		t.Errorf("with only first bound: trunk %v, want first", tr)
	}
	cs.regs["first"].bind(netip.Addr{}, time.Time{}) // un-REGISTERed
	if tr := cs.trunkFrom(registrar, list); tr != nil {
		t.Errorf("after the un-REGISTER: trunk %q, want none", tr.name)
	}
}
