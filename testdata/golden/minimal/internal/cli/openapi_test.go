package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"example.com/demo/internal/httpapi/openapi"
)

// TestOpenAPIPrintsTheServedDocument checks both formats against the
// document the server serves, and the refusal of another format.
func TestOpenAPIPrintsTheServedDocument(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var served any
	if err := json.Unmarshal(doc.JSON(), &served); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(served)
	cases := []struct {
		args   []string
		decode func([]byte, any) error
		start  string
	}{
		{[]string{"openapi"}, json.Unmarshal, "{\n  \"openapi\": \"3.0.3\","},
		{[]string{"openapi", "--format", "json"}, json.Unmarshal, "{\n  \"openapi\": \"3.0.3\","},
		{[]string{"openapi", "--format", "yaml"}, yaml.Unmarshal, "openapi: 3.0.3\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, map[string]string{}, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, tc.start) {
				t.Errorf("output starts %.40q, want %q", r.stdout, tc.start)
			}
			var got any
			if err := tc.decode([]byte(r.stdout), &got); err != nil {
				t.Fatalf("output does not decode: %v", err)
			}
			if b, _ := json.Marshal(got); string(b) != string(want) {
				t.Errorf("printed document differs from the served one")
			}
		})
	}
	r := run(t, map[string]string{}, "openapi", "--format", "xml")
	if r.code != 2 || !strings.Contains(r.stderr, `--format must be json or yaml, got "xml"`) {
		t.Errorf("--format xml: exit %d, stderr %q", r.code, r.stderr)
	}
}
