package sip

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/config"
)

// trunk is a config.Trunk made ready for matching and dialling.
type trunk struct {
	name     string
	sources  []netip.Prefix
	outbound *sip.Uri // nil: no calls out through this trunk
	user     string
	pass     string
}

func parseTrunks(in []config.Trunk) ([]trunk, error) {
	out := make([]trunk, 0, len(in))
	for _, t := range in {
		tr := trunk{name: t.Name, user: t.Username, pass: t.Password}
		for _, s := range t.Sources {
			p, err := parseSource(s)
			if err != nil {
				return nil, fmt.Errorf("trunk %q: %w", t.Name, err)
			}
			tr.sources = append(tr.sources, p)
		}
		if t.Outbound != "" {
			u, err := parseOutbound(t.Outbound)
			if err != nil {
				return nil, fmt.Errorf("trunk %q: %w", t.Name, err)
			}
			tr.outbound = u
		}
		out = append(out, tr)
	}
	return out, nil
}

// parseSource reads an IP address or a CIDR prefix.
func parseSource(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("source %q is not an IP address or CIDR: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("source %q is not an IP address or CIDR: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseOutbound reads "sip:host[:port][;transport=udp|tcp|tls]".
func parseOutbound(s string) (*sip.Uri, error) {
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return nil, fmt.Errorf("outbound %q: %w", s, err)
	}
	if u.Scheme != "sip" && u.Scheme != "sips" {
		return nil, fmt.Errorf("outbound %q: want a sip: or sips: URI", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("outbound %q: no host", s)
	}
	if tp, ok := u.UriParams.Get("transport"); ok {
		switch strings.ToLower(tp) {
		case "udp", "tcp", "tls":
		default:
			return nil, fmt.Errorf("outbound %q: transport %q is not udp, tcp or tls", s, tp)
		}
	}
	return &u, nil
}

// hostPort is the trunk's next hop as host:port.
func (t *trunk) hostPort() string {
	port := t.outbound.Port
	if port == 0 {
		port = 5060
		if t.outbound.Scheme == "sips" {
			port = 5061
		}
	}
	return joinHostPort(t.outbound.Host, port)
}

// allows reports whether ip may send calls in through t.
func (t *trunk) allows(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t.sources {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// trunkFor returns the trunk whose Sources hold ip, or nil.
func (s *Server) trunkFor(ip netip.Addr) *trunk {
	for i := range s.trunks {
		if s.trunks[i].allows(ip) {
			return &s.trunks[i]
		}
	}
	return nil
}

// outboundTrunk returns the first trunk that carries calls out, or nil.
func (s *Server) outboundTrunk() *trunk {
	for i := range s.trunks {
		if s.trunks[i].outbound != nil {
			return &s.trunks[i]
		}
	}
	return nil
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// sourceAddr reads a message's source "ip:port".
func sourceAddr(src string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(src)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("source address %q: %w", src, err)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
