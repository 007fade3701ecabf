package sip

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// allowed lists the methods earshot handles, for Allow headers.
const allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER"

// transportName is the Via/URI spelling of a listener network.
func transportName(network string) string { return strings.ToUpper(network) }

// networkOf returns the listener network for a message transport.
func networkOf(transport string) string { return strings.ToLower(transport) }

// via returns a fresh Via for a request sent from l.
func (l *listener) via() *sip.ViaHeader {
	v := &sip.ViaHeader{
		ProtocolName:    "SIP",
		ProtocolVersion: "2.0",
		Transport:       transportName(l.network),
		Host:            l.host,
		Port:            int(l.addr.Port()),
	}
	v.Params.Add("branch", sip.GenerateBranch())
	v.Params.Add("rport", "")
	return v
}

// contact returns earshot's Contact header for l.
func (l *listener) contact(user string) *sip.ContactHeader {
	u := sip.Uri{Scheme: "sip", User: user, Host: l.host, Port: int(l.addr.Port())}
	if l.network != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", l.network)
	}
	return &sip.ContactHeader{Address: u}
}

// bindLocal makes a UDP request leave from listener l, so replies and
// allow-lists see earshot's listening port.
func (l *listener) bindLocal(req *sip.Request) {
	if l.network != "udp" {
		return
	}
	req.Laddr = sip.Addr{IP: net.IP(l.addr.Addr().AsSlice()), Port: int(l.addr.Port())}
}

// asIs is a sipgo client option that sends a request as built.
func asIs(*sipgo.Client, *sip.Request) error { return nil }

// respond builds a response to req with earshot's headers.
func (s *Server) response(req *sip.Request, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	return res
}

// reply sends a final response on tx and logs a failure.
func (s *Server) reply(req *sip.Request, tx sip.ServerTransaction, code int, reason string, headers ...sip.Header) {
	res := s.response(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond", "code", code, "method", req.Method, "err", err)
	}
}

// warning is a Warning header (RFC 3261 20.43) carrying a reason a person
// can read.
func (s *Server) warning(code int, text string) sip.Header {
	text = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return ' '
		}
		return r
	}, text)
	if len(text) > 200 {
		text = text[:200]
	}
	return sip.NewHeader("Warning", fmt.Sprintf("%d %s %q", code, s.listeners[0].host, text))
}

// sourceIP returns the IP a request came from.
func sourceIP(req *sip.Request) (netip.Addr, error) {
	ap, err := sourceAddr(req.Source())
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr(), nil
}

// tagOf returns a header's tag parameter.
func tagOf(p sip.HeaderParams) string {
	t, _ := p.Get("tag")
	return t
}

// isSDP reports whether a message's body is SDP (or untyped).
func isSDP(ct *sip.ContentTypeHeader) bool {
	if ct == nil {
		return true
	}
	v, _, _ := strings.Cut(ct.Value(), ";")
	return strings.EqualFold(strings.TrimSpace(v), "application/sdp")
}
