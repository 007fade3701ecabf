package dialplan

import (
	"net/netip"
	"strconv"
	"strings"
)

// MaxLen is the longest target accepted, in bytes.
const MaxLen = 128

const (
	maxE164Digits  = 15
	maxPlainDigits = 32
	maxUserLen     = 64
	maxHostLen     = 253
)

// target is a parsed, normalised target.
type target struct {
	canon string // normalised form
	// number targets (plain numbers and tel: URIs)
	isNumber bool
	number   string // '+'? digits
	// SIP targets
	scheme string // "sip" or "sips"
	user   string
	host   string // lower case; IPv6 in brackets
	port   int    // 0: none given
}

// parseTarget parses and normalises a dialled target.
func parseTarget(raw string) (target, error) {
	if len(raw) > MaxLen {
		return target{}, invalid(raw, "longer than "+strconv.Itoa(MaxLen)+" characters")
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 || c == 0x7f {
			return target{}, invalid(raw, "contains a control character")
		}
		if c >= 0x80 {
			return target{}, invalid(raw, "contains a non-ASCII character")
		}
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return target{}, invalid(raw, "empty")
	}
	lower := asciiLower(s)
	switch {
	case strings.HasPrefix(lower, "tel:"):
		return parseTel(raw, s[len("tel:"):])
	case strings.HasPrefix(lower, "sip:"):
		return parseSIP(raw, "sip", s[len("sip:"):])
	case strings.HasPrefix(lower, "sips:"):
		return parseSIP(raw, "sips", s[len("sips:"):])
	}
	n, reason := parseNumber(s)
	if reason != "" {
		return target{}, invalid(raw, reason)
	}
	return target{canon: n, isNumber: true, number: n}, nil
}

// parseNumber removes visual separators and checks what is left: an
// optional leading '+' and digits.
func parseNumber(s string) (string, string) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			continue
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+':
			if b.Len() != 0 {
				return "", "'+' is only allowed at the start of a number"
			}
			b.WriteByte(c)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return "", "letters are not allowed in a number (a SIP URI starts with sip:)"
		default:
			return "", "character " + strconv.QuoteRune(rune(c)) + " is not allowed in a number"
		}
	}
	n := b.String()
	digits := strings.TrimPrefix(n, "+")
	switch {
	case digits == "":
		return "", "no digits"
	case len(digits) < len(n) && len(digits) > maxE164Digits:
		return "", "more than " + strconv.Itoa(maxE164Digits) + " digits after '+'"
	case len(digits) > maxPlainDigits:
		return "", "more than " + strconv.Itoa(maxPlainDigits) + " digits"
	}
	return n, ""
}

func parseTel(raw, rest string) (target, error) {
	if strings.ContainsAny(rest, ";?") {
		return target{}, invalid(raw, "tel: parameters are not supported")
	}
	if !strings.HasPrefix(rest, "+") {
		return target{}, invalid(raw, "a tel: URI must hold a global number (+...)")
	}
	n, reason := parseNumber(rest)
	if reason != "" {
		return target{}, invalid(raw, reason)
	}
	return target{canon: n, isNumber: true, number: n}, nil
}

// allowedParams are the SIP URI parameters a target may carry, with the
// values each may take. Others (maddr, ...) could redirect the request.
var allowedParams = map[string][]string{
	"transport": {"udp", "tcp", "tls", "sctp", "ws", "wss"},
	"user":      {"phone", "ip"},
}

func parseSIP(raw, scheme, rest string) (target, error) {
	if strings.ContainsAny(rest, "?") {
		return target{}, invalid(raw, "SIP URI headers (?) are not allowed")
	}
	if strings.Contains(rest, "%") {
		return target{}, invalid(raw, "percent escapes are not allowed")
	}
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return target{}, invalid(raw, "a SIP URI needs a user part (sip:user@host)")
	}
	user, hostPart := rest[:at], rest[at+1:]
	if reason := checkUser(user); reason != "" {
		return target{}, invalid(raw, reason)
	}
	var params string
	if i := strings.IndexByte(hostPart, ';'); i >= 0 {
		hostPart, params = hostPart[:i], hostPart[i+1:]
	}
	host, port, reason := parseHostPort(hostPart)
	if reason != "" {
		return target{}, invalid(raw, reason)
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteByte(':')
	b.WriteString(user)
	b.WriteByte('@')
	b.WriteString(host)
	if port != 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(port))
	}
	if params != "" {
		for _, p := range strings.Split(params, ";") {
			name, value, _ := strings.Cut(p, "=")
			name, value = asciiLower(name), asciiLower(value)
			values, ok := allowedParams[name]
			if !ok {
				return target{}, invalid(raw, "SIP URI parameter "+strconv.Quote(name)+" is not allowed")
			}
			if !contains(values, value) {
				return target{}, invalid(raw, "SIP URI parameter "+name+" must be one of "+strings.Join(values, ", "))
			}
			b.WriteByte(';')
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(value)
		}
	}
	return target{canon: b.String(), scheme: scheme, user: user, host: host, port: port}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkUser checks a SIP user part.
func checkUser(u string) string {
	if u == "" {
		return "empty SIP user part"
	}
	if len(u) > maxUserLen {
		return "SIP user part longer than " + strconv.Itoa(maxUserLen) + " characters"
	}
	for i := 0; i < len(u); i++ {
		if !isUserChar(u[i]) {
			return "character " + strconv.QuoteRune(rune(u[i])) + " is not allowed in a SIP user part"
		}
	}
	return ""
}

func isUserChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '+' || c == '-'
}

// parseHostPort parses "host", "host:port", "[v6]" or "[v6]:port" and
// returns the host in canonical form (lower case, IPv6 bracketed) and the
// port (0 when absent).
func parseHostPort(s string) (string, int, string) {
	var host, portStr string
	hasPort := false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, "unclosed '[' in host"
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", 0, "bad IPv6 address in host"
		}
		host = "[" + a.String() + "]"
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", 0, "unexpected text after IPv6 host"
			}
			portStr, hasPort = rest[1:], true
		}
	} else {
		h, p, found := strings.Cut(s, ":")
		if strings.Contains(p, ":") {
			return "", 0, "too many ':' in host (IPv6 addresses go in brackets)"
		}
		var reason string
		if host, reason = checkHost(h); reason != "" {
			return "", 0, reason
		}
		portStr, hasPort = p, found
	}
	port := 0
	if hasPort {
		var reason string
		if port, reason = parsePort(portStr); reason != "" {
			return "", 0, reason
		}
	}
	return host, port, ""
}

// checkHost accepts an IPv4 address or a DNS name, and returns it in
// lower case. A name whose last label is numeric is refused: it would be
// an IPv4 shorthand such as 127.1 to some resolvers.
func checkHost(h string) (string, string) {
	if h == "" {
		return "", "empty host"
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if !a.Is4() {
			return "", "bad host address"
		}
		return a.String(), ""
	}
	if len(h) > maxHostLen {
		return "", "host name too long"
	}
	h = asciiLower(h)
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", "bad host name"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", "bad host name"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", "character " + strconv.QuoteRune(rune(c)) + " is not allowed in a host name"
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		return "", "bad host: neither an IPv4 address nor a name"
	}
	return h, ""
}

func parsePort(s string) (int, string) {
	if s == "" || len(s) > 5 {
		return 0, "bad port"
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, "bad port"
		}
		n = n*10 + int(s[i]-'0')
	}
	if n < 1 || n > 65535 {
		return 0, "port out of range"
	}
	return n, ""
}
