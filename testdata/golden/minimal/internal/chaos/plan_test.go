package chaos

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestNewPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level    int
		duration time.Duration
		workers  bool
		want     plan
	}{
		{1, time.Minute, true, plan{level: 1, servers: 2, workers: 2, baseline: time.Minute}},
		{3, time.Minute, true, plan{level: 3, servers: 2, workers: 2, baseline: 15 * time.Second, faulty: 45 * time.Second}},
		{6, 10 * time.Minute, true, plan{level: 6, servers: 3, workers: 3, baseline: 30 * time.Second, faulty: 570 * time.Second}},
		{2, 8 * time.Second, false, plan{level: 2, servers: 2, baseline: 4 * time.Second, faulty: 4 * time.Second}},
	} {
		if got := newPlan(tc.level, tc.duration, tc.workers); got != tc.want {
			t.Errorf("newPlan(%d, %s, %v) = %+v, want %+v", tc.level, tc.duration, tc.workers, got, tc.want)
		}
	}
}

// Each level injects its own faults and those of the levels below, within
// the window; level 6 draws every kind, server kills and restarts included.
func TestScheduleAddsFaultsByLevel(t *testing.T) {
	t.Parallel()
	window := 45 * time.Second
	for _, tc := range []struct {
		level int
		want  []string
	}{
		{1, nil},
		{2, []string{faultDatabase}},
		{3, []string{faultDatabase, faultWorker}},
		{4, []string{faultDatabase, faultFlood, faultWorker}},
		{5, []string{faultDatabase, faultFlood, faultOutage, faultWorker}},
		{6, []string{faultDatabase, faultRestart, faultServer, faultFlood, faultOutage, faultWorker}},
	} {
		evs := schedule(tc.level, window, rand.New(rand.NewPCG(1, 2)))
		var kinds []string
		for i, ev := range evs {
			if ev.at < 0 || ev.at+ev.hold > window+8*time.Second {
				t.Errorf("level %d: %s at %s for %s leaves the %s window", tc.level, ev.kind, ev.at, ev.hold, window)
			}
			if i > 0 && ev.at < evs[i-1].at {
				t.Errorf("level %d: events out of order", tc.level)
			}
			if !slices.Contains(kinds, ev.kind) {
				kinds = append(kinds, ev.kind)
			}
		}
		slices.Sort(kinds)
		if !slices.Equal(kinds, tc.want) {
			t.Errorf("level %d injects %v, want %v", tc.level, kinds, tc.want)
		}
	}
}

// A database outage of levels 2–5 outlasts the run's 5 s lease when there
// is time for two, so that leases expire while every worker is cut off.
func TestScheduleHasAnOutageLongerThanALease(t *testing.T) {
	t.Parallel()
	for _, level := range []int{2, 5} {
		evs := schedule(level, 45*time.Second, rand.New(rand.NewPCG(1, 2)))
		if !slices.ContainsFunc(evs, func(ev event) bool { return ev.kind == faultDatabase && ev.hold > 5*time.Second }) {
			t.Errorf("level %d: no database outage longer than the lease in %+v", level, evs)
		}
	}
}

// Level 6 is random but repeatable: the same seed gives the same faults.
func TestRandomScheduleFollowsTheSeed(t *testing.T) {
	t.Parallel()
	a := schedule(6, time.Minute, rand.New(rand.NewPCG(7, 7)))
	b := schedule(6, time.Minute, rand.New(rand.NewPCG(7, 7)))
	c := schedule(6, time.Minute, rand.New(rand.NewPCG(8, 8)))
	if !slices.Equal(a, b) {
		t.Error("the same seed gave two schedules")
	}
	if slices.Equal(a, c) {
		t.Error("two seeds gave the same schedule")
	}
}
