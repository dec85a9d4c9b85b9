package output

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
)

// DispatchOptions tunes a Dispatcher. The zero value is usable.
type DispatchOptions struct {
	// BackoffBase is the wait before the first retry (default 500ms). It
	// doubles with each attempt up to BackoffCap (default 30s); each wait is
	// jittered between half and all of its value.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// MaxAttempts is the attempts per finding and route before the finding is
	// dead-lettered, for routes that do not set their own (default 6).
	MaxAttempts int
	// MaxRetryAfter is the longest server-named wait (*RetryAfter) honoured
	// as is; longer waits are cut to it (default 5m), so that a receiver cannot
	// stall its route indefinitely.
	MaxRetryAfter time.Duration
	// QueueSize is the capacity of each route's queue (default 64). When it is
	// full, Dispatch blocks, for at most SpillAfter.
	QueueSize int
	// SpillAfter bounds how long Dispatch waits for room in one route's
	// queue (default 5s). Past it the finding is dead-lettered for that route
	// at once (counted as Spilled and DeadLettered), so that an output that is
	// down slows the others and the scan by at most this much per finding
	// rather than by its whole retry schedule.
	SpillAfter time.Duration
	// MaxBatch is the most findings handed to one SendBatch call (default 100).
	MaxBatch int
	// OnDone, if set, is called once per finding when every route it was
	// dispatched to has delivered it or dead-lettered it: the caller can then
	// drop it from its outbox. It is not called for a finding that some route
	// could neither deliver nor dead-letter, nor for one Dispatch could not
	// hand to all its routes; those stay in the outbox to be dispatched again.
	// It is called from the route goroutines, concurrently, and must not block
	// for long.
	OnDone func(f *finding.Finding)
	// Sleep waits d or until ctx is done, returning ctx.Err() in that case.
	// Tests replace it to run retries without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps dead-letter entries (default time.Now).
	Now func() time.Time
}

