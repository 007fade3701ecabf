package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// TokenBytes is how many random bytes a token carries.
const TokenBytes = 32

// NewToken returns a fresh random token, URL-safe and unpadded, for session
// cookies and CSRF tokens.
func NewToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenID returns the SHA-256 of token in hex: what a store keeps instead of
// the token itself, so a leaked table holds no usable cookie.
func TokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
