package sip

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"

	"github.com/earshot/earshot/internal/clock"
)

func TestParseDigest(t *testing.T) {
	good := `Digest username="alice", realm="earshot", nonce="abc", uri="sip:127.0.0.1:5060", response="0123456789abcdef0123456789abcdef", algorithm=MD5, cnonce="xyz", qop=auth, nc=00000001`
	c, err := parseDigest(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.username != "alice" || c.realm != "earshot" || c.nonce != "abc" || c.uri != "sip:127.0.0.1:5060" ||
		c.qop != "auth" || c.nc != "00000001" || c.cnonce != "xyz" || c.algorithm != "MD5" {
		t.Fatalf("parsed %+v", c)
	}
	if c, err := parseDigest(`digest username="a\"b", realm="r", nonce="n", uri="u", response="x", x-unknown=whatever`); err != nil || c.username != `a"b` {
		t.Fatalf("escaped quote and unknown param: %+v %v", c, err)
	}
	bad := []string{
		`Basic dXNlcjpwYXNz`,
		`Digest username="alice"`,
		`Digest username="alice, realm="r", nonce="n", uri="u", response="x"`,
		`Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"`,
		`Digest username="a" junk, realm="r", nonce="n", uri="u", response="x"`,
		`Digest =x, username="a", realm="r", nonce="n", uri="u", response="x"`,
		`Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth`,
		`Digest username="a", realm="r", nonce="n", uri="u", response=x y`,
		"Digest " + strings.Repeat("x", maxDigestHeader),
	}
	for _, b := range bad {
		if _, err := parseDigest(b); !errors.Is(err, errDigestSyntax) {
			t.Errorf("parseDigest(%.60q) = %v, want a syntax error", b, err)
		}
	}
}

// The server's check agrees with a client's digest (icholy/digest, which
// sipgo's client uses), with and without qop.
func TestDigestResponseMatchesClient(t *testing.T) {
	for _, qop := range []string{"", "auth"} {
		chal := &digest.Challenge{Realm: "earshot", Nonce: "n0nce", Algorithm: "MD5"}
		if qop != "" {
			chal.QOP = []string{qop}
		}
		cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: "alice", Password: "wonderland"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseDigest(cred.String())
		if err != nil {
			t.Fatalf("parse %q: %v", cred.String(), err)
		}
		if got := digestResponse(c, "REGISTER", "wonderland"); got != c.response {
			t.Errorf("qop %q: computed %s, client sent %s", qop, got, c.response)
		}
		if got := digestResponse(c, "REGISTER", "wrong"); got == c.response {
			t.Errorf("qop %q: wrong password matched", qop)
		}
	}
}

func TestNonces(t *testing.T) {
	clk := clock.NewFake(epoch)
	n := newNonces([]byte("0123456789abcdef0123456789abcdef"), 5*time.Minute, clk)
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.2")
	nonce := n.issue(a)
	if valid, stale := n.check(nonce, a); !valid || stale {
		t.Fatalf("fresh nonce: valid %v stale %v", valid, stale)
	}
	if valid, _ := n.check(nonce, b); valid {
		t.Error("nonce accepted from another address")
	}
	if valid, _ := n.check(nonce[:len(nonce)-2]+"AA", a); valid {
		t.Error("tampered nonce accepted")
	}
	if valid, _ := n.check(nonce[:4]+"\r\n"+nonce[4:], a); valid {
		t.Error("nonce with a line break accepted as the nonce without it")
	}
	if valid, _ := n.check("not-a-nonce", a); valid {
		t.Error("garbage accepted")
	}
	other := newNonces([]byte("another key, another server....."), 5*time.Minute, clk)
	if valid, _ := other.check(nonce, a); valid {
		t.Error("nonce accepted under another key")
	}
	clk.Advance(5*time.Minute + time.Second)
	if valid, stale := n.check(nonce, a); !valid || !stale {
		t.Fatalf("old nonce: valid %v stale %v, want valid and stale", valid, stale)
	}
	if n.issue(a) == nonce {
		t.Error("nonces repeat")
	}
}

// FuzzParseDigest checks that any Authorization value either parses into
// credentials with every required field, or fails with errDigestSyntax.
func FuzzParseDigest(f *testing.F) {
	f.Add(`Digest username="alice", realm="earshot", nonce="abc", uri="sip:127.0.0.1", response="00", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`Digest username="bob", realm="earshot", nonce="n", uri="sip:x", response="r", algorithm=MD5`)
	f.Add(`digest username="a\"b", realm="r", nonce="n", uri="u", response="x"`)
	f.Add(`Digest username=,,,`)
	f.Add(`Digest username="unterminated`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseDigest(h)
		if err != nil {
			if !errors.Is(err, errDigestSyntax) {
				t.Fatalf("error without errDigestSyntax: %v", err)
			}
			return
		}
		if c.username == "" || c.realm == "" || c.nonce == "" || c.uri == "" || c.response == "" {
			t.Fatalf("accepted without a required field: %+v", c)
		}
		if c.qop != "" && (c.nc == "" || c.cnonce == "") {
			t.Fatalf("accepted qop without nc/cnonce: %+v", c)
		}
		_ = digestResponse(c, "REGISTER", "pw")
	})
}
