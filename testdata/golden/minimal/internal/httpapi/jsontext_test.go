package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"example.com/demo/internal/apperr"
)

// unstorableBodies are JSON texts that encoding/json accepts but PostgreSQL
// cannot store, with the answer DecodeJSON must give.
var unstorableBodies = []struct {
	name, body string
	code       apperr.Code
	field      string
}{
	{"NUL escape", `{"name":"a\u0000b"}`, apperr.CodeValidation, "name"},
	{"lone high surrogate", `{"name":"\ud800"}`, apperr.CodeValidation, "name"},
	{"lone high surrogate before text", `{"name":"\uD83Dx"}`, apperr.CodeValidation, "name"},
	{"high surrogate then non-surrogate escape", `{"name":"\ud800\u0041"}`, apperr.CodeValidation, "name"},
	{"lone low surrogate", `{"name":"\udc00"}`, apperr.CodeValidation, "name"},
	{"swapped pair", `{"name":"\udc00\ud800"}`, apperr.CodeValidation, "name"},
	{"raw invalid UTF-8", "{\"name\":\"caf\xe9\"}", apperr.CodeValidation, "name"},
	{"raw 0xFF", "{\"name\":\"\xff\"}", apperr.CodeValidation, "name"},
	{"UTF-8 encoded surrogate", "{\"name\":\"\xed\xa0\x80\"}", apperr.CodeValidation, "name"},
	{"nested object", `{"extra":{"inner":{"deep":"\u0000"}}}`, apperr.CodeValidation, "extra.inner.deep"},
	{"in an array", `{"tags":["ok","\u0000"]}`, apperr.CodeValidation, "tags"},
	{"after other fields", `{"count":1,"tags":[],"extra":{"a":"b"},"name":"x\u0000"}`, apperr.CodeValidation, "name"},
	{"unknown field", `{"unknown":"\u0000"}`, apperr.CodeValidation, "unknown"},
	{"in a key", `{"na\u0000me":"x"}`, apperr.CodeMalformedJSON, ""},
	{"raw invalid UTF-8 in a key", "{\"\xff\":1}", apperr.CodeMalformedJSON, ""},
	{"bare string body", `"\u0000"`, apperr.CodeMalformedJSON, ""},
}

func TestDecodeBodyRefusesUnstorableText(t *testing.T) {
	t.Parallel()
	for _, tc := range unstorableBodies {
		var dst struct {
			Name  string         `json:"name"`
			Count int            `json:"count"`
			Tags  []string       `json:"tags"`
			Extra map[string]any `json:"extra"`
		}
		e, ok := apperr.As(decodeBody([]byte(tc.body), &dst))
		if !ok || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: %s → %v, want %s on %q", tc.name, tc.body, e, tc.code, tc.field)
		}
	}
}

func TestDecodeBodyKeepsStorableText(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"name":"plain"}`,
		`{"name":"\ud83d\ude00 pair"}`,
		`{"name":"\uD83D\uDE00"}`,
		"{\"name\":\"caf\u00e9 \U0001F600\"}",
		`{"name":"\ufffd is a real character"}`,
		"{\"name\":\"\ufffd\"}",
		`{"name":"\\u0000 is only text here"}`,
		`{"name":"\u0001\t\n"}`,
		`{"name":"a\"b\\"}`,
		`{"extra":{"\ud83d\ude00":"ok"}}`,
	} {
		var dst struct {
			Name  string         `json:"name"`
			Extra map[string]any `json:"extra"`
		}
		if err := decodeBody([]byte(body), &dst); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// FuzzDecodeBody: whatever the bytes, decodeBody answers with an API error or
// accepts the body; an accepted body holds only text PostgreSQL can store,
// and a U+FFFD in the result was in the body, not made from a bad surrogate.
func FuzzDecodeBody(f *testing.F) {
	for _, tc := range unstorableBodies {
		f.Add([]byte(tc.body))
	}
	for _, s := range []string{`{"name":"\ud83d\ude00"}`, `{"name":"\ufffd"}`, `{"name":"\\u0000"}`, `{"extra":{"a":["\u0000"]}}`, `{"name":"\ud800\ud800\udc00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst struct {
			Name  string         `json:"name"`
			Extra map[string]any `json:"extra"`
			Any   any            `json:"any"`
		}
		err := decodeBody(body, &dst)
		if err != nil {
			if _, ok := apperr.As(err); !ok && !strings.HasPrefix(err.Error(), "decode json:") {
				t.Fatalf("%q: error %v is neither an API error nor a decode failure", body, err)
			}
			return
		}
		out, _ := json.Marshal(dst)
		var decoded any
		if err := json.Unmarshal(out, &decoded); err != nil {
			t.Fatal(err)
		}
		hadFFFD := bytes.Contains(body, []byte("\ufffd")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
		walkStrings(decoded, func(s string) {
			if strings.ContainsRune(s, 0) {
				t.Fatalf("%q: accepted a NUL", body)
			}
			if !hadFFFD && strings.ContainsRune(s, '\ufffd') {
				t.Fatalf("%q: accepted text that decoded to U+FFFD (a lone surrogate or invalid UTF-8)", body)
			}
		})
	})
}

// walkStrings calls fn with every string and object key of a decoded value.
func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, e := range v {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range v {
			fn(k)
			walkStrings(e, fn)
		}
	}
}
