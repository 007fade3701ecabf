package sdp

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SDES-SRTP (RFC 4568): the a=crypto attribute of an RTP/SAVP stream
// carries the sender's master key in the SDP itself, so it is only as
// secret as the signalling that carries it.

// Sentinel errors of SRTP negotiation. Callers map both to 488.
var (
	// ErrUnsupportedCrypto means one a=crypto attribute is well formed but
	// asks for something earshot does not do: another crypto suite, a
	// master key identifier (MKI), several master keys or session
	// parameters. Such an attribute is skipped in an offer.
	ErrUnsupportedCrypto = errors.New("unsupported SRTP crypto attribute")
	// ErrNoCommonCrypto means an RTP/SAVP stream is offered (and no plain
	// RTP/AVP one) but none of its crypto attributes can be used.
	ErrNoCommonCrypto = errors.New("no supported SRTP crypto suite (earshot supports " + supportedSuites + ")")
)

// Suite is an SDES crypto suite (RFC 4568 section 6.2).
type Suite uint8

// The crypto suites earshot speaks. Both use a 128-bit AES key in counter
// mode and a 112-bit salt; they differ in the length of the HMAC-SHA1
// authentication tag (80 or 32 bits).
const (
	AESCM128HMACSHA180 Suite = iota + 1 // AES_CM_128_HMAC_SHA1_80
	AESCM128HMACSHA132                  // AES_CM_128_HMAC_SHA1_32
)

const supportedSuites = "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32"

// String returns the suite's name as SDP writes it.
func (s Suite) String() string {
	switch s {
	case AESCM128HMACSHA180:
		return "AES_CM_128_HMAC_SHA1_80"
	case AESCM128HMACSHA132:
		return "AES_CM_128_HMAC_SHA1_32"
	default:
		return "Suite(" + strconv.Itoa(int(s)) + ")"
	}
}

func suiteOf(name string) (Suite, bool) {
	switch name {
	case "AES_CM_128_HMAC_SHA1_80":
		return AESCM128HMACSHA180, true
	case "AES_CM_128_HMAC_SHA1_32":
		return AESCM128HMACSHA132, true
	}
	return 0, false
}

// MasterKeyLen is the length of a master key and its salt together, for
// both suites: 16 bytes of key then 14 bytes of salt.
const MasterKeyLen = 30

// MasterKey is an SRTP master key followed by its master salt, as the
// inline: key parameter carries them.
type MasterKey [MasterKeyLen]byte

// NewMasterKey returns a fresh random master key and salt.
func NewMasterKey() (MasterKey, error) {
	var k MasterKey
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("SRTP master key: %w", err)
	}
	return k, nil
}

// Key returns the 16-byte master key.
func (k *MasterKey) Key() []byte { return k[:16] }

// Salt returns the 14-byte master salt.
func (k *MasterKey) Salt() []byte { return k[16:] }

// Crypto is one a=crypto attribute earshot can use.
type Crypto struct {
	// Tag identifies the attribute within its m= line; an answer repeats
	// the tag of the offer's attribute it accepts.
	Tag uint32
	// Suite is the crypto suite.
	Suite Suite
	// Key is the master key and salt the attribute's writer encrypts with.
	Key MasterKey
}

// maxLifetime is the most packets one master key may protect (RFC 3711
// section 9.2): 2^48.
const maxLifetime = 1 << 48

