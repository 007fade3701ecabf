package assist

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEndpoint(t *testing.T) {
	rows := []struct {
		kind, target string
		want         Endpoint
		says         string // when refused
	}{
		{"web", "", Endpoint{Kind: EndpointWeb}, ""},
		{"web", "  ", Endpoint{Kind: EndpointWeb}, ""},
		{"phone", " +15550100123 ", Endpoint{Kind: EndpointPhone, Target: "+15550100123"}, ""},
		{"phone", "sip:sam@127.0.0.1:5070", Endpoint{Kind: EndpointPhone, Target: "sip:sam@127.0.0.1:5070"}, ""},
		{"web", "+15550100123", Endpoint{}, "needs no number"},
		{"phone", "", Endpoint{}, "Type the number"},
		{"phone", "+1555\x00", Endpoint{}, "cannot be dialled"},
		{"phone", strings.Repeat("1", 300), Endpoint{}, "too long"},
		{"", "", Endpoint{}, "Choose where"},
		{"fax", "", Endpoint{}, `Unknown endpoint kind "fax"`},
	}
	for _, r := range rows {
		got, err := ParseEndpoint(r.kind, r.target)
		if r.says != "" {
			if !errors.Is(err, ErrBadEndpoint) || !strings.Contains(err.Error(), r.says) {
				t.Errorf("%q %q: %v, want ErrBadEndpoint saying %q", r.kind, r.target, err, r.says)
			}
			continue
		}
		if err != nil || got != r.want {
			t.Errorf("%q %q: %+v, %v; want %+v", r.kind, r.target, got, err, r.want)
		}
	}
}

// TestSetEndpoint: a phone must pass the dial plan, and is kept as the
// plan normalised it.
func TestSetEndpoint(t *testing.T) {
	f := newFixture(t)
	got, err := f.desk.SetEndpoint("sam", phone("+1 (555) 010-0123"))
	if err != nil || got != phone("+15550100123") {
		t.Fatalf("set: %+v, %v", got, err)
	}
	if ep, ok := f.desk.Endpoint("sam"); !ok || ep != got {
		t.Fatalf("stored %+v %v", ep, ok)
	}
	for _, bad := range []Endpoint{phone("+19005550100"), phone("sip:sam@198.51.100.7"), phone("call me"), {Kind: "fax"}} {
		if _, err := f.desk.SetEndpoint("sam", bad); !errors.Is(err, ErrBadEndpoint) {
			t.Errorf("%+v: %v, want ErrBadEndpoint", bad, err)
		}
	}
	if ep, _ := f.desk.Endpoint("sam"); ep != got {
		t.Fatalf("a refused endpoint replaced the good one: %+v", ep)
	}
	if _, err := f.desk.SetEndpoint("nobody", Endpoint{Kind: EndpointWeb}); err == nil {
		t.Fatal("an unknown user set an endpoint")
	}
	if _, err := f.desk.SetEndpoint("sam", Endpoint{Kind: EndpointWeb}); err != nil {
		t.Fatal(err)
	}
}

// FuzzParseEndpoint: any input gives an endpoint or ErrBadEndpoint, never
// a panic; what is accepted parses again to itself; what is refused is
// quoted back as valid UTF-8 of bounded length.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range [][2]string{{"web", ""}, {"phone", "+15550100123"}, {"phone", "sip:sam@127.0.0.1:5070"},
		{"phone", ""}, {"fax", "x"}, {"\xff", "\x00"}, {"phone", " \t+1 555 "}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, kind, target string) {
		ep, err := ParseEndpoint(kind, target)
		if err != nil {
			if !errors.Is(err, ErrBadEndpoint) {
				t.Fatalf("error %v does not wrap ErrBadEndpoint", err)
			}
			if msg := err.Error(); !utf8.ValidString(msg) || len(msg) > 500 {
				t.Fatalf("refusal %q", msg)
			}
			return
		}
		if ep.Kind != EndpointWeb && ep.Kind != EndpointPhone {
			t.Fatalf("accepted kind %q", ep.Kind)
		}
		again, err := ParseEndpoint(string(ep.Kind), ep.Target)
		if err != nil || again != ep {
			t.Fatalf("%+v parses again to %+v, %v", ep, again, err)
		}
	})
}
