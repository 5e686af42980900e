package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/starter-go/starter/generator"
)

// featureHelp describes each optional feature in the form.
var featureHelp = map[string]string{ //nolint:gochecknoglobals // a table that is never written
	"auth":  "auth: users, sessions, roles, password rules",
	"tasks": "tasks: background task queue and worker (needs auth)",
}

// ask fills the missing values of in with a huh form, prefilled with the
// defaults; each field validates with the function that checks its flag.
// A final confirmation shows the summary.
func (e *env) ask(in *newInput) error {
	if in.name == "" {
		if err := e.runForm(huh.NewGroup(huh.NewInput().Title("Project name").
			Description("lowercase Go identifier: directory, binary and package name").
			Value(&in.name).Validate(generator.ValidateName))); err != nil {
			return err
		}
	}
	e.defaults(in)
	features, err := generator.ParseFeatures(in.features) // preselects the defaults
	if err != nil {
		return err
	}
	if fields := e.missingFields(in, &features); len(fields) > 0 {
		if err := e.runForm(huh.NewGroup(fields...)); err != nil {
			return err
		}
	}
	if !in.featuresGiven {
		in.features, in.featuresGiven = strings.Join(features, ","), true
	}
	return e.confirm(*in)
}

func (e *env) missingFields(in *newInput, features *[]string) []huh.Field {
	var fields []huh.Field
	if slices.Contains(in.missing, "--module") {
		fields = append(fields, huh.NewInput().Title("Go module path").Value(&in.module).Validate(orDefault(in.module, generator.ValidateModule)))
	}
	if !in.featuresGiven {
		fields = append(fields, featureField(features))
	}
	if slices.Contains(in.missing, "--db-name") {
		fields = append(fields, huh.NewInput().Title("Database name").Value(&in.dbName).Validate(orDefault(in.dbName, generator.ValidateDBName)))
	}
	if slices.Contains(in.missing, "--port") {
		fields = append(fields, huh.NewInput().Title("HTTP port").Value(&in.port).Validate(orDefault(in.port, func(s string) error {
			_, err := generator.ParsePort(s)
			return err
		})))
	}
	return fields
}

// orDefault validates the prefilled default when the answer is empty (the
// accessible prompt keeps the default on an empty line).
func orDefault(def string, validate func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			s = def
		}
		return validate(s)
	}
}

func featureField(selected *[]string) huh.Field {
	opts := make([]huh.Option[string], 0, len(generator.KnownFeatures))
	for _, f := range generator.KnownFeatures {
		opts = append(opts, huh.NewOption(featureHelp[f], f))
	}
	return huh.NewMultiSelect[string]().Title("Features").Options(opts...).
		Value(selected).Validate(generator.ValidateFeatures)
}

func (e *env) confirm(in newInput) error {
	ok := true
	title := fmt.Sprintf("Create %s in ./%s? module %s, features %s, database %s, port %s",
		in.name, in.name, in.module, orNone(in.features), in.dbName, in.port)
	if dir := e.v.GetString("dir"); dir != "" {
		title = strings.Replace(title, "./"+in.name, dir, 1)
	}
	if err := e.runForm(huh.NewGroup(huh.NewConfirm().Title(title).Value(&ok))); err != nil {
		return err
	}
	if !ok {
		return errNothingWritten
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// runForm shows one group on stderr, keeping stdout for results.
func (e *env) runForm(g *huh.Group) error {
	return huh.NewForm(g).WithInput(e.stdin).WithOutput(e.stderr).WithAccessible(e.accessible).WithShowHelp(true).Run()
}
