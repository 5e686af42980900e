package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/starter-go/starter/generator"
	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// genInner is how many projects one round generates (and copies); the round's
// figure is their median, so that one round is not a single 50 ms sample.
const genInner = 5

// genRow is row 1: generator.Generate in-process, per variant, against a plain
// recursive copy of the template tree it reads (project/, the variant's
// gomod/ and the runtime packages): "generation vs cp".
func genRow(ctx context.Context, o *options) ([]measurement, error) {
	src := generator.Sources{Templates: templates.FS, Runtime: startrt.FS}
	m, err := generator.LoadManifest(src.Templates)
	if err != nil {
		return nil, err
	}
	copied, err := countFiles(src)
	if err != nil {
		return nil, err
	}
	var out []measurement
	for _, v := range []string{"minimal", "auth", "full"} {
		opts := generator.Options{Name: "demo", Module: "example.com/demo", Features: m.Variants[v]}
		plan, err := generator.NewPlan(ctx, src, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v, err)
		}
		files := len(plan.Files)
		wall := measurement{what: fmt.Sprintf("`starter new` %s (%d files): wall time", v, files), unit: "ms",
			anchor: fmt.Sprintf("cp -r (%d files)", copied)}
		alloc := measurement{what: fmt.Sprintf("`starter new` %s: bytes allocated", v), unit: "MB",
			anchor: "cp -r"}
		perFile := measurement{what: fmt.Sprintf("`starter new` %s: time per file written", v), unit: "µs",
			anchor: "cp -r"}
		n := 0
		for round := range o.rounds + 1 { // round 0 warms caches and is dropped
			gen := func() error {
				n++
				return generator.Generate(ctx, src, opts, filepath.Join(o.work, "gen", fmt.Sprint(n)))
			}
			cp := func() error {
				n++
				return copyTree(src, v, filepath.Join(o.work, "gen", fmt.Sprint(n)))
			}
			gt, ga, err := timeAlloc(gen)
			if err != nil {
				return nil, fmt.Errorf("generate %s: %w", v, err)
			}
			ct, ca, err := timeAlloc(cp)
			if err != nil {
				return nil, fmt.Errorf("copy: %w", err)
			}
			if round == 0 {
				continue
			}
			wall.ours, wall.theirs = append(wall.ours, ms(gt)), append(wall.theirs, ms(ct))
			alloc.ours, alloc.theirs = append(alloc.ours, mb(ga)), append(alloc.theirs, mb(ca))
			perFile.ours = append(perFile.ours, float64(gt.Microseconds())/float64(files))
			perFile.theirs = append(perFile.theirs, float64(ct.Microseconds())/float64(copied))
		}
		if err := os.RemoveAll(filepath.Join(o.work, "gen")); err != nil {
			return nil, err
		}
		if v == "full" && len(wall.ours) > 0 && spreadOf(wall.ours).med < 1000 {
			wall.target = "full < 1 s (absolute) ✓"
		} else if v == "full" {
			wall.target = "full < 1 s (absolute) ✗"
		}
		out = append(out, wall, alloc, perFile)
	}
	return out, nil
}

// timeAlloc runs fn genInner times and returns the median wall time (a disk
// stall of a shared machine moves it less than the mean) and the mean bytes
// allocated per run.
func timeAlloc(fn func() error) (time.Duration, uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	times := make([]float64, 0, genInner)
	for range genInner {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, 0, err
		}
		times = append(times, float64(time.Since(start)))
	}
	runtime.ReadMemStats(&after)
	return time.Duration(spreadOf(times).med), (after.TotalAlloc - before.TotalAlloc) / genInner, nil
}

// copyTree is the anchor: what `cp -r` of the inputs would do, through the
// same file system API.
func copyTree(src generator.Sources, variant, dst string) error {
	project, err := fs.Sub(src.Templates, "project")
	if err != nil {
		return err
	}
	gomod, err := fs.Sub(src.Templates, "gomod/"+variant)
	if err != nil {
		return err
	}
	for dir, fsys := range map[string]fs.FS{"": project, "gomod": gomod, "internal/platform": src.Runtime} {
		if err := os.CopyFS(filepath.Join(dst, dir), fsys); err != nil {
			return err
		}
	}
	return nil
}

func countFiles(src generator.Sources) (int, error) {
	n := 0
	count := func(fsys fs.FS, root string) error {
		return fs.WalkDir(fsys, root, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return err
		})
	}
	if err := count(src.Templates, "project"); err != nil {
		return 0, err
	}
	if err := count(src.Templates, "gomod/full"); err != nil {
		return 0, err
	}
	return n, count(src.Runtime, ".")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(b uint64) float64        { return float64(b) / (1 << 20) }
