// Package generator turns the embedded template tree into a user's project:
// it validates the options, renders every file in memory (manifest filtering,
// text/template for .tmpl files, structural rewrites of Go files in the manner
// of golang.org/x/tools/cmd/gonew), then writes the result through a staging
// directory renamed into place, so a failed run leaves nothing behind.
//
// Generation is deterministic: sorted walks, no clock, no map-order output.
package generator
