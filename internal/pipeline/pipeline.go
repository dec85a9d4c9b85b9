// Package pipeline wires the stages: source → decode → route/evaluate →
// sink. It is the only package that starts stage goroutines: one worker per
// core takes whole deliveries (a file decodes and evaluates on one core, in
// order), and one sink goroutine receives each delivery's result. Every
// channel is bounded and every send watches ctx, so a slow sink slows the
// workers instead of growing memory, and nothing is dropped.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/engine"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/source"
	"github.com/trailwarden/trailwarden/internal/state"
)

// Result is what one delivery produced.
type Result struct {
	Delivery *source.Delivery
	// Partial is set on the intermediate results of a large delivery: they
	// carry findings found so far (so memory stays bounded and findings flow
	// before the delivery ends); the last result of a delivery is not partial
	// and is the only one to carry Decode, Err and the acknowledgement.
	Partial bool
	// Skipped is set when Filter said the delivery needs no reading.
	Skipped bool
	// Findings raised by the delivery's events (the events are gone: each
	// finding carries its own copy of the record).
	Findings []*finding.Finding
	Decode   decode.Stats
	// Oldest and Newest are the earliest and latest eventTime among the
	// delivery's decoded events (zero when there were none): they tell which
	// span of time the delivery covers. Set on the last result only.
	Oldest, Newest time.Time
	// Steps are the resource state changes of the delivery's events (see
	// Config.Steps), in event order; StateErrors the events whose changes
	// could not be read (each names its event). Partial results carry the
	// steps found so far.
	Steps       []state.Step
	StateErrors []error
	// Err is a delivery-level failure: it could not be opened, or its payload
	// is unusable from some point on (records before it were processed).
	Err error
	// RuleErrors counts failed rule evaluations.
	RuleErrors int
}

// Sink receives results, one at a time, from a single goroutine, in
// completion order. It acknowledges a delivery by returning nil; an error
// stops the pipeline.
type Sink interface {
	Result(ctx context.Context, r *Result) error
}

// Quarantine receives rejected records, from any worker goroutine.
type Quarantine interface {
	Reject(ctx context.Context, err *decode.RecordError) error
}

// Config holds the stages.
type Config struct {
	Source     source.Source
	Engine     *engine.Engine
	Sink       Sink
	Quarantine Quarantine
	// Filter, when set, is asked before a delivery is read; true skips it
	// (e.g. a checkpoint says it was processed). Called from workers.
	Filter func(ctx context.Context, d *source.Delivery) (bool, error)
	// Steps, when set, is given every decoded event and returns the
	// resource state step it makes (ok false: it concerns no resource). The
	// step must not refer to the event's buffers. Called from workers.
	Steps func(e *event.Event) (st state.Step, ok bool, err error)
	// Workers defaults to GOMAXPROCS.
	Workers int
	Decode  decode.Options
	Logger  *slog.Logger
}

// Counters are live totals, safe to read while the pipeline runs.
type Counters struct {
	Bytes  atomic.Int64 // bytes read from deliveries (compressed, as stored)
	Events atomic.Int64
	Files  atomic.Int64 // deliveries finished
}

// Stats are the totals after Run.
type Stats struct {
	Engine engine.Stats
}

