package storable

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"héllo ✓", "héllo ✓"},
		{"a\x00b", "a\uFFFDb"},
		{"bad \xff\xfe byte", "bad \uFFFD byte"},
		{"\x00\xc3", "\uFFFD\uFFFD"},
	}
	for _, tc := range cases {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
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
