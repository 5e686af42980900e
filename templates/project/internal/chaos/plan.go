package chaos

import (
	"math/rand/v2"
	"slices"
	"time"
)

// The faults a run injects. Levels add them in this order; level 6 draws
// them at random, with server kills and graceful restarts (a deploy) besides.
const (
	faultDatabase = "database restart"
	faultWorker   = "worker kill"
	faultFlood    = "task flood"
	faultOutage   = "webhook outage"
	faultServer   = "server kill"
	faultRestart  = "graceful restart"
)

// MaxLevel is the highest level of the suite.
const MaxLevel = 6

// plan is the shape of a run at one level: how many processes of each kind
// run, how long the load runs without faults and then with them.
type plan struct {
	level    int
	servers  int
	workers  int
	baseline time.Duration
	faulty   time.Duration
}

// newPlan splits duration into a baseline (a quarter, 5–30 s; all of it at
// level 1), whose throughput is the yardstick, and the time under faults.
// Level 6 runs three servers and three workers, the others two of each.
func newPlan(level int, duration time.Duration, withWorkers bool) plan {
	p := plan{level: level, servers: 2, workers: 2, baseline: duration}
	if level == MaxLevel {
		p.servers, p.workers = 3, 3
	}
	if !withWorkers {
		p.workers = 0
	}
	if level > 1 {
		p.baseline = min(max(duration/4, 5*time.Second), 30*time.Second, duration/2)
		p.faulty = duration - p.baseline
	}
	return p
}

// event is one fault to inject: at is counted from the start of the faults,
// hold is how long the fault lasts (the database down, a process dead, the
// webhook target failing).
type event struct {
	at   time.Duration
	kind string
	hold time.Duration
}

// schedule lays out the faults of level over window. Levels 2–5 follow a
// fixed pattern, so that two runs of a level break the same things; level 6
// draws every fault, its time and its length from rng.
func schedule(level int, window time.Duration, rng *rand.Rand) []event {
	if level == MaxLevel {
		return randomSchedule(window, rng)
	}
	var evs []event
	if level >= 2 {
		// A short outage, then (given the time) one longer than the run's
		// 5 s task lease: leases expire while every worker is cut off.
		evs = append(evs, event{at: window / 8, kind: faultDatabase, hold: 2 * time.Second})
		if window >= 30*time.Second {
			evs = append(evs, event{at: window * 5 / 8, kind: faultDatabase, hold: 7 * time.Second})
		}
	}
	if level >= 3 {
		for at := 2 * time.Second; at < window-3*time.Second; at += 4 * time.Second {
			evs = append(evs, event{at: at, kind: faultWorker, hold: time.Second})
		}
	}
	if level >= 4 {
		evs = append(evs, event{at: window * 3 / 10, kind: faultFlood})
	}
	if level >= 5 {
		evs = append(evs, event{at: window * 9 / 20, kind: faultOutage, hold: max(6*time.Second, window/5)})
	}
	slices.SortStableFunc(evs, func(a, b event) int { return int(a.at - b.at) })
	return evs
}

// randomSchedule draws a fault every 1.5–4 s; each kind appears at least once.
func randomSchedule(window time.Duration, rng *rand.Rand) []event {
	kinds := []string{faultDatabase, faultWorker, faultWorker, faultWorker, faultServer, faultServer, faultRestart, faultFlood, faultOutage}
	var evs []event
	seen := map[string]bool{}
	floods := 0
	for at := time.Second; at < window-3*time.Second; at += between(rng, 1500*time.Millisecond, 4*time.Second) {
		k := kinds[rng.IntN(len(kinds))]
		if k == faultFlood && floods == 2 {
			k = faultWorker
		}
		if k == faultFlood {
			floods++
		}
		seen[k] = true
		evs = append(evs, event{at: at, kind: k, hold: randomHold(k, rng)})
	}
	// A short window may not draw every kind: the missing ones go at random times.
	for _, k := range []string{faultDatabase, faultWorker, faultServer, faultRestart, faultFlood, faultOutage} {
		if !seen[k] {
			at := between(rng, time.Second, max(window-4*time.Second, 2*time.Second))
			evs = append(evs, event{at: at, kind: k, hold: randomHold(k, rng)})
		}
	}
	slices.SortStableFunc(evs, func(a, b event) int { return int(a.at - b.at) })
	return evs
}

func randomHold(kind string, rng *rand.Rand) time.Duration {
	switch kind {
	case faultDatabase:
		return between(rng, time.Second, 8*time.Second)
	case faultOutage:
		return between(rng, 3*time.Second, 8*time.Second)
	case faultFlood:
		return 0
	}
	return between(rng, 300*time.Millisecond, 2*time.Second)
}

// between draws a duration in [lo, hi).
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}
