package generator

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// ProjectFile marks the root of a generated project and records the options
// it was generated with (templates/project/.starter.yaml.tmpl).
const ProjectFile = ".starter.yaml"

// ProjectConfig is what ProjectFile records.
type ProjectConfig struct {
	Name           string            `yaml:"name"`
	Module         string            `yaml:"module"`
	DBName         string            `yaml:"db_name"`
	Port           int               `yaml:"port"`
	Features       []string          `yaml:"features"`
	GoVersion      string            `yaml:"go_version"`
	StarterVersion string            `yaml:"starter_version"`
	Migrations     map[string]string `yaml:"migrations"`
	Resources      []ProjectResource `yaml:"resources"`
}

// ProjectResource is a resource of the project, made by `starter generate
// resource`: its singular name, its plural (package, table and path) and who
// may reach its rows (Access*).
type ProjectResource struct {
	Name   string `yaml:"name"`
	Plural string `yaml:"plural"`
	Access string `yaml:"access"`
}

// ReadProjectConfig reads ProjectFile of the project rooted at dir.
func ReadProjectConfig(dir string) (ProjectConfig, error) {
	name := filepath.Join(dir, ProjectFile)
	data, err := os.ReadFile(name)
	if err != nil {
		return ProjectConfig{}, err
	}
	var c ProjectConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return ProjectConfig{}, fmt.Errorf("%s: %w", name, err)
	}
	if _, err := c.Options().Normalize(); err != nil {
		return ProjectConfig{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Options are the generator options that render this project again.
func (c ProjectConfig) Options() Options {
	return Options{Name: c.Name, Module: c.Module, DBName: c.DBName, Port: c.Port,
		Features: c.Features, StarterVersion: c.StarterVersion, Migrations: c.Migrations,
		Resources: c.Resources}
}
