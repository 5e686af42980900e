package generator

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// One Go version everywhere: go.mod's go line is the Go of the Dockerfile's
// build stage, of the CI workflow and of .starter.yaml, in every variant.
func TestOneGoVersionEverywhere(t *testing.T) {
	t.Parallel()
	m, err := LoadManifest(realSources().Templates)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range m.VariantNames() {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			p, err := NewPlan(context.Background(), realSources(), goldenOptions(m.Variants[variant]))
			if err != nil {
				t.Fatal(err)
			}
			files := planFiles(p)
			want := submatch(t, files["go.mod"], `(?m)^go (\S+)$`)
			if got := submatch(t, files["Dockerfile"], `(?m)^FROM golang:(\S+)`); got != want {
				t.Errorf("Dockerfile builds with Go %s, go.mod says %s", got, want)
			}
			if got := submatch(t, files[".starter.yaml"], `(?m)^go_version: (\S+)$`); got != want {
				t.Errorf(".starter.yaml records Go %s, go.mod says %s", got, want)
			}
			ci := files[".github/workflows/ci.yml"]
			if file := regexp.MustCompile(`go-version-file:\s*(\S+)`).FindStringSubmatch(ci); file != nil {
				if file[1] != "go.mod" {
					t.Errorf("ci.yml reads the Go version from %s, not go.mod", file[1])
				}
			} else if got := submatch(t, ci, `go-version:\s*"?([^"\s]+)`); got != want {
				t.Errorf("ci.yml sets up Go %s, go.mod says %s", got, want)
			}
		})
	}
}

// A project name may hold "_", which Kubernetes refuses in object names: the
// deploy kit uses the name with "-" there, and keeps the name itself for the
// image and the binary.
func TestDeployKitNamesAreKubernetesNames(t *testing.T) {
	t.Parallel()
	opts := goldenOptions([]string{"auth", "tasks"})
	opts.Name, opts.Module = "my_shop", "example.com/my_shop"
	p, err := NewPlan(context.Background(), realSources(), opts)
	if err != nil {
		t.Fatal(err)
	}
	dns1123 := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	objects := 0
	for name, data := range planFiles(p) {
		if !strings.HasPrefix(name, "deploy/k8s/") || !strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, "kustomization.yaml") {
			continue
		}
		dec := yaml.NewDecoder(strings.NewReader(data))
		for {
			var obj struct {
				Metadata struct{ Name string } `yaml:"metadata"`
			}
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			objects++
			if !dns1123.MatchString(obj.Metadata.Name) || !strings.HasPrefix(obj.Metadata.Name, "my-shop-") {
				t.Errorf("%s: object name %q", name, obj.Metadata.Name)
			}
		}
	}
	if objects == 0 {
		t.Fatal("no Kubernetes objects under deploy/k8s")
	}
	if api := planFiles(p)["deploy/k8s/base/api.yaml"]; !strings.Contains(api, "image: my_shop\n") {
		t.Errorf("api.yaml does not run the image my_shop:\n%s", api)
	}
}

func planFiles(p *Plan) map[string]string {
	files := map[string]string{}
	for _, f := range p.Files {
		files[f.Path] = string(f.Data)
	}
	return files
}

func submatch(t *testing.T, text, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no match for %s in:\n%s", re, text)
	}
	return m[1]
}
