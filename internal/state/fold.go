package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Fold builds the history of resource r from its steps, given in any order
// and possibly repeated. Steps are ordered by event time, then (CloudTrail
// times have one-second resolution) creations of r before other changes
// before deletions of r, then event id;
// each event id is applied once (of copies that differ, the one with the
// smallest JSON encoding wins, so the result never depends on input order).
// Only the changes naming r are applied. A step that changes the state
// makes a revision; every step appears in the timeline.
//
// Fold does not modify steps: values are copied into the states.
func Fold(r ResourceID, steps []Step) (History, error) {
	type keyed struct {
		s    *Step
		enc  []byte
		rank int
	}
	ks := make([]keyed, 0, len(steps))
	for i := range steps {
		enc, err := json.Marshal(&steps[i])
		if err != nil {
			return History{}, fmt.Errorf("fold %s: event %s: %w: %w", r, steps[i].Provenance.EventID, ErrBadStep, err)
		}
		ks = append(ks, keyed{&steps[i], enc, rank(r, &steps[i])})
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := a.s.Provenance.EventTime.Compare(b.s.Provenance.EventTime); c != 0 {
			return c
		}
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if c := strings.Compare(a.s.Provenance.EventID, b.s.Provenance.EventID); c != 0 {
			return c
		}
		return bytes.Compare(a.enc, b.enc)
	})
	h := History{Resource: r, Revisions: []Revision{}, Timeline: []TimelineEntry{}}
	var cur map[string]any
	deleted := false
	for i, k := range ks {
		if i > 0 && ks[i-1].s.Provenance.EventID == k.s.Provenance.EventID {
			continue
		}
		if h.Resource.ARN == "" {
			for _, c := range k.s.Changes {
				if c.Resource.Key() == r.Key() && c.Resource.ARN != "" {
					h.Resource.ARN = c.Resource.ARN
				}
			}
		}
		next, del, touched, err := applyAll(r, cur, deleted, k.s.Changes)
		if err != nil {
			return History{}, fmt.Errorf("fold %s: event %s: %w: %w", r, k.s.Provenance.EventID, ErrBadStep, err)
		}
		te := TimelineEntry{Provenance: k.s.Provenance}
		diff := Diff(cur, next)
		if touched && (len(diff) > 0 || del != deleted || len(h.Revisions) == 0) {
			h.Revisions = append(h.Revisions, Revision{
				Number:     len(h.Revisions) + 1,
				Provenance: k.s.Provenance,
				State:      next,
				Diff:       diff,
				Deleted:    del,
			})
			te.Revision = len(h.Revisions)
		}
		h.Timeline = append(h.Timeline, te)
		cur, deleted = next, del
	}
	return h, nil
}

// rank orders the steps of one second: 0 creates r, 2 deletes it, 1 else.
func rank(r ResourceID, s *Step) int {
	k := 1
	for _, c := range s.Changes {
		if c.Resource.Key() != r.Key() {
			continue
		}
		switch c.Op {
		case OpPut:
			return 0
		case OpDelete:
			k = 2
		}
	}
	return k
}

// FoldAll folds steps that may change several resources: each resource
// gets the steps whose changes or Targets name it (steps naming no
// resource are skipped). Histories come back sorted by resource key.
func FoldAll(steps []Step) ([]History, error) {
	byKey := map[string][]Step{}
	ids := map[string]ResourceID{}
	for _, s := range steps {
		seen := map[string]bool{}
		for _, c := range s.Changes {
			k := c.Resource.Key()
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, ok := ids[k]; !ok {
				id := c.Resource
				id.ARN = ""
				ids[k] = id
			}
			byKey[k] = append(byKey[k], s)
		}
		for _, t := range s.Targets {
			k := t.Key()
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, ok := ids[k]; !ok {
				id := t
				id.ARN = ""
				ids[k] = id
			}
			byKey[k] = append(byKey[k], s)
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]History, 0, len(keys))
	for _, k := range keys {
		h, err := Fold(ids[k], byKey[k])
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// applyAll applies the changes naming r to a copy of cur.
func applyAll(r ResourceID, cur map[string]any, deleted bool, cs []Change) (map[string]any, bool, bool, error) {
	next, _ := deepCopy(cur).(map[string]any)
	touched := false
	for _, c := range cs {
		if c.Resource.Key() != r.Key() {
			continue
		}
		touched = true
		switch c.Op {
		case OpPut:
			m, ok := c.Value.(map[string]any)
			if !ok && c.Value != nil {
				return nil, false, false, fmt.Errorf("put: value is %T, want a map", c.Value)
			}
			next, _ = deepCopy(m).(map[string]any)
			if next == nil {
				next = map[string]any{}
			}
			deleted = false
		case OpDelete:
			next, deleted = nil, true
		case OpSet, OpAdd:
			if len(c.Path) == 0 {
				return nil, false, false, fmt.Errorf("%s: empty path", c.Op)
			}
			if next == nil {
				next = map[string]any{}
			}
			deleted = false
			m := next
			for _, p := range c.Path[:len(c.Path)-1] {
				sub, ok := m[p].(map[string]any)
				if !ok {
					sub = map[string]any{}
					m[p] = sub
				}
				m = sub
			}
			m[c.Path[len(c.Path)-1]] = deepCopy(c.Value)
		case OpReplace:
			if err := replaceMatching(next, c.Path, c.Value); err != nil {
				return nil, false, false, err
			}
		case OpRemove:
			if match, ok := c.Value.(map[string]any); ok {
				removeMatching(next, c.Path, match)
				continue
			}
			fallthrough
		case OpUnset:
			if len(c.Path) == 0 {
				return nil, false, false, fmt.Errorf("%s: empty path", c.Op)
			}
			m := next
			for _, p := range c.Path[:len(c.Path)-1] {
				m, _ = m[p].(map[string]any)
			}
			if m != nil {
				delete(m, c.Path[len(c.Path)-1])
			}
		default:
			return nil, false, false, fmt.Errorf("unknown op %q", c.Op)
		}
	}
	return next, deleted, touched, nil
}

// removeMatching deletes the members of the set at path that hold every
// field of match.
func removeMatching(m map[string]any, path []string, match map[string]any) {
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	for k, v := range m {
		if mv, ok := v.(map[string]any); ok && holds(mv, match) {
			delete(m, k)
		}
	}
}

// deepCopy copies maps and slices so that states never share memory with
// changes or with each other.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return map[string]any(nil)
		}
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		if v == nil {
			return []any(nil)
		}
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// Diff returns the leaves that differ between before and after, sorted by
// path. Maps are walked into; other values are compared whole.
func Diff(before, after map[string]any) []FieldChange {
	out := []FieldChange{}
	diffInto(&out, nil, before, after)
	slices.SortFunc(out, func(a, b FieldChange) int { return slices.Compare(a.Path, b.Path) })
	return out
}

func diffInto(out *[]FieldChange, path []string, before, after map[string]any) {
	for k, b := range before {
		p := append(slices.Clip(path), k)
		a, ok := after[k]
		if !ok {
			*out = append(*out, FieldChange{Path: p, Before: b})
			continue
		}
		bm, bok := b.(map[string]any)
		am, aok := a.(map[string]any)
		switch {
		case bok && aok:
			diffInto(out, p, bm, am)
		case !reflect.DeepEqual(a, b):
			*out = append(*out, FieldChange{Path: p, Before: b, After: a})
		}
	}
	for k, a := range after {
		if _, ok := before[k]; !ok {
			*out = append(*out, FieldChange{Path: append(slices.Clip(path), k), After: a})
		}
	}
}
