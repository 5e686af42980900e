package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Errors of an update that callers explain to the user.
var (
	// ErrNoBase: the repository has no BaseRef (a project made without git,
	// or a clone, which does not fetch refs/starter/*).
	ErrNoBase = errors.New("no merge base (" + BaseRef + ")")
	// ErrUpdatePending: an update left conflicts and was neither continued nor aborted.
	ErrUpdatePending = errors.New("an update with conflicts is under way (" + PendingRef + ")")
	// ErrNoPendingUpdate: there is nothing to continue or abort.
	ErrNoPendingUpdate = errors.New("no update with conflicts is under way")
	// ErrHasBase: InitBase on a project that already has its merge base.
	ErrHasBase = errors.New("the project already has a merge base (" + BaseRef + ")")
)

// DirtyError refuses an update of a working tree with uncommitted changes:
// the owner's last commit is what lets them review and undo the update.
type DirtyError struct {
	Paths []string // changed, added, deleted and untracked files, as git status names them
}

func (e *DirtyError) Error() string {
	more := ""
	if n := len(e.Paths) - 3; n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("the working tree has uncommitted changes (%s%s)", strings.Join(e.Paths[:min(3, len(e.Paths))], ", "), more)
}

// UpdateRequest asks to bring a generated project to a new rendering of the
// templates: with features added, or simply with the templates given.
type UpdateRequest struct {
	// Dir is the project root: the directory holding .starter.yaml.
	Dir string
	// Add lists the features to add. Empty: an upgrade with the recorded features.
	Add []string
	// StarterVersion is recorded in .starter.yaml. Default: "dev".
	StarterVersion string
	// DryRun plans without running go mod tidy (the go.mod and go.sum shown are
	// the merged requirements before tidying).
	DryRun bool
}

// Update is a fully computed update: Apply only writes.
type Update struct {
	Dir  string
	From ProjectConfig // as .starter.yaml records the project now
	To   Options       // the options of the new rendering
	// Changes lists, sorted by path, every file the update writes or deletes,
	// and those it leaves alone but the owner should look at.
	Changes []Change
	// UpToDate: the new rendering is the merge base itself; nothing to do.
	UpToDate bool
	// TidyErr is go mod tidy's failure when the merge left conflicts: go.mod
	// then holds the merged requirements, not yet tidy.
	TidyErr error

	repo *gitRepo
	base string // the commit BaseRef points at
	next *Plan
}

// PlanUpdate computes an update of the project at req.Dir: it checks the
// request and the repository, renders the templates again, merges and runs
// go mod tidy on a copy. It writes nothing to the project.
func PlanUpdate(ctx context.Context, src Sources, req UpdateRequest) (*Update, error) {
	cfg, err := ReadProjectConfig(req.Dir)
	if err != nil {
		return nil, err
	}
	opts, err := withAdded(cfg.Options(), req.Add)
	if err != nil {
		return nil, err
	}
	opts.StarterVersion = req.StarterVersion
	u := &Update{Dir: req.Dir, From: cfg}
	if u.repo, u.base, err = openBase(ctx, req.Dir); err != nil {
		return nil, err
	}
	if err := u.checkClean(ctx); err != nil {
		return nil, err
	}
	base, err := u.repo.readTree(ctx, u.base)
	if err != nil {
		return nil, err
	}
	if u.next, err = renderNext(ctx, src, opts, base, req.Dir); err != nil {
		return nil, err
	}
	u.To = u.next.Options
	next := fileMap(u.next.Files)
	if maps.EqualFunc(base, next, bytes.Equal) {
		u.UpToDate = true
		return u, nil
	}
	return u, u.merge(ctx, base, next, req.DryRun)
}

