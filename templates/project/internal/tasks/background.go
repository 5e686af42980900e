package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/starter-go/starter/templates/project/internal/storable"
)

// notifyChannel is signalled by the tasks_notify_insert trigger (and by a
// manual retry) whenever tasks become claimable.
const notifyChannel = "tasks_new"

// listen wakes the producer on every notification of new tasks, and hands
// the changes of shared breakers to sharedBreakers, on a connection of its
// own (a pooled one cannot wait). While it is down the worker still polls
// (for tasks and for breakers alike); it reconnects with a growing pause.
// With PollOnly it does nothing.
func (w *Worker) listen(ctx context.Context) {
	if w.s.PollOnly {
		w.log.Info("task listener off: new tasks and the other workers' breaker changes are found by polling", "every", w.s.PollInterval)
		return
	}
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := w.listenOnce(ctx)
		w.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("task listener lost its connection; polling until it is back", "err", err, "retry_in", pause)
		if !sleep(ctx, pause) {
			return
		}
		pause = min(2*pause, 30*time.Second)
	}
}

func (w *Worker) listenOnce(ctx context.Context) error {
	connect := w.s.Listen
	if connect == nil {
		connect = func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, w.pool.Config().ConnConfig.Copy())
		}
	}
	conn, err := connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	for _, channel := range []string{notifyChannel, breakersChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	w.listening.Store(true)
	// Tasks may have arrived, and breakers changed, while we were not
	// listening.
	w.signal()
	w.shared.requestSync()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == breakersChannel {
			w.shared.note(n.Payload)
			continue
		}
		w.signal()
	}
}

func (w *Worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// maintain renews the leases of the tasks this process holds and takes back
// expired leases of dead workers, every Lease/3. After the database was
// away it skips one round of reaping: every worker first gets a round to
// renew the leases that ran out meanwhile, so that the tasks of workers cut
// off as well (a database restart cuts off everyone) are not taken from them.
// A worker that starts skips its first round likewise: it may have started
// as the database came back (it could not register its types before).
func (w *Worker) maintain(ctx context.Context) {
	every := w.s.Lease / 3
	t := time.NewTicker(every)
	defer t.Stop()
	defer w.forget()
	w.report(ctx, every)
	reaping := true // the next round reaps
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.report(ctx, every)
		switch {
		case !w.heartbeat(ctx, every):
			reaping = false
		case !reaping:
			reaping = true
		default:
			reaping = w.reap(ctx, every)
		}
	}
}

// heartbeat renews the leases held and reports whether the database answered.
// A round is bounded by d, so a hung database does not hold up the next.
func (w *Worker) heartbeat(ctx context.Context, d time.Duration) bool {
	ids, attempts := w.leases.snapshot()
	if len(ids) == 0 {
		return true
	}
	sent := w.leases.now()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	renewed, err := w.store.heartbeat(ctx, w.s.ID, w.s.Lease, ids, attempts)
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			w.log.Error("lease heartbeat failed", "err", err)
		}
		return false
	}
	w.markOK()
	w.leases.renewed(renewed, sent+w.s.Lease)
	return true
}

// reap takes back expired leases, and forgets shared breakers left open
// long ago, and reports whether the database answered.
func (w *Worker) reap(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	n, failed, err := w.store.reap(ctx)
	w.minutes.failedByType(time.Now(), failed)
	if err == nil {
		err = w.store.pruneBreakers(ctx)
	}
	switch {
	case err != nil:
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			w.log.Error("reaping expired leases failed", "err", err)
		}
		return false
	case n > 0:
		w.log.Warn("took back tasks whose lease expired", "count", n)
		w.signal()
	}
	w.markOK()
	return true
}

// completeLoop writes outcomes in batches: it takes what is waiting, waits
// up to CompleteWait for more while the batch is not full, and writes it in
// one statement. After stop it writes what is left and closes w.flushed;
// from then on an outcome the database does not take is retried for one
// Lease at most: by then its task is someone else's.
func (w *Worker) completeLoop(ctx context.Context, stop <-chan struct{}) {
	defer close(w.flushed)
	ctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	go func() {
		select {
		case <-stop:
			if sleep(ctx, w.s.Lease) {
				giveUp()
			}
		case <-ctx.Done():
		}
	}()
	batch := make([]outcome, 0, w.s.CompleteBatch)
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case o := <-w.outcomes:
			batch = append(batch, o)
		case <-stop:
			w.drain(ctx, batch)
			return
		}
		timer.Reset(w.s.CompleteWait)
	gather:
		for len(batch) < w.s.CompleteBatch {
			select {
			case o := <-w.outcomes:
				batch = append(batch, o)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		w.write(ctx, batch)
		batch = batch[:0]
	}
}