// ParseCrypto reads the value of an a=crypto attribute (what follows
// "crypto:"): "<tag> <suite> inline:<key||salt base64>[|<lifetime>]".
// Its errors never quote key material: they are logged and sent back in
// Warning headers.
// A value that breaks RFC 4568 syntax fails with ErrMalformed; a well-formed
// one earshot cannot use (another suite, an MKI, several keys, session
// parameters) fails with ErrUnsupportedCrypto.
func ParseCrypto(v string) (Crypto, error) {
	var c Crypto
	fields := strings.Fields(v)
	if len(fields) < 3 {
		return c, fmt.Errorf("crypto attribute has %d fields, want tag, suite and key parameters: %w", len(fields), ErrMalformed)
	}
	if len(fields[0]) > 9 || strings.Trim(fields[0], "0123456789") != "" {
		return c, fmt.Errorf("crypto tag is not 1 to 9 digits: %w", ErrMalformed)
	}
	tag, _ := strconv.ParseUint(fields[0], 10, 32) // at most 9 digits
	c.Tag = uint32(tag)
	name := fields[1]
	if !isToken(name) {
		return c, fmt.Errorf("crypto %d: the suite is not a name: %w", c.Tag, ErrMalformed)
	}
	params := fields[2]
	for _, p := range strings.Split(params, ";") {
		method, info, ok := strings.Cut(p, ":")
		if !ok || method == "" || info == "" {
			return c, fmt.Errorf("crypto %d: a key parameter is not method:info: %w", c.Tag, ErrMalformed)
		}
	}
	suite, known := suiteOf(name)
	if !known {
		return c, fmt.Errorf("crypto suite %s: %w", name, ErrUnsupportedCrypto)
	}
	c.Suite = suite
	if strings.Contains(params, ";") {
		return c, fmt.Errorf("crypto %d: several master keys: %w", c.Tag, ErrUnsupportedCrypto)
	}
	method, info, _ := strings.Cut(params, ":")
	if method != "inline" {
		return c, fmt.Errorf("crypto %d: the key method is not inline: %w", c.Tag, ErrMalformed)
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return c, fmt.Errorf("crypto %d: key info has %d parts: %w", c.Tag, len(parts), ErrMalformed)
	}
	if err := decodeKey(&c.Key, parts[0]); err != nil {
		return c, fmt.Errorf("crypto %d: %w", c.Tag, err)
	}
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			if err := checkMKI(p); err != nil {
				return c, fmt.Errorf("crypto %d: %w", c.Tag, err)
			}
			return c, fmt.Errorf("crypto %d: master key identifier %s: %w", c.Tag, p, ErrUnsupportedCrypto)
		}
		if err := checkLifetime(p); err != nil {
			return c, fmt.Errorf("crypto %d: %w", c.Tag, err)
		}
	}
	if len(parts) == 3 && !strings.Contains(parts[2], ":") {
		return c, fmt.Errorf("crypto %d: two lifetimes: %w", c.Tag, ErrMalformed)
	}
	if len(fields) > 3 {
		return c, fmt.Errorf("crypto %d: %d session parameters: %w", c.Tag, len(fields)-3, ErrUnsupportedCrypto)
	}
	return c, nil
}

// decodeKey reads the base64 key||salt of an inline: parameter. Some
// writers leave out the padding, which 30 bytes never need anyway.
func decodeKey(k *MasterKey, s string) error {
	n := base64.RawStdEncoding.DecodedLen(len(strings.TrimRight(s, "=")))
	if n != MasterKeyLen {
		return fmt.Errorf("inline key is %d bytes, want %d: %w", n, MasterKeyLen, ErrMalformed)
	}
	if _, err := base64.RawStdEncoding.Strict().Decode(k[:], []byte(strings.TrimRight(s, "="))); err != nil {
		return fmt.Errorf("inline key is not base64: %w", ErrMalformed)
	}
	return nil
}

// checkLifetime checks a key lifetime: a decimal or "2^" and a power, at
// most 2^48 packets.
func checkLifetime(s string) error {
	if exp, ok := strings.CutPrefix(s, "2^"); ok {
		e, err := strconv.ParseUint(exp, 10, 8)
		if err != nil || e > 48 || !isDigits(exp) {
			return fmt.Errorf("key lifetime is not 2^0 to 2^48: %w", ErrMalformed)
		}
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > maxLifetime || !isDigits(s) {
		return fmt.Errorf("key lifetime is not 1 to 2^48 packets: %w", ErrMalformed)
	}
	return nil
}

// checkMKI checks "<value>:<length>" (RFC 4568: length 1 to 128 bytes).
func checkMKI(s string) error {
	v, l, _ := strings.Cut(s, ":")
	n, err := strconv.ParseUint(l, 10, 8)
	if v == "" || !isDigits(v) || len(v) > 39 || err != nil || n == 0 || n > 128 || !isDigits(l) {
		return fmt.Errorf("master key identifier is not value:length (length 1 to 128): %w", ErrMalformed)
	}
	return nil
}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// isToken reports whether s is an SDP token of letters, digits and "_".
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// appendCrypto writes c as an a=crypto line.
func appendCrypto(b []byte, c Crypto) []byte {
	b = append(b, "a=crypto:"...)
	b = strconv.AppendUint(b, uint64(c.Tag), 10)
	b = append(b, ' ')
	b = append(b, c.Suite.String()...)
	b = append(b, " inline:"...)
	b = base64.StdEncoding.AppendEncode(b, c.Key[:])
	return append(b, "\r\n"...)
}

// Keys are the SDES-SRTP keys of one negotiated stream.
type Keys struct {
	// Suite is the crypto suite both directions use.
	Suite Suite
	// Tag is the tag of the accepted crypto attribute.
	Tag uint32
	// Local is the master key earshot encrypts with; zero in a Choice
	// from Choose or ParseAnswer, which know only the far end's key.
	Local MasterKey
	// Remote is the master key the far end encrypts with.
	Remote MasterKey
}
