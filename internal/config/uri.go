package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// checkOutbound checks a trunk's outbound address: a sip: or sips: URI
// with a host, an optional user part and port, and optional parameters.
func checkOutbound(s string) string {
	if len(s) > 256 {
		return "too long"
	}
	if hasControl(s) || strings.ContainsAny(s, " ?%") {
		return "contains a space, control character, '?' or '%'"
	}
	lower := strings.ToLower(s)
	var rest string
	switch {
	case strings.HasPrefix(lower, "sip:"):
		rest = s[len("sip:"):]
	case strings.HasPrefix(lower, "sips:"):
		rest = s[len("sips:"):]
	default:
		return "must be a sip: or sips: URI, e.g. sip:sip.carrier.example:5060"
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if at == 0 || strings.ContainsAny(rest[:at], "@:;") {
			return "bad user part"
		}
		rest = rest[at+1:]
	}
	hostPort, params, _ := strings.Cut(rest, ";")
	if params != "" {
		for _, p := range strings.Split(params, ";") {
			if name, _, _ := strings.Cut(p, "="); name == "" {
				return "bad parameter"
			}
		}
	}
	var port string
	if strings.HasPrefix(hostPort, "[") {
		end := strings.IndexByte(hostPort, ']')
		if end < 0 {
			return "unclosed '[' in host"
		}
		a, err := netip.ParseAddr(hostPort[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "bad IPv6 address"
		}
		if after := hostPort[end+1:]; after != "" {
			if after[0] != ':' {
				return "unexpected text after the host"
			}
			if port = after[1:]; port == "" {
				return "bad port"
			}
		}
	} else {
		h, p, found := strings.Cut(hostPort, ":")
		switch {
		case strings.Contains(p, ":"):
			return "IPv6 addresses go in brackets"
		case found && p == "":
			return "bad port"
		case h == "":
			return "missing host"
		}
		if a, err := netip.ParseAddr(h); err == nil {
			if !a.Is4() {
				return "bad host address"
			}
		} else if !validHostName(h) {
			return "bad host"
		}
		port = p
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return "bad port"
		}
	}
	return ""
}

// validHostName reports whether h is a DNS name whose last label is not
// numeric.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}
