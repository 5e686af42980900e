// Package storable makes text from outside the service storable in
// PostgreSQL: a text column refuses NUL bytes and invalid UTF-8, a jsonb one
// also the escape \u0000 and lone surrogates.
package storable

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// What the service stores comes from anywhere (a webhook's reply, a file, a
// user's payload, a header): it is made storable before it is written, so
// that one bad value cannot make the write of a whole batch fail.

// Text returns s as a text column can store it: NUL bytes and invalid
// UTF-8 become U+FFFD. Over max bytes (when max > 0) it is cut at a
// character boundary and ends with "…", max bytes in all, so that a header
// or an error message of any size stays a bounded row.
func Text(s string, max int) string {
	if !utf8.ValidString(s) || strings.Contains(s, "\x00") {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	if max <= 0 || len(s) <= max {
		return s
	}
	const ellipsis = "…"
	mark := ellipsis
	if max < len(ellipsis) {
		mark = ""
	}
	end := max - len(mark)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + mark
}

// JSON returns b (valid JSON) in a form jsonb accepts: strings and
// keys holding NUL, a lone surrogate or invalid UTF-8 get U+FFFD in their
// place. The common case, JSON without any such escape, is returned as is.
func JSON(b []byte) []byte {
	if utf8.Valid(b) && !hasUnstorableEscape(b) {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers stay as written
	var v any
	if err := dec.Decode(&v); err != nil {
		// Not JSON after all: keep it, readable, as a JSON string.
		out, _ := json.Marshal(Text(string(b), 0))
		return out
	}
	// The decoder has already turned invalid UTF-8 and lone surrogates into
	// U+FFFD; only NUL is left to replace.
	out, err := json.Marshal(withoutNUL(v))
	if err != nil {
		return []byte("null")
	}
	return out
}

// hasUnstorableEscape reports whether b holds \u0000 or a \uD800–\uDFFF
// escape (the halves of a surrogate pair, checked whole by the slow path).
func hasUnstorableEscape(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || i+6 > len(b) {
			return false
		}
		hex := b[i+2 : i+6]
		if string(hex) == "0000" || ((hex[0] == 'd' || hex[0] == 'D') && strings.IndexByte("89abAB", hex[1]) >= 0) {
			return true
		}
		b = b[i+2:]
	}
}

// withoutNUL replaces NUL in every string and key of a decoded JSON value.
func withoutNUL(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "\x00", "\uFFFD")
	case []any:
		for i := range v {
			v[i] = withoutNUL(v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[strings.ReplaceAll(k, "\x00", "\uFFFD")] = withoutNUL(e)
		}
		return out
	}
	return v
}