// withAdded checks the features to add against the project's and returns its
// options with them. A feature that needs another the project lacks is an
// error naming the command that adds both, as `starter new` does for
// --features: adding a whole feature nobody asked for would be a surprise.
func withAdded(opts Options, add []string) (Options, error) {
	for _, f := range add {
		switch {
		case !slices.Contains(KnownFeatures, f):
			return opts, &InputError{"feature", f, "must be one of " + strings.Join(KnownFeatures, ", ")}
		case opts.Has(f):
			return opts, &InputError{"feature", f, "is already in this project"}
		}
	}
	all := append(slices.Clone(opts.Features), add...)
	for _, f := range add {
		for _, req := range featureRequires[f] {
			if !slices.Contains(all, req) {
				both, _ := NormalizeFeatures(append(slices.Clone(add), req))
				return opts, &InputError{"feature", f, fmt.Sprintf("requires %s, which this project does not have (starter add %s)", req, strings.Join(both, " "))}
			}
		}
	}
	var err error
	opts.Features, err = NormalizeFeatures(all)
	return opts, err
}

// openBase opens the project's repository and finds its merge base.
func openBase(ctx context.Context, dir string) (*gitRepo, string, error) {
	repo, err := openRepo(ctx, dir)
	if err != nil {
		return nil, "", err
	}
	if pending, err := repo.resolve(ctx, PendingRef); err != nil || pending != "" {
		return nil, "", cmpErr(err, ErrUpdatePending)
	}
	base, err := repo.resolve(ctx, BaseRef)
	if err != nil || base == "" {
		return nil, "", cmpErr(err, ErrNoBase)
	}
	return repo, base, nil
}

// cmpErr returns err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func (u *Update) checkClean(ctx context.Context) error {
	changes, err := u.repo.status(ctx)
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		return &DirtyError{Paths: changes}
	}
	return nil
}

// renderNext renders the templates with opts, numbering the migrations new
// to the project after its latest one (renumberMigrations).
func renderNext(ctx context.Context, src Sources, opts Options, base map[string][]byte, dir string) (*Plan, error) {
	p, err := NewPlan(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	own, err := projectMigrations(dir)
	if err != nil {
		return nil, err
	}
	renames := renumberMigrations(p.Files, base, own, opts.Migrations)
	if maps.Equal(renames, opts.Migrations) {
		return p, nil
	}
	opts.Migrations = renames
	return NewPlan(ctx, src, opts)
}

// projectMigrations lists the paths under migrations/ in the project now.
func projectMigrations(dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "migrations"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, migrationsDir+e.Name())
	}
	return out, err
}

func fileMap(files []File) map[string][]byte {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[f.Path] = f.Data
	}
	return m
}

// The files merged by module rather than by line.
const goModFile, goSumFile = "go.mod", "go.sum"

// merge plans every file: the text files by planMerge, go.mod and go.sum by
// module, then tidied on a copy of the result.
func (u *Update) merge(ctx context.Context, base, next map[string][]byte, dryRun bool) error {
	current, err := readProject(u.Dir, base, next)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "starter-merge-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	labels := [3]string{"yours", "base (starter " + u.From.StarterVersion + ")",
		fmt.Sprintf("starter %s (%s)", u.To.StarterVersion, featureNames(u.To.Features))}
	text := func(m map[string][]byte) map[string][]byte {
		c := maps.Clone(m)
		delete(c, goModFile)
		delete(c, goSumFile)
		return c
	}
	if u.Changes, err = planMerge(text(base), text(next), text(current), u.repo.mergeFile(ctx, tmp, labels)); err != nil {
		return err
	}
	return u.mergeModules(ctx, base, next, current, dryRun)
}

func featureNames(fs []string) string {
	if len(fs) == 0 {
		return "no features"
	}
	return strings.Join(fs, ",")
}

