package auth

import (
	"strings"
	"testing"
	"unicode/utf8"

	"example.com/demo/internal/apperr"
)

// Each fuzz target checks the validator against properties that must hold
// whatever the input: no panic, only VALIDATION_FAILED errors on the right
// field, and acceptance implying the documented shape.

func FuzzValidateUsername(f *testing.F) {
	for _, s := range []string{"alice", "ab", "a-b_c", "名前です", "bad name", strings.Repeat("x", 51)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateUsername("username", s)
		if err != nil {
			checkValidation(t, err, "username")
			return
		}
		if len(s) < 3 || len(s) > 50 {
			t.Fatalf("accepted %q of length %d", s, len(s))
		}
		for i := 0; i < len(s); i++ {
			if !isASCIIAlnum(s[i]) && s[i] != '_' && s[i] != '-' {
				t.Fatalf("accepted %q with byte %q", s, s[i])
			}
		}
	})
}

func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"a@b.co", "first.last+tag@example.com", "a..b@example.com", "a@localhost", "@", "a@b@c.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateEmail("email", s)
		if err != nil {
			checkValidation(t, err, "email")
			return
		}
		local, domain, ok := strings.Cut(s, "@")
		switch {
		case !ok || strings.Contains(domain, "@"):
			t.Fatalf("accepted %q without exactly one @", s)
		case len(s) > 254 || len(local) > 64 || local == "":
			t.Fatalf("accepted %q with bad lengths", s)
		case !strings.Contains(domain, "."):
			t.Fatalf("accepted %q without a dot in the domain", s)
		}
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				t.Fatalf("accepted non-ASCII %q", s)
			}
		}
		if NormalizeEmail(s) != strings.ToLower(s) || ValidateEmail("email", NormalizeEmail(s)) != nil {
			t.Fatalf("normalized %q is not valid", s)
		}
	})
}

func FuzzValidatePassword(f *testing.F) {
	for _, s := range []string{"Correct7horse", "Password1", "short", "Abcdef1!\u200bx", "\ufeffAbcdef1!", "Abcdef1!\x00"} {
		f.Add(s)
	}
	common := loadCommonPasswords()
	f.Fuzz(func(t *testing.T, s string) {
		err := common.validatePassword("password", s)
		if err != nil {
			checkValidation(t, err, "password")
			return
		}
		n := utf8.RuneCountInString(s)
		switch {
		case n < 8 || n > 128:
			t.Fatalf("accepted %q of %d characters", s, n)
		case hasInvisible(s) || !utf8.ValidString(s):
			t.Fatalf("accepted %q with an invisible character", s)
		case characterClasses(s) < 3:
			t.Fatalf("accepted %q with fewer than 3 classes", s)
		case common.contains(s):
			t.Fatalf("accepted common %q", s)
		}
	})
}

func FuzzBearerToken(f *testing.F) {
	tok, _, _ := newToken()
	for _, s := range []string{"Bearer " + tok, "bearer " + tok, "Basic abc", "Bearer", "", tok} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got, ok := BearerToken(header)
		if !ok {
			return
		}
		scheme, _, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "bearer") || !wellFormedToken(got) || !strings.HasSuffix(header, got) {
			t.Fatalf("BearerToken(%q) = %q", header, got)
		}
	})
}

func FuzzVerifyPassword(f *testing.F) {
	good, _ := HashPassword("Correct7horse", cheap)
	f.Add("Correct7horse", good)
	f.Add("x", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("x", "$argon2id$v=19$m=4194304,t=64,p=255$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Fuzz(func(t *testing.T, pw, phc string) {
		p, _, _, err := parsePHC(phc)
		if err != nil {
			if ok, verr := VerifyPassword(pw, phc); ok || verr == nil {
				t.Fatalf("VerifyPassword accepted malformed %q", phc)
			}
			return
		}
		// Keep the fuzzer from spending its time in huge argon2 runs.
		if p.MemoryKiB > 1024 || p.Iterations > 2 || p.Parallelism > 4 {
			return
		}
		if _, err := VerifyPassword(pw, phc); err != nil {
			t.Fatalf("VerifyPassword(%q) = %v after parsePHC succeeded", phc, err)
		}
	})
}

func checkValidation(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeValidation || e.Field != field {
		t.Fatalf("error %v is not VALIDATION_FAILED on %s", err, field)
	}
}
