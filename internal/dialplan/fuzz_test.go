package dialplan

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCheck: Resolve never panics, every error is ErrInvalid or
// ErrForbidden, and an allowed target's normalised form is itself allowed,
// unchanged, and plain printable ASCII.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"+15550100123", "+1 (555) 010-0123", "tel:+1-555-010-0123",
		"sip:alice@127.0.0.1:5070;transport=tcp", "sips:desk@pbx.example.com",
		"sip:bob@[::1]", "+1 900 555 0100", "00 1900 555 0100", "+1555%00",
		"+15550100123;ext=1", "+15550100123@127.0.0.1", "sip:a@127.0.0.1?X=1",
		"sip:a@127.0.0.1;maddr=1.2.3.4", "1-800-FLOWERS", "",
	} {
		f.Add(s)
	}
	p := demoPlan(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := p.Resolve(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrForbidden) {
				t.Fatalf("Resolve(%q): unexpected error %v", s, err)
			}
			if n, nerr := Normalize(s); nerr == nil && errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%q) = %q but Resolve says invalid: %v", s, n, err)
			}
			return
		}
		if len(got) == 0 || len(got) > MaxLen {
			t.Fatalf("Resolve(%q) = %q: bad length", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= ' ' || got[i] >= 0x7f || got[i] == '%' || got[i] == '?' {
				t.Fatalf("Resolve(%q) = %q: unexpected byte %q", s, got, got[i])
			}
		}
		if strings.Contains(got, "@") != strings.HasPrefix(got, "sip") {
			t.Fatalf("Resolve(%q) = %q: '@' outside a SIP URI", s, got)
		}
		again, err := p.Resolve(got)
		if err != nil || again != got {
			t.Fatalf("Resolve(%q) = %q, but Resolve(%q) = %q, %v", s, got, got, again, err)
		}
	})
}

// FuzzCompile: a pattern either compiles or is refused with a
// *PatternError; a compiled pattern never panics on a target.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"+1555XXXXXXX", "+1900!", "0[1-3]NXXXXXXX", ".", "+!", "sip:*@127.0.0.1",
		"sips:desk@pbx.example.com:5061", "sip:*@[::1]", "+1[5-", "sip:*@*",
	} {
		f.Add(s, "+15550100123")
	}
	f.Fuzz(func(t *testing.T, pat, target string) {
		p, err := Compile([]string{pat}, nil)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q): %v is not a *PatternError", pat, err)
			}
			return
		}
		_ = p.Check(target)
	})
}