// readProject reads the project's version of every file of base and next;
// an absent file is absent from the map. Anything that would stop a file
// from being written later (a directory in its place, a parent that is a
// file) is an error now.
func readProject(dir string, base, next map[string][]byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, m := range []map[string][]byte{base, next} {
		for p := range m {
			name := filepath.Join(dir, filepath.FromSlash(p))
			fi, err := os.Lstat(name)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue
			case err != nil:
				return nil, fmt.Errorf("%s: %w", p, err)
			case !fi.Mode().IsRegular():
				return nil, fmt.Errorf("%s: not a regular file in the project, where the templates have one", p)
			}
			if out[p], err = os.ReadFile(name); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// mergeModules adds the changes of go.mod and go.sum.
func (u *Update) mergeModules(ctx context.Context, base, next, current map[string][]byte, dryRun bool) error {
	mod, err := mergeGoMod(base[goModFile], next[goModFile], current[goModFile])
	if err != nil {
		return err
	}
	sum := mergeGoSum(base[goSumFile], next[goSumFile], current[goSumFile])
	if !dryRun {
		files, err := u.goFiles(ctx)
		if err != nil {
			return err
		}
		files[goModFile], files[goSumFile] = mod, sum
		tmod, tsum, err := tidy(ctx, u.Dir, files)
		switch {
		case err == nil:
			mod, sum = tmod, tsum
		case len(u.Conflicts()) > 0:
			u.TidyErr = err
		default:
			return err
		}
	}
	for _, f := range []File{{goModFile, mod}, {goSumFile, sum}} {
		if c := moduleChange(f, base, current); c != nil {
			u.Changes = append(u.Changes, *c)
		}
	}
	slices.SortFunc(u.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return nil
}

func moduleChange(f File, base, current map[string][]byte) *Change {
	c, inC := current[f.Path]
	switch {
	case inC && bytes.Equal(c, f.Data):
		return nil
	case !inC:
		return &Change{Path: f.Path, Action: Added, Data: f.Data}
	case bytes.Equal(c, base[f.Path]):
		return &Change{Path: f.Path, Action: Replaced, Data: f.Data}
	}
	return &Change{Path: f.Path, Action: Merged, Data: f.Data}
}

// goFiles is the part of the project's tree after the update that go mod
// tidy reads (Go files and go.mod files): path → content, nil for a file the
// update leaves as it is on disk.
func (u *Update) goFiles(ctx context.Context) (map[string][]byte, error) {
	tracked, err := u.repo.lsFiles(ctx)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, p := range tracked {
		if forTidy(p) {
			files[p] = nil
		}
	}
	for _, c := range u.Changes {
		switch {
		case !forTidy(c.Path):
		case c.Action.Writes():
			files[c.Path] = c.Data
		case c.Action == Deleted:
			delete(files, c.Path)
		}
	}
	return files, nil
}

func forTidy(p string) bool {
	return strings.HasSuffix(p, ".go") || path.Base(p) == goModFile || p == goSumFile
}

// Conflicts lists the changes that left conflict markers.
func (u *Update) Conflicts() []Change {
	var out []Change
	for _, c := range u.Changes {
		if c.Action == Conflicted {
			out = append(out, c)
		}
	}
	return out
}

// Apply writes the update: each file atomically (a temporary file renamed
// over it), then BaseRef moves to the new pristine tree when the merge was
// clean; with conflicts the tree waits under PendingRef for ContinueUpdate.
func (u *Update) Apply(ctx context.Context) error {
	if u.UpToDate {
		return nil
	}
	conflicts := u.Conflicts()
	commit, err := u.repo.commitFiles(ctx, u.next.Files, u.base, u.message(conflicts))
	if err != nil {
		return err
	}
	if err := writeChanges(ctx, u.Dir, u.Changes); err != nil {
		return fmt.Errorf("%w (the files written so far are in the working tree: git stash -u, or git checkout -- . and git clean -fd, brings back your last commit)", err)
	}
	if len(conflicts) > 0 {
		return u.repo.updateRef(ctx, PendingRef, commit, "")
	}
	return u.repo.updateRef(ctx, BaseRef, commit, u.base)
}

// message describes a pristine tree; with conflicts it lists the files, which
// ContinueUpdate checks.
func (u *Update) message(conflicts []Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "starter %s: %s, features %s\n\nThe project as starter generates it: the merge base of starter add and upgrade.\n",
		u.To.StarterVersion, u.To.Name, featureNames(u.To.Features))
	if len(conflicts) > 0 {
		b.WriteString("\n" + conflictsHeader + "\n")
		for _, c := range conflicts {
			b.WriteString("\t" + c.Path + "\n")
		}
	}
	return b.String()
}

const conflictsHeader = "Conflicts:"

// writeChanges writes and deletes the files of an update.
func writeChanges(ctx context.Context, dir string, changes []Change) error {
	for _, c := range changes {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(c.Path))
		var err error
		switch {
		case c.Action.Writes():
			err = writeFileAtomic(name, c.Data)
		case c.Action == Deleted:
			err = removeFile(dir, name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	return nil
}

// writeFileAtomic replaces name with data through a temporary file in the same
// directory, so a reader (or a crash) sees the old file or the new one, never
// half of it. An existing file keeps its permissions.
func writeFileAtomic(name string, data []byte) error {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".starter-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// removeFile deletes name and the directories it leaves empty, up to root.
func removeFile(root, name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for dir := filepath.Dir(name); dir != root && strings.HasPrefix(dir, root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty
			return nil
		}
	}
	return nil
}

// ContinueUpdate finishes an update that left conflicts: when none of the
// files it listed still holds a conflict marker, the pristine tree it kept
// under PendingRef becomes the merge base. It returns the files that still
// have markers (and moves nothing) otherwise. The working tree may be dirty:
// the resolutions need not be committed yet.
func ContinueUpdate(ctx context.Context, dir string) (remaining []string, err error) {
	repo, err := openRepo(ctx, dir)
	if err != nil {
		return nil, err
	}
	pending, err := repo.resolve(ctx, PendingRef)
	if err != nil || pending == "" {
		return nil, cmpErr(err, ErrNoPendingUpdate)
	}
	msg, err := repo.commitMessage(ctx, pending)
	if err != nil {
		return nil, err
	}
	for _, p := range conflictList(msg) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil && hasConflictMarkers(data) {
			remaining = append(remaining, p)
		}
	}
	if len(remaining) > 0 {
		return remaining, nil
	}
	base, err := repo.resolve(ctx, BaseRef)
	if err != nil {
		return nil, err
	}
	if err := repo.updateRef(ctx, BaseRef, pending, base); err != nil {
		return nil, err
	}
	return nil, repo.deleteRef(ctx, PendingRef, pending)
}

// AbortUpdate forgets an update that left conflicts; the merge base stays
// where it was. The files it wrote are the owner's to restore (git checkout).
func AbortUpdate(ctx context.Context, dir string) error {
	repo, err := openRepo(ctx, dir)
	if err != nil {
		return err
	}
	pending, err := repo.resolve(ctx, PendingRef)
	if err != nil || pending == "" {
		return cmpErr(err, ErrNoPendingUpdate)
	}
	return repo.deleteRef(ctx, PendingRef, pending)
}

func conflictList(msg string) []string {
	_, list, ok := strings.Cut(msg, "\n"+conflictsHeader+"\n")
	if !ok {
		return nil
	}
	var out []string
	for l := range strings.Lines(list) {
		if p, ok := strings.CutPrefix(strings.TrimRight(l, "\n"), "\t"); ok {
			out = append(out, p)
		}
	}
	return out
}

// hasConflictMarkers looks for the first or last line of a conflict. A line
// of "=======" alone is not enough: it underlines Markdown headings.
func hasConflictMarkers(data []byte) bool {
	for l := range strings.Lines(string(data)) {
		if strings.HasPrefix(l, "<<<<<<< ") || strings.HasPrefix(l, ">>>>>>> ") {
			return true
		}
	}
	return false
}

// InitBase records the merge base of a project that has none: the tree this
// starter's templates give for the options .starter.yaml records, including
// the starter version it names. It is the true base when that version is this
// starter's; otherwise template changes between the two versions will not be
// merged (the files stay as they are), since the older templates are gone.
func InitBase(ctx context.Context, src Sources, dir string) error {
	cfg, err := ReadProjectConfig(dir)
	if err != nil {
		return err
	}
	repo, err := openRepo(ctx, dir)
	if err != nil {
		return err
	}
	if base, err := repo.resolve(ctx, BaseRef); err != nil || base != "" {
		return cmpErr(err, ErrHasBase)
	}
	p, err := NewPlan(ctx, src, cfg.Options())
	if err != nil {
		return err
	}
	return p.recordBase(ctx, dir)
}
