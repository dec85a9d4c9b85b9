// Package reconcile brings the resource state derived from CloudTrail
// events in line with what a snapshot of AWS shows, and reports what
// differed.
//
// For each resource a snapshot shows, the state in force when it was taken
// is compared with it: a resource the store does not know (or knows as
// deleted) is discovered; one whose covered keys differ drifted; one that a
// complete listing leaves out was deleted without an event trailwarden saw.
// Each outcome is recorded as a step at the snapshot's time, with an event
// id derived from the snapshot and the resource, so reconciling the same
// snapshot again records nothing new.
package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// Provenance of the steps reconciliation records.
const (
	EventSource = "trailwarden.reconcile"
	Actor       = "trailwarden reconcile"

	EventDiscovered        = "SnapshotDiscovered"
	EventDrift             = "SnapshotDrift"
	EventRefreshed         = "SnapshotRefreshed"
	EventDeletedUnobserved = "SnapshotDeletedUnobserved"
)

// Outcome is what reconciliation found for one resource.
type Outcome string

// The outcomes.
const (
	Discovered        Outcome = "discovered"         // unknown to the store, or deleted there
	Drift             Outcome = "drift"              // a covered key differs
	Refreshed         Outcome = "refreshed"          // only ids, defaults or AWS's own transitions differ
	DeletedUnobserved Outcome = "deleted-unobserved" // live in the store, absent from a complete listing
	Unchanged         Outcome = "unchanged"
)

// target is one observed resource, merged over the documents that show it.
type target struct {
	obs     snapshot.Observed
	covers  map[string]bool
	doc     int // the first document that shows it: its steps go with that document's
	source  string
	kind    snapshot.Kind
	takenAt time.Time
}

type scope struct {
	snapshot.Scope
	doc     int
	source  string
	kind    snapshot.Kind
	takenAt time.Time
}

// Reconcile compares docs with store and records the differences: one
// Store.Apply per document (its resources' steps together). A document that
// cannot be read is reported in Report.Errors and the others go on. It
// returns an error only when the store fails; the report then holds what
// was done before.
func Reconcile(ctx context.Context, store state.Store, docs []snapshot.Document, opts Options) (*Report, error) {
	rep := &Report{DryRun: opts.DryRun, Documents: len(docs), Resources: []Result{}, Findings: []finding.Finding{},
		RuleFindings: []finding.Finding{}}
	targets, scopes := gather(docs, rep)

	steps := make([][]state.Step, len(docs))
	seen := map[string]bool{}
	for _, t := range targets {
		seen[t.obs.ID.Key()] = true
		res, step, err := compare(ctx, store, t)
		if err != nil {
			return rep, err
		}
		rep.add(res, opts)
		if step != nil {
			steps[t.doc] = append(steps[t.doc], *step)
		}
	}
	if !opts.Partial {
		for _, sc := range scopes {
			gone, err := unobserved(ctx, store, sc, seen)
			if err != nil {
				return rep, err
			}
			for _, id := range gone {
				seen[id.Key()] = true
				ev := eventID(sc.source, sc.kind, sc.takenAt, id, DeletedUnobserved)
				steps[sc.doc] = append(steps[sc.doc], state.Step{
					Provenance: provenance(ev, EventDeletedUnobserved, sc.takenAt),
					Changes:    []state.Change{{Resource: id, Op: state.OpDelete}},
				})
				rep.add(Result{Resource: id, Outcome: DeletedUnobserved, EventID: ev, Source: sc.source, TakenAt: sc.takenAt}, opts)
			}
		}
	}
	for _, s := range steps {
		rep.Steps += len(s)
	}
	if opts.DryRun {
		return rep, nil
	}
	for i, s := range steps {
		if len(s) == 0 {
			continue
		}
		applied, err := store.Apply(ctx, s)
		if err != nil {
			return rep, fmt.Errorf("record reconciliation of %s: %w", docs[i].Source, err)
		}
		rep.Revisions += len(applied)
		if opts.OnApplied != nil && len(applied) > 0 {
			if err := opts.OnApplied(ctx, docs[i].Source, applied); err != nil {
				return rep, fmt.Errorf("after recording %s: %w", docs[i].Source, err)
			}
		}
	}
	return rep, nil
}

// gather observes every document and merges what they show per resource,
// in document order.
func gather(docs []snapshot.Document, rep *Report) ([]*target, []scope) {
	byKey := map[string]*target{}
	var targets []*target
	var scopes []scope
	seenScope := map[snapshot.Scope]bool{}
	for i, d := range docs {
		o, err := snapshot.Observe(d)
		if err != nil {
			de := DocumentError{Source: d.Source, Kind: d.Kind, Error: err.Error()}
			if errors.Is(err, snapshot.ErrUnsupported) {
				rep.Skipped = append(rep.Skipped, de)
			} else {
				rep.Errors = append(rep.Errors, de)
			}
			continue
		}
		for _, r := range o.Resources {
			t := byKey[r.ID.Key()]
			if t == nil {
				t = &target{obs: snapshot.Observed{ID: r.ID, State: map[string]any{}}, covers: map[string]bool{},
					doc: i, source: d.Source, kind: d.Kind}
				byKey[r.ID.Key()] = t
				targets = append(targets, t)
			}
			if t.obs.ID.ARN == "" {
				t.obs.ID.ARN = r.ID.ARN
			}
			for _, k := range r.Covers {
				t.covers[k] = true
				if v, ok := r.State[k]; ok {
					t.obs.State[k] = v
				} else {
					delete(t.obs.State, k)
				}
			}
			if d.TakenAt.After(t.takenAt) {
				t.takenAt = d.TakenAt
			}
		}
		for _, sc := range o.Complete {
			if !seenScope[sc] {
				seenScope[sc] = true
				scopes = append(scopes, scope{Scope: sc, doc: i, source: d.Source, kind: d.Kind, takenAt: d.TakenAt})
			}
		}
	}
	return targets, scopes
}

