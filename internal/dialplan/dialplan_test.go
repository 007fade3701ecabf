package dialplan

import (
	"errors"
	"strings"
	"testing"
)

// demoPlan is the shape of the demo's dial plan.
func demoPlan(t testing.TB) *Plan {
	t.Helper()
	p, err := Compile(
		[]string{"+1555XXXXXXX", "sip:*@127.0.0.1", "sip:*@[::1]", "sips:desk@pbx.example.com:5061", "0[1-3]NXXXXXXX", "+44 20 7946 0!"},
		[]string{"+1900!", "+1976!", "+1555999XXXX", "sip:blocked@127.0.0.1"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	const (
		ok        = "allowed"
		forbidden = "forbidden"
		bad       = "invalid"
	)
	tests := []struct {
		target string
		want   string
		canon  string // normalised form when allowed
	}{
		// allowed numbers, with separators
		{"+15550100123", ok, "+15550100123"},
		{"+1 555 010 0123", ok, "+15550100123"},
		{"+1 (555) 010-0123", ok, "+15550100123"},
		{"+1.555.010.0123", ok, "+15550100123"},
		{"  +15550100123  ", ok, "+15550100123"},
		{"tel:+1-555-010-0123", ok, "+15550100123"},
		{"TEL:+15550100123", ok, "+15550100123"},
		{"0125123456", ok, "0125123456"},
		{"0325999999", ok, "0325999999"},
		{"+442079460", ok, "+442079460"},
		{"+4420794601234", ok, "+4420794601234"},
		// allowed SIP URIs
		{"sip:alice@127.0.0.1", ok, "sip:alice@127.0.0.1"},
		{"SIP:Alice@127.0.0.1:5070", ok, "sip:Alice@127.0.0.1:5070"},
		{"sip:+15550100@127.0.0.1;transport=TCP", ok, "sip:+15550100@127.0.0.1;transport=tcp"},
		{"sip:bob@[::1]:5080", ok, "sip:bob@[::1]:5080"},
		{"sip:bob@[0:0:0:0:0:0:0:1]", ok, "sip:bob@[::1]"},
		{"sips:desk@pbx.example.com", ok, "sips:desk@pbx.example.com"},
		{"sips:desk@PBX.Example.COM:5061", ok, "sips:desk@pbx.example.com:5061"},

		// not in the allow list
		{"+15550100", forbidden, ""},     // too short for +1555XXXXXXX
		{"+155501001234", forbidden, ""}, // too long
		{"15550100123", forbidden, ""},   // no '+'
		{"+441234567890", forbidden, ""}, // other country
		{"0025123456", forbidden, ""},    // class [1-3]
		{"0115123456", forbidden, ""},    // N is 2-9
		{"+4420794", forbidden, ""},      // '!' still needs the fixed part
		{"sip:alice@127.0.0.2", forbidden, ""},
		{"sip:alice@localhost", forbidden, ""},
		{"sips:alice@127.0.0.1", forbidden, ""}, // scheme must match
		{"sip:desk@pbx.example.com", forbidden, ""},
		{"sips:other@pbx.example.com", forbidden, ""},
		{"sips:desk@pbx.example.com:5071", forbidden, ""},
		{"sip:alice@[::ffff:127.0.0.1]", forbidden, ""},
		{"sip:alice@127.0.0.1.example.com", forbidden, ""},
		// denied although allowed, and toll-fraud tricks
		{"+19005550100", forbidden, ""},
		{"+1 900 555 0100", forbidden, ""},
		{"+1-900-555-0100", forbidden, ""},
		{"tel:+1-900-555-0100", forbidden, ""},
		{"+1 (976) 555-0100", forbidden, ""},
		{"+15559990000", forbidden, ""},
		{"00 1900 555 0100", forbidden, ""},
		{"011 1 900 555 0100", forbidden, ""},
		{"sip:blocked@127.0.0.1:5070", forbidden, ""},

		// not a target at all
		{"", bad, ""},
		{"   ", bad, ""},
		{"+", bad, ""},
		{"()-", bad, ""},
		{"1-800-FLOWERS", bad, ""},
		{"+1555%00", bad, ""},
		{"+15550100123;ext=1", bad, ""},
		{"+15550100123@127.0.0.1", bad, ""},
		{"+1555010012#", bad, ""},
		{"*67+15550100123", bad, ""},
		{"1+5550100123", bad, ""},
		{"+1555\x000100123", bad, ""},
		{"+1555\n0100123", bad, ""},
		{"+1555\t0100123", bad, ""},
		{"+1555０100123", bad, ""}, // full-width digit
		{"+1555٠100123", bad, ""}, // Arabic-Indic digit
		{"+1234567890123456", bad, ""},
		{strings.Repeat("1", 33), bad, ""},
		{"+1" + strings.Repeat(" ", 130), bad, ""},
		{"tel:15550100123", bad, ""},
		{"tel:+15550100123;phone-context=+1", bad, ""},
		{"tel:", bad, ""},
		{"sip:", bad, ""},
		{"sip:127.0.0.1", bad, ""},
		{"sip:@127.0.0.1", bad, ""},
		{"sip:alice@", bad, ""},
		{"sip:alice:secret@127.0.0.1", bad, ""},
		{"sip:alice@127.0.0.1;maddr=203.0.113.9", bad, ""},
		{"sip:alice@127.0.0.1;transport=carrier-pigeon", bad, ""},
		{"sip:alice@127.0.0.1?Route=%3Csip:evil%3E", bad, ""},
		{"sip:alice@127.0.0.1?X=1", bad, ""},
		{"sip:al%69ce@127.0.0.1", bad, ""},
		{"sip:alice@bob@127.0.0.1", bad, ""},
		{"sip:ali ce@127.0.0.1", bad, ""},
		{"sip:alice@127.1", bad, ""},
		{"sip:alice@127.000.000.001", bad, ""},
		{"sip:alice@0x7f.0.0.1", bad, ""},
		{"sip:alice@::1", bad, ""},
		{"sip:alice@[::1", bad, ""},
		{"sip:alice@[fe80::1%eth0]", bad, ""},
		{"sip:alice@127.0.0.1:0", bad, ""},
		{"sip:alice@127.0.0.1:65536", bad, ""},
		{"sip:alice@127.0.0.1:50x0", bad, ""},
		{"sip:alice@127.0.0.1:", bad, ""},
		{"sip:alice@-host.example", bad, ""},
		{"sip:alice@host..example", bad, ""},
		{"sip:alice@host_name.example", bad, ""},
		{"alice@127.0.0.1", bad, ""},
		{"http://127.0.0.1/", bad, ""},
		{"sip:" + strings.Repeat("a", 65) + "@127.0.0.1", bad, ""},
	}
	p := demoPlan(t)
	for _, tt := range tests {
		got, err := p.Resolve(tt.target)
		switch tt.want {
		case ok:
			if err != nil {
				t.Errorf("Resolve(%q): %v, want allowed", tt.target, err)
			} else if got != tt.canon {
				t.Errorf("Resolve(%q) = %q, want %q", tt.target, got, tt.canon)
			}
		case forbidden:
			if !errors.Is(err, ErrForbidden) {
				t.Errorf("Resolve(%q) = %q, %v, want ErrForbidden", tt.target, got, err)
			}
		case bad:
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Resolve(%q) = %q, %v, want ErrInvalid", tt.target, got, err)
			}
		}
		if (err == nil) != (p.Check(tt.target) == nil) {
			t.Errorf("Check(%q) and Resolve disagree", tt.target)
		}
	}
}

func TestCheckMessages(t *testing.T) {
	p := demoPlan(t)
	tests := []struct{ target, want string }{
		{"+1 900 555 0100", `+19005550100 is not allowed by the dial plan (denied by "+1900!")`},
		{"+441234567890", `+441234567890 is not allowed by the dial plan`},
		{"1-800-FLOWERS", `"1-800-FLOWERS" is not a dialable number or SIP URI: letters are not allowed in a number (a SIP URI starts with sip:)`},
		{"+1555%00", `"+1555%00" is not a dialable number or SIP URI: character '%' is not allowed in a number`},
		{strings.Repeat("9", 200), `"` + strings.Repeat("9", 40) + `…" is not a dialable number or SIP URI: longer than 128 characters`},
	}
	for _, tt := range tests {
		err := p.Check(tt.target)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Check(%q) = %v\nwant %s", tt.target, err, tt.want)
		}
	}
}

