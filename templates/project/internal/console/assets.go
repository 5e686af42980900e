package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/webasset"
)

// The console's own files: htmx (https://htmx.org, from npm's htmx.org,
// byte for byte, with its licence), our style sheet and script.
//
//go:embed assets
var assetFS embed.FS

type asset struct {
	body        []byte
	contentType string
	version     string
}

// assets are served under /console/assets/VERSION/NAME, VERSION a hash of
// the content: a new binary's files get new URLs, so browsers keep each
// one for good.
type assets struct{ byName map[string]asset }

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]asset{}}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a.byName[path.Base(p)] = asset{body: body, contentType: webasset.ContentType(p), version: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	return a, nil
}

// url is the versioned URL of an asset; templates call it as asset.
func (a *assets) url(name string) (string, error) {
	x, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("console: no asset %s", name)
	}
	return "/console/assets/" + x.version + "/" + name, nil
}

// Size is the embedded assets' total size in bytes.
func (a *assets) Size() int {
	n := 0
	for _, x := range a.byName {
		n += len(x.body)
	}
	return n
}

// Names lists the assets, sorted.
func (a *assets) Names() []string {
	names := make([]string, 0, len(a.byName))
	for n := range a.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// handleAsset serves an asset at its current version; any other version is
// 404, so a stale URL never gets new content cached under it.
func (cs *Console) handleAsset(c *gin.Context) {
	x, ok := cs.views.assets.byName[c.Param("name")]
	if !ok || x.version != c.Param("version") {
		cs.render(c, http.StatusNotFound, "error", "Not Found", notFound())
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, x.contentType, x.body)
}
