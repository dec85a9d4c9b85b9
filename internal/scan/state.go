package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/engine"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reduce"
)

// stepOf is the pipeline's Steps function: the resource state step of an
// event with a reducer (failed calls included, for the timelines).
func stepOf(e *event.Event) (state.Step, bool, error) {
	if !reduce.Handles(e) {
		return state.Step{}, false, nil
	}
	st, err := reduce.Step(e)
	if err != nil {
		return state.Step{}, false, &stateError{err: err, eventID: strings.Clone(e.ID), record: append([]byte(nil), e.Raw...)}
	}
	return st, len(st.Changes) > 0 || len(st.Targets) > 0, nil
}

// stateError is an event whose state changes could not be read or applied,
// with a copy of its record for the dead-letter file.
type stateError struct {
	err     error
	eventID string
	record  []byte
}

func (e *stateError) Error() string { return e.err.Error() }
func (e *stateError) Unwrap() error { return e.err }

// keeper applies a scan's state steps and evaluates the change events of
// the revisions they make. It runs on the sink's goroutine.
type keeper struct {
	store state.Store
	eng   *engine.Engine
	w     *engine.Worker
	p     *event.Parser
}

func newKeeper(ctx context.Context, st state.Store, eng *engine.Engine) *keeper {
	w := eng.NewWorker()
	w.SetState(&state.Reader{Ctx: ctx, Store: st})
	return &keeper{store: st, eng: eng, w: w, p: event.NewParser()}
}

// state applies a batch's steps, then evaluates the change events of what
// they did; it returns the findings. Events whose steps cannot be read or
// applied are reported and dead-lettered, and the rest applied: a bad
// event never stops the state of the others.
func (s *sink) state(ctx context.Context, steps []state.Step, origins []string, problems []stateProblemAt) ([]*finding.Finding, error) {
	k := s.keeper
	for _, p := range problems {
		if err := s.stateProblem(ctx, p.origin, p.err); err != nil {
			return nil, err
		}
	}
	if len(steps) == 0 {
		return nil, nil
	}
	origin := origins[0]
	originOf := make(map[string]string, len(steps))
	for i := range steps {
		originOf[steps[i].Provenance.EventID] = origins[i]
	}
	applied, err := k.store.Apply(ctx, steps)
	if err != nil {
		if !errors.Is(err, state.ErrBadStep) {
			// the store's trouble (busy, full, gone), not the events': the
			// batch is not acknowledged and is read again next time
			return nil, fmt.Errorf("state of %s: %w", origin, err)
		}
		// One step spoils the batch: apply them one by one and quarantine
		// the ones that cannot be applied.
		applied = nil
		for i := range steps {
			a, err := k.store.Apply(ctx, steps[i:i+1])
			if err != nil {
				if !errors.Is(err, state.ErrBadStep) {
					return nil, fmt.Errorf("state of %s: %w", origins[i], err)
				}
				if err := s.stateProblem(ctx, origins[i], &stateError{err: err, eventID: steps[i].Provenance.EventID}); err != nil {
					return nil, err
				}
				continue
			}
			applied = append(applied, a...)
		}
	}
	s.sum.StateSteps += len(steps)
	s.sum.Revisions += len(applied)
	var out []*finding.Finding
	for i := range applied {
		a := &applied[i]
		if len(k.eng.Router().Route(state.ChangeSource, a.Resource.Type)) == 0 {
			continue // no rule watches this type: no change event to build
		}
		raw, err := state.ChangeRecord(a)
		if err != nil {
			return nil, err
		}
		e, err := k.p.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("change event of %s: %w", a.Resource, err)
		}
		n := len(out)
		var errs []error
		out, errs = k.w.Eval(ctx, e, out)
		for _, f := range out[n:] {
			f.Origin = originOf[a.After.Provenance.EventID]
		}
		for _, err := range errs {
			s.sum.RuleErrors++
			fmt.Fprintf(s.o.Errors, "rule error on the change of %s by event %s: %v\n", a.Resource, a.After.Provenance.EventID, err)
		}
	}
	return out, nil
}

// stateProblem reports an event whose state could not be kept: on the
// error stream, and in the dead-letter file with its record (a replay
// reads it again once the reducer is fixed).
func (s *sink) stateProblem(ctx context.Context, origin string, err error) error {
	s.sum.StateErrors++
	fmt.Fprintf(s.o.Errors, "%s: state: %v\n", origin, err)
	if s.o.DeadLetter == nil {
		return nil
	}
	e := deadletter.Entry{Time: time.Now().UTC(), Kind: deadletter.KindRecord, Error: "state: " + err.Error(), Origin: origin, Index: -1}
	var se *stateError
	if errors.As(err, &se) && len(se.record) > 0 {
		e.Record = se.record
	}
	if werr := s.o.DeadLetter.Write(ctx, e); werr != nil {
		return fmt.Errorf("dead-letter %s: %w", origin, werr)
	}
	return nil
}

// maxChecked bounds the resources of one type a sweep looks at.
const maxChecked = 100_000

// sweep evaluates, once every delivery is in, a check event (see
// state.ChangeCheck) of every live resource of each type a rule subscribes
// to by name, at the time of the newest event read: rules about time fire
// on them. It returns the findings.
func (s *sink) sweep(ctx context.Context) error {
	k := s.keeper
	if k == nil || s.newest.IsZero() {
		return nil
	}
	var out []*finding.Finding
	for _, typ := range changeTypes(k.eng) {
		list, err := k.store.List(ctx, state.Filter{Type: typ})
		if err != nil {
			return fmt.Errorf("state check of %s: %w", typ, err)
		}
		if len(list) > maxChecked {
			fmt.Fprintf(s.o.Errors, "state check of %s: %d resources, only the first %d checked\n", typ, len(list), maxChecked)
			list = list[:maxChecked]
		}
		for _, r := range list {
			rev, err := k.store.At(ctx, r.Resource, time.Time{})
			if err != nil {
				return fmt.Errorf("state check: %w", err)
			}
			raw, err := state.CheckRecord(r.Resource, rev, s.newest)
			if err != nil {
				return err
			}
			e, err := k.p.Parse(raw)
			if err != nil {
				return fmt.Errorf("check event of %s: %w", r.Resource, err)
			}
			n := len(out)
			var errs []error
			out, errs = k.w.Eval(ctx, e, out)
			for _, f := range out[n:] {
				f.Origin = "state check of " + r.Resource.Key()
			}
			for _, err := range errs {
				s.sum.RuleErrors++
				fmt.Fprintf(s.o.Errors, "rule error on the check of %s: %v\n", r.Resource, err)
			}
		}
	}
	s.sum.StateChecks += len(out)
	return s.findings(ctx, "state checks", out, 0)
}

// changeTypes returns the resource types rules subscribe to by name on the
// change stream, sorted.
func changeTypes(eng *engine.Engine) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range eng.Router().Rules() {
		m := r.Meta().Match
		if !slices.Contains(m.Sources, state.ChangeSource) {
			continue
		}
		for _, n := range m.Names {
			if !seen[n] && !strings.ContainsAny(n, "*?") {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}