func (o *DispatchOptions) setDefaults() {
	if o.SpillAfter <= 0 {
		o.SpillAfter = 5 * time.Second
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffCap <= 0 {
		o.BackoffCap = 30 * time.Second
	}
	o.BackoffCap = max(o.BackoffCap, o.BackoffBase)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 64
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 100
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RouteStats counts what happened to the findings of one route.
type RouteStats struct {
	// Output is the output's name.
	Output string
	// Sent counts findings the output accepted.
	Sent int64
	// Retried counts attempts after a failed one.
	Retried int64
	// DeadLettered counts findings written to the dead-letter file.
	DeadLettered int64
	// DeadLetterFailed counts findings that could be neither delivered nor
	// dead-lettered. They were logged at Error level and left in the
	// caller's outbox (OnDone was not called).
	DeadLetterFailed int64
	// Abandoned counts the findings of DeadLettered and DeadLetterFailed
	// that were given up on because Close's deadline passed.
	Abandoned int64
	// Spilled counts the findings of DeadLettered that were dead-lettered
	// because the route's queue stayed full (see SpillAfter).
	Spilled int64
}

// Stats holds the counters of every route, in route order.
type Stats struct {
	Routes []RouteStats
}

// Dispatcher fans findings out to routes. Each route has its own goroutine
// and bounded queue, so a slow or failing output never holds up the others;
// Dispatch blocks when a queue is full (backpressure), and never drops.
//
// A route retries a failed Send with capped, jittered exponential backoff,
// waits what a *RetryAfter names, and stops early on a Permanent error. A
// finding that is still undelivered after the route's MaxAttempts goes to the
// dead-letter file as a deadletter.KindFinding entry.
//
// Lifetimes: the ctx given to Dispatch bounds only the hand-off to the
// queues; delivery runs until Close. Dispatch and Close are safe for
// concurrent use.
type Dispatcher struct {
	routes []*routeWorker
	dl     *deadletter.File
	log    *slog.Logger
	opts   DispatchOptions
	cancel context.CancelFunc // hard stop of the route goroutines
	wg     sync.WaitGroup     // the route goroutines

	mu       sync.Mutex
	closed   bool
	quit     chan struct{}  // closed by Close: intake stops
	inflight sync.WaitGroup // Dispatch calls under way
}

// routeWorker owns one route's queue and goroutine.
type routeWorker struct {
	d           *Dispatcher
	out         Output
	batch       BatchSender // nil unless out implements it
	min         finding.Severity
	maxAttempts int
	ch          chan job
	log         *slog.Logger

	sent, retried, deadLettered, dlFailed, abandoned, spilled atomic.Int64
}

// job is one finding on one route.
type job struct {
	f   *finding.Finding
	t   *tracker
	err error // last error on this route
}

// tracker follows one finding across its routes, for OnDone.
type tracker struct {
	remaining atomic.Int32 // routes that have not finished with it
	lost      atomic.Bool  // a route could neither deliver nor dead-letter it
}

// NewDispatcher starts one goroutine per route; Close stops them. dl receives
// what cannot be delivered; it may be nil, in which case such findings are
// logged, counted as DeadLetterFailed and left in the caller's outbox. The
// Dispatcher does not close dl. logger may be nil. It panics if a route has
// no Output.
func NewDispatcher(routes []Route, dl *deadletter.File, logger *slog.Logger, opts DispatchOptions) *Dispatcher {
	opts.setDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{
		dl:     dl,
		log:    logger.With("component", "output"),
		opts:   opts,
		cancel: cancel,
		quit:   make(chan struct{}),
	}
	for i, r := range routes {
		if r.Output == nil {
			panic(fmt.Sprintf("output: NewDispatcher: route %d has no Output", i))
		}
		w := &routeWorker{
			d:           d,
			out:         r.Output,
			min:         r.MinSeverity,
			maxAttempts: r.MaxAttempts,
			ch:          make(chan job, opts.QueueSize),
			log:         d.log.With("output", r.Output.Name()),
		}
		if w.maxAttempts <= 0 {
			w.maxAttempts = opts.MaxAttempts
		}
		if b, ok := r.Output.(BatchSender); ok {
			w.batch = b
		}
		d.routes = append(d.routes, w)
	}
	for _, w := range d.routes {
		d.wg.Go(func() { w.run(ctx) })
	}
	return d
}

// Dispatch hands each finding to every route whose MinSeverity it reaches,
// blocking while a route's queue is full. It returns once every finding is
// queued, not delivered: OnDone reports delivery. A finding no route wants
// is reported to OnDone at once.
//
// If ctx ends or the Dispatcher is closed first, Dispatch returns an error
// naming the finding it stopped at; that finding and the ones after it may
// have reached some of their routes, will not be reported to OnDone, and
// should be dispatched again (outputs are idempotent on the finding id).
func (d *Dispatcher) Dispatch(ctx context.Context, fs []*finding.Finding) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return fmt.Errorf("dispatch: %w", ErrClosed)
	}
	d.inflight.Add(1)
	d.mu.Unlock()
	defer d.inflight.Done()

	for i, f := range fs {
		if f == nil {
			return fmt.Errorf("dispatch finding %d of %d: nil finding", i+1, len(fs))
		}
		n := 0
		for _, r := range d.routes {
			if f.Severity >= r.min {
				n++
			}
		}
		if n == 0 {
			d.done(f)
			continue
		}
		t := &tracker{}
		t.remaining.Store(int32(n))
		for _, r := range d.routes {
			if f.Severity < r.min {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("dispatch finding %d of %d: %w", i+1, len(fs), err)
			}
			j := job{f: f, t: t}
			select {
			case r.ch <- j:
				continue
			default:
			}
			timer := time.NewTimer(d.opts.SpillAfter)
			select {
			case r.ch <- j:
				timer.Stop()
			case <-timer.C:
				// The output is not keeping up (down, or throttled): keep the
				// finding in the dead letter for it and go on with the others.
				r.spilled.Add(1)
				j.err = fmt.Errorf("output %s is not keeping up: its queue of %d stayed full for %s", r.out.Name(), cap(r.ch), d.opts.SpillAfter)
				r.deadLetter(j, 0, false)
			case <-ctx.Done():
				timer.Stop()
				return fmt.Errorf("dispatch finding %d of %d: %w", i+1, len(fs), ctx.Err())
			case <-d.quit:
				timer.Stop()
				return fmt.Errorf("dispatch finding %d of %d: %w", i+1, len(fs), ErrClosed)
			}
		}
	}
	return nil
}

