package auth

import (
	"bufio"
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"example.com/demo/internal/apperr"
)

// The rule messages of the API contract; apperr.Validation prefixes them with
// "Validation failed for <field>: ".
const (
	MsgUsernameLength   = "Username must be between 3 and 50 characters"
	MsgUsernameChars    = "Username can only contain letters, numbers, underscores, and hyphens"
	MsgEmailFormat      = "Invalid email format"
	MsgPasswordLength   = "Password must be between 8 and 128 characters"
	MsgPasswordClasses  = "Password must contain at least 3 of: uppercase letters, lowercase letters, numbers, special characters"
	MsgPasswordChars    = "Password must not contain control, zero-width or byte-order-mark characters"
	MsgPasswordCommon   = "Password is too common. Please choose a stronger password"
	passwordSpecials    = "!@#$%^&*()_+-=[]{}|;:,.<>?"
	maxEmailLength      = 254
	maxEmailLocalLength = 64
	maxDomainLabel      = 63
)

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is parsed from the embedded list once per Service; the
// package keeps no mutable globals.
type commonPasswords map[string]struct{}

func loadCommonPasswords() commonPasswords {
	set := commonPasswords{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
}

func (c commonPasswords) contains(password string) bool {
	_, ok := c[strings.ToLower(password)]
	return ok
}

// ValidateUsername checks the username rule: 3–50 ASCII letters, digits, '_'
// or '-'. Field names the request field reported on failure.
func ValidateUsername(field, username string) error {
	if n := utf8.RuneCountInString(username); n < 3 || n > 50 {
		return apperr.Validation(field, MsgUsernameLength)
	}
	for i := 0; i < len(username); i++ {
		if !isASCIIAlnum(username[i]) && username[i] != '_' && username[i] != '-' {
			return apperr.Validation(field, MsgUsernameChars)
		}
	}
	return nil
}

// ValidateEmail checks the email rule of the contract. Callers store
// NormalizeEmail of a valid address.
func ValidateEmail(field, email string) error {
	if !validEmail(email) {
		return apperr.Validation(field, MsgEmailFormat)
	}
	return nil
}

// NormalizeEmail is the stored form of an email: lower case.
func NormalizeEmail(email string) string {
	return strings.ToLower(email)
}

func validEmail(email string) bool {
	if len(email) > maxEmailLength || strings.Count(email, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(email, "@")
	return validLocalPart(local) && validDomain(domain)
}

func validLocalPart(local string) bool {
	if len(local) < 1 || len(local) > maxEmailLocalLength {
		return false
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		if !isASCIIAlnum(local[i]) && !strings.ContainsRune("._-+", rune(local[i])) {
			return false
		}
	}
	return true
}

func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if !validLabel(label) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isASCIILetter(tld[i]) {
			return false
		}
	}
	return true
}

func validLabel(label string) bool {
	if len(label) < 1 || len(label) > maxDomainLabel || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for i := 0; i < len(label); i++ {
		if !isASCIIAlnum(label[i]) && label[i] != '-' {
			return false
		}
	}
	return true
}

// validatePassword checks the password rules in the order a user fixes them:
// length, forbidden characters, character classes, then the common list.
func (c commonPasswords) validatePassword(field, password string) error {
	if n := utf8.RuneCountInString(password); n < 8 || n > 128 {
		return apperr.Validation(field, MsgPasswordLength)
	}
	if hasInvisible(password) {
		return apperr.Validation(field, MsgPasswordChars)
	}
	if characterClasses(password) < 3 {
		return apperr.Validation(field, MsgPasswordClasses)
	}
	if c.contains(password) {
		return apperr.Validation(field, MsgPasswordCommon)
	}
	return nil
}

// hasInvisible reports control characters (Cc), format characters (Cf: the
// zero-width space, joiners, the BOM, bidi overrides) and line or paragraph
// separators, all of which make a password impossible to type back reliably.
func hasInvisible(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError {
			return true
		}
	}
	return false
}

func characterClasses(s string) int {
	var upper, lower, digit, special bool
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune(passwordSpecials, r):
			special = true
		}
	}
	n := 0
	for _, ok := range []bool{upper, lower, digit, special} {
		if ok {
			n++
		}
	}
	return n
}

func isASCIILetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func isASCIIAlnum(b byte) bool { return isASCIILetter(b) || (b >= '0' && b <= '9') }
