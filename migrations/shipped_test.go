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
// so a change must come as a new migration. Every migration on main is here:
// projects are generated from main. Add a new one with the commit that
// brings it.
var shipped = map[string]string{
	"000001_core.up.sql":                     "97af408826fe2f05c3e3451cc5015022ae24aa86171a31594ba710a7075ff602",
	"000001_core.down.sql":                   "8082b3778dff358f301dd51673d7b1cd65c103d48527235d11927ba2917dfc2e",
	"000002_auth.up.sql":                     "90c2fd42b6e4710698d84262f7868de2d8f23fe1ab5d1dffad8428be60325069",
	"000002_auth.down.sql":                   "02f3d8d89a06b72811a994b237bc0362ad555ad85bc135143d79578799748590",
	"000003_tasks.up.sql":                    "16e16513fbe67affa6f42af889ed3f45356597cca066948b8943a50c4dc8e67c",
	"000003_tasks.down.sql":                  "60ce0e356735713f812e475b93fd9d7ec74fd738ff368616cb1c1376d2e7efa7",
	"000004_auth_instances.up.sql":           "0d179b0b9dfaa01453af817d5a64e82868c9fce6f908b810d46ab244be65b4b9",
	"000004_auth_instances.down.sql":         "b2ea14ae8de882123b3767e526f00afca3397b60fd243b81016fb4062289497c",
	"000005_tasks_controls.up.sql":           "d82591777e35ed54fb44b48fa0e398fbc748dcff5ad492ba9e66ef52e7a5d588",
	"000005_tasks_controls.down.sql":         "a441d780bcd57a07a4be39d366d4e8b8b7b97d26b27f1981fb26033bf4be20ff",
	"000006_auth_revocation_log.up.sql":      "d236bff79817b697872b033042c6017187116829349e46b71008fa3649fc5333",
	"000006_auth_revocation_log.down.sql":    "a5feec389b7909554648a15b1cd93c8394742e080393928f96fad8e600cfc300",
	"000007_tasks_trace.up.sql":              "a842e0107c6736760e50ed4f6560aca3f027f7bd9d259cb99e971cb54632b4ba",
	"000007_tasks_trace.down.sql":            "d36fe05e536f5d646729c31117fe6d5cca20f96a8b5dc11e2dae2b44f80b1f4a",
	"000008_tasks_ids.up.sql":                "43d2fdd915874efa5f6b63a186580385e8621ea8e65cdb68382035bfba0902d0",
	"000008_tasks_ids.down.sql":              "728dc460e41ac9645bde9f573eed43f20f1c2a371ba3b5a87373fee7c3b7b2bc",
	"000009_tasks_breakers.up.sql":           "9be7c5d55df6f3e10ec6d36ec1c5b68e7e199cc89dff4704ddbbb95055c1b2bc",
	"000009_tasks_breakers.down.sql":         "c7c443a8c225a058fade07adb9a8bc69148780d740eace42af494e3ce3516886",
	"000010_tasks_console.up.sql":            "8b3757d5e371dc75b110636e6f6b825c5f19ac8923788179a4fc30e45817f568",
	"000010_tasks_console.down.sql":          "31a52a707820d453d3ae878db676f7c3279129c840d71a60f735b33cbf1a8572",
	"000011_tasks_counts.up.sql":             "fa23ffbf2170a3fcb4d77a4c15063ac73775152ffdbf40a6b90538bfd9964265",
	"000011_tasks_counts.down.sql":           "550ffadf80cb9cdeb483ccaa91f1f85ffda39a559568fbb1f5ee2ac7f978ef55",
	"000012_tasks_breakers_closing.up.sql":   "ba3819239d4ed9c926cb8e1a597689c0cda97a41a46f8dd7b7fc1b4578e2f137",
	"000012_tasks_breakers_closing.down.sql": "0d44512621da0cafc98844af748af18b60b53dcfebd139ef3123ee40396452fc",
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
