package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose forwarding headers earshot
// believes (listen.trusted_proxies). The zero value trusts nobody: every
// request is taken to come from its connection's address.
type Proxies struct {
	prefixes []netip.Prefix
}

// NewProxies returns the proxies at the given addresses or prefixes.
func NewProxies(prefixes []netip.Prefix) *Proxies {
	return &Proxies{prefixes: append([]netip.Prefix(nil), prefixes...)}
}

// trusts reports whether a is one of the proxies.
func (p *Proxies) trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// fromProxy returns the connection's address and whether it is a proxy.
func (p *Proxies) fromProxy(r *http.Request) (netip.Addr, bool) {
	a, ok := parseHop(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	return a, p.trusts(a)
}

// ClientIP is the address a request came from. From a trusted proxy it is
// the right-most address of X-Forwarded-For that is not a trusted proxy
// (each proxy appends the address it was reached from, so everything to
// the left of that is what the client claimed); from anyone else, or when
// the header is missing, it is the connection's address.
func (p *Proxies) ClientIP(r *http.Request) string {
	remote, ok := p.fromProxy(r)
	if !remote.IsValid() {
		return remoteIP(r)
	}
	if !ok {
		return remote.String()
	}
	client := remote
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		list := hops[i]
		for list != "" {
			var hop string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				hop, list = list[j+1:], list[:j]
			} else {
				hop, list = list, ""
			}
			a, ok := parseHop(strings.TrimSpace(hop))
			if !ok {
				// A trusted proxy wrote something unreadable: the
				// last address known to be true is the proxy's.
				return client.String()
			}
			client = a
			if !p.trusts(a) {
				return client.String()
			}
		}
	}
	return client.String()
}

// ForwardedTLS reports whether a trusted proxy says the client reached it
// over HTTPS (X-Forwarded-Proto: https). The proxy next to earshot writes
// the last value, so only that one counts.
func (p *Proxies) ForwardedTLS(r *http.Request) bool {
	if _, ok := p.fromProxy(r); !ok {
		return false
	}
	vals := r.Header.Values("X-Forwarded-Proto")
	if len(vals) == 0 {
		return false
	}
	last := vals[len(vals)-1]
	if j := strings.LastIndexByte(last, ','); j >= 0 {
		last = last[j+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// ForwardHost takes the host a client asked a trusted proxy for
// (X-Forwarded-Host, the last value: the one the proxy next to earshot
// wrote) as the request's Host, so that the same-origin checks of the API
// and the event stream compare a browser's Origin with the name it used,
// even behind a proxy that sends earshot a Host of its own. From anyone
// else, or when the header is missing or not a host name, Host stays.
func (p *Proxies) ForwardHost(r *http.Request) {
	if _, ok := p.fromProxy(r); !ok {
		return
	}
	vals := r.Header.Values("X-Forwarded-Host")
	if len(vals) == 0 {
		return
	}
	last := vals[len(vals)-1]
	if j := strings.LastIndexByte(last, ','); j >= 0 {
		last = last[j+1:]
	}
	if h := strings.TrimSpace(last); hostLike(h) {
		r.Host = h
	}
}

// hostLike reports whether s can be a Host header: a name or an address,
// with a port or not.
func hostLike(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_:[]", c)) {
			return false
		}
	}
	return true
}

// parseHop reads one address as proxies write it: "192.0.2.7",
// "2001:db8::1", "[2001:db8::1]", or any of those with a port.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return unzoned(a)
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return unzoned(ap.Addr())
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return unzoned(a)
}

// unzoned refuses link-local addresses with a zone: no proxy is one.
func unzoned(a netip.Addr) (netip.Addr, bool) {
	if a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
