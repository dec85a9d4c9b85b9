// Package scan is trailwarden's batch job: read CloudTrail logs from files,
// folders or stdin, evaluate every routed rule, store the findings with an
// outbox, deliver new ones to the outputs, checkpoint what was read, record
// the delivery coverage of each account × region and report its new
// silences, and summarise.
package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/engine"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/pipeline"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/source"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/store"
)

// Store is what a scan needs from the embedded store.
type Store interface {
	AddFindings(ctx context.Context, fs []*finding.Finding) ([]*finding.Finding, error)
	MarkDelivered(ctx context.Context, ids []string) error
	Pending(ctx context.Context, limit int) ([]*finding.Finding, error)
	Done(ctx context.Context, origin string, s store.Stamp) (bool, error)
	Checkpoint(ctx context.Context, origin string, s store.Stamp, events int) error
	// Acknowledge checkpoints deliveries and records their coverage, in
	// one transaction.
	Acknowledge(ctx context.Context, acks []store.Ack) error
}

var _ Store = (*store.SQLite)(nil)

// Options configure a scan.
type Options struct {
	Paths []string
	Stdin io.Reader
	Rules *rule.Set
	// Routes are the outputs; MinSeverity raises every route's floor.
	Routes      []output.Route
	MinSeverity finding.Severity
	Store       Store
	// State, when set, keeps the state of resources from the events read:
	// each delivery's steps are applied before it is checkpointed, and the
	// change events of the revisions they make are evaluated by the rules.
	State      state.Store
	DeadLetter *deadletter.File
	// Rescan reads files even when a checkpoint says they were read.
	Rescan bool
	// Remote are buckets (or prefixes) read besides Paths.
	Remote []Remote
	// PublicKeys, when set, turns on log file integrity validation: after
	// the scan, the digest chains of every scanned trail (a folder holding
	// AWSLogs/) are verified and each problem and gap becomes a finding.
	PublicKeys *integrity.KeySet
	// SilentAfter is how long an account × region may go without events
	// before the silence is a finding (0: coverage.DefaultSilentAfter).
	// Silences are looked for when Store is a CoverageStore, in the accounts
	// the scan read log files of.
	SilentAfter time.Duration
	Workers     int
	// Errors receives one line per input problem (stderr).
	Errors io.Writer
	// Progress, when set, is called about twice a second with live totals.
	Progress func(p Progress)
	Logger   *slog.Logger
	Dispatch output.DispatchOptions
}

// Progress is a live snapshot.
type Progress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
	Events            int64
	Elapsed           time.Duration
}

// Summary is what a scan did.
type Summary struct {
	Files, Skipped, Digests, Ignored int
	Events, Rejected                 int
	InputErrors                      int // rejected records + unreadable deliveries
	RuleErrors                       int
	Findings                         map[finding.Severity]int // distinct findings detected in this run
	NewFindings                      int                      // not seen by an earlier run
	Redelivered                      int                      // outbox entries of an earlier run delivered now
	Output                           output.Stats
	Duration                         time.Duration
	Engine                           engine.Stats
	MaxSeverity                      finding.Severity
	AnyFinding                       bool
	// Silences counts the delivery silences found (each is also a finding,
	// counted in Findings); NewSilences those not reported by an earlier run.
	Silences, NewSilences int
	// StateSteps counts the events applied to the resource state (State),
	// Revisions the revisions they made, StateErrors the events whose
	// changes could not be read or applied (reported and dead-lettered).
	StateSteps, Revisions, StateErrors int
	// StateChecks counts the findings of the checks of live resources
	// made once every delivery is in (rules about time).
	StateChecks int
	// Integrity holds the verification of each scanned trail (PublicKeys).
	Integrity []IntegrityResult
}

// maxRedeliver bounds the outbox entries one run redelivers; the rest wait
// for the next run.
const maxRedeliver = 100_000

