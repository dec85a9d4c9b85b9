package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// The rule ids of reconciliation findings.
const (
	RuleDrift             = "state-drift"
	RuleDeletedUnobserved = "state-deleted-unobserved"
	RuleDiscovered        = "state-discovered"
)

// newFinding makes the finding of one result: drift (opts.DriftSeverity),
// deleted-unobserved (low) and discovered (info). Refreshed and unchanged
// resources make none. The id is finding.ID(rule id, step event id), so
// reconciling the same snapshot twice gives the same finding.
func newFinding(r Result, opts Options) (finding.Finding, bool) {
	var rule, title, summary, event string
	var sev finding.Severity
	where := fmt.Sprintf("%s %s (%s/%s)", r.Resource.Type, r.Resource.ID, r.Resource.Account, r.Resource.Region)
	at := r.TakenAt.UTC().Format(time.RFC3339)
	switch r.Outcome {
	case Drift:
		rule, sev, event = RuleDrift, opts.DriftSeverity, EventDrift
		title = "Resource changed without a CloudTrail event"
		var keys []string
		for _, f := range r.Fields {
			if f.Drift {
				keys = append(keys, f.Key)
			}
		}
		summary = fmt.Sprintf("%s differs from its event-derived state in %s (snapshot %s at %s)", where, strings.Join(keys, ", "), r.Source, at)
	case DeletedUnobserved:
		rule, sev, event = RuleDeletedUnobserved, finding.Low, EventDeletedUnobserved
		title = "Resource gone without a CloudTrail event"
		summary = fmt.Sprintf("%s is live in the event-derived state but absent from snapshot %s at %s", where, r.Source, at)
	case Discovered:
		rule, sev, event = RuleDiscovered, finding.Info, EventDiscovered
		title = "Resource unknown to the event-derived state"
		summary = fmt.Sprintf("%s appears in snapshot %s at %s but in no CloudTrail event seen", where, r.Source, at)
	default:
		return finding.Finding{}, false
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	res := r.Resource.ARN
	if res == "" {
		res = r.Resource.Key()
	}
	return finding.Finding{
		ID:          finding.ID(rule, r.EventID),
		RuleID:      rule,
		RuleTitle:   title,
		Severity:    sev,
		Tags:        []string{"state", "reconcile"},
		EventID:     r.EventID,
		EventName:   event,
		EventSource: EventSource,
		EventTime:   r.TakenAt.UTC(),
		DetectedAt:  now().UTC(),
		Account:     r.Resource.Account,
		Region:      r.Resource.Region,
		Actor:       finding.Actor{Type: "trailwarden", UserName: Actor},
		Resources:   []string{res},
		Summary:     summary,
		Origin:      r.Source,
	}, true
}
