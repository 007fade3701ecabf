package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/earshot/earshot/internal/config"
)

// trunk is a config.Trunk made ready for matching and dialling. It is
// never changed once made: SetTrunks replaces the whole list, and calls
// keep the trunk they started on.
type trunk struct {
	name     string
	sources  []netip.Prefix
	outbound *sip.Uri // nil: no calls out through this trunk
	user     string
	pass     string

	registrar  *sip.Uri      // non-nil: earshot REGISTERs here
	expires    time.Duration // registration lifetime asked for
	callerID   string        // From user of calls out; empty: the call's own
	fromDomain string        // From host of calls out; empty: earshot's
}

// CheckTrunks reports whether SetTrunks would take in, changing nothing.
func CheckTrunks(in []config.Trunk) error {
	if _, err := parseTrunks(in); err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	return nil
}

func parseTrunks(in []config.Trunk) ([]trunk, error) {
	out := make([]trunk, 0, len(in))
	seen := map[string]bool{}
	for _, t := range in {
		if seen[t.Name] {
			return nil, fmt.Errorf("trunk %q is defined twice", t.Name)
		}
		seen[t.Name] = true
		tr := trunk{name: t.Name, user: t.Username, pass: t.Password, callerID: t.CallerID, fromDomain: t.FromDomain}
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
		if err := tr.parseRegister(t); err != nil {
			return nil, fmt.Errorf("trunk %q: %w", t.Name, err)
		}
		out = append(out, tr)
	}
	return out, nil
}

// parseRegister reads the registration keys of t.
func (tr *trunk) parseRegister(t config.Trunk) error {
	if t.CallerID != "" && (len(t.CallerID) > 33 || strings.Trim(strings.TrimPrefix(t.CallerID, "+"), "0123456789") != "" || strings.TrimPrefix(t.CallerID, "+") == "") {
		return fmt.Errorf("caller_id %q is not a number", t.CallerID)
	}
	if strings.ContainsAny(t.FromDomain, " \t\r\n\x00@;<>\"") {
		return fmt.Errorf("from_domain %q is not a host", t.FromDomain)
	}
	if !t.Register {
		return nil
	}
	reg := t.Registrar
	if reg == "" {
		reg = t.Outbound
	}
	if reg == "" {
		return errors.New("register needs a registrar or outbound address")
	}
	if t.Username == "" || t.Password == "" {
		return errors.New("register needs a username and password")
	}
	u, err := parseOutbound(reg)
	if err != nil {
		return fmt.Errorf("registrar: %w", err)
	}
	tr.registrar = u
	tr.expires = t.RegisterExpires
	if tr.expires <= 0 {
		tr.expires = config.DefaultRegisterExpires
	}
	if tr.expires < time.Second {
		tr.expires = time.Second
	}
	return nil
}

// regKey is what a registration depends on: when it changes, earshot
// un-REGISTERs and registers afresh.
func (tr *trunk) regKey() string {
	if tr.registrar == nil {
		return ""
	}
	return strings.Join([]string{tr.registrar.String(), tr.user, tr.pass, tr.expires.String()}, "\x00")
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
func (t *trunk) hostPort() string { return uriHostPort(t.outbound) }

// uriHostPort is where a request to u goes, as host:port.
func uriHostPort(u *sip.Uri) string {
	port := u.Port
	if port == 0 {
		port = 5060
		if u.Scheme == "sips" {
			port = 5061
		}
	}
	return joinHostPort(u.Host, port)
}

// uriTransport is the transport of a request to u: "UDP", "TCP" or "TLS".
func uriTransport(u *sip.Uri) string {
	if tp, ok := u.UriParams.Get("transport"); ok {
		return strings.ToUpper(tp)
	}
	if u.Scheme == "sips" {
		return "TLS"
	}
	return "UDP"
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

// trunkList is the trunk list in force.
func (s *Server) trunkList() []trunk { return *s.trunks.Load() }

// trunkFor returns the first trunk whose Sources hold ip or, failing
// that, the first registered trunk whose registrar answered from ip; or
// nil.
func (s *Server) trunkFor(ip netip.Addr) *trunk {
	list := s.trunkList()
	for i := range list {
		if list[i].allows(ip) {
			return &list[i]
		}
	}
	return s.carriers.trunkFrom(ip, list)
}

// outboundTrunk returns the first trunk that carries calls out, or nil.
func (s *Server) outboundTrunk() *trunk {
	list := s.trunkList()
	for i := range list {
		if list[i].outbound != nil {
			return &list[i]
		}
	}
	return nil
}

// SetTrunks puts a new trunk list in force at once: new INVITEs are
// matched and new calls dialled with it, while calls in progress keep the
// trunk they started on. Registrations follow: a trunk newly set to
// register registers, one removed or changed un-REGISTERs first. A list
// that does not parse is refused and nothing changes.
func (s *Server) SetTrunks(in []config.Trunk) error {
	list, err := parseTrunks(in)
	if err != nil {
		return fmt.Errorf("sip: set trunks: %w", err)
	}
	s.carriers.update(list, func() { s.trunks.Store(&list) })
	s.log.Info("trunks in force", "trunks", len(list))
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