// Run scans. It returns an error only when the scan itself cannot go on
// (store, dispatcher, context); input problems are counted in the summary.
func Run(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Errors == nil {
		o.Errors = io.Discard
	}
	// Workers (rejects) and the sink (unreadable files) both report.
	o.Errors = &lockedWriter{w: o.Errors}
	local, err := source.NewFiles(o.Paths, o.Stdin)
	if err != nil {
		return nil, err
	}
	files := &multiSource{srcs: []listedSource{local}, ignored: local.Ignored}
	for _, r := range o.Remote {
		objs, err := source.NewObjects(ctx, r.Objects, r.Base, r.Prefix)
		if err != nil {
			return nil, err
		}
		files.srcs = append(files.srcs, objs)
		files.ignored = append(files.ignored, objs.Ignored...)
	}
	sum := &Summary{Findings: map[finding.Severity]int{}, Ignored: len(files.ignored)}
	for _, p := range files.ignored {
		fmt.Fprintf(o.Errors, "%s: ignored: not a CloudTrail data file (by name)\n", p)
	}

	routes := make([]output.Route, len(o.Routes))
	copy(routes, o.Routes)
	for i := range routes {
		routes[i].MinSeverity = max(routes[i].MinSeverity, o.MinSeverity)
	}
	var delivered []string
	var dmu sync.Mutex
	dopts := o.Dispatch
	dopts.OnDone = func(f *finding.Finding) {
		dmu.Lock()
		delivered = append(delivered, f.ID)
		dmu.Unlock()
	}
	disp := output.NewDispatcher(routes, o.DeadLetter, log, dopts)
	flushDelivered := func(ctx context.Context) error {
		dmu.Lock()
		ids := delivered
		delivered = nil
		dmu.Unlock()
		if len(ids) == 0 {
			return nil
		}
		return o.Store.MarkDelivered(ctx, ids)
	}

	// Findings an earlier run stored but did not finish delivering (it
	// stopped or crashed): deliver them first. They stay in the outbox until
	// every output has them or dead-lettered them.
	pend, err := o.Store.Pending(ctx, maxRedeliver)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	if len(pend) > 0 {
		if err := disp.Dispatch(ctx, pend); err != nil {
			return nil, fmt.Errorf("redeliver outbox: %w", err)
		}
		sum.Redelivered = len(pend)
	}

	q := &quarantine{w: o.Errors, dl: o.DeadLetter, log: log}
	sk := &sink{o: &o, sum: sum, disp: disp, flush: flushDelivered, ruleset: o.Rules.Fingerprint, seen: map[string]bool{}, accounts: map[string]bool{}}
	sk.cov, _ = o.Store.(CoverageStore)
	rules := make([]rule.Rule, len(o.Rules.Rules))
	for i, r := range o.Rules.Rules {
		rules[i] = r
	}
	eng := engine.New(rules)
	var steps func(*event.Event) (state.Step, bool, error)
	if o.State != nil {
		eng.SetState(&state.Reader{Ctx: ctx, Store: o.State})
		sk.keeper = newKeeper(ctx, o.State, eng)
		steps = stepOf
	}
	var counters pipeline.Counters
	stopProgress := startProgress(ctx, o.Progress, &counters, files, start)
	pstats, runErr := pipeline.Run(ctx, pipeline.Config{
		Source:     files,
		Engine:     eng,
		Steps:      steps,
		Sink:       sk,
		Quarantine: q,
		Filter:     sk.filter,
		Workers:    o.Workers,
		Logger:     log,
	}, &counters)
	stopProgress()
	if runErr == nil {
		runErr = sk.flushBatch(ctx)
	}
	if runErr == nil {
		runErr = sk.sweep(ctx)
	}
	if runErr == nil && sk.cov != nil {
		// Every file is in: look for silences in the accounts read.
		runErr = sk.silences(ctx)
	}
	if runErr == nil && o.PublicKeys != nil {
		runErr = sk.verifyIntegrity(ctx)
	}

	// Stop intake of the outputs and wait for deliveries, even after an error:
	// what was stored is in the outbox either way.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	ostats, closeErr := disp.Close(closeCtx)
	if err := flushDelivered(closeCtx); err != nil {
		closeErr = errors.Join(closeErr, fmt.Errorf("outbox: %w", err))
	}
	sum.Output = ostats
	sum.Engine = pstats.Engine
	sum.Rejected = q.count()
	sum.InputErrors += sum.Rejected
	sum.Duration = time.Since(start)
	if runErr != nil {
		return sum, runErr
	}
	if closeErr != nil {
		return sum, fmt.Errorf("outputs: %w", closeErr)
	}
	return sum, nil
}

