package generator

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Manifest is templates/manifest.yaml: which whole files belong to which
// feature, and which go.mod variant serves which feature set.
type Manifest struct {
	// Features maps a feature to the globs (relative to project/, "**" matches
	// any number of directories) of the files dropped when it is off.
	Features map[string][]string `yaml:"features"`
	// Variants maps a templates/gomod/<variant> directory to its feature set.
	Variants map[string][]string `yaml:"variants"`
}

// LoadManifest reads and checks manifest.yaml from the template tree.
func LoadManifest(fsys fs.FS) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, "manifest.yaml")
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var m Manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest.yaml: %w", err)
	}
	return &m, m.check()
}

func (m *Manifest) check() error {
	for f, globs := range m.Features {
		if !slices.Contains(KnownFeatures, f) {
			return fmt.Errorf("manifest.yaml: unknown feature %q", f)
		}
		for _, g := range globs {
			if err := checkGlob(g); err != nil {
				return fmt.Errorf("manifest.yaml: feature %s: bad glob %q: %w", f, g, err)
			}
		}
	}
	for v, fs := range m.Variants {
		if err := ValidateFeatures(fs); err != nil {
			return fmt.Errorf("manifest.yaml: variant %s: %w", v, err)
		}
	}
	return nil
}

// Variant returns the go.mod variant whose feature set is exactly features.
func (m *Manifest) Variant(features []string) (string, error) {
	want := strings.Join(features, ",")
	for _, v := range m.VariantNames() {
		got, _ := NormalizeFeatures(m.Variants[v])
		if strings.Join(got, ",") == want {
			return v, nil
		}
	}
	return "", fmt.Errorf("manifest.yaml: no go.mod variant for features %q", want)
}

// VariantNames returns the variant names, sorted.
func (m *Manifest) VariantNames() []string {
	names := make([]string, 0, len(m.Variants))
	for v := range m.Variants {
		names = append(names, v)
	}
	sort.Strings(names)
	return names
}

// Owner returns the feature a project file belongs to, or "" for core files.
// A file matched by two features' globs needs both, so it belongs to the
// later one (KnownFeatures lists a feature after those it requires).
func (m *Manifest) Owner(file string) string {
	for i := len(KnownFeatures) - 1; i >= 0; i-- {
		f := KnownFeatures[i]
		for _, g := range m.Features[f] {
			if ok, _ := matchGlob(g, file); ok {
				return f
			}
		}
	}
	return ""
}

// matchGlob matches a slash-separated name against a path.Match pattern in
// which a "**" element matches zero or more directories.
func matchGlob(pattern, name string) (bool, error) {
	return matchParts(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func checkGlob(pattern string) error {
	for _, p := range strings.Split(pattern, "/") {
		if _, err := path.Match(p, ""); err != nil {
			return err
		}
	}
	return nil
}

func matchParts(pat, name []string) (bool, error) {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := len(name); i >= 0; i-- {
				if ok, err := matchParts(pat[1:], name[i:]); ok || err != nil {
					return ok, err
				}
			}
			return false, nil
		}
		if len(name) == 0 {
			return false, nil
		}
		ok, err := path.Match(pat[0], name[0])
		if !ok || err != nil {
			return false, err
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0, nil
}
