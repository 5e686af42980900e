package migrations

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"testing"

	"github.com/starter-go/starter/templates"
)

// shipped are the migrations that released versions of starter put into
// projects, by the SHA-256 of their content. golang-migrate runs a version
// once: a database that applied one of these never sees a later change to it,
// so a change must come as a new migration. Add a migration here once a
// release ships it.
var shipped = map[string]string{
	"000001_core.up.sql":    "97af408826fe2f05c3e3451cc5015022ae24aa86171a31594ba710a7075ff602",
	"000001_core.down.sql":  "8082b3778dff358f301dd51673d7b1cd65c103d48527235d11927ba2917dfc2e",
	"000002_auth.up.sql":    "90c2fd42b6e4710698d84262f7868de2d8f23fe1ab5d1dffad8428be60325069",
	"000002_auth.down.sql":  "02f3d8d89a06b72811a994b237bc0362ad555ad85bc135143d79578799748590",
	"000003_tasks.up.sql":   "16e16513fbe67affa6f42af889ed3f45356597cca066948b8943a50c4dc8e67c",
	"000003_tasks.down.sql": "60ce0e356735713f812e475b93fd9d7ec74fd738ff368616cb1c1376d2e7efa7",
}

func TestShippedMigrationsNeverChange(t *testing.T) {
	t.Parallel()
	for name, want := range shipped {
		data, err := fs.ReadFile(templates.FS, path.Join("project/migrations", name))
		if err != nil {
			t.Errorf("%s: %v (a shipped migration stays, under its name)", name, err)
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s changed (sha256 %s, shipped %s): databases that applied it will not run it again; put the change in a new migration", name, got, want)
		}
	}
}