func (w *Worker) drain(ctx context.Context, batch []outcome) {
	for {
		select {
		case o := <-w.outcomes:
			batch = append(batch, o)
		default:
			if len(batch) > 0 {
				w.write(ctx, batch)
			}
			return
		}
	}
}

// write stores a batch of outcomes. While the database cannot be reached the
// batch is kept and retried, its leases renewed by the heartbeats, until it
// comes back (or ctx ends). A batch the database refuses is written row by
// row, and a row it still refuses ends failed, saying why: one unstorable
// outcome must not take the others down with it.
func (w *Worker) write(ctx context.Context, batch []outcome) {
	written, err := w.writeRetrying(ctx, batch)
	switch {
	case err == nil:
		w.leases.drop(batch)
		w.minutes.ended(time.Now(), taken(batch, written))
	case ctx.Err() != nil:
		w.log.Error("writing task outcomes failed; their leases will expire", "count", len(batch), "err", err)
	case len(batch) > 1:
		for i := range batch {
			w.write(ctx, batch[i:i+1])
		}
	case !batch[0].unstorable:
		w.log.Error("task outcome cannot be stored; failing the task", "task_id", batch[0].id, "err", err)
		w.write(ctx, []outcome{unstorable(batch[0], err)})
	default:
		w.log.Error("task outcome cannot be stored, even as a failure", "task_id", batch[0].id, "err", err)
		w.leases.drop(batch)
	}
}

// taken returns the outcomes of batch whose task is among those written:
// the other tasks were taken back, and count in the figures of the worker
// (or the reaper) that has them now.
func taken(batch []outcome, written map[uuid.UUID]bool) []outcome {
	if len(written) == len(batch) {
		return batch
	}
	out := make([]outcome, 0, len(written))
	for _, o := range batch {
		if written[o.id] {
			out = append(out, o)
		}
	}
	return out
}

// unstorable turns an outcome the database refused into a failure that says why.
func unstorable(o outcome, err error) outcome {
	o.kind, o.result, o.delay, o.unstorable = outcomeFailed, nil, 0, true
	o.err = storable.Text("outcome could not be stored: "+err.Error(), 2000)
	return o
}

// writeRetrying writes batch, retrying with a growing pause (at most
// CompleteRetryMax) while the database cannot be reached. It returns the ids
// of the tasks written and nil, the error of a database that refused the
// batch, or ctx's.
func (w *Worker) writeRetrying(ctx context.Context, batch []outcome) (map[uuid.UUID]bool, error) {
	pause := min(10*time.Millisecond, w.s.CompleteRetryMax)
	began := time.Now()
	for try := 1; ; try++ {
		written, err := w.store.complete(ctx, w.s.ID, batch)
		switch {
		case err == nil:
			w.markOK()
			if try > 1 {
				w.log.Info("task outcomes written after the database came back", "count", len(batch),
					"tries", try, "waited", time.Since(began).Round(time.Millisecond))
			}
			return written, nil
		case !unreachable(err):
			return nil, err
		case try == 1:
			w.log.Warn("cannot reach the database to write task outcomes; keeping them and retrying",
				"count", len(batch), "err", err)
		}
		if !sleep(ctx, pause) {
			return nil, err
		}
		pause = min(2*pause, w.s.CompleteRetryMax)
	}
}

// unreachable reports whether err says the database could not be reached or
// could not run the statement for now (connection lost, server shutting
// down or overloaded, deadlock), as opposed to refusing it.
func unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return true
	}
	switch pgErr.Code[:2] {
	case "08", "40", "53", "57", "58":
		return true
	}
	return false
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// report tells the console this worker is alive, with its breakers' states,
// writes the figures per minute it counted since the last report, and folds
// the task counters together (one worker at a time does). None of it matters
// to the queue: a failure is logged and the next round tries again.
func (w *Worker) report(ctx context.Context, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	states := make(map[string]string, len(w.breakers.byType))
	for name, b := range w.breakers.byType {
		states[name] = b.State().String()
	}
	if err := w.store.reportWorker(ctx, w.s.ID, states); err != nil && ctx.Err() == nil {
		w.log.Warn("report worker", "err", err)
	}
	w.writeMinutes(ctx)
	if err := w.store.CompactCounts(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn("compact task counts", "err", err)
	}
}

// forget writes the last figures per minute and removes this worker from
// the list of those alive as it stops.
func (w *Worker) forget() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	w.writeMinutes(ctx)
	if err := w.store.forgetWorker(ctx, w.s.ID); err != nil {
		w.log.Warn("forget worker", "err", err)
	}
}
