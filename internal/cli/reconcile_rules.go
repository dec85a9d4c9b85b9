package cli

import (
	"context"
	"fmt"

	"github.com/trailwarden/trailwarden/internal/engine"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/state"
)

// changeRules hands the revisions reconciliation records to the rules as
// change events, as scan does for the revisions of CloudTrail events (see
// state.ChangeSource).
//
// It gathers the revisions while reconcile.Reconcile records them (add is
// its OnApplied) and evaluates them once every document is recorded: a
// snapshot shows one moment, so a rule that reads other resources
// (state.resources) sees all of it, whatever the order of the documents.
type changeRules struct {
	eng     *engine.Engine
	store   state.Store
	pending []appliedFrom
}

// appliedFrom is one revision and the snapshot document that made it.
type appliedFrom struct {
	source  string
	applied state.Applied
}

func newChangeRules(set *rule.Set, store state.Store) *changeRules {
	rules := make([]rule.Rule, len(set.Rules))
	for i, r := range set.Rules {
		rules[i] = r
	}
	return &changeRules{eng: engine.New(rules), store: store}
}

// add keeps the revisions of one Apply whose type a rule watches.
func (c *changeRules) add(_ context.Context, source string, applied []state.Applied) error {
	for _, a := range applied {
		if len(c.eng.Router().Route(state.ChangeSource, a.Resource.Type)) == 0 {
			continue // no rule watches this type: no change event to build
		}
		c.pending = append(c.pending, appliedFrom{source: source, applied: a})
	}
	return nil
}

// eval evaluates the change event of every revision kept, in the order
// they were recorded, with rules reading the store's current state. It
// returns the findings, each with the snapshot document as its origin, and
// the rules' errors (a rule failing on one event does not stop the others).
// It returns an error of its own only when a change event cannot be built.
func (c *changeRules) eval(ctx context.Context) ([]finding.Finding, []error, error) {
	w := c.eng.NewWorker()
	w.SetState(&state.Reader{Ctx: ctx, Store: c.store})
	p := event.NewParser()
	var out []*finding.Finding
	var ruleErrs []error
	for i := range c.pending {
		a := &c.pending[i].applied
		raw, err := state.ChangeRecord(a)
		if err != nil {
			return nil, nil, err
		}
		e, err := p.Parse(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("change event of %s: %w", a.Resource, err)
		}
		n := len(out)
		var errs []error
		out, errs = w.Eval(ctx, e, out)
		for _, f := range out[n:] {
			f.Origin = c.pending[i].source
		}
		for _, err := range errs {
			ruleErrs = append(ruleErrs, fmt.Errorf("rule error on the change of %s by %s: %w", a.Resource, a.After.Provenance.EventName, err))
		}
	}
	findings := make([]finding.Finding, len(out))
	for i, f := range out {
		findings[i] = *f
	}
	return findings, ruleErrs, nil
}
