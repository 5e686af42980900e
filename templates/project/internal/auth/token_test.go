package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	tok, hash, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 48 {
		t.Fatalf("token %q decodes to %d bytes, %v; want 48", tok, len(raw), err)
	}
	if hash != hashToken(tok) {
		t.Fatal("hash is not the SHA-256 of the token")
	}
	tok2, _, _ := newToken()
	if tok == tok2 {
		t.Fatal("two tokens are equal")
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	tok, _, _ := newToken()
	tests := []struct {
		header string
		ok     bool
	}{
		{"Bearer " + tok, true},
		{"bearer " + tok, true},
		{"BEARER " + tok, true},
		{"bEaReR " + tok, true},
		{"Bearer  " + tok, true},
		{"", false},
		{"Bearer", false},
		{"Bearer ", false},
		{tok, false},
		{"Basic " + tok, false},
		{"Basic dXNlcjpwYXNz", false},
		{"Token " + tok, false},
		{"Bearer " + tok + " extra", false},
		{"Bearer " + tok[:len(tok)-1], false},
		{"Bearer " + tok + "A", false},
		{"Bearer " + strings.Repeat("!", len(tok)), false},
		{"Bearer\t" + tok, false},
		{"Bearer " + base64.StdEncoding.EncodeToString(make([]byte, 48)), true},
	}
	for _, tt := range tests {
		got, ok := BearerToken(tt.header)
		if ok != tt.ok {
			t.Errorf("BearerToken(%q) ok = %v, want %v", tt.header, ok, tt.ok)
		}
		if ok && got != strings.TrimLeft(tt.header[len("Bearer"):], " ") {
			t.Errorf("BearerToken(%q) = %q", tt.header, got)
		}
	}
}
