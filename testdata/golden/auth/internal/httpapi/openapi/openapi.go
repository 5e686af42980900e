// Package openapi is the service's OpenAPI document, the contract of its HTTP
// API, and the page that renders it.
//
// The document is written in parts, one YAML file per concept in this
// directory: core.yaml (envelopes, errors, health, metrics, this document)
// and one per feature or resource (auth.yaml, tasks.yaml, …). A project
// holds the parts of the features it was generated with, so the document
// always describes the routes it serves; adding a resource adds its part.
// Load merges them once; the server serves the result from memory. The
// integration tests check every request and response they exchange against
// it (internal/apptest), so the document and the code cannot drift apart.
package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"go.yaml.in/yaml/v3"

	"example.com/demo/internal/buildinfo"
)

// baseName is the part every other part adds to.
const baseName = "core.yaml"

//go:embed *.yaml
var partsFS embed.FS

// Document is the assembled document, kept as bytes only: the tree of
// yaml.Nodes it was assembled from is about a megabyte of pointers that
// every garbage collection of the process would otherwise walk.
type Document struct {
	json []byte
	yaml []byte
}

// Load returns the document of the embedded parts: core.yaml first, then
// the others by name, with the title and version of the binary (buildinfo).
// The parts are part of the binary, so it is assembled once per process and
// shared; callers must not modify it.
func Load() (*Document, error) { return loaded() }

var loaded = sync.OnceValues(assembleEmbedded) //nolint:gochecknoglobals // built once, read-only after

func assembleEmbedded() (*Document, error) {
	parts, err := Parts(partsFS)
	if err != nil {
		return nil, err
	}
	root, err := Assemble(parts)
	if err != nil {
		return nil, err
	}
	// The parts' comments speak to their authors, not to the document's readers.
	dropComments(root)
	info := mapping(root, "info")
	setScalar(info, "title", buildinfo.Name+" API")
	setScalar(info, "version", buildinfo.Version)
	var buf bytes.Buffer
	if err := encodeJSON(&buf, root); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	yml, err := encodeYAML(root)
	if err != nil {
		return nil, err
	}
	return &Document{json: buf.Bytes(), yaml: yml}, nil
}

// Parts reads the *.yaml files of fsys in the order Load merges them.
func Parts(fsys fs.FS) ([]Part, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("openapi parts: %w", err)
	}
	if !slices.Contains(names, baseName) {
		return nil, fmt.Errorf("openapi parts: %s is missing", baseName)
	}
	// fs.Glob sorts; the base goes first.
	names = slices.DeleteFunc(names, func(n string) bool { return n == baseName })
	names = append([]string{baseName}, names...)
	parts := make([]Part, len(names))
	for i, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("openapi parts: %w", err)
		}
		parts[i] = Part{Name: name, Data: data}
	}
	return parts, nil
}

// JSON is the document as compact JSON. The slice is shared: do not modify it.
func (d *Document) JSON() []byte { return d.json }

// IndentedJSON is the document as JSON indented by two spaces.
func (d *Document) IndentedJSON() []byte {
	var buf bytes.Buffer
	// The JSON was produced by encodeJSON, so it is valid.
	_ = json.Indent(&buf, d.json, "", "  ")
	buf.WriteByte('\n')
	return buf.Bytes()
}

// YAML is the document as YAML, in the order of its parts. The slice is
// shared: do not modify it.
func (d *Document) YAML() []byte { return d.yaml }

func encodeYAML(root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("openapi yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("openapi yaml: %w", err)
	}
	return buf.Bytes(), nil
}

func dropComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		dropComments(c)
	}
}
