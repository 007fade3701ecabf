package sip

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const benchSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 0 101\r\n" +
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"

// BenchmarkFilterDatagram is what every UDP datagram costs before sipgo
// sees it: one extra parse, to answer malformed requests with 400.
func BenchmarkFilterDatagram(b *testing.B) {
	s := &Server{parser: sip.NewParser(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	invite := []byte(rawRequest("INVITE", "127.0.0.1:5070", "CSeq: 1 INVITE", "Contact: <sip:c@127.0.0.1:5070>",
		"Content-Type: application/sdp", "Content-Length: "+strconv.Itoa(len(benchSDP))) + benchSDP)
	props := sip.TransportReadProps{Transport: "UDP", LocalAddr: &net.UDPAddr{}, RemoteAddr: &net.UDPAddr{}}
	b.SetBytes(int64(len(invite)))
	b.ReportAllocs()
	for b.Loop() {
		if out, _ := s.filterDatagram(props, invite); len(out) == 0 {
			b.Fatal("valid INVITE dropped")
		}
	}
}

// BenchmarkInboundCall sets up and tears down one trunk call per iteration
// over loopback UDP: INVITE, 100, 200 with SDP, ACK, BYE, 200.
func BenchmarkInboundCall(b *testing.B) {
	h := newHarness(b, nil, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	p := newUDPProbe(b, h.addr("udp"))
	contact := "Contact: <sip:c@" + p.from() + ">"
	b.ReportAllocs()
	for b.Loop() {
		callID, tag := newID(), newID()
		base := func(method, cseq string, to string) string {
			return method + " sip:5551000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + p.from() + ";branch=z9hG4bK" + newID() + ";rport\r\n" +
				"From: <sip:+15550001111@127.0.0.1>;tag=" + tag + "\r\n" + to + "\r\nCall-ID: " + callID + "\r\nCSeq: " + cseq + "\r\n" +
				contact + "\r\nMax-Forwards: 70\r\n"
		}
		p.send(base("INVITE", "1 INVITE", "To: <sip:5551000@127.0.0.1>") +
			"Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(benchSDP)) + "\r\n\r\n" + benchSDP)
		ok := p.next()
		if !strings.HasPrefix(ok, "SIP/2.0 200 ") {
			b.Fatalf("INVITE got %q", statusLine(ok))
		}
		to := ""
		for _, line := range strings.Split(ok, "\r\n") {
			if strings.HasPrefix(line, "To:") {
				to = line
			}
		}
		p.send(base("ACK", "1 ACK", to) + "Content-Length: 0\r\n\r\n")
		p.send(base("BYE", "2 BYE", to) + "Content-Length: 0\r\n\r\n")
		for {
			if res := p.next(); strings.HasPrefix(res, "SIP/2.0 200 ") && strings.Contains(res, "2 BYE") {
				break
			}
		}
		<-h.calls
	}
}
