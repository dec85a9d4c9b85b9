// Package output delivers findings to where people and systems see them:
// the terminal, a JSON Lines file, a signed webhook, Slack.
//
// An Output sends one finding at a time and reports, through its error,
// whether trying again could help (see Permanent and RetryAfter). The
// Dispatcher fans findings out to every configured Output, one goroutine and
// one bounded queue per output, retries with capped exponential backoff, and
// writes what cannot be delivered to the dead-letter file, so a finding is
// either delivered, dead-lettered, or left in the caller's outbox: never
// dropped. Build turns the YAML configuration into routes for the Dispatcher.
package output

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// Output delivers findings to one destination. Send returns nil only once the receiver has accepted f.
// Send must be idempotent on f.ID: retries and redelivery happen.
//
// The same *finding.Finding is handed to every output at once, so Send must
// not modify f or keep it after returning. An error wrapped with Permanent
// stops retries; a *RetryAfter names how long to wait before the next try;
// any other error is retried with backoff. Send, Name and Close are safe for
// concurrent use; after Close, Send returns an error matching ErrClosed.
type Output interface {
	// Name identifies the output in logs, statistics and dead-letter entries.
	Name() string
	Send(ctx context.Context, f *finding.Finding) error
	Close(ctx context.Context) error
}

// BatchSender is an optional upgrade of Output (cf. io/fs ReadFileFS) for
// outputs that can accept many findings at a lower cost than one by one. The
// Dispatcher uses it when present.
//
// SendBatch returns nil when every finding was accepted. To report a partial
// failure it returns a *BatchError with one error per finding; any other
// error means that none of fs was accepted.
type BatchSender interface {
	SendBatch(ctx context.Context, fs []*finding.Finding) error
}

// BatchError reports which findings of a batch were not accepted.
type BatchError struct {
	// Errs holds one entry per finding of the batch, in order: nil when the
	// finding was accepted, its error otherwise.
	Errs []error
}

// Error summarises the failures.
func (e *BatchError) Error() string {
	var n int
	var first error
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if first == nil {
		return "batch: no failures"
	}
	return fmt.Sprintf("batch: %d of %d findings failed; first: %v", n, len(e.Errs), first)
}

// Unwrap returns the non-nil per-finding errors.
func (e *BatchError) Unwrap() []error {
	var errs []error
	for _, err := range e.Errs {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// ErrClosed is returned (wrapped as Permanent) by Send after Close, and by the
// Dispatcher after Close.
var ErrClosed = errors.New("output closed")

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix: the receiver refused
// the finding (HTTP 4xx other than 408 and 429), the finding cannot be
// encoded, or the output is closed. The Dispatcher dead-letters such a
// finding at once. Permanent(nil) is nil; the message is err's unchanged.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// RetryAfter is a retryable error for which the receiver named how long to
// wait (HTTP 429 or 503 with a Retry-After header). The Dispatcher waits Wait
// before the next attempt instead of its own backoff.
type RetryAfter struct {
	Wait time.Duration
	Err  error
}

// Error returns the wrapped error's message with the wait.
func (e *RetryAfter) Error() string {
	return fmt.Sprintf("%v (retry after %v)", e.Err, e.Wait)
}

// Unwrap returns the wrapped error.
func (e *RetryAfter) Unwrap() error { return e.Err }

// retryAfter returns the wait named by a *RetryAfter in err's chain.
func retryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfter
	if errors.As(err, &ra) {
		return ra.Wait, true
	}
	return 0, false
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n { // fast path: fewer bytes than n means fewer runes
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return string(r[:n-1]) + "…"
}

// sanitize replaces control characters (newlines, ANSI escapes) with spaces
// so that text taken from a CloudTrail record cannot move the cursor, recolour
// or clear a terminal, or break a line-oriented format.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029'
}
