package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/earshot/earshot/internal/clock"
)

// Digest authentication (RFC 2617, RFC 7616 with MD5, RFC 3261 22) for the
// registrar: the server side only. Outbound trunk auth uses
// github.com/icholy/digest.

// maxDigestHeader bounds an Authorization header earshot will read.
const maxDigestHeader = 4096

var errDigestSyntax = errors.New("malformed digest credentials")

// digestCreds are the parameters of an Authorization header, verbatim.
type digestCreds struct {
	username, realm, nonce, uri, response string
	algorithm, cnonce, qop, nc, opaque    string
}

// parseDigest reads `Digest k=v, k="v", ...`. Unknown parameters are
// skipped; duplicate known ones, bad quoting and missing required ones are
// errors.
func parseDigest(h string) (digestCreds, error) {
	var c digestCreds
	if len(h) > maxDigestHeader {
		return c, fmt.Errorf("%w: header too long", errDigestSyntax)
	}
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return c, fmt.Errorf("%w: scheme %q is not Digest", errDigestSyntax, scheme)
	}
	seen := map[string]bool{}
	s := rest
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return c, fmt.Errorf("%w: parameter without value", errDigestSyntax)
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		if strings.ContainsAny(key, " \t\",") {
			return c, fmt.Errorf("%w: bad parameter name %q", errDigestSyntax, key)
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return c, fmt.Errorf("%w: unterminated quote", errDigestSyntax)
			}
			val, s = b.String(), s[i:]
			s = strings.TrimLeft(s, " \t")
			if s != "" && s[0] != ',' {
				return c, fmt.Errorf("%w: text after quoted value", errDigestSyntax)
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
			if strings.ContainsAny(val, " \t\"") {
				return c, fmt.Errorf("%w: bad token value for %s", errDigestSyntax, key)
			}
		}
		var dst *string
		switch key {
		case "username":
			dst = &c.username
		case "realm":
			dst = &c.realm
		case "nonce":
			dst = &c.nonce
		case "uri":
			dst = &c.uri
		case "response":
			dst = &c.response
		case "algorithm":
			dst = &c.algorithm
		case "cnonce":
			dst = &c.cnonce
		case "qop":
			dst = &c.qop
		case "nc":
			dst = &c.nc
		case "opaque":
			dst = &c.opaque
		default:
			continue
		}
		if seen[key] {
			return c, fmt.Errorf("%w: %s given twice", errDigestSyntax, key)
		}
		seen[key] = true
		*dst = val
	}
	for _, req := range []struct{ name, v string }{
		{"username", c.username}, {"realm", c.realm}, {"nonce", c.nonce}, {"uri", c.uri}, {"response", c.response},
	} {
		if req.v == "" {
			return c, fmt.Errorf("%w: no %s", errDigestSyntax, req.name)
		}
	}
	if c.qop != "" && (c.nc == "" || c.cnonce == "") {
		return c, fmt.Errorf("%w: qop without nc and cnonce", errDigestSyntax)
	}
	return c, nil
}

// digestResponse computes the expected response for c with password.
func digestResponse(c digestCreds, method, password string) string {
	ha1 := md5hex(c.username + ":" + c.realm + ":" + password)
	ha2 := md5hex(method + ":" + c.uri)
	if c.qop == "" {
		return md5hex(ha1 + ":" + c.nonce + ":" + ha2)
	}
	return md5hex(ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// nonces issues and checks stateless nonces: a timestamp and random bytes,
// signed with a key and bound to the client's address.
type nonces struct {
	key   []byte
	ttl   time.Duration
	clock clock.Clock
}

func newNonces(key []byte, ttl time.Duration, clk clock.Clock) *nonces {
	return &nonces{key: key, ttl: ttl, clock: clk}
}

const noncePayload = 16 // 8 bytes of time, 8 random

func (n *nonces) issue(ip netip.Addr) string {
	var p [noncePayload]byte
	binary.BigEndian.PutUint64(p[:8], uint64(n.clock.Now().UnixNano()))
	if _, err := rand.Read(p[8:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(append(p[:], n.mac(p[:], ip)...))
}

// check reports whether nonce was issued by n to ip (valid) and, if so,
// whether it has expired (stale).
func (n *nonces) check(nonce string, ip netip.Addr) (valid, stale bool) {
	if strings.ContainsAny(nonce, "\r\n") { // base64 decoding would skip them
		return false, false
	}
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != noncePayload+16 {
		return false, false
	}
	if subtle.ConstantTimeCompare(b[noncePayload:], n.mac(b[:noncePayload], ip)) != 1 {
		return false, false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	age := n.clock.Now().Sub(issued)
	return true, age > n.ttl || age < -time.Minute
}

func (n *nonces) mac(payload []byte, ip netip.Addr) []byte {
	m := hmac.New(sha256.New, n.key)
	m.Write(payload)
	a := ip.Unmap().As16()
	m.Write(a[:])
	return m.Sum(nil)[:16]
}

// challenge is a WWW-Authenticate value.
func challenge(realm, nonce string, stale bool) string {
	v := fmt.Sprintf(`Digest realm=%q, nonce=%q, algorithm=MD5, qop="auth"`, realm, nonce)
	if stale {
		v += ", stale=true"
	}
	return v
}
