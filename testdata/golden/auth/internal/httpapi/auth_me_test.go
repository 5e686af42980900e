package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"example.com/demo/internal/auth"
)

// hostileText is text a user may try as a name: everything encoding/json
// escapes, and what it copies as it is.
func hostileText() []string {
	return []string{
		"",
		"alice",
		`quote " backslash \ both \"`,
		"\x00\x01\b\f\n\r\t\x0b\x1b\x1f\x7f",
		"<script>alert('&')</script>",
		`x","role":"admin`,
		"invalid \xff\xfe utf-8, truncated \xe2\x82, overlong \xc0\xaf, surrogate \xed\xa0\x80",
		"separators \u2028 \u2029, é 日本 🎉 \ufffd",
		strings.Repeat("a<\x00é", 100),
	}
}

// The envelope of GET /auth/me is byte for byte the one OK writes through
// encoding/json, whatever the user's name, email and role hold.
func TestMeEnvelope(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("0b6f5c1e-8f5e-4a0b-9d2c-3e4f5a6b7c8d")
	for _, s := range hostileText() {
		for _, me := range []auth.Me{
			{ID: id, Username: s, Email: "a@b.c", Role: auth.RoleUser},
			{ID: uuid.UUID{}, Username: "u", Email: s, Role: auth.Role(s)},
		} {
			checkMeEnvelope(t, me)
		}
	}
}

func FuzzAuthMeEnvelope(f *testing.F) {
	for _, s := range hostileText() {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, username, email, role string) {
		checkMeEnvelope(t, auth.Me{ID: uuid.New(), Username: username, Email: email, Role: auth.Role(role)})
	})
}

func checkMeEnvelope(t *testing.T, me auth.Me) {
	t.Helper()
	want, err := json.Marshal(successEnvelope{Success: true, Data: me})
	if err != nil {
		t.Fatal(err)
	}
	if got := appendMeEnvelope(nil, me); !bytes.Equal(got, want) {
		t.Errorf("%+v:\n got %s\nwant %s", me, got, want)
	}
}
