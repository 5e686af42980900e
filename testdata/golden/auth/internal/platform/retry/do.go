package retry

import (
	"context"
	"errors"
	"fmt"
)

// Do calls fn until it succeeds, returns a Permanent error, or has used
// p.Attempts() attempts, sleeping p.Delay(n) after failed attempt n. It
// returns nil, or fn's last error unchanged (a Permanent one included, so
// callers up the stack still see IsPermanent). When ctx is done during a
// sleep it returns at once with an error that wraps both fn's last error
// and ctx's cause. An invalid p fails before fn runs.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	attempts := p.Attempts()
	for n := 1; ; n++ {
		err := fn(ctx)
		if err == nil || n >= attempts || IsPermanent(err) {
			return err
		}
		if serr := p.sleep(ctx, p.Delay(n)); serr != nil {
			return fmt.Errorf("%w (retry: stopped before attempt %d of %d: %w)", err, n+1, attempts, serr)
		}
	}
}

// Permanent marks err as not worth another attempt: Do returns it at once,
// and a task worker fails the task without using its remaining attempts. The
// result wraps err (errors.Is and As see through it). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err or any error it wraps came from Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
