package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestRendererIsThePinnedRelease keeps the vendored files byte for byte those
// of swagger-ui-dist at RendererVersion, so that what the page runs is what
// its licence and version say. Updating Swagger UI updates these sums.
func TestRendererIsThePinnedRelease(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"LICENSE":                          "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
		"NOTICE":                           "0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2",
		"swagger-ui-bundle.js":             "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
		"swagger-ui-bundle.js.LICENSE.txt": "37eb6e7e59aed57b2c1acf076574b818ea07b74265717e0bd67b59e0baf9abbb",
		"swagger-ui.css":                   "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
	}
	for name, sum := range want {
		a, ok := LookupAsset(name)
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		got := sha256.Sum256(a.Body)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s is not the file of swagger-ui-dist %s", name, RendererVersion)
		}
	}
}

// TestPageNamesNoOtherHost checks that the page and our script load
// everything from the service itself.
func TestPageNamesNoOtherHost(t *testing.T) {
	t.Parallel()
	for _, a := range []Asset{Page(), mustAsset(t, "docs.js")} {
		if strings.Contains(string(a.Body), "://") {
			t.Errorf("a URL with a host in:\n%s", a.Body)
		}
	}
	if Page().ContentType != "text/html; charset=utf-8" {
		t.Errorf("page content type %q", Page().ContentType)
	}
}

func mustAsset(t *testing.T, name string) Asset {
	t.Helper()
	a, ok := LookupAsset(name)
	if !ok {
		t.Fatalf("no asset %s", name)
	}
	return a
}