// Close stops intake (later and blocked Dispatch calls fail with ErrClosed),
// lets every route drain its queue, closes the outputs and returns the
// counters. If ctx ends before the queues are drained, delivery is cut short:
// in-flight sends are cancelled and every finding not yet delivered is
// dead-lettered (counted as Abandoned), and the error reports ctx's. A second
// Close returns the counters and ErrClosed.
func (d *Dispatcher) Close(ctx context.Context) (Stats, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return d.Stats(), fmt.Errorf("close dispatcher: %w", ErrClosed)
	}
	d.closed = true
	close(d.quit)
	d.mu.Unlock()

	d.inflight.Wait() // no Dispatch can send on a queue after this
	for _, r := range d.routes {
		close(r.ch)
	}
	drained := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(drained)
	}()

	var errs []error
	select {
	case <-drained:
	case <-ctx.Done():
		select {
		case <-drained: // finished just in time
		default:
			d.log.Warn("Close deadline reached; dead-lettering undelivered findings", "err", ctx.Err())
			d.cancel()
			<-drained
			errs = append(errs, fmt.Errorf("close dispatcher: %w", ctx.Err()))
		}
	}
	d.cancel()
	for _, r := range d.routes {
		if err := r.out.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close output %s: %w", r.out.Name(), err))
		}
	}
	return d.Stats(), errors.Join(errs...)
}

// Stats returns a snapshot of the counters. It may be called at any time.
func (d *Dispatcher) Stats() Stats {
	s := Stats{Routes: make([]RouteStats, len(d.routes))}
	for i, r := range d.routes {
		s.Routes[i] = RouteStats{
			Output:           r.out.Name(),
			Sent:             r.sent.Load(),
			Retried:          r.retried.Load(),
			DeadLettered:     r.deadLettered.Load(),
			DeadLetterFailed: r.dlFailed.Load(),
			Abandoned:        r.abandoned.Load(),
			Spilled:          r.spilled.Load(),
		}
	}
	return s
}

func (d *Dispatcher) done(f *finding.Finding) {
	if d.opts.OnDone != nil {
		d.opts.OnDone(f)
	}
}

// backoff returns the jittered wait after the given failed attempt (1-based).
func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.opts.BackoffBase
	for i := 1; i < attempt && b < d.opts.BackoffCap; i++ {
		b *= 2
	}
	b = min(b, d.opts.BackoffCap)
	// Equal jitter: half fixed, half random, so that routes retrying together
	// spread out but never retry at once.
	return b/2 + rand.N(b/2+1)
}

// run delivers the route's queue until it is closed and empty. ctx is the
// Dispatcher's hard-stop context.
func (r *routeWorker) run(ctx context.Context) {
	for j := range r.ch {
		jobs := []job{j}
		if r.batch != nil {
			jobs = r.gather(jobs)
		}
		r.deliver(ctx, jobs)
	}
}

// gather adds what is already queued to jobs, up to MaxBatch.
func (r *routeWorker) gather(jobs []job) []job {
	for len(jobs) < r.d.opts.MaxBatch {
		select {
		case j, ok := <-r.ch:
			if !ok {
				return jobs
			}
			jobs = append(jobs, j)
		default:
			return jobs
		}
	}
	return jobs
}

