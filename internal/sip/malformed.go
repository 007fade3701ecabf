package sip

import (
	"bytes"
	"net"

	"github.com/emiago/sipgo/sip"
)

// sipgo drops a UDP datagram it cannot parse without a word. filterDatagram
// sees every datagram first: one that does not parse is dropped here, and,
// when it is a request with enough of its headers readable, answered 400
// (RFC 3261 8.2.2 and 16.3). Over TCP and TLS a message that does not
// parse leaves no frame boundary to resume at, so sipgo closes the
// connection instead.
func (s *Server) filterDatagram(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.Transport != "UDP" {
		return data, nil
	}
	if len(bytes.Trim(data, "\r\n")) == 0 {
		return nil, nil // keep-alive (RFC 5626 4.4.1): nothing to parse
	}
	if _, err := s.parser.ParseSIP(data); err == nil {
		return data, nil
	}
	s.log.Debug("malformed datagram dropped", "src", addrString(p.RemoteAddr), "bytes", len(data))
	if res := badRequestFor(data); res != nil {
		if pc := s.packetConn(p.LocalAddr); pc != nil && p.RemoteAddr != nil {
			if _, err := pc.WriteTo(res, p.RemoteAddr); err != nil {
				s.log.Debug("send 400 for malformed datagram", "err", err)
			}
		}
	}
	return nil, nil
}

func (s *Server) packetConn(local net.Addr) net.PacketConn {
	if local == nil {
		return nil
	}
	for _, l := range s.listeners {
		if l.pc != nil && l.pc.LocalAddr().String() == local.String() {
			return l.pc
		}
	}
	return nil
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// badRequestFor builds "400 Bad Request" for a request that did not parse,
// copying Via, From, To, Call-ID and CSeq as they are. It returns nil when
// data is a response, an ACK, or lacks any of those headers: then nobody
// could match a reply.
func badRequestFor(data []byte) []byte {
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) < 2 {
		return nil
	}
	start := bytes.TrimRight(lines[0], "\r")
	method, rest, ok := bytes.Cut(start, []byte(" "))
	if !ok || len(method) == 0 || !bytes.HasSuffix(rest, []byte(" SIP/2.0")) ||
		bytes.HasPrefix(start, []byte("SIP/")) || bytes.Equal(method, []byte("ACK")) {
		return nil
	}
	for _, b := range method {
		if b < 'A' || b > 'Z' {
			return nil
		}
	}

	var vias [][]byte
	var from, to, callID, cseq []byte
	for _, line := range lines[1:] {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break // end of headers
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // folded continuation: not copied
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		if len(value) == 0 || !printable(value) {
			continue
		}
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "via", "v":
			if len(vias) < 16 {
				vias = append(vias, value)
			}
		case "from", "f":
			from = value
		case "to", "t":
			to = value
		case "call-id", "i":
			callID = value
		case "cseq":
			cseq = value
		}
	}
	if len(vias) == 0 || from == nil || to == nil || callID == nil || cseq == nil {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("SIP/2.0 400 Bad Request\r\n")
	for _, v := range vias {
		b.WriteString("Via: ")
		b.Write(v)
		b.WriteString("\r\n")
	}
	for _, h := range []struct {
		name  string
		value []byte
	}{{"From", from}, {"To", to}, {"Call-ID", callID}, {"CSeq", cseq}} {
		b.WriteString(h.name)
		b.WriteString(": ")
		b.Write(h.value)
		b.WriteString("\r\n")
	}
	b.WriteString("Warning: 399 earshot \"Malformed message\"\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// printable reports whether a header value holds only visible ASCII,
// spaces and tabs, so it can be echoed safely.
func printable(v []byte) bool {
	for _, c := range v {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