// startProgress reports progress until the returned stop is called.
func startProgress(ctx context.Context, fn func(Progress), c *pipeline.Counters, files *multiSource, start time.Time) func() {
	if fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	snap := func() Progress {
		return Progress{Files: int(c.Files.Load()), TotalFiles: files.Len(), Bytes: c.Bytes.Load(), TotalBytes: files.totalBytes(), Events: c.Events.Load(), Elapsed: time.Since(start)}
	}
	wg.Go(func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fn(snap())
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		fn(snap())
	}
}

// sink stores, dispatches and checkpoints each delivery's result.
type sink struct {
	o       *Options
	sum     *Summary
	disp    *output.Dispatcher
	flush   func(context.Context) error
	ruleset string
	seen    map[string]bool // finding ids detected in this run
	// tampering lists the trail-tampering findings of this run, to link the
	// digest-chain gaps they explain.
	tampering []tamperNote
	// cov is o.Store when it keeps coverage; accounts are those whose
	// coverage this run recorded.
	cov      CoverageStore
	accounts map[string]bool
	keeper   *keeper   // nil without State
	newest   time.Time // the newest event read, for state checks
	batch    batch
}

func stamp(d *source.Delivery, ruleset string) store.Stamp {
	return store.Stamp{Size: d.Size, ModTime: d.ModTime, Ruleset: ruleset}
}

// filter skips digests, insights and files already read with these rules.
func (s *sink) filter(ctx context.Context, d *source.Delivery) (bool, error) {
	if d.Kind != source.LogFile {
		return true, nil
	}
	if s.o.Rescan || d.Key == "" || d.ModTime.IsZero() {
		return false, nil
	}
	return s.o.Store.Done(ctx, d.Key, stamp(d, s.ruleset))
}

// Results are acknowledged in batches: the findings of several deliveries
// are stored in one transaction, their state steps applied in one, and
// their checkpoints and coverage recorded in one, in that order, so that a
// delivery is checkpointed only once its findings are in the outbox and its
// state is kept. A batch is flushed when it holds batchDeliveries
// deliveries, batchFindings findings or batchSteps steps, when batchAge has
// passed since its first result, and when the pipeline ends.
const (
	batchDeliveries = 128
	batchFindings   = 1000
	batchSteps      = 5000
	batchAge        = time.Second
)

// batch is what the sink holds until the next flush.
type batch struct {
	findings    []*finding.Finding
	ruleErrors  int
	steps       []state.Step
	stepOrigins []string // the delivery of each step
	stateErrors []stateProblemAt
	acks        []store.Ack
	deliveries  int
	origin      string // of the first result, for error messages
	since       time.Time
}

// stateProblemAt is a state error and the delivery it came from.
type stateProblemAt struct {
	origin string
	err    error
}

func (b *batch) empty() bool {
	return len(b.findings) == 0 && len(b.steps) == 0 && len(b.stateErrors) == 0 && len(b.acks) == 0 && b.ruleErrors == 0
}

func (b *batch) add(r *pipeline.Result) {
	if b.empty() && b.deliveries == 0 {
		b.since, b.origin = time.Now(), r.Delivery.Origin
	}
	b.findings = append(b.findings, r.Findings...)
	b.ruleErrors += r.RuleErrors
	b.steps = append(b.steps, r.Steps...)
	for range r.Steps {
		b.stepOrigins = append(b.stepOrigins, r.Delivery.Origin)
	}
	for _, err := range r.StateErrors {
		b.stateErrors = append(b.stateErrors, stateProblemAt{r.Delivery.Origin, err})
	}
}

func (b *batch) full() bool {
	return b.deliveries >= batchDeliveries || len(b.findings) >= batchFindings || len(b.steps) >= batchSteps ||
		(!b.since.IsZero() && time.Since(b.since) >= batchAge)
}

