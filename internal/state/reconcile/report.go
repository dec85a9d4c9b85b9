package reconcile

import (
	"context"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// Options tune Reconcile. Start from DefaultOptions: the zero value
// reports drift as info.
type Options struct {
	// DriftSeverity is the severity of drift findings.
	DriftSeverity finding.Severity
	// DryRun computes the report without recording anything.
	DryRun bool
	// Partial says the snapshot's listings may be incomplete (made with
	// filters): nothing is marked deleted.
	Partial bool
	// Now returns the detection time of findings; nil means time.Now.
	Now func() time.Time
	// OnApplied, when set, receives what each Store.Apply did (one Apply
	// per document, source naming it) as soon as it returns, so that the
	// new revisions can be handed to rules as change events. It is called
	// only for an Apply that made revisions (none in a dry run, none for a
	// snapshot reconciled before). An error stops Reconcile, which returns
	// it: the steps of the documents not yet applied are not recorded.
	OnApplied func(ctx context.Context, source string, applied []state.Applied) error
}

// DefaultOptions reports drift as medium and records the steps.
func DefaultOptions() Options { return Options{DriftSeverity: finding.Medium} }

// Field is one covered key that differed.
type Field struct {
	Key    string `json:"key"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	// Drift is false for a refresh (an id learnt, an AWS default, an
	// instance that finished starting).
	Drift bool `json:"drift"`
}

// Result is the outcome for one resource.
type Result struct {
	Resource state.ResourceID `json:"resource"`
	Outcome  Outcome          `json:"outcome"`
	Fields   []Field          `json:"fields,omitempty"`
	EventID  string           `json:"event_id,omitempty"` // of the step recorded
	Source   string           `json:"source"`
	TakenAt  time.Time        `json:"taken_at"`
}

// Counts are the number of resources per outcome.
type Counts struct {
	Discovered        int `json:"discovered"`
	Drift             int `json:"drift"`
	Refreshed         int `json:"refreshed"`
	DeletedUnobserved int `json:"deleted_unobserved"`
	Unchanged         int `json:"unchanged"`
}

// DocumentError is a document reconciliation could not read; the others
// were reconciled.
type DocumentError struct {
	Source string        `json:"source"`
	Kind   snapshot.Kind `json:"kind"`
	Error  string        `json:"error"`
}

// Report is what Reconcile found and did.
type Report struct {
	DryRun    bool              `json:"dry_run"`
	Documents int               `json:"documents"`
	Steps     int               `json:"steps"`     // recorded (or, in a dry run, that would be)
	Revisions int               `json:"revisions"` // the recorded steps made (none for steps recorded before)
	Counts    Counts            `json:"counts"`
	Resources []Result          `json:"resources"`
	Findings  []finding.Finding `json:"findings"`
	// RuleFindings are the findings of rules on the change events of the
	// revisions recorded (see Options.OnApplied), next to the findings of
	// reconciliation itself. Reconcile leaves it empty: the caller that
	// evaluates rules fills it.
	RuleFindings []finding.Finding `json:"rule_findings"`
	// RuleErrors are the errors of rules on those change events.
	RuleErrors []string        `json:"rule_errors,omitempty"`
	Errors     []DocumentError `json:"errors,omitempty"`
	// Skipped lists the documents of kinds not reconciled yet.
	Skipped []DocumentError `json:"skipped,omitempty"`
}

// add counts r, lists it and makes its finding.
func (rep *Report) add(r Result, opts Options) {
	switch r.Outcome {
	case Discovered:
		rep.Counts.Discovered++
	case Drift:
		rep.Counts.Drift++
	case Refreshed:
		rep.Counts.Refreshed++
	case DeletedUnobserved:
		rep.Counts.DeletedUnobserved++
	case Unchanged:
		rep.Counts.Unchanged++
	}
	rep.Resources = append(rep.Resources, r)
	if f, ok := newFinding(r, opts); ok {
		rep.Findings = append(rep.Findings, f)
	}
}
