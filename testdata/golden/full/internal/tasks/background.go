package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyChannel is signalled by the tasks_notify_insert trigger (and by a
// manual retry) whenever tasks become claimable.
const notifyChannel = "tasks_new"

// listen wakes the producer on every notification, on a connection of its
// own (a pooled one cannot wait). While it is down the worker still polls;
// it reconnects with a growing pause.
func (w *Worker) listen(ctx context.Context) {
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
	conn, err := pgx.ConnectConfig(ctx, w.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	w.listening.Store(true)
	w.signal() // tasks may have arrived while we were not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
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

// maintain extends the leases of the worker's tasks and takes back expired
// leases of dead workers, every Lease/3.
func (w *Worker) maintain(ctx context.Context) {
	t := time.NewTicker(w.s.Lease / 3)
	defer t.Stop()
	w.reap(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := w.store.heartbeat(ctx, w.s.ID, w.s.Lease); err != nil {
			if ctx.Err() == nil {
				w.log.Error("lease heartbeat failed", "err", err)
			}
			continue
		}
		w.markOK()
		w.reap(ctx)
	}
}

func (w *Worker) reap(ctx context.Context) {
	n, err := w.store.reap(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		w.log.Error("reaping expired leases failed", "err", err)
	case n > 0:
		w.log.Warn("took back tasks whose lease expired", "count", n)
		w.signal()
	}
}

// completeLoop writes outcomes in batches: it takes what is waiting, waits
// up to CompleteWait for more while the batch is not full, and writes it in
// one statement. After stop it writes what is left and closes w.flushed.
func (w *Worker) completeLoop(ctx context.Context, stop <-chan struct{}) {
	defer close(w.flushed)
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

// write stores a batch, retrying a few times. If the database stays away the
// outcomes are lost and the leases expire: the tasks run again elsewhere.
func (w *Worker) write(ctx context.Context, batch []outcome) {
	pause := 10 * time.Millisecond
	for try := 1; ; try++ {
		_, err := w.store.complete(ctx, w.s.ID, batch)
		if err == nil {
			w.markOK()
			return
		}
		if try == 5 || ctx.Err() != nil {
			w.log.Error("writing task outcomes failed; their leases will expire", "count", len(batch), "err", err)
			return
		}
		w.log.Warn("writing task outcomes failed; retrying", "count", len(batch), "err", err)
		if !sleep(ctx, pause) {
			return
		}
		pause *= 4
	}
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