func (s *sink) Result(ctx context.Context, r *pipeline.Result) error {
	sum := s.sum
	d := r.Delivery
	b := &s.batch
	if r.Partial {
		b.add(r)
		if b.full() {
			return s.flushBatch(ctx)
		}
		return nil
	}
	if r.Skipped {
		if d.Kind == source.LogFile {
			sum.Skipped++
		} else {
			sum.Digests++
		}
		return nil
	}
	sum.Files++
	sum.Events += r.Decode.Events
	if r.Err != nil {
		sum.InputErrors++
		fmt.Fprintf(s.o.Errors, "error: %v\n", r.Err)
		if s.o.DeadLetter != nil {
			e := deadletter.Entry{Time: time.Now().UTC(), Kind: deadletter.KindRecord, Error: r.Err.Error(), Origin: d.Origin, Index: -1}
			var re *decode.RecordError
			if errors.As(r.Err, &re) {
				e.Index, e.Offset = re.Index, re.Offset
			}
			if err := s.o.DeadLetter.Write(ctx, e); err != nil {
				return fmt.Errorf("dead-letter %s: %w", d.Origin, err)
			}
		}
	}
	b.add(r)
	b.deliveries++
	if r.Newest.After(s.newest) {
		s.newest = r.Newest
	}
	// A delivery is acknowledged once its findings are stored (the outbox
	// guarantees their delivery) and its state kept. One with a
	// delivery-level error is not checkpointed: the next run reads it again
	// and reports the problem again.
	ack := store.Ack{Origin: d.Key, Stamp: stamp(d, s.ruleset), Events: r.Decode.Events,
		NoCheckpoint: r.Err != nil || d.Key == "" || d.ModTime.IsZero()}
	if fc, ok := coverageOf(d, r.Decode.Events, r.Oldest, r.Newest, r.Err != nil); ok && s.cov != nil {
		ack.Coverage = &fc
		s.accounts[fc.Account] = true
	}
	if !ack.NoCheckpoint || ack.Coverage != nil {
		b.acks = append(b.acks, ack)
	}
	if b.full() {
		return s.flushBatch(ctx)
	}
	return nil
}

// flushBatch stores and dispatches the batch's findings, keeps its state,
// then acknowledges its deliveries.
func (s *sink) flushBatch(ctx context.Context) error {
	b := s.batch
	s.batch = batch{}
	if b.empty() {
		return nil
	}
	if err := s.findings(ctx, b.origin, b.findings, b.ruleErrors); err != nil {
		return err
	}
	if s.keeper != nil {
		fs, err := s.state(ctx, b.steps, b.stepOrigins, b.stateErrors)
		if err != nil {
			return err
		}
		if err := s.findings(ctx, b.origin, fs, 0); err != nil {
			// Their revisions are committed: reading the files again would
			// not make these findings again. Keep them for a replay.
			return errors.Join(err, s.keepFindings(fs, err))
		}
	}
	if err := s.o.Store.Acknowledge(ctx, b.acks); err != nil {
		return err // the store names the origin
	}
	return nil
}

// keepFindings writes findings that could not be stored or dispatched to
// the dead-letter file (deadletter replay sends them), or, without one, to
// the error stream as JSON Lines: they are never dropped.
func (s *sink) keepFindings(fs []*finding.Finding, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, f := range fs {
		if s.o.DeadLetter == nil {
			line, err := f.AppendJSONLine(nil)
			if err == nil {
				_, err = s.o.Errors.Write(line)
			}
			errs = append(errs, err)
			continue
		}
		errs = append(errs, s.o.DeadLetter.Write(ctx, deadletter.Entry{Time: time.Now().UTC(), Kind: deadletter.KindFinding,
			Error: "not stored: " + cause.Error(), Origin: f.Origin, Index: -1, Finding: f}))
	}
	if len(fs) > 0 {
		fmt.Fprintf(s.o.Errors, "%d findings of resource changes kept in the dead-letter file: %v\n", len(fs), cause)
	}
	return errors.Join(errs...)
}

// findings counts, stores and dispatches findings; origin names the first
// delivery they come from, for error messages.
func (s *sink) findings(ctx context.Context, origin string, fs []*finding.Finding, ruleErrors int) error {
	s.sum.RuleErrors += ruleErrors
	s.count(fs)
	if len(fs) > 0 {
		fresh, err := s.o.Store.AddFindings(ctx, fs)
		if err != nil {
			return fmt.Errorf("store findings of %s: %w", origin, err)
		}
		s.sum.NewFindings += len(fresh)
		if err := s.disp.Dispatch(ctx, fresh); err != nil {
			return fmt.Errorf("dispatch findings of %s: %w", origin, err)
		}
	}
	return s.flush(ctx)
}

