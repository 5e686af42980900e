package storable

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 0, "plain"},
		{"héllo ✓", 0, "héllo ✓"},
		{"a\x00b", 0, "a\uFFFDb"},
		{"bad \xff\xfe byte", 0, "bad \uFFFD byte"},
		{"\x00\xc3", 0, "\uFFFD\uFFFD"},
		{"short", 5, "short"},
		{"longer text", 8, "longe…"},
		{"abéxyz", 6, "ab…"}, // the cut falls inside é: before it
		{"abcdef", 2, "ab"},  // no room for the mark
		{"a\x00bcdefgh", 7, "a\uFFFD…"},
	}
	for _, tc := range cases {
		if got := Text(tc.in, tc.max); got != tc.want {
			t.Errorf("Text(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzText: whatever a client sends (a User-Agent header, a reply), what is
// stored is valid UTF-8 without NUL, at most max bytes long, marked when cut,
// and text that was already fine is kept whole.
func FuzzText(f *testing.F) {
	for _, s := range []string{"curl/8.0", "Mozilla/5.0 (\x80\xff)", "\xc3\xa9t\xe9", "a\x00b", "\xed\xa0\x80", strings.Repeat("é", 300), ""} {
		f.Add(s, uint16(512))
	}
	f.Add("ab\u00e9", uint16(3))
	f.Fuzz(func(t *testing.T, s string, n uint16) {
		got := Text(s, int(n))
		fine := utf8.ValidString(s) && !strings.ContainsRune(s, 0)
		switch {
		case !utf8.ValidString(got) || strings.ContainsRune(got, 0):
			t.Fatalf("Text(%q) = %q: not storable", s, got)
		case n > 0 && len(got) > int(n):
			t.Fatalf("Text(%q, %d) = %q: too long", s, n, got)
		case fine && (n == 0 || len(s) <= int(n)) && got != s:
			t.Fatalf("Text(%q, %d) = %q: changed storable text", s, n, got)
		case fine && n >= 3 && len(s) > int(n) && !strings.HasSuffix(got, "…"):
			t.Fatalf("Text(%q, %d) = %q: cut without a mark", s, n, got)
		}
	})
}

func TestJSON(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"untouched", `{"a":[1,"x",null,true]}`, `{"a":[1,"x",null,true]}`},
		{"other escapes untouched", `{"a":"\u00e9\n\u003c"}`, `{"a":"\u00e9\n\u003c"}`},
		{"NUL escape in a value", `{"body":"a\u0000b"}`, `{"body":"a\ufffdb"}`},
		{"NUL escape in a key", `{"k\u0000":1}`, `{"k\ufffd":1}`},
		{"nested", `[{"x":["\u0000"]}]`, `[{"x":["\ufffd"]}]`},
		{"lone surrogate", `"\ud800"`, `"\ufffd"`},
		{"upper-case lone surrogate", `"\uDFFF!"`, `"\ufffd!"`},
		{"surrogate pair kept", `"\ud83d\ude00"`, `"😀"`},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", `{"a":"\ufffd"}`},
		{"escaped backslash is text", `"\\u0000"`, `"\\u0000"`},
		{"numbers kept as written", `{"n":1.50,"big":123456789012345678901234567890,"s":"\u0000"}`,
			`{"big":123456789012345678901234567890,"n":1.50,"s":"\ufffd"}`},
	}
	for _, tc := range cases {
		got := JSON([]byte(tc.in))
		if !json.Valid(got) || !utf8.Valid(got) {
			t.Errorf("%s: not valid JSON in UTF-8: %q", tc.name, got)
			continue
		}
		if !jsonEqual(t, got, []byte(tc.want)) {
			t.Errorf("%s: JSON(%s) = %s, want %s", tc.name, tc.in, got, tc.want)
		}
		if hasUnstorableEscape(got) && tc.name != "escaped backslash is text" {
			t.Errorf("%s: %s still holds an escape jsonb refuses", tc.name, got)
		}
	}
}

// jsonEqual compares JSON texts by value, keeping numbers as written (a
// rewritten number must not pass for the same one).
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	norm := func(b []byte) string {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		out, _ := json.Marshal(v)
		return string(out)
	}
	return norm(a) == norm(b)
}
