package openapi

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"slices"
	"sync"

	"example.com/demo/internal/webasset"
)

// RendererVersion is the version of Swagger UI, the docs page, vendored in
// ui/ from the npm package swagger-ui-dist (Apache-2.0: ui/LICENSE and ui/NOTICE,
// the licences of what its bundle includes in
// ui/swagger-ui-bundle.js.LICENSE.txt), with a page and a start-up script
// of our own (ui/index.html, ui/docs.js). Everything is embedded, so the
// page works offline and asks no other host for anything. To update it,
// replace the vendored files with those of a newer swagger-ui-dist and
// their checksums in ui_test.go.
const RendererVersion = "5.35.0"

// PageCSP is the Content-Security-Policy of the docs page: the service's
// strict default-src 'none', opened only as far as Swagger UI needs, as
// measured in a browser. Scripts and style sheets come from this service
// (no inline script or style element: the styles Swagger UI sets on its
// elements go through the DOM, which style-src does not govern); images may
// also be data: URLs (its icons are inline SVG); connect-src 'self' lets it
// fetch this document and send the requests of "Try it out".
const PageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

//go:embed ui
var uiFS embed.FS

// pageName is the page itself, served at /api/v1/docs rather than as an asset.
const pageName = "index.html"

// Asset is a file of the docs page.
type Asset struct {
	Body        []byte
	ContentType string
	// ETag is a strong validator of Body (a quoted hash).
	ETag string
}

// Page is the HTML of the docs page.
func Page() Asset {
	return assets()[pageName]
}

// LookupAsset returns the file of the docs page served at
// /api/v1/docs/{name}.
func LookupAsset(name string) (Asset, bool) {
	if name == pageName {
		return Asset{}, false
	}
	a, ok := assets()[name]
	return a, ok
}

// AssetNames lists the names LookupAsset knows, sorted.
func AssetNames() []string {
	var names []string
	for name := range assets() {
		if name != pageName {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// assets reads ui/ and hashes each file once per process: the files are
// part of the binary, and hashing 2 MB for every server started (the tests
// start hundreds) would be waste.
var assets = sync.OnceValue(func() map[string]Asset { //nolint:gochecknoglobals // built once, read-only after
	files := map[string]Asset{}
	entries, _ := fs.ReadDir(uiFS, "ui") // embedded: cannot fail
	for _, e := range entries {
		body, _ := fs.ReadFile(uiFS, "ui/"+e.Name())
		sum := sha256.Sum256(body)
		files[e.Name()] = Asset{
			Body:        body,
			ContentType: webasset.ContentType(e.Name()),
			ETag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
		}
	}
	return files
})
