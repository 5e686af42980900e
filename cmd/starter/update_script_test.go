package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdReplace is `replace FILE OLD NEW`: the first OLD in FILE becomes NEW. OLD
// and NEW are Go string literals without quotes ("\t", "\n" work), so scripts
// can edit a generated file the way its owner would.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	unquote := func(s string) string {
		u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
		ts.Check(err)
		return u
	}
	name := ts.MkAbs(args[0])
	data, err := os.ReadFile(name)
	ts.Check(err)
	old, new := unquote(args[1]), unquote(args[2])
	if !strings.Contains(string(data), old) {
		ts.Fatalf("%s has no %q", args[0], old)
	}
	ts.Check(os.WriteFile(name, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

// cmdUnconflict is `unconflict FILE`: it resolves every conflict in FILE by
// keeping both sides, ours first, as an owner often does with two additions.
func cmdUnconflict(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: unconflict FILE")
	}
	name := ts.MkAbs(args[0])
	data, err := os.ReadFile(name)
	ts.Check(err)
	var out strings.Builder
	for l := range strings.Lines(string(data)) {
		if !strings.HasPrefix(l, "<<<<<<< ") && !strings.HasPrefix(l, ">>>>>>> ") && l != "=======\n" {
			out.WriteString(l)
		}
	}
	ts.Check(os.WriteFile(name, []byte(out.String()), 0o644))
}
