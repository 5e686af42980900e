package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// queueRow is row 4: the ./queue program (our worker process vs River
// in-process, one embedded PostgreSQL, same concurrency), once per round,
// its table parsed.
func queueRow(ctx context.Context, o *options) ([]measurement, error) {
	bin := filepath.Join(o.work, "bin", "queue")
	fmt.Fprintln(o.log, "building ./queue…")
	if _, err := command(ctx, o, o.bench, os.Environ(), "go", "build", "-o", bin, "./queue"); err != nil {
		return nil, err
	}
	setting := fmt.Sprintf("concurrency %d", o.queueConc)
	drain := measurement{what: fmt.Sprintf("queue drain of %d no-op tasks, %s: throughput", o.queueN, setting),
		unit: "tasks/s", anchor: "River", target: "≥ 1.0×", meets: atLeast(1)}
	p50 := measurement{what: fmt.Sprintf("queue steady %d tasks/s for %s: enqueue-to-start p50", o.queueRate, o.queueDur),
		unit: "ms", anchor: "River", target: "≤ 1.0×", meets: atMost(1)}
	p99 := measurement{what: "queue steady: enqueue-to-start p99", unit: "ms", anchor: "River"}
	rate := measurement{what: "queue steady: throughput reached", unit: "tasks/s", anchor: "River"}
	env := withoutVar(os.Environ(), "TEST_DATABASE_URL") // its own embedded server
	for round := range o.rounds {
		fmt.Fprintf(o.log, "queue round %d/%d…\n", round+1, o.rounds)
		out, err := command(ctx, o, o.bench, env, bin, "-repo", o.repo,
			"-n", strconv.Itoa(o.queueN), "-concurrency", strconv.Itoa(o.queueConc),
			"-rate", strconv.Itoa(o.queueRate), "-duration", o.queueDur.String())
		if err != nil {
			return nil, err
		}
		res, err := parseQueue(out)
		if err != nil {
			return nil, err
		}
		ours, river := res["ours"], res["river"]
		if ours == nil || river == nil {
			return nil, fmt.Errorf("queue output lacks a system:\n%s", tail(out, 2000))
		}
		add := func(m *measurement, i int) {
			m.ours, m.theirs = append(m.ours, ours[i]), append(m.theirs, river[i])
		}
		add(&drain, 0)
		add(&rate, 1)
		add(&p50, 2)
		add(&p99, 3)
	}
	return []measurement{drain, p50, p99, rate}, nil
}

// parseQueue reads the rows of the ./queue table:
// system, drain tasks/s, drain time, steady tasks/s, start p50, p99, max,
// samples. It returns drain tasks/s, steady tasks/s, p50 ms, p99 ms.
func parseQueue(out string) (map[string][]float64, error) {
	res := map[string][]float64{}
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 8 || (f[0] != "ours" && f[0] != "river") {
			continue
		}
		drain, err1 := strconv.ParseFloat(f[1], 64)
		steady, err2 := strconv.ParseFloat(f[3], 64)
		p50, err3 := time.ParseDuration(f[4])
		p99, err4 := time.ParseDuration(f[5])
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return nil, fmt.Errorf("queue output %q: %w", line, err)
			}
		}
		res[f[0]] = []float64{drain, steady, ms(p50), ms(p99)}
	}
	return res, nil
}

func withoutVar(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
