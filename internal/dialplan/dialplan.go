// Package dialplan is the only gate between earshot and the telephone
// network: before earshot rings any number or SIP URI it did not receive a
// call from, the target must pass a Plan. The package parses targets and
// patterns and matches one against the other; it does not dial.
//
// # Targets
//
// A target is one of:
//
//   - a number: an optional leading '+' and digits. Spaces, dashes, dots
//     and parentheses are removed ("+1 (555) 010-0100" is "+15550100100").
//     A '+' number has at most 15 digits (E.164), any other at most 32.
//   - a tel: URI holding a global number ("tel:+1-555-010-0100"); it is the
//     same target as the number. Parameters are refused.
//   - a sip: or sips: URI with a user part: "sip:alice@127.0.0.1:5070".
//     The user part is [A-Za-z0-9._+-]; the host is a DNS name, an IPv4
//     address or a bracketed IPv6 address; the port is optional. Only the
//     transport and user parameters are accepted; headers ("?"), passwords,
//     percent escapes and parameters such as maddr, which would send the
//     request elsewhere, are refused.
//
// Anything else (letters in a number, control characters, non-ASCII text,
// more than 128 characters, ...) is not a dialable target: ErrInvalid.
//
// # Patterns
//
// Number patterns are Asterisk-like. Spaces are ignored.
//
//	0-9     the digit itself
//	+       itself, only at the start
//	X       any digit
//	Z       a digit 1-9
//	N       a digit 2-9
//	[1-5]   a digit in the class: digits and ranges, e.g. [0-36-9]
//	.       at the end only: one or more further digits
//	!       at the end only: zero or more further digits
//
// A number pattern matches numbers and tel: URIs, never a SIP URI, and a
// pattern with '+' matches only numbers with '+'.
//
// SIP patterns have the form sip:USER@HOST or sip:USER@HOST:PORT (or
// sips:). USER is a literal user part or '*' for any user part. HOST must
// equal the target's host (names compare case-insensitively). Without a
// port the pattern accepts any port; with one, the target's port must be
// equal, a target without a port having the scheme's default (5060 for
// sip:, 5061 for sips:). The scheme must be equal: sip: does not match
// sips:.
//
// # Rules
//
// A target is allowed when it matches an allow pattern and no deny pattern.
// Deny wins over allow; an empty allow list allows nothing.
package dialplan

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned (wrapped) by Check and Resolve.
var (
	// ErrForbidden: the target is well formed but the plan does not allow it.
	ErrForbidden = errors.New("not allowed by the dial plan")
	// ErrInvalid: the target is not a number or URI earshot could dial.
	ErrInvalid = errors.New("not a dialable number or SIP URI")
)

// Plan is a compiled dial plan. It is immutable and safe for concurrent
// use. A nil *Plan allows nothing.
type Plan struct {
	allow []pattern
	deny  []pattern
}

// PatternError reports a pattern that does not compile.
type PatternError struct {
	List    string // "allow" or "deny"; empty from CheckPattern
	Index   int    // position in the list
	Pattern string
	Reason  string
}

// Error implements error.
func (e *PatternError) Error() string {
	if e.List == "" {
		return fmt.Sprintf("dial plan pattern %q: %s", e.Pattern, e.Reason)
	}
	return fmt.Sprintf("dial plan %s[%d] %q: %s", e.List, e.Index, e.Pattern, e.Reason)
}

// Compile checks and compiles allow and deny patterns (syntax in the
// package comment). A bad pattern gives a *PatternError naming it.
func Compile(allow, deny []string) (*Plan, error) {
	p := &Plan{}
	var err error
	if p.allow, err = compileList("allow", allow); err != nil {
		return nil, err
	}
	if p.deny, err = compileList("deny", deny); err != nil {
		return nil, err
	}
	return p, nil
}

func compileList(list string, src []string) ([]pattern, error) {
	out := make([]pattern, 0, len(src))
	for i, s := range src {
		pt, reason := parsePattern(s)
		if reason != "" {
			return nil, &PatternError{List: list, Index: i, Pattern: s, Reason: reason}
		}
		out = append(out, pt)
	}
	return out, nil
}

// CheckPattern reports whether one pattern compiles; the error is a
// *PatternError with an empty List.
func CheckPattern(s string) error {
	if _, reason := parsePattern(s); reason != "" {
		return &PatternError{Pattern: s, Reason: reason}
	}
	return nil
}

// Check reports whether target may be dialled. The error wraps ErrInvalid
// when target is not a dialable number or URI, and ErrForbidden when the
// plan does not allow it.
func (p *Plan) Check(target string) error {
	_, err := p.Resolve(target)
	return err
}

// Resolve normalises target and checks it, returning the normalised form:
// the exact string to dial, so what is dialled is what was checked.
func (p *Plan) Resolve(target string) (string, error) {
	t, err := parseTarget(target)
	if err != nil {
		return "", err
	}
	if p == nil {
		return "", fmt.Errorf("%s is %w (no dial plan)", t.canon, ErrForbidden)
	}
	for i := range p.deny {
		if p.deny[i].match(&t) {
			return "", fmt.Errorf("%s is %w (denied by %q)", t.canon, ErrForbidden, p.deny[i].text)
		}
	}
	for i := range p.allow {
		if p.allow[i].match(&t) {
			return t.canon, nil
		}
	}
	return "", fmt.Errorf("%s is %w", t.canon, ErrForbidden)
}

// Normalize returns the canonical form of a target: a number without
// separators ("+15550100"), a tel: URI as its number, a SIP URI with the
// scheme and host in lower case. The error wraps ErrInvalid.
func Normalize(target string) (string, error) {
	t, err := parseTarget(target)
	if err != nil {
		return "", err
	}
	return t.canon, nil
}

// invalid builds an ErrInvalid error that quotes (a bounded prefix of) the
// raw input.
func invalid(raw, reason string) error {
	const show = 40
	q := raw
	if len(q) > show {
		q = q[:show] + "…"
	}
	return fmt.Errorf("%q is %w: %s", q, ErrInvalid, reason)
}

// asciiLower lower-cases ASCII letters only.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