// count counts the findings of fs not counted yet.
func (s *sink) count(fs []*finding.Finding) {
	sum := s.sum
	for _, f := range fs {
		if s.seen[f.ID] {
			continue // one finding per dedup key, however many events share it
		}
		s.seen[f.ID] = true
		if trailTampering[f.RuleID] {
			s.tampering = append(s.tampering, tamperNote{id: f.ID, account: f.Account, at: f.EventTime})
		}
		sum.Findings[f.Severity]++
		if !sum.AnyFinding || f.Severity > sum.MaxSeverity {
			sum.MaxSeverity = f.Severity
		}
		sum.AnyFinding = true
	}
}

// silences reports, once every file is read, the silences of the accounts
// read, as findings: all counted, the new ones dispatched.
func (s *sink) silences(ctx context.Context) error {
	all, fresh, err := silences(ctx, s.cov, s.accounts, s.o.SilentAfter, time.Now())
	if err != nil {
		return fmt.Errorf("delivery coverage: %w", err)
	}
	s.count(all)
	s.sum.Silences += len(all)
	s.sum.NewSilences += len(fresh)
	s.sum.NewFindings += len(fresh)
	if err := s.disp.Dispatch(ctx, fresh); err != nil {
		return fmt.Errorf("dispatch silence findings: %w", err)
	}
	return s.flush(ctx)
}

// quarantine reports each rejected record on the error stream and keeps it
// in the dead-letter file.
type quarantine struct {
	mu  sync.Mutex
	w   io.Writer
	dl  *deadletter.File
	log *slog.Logger
	n   int
}

func (q *quarantine) Reject(ctx context.Context, err *decode.RecordError) error {
	q.mu.Lock()
	q.n++
	fmt.Fprintf(q.w, "rejected: %v\n", err)
	q.mu.Unlock()
	if q.dl == nil {
		return nil
	}
	e := deadletter.Entry{Time: time.Now().UTC(), Kind: deadletter.KindRecord, Error: err.Error(), Origin: err.Origin,
		Index: err.Index, Offset: err.Offset}
	switch {
	case len(err.Record) > 0 && json.Valid(err.Record):
		e.Record = err.Record
	case len(err.Record) > 0:
		e.RecordBytes = err.Record
	case err.Excerpt != "":
		e.Record, _ = jsonString(err.Excerpt) // only the start is known
	}
	if werr := q.dl.Write(ctx, e); werr != nil {
		q.log.Error("dead-letter write failed", "origin", err.Origin, "err", werr)
		return fmt.Errorf("quarantine: %w", werr)
	}
	return nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (q *quarantine) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Remote is a bucket to scan: every object under Prefix.
type Remote struct {
	// Base names the bucket in origins and checkpoints: "s3://bucket".
	Base string
	// Prefix is the key prefix to read ("" or "org/" ...).
	Prefix string
	// Bucket is the bucket's name, as digests record it.
	Bucket  string
	Objects integrity.Objects
}

// listedSource is a finite source that knows its size up front.
type listedSource interface {
	source.Source
	Len() int
}

// multiSource reads its sources one after the other.
type multiSource struct {
	srcs    []listedSource
	cur     int
	ignored []string
}

var _ source.Source = (*multiSource)(nil)

func (m *multiSource) Next(ctx context.Context) (*source.Delivery, error) {
	for m.cur < len(m.srcs) {
		d, err := m.srcs[m.cur].Next(ctx)
		if errors.Is(err, io.EOF) {
			m.cur++
			continue
		}
		return d, err
	}
	return nil, io.EOF
}

func (m *multiSource) Close(ctx context.Context) error {
	var errs []error
	for _, s := range m.srcs {
		errs = append(errs, s.Close(ctx))
	}
	return errors.Join(errs...)
}

func (m *multiSource) Len() int {
	n := 0
	for _, s := range m.srcs {
		n += s.Len()
	}
	return n
}

func (m *multiSource) totalBytes() int64 {
	var n int64
	for _, s := range m.srcs {
		switch x := s.(type) {
		case *source.Files:
			n += x.TotalBytes
		case *source.Objects:
			n += x.TotalBytes
		}
	}
	return n
}
