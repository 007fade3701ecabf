package sip

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// goPhone is a SIP phone built on sipgo's own user agent, over loopback
// UDP: it registers with digest auth and rings, answering or not.
type goPhone struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	client *sipgo.Client
	addr   string
	port   int
	events chan string // "invite", "cancel", "ack", "bye"
}

func newGoPhone(t *testing.T, answer bool) *goPhone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("gophone"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	addr := "127.0.0.1:" + strconv.Itoa(port)
	client, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	p := &goPhone{t: t, ua: ua, client: client, addr: addr, port: port, events: make(chan string, 16)}

	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		p.events <- "invite"
		inv := req.Clone()
		inv.To().Params.Add("tag", "phone"+strconv.Itoa(port))
		tx.OnCancel(func(*sip.Request) { p.events <- "cancel" })
		if err := tx.Respond(sip.NewResponseFromRequest(inv, 180, "Ringing", nil)); err != nil {
			return
		}
		if !answer {
			<-tx.Done()
			return
		}
		body := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
			strconv.Itoa(40000+port%1000) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		res := sip.NewResponseFromRequest(inv, 200, "OK", []byte(body))
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: port}})
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
		tx.Respond(res)
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { p.events <- "ack" })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.events <- "bye"
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	ready := newReadyPacketConn(pc)
	go srv.ServeUDP(ready)
	<-ready.ready
	t.Cleanup(func() { ua.Close(); pc.Close() })
	return p
}

// register registers this phone as user at server, with digest auth.
func (p *goPhone) register(server string, user, password string, expires int) *sip.Response {
	p.t.Helper()
	return p.registerWith(server, user, password, func(req *sip.Request) {
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}})
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	})
}

// registerWith sends a REGISTER for user that mod completes (Contact,
// Expires), answers a challenge with password, and returns the final
// response.
func (p *goPhone) registerWith(server string, user, password string, mod func(*sip.Request)) *sip.Response {
	p.t.Helper()
	res, _ := p.registerChallenge(server, user, password, mod, nil)
	return res
}

// registerChallenge is registerWith that also returns the request and the
// challenge, and can run between (e.g. to move a clock).
func (p *goPhone) registerChallenge(server string, user, password string, mod func(*sip.Request), between func()) (*sip.Response, *sip.Request) {
	p.t.Helper()
	host, portStr, _ := net.SplitHostPort(server)
	port, _ := strconv.Atoi(portStr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: user, Host: host}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(sip.NewHeader("User-Agent", "gophone"))
	if mod != nil {
		mod(req)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("REGISTER: %v", err)
	}
	if res.StatusCode != 401 {
		return res, req
	}
	if between != nil {
		between()
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		p.t.Fatalf("REGISTER with auth: %v", err)
	}
	return res, req
}

// expect waits for event e.
func (p *goPhone) expect(e string) {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case got := <-p.events:
			if got == e {
				return
			}
		case <-deadline:
			p.t.Fatalf("phone %s: no %q", p.addr, e)
		}
	}
}

func (p *goPhone) String() string { return fmt.Sprintf("phone %s", p.addr) }
