package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// measurement is one line of the table: ours against an anchor, one value of
// each per round, taken in the same round so that the ratio of the two
// cancels most of what else the machine is doing.
type measurement struct {
	row    int
	what   string // what is measured, e.g. "generate full (84 files): wall"
	unit   string // unit of ours and anchor
	anchor string // name of the anchor
	ours   []float64
	theirs []float64
	// target is the goal for the ratio ours/anchor ("≤ 0.5×"); empty: none.
	target string
	meets  func(ratio float64) bool
}

func (m measurement) ratios() []float64 {
	out := make([]float64, 0, len(m.ours))
	for i := range min(len(m.ours), len(m.theirs)) {
		if m.theirs[i] != 0 {
			out = append(out, m.ours[i]/m.theirs[i])
		}
	}
	return out
}

// spread is min, median and max.
type spread struct{ min, med, max float64 }

func spreadOf(vs []float64) spread {
	if len(vs) == 0 {
		return spread{math.NaN(), math.NaN(), math.NaN()}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{s[0], med, s[len(s)-1]}
}

// format writes the median with the range beside it.
func (s spread) format(unit string) string {
	if math.IsNaN(s.med) {
		return "–"
	}
	if s.min == s.max {
		return num(s.med) + " " + unit
	}
	return fmt.Sprintf("%s %s (%s–%s)", num(s.med), unit, num(s.min), num(s.max))
}

// num prints three significant digits without exponent.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

// machine describes where the table was made.
type machine struct {
	cpus      int
	model     string
	goVersion string
	pgVersion string
	kernel    string
	tree      string // commit of the tree measured, and whether it had local edits
	load      string
	took      time.Duration
}

func describeMachine(ctx context.Context) machine {
	return machine{
		cpus:      runtime.NumCPU(),
		model:     cpuModel(),
		goVersion: output(ctx, "go", "version"),
		pgVersion: postgresVersion(ctx),
		kernel:    output(ctx, "uname", "-sr"),
		tree:      treeState(ctx),
	}
}

// treeState names the commit measured; other people's uncommitted edits in a
// shared working tree are measured too, so they are counted.
func treeState(ctx context.Context) string {
	commit := output(ctx, "git", "rev-parse", "--short", "HEAD")
	if commit == "" {
		return "not a git checkout"
	}
	dirty := output(ctx, "git", "status", "--porcelain", "--untracked-files=no")
	if dirty == "" {
		return "commit " + commit
	}
	return fmt.Sprintf("commit %s + %d modified files", commit, len(strings.Split(dirty, "\n")))
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func postgresVersion(ctx context.Context) string {
	if v := output(ctx, "postgres", "--version"); v != "" {
		return v
	}
	if dir := output(ctx, "pg_config", "--bindir"); dir != "" {
		return output(ctx, dir+"/postgres", "--version")
	}
	return "not found"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func output(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// printTable writes the machine and the table as Markdown, ready to paste.
func printTable(w io.Writer, o *options, m machine, ms []measurement) {
	fmt.Fprintf(w, "machine: %d CPUs, %s; %s; %s; %s\n", m.cpus, m.model, m.goVersion, m.pgVersion, m.kernel)
	fmt.Fprintf(w, "run: %s UTC, %s, %d rounds, took %s, load average %s (1/5/15 min)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04"), m.tree, o.rounds, m.took, m.load)
	fmt.Fprintln(w, "| row | measurement | ours | anchor | ours/anchor | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, x := range ms {
		r := spreadOf(x.ratios())
		target := x.target
		if x.meets != nil && !math.IsNaN(r.med) {
			if x.meets(r.med) {
				target += " ✓"
			} else {
				target += " ✗"
			}
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s: %s | %s | %s |\n", x.row, x.what,
			spreadOf(x.ours).format(x.unit), x.anchor, spreadOf(x.theirs).format(x.unit),
			r.format("×"), target)
	}
	fmt.Fprintln(w, "\nEach cell: median (min–max) over rounds; the ratio is taken round by round, then summarised.")
}

func atMost(limit float64) func(float64) bool  { return func(r float64) bool { return r <= limit } }
func atLeast(limit float64) func(float64) bool { return func(r float64) bool { return r >= limit } }
