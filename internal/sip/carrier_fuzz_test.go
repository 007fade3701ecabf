package sip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/config"
)

// FuzzParseTrunk: any trunk settings either parse into a trunk whose
// registration is complete, or are refused with an error; never a panic.
func FuzzParseTrunk(f *testing.F) {
	f.Add("carrier", "198.51.100.0/28", "sip:sip.carrier.example:5060", "acct", "secret", true, int64(10*time.Minute), "", "+442079460100", "carrier.example")
	f.Add("pbx", "192.0.2.30", "sips:[2001:db8::1]:5061;transport=tls", "", "", false, int64(0), "sip:reg.example", "", "")
	f.Add("x", "::1", "", "u", "p", true, int64(0), "sip:reg.example;transport=tcp", "123", "[2001:db8::7]")
	f.Add("y", "bad", "http://x", "u", "", true, int64(-1), "sip:", "+", "a b")
	f.Fuzz(func(t *testing.T, name, source, outbound, user, pass string, register bool, expires int64, registrar, callerID, fromDomain string) {
		in := []config.Trunk{{
			Name: name, Sources: []string{source}, Outbound: outbound, Username: user, Password: pass,
			Register: register, RegisterExpires: time.Duration(expires), Registrar: registrar,
			CallerID: callerID, FromDomain: fromDomain,
		}}
		list, err := parseTrunks(in)
		if err != nil {
			if CheckTrunks(in) == nil {
				t.Fatal("CheckTrunks took what parseTrunks refused")
			}
			return
		}
		tr := list[0]
		if register && (tr.registrar == nil || tr.user == "" || tr.pass == "" || tr.expires < time.Second) {
			t.Fatalf("a registering trunk without what it needs: %+v", tr)
		}
		if !register && tr.registrar != nil {
			t.Fatal("a trunk that does not register has a registrar")
		}
		if tr.callerID != "" && strings.Trim(tr.callerID, "+0123456789") != "" {
			t.Fatalf("caller ID %q is not a number", tr.callerID)
		}
		if tr.registrar != nil {
			_ = uriHostPort(tr.registrar)
			_ = uriTransport(tr.registrar)
			_ = tr.regKey()
		}
	})
}

// FuzzGrantedExpires: whatever a registrar answers, the lifetime read is
// never negative; never a panic.
func FuzzGrantedExpires(f *testing.F) {
	head := "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1\r\nFrom: <sip:u@c>;tag=1\r\nTo: <sip:u@c>;tag=2\r\nCall-ID: x\r\nCSeq: 2 REGISTER\r\n"
	f.Add(head + "Contact: <sip:u@192.0.2.5:5060>;expires=120\r\nContent-Length: 0\r\n\r\n")
	f.Add(head + "Contact: <sip:a@198.51.100.1>;expires=900, <sip:u@192.0.2.5:5060>;expires=60\r\nExpires: 30\r\nContent-Length: 0\r\n\r\n")
	f.Add(head + "Expires: -5\r\nContent-Length: 0\r\n\r\n")
	f.Add(head + "Contact: *;expires=abc\r\nContent-Length: 0\r\n\r\n")
	l := &listener{network: "udp", host: "192.0.2.5", addr: netip.MustParseAddrPort("192.0.2.5:5060")}
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := sip.NewParser().ParseSIP([]byte(raw))
		if err != nil {
			return
		}
		res, ok := msg.(*sip.Response)
		if !ok {
			return
		}
		if got := grantedExpires(res, l, "u", 300*time.Second); got < 0 {
			t.Fatalf("granted %s", got)
		}
	})
}