func TestEmptyAllowAllowsNothing(t *testing.T) {
	p, err := Compile(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"+15550100123", "sip:alice@127.0.0.1", "1"} {
		if err := p.Check(target); !errors.Is(err, ErrForbidden) {
			t.Errorf("Check(%q) = %v, want ErrForbidden", target, err)
		}
	}
}

func TestNilPlanAllowsNothing(t *testing.T) {
	var p *Plan
	if err := p.Check("+15550100123"); !errors.Is(err, ErrForbidden) {
		t.Errorf("nil plan: %v, want ErrForbidden", err)
	}
	if err := p.Check("x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil plan: %v, want ErrInvalid", err)
	}
}

func TestDenyWinsOverAllow(t *testing.T) {
	p, err := Compile([]string{"+.", "sip:*@127.0.0.1"}, []string{"+.", "sip:*@127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"+15550100123", "sip:alice@127.0.0.1"} {
		if err := p.Check(target); !errors.Is(err, ErrForbidden) {
			t.Errorf("Check(%q) = %v, want ErrForbidden", target, err)
		}
	}
}

func TestPatternTails(t *testing.T) {
	tests := []struct {
		pattern, number string
		want            bool
	}{
		{"+1900.", "+1900", false},
		{"+1900.", "+19001", true},
		{"+1900!", "+1900", true},
		{"+1900!", "+190055501", true},
		{"+1900!", "+190", false},
		{"+.", "+1", true},
		{".", "+1", false},
		{".", "1", true},
		{"!", "12345", true},
		{"+!", "+12345", true},
		{"1XXX", "1999", true},
		{"1XXX", "19999", false},
		{"1ZZZ", "1010", false},
		{"1NXX", "1199", false},
		{"1NXX", "1299", true},
		{"1nxx", "1299", true},
		{"[13579]", "7", true},
		{"[13579]", "8", false},
		{"[0-36-9]", "5", false},
		{"[0-36-9]", "6", true},
		{"[0-36-9]", "0", true},
		{"[5-5]", "5", true},
	}
	for _, tt := range tests {
		p, err := Compile([]string{tt.pattern}, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.pattern, err)
		}
		if got := p.Check(tt.number) == nil; got != tt.want {
			t.Errorf("%q on %q = %v, want %v", tt.pattern, tt.number, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ pattern, reason string }{
		{"", "empty pattern"},
		{"   ", "empty pattern"},
		{"+", "a number pattern needs at least one digit, '.' or '!'"},
		{"+1.5", "'.' is only allowed at the end"},
		{"+1!!", "'!' is only allowed at the end"},
		{"1+2", "'+' is only allowed at the start"},
		{"+1[", "unclosed '['"},
		{"+1[]", "empty '[]' class"},
		{"+1[a]", "only digits and ranges are allowed in '[...]'"},
		{"+1[5-1]", "bad range in '[...]'"},
		{"+1[5-]", "bad range in '[...]'"},
		{"+1-555", "character '-' is not allowed in a number pattern"},
		{"+1Y", "character 'Y' is not allowed in a number pattern"},
		{"+1*", "character '*' is not allowed in a number pattern"},
		{"tel:+1555", "only number patterns and sip:/sips: patterns are supported"},
		{"sip:127.0.0.1", "a SIP pattern has the form sip:user@host (user may be *)"},
		{"sip:*@*", "the host must be exact: '*' is only allowed as the user part"},
		{"sip:*@*.example.com", "the host must be exact: '*' is only allowed as the user part"},
		{"sip:a*@127.0.0.1", "character '*' is not allowed in a SIP user part"},
		{"sip:*@127.0.0.1;transport=tcp", "parameters, headers and escapes are not allowed in a SIP pattern"},
		{"sip:*@127.0.0.1:99999", "port out of range"},
		{"sip:*@", "empty host"},
		{"+1555\x00", "contains a control or non-ASCII character"},
		{strings.Repeat("X", 129), "longer than 128 characters"},
		{strings.Repeat("X", 33), "too many digits"},
	}
	for _, tt := range tests {
		_, err := Compile([]string{"+1555XXXXXXX"}, []string{"+1900!", tt.pattern})
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("Compile(%q) = %v, want a *PatternError", tt.pattern, err)
			continue
		}
		if pe.List != "deny" || pe.Index != 1 || pe.Pattern != tt.pattern || pe.Reason != tt.reason {
			t.Errorf("Compile(%q) = %+v, want deny[1] with reason %q", tt.pattern, pe, tt.reason)
		}
		if err := CheckPattern(tt.pattern); err == nil {
			t.Errorf("CheckPattern(%q) = nil", tt.pattern)
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, s := range []string{"+1 (555) 010-0123", "tel:+44-20-7946-0000", "SIP:Bob@Example.COM:05060;Transport=TLS", "sips:x@[0::1]"} {
		n, err := Normalize(s)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", s, err)
		}
		n2, err := Normalize(n)
		if err != nil || n2 != n {
			t.Errorf("Normalize(Normalize(%q)) = %q, %v; want %q", s, n2, err, n)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	p := demoPlan(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Resolve("+1 (555) 010-0123"); err != nil {
			b.Fatal(err)
		}
	}
}
