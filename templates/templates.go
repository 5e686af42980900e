// Package templates embeds the tree that `starter new` turns into a project:
// project/ (real Go of this module, rewritten by the generator), gomod/ (the
// pinned go.mod and go.sum of each variant) and manifest.yaml (which files
// belong to which feature).
package templates

import "embed"

// FS holds project/, gomod/ and manifest.yaml. The all: prefixes make dot-files
// (.gitignore.tmpl, .starter.yaml.tmpl) ship too.
//
//go:embed all:project all:gomod resource task manifest.yaml
var FS embed.FS
