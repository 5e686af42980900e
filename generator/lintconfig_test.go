package generator

import (
	"bytes"
	"os"
	"testing"
)

// TestOneLintConfig: starter lints itself with the configuration it gives
// every generated project, so that a linter the projects must pass is one
// its templates pass first (`make lint` runs both).
func TestOneLintConfig(t *testing.T) {
	t.Parallel()
	ours, err := os.ReadFile("../.golangci.yml")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile("../templates/project/.golangci.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Error(".golangci.yml differs from templates/project/.golangci.yml: copy one onto the other")
	}
}
