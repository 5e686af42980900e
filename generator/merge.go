package generator

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
)

// Action is what an update does to one file of a project.
type Action int

// The actions of an update, in the order its report lists them.
const (
	// Added: new upstream and absent from the project: written.
	Added Action = iota
	// Replaced: untouched in the project, changed upstream: the new version is written.
	Replaced
	// Merged: edited in the project and changed upstream in other lines: both kept.
	Merged
	// Conflicted: edited in the project and upstream in the same lines: written
	// with conflict markers around both versions.
	Conflicted
	// Deleted: untouched in the project, removed upstream: deleted.
	Deleted
	// KeptEdited: edited in the project, removed upstream: kept as it is.
	KeptEdited
	// LeftDeleted: deleted in the project, changed upstream: stays deleted.
	LeftDeleted
	// KeptMigration: a migration the project has, changed upstream: left as
	// it is, since databases that applied it will not run it again
	// (MigrationChangedNote says what to do).
	KeptMigration
)

var actionNames = [...]string{"added", "replaced", "merged", "conflict", "deleted", "kept", "not restored", "left as is"} //nolint:gochecknoglobals // a table that is never written

// MigrationChangedNote explains a KeptMigration to the project's owner.
const MigrationChangedNote = "changed upstream; databases that applied it will not run it again — add a new migration"

func (a Action) String() string { return actionNames[a] }

// Writes reports whether the action writes the file.
func (a Action) Writes() bool { return a <= Conflicted }

// Change is one file an update writes, deletes or has to tell about.
type Change struct {
	Path      string
	Action    Action
	Data      []byte // the file's new content when Action.Writes()
	Conflicts int    // clashing hunks, for Conflicted
}

// mergeFunc merges theirs into ours three-way from base (nil: no common
// version); conflicts counts the hunks left between conflict markers.
type mergeFunc func(ours, base, theirs []byte) (merged []byte, conflicts int, err error)

// planMerge decides, file by file, how the difference between two renderings
// of the templates (base: the pristine tree the project started from; next:
// the new rendering) lands in the project (current). Files upstream did not
// change are never looked at: whatever the owner did to them stays. A line
// the owner wrote is never dropped: edited files are merged, or written with
// both versions between conflict markers, and an edited file that upstream
// removed is kept. A migration the project already has is never rewritten:
// golang-migrate runs a version once, so a change to it would reach new
// databases only.
func planMerge(base, next, current map[string][]byte, merge mergeFunc) ([]Change, error) {
	paths := slices.Sorted(maps.Keys(base))
	for p := range next {
		if _, ok := base[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []Change
	for _, p := range paths {
		c, err := mergeOne(p, base, next, current, merge)
		if err != nil {
			return nil, fmt.Errorf("merge %s: %w", p, err)
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

func mergeOne(p string, base, next, current map[string][]byte, merge mergeFunc) (*Change, error) {
	b, inB := base[p]
	n, inN := next[p]
	c, inC := current[p]
	switch {
	case inB && inN && bytes.Equal(b, n): // upstream did not change it
		return nil, nil
	case inC == inN && bytes.Equal(c, n): // the project already has upstream's version
		return nil, nil
	case !inN && inB && bytes.Equal(c, b):
		return &Change{Path: p, Action: Deleted}, nil
	case !inN:
		return &Change{Path: p, Action: KeptEdited}, nil
	case !inC && !inB:
		return &Change{Path: p, Action: Added, Data: n}, nil
	case !inC:
		return &Change{Path: p, Action: LeftDeleted}, nil
	case inB && isMigration(p):
		return &Change{Path: p, Action: KeptMigration}, nil
	case inB && bytes.Equal(c, b):
		return &Change{Path: p, Action: Replaced, Data: n}, nil
	}
	merged, conflicts, err := merge(c, b, n)
	switch {
	case err != nil:
		return nil, err
	case conflicts > 0:
		return &Change{Path: p, Action: Conflicted, Data: merged, Conflicts: conflicts}, nil
	case bytes.Equal(merged, c):
		return nil, nil
	}
	return &Change{Path: p, Action: Merged, Data: merged}, nil
}
