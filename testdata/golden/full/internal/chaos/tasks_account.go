package chaos

import (
	"context"
	"fmt"
	"time"
)

// account reads the database's records, checks them against the API's
// answers and the target's deliveries, and adds the result to rep.
func (l *taskLoad) account(ctx context.Context, r *run, rep *Report) error {
	tasks, err := readTasks(ctx, l.pool, l.run)
	if err != nil {
		return err
	}
	events, err := readEvents(ctx, l.pool, l.run)
	if err != nil {
		return err
	}
	l.mu.Lock()
	acks := append([]createAck{}, l.acks...)
	l.mu.Unlock()
	res := analyze(ledgerInput{tasks: tasks, events: events, acks: acks, deliveries: l.target.deliveries(),
		worker: workerName(r.fleet.byPID)})
	rep.Tasks, rep.withTasks = res.counts, true
	rep.DeadlineMisses = res.deadlineMisses
	for _, s := range res.lost {
		rep.broke("lost: %s", s)
	}
	for _, s := range res.twice {
		rep.broke("ran twice: %s", s)
	}
	for _, s := range res.beyondMax {
		rep.broke("attempts: %s", s)
	}
	for _, s := range res.wrong {
		rep.broke("result: %s", s)
	}
	for _, s := range res.redelivered {
		rep.note("redelivered: %s", s)
	}
	for _, s := range res.errorAnswered {
		rep.note("%s", s)
	}
	if res.deadlineMisses > 0 {
		rep.note("deadline misses: %d of the steady load's tasks (a deadline a minute away, high priority), %d of a flood's (20 s away, low priority)",
			res.missedBy["steady"], res.missedBy["flood"])
	}
	for kind, n := range res.unexpected {
		rep.note("%d task(s) meant to complete failed: %s", n, kind)
	}
	l.throughput(r, tasks, events, rep)
	l.checkBreaker(r, tasks, events, rep)
	return nil
}

// throughput counts completions per second in the baseline and under
// faults, and the steady tasks' time from creation to completion.
func (l *taskLoad) throughput(r *run, tasks []taskRow, events []taskEvent, rep *Report) {
	faultsAt := r.began.Add(secondsDuration(rep.Seconds.Baseline))
	drainAt := faultsAt.Add(secondsDuration(rep.Seconds.Faults))
	steady := map[string]bool{}
	for _, t := range tasks {
		steady[t.id] = t.kind == "steady"
	}
	created := map[string]time.Time{}
	var base, faulty int
	var baseLat, faultLat []time.Duration
	for _, e := range events {
		at := e.at.Add(-l.offset)
		if e.from == "" {
			created[e.task] = at
		}
		if e.to != "completed" {
			continue
		}
		lat, ok := at.Sub(created[e.task]), steady[e.task] && !created[e.task].IsZero()
		switch {
		case at.Before(r.began):
		case at.Before(faultsAt):
			base++
			if ok {
				baseLat = append(baseLat, lat)
			}
		case at.Before(drainAt):
			faulty++
			if ok {
				faultLat = append(faultLat, lat)
			}
		}
	}
	if rep.Seconds.Baseline > 0 {
		rep.Throughput.Baseline = float64(base) / rep.Seconds.Baseline
	}
	if rep.Seconds.Faults > 0 {
		rep.Throughput.Faults = float64(faulty) / rep.Seconds.Faults
	}
	rep.Throughput.BaselineLatency, rep.Throughput.FaultsLatency = percentiles(baseLat), percentiles(faultLat)
}

// checkBreaker holds each webhook outage to what the breaker promises: it
// opens and defers webhook tasks (attempts given back, not spent), and it
// closes again (webhook tasks complete after the outage).
func (l *taskLoad) checkBreaker(r *run, tasks []taskRow, events []taskEvent, rep *Report) {
	hooks := map[string]bool{}
	for _, t := range tasks {
		if t.taskType == "webhook" {
			hooks[t.id] = true
		}
	}
	for i, w := range r.faultWindows(faultOutage) {
		deferred, after := 0, 0
		for _, e := range events {
			at := e.at.Add(-l.offset)
			switch {
			case !hooks[e.task]:
			case e.from == "running" && e.toAttempt == e.fromAttempt-1 && !at.Before(w.from) && at.Before(w.to.Add(time.Second)):
				deferred++
			case e.to == "completed" && at.After(w.to):
				after++
			}
		}
		switch {
		case deferred == 0:
			rep.broke("webhook outage #%d (%.0fs): the breaker deferred no webhook task", i+1, w.to.Sub(w.from).Seconds())
		case after == 0:
			rep.broke("webhook outage #%d: no webhook task completed after it: the breaker did not close", i+1)
		default:
			rep.note("webhook outage #%d (%.0fs): %d attempts deferred by the breaker, %d webhooks completed after it",
				i+1, w.to.Sub(w.from).Seconds(), deferred, after)
		}
	}
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// faultWindows returns when faults of kind lasted.
func (r *run) faultWindows(kind string) []window {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]window{}, r.windows[kind]...)
}

// note records a remark of the tasks load.
func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}