// compare finds the outcome for one observed resource and the step that
// records it (nil when unchanged).
func compare(ctx context.Context, store state.Store, t *target) (Result, *state.Step, error) {
	id := t.obs.ID
	res := Result{Resource: id, Source: t.source, TakenAt: t.takenAt}
	rev, err := store.At(ctx, id, t.takenAt)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return res, nil, fmt.Errorf("reconcile %s: %w", id, err)
	}
	if rev == nil || rev.Deleted {
		res.Outcome = Discovered
		res.EventID = eventID(t.source, t.kind, t.takenAt, id, Discovered)
		for _, k := range sortedKeys(t.obs.State) {
			res.Fields = append(res.Fields, Field{Key: k, After: t.obs.State[k]})
		}
		return res, &state.Step{
			Provenance: provenance(res.EventID, EventDiscovered, t.takenAt),
			Changes:    []state.Change{{Resource: id, Op: state.OpPut, Value: t.obs.State}},
		}, nil
	}
	var changes []state.Change
	drift := false
	for _, k := range sortedKeys(t.covers) {
		before, after := rev.State[k], t.obs.State[k]
		d := snapshot.Compare(id.Type, k, before, after)
		if d == snapshot.Same {
			continue
		}
		if k == "ingress" || k == "egress" {
			after = keepRuleIDs(before, after)
		}
		drift = drift || d == snapshot.Drift
		res.Fields = append(res.Fields, Field{Key: k, Before: before, After: after, Drift: d == snapshot.Drift})
		if after == nil {
			changes = append(changes, state.Change{Resource: id, Op: state.OpUnset, Path: []string{k}})
		} else {
			changes = append(changes, state.Change{Resource: id, Op: state.OpSet, Path: []string{k}, Value: after})
		}
	}
	switch {
	case len(changes) == 0:
		res.Outcome = Unchanged
		return res, nil, nil
	case drift:
		res.Outcome = Drift
	default:
		res.Outcome = Refreshed
	}
	res.EventID = eventID(t.source, t.kind, t.takenAt, id, res.Outcome)
	name := EventDrift
	if !drift {
		name = EventRefreshed
	}
	return res, &state.Step{Provenance: provenance(res.EventID, name, t.takenAt), Changes: changes}, nil
}

// keepRuleIDs carries the rule ids the store knows (from the Authorize
// responses) over to the observed rules with the same key: describe-
// security-groups does not print them.
func keepRuleIDs(before, after any) any {
	b, _ := before.(map[string]any)
	a, _ := after.(map[string]any)
	if b == nil || a == nil {
		return after
	}
	out := make(map[string]any, len(a))
	for k, v := range a {
		bm, _ := b[k].(map[string]any)
		am, ok := v.(map[string]any)
		if rid, has := bm["ruleId"]; ok && has {
			if _, set := am["ruleId"]; !set {
				c := make(map[string]any, len(am)+1)
				for f, x := range am {
					c[f] = x
				}
				c["ruleId"] = rid
				v = c
			}
		}
		out[k] = v
	}
	return out
}

// unobserved returns the resources of sc live in the store when the
// snapshot was taken that it does not show.
func unobserved(ctx context.Context, store state.Store, sc scope, seen map[string]bool) ([]state.ResourceID, error) {
	list, err := store.List(ctx, state.Filter{Type: sc.Type, Account: sc.Account, Region: sc.Region, IncludeDeleted: true})
	if err != nil {
		return nil, fmt.Errorf("list %s in %s/%s: %w", sc.Type, sc.Account, sc.Region, err)
	}
	var out []state.ResourceID
	for _, s := range list {
		if seen[s.Resource.Key()] {
			continue
		}
		rev, err := store.At(ctx, s.Resource, sc.takenAt)
		if errors.Is(err, state.ErrNotFound) {
			continue // created after the snapshot
		}
		if err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", s.Resource, err)
		}
		if !rev.Deleted {
			out = append(out, s.Resource)
		}
	}
	return out, nil
}

func provenance(eventID, name string, at time.Time) state.Provenance {
	return state.Provenance{EventID: eventID, EventName: name, EventSource: EventSource, EventTime: at.UTC(), Actor: Actor}
}

// eventID is the deterministic id of the step reconciling one resource
// from one snapshot document: "reconcile:" and 32 hex digits.
func eventID(source string, kind snapshot.Kind, takenAt time.Time, id state.ResourceID, o Outcome) string {
	h := sha256.New()
	for _, s := range []string{source, string(kind), takenAt.UTC().Format(time.RFC3339Nano), id.Key(), string(o)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "reconcile:" + hex.EncodeToString(h.Sum(nil)[:16])
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
