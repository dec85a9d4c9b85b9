package rule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cel.dev/cel-go/common/types/ref"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule/expr"
)

// CELRule is a rule declared in YAML with a CEL condition.
type CELRule struct {
	meta Meta
	// defaults are the parameters the rule declares; params are those in
	// force (defaults with the config's overrides).
	defaults  map[string]any
	params    map[string]any
	paramsVal ref.Val
	cond      *expr.Program  // nil: always true
	prefilter expr.Prefilter // derived from cond with the rule's own params; nil when none
	dedup     *expr.Program
	resources *expr.Program
	summary   []summaryPart
	tests     []TestCase
	// Now returns detection time; tests fix it.
	now func() time.Time
	// verified: its tests ran when the binary was built.
	verified bool
}

var _ Rule = (*CELRule)(nil)

type summaryPart struct {
	text string
	prg  *expr.Program // nil for literal text
}

// Meta implements Rule.
func (r *CELRule) Meta() *Meta { return &r.meta }

// Params returns the rule's effective parameters (after overrides).
func (r *CELRule) Params() map[string]any { return r.params }

// Tests returns the rule's inline test cases.
func (r *CELRule) Tests() []TestCase { return r.tests }

// EvalError is a rule that could not be evaluated on an event (not a
// non-match: the expression failed, e.g. it hit the cost limit).
type EvalError struct {
	RuleID  string
	EventID string
	Err     error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("rule %s on event %s: %v", e.RuleID, e.EventID, e.Err)
}

// Unwrap returns the cause.
func (e *EvalError) Unwrap() error { return e.Err }

// Eval implements Rule.
func (r *CELRule) Eval(_ context.Context, e *event.Event, s *Scratch) ([]*finding.Finding, error) {
	ok, err := r.matchEvent(e, s, r.paramsVal)
	if !ok || err != nil {
		return nil, err
	}
	id := r.findingID(e, s)
	if r.dedup != nil && s.emitted(id) {
		return nil, nil // reported already under this dedup key
	}
	f, err := r.build(e, s, id)
	if err != nil {
		return nil, err
	}
	return []*finding.Finding{f}, nil
}

// findingID returns the deterministic finding id: rule + dedup key, or rule +
// event id.
func (r *CELRule) findingID(e *event.Event, s *Scratch) string {
	key := e.ID
	if r.dedup != nil {
		k, err := r.dedup.EvalString(&s.act)
		if err == nil && k != "" {
			key = "dedup:" + k
		}
	}
	return finding.ID(r.meta.ID, key)
}

// matchEvent applies outcome and condition (routing is the router's job).
func (r *CELRule) matchEvent(e *event.Event, s *Scratch, params ref.Val) (bool, error) {
	if !r.meta.Outcome.Accepts(e) {
		return false, nil
	}
	if r.meta.Match.WritesOnly {
		if ro, known := e.ReadOnly(); known && ro {
			return false, nil
		}
	}
	if c := r.meta.Match.Contains; len(c) > 0 && !containsAny(e.Raw, c) {
		return false, nil
	}
	if r.prefilter != nil && params == r.paramsVal && !r.prefilter(e) {
		return false, nil
	}
	if ids := r.meta.Match.IdentityTypes; len(ids) > 0 && !anyGlob(ids, s.identityType()) {
		return false, nil
	}
	s.act.SetParams(params)
	if r.cond == nil {
		return true, nil
	}
	ok, err := r.cond.EvalBool(&s.act)
	if err != nil {
		if errors.Is(err, expr.ErrNoData) {
			return false, nil
		}
		return false, &EvalError{RuleID: r.meta.ID, EventID: strings.Clone(e.ID), Err: err}
	}
	return ok, nil
}

// build makes the finding for a matched event; s is bound to e.
func (r *CELRule) build(e *event.Event, s *Scratch, id string) (*finding.Finding, error) {
	f := &finding.Finding{
		ID:          id,
		RuleID:      r.meta.ID,
		RuleTitle:   r.meta.Title,
		Severity:    r.meta.Severity,
		Tags:        r.meta.Tags,
		EventID:     strings.Clone(e.ID),
		EventName:   e.Name,
		EventSource: e.Source,
		EventTime:   e.Time,
		DetectedAt:  r.now().UTC(),
		Account:     e.Account,
		Region:      e.Region,
		SourceIP:    e.String(event.FSourceIPAddress),
		UserAgent:   e.String(event.FUserAgent),
		ErrorCode:   e.ErrorCode,
		Runbook:     r.meta.Runbook,
		Event:       append([]byte(nil), e.Raw...),
		// The decoder validated the record.
		EventValidated: true,
	}
	if f.Tags == nil {
		f.Tags = []string{}
	}
	if id, err := e.Identity(); err == nil {
		f.Actor = finding.Actor{
			Type: id.Type, ARN: id.ARN, PrincipalID: id.PrincipalID, AccountID: id.AccountID,
			UserName: id.UserName, AccessKeyID: id.AccessKeyID, InvokedBy: id.InvokedBy, MFA: id.MFA(),
		}
		if sc := id.SessionContext; sc != nil {
			f.Actor.SourceIdentity = sc.SourceIdentity
			f.Actor.Issuer = sc.SessionIssuer.ARN
		}
	}
	f.Resources = r.resourceList(e, s)
	f.Summary = r.renderSummary(s)
	return f, nil
}

func (r *CELRule) resourceList(e *event.Event, s *Scratch) []string {
	out := []string{}
	seen := map[string]bool{}
	add := func(v string) {
		if v != "" && !seen[v] {
			v = strings.Clone(v) // values may point into the decoder's buffer
			seen[v] = true
			out = append(out, v)
		}
	}
	if rs, err := e.Resources(); err == nil {
		for _, x := range rs {
			add(x.ARN)
		}
	}
	if r.resources != nil {
		if list, err := r.resources.EvalStrings(&s.act); err == nil {
			for _, v := range list {
				add(v)
			}
		}
	}
	return out
}

func (r *CELRule) renderSummary(s *Scratch) string {
	if len(r.summary) == 0 {
		return r.meta.Title
	}
	var b strings.Builder
	for _, p := range r.summary {
		if p.prg == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.prg.EvalString(&s.act)
		if err != nil || v == "" {
			v = "?"
		}
		b.WriteString(v)
	}
	return b.String()
}
