package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

const tokenBytes = 48

// TokenHash is the SHA-256 of a session token: the only form stored.
type TokenHash [sha256.Size]byte

// NewSessionToken returns a fresh session token (48 random bytes, base64url)
// and the hash to store for it.
func NewSessionToken() (string, TokenHash, error) {
	return newToken()
}

func newToken() (string, TokenHash, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", TokenHash{}, fmt.Errorf("new token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	return token, hashToken(token), nil
}

func hashToken(token string) TokenHash {
	return sha256.Sum256([]byte(token))
}

// wellFormedToken reports whether token could have been issued by newToken, so
// that garbage is refused without a database query.
func wellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// BearerToken extracts the token of an Authorization header value. The scheme
// matches without regard to case (RFC 7235); anything but "Bearer <token>"
// with a well-formed token yields ok == false.
func BearerToken(header string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(rest, " ")
	if !wellFormedToken(token) {
		return "", false
	}
	return token, true
}
