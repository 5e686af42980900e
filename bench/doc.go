// Package bench measures starter and the services it generates against anchors
// (pgtestdb, River, gobreaker, backoff) in the same run. It is its own module so
// that the anchors never reach the go.mod of starter or of a generated project.
package bench
