package httpapi

import (
	"encoding/json"
	"testing"

	"example.com/demo/internal/apperr"
)

type fieldBody struct {
	N Field[int64]           `json:"n"`
	J Field[json.RawMessage] `json:"j"`
}

// A Field tells absent, null and a value apart, and a value of the wrong JSON
// type is the 422 naming the field that a plain type gets.
func TestFieldTellsAbsentNullAndValueApart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body      string
		n, j      Field[int64]
		jRaw      string
		wantField string
	}{
		{body: `{}`},
		{body: `{"n": null, "j": null}`, n: Field[int64]{Set: true, Null: true}, j: Field[int64]{Set: true, Null: true}},
		{body: `{"n": 7, "j": {"a": [1]}}`, n: Field[int64]{Set: true, Value: 7}, j: Field[int64]{Set: true}, jRaw: `{"a": [1]}`},
		{body: `{"n": "7"}`, wantField: "n"},
		{body: `{"n": 1.5}`, wantField: "n"},
	}
	for _, tc := range cases {
		var b fieldBody
		err := decodeBody([]byte(tc.body), &b)
		if tc.wantField != "" {
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.CodeUnprocessable || e.Field != tc.wantField {
				t.Errorf("%s: err %v, want 422 on %s", tc.body, err, tc.wantField)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if b.N != tc.n || b.J.Set != tc.j.Set || b.J.Null != tc.j.Null || string(b.J.Value) != tc.jRaw {
			t.Errorf("%s: got n %+v, j %+v %s", tc.body, b.N, b.J, b.J.Value)
		}
	}
}

func TestRequiredFieldInFullAndPartialBodies(t *testing.T) {
	t.Parallel()
	absent, null, given := Field[string]{}, Field[string]{Set: true, Null: true}, Field[string]{Set: true, Value: "x"}
	for _, tc := range []struct {
		f       Field[string]
		partial bool
		ok      bool
	}{
		{absent, false, false}, {null, false, false}, {given, false, true},
		{absent, true, true}, {null, true, false}, {given, true, true},
	} {
		if got := RequiredField("f", tc.f, tc.partial).ok; got != tc.ok {
			t.Errorf("%+v partial=%v: ok %v, want %v", tc.f, tc.partial, got, tc.ok)
		}
	}
}
