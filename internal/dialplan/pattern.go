package dialplan

import (
	"strings"
)

// maxPatternLen bounds a pattern's length, in bytes.
const maxPatternLen = 128

// digitSet is a set of digits: bit d is set when digit d is in the set.
type digitSet uint16

const anyDigit digitSet = 1<<10 - 1

// pattern is one compiled allow or deny entry.
type pattern struct {
	text string
	sip  bool
	// number patterns
	plus   bool
	digits []digitSet
	tail   byte // 0, '.' (one or more) or '!' (zero or more)
	// SIP patterns
	scheme string
	user   string // "*": any
	host   string
	port   int // 0: any
}

// parsePattern compiles one pattern; a non-empty reason says why it does
// not compile.
func parsePattern(s string) (pattern, string) {
	if len(s) > maxPatternLen {
		return pattern{}, "longer than 128 characters"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return pattern{}, "contains a control or non-ASCII character"
		}
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return pattern{}, "empty pattern"
	}
	lower := asciiLower(t)
	switch {
	case strings.HasPrefix(lower, "sip:"):
		return parseSIPPattern(s, "sip", t[len("sip:"):])
	case strings.HasPrefix(lower, "sips:"):
		return parseSIPPattern(s, "sips", t[len("sips:"):])
	case strings.Contains(lower, ":"):
		return pattern{}, "only number patterns and sip:/sips: patterns are supported"
	}
	return parseNumberPattern(s, t)
}

func parseNumberPattern(text, s string) (pattern, string) {
	p := pattern{text: text}
	s = strings.ReplaceAll(s, " ", "")
	if strings.HasPrefix(s, "+") {
		p.plus = true
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			p.digits = append(p.digits, 1<<(c-'0'))
		case c == 'X' || c == 'x':
			p.digits = append(p.digits, anyDigit)
		case c == 'Z' || c == 'z':
			p.digits = append(p.digits, anyDigit&^1)
		case c == 'N' || c == 'n':
			p.digits = append(p.digits, anyDigit&^3)
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return pattern{}, "unclosed '['"
			}
			set, reason := parseClass(s[i+1 : i+end])
			if reason != "" {
				return pattern{}, reason
			}
			p.digits = append(p.digits, set)
			i += end
		case c == '.' || c == '!':
			if i != len(s)-1 {
				return pattern{}, "'" + string(c) + "' is only allowed at the end"
			}
			p.tail = c
		case c == '+':
			return pattern{}, "'+' is only allowed at the start"
		default:
			return pattern{}, "character '" + string(c) + "' is not allowed in a number pattern"
		}
	}
	if len(p.digits) == 0 && p.tail == 0 {
		return pattern{}, "a number pattern needs at least one digit, '.' or '!'"
	}
	if len(p.digits) > maxPlainDigits {
		return pattern{}, "too many digits"
	}
	return p, ""
}

// parseClass parses the inside of [...]: digits and ranges a-b.
func parseClass(s string) (digitSet, string) {
	if s == "" {
		return 0, "empty '[]' class"
	}
	var set digitSet
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, "only digits and ranges are allowed in '[...]'"
		}
		lo, hi := c, c
		if i+2 < len(s) && s[i+1] == '-' {
			hi = s[i+2]
			if hi < '0' || hi > '9' || hi < lo {
				return 0, "bad range in '[...]'"
			}
			i += 2
		} else if i+1 < len(s) && s[i+1] == '-' {
			return 0, "bad range in '[...]'"
		}
		for d := lo; d <= hi; d++ {
			set |= 1 << (d - '0')
		}
	}
	return set, ""
}

func parseSIPPattern(text, scheme, rest string) (pattern, string) {
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return pattern{}, "a SIP pattern has the form sip:user@host (user may be *)"
	}
	user, hostPart := rest[:at], rest[at+1:]
	if user != "*" {
		if reason := checkUser(user); reason != "" {
			return pattern{}, reason
		}
	}
	if strings.ContainsAny(hostPart, "*") {
		return pattern{}, "the host must be exact: '*' is only allowed as the user part"
	}
	if strings.ContainsAny(hostPart, ";?%") {
		return pattern{}, "parameters, headers and escapes are not allowed in a SIP pattern"
	}
	host, port, reason := parseHostPort(hostPart)
	if reason != "" {
		return pattern{}, reason
	}
	return pattern{text: text, sip: true, scheme: scheme, user: user, host: host, port: port}, ""
}

// match reports whether the pattern matches the target.
func (p *pattern) match(t *target) bool {
	if p.sip {
		return !t.isNumber && p.matchSIP(t)
	}
	return t.isNumber && p.matchNumber(t.number)
}

func (p *pattern) matchNumber(n string) bool {
	if strings.HasPrefix(n, "+") != p.plus {
		return false
	}
	if p.plus {
		n = n[1:]
	}
	switch p.tail {
	case 0:
		if len(n) != len(p.digits) {
			return false
		}
	case '.':
		if len(n) <= len(p.digits) {
			return false
		}
	case '!':
		if len(n) < len(p.digits) {
			return false
		}
	}
	for i, set := range p.digits {
		if set&(1<<(n[i]-'0')) == 0 {
			return false
		}
	}
	return true
}

func (p *pattern) matchSIP(t *target) bool {
	if p.scheme != t.scheme || p.host != t.host {
		return false
	}
	if p.user != "*" && p.user != t.user {
		return false
	}
	if p.port == 0 {
		return true
	}
	port := t.port
	if port == 0 {
		port = 5060
		if t.scheme == "sips" {
			port = 5061
		}
	}
	return port == p.port
}