// Run drives the pipeline until the source is exhausted (io.EOF), ctx is
// done, or a stage fails. It returns once every goroutine it started has
// stopped.
func Run(ctx context.Context, cfg Config, c *Counters) (Stats, error) {
	if c == nil {
		c = &Counters{}
	}
	if cfg.Source == nil || cfg.Engine == nil || cfg.Sink == nil || cfg.Quarantine == nil {
		return Stats{}, errors.New("pipeline: source, engine, sink and quarantine are all required")
	}
	n := cfg.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	deliveries := make(chan *source.Delivery, n)
	results := make(chan *Result, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var stats Stats

	// Feeder.
	wg.Go(func() {
		defer close(deliveries)
		for {
			d, err := cfg.Source.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if ctx.Err() == nil {
					cancel(fmt.Errorf("source: %w", err))
				}
				return
			}
			select {
			case deliveries <- d:
			case <-ctx.Done():
				return
			}
		}
	})

	// Workers.
	var workers sync.WaitGroup
	for range n {
		workers.Go(func() {
			w := &worker{cfg: &cfg, dec: decode.New(cfg.Decode), eng: cfg.Engine.NewWorker(), c: c, log: log, results: results}
			for d := range deliveries {
				r := w.process(ctx, d)
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
			mu.Lock()
			stats.Engine.Add(w.eng.Stats)
			mu.Unlock()
		})
	}
	wg.Go(func() {
		workers.Wait()
		close(results)
	})

	// Sink, on this goroutine.
	var sinkErr error
	for r := range results {
		if sinkErr != nil {
			continue // drain so workers can stop
		}
		if err := cfg.Sink.Result(ctx, r); err != nil {
			sinkErr = fmt.Errorf("sink: %w", err)
			cancel(sinkErr)
		}
		if !r.Partial {
			c.Files.Add(1)
		}
	}
	wg.Wait()
	if sinkErr != nil {
		return stats, sinkErr
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return stats, cause
	}
	return stats, ctx.Err()
}

type worker struct {
	cfg     *Config
	dec     *decode.Decoder
	eng     *engine.Worker
	c       *Counters
	log     *slog.Logger
	res     *Result
	events  int64 // not yet added to c.Events
	results chan<- *Result
}

// maxHeldFindings is how many findings a worker holds before it hands them
// to the sink as a partial result.
const maxHeldFindings = 1000

// maxHeldSteps is how many state steps a worker holds before it hands them
// to the sink as a partial result.
const maxHeldSteps = 2000

func (w *worker) process(ctx context.Context, d *source.Delivery) *Result {
	r := &Result{Delivery: d}
	if w.cfg.Filter != nil {
		skip, err := w.cfg.Filter(ctx, d)
		if err != nil {
			r.Err = fmt.Errorf("%s: checkpoint: %w", d.Origin, err)
			return r
		}
		if skip {
			r.Skipped = true
			return r
		}
	}
	body, err := d.Open(ctx)
	if err != nil {
		r.Err = &decode.RecordError{Origin: d.Origin, Index: -1, Err: err}
		return r
	}
	defer body.Close()
	w.res = r
	r.Decode, err = w.dec.Decode(ctx, d.Origin, &countingReader{r: body, n: &w.c.Bytes}, w)
	if err != nil {
		r.Err = err
	}
	w.c.Events.Add(w.events)
	w.events = 0
	return r
}

// Event implements decode.Handler: evaluate, keep the findings.
func (w *worker) Event(ctx context.Context, e *event.Event) error {
	w.events++
	if r := w.res; !e.Time.IsZero() {
		if r.Oldest.IsZero() || e.Time.Before(r.Oldest) {
			r.Oldest = e.Time
		}
		if e.Time.After(r.Newest) {
			r.Newest = e.Time
		}
	}
	if w.events == 4096 {
		w.c.Events.Add(w.events)
		w.events = 0
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	var errs []error
	n := len(w.res.Findings)
	w.res.Findings, errs = w.eng.Eval(ctx, e, w.res.Findings)
	for _, err := range errs {
		w.res.RuleErrors++
		w.log.Warn("rule evaluation failed", "origin", w.res.Delivery.Origin, "err", err)
	}
	for _, f := range w.res.Findings[n:] {
		f.Origin = w.res.Delivery.Origin
	}
	if w.cfg.Steps != nil {
		st, ok, err := w.cfg.Steps(e)
		switch {
		case err != nil:
			w.res.StateErrors = append(w.res.StateErrors, err)
		case ok:
			w.res.Steps = append(w.res.Steps, st)
		}
	}
	if len(w.res.Findings) >= maxHeldFindings || len(w.res.Steps) >= maxHeldSteps {
		part := &Result{Delivery: w.res.Delivery, Partial: true, Findings: w.res.Findings, RuleErrors: w.res.RuleErrors,
			Steps: w.res.Steps, StateErrors: w.res.StateErrors}
		w.res.Findings, w.res.RuleErrors, w.res.Steps, w.res.StateErrors = nil, 0, nil, nil
		select {
		case w.results <- part:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Reject implements decode.Handler: hand the record to quarantine.
func (w *worker) Reject(ctx context.Context, err *decode.RecordError) error {
	return w.cfg.Quarantine.Reject(ctx, err)
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
