// Package engine evaluates the rules routed to each event and collects the
// findings. An Engine is shared; each goroutine evaluates through its own
// Worker, which owns the reusable evaluation state.
package engine

import (
	"context"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/route"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/rule/expr"
)

// Engine evaluates routed rules. It is safe for concurrent use through
// Workers.
type Engine struct {
	router *route.Router
	state  expr.StateReader
}

// Stats counts a Worker's work.
type Stats struct {
	Events      int64 // events evaluated
	Evaluations int64 // rule evaluations (routed rule × event)
	Findings    int64
	Errors      int64 // failed rule evaluations
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.Events += o.Events
	s.Evaluations += o.Evaluations
	s.Findings += o.Findings
	s.Errors += o.Errors
}

// New returns an Engine over rules.
func New(rules []rule.Rule) *Engine { return &Engine{router: route.New(rules)} }

// Router returns the engine's router.
func (e *Engine) Router() *route.Router { return e.router }

// Worker evaluates events for one goroutine.
type Worker struct {
	eng     *Engine
	scratch rule.Scratch
	// routes is this goroutine's copy of the routing answers: no locks and
	// no hashing of interface keys on the hot path.
	routes map[string]map[string][]rule.Rule
	cached int
	// Stats are this worker's counters; read them from the worker's goroutine
	// or after it is done.
	Stats Stats
}

// SetState binds, for the Workers made after it, the resource state store
// that rule expressions read (state.resource, state.resources).
func (e *Engine) SetState(r expr.StateReader) { e.state = r }

// NewWorker returns a Worker; it is not safe for concurrent use.
func (e *Engine) NewWorker() *Worker {
	w := &Worker{eng: e, routes: map[string]map[string][]rule.Rule{}}
	w.scratch.SetState(e.state)
	return w
}

// SetState binds the resource state store that rule expressions read
// through state.resource and state.resources (nil: none).
func (w *Worker) SetState(r expr.StateReader) { w.scratch.SetState(r) }

// maxWorkerRoutes bounds a worker's routing cache (distinct source/name pairs).
const maxWorkerRoutes = 1 << 14

func (w *Worker) route(source, name string) []rule.Rule {
	byName := w.routes[source]
	if rules, ok := byName[name]; ok {
		return rules
	}
	rules := w.eng.router.Route(source, name)
	if w.cached < maxWorkerRoutes {
		if byName == nil {
			byName = map[string][]rule.Rule{}
			w.routes[source] = byName
		}
		byName[name] = rules
		w.cached++
	}
	return rules
}

// Eval runs every rule subscribed to ev. Findings are appended to dst and
// returned; rule failures (a rule erroring on this event) are returned
// separately and do not stop the other rules.
func (w *Worker) Eval(ctx context.Context, ev *event.Event, dst []*finding.Finding) ([]*finding.Finding, []error) {
	w.Stats.Events++
	rules := w.route(ev.Source, ev.Name)
	if len(rules) == 0 {
		return dst, nil
	}
	w.Stats.Evaluations += int64(len(rules))
	w.scratch.Begin(ev)
	var errs []error
	n := len(dst)
	for _, r := range rules {
		fs, err := r.Eval(ctx, ev, &w.scratch)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dst = append(dst, fs...)
	}
	if len(errs) > 0 {
		w.Stats.Errors += int64(len(errs))
	}
	if k := len(dst) - n; k > 0 {
		w.Stats.Findings += int64(k)
	}
	return dst, errs
}
