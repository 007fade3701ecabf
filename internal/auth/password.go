package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password length limits, in characters (minimum) and bytes (maximum).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

// Errors returned by CheckPassword and Hash.
var (
	ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordLen)
	ErrPasswordTooLong  = fmt.Errorf("password must be at most %d bytes", MaxPasswordLen)
	ErrBadHash          = errors.New("not a supported password hash")
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams follow the OWASP recommendation for argon2id
// (19 MiB, 2 passes, 1 thread): affordable on a small server logging in a
// whole shift at once.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds a stored hash must respect before Verify spends memory on it, so a
// hostile or corrupt hash cannot exhaust the server.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// CheckPassword reports whether pw is acceptable as a new password.
func CheckPassword(pw string) error {
	if len(pw) > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return ErrPasswordTooShort
	}
	return nil
}

// Hash returns the argon2id hash of pw in PHC string form,
// $argon2id$v=19$m=…,t=…,p=…$salt$key, with DefaultParams.
func Hash(pw string) (string, error) { return HashWith(pw, DefaultParams) }

// HashWith is Hash with explicit parameters.
func HashWith(pw string, p Params) (string, error) {
	if len(pw) > MaxPasswordLen {
		return "", ErrPasswordTooLong
	}
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encode(p, salt, key), nil
}

// Verify reports whether pw matches hash, an argon2id PHC string or a bcrypt
// hash ($2a$, $2b$, $2y$). The key comparison is constant-time. A malformed
// hash never matches.
func Verify(hash, pw string) bool {
	if len(pw) > MaxPasswordLen {
		return false
	}
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
	}
	p, salt, key, err := decode(hash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1
}

// CheckHash reports whether hash is a hash Verify can use.
func CheckHash(hash string) error {
	if strings.HasPrefix(hash, "$2") {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("%w: %w", ErrBadHash, err)
		}
		return nil
	}
	_, _, _, err := decode(hash)
	return err
}

func (p Params) check() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("%w: memory %d KiB out of range", ErrBadHash, p.Memory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: time %d out of range", ErrBadHash, p.Time)
	case p.Threads < 1:
		return fmt.Errorf("%w: parallelism must be at least 1", ErrBadHash)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("%w: salt length %d out of range", ErrBadHash, p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key length %d out of range", ErrBadHash, p.KeyLen)
	}
	return nil
}

var b64 = base64.RawStdEncoding

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses an argon2id PHC string strictly: fields in order, decimal
// numbers without signs or leading zeros, unpadded standard base64.
func decode(s string) (Params, []byte, []byte, error) {
	var p Params
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: want $argon2id$v=…$m=…,t=…,p=…$salt$key", ErrBadHash)
	}
	v, ok := strings.CutPrefix(f[2], "v=")
	if !ok {
		return p, nil, nil, fmt.Errorf("%w: missing version", ErrBadHash)
	}
	if n, err := number(v, 255); err != nil || n != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrBadHash, v)
	}
	ps := strings.Split(f[3], ",")
	if len(ps) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want m=…,t=…,p=…", ErrBadHash)
	}
	var vals [3]uint32
	for i, name := range []string{"m=", "t=", "p="} {
		raw, ok := strings.CutPrefix(ps[i], name)
		if !ok {
			return p, nil, nil, fmt.Errorf("%w: want m=…,t=…,p=…", ErrBadHash)
		}
		n, err := number(raw, maxMemory)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: parameter %s%s: %w", ErrBadHash, name, raw, err)
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return p, nil, nil, fmt.Errorf("%w: parallelism %d out of range", ErrBadHash, vals[2])
	}
	// base64 decoding skips line breaks; a hash holds none
	if strings.ContainsAny(f[4]+f[5], "\r\n") {
		return p, nil, nil, fmt.Errorf("%w: line break in salt or key", ErrBadHash)
	}
	salt, err := b64.Strict().DecodeString(f[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt: %w", ErrBadHash, err)
	}
	key, err := b64.Strict().DecodeString(f[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: key: %w", ErrBadHash, err)
	}
	p = Params{Memory: vals[0], Time: vals[1], Threads: uint8(vals[2]), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.check(); err != nil {
		return p, nil, nil, err
	}
	return p, salt, key, nil
}

// number parses a canonical decimal no larger than max.
func number(s string, max uint32) (uint32, error) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("not a canonical number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a canonical number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > uint64(max) {
		return 0, errors.New("number out of range")
	}
	return uint32(n), nil
}
