package sip

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/srtp/v3"

	"github.com/earshot/earshot/internal/sdp"
)

// tlsPhone is a SIP phone on one TLS connection to earshot, driven by
// hand: it registers, and reads and answers what arrives.
type tlsPhone struct {
	t    *testing.T
	conn *tls.Conn
	r    *bufio.Reader
	via  string
}

// read returns the next message from earshot.
func (p *tlsPhone) read() sip.Message {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(wait))
	var head strings.Builder
	length := 0
	for {
		line, err := p.r.ReadString('\n')
		if err != nil {
			p.t.Fatalf("read: %v (so far %q)", err, head.String())
		}
		if strings.TrimSpace(line) == "" && head.Len() == 0 {
			continue // keep-alive
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(p.r, body); err != nil {
		p.t.Fatal(err)
	}
	msg, err := sip.ParseMessage(append([]byte(head.String()), body...))
	if err != nil {
		p.t.Fatalf("parse %q: %v", head.String(), err)
	}
	return msg
}

func (p *tlsPhone) write(s string) {
	p.t.Helper()
	if _, err := p.conn.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// register registers user over the connection, answering the challenge.
func (p *tlsPhone) register(user, password string) {
	p.t.Helper()
	callID := newID()
	req := func(seq int, auth string) string {
		s := "REGISTER sip:127.0.0.1 SIP/2.0\r\n" +
			"Via: SIP/2.0/TLS " + p.via + ";branch=z9hG4bK" + newID() + "\r\n" +
			"From: <sip:" + user + "@127.0.0.1>;tag=" + callID + "\r\n" +
			"To: <sip:" + user + "@127.0.0.1>\r\n" +
			"Call-ID: " + callID + "\r\n" +
			"CSeq: " + strconv.Itoa(seq) + " REGISTER\r\n" +
			"Contact: <sip:" + user + "@" + p.via + ";transport=tls>\r\n" +
			"Expires: 60\r\nMax-Forwards: 70\r\n"
		if auth != "" {
			s += "Authorization: " + auth + "\r\n"
		}
		return s + "Content-Length: 0\r\n\r\n"
	}
	p.write(req(1, ""))
	res, ok := p.read().(*sip.Response)
	if !ok || res.StatusCode != 401 {
		p.t.Fatalf("REGISTER: %v", res)
	}
	ch := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(res.GetHeader("WWW-Authenticate").Value(), "Digest "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		ch[k] = strings.Trim(v, `"`)
	}
	creds := digestCreds{username: user, realm: ch["realm"], nonce: ch["nonce"], uri: "sip:127.0.0.1"}
	auth := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5`,
		user, creds.realm, creds.nonce, creds.uri, digestResponse(creds, "REGISTER", password))
	p.write(req(2, auth))
	if res, ok := p.read().(*sip.Response); !ok || res.StatusCode != 200 {
		p.t.Fatalf("REGISTER with auth: %v", res)
	}
}

// respond answers req with code, adding a To tag and, if given, an SDP body.
func (p *tlsPhone) respond(req *sip.Request, code int, reason, body string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if tagOf(res.To().Params) == "" {
		res.To().Params.Add("tag", "tlsphone")
	}
	if body != "" {
		res.AppendHeader(sip.NewHeader("Contact", "<sip:phone@"+p.via+";transport=tls>"))
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
		res.SetBody([]byte(body))
	}
	p.write(res.String())
}

// A phone registered over TLS is offered SDES-SRTP (the key is hidden by
// TLS); its SRTP answer keys the leg: earshot's offered key to send, the
// phone's to receive. An answer that drops SRTP or picks another crypto
// line fails the call (ErrMedia) and it is hung up; a phone that refuses
// SRTP with 488 is asked again with plain RTP.
func TestSRTPOfferedToTLSPhone(t *testing.T) {
	phoneKey, _ := sdp.NewMasterKey()
	inline := base64.StdEncoding.EncodeToString(phoneKey[:])
	head := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	tests := []struct {
		name   string
		answer string
		ok     bool
		refuse bool // the phone answers the SRTP offer 488
	}{
		{"srtp answer", head + "m=audio 40002 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + inline + "\r\n", true, false},
		{"plain answer", head + "m=audio 40002 RTP/AVP 0\r\n", false, false},
		{"another tag", head + "m=audio 40002 RTP/SAVP 0\r\na=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" + inline + "\r\n", false, false},
		{"phone refuses srtp", head + "m=audio 40002 RTP/AVP 0\r\n", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, h := newTLSPhone(t)
			type result struct {
				c   *Call
				err error
			}
			dialled := make(chan result, 1)
			go func() {
				c, err := h.srv.Dial(dialCtx(t), DialRequest{To: "user:alice", From: "Support"})
				dialled <- result{c, err}
			}()
			inv, ok := p.read().(*sip.Request)
			if !ok || inv.Method != sip.INVITE {
				t.Fatalf("phone got %v, want an INVITE", inv)
			}
			offer, err := sdp.ParseOffer(inv.Body())
			if err != nil {
				t.Fatalf("offer: %v\n%s", err, inv.Body())
			}
			if offer.Crypto == nil || offer.Crypto.Suite != sdp.AESCM128HMACSHA180 || offer.Crypto.Tag != sdp.OfferTag ||
				!strings.Contains(string(inv.Body()), " RTP/SAVP ") {
				t.Fatalf("offer to a TLS phone is not SRTP:\n%s", inv.Body())
			}
			if tt.refuse {
				p.respond(inv, 488, "Not Acceptable Here", "")
				for {
					if req, ok := p.read().(*sip.Request); ok && req.Method == sip.INVITE {
						inv = req
						break
					}
				}
				if o, err := sdp.ParseOffer(inv.Body()); err != nil || o.Crypto != nil || strings.Contains(string(inv.Body()), "SAVP") {
					t.Fatalf("second offer after 488 is not plain RTP (%v):\n%s", err, inv.Body())
				}
			}
			p.respond(inv, 200, "OK", tt.answer)
			r := <-dialled
			if !tt.ok {
				if !errors.Is(r.err, ErrMedia) {
					t.Fatalf("Dial: %v, want ErrMedia", r.err)
				}
				p.awaitBye()
				return
			}
			if r.err != nil {
				t.Fatalf("Dial: %v", r.err)
			}
			ks := r.c.Leg().(*secureLeg).keyings()
			if tt.refuse {
				if len(ks) != 0 {
					t.Errorf("plain call keyed SRTP: %+v", ks)
				}
			} else if len(ks) != 1 || ks[0].profile != srtp.ProtectionProfileAes128CmHmacSha1_80 ||
				string(ks[0].send) != string(offer.Crypto.Key[:]) || string(ks[0].recv) != string(phoneKey[:]) {
				t.Fatalf("leg keyed %+v; want send = the offered key, recv = the phone's", ks)
			}
			go r.c.Hangup()
			p.awaitBye()
			if reason := ended(t, r.c); reason != EndLocalHangup {
				t.Errorf("end reason %s", reason)
			}
		})
	}
}

// newTLSPhone starts a server with a TLS listener and registers alice's
// phone over TLS.
func newTLSPhone(t *testing.T) (*tlsPhone, *harness) {
	t.Helper()
	certFile, keyFile, pool := selfSigned(t)
	h := newHarness(t, nil, func(c *Config) {
		withSecureMedia(c)
		c.Listen = append(c.Listen, "tls:127.0.0.1:0")
		c.TLSCert, c.TLSKey = certFile, keyFile
		c.Users = passwords{"alice": "wonderland"}
	})
	conn, err := tls.Dial("tcp", h.addr("tls"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &tlsPhone{t: t, conn: conn, r: bufio.NewReader(conn), via: conn.LocalAddr().(*net.TCPAddr).String()}
	p.register("alice", "wonderland")
	return p, h
}

// awaitBye reads until a BYE arrives and answers it.
func (p *tlsPhone) awaitBye() {
	p.t.Helper()
	for {
		if req, ok := p.read().(*sip.Request); ok && req.Method == sip.BYE {
			p.respond(req, 200, "OK", "")
			return
		}
	}
}