// deliver tries jobs until each is accepted, dead-lettered or abandoned.
func (r *routeWorker) deliver(ctx context.Context, jobs []job) {
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			r.abandon(jobs, attempt-1)
			return
		}
		errs := r.send(ctx, jobs)
		var again []job
		var wait time.Duration
		for i, j := range jobs {
			err := errs[i]
			if err == nil {
				r.sent.Add(1)
				r.finish(j, true)
				continue
			}
			j.err = err
			if ctx.Err() == nil && (IsPermanent(err) || attempt >= r.maxAttempts) {
				r.deadLetter(j, attempt, false)
				continue
			}
			if w, ok := retryAfter(err); ok {
				wait = max(wait, w)
			}
			again = append(again, j)
		}
		if len(again) == 0 {
			return
		}
		jobs = again
		if ctx.Err() != nil {
			continue // abandoned at the top of the loop
		}
		delay := r.d.backoff(attempt)
		if wait > 0 {
			delay = min(wait, r.d.opts.MaxRetryAfter)
		}
		r.retried.Add(int64(len(jobs)))
		r.log.Warn("Output send failed; will retry",
			"finding_id", jobs[0].f.ID, "findings", len(jobs),
			"attempt", attempt, "max_attempts", r.maxAttempts, "wait", delay, "err", jobs[0].err)
		if err := r.d.opts.Sleep(ctx, delay); err != nil {
			r.abandon(jobs, attempt)
			return
		}
	}
}

// send makes one attempt at jobs and returns one error per job.
func (r *routeWorker) send(ctx context.Context, jobs []job) (errs []error) {
	errs = make([]error, len(jobs))
	defer func() {
		// A bug in one output must not take the process, and every other
		// output, down with it.
		if p := recover(); p != nil {
			err := Permanent(fmt.Errorf("output %s panicked: %v", r.out.Name(), p))
			for i := range errs {
				errs[i] = err
			}
		}
	}()
	if r.batch == nil {
		for i, j := range jobs {
			errs[i] = r.out.Send(ctx, j.f)
		}
		return errs
	}
	fs := make([]*finding.Finding, len(jobs))
	for i, j := range jobs {
		fs[i] = j.f
	}
	err := r.batch.SendBatch(ctx, fs)
	var be *BatchError
	switch {
	case err == nil:
	case errors.As(err, &be) && len(be.Errs) == len(jobs):
		copy(errs, be.Errs)
	default:
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// abandon dead-letters jobs cut short by a hard stop.
func (r *routeWorker) abandon(jobs []job, attempts int) {
	for _, j := range jobs {
		if j.err == nil {
			j.err = errors.New("not attempted before shutdown")
		}
		j.err = fmt.Errorf("abandoned at shutdown: %w", j.err)
		r.deadLetter(j, attempts, true)
	}
}

// deadLetter writes j to the dead-letter file; if that fails too, the
// finding is logged and left undelivered.
func (r *routeWorker) deadLetter(j job, attempts int, abandoned bool) {
	if abandoned {
		r.abandoned.Add(1)
	}
	var err error
	if r.d.dl == nil {
		err = errors.New("no dead-letter file configured")
	} else {
		// Not the hard-stop ctx: the dead letter is where abandoned findings
		// go, so the write must still happen after a hard stop. It is local.
		err = r.d.dl.Write(context.Background(), deadletter.Entry{
			Time:     r.d.opts.Now().UTC(),
			Kind:     deadletter.KindFinding,
			Output:   r.out.Name(),
			Error:    j.err.Error(),
			Attempts: attempts,
			Origin:   j.f.Origin,
			Finding:  j.f,
		})
	}
	if err != nil {
		r.dlFailed.Add(1)
		r.log.Error("Finding undelivered and not dead-lettered; it stays in the outbox",
			"finding_id", j.f.ID, "rule_id", j.f.RuleID, "attempts", attempts, "err", j.err, "dead_letter_err", err)
		r.finish(j, false)
		return
	}
	r.deadLettered.Add(1)
	r.log.Error("Finding dead-lettered",
		"finding_id", j.f.ID, "rule_id", j.f.RuleID, "attempts", attempts, "err", j.err)
	r.finish(j, true)
}

// finish records that this route is done with j.
func (r *routeWorker) finish(j job, ok bool) {
	if !ok {
		j.t.lost.Store(true)
	}
	if j.t.remaining.Add(-1) == 0 && !j.t.lost.Load() {
		r.d.done(j.f)
	}
}
