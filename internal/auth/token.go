package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so that leaked tokens are easy to
// recognise in logs and by secret scanners.
const TokenPrefix = "fbk_"

// NewSecret returns 32 random bytes, base64url-encoded.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewToken returns a new API token and the hash to store. Tokens carry 256
// random bits, so a fast hash is enough: nothing can be guessed offline.
func NewToken() (token, hash string) {
	token = TokenPrefix + NewSecret()
	return token, HashSecret(token)
}

// HashSecret returns the hex SHA-256 of a token or session secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken reports whether s has the shape of an API token.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) == len(TokenPrefix)+43
}
