package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// queueRow is row 4: the ./queue program (our worker process vs River
// in-process, one embedded PostgreSQL, same concurrency), once per round,
// its table parsed; then the queue at scale (queueScale).
func queueRow(ctx context.Context, o *options) ([]measurement, error) {
	bin := filepath.Join(o.work, "bin", "queue")
	fmt.Fprintln(o.log, "building ./queue…")
	if _, err := command(ctx, o, o.bench, os.Environ(), "go", "build", "-o", bin, "./queue"); err != nil {
		return nil, err
	}
	setting := fmt.Sprintf("concurrency %d", o.queueConc)
	tuned := fmt.Sprintf("River, FetchCooldown %s", o.riverCooldown)
	var out []measurement
	for _, anchor := range []string{"River (defaults)", tuned} {
		out = append(out,
			measurement{what: fmt.Sprintf("queue drain of %d no-op tasks, %s: throughput", o.queueN, setting),
				unit: "tasks/s", anchor: anchor, target: "≥ 1.0×", meets: atLeast(1)},
			measurement{what: fmt.Sprintf("queue steady %d tasks/s for %s: enqueue-to-start p50", o.queueRate, o.queueDur),
				unit: "ms", anchor: anchor, target: "≤ 1.0×", meets: atMost(1)},
			measurement{what: "queue steady: enqueue-to-start p99", unit: "ms", anchor: anchor},
			measurement{what: "queue steady: throughput reached", unit: "tasks/s", anchor: anchor})
	}
	env := withoutVar(os.Environ(), "TEST_DATABASE_URL") // its own embedded server
	args := []string{"-repo", o.repo, "-n", strconv.Itoa(o.queueN), "-concurrency", strconv.Itoa(o.queueConc),
		"-rate", strconv.Itoa(o.queueRate), "-duration", o.queueDur.String()}
	for round := range o.rounds {
		fmt.Fprintf(o.log, "queue round %d/%d…\n", round+1, o.rounds)
		both, err := queueRun(ctx, o, env, bin, args...)
		if err != nil {
			return nil, err
		}
		river, err := queueRun(ctx, o, env, bin,
			append(args, "-only", "river", "-river-fetch-cooldown", o.riverCooldown.String())...)
		if err != nil {
			return nil, err
		}
		ours := both["ours"]
		for i, anchor := range [][]float64{both["river"], river["river"]} {
			if ours == nil || anchor == nil {
				return nil, errors.New("queue output lacks a system")
			}
			for j, k := range []int{0, 2, 3, 1} { // drain, p50, p99, steady rate
				m := &out[i*4+j]
				m.ours, m.theirs = append(m.ours, ours[k]), append(m.theirs, anchor[k])
			}
		}
	}
	scale, err := queueScale(ctx, o, env, bin)
	if err != nil {
		return nil, err
	}
	return append(out, scale...), nil
}

// scaleSetting is one line of the queue at scale: procs worker processes
// (River: clients, each with a pool of its own) running concurrency tasks
// each.
type scaleSetting struct{ procs, concurrency int }

func (s scaleSetting) String() string {
	if s.procs == 1 {
		return fmt.Sprintf("concurrency %d", s.concurrency)
	}
	return fmt.Sprintf("%d processes × concurrency %d", s.procs, s.concurrency)
}

// queueScale drains a backlog of o.queueScaleN tasks at each setting, ours
// and River tuned alike (River's FetchCooldown is our 2 ms claim cooldown;
// both poll every second and have a pool of 20 connections per process),
// the settings taking turns within each round. It reports the throughput
// and what the drain cost the server's CPU per 1 000 tasks: on a shared
// machine the latter moves much less than wall time.
func queueScale(ctx context.Context, o *options, env []string, bin string) ([]measurement, error) {
	settings := []scaleSetting{{1, 50}, {1, 200}, {1, 1000}, {4, 50}}
	anchor := fmt.Sprintf("River, FetchCooldown %s", o.riverCooldown)
	out := make([]measurement, 0, 2*len(settings))
	for _, st := range settings {
		out = append(out,
			measurement{what: fmt.Sprintf("queue drain of %d no-op tasks, %s: throughput", o.queueScaleN, st),
				unit: "tasks/s", anchor: anchor, target: "≥ 1.0×", meets: atLeast(1)},
			measurement{what: fmt.Sprintf("queue drain, %s: server CPU per 1 000 tasks", st),
				unit: "ms", anchor: anchor})
	}
	for round := range o.rounds {
		for i, st := range settings {
			fmt.Fprintf(o.log, "queue at scale, round %d/%d: %s…\n", round+1, o.rounds, st)
			res, err := queueRun(ctx, o, env, bin, "-repo", o.repo, "-phases", "drain", "-n", strconv.Itoa(o.queueScaleN),
				"-procs", strconv.Itoa(st.procs), "-concurrency", strconv.Itoa(st.concurrency),
				"-river-fetch-cooldown", o.riverCooldown.String())
			if err != nil {
				return nil, err
			}
			ours, river := res["ours"], res["river"]
			if ours == nil || river == nil {
				return nil, errors.New("queue output lacks a system")
			}
			for j, k := range []int{0, 4} { // drain rate, server CPU
				m := &out[2*i+j]
				m.ours, m.theirs = append(m.ours, ours[k]), append(m.theirs, river[k])
			}
		}
	}
	return out, nil
}

func queueRun(ctx context.Context, o *options, env []string, bin string, args ...string) (map[string][]float64, error) {
	out, err := command(ctx, o, o.bench, env, bin, args...)
	if err != nil {
		return nil, err
	}
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "worker process used") { // the worker process's own account
			fmt.Fprintln(o.log, "  "+line)
		}
	}
	return parseQueue(out)
}

// parseQueue reads the rows of the ./queue table:
// system, drain tasks/s, drain time, steady tasks/s, start p50, p99, max,
// samples, drain server CPU/1k, drain client CPU/1k. It returns drain
// tasks/s, steady tasks/s, p50 ms, p99 ms, server CPU ms per 1 000 tasks.
func parseQueue(out string) (map[string][]float64, error) {
	res := map[string][]float64{}
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 10 || (f[0] != "ours" && f[0] != "river") {
			continue
		}
		drain, err1 := strconv.ParseFloat(f[1], 64)
		steady, err2 := strconv.ParseFloat(f[3], 64)
		p50, err3 := time.ParseDuration(f[4])
		p99, err4 := time.ParseDuration(f[5])
		cpu, err5 := time.ParseDuration(f[8])
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				return nil, fmt.Errorf("queue output %q: %w", line, err)
			}
		}
		res[f[0]] = []float64{drain, steady, ms(p50), ms(p99), ms(cpu)}
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
