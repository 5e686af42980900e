package auth

import (
	"strings"
	"testing"

	"github.com/starter-go/starter/templates/project/internal/apperr"
)

// ruleOf returns the message of a validation error without its prefix, or "".
func ruleOf(t *testing.T, err error, field string) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeValidation || e.Field != field {
		t.Fatalf("error = %v, want VALIDATION_FAILED on %s", err, field)
	}
	prefix := "Validation failed for " + field + ": "
	if !strings.HasPrefix(e.Message, prefix) {
		t.Fatalf("message %q lacks prefix %q", e.Message, prefix)
	}
	return strings.TrimPrefix(e.Message, prefix)
}

func TestValidateUsername(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"abc", ""},
		{"Alice_Bob-42", ""},
		{strings.Repeat("a", 50), ""},
		{"ab", MsgUsernameLength},
		{"", MsgUsernameLength},
		{strings.Repeat("a", 51), MsgUsernameLength},
		{"bad name", MsgUsernameChars},
		{"bad.name", MsgUsernameChars},
		{"名前です", MsgUsernameChars},
		{"abc\x00", MsgUsernameChars},
		{"abc\u200b", MsgUsernameChars},
		{"josé", MsgUsernameChars},
	}
	for _, tt := range tests {
		if got := ruleOf(t, ValidateUsername("username", tt.in), "username"); got != tt.want {
			t.Errorf("ValidateUsername(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	t.Parallel()
	valid := []string{
		"a@b.co", "first.last+tag@example.com", "UPPER@Example.ORG", "x_y-z@sub-domain.example.io",
		strings.Repeat("a", 64) + "@example.com",
		"a@" + strings.Repeat("b", 63) + ".com",
	}
	invalid := []string{
		"", "plain", "@example.com", "a@", "a@@example.com", "a@b@example.com",
		".a@example.com", "a.@example.com", "a..b@example.com",
		strings.Repeat("a", 65) + "@example.com",
		"a@localhost", "a@example.c", "a@example.c0m", "a@-example.com", "a@example-.com",
		"a@exa_mple.com", "a@example..com", "a@.example.com", "a@example.com.",
		"a b@example.com", "a@exam ple.com", "ü@example.com", "a@exämple.com", "a\x00@example.com",
		"a\u200b@example.com", "a!@example.com", "a@" + strings.Repeat("b", 64) + ".com",
		strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com",
	}
	for _, in := range valid {
		if err := ValidateEmail("email", in); err != nil {
			t.Errorf("ValidateEmail(%q) = %v, want nil", in, err)
		}
	}
	for _, in := range invalid {
		if got := ruleOf(t, ValidateEmail("email", in), "email"); got != MsgEmailFormat {
			t.Errorf("ValidateEmail(%q) = %q, want %q", in, got, MsgEmailFormat)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	if got := NormalizeEmail("Alice.Smith@Example.COM"); got != "alice.smith@example.com" {
		t.Fatalf("NormalizeEmail = %q", got)
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"three classes", "Correct7horse", ""},
		{"four classes", "c0rrect-Horse!", ""},
		{"lower digit special", "horse7battery!", ""},
		{"unicode letters count", "Äpfel-und-birnen", ""},
		{"exactly 8", "Abcdef1!", ""},
		{"exactly 128", "Aa1!" + strings.Repeat("x", 124), ""},
		{"too short", "Ab1!", MsgPasswordLength},
		{"empty", "", MsgPasswordLength},
		{"too long", "Aa1!" + strings.Repeat("x", 125), MsgPasswordLength},
		{"8 runes not bytes", "Ab1!äöüß", ""},
		{"only lower", "abcdefghij", MsgPasswordClasses},
		{"lower and upper", "abcdefGHIJ", MsgPasswordClasses},
		{"lower and digits", "abcdef1234", MsgPasswordClasses},
		{"digits and special", "1234!@#$%^", MsgPasswordClasses},
		{"space is not special", "abcd EFGH ijkl", MsgPasswordClasses},
		{"tab", "Abcdef1!\tx", MsgPasswordChars},
		{"newline", "Abcdef1!\nx", MsgPasswordChars},
		{"nul", "Abcdef1!\x00x", MsgPasswordChars},
		{"del", "Abcdef1!\x7fx", MsgPasswordChars},
		{"zero-width space", "Abcdef1!\u200bx", MsgPasswordChars},
		{"zero-width joiner", "Abcdef1!\u200dx", MsgPasswordChars},
		{"word joiner", "Abcdef1!\u2060x", MsgPasswordChars},
		{"bom", "\ufeffAbcdef1!x", MsgPasswordChars},
		{"bidi override", "Abcdef1!\u202ex", MsgPasswordChars},
		{"line separator", "Abcdef1!\u2028x", MsgPasswordChars},
		{"invalid utf-8", "Abcdef1!\xffx", MsgPasswordChars},
		{"common", "Password1", MsgPasswordCommon},
		{"common any case", "pASSWORD123", MsgPasswordCommon},
		{"common leet", "P@ssw0rd", MsgPasswordCommon},
		{"common qwerty", "Qwerty123!", MsgPasswordCommon},
		{"common welcome", "Welcome1", MsgPasswordCommon},
	}
	common := loadCommonPasswords()
	for _, tt := range tests {
		got := ruleOf(t, common.validatePassword("password", tt.in), "password")
		if got != tt.want {
			t.Errorf("%s: validatePassword(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	common := loadCommonPasswords()
	if len(common) < 300 {
		t.Fatalf("common password list has %d entries, want a few hundred", len(common))
	}
	for pw := range common {
		if pw != strings.ToLower(pw) || strings.TrimSpace(pw) != pw || pw == "" {
			t.Errorf("entry %q is not a trimmed lower-case password", pw)
		}
	}
	if _, ok := common["# common passwords refused at registration and on every password change."]; ok {
		t.Error("comment lines must not be entries")
	}
}

func TestValidatePasswordPackageLevel(t *testing.T) {
	t.Parallel()
	if got := ruleOf(t, ValidatePassword("new_password", "letmein"), "new_password"); got != MsgPasswordLength {
		t.Fatalf("got %q", got)
	}
	if err := ValidatePassword("new_password", "Tr1cky-Horse"); err != nil {
		t.Fatal(err)
	}
}
