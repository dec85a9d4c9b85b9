package state

import "time"

// RevisionAt returns the revision of h in force at t, as Store.At does:
// the last one whose event time is not after t (a tombstone after a
// deletion); a zero t means now. It returns nil when h has no revision by t.
func RevisionAt(h *History, t time.Time) *Revision {
	var out *Revision
	for i := range h.Revisions {
		if !t.IsZero() && h.Revisions[i].Provenance.EventTime.After(t) {
			break
		}
		out = &h.Revisions[i]
	}
	return out
}

// Comparison is what happened to a resource between two times.
type Comparison struct {
	From *Revision `json:"from,omitempty"` // in force at the first time; nil when the resource did not exist yet
	To   *Revision `json:"to,omitempty"`   // in force at the second time; nil when it did not exist yet
	// Revisions are those made after From up to To, in order: who made the
	// changes.
	Revisions []Revision `json:"revisions"`
	// Changes are the leaves that differ between From's state and To's
	// (see Diff); a missing or deleted resource has no fields.
	Changes []FieldChange `json:"changes"`
}

// Compare compares the states of h at from and to (zero times mean now,
// as in RevisionAt). When to is before from, the comparison runs
// backwards: Changes undo what happened and Revisions is empty.
func Compare(h *History, from, to time.Time) Comparison {
	c := Comparison{From: RevisionAt(h, from), To: RevisionAt(h, to), Revisions: []Revision{}}
	var a, b map[string]any
	if c.From != nil {
		a = c.From.State
	}
	if c.To != nil {
		b = c.To.State
	}
	c.Changes = Diff(a, b)
	lo, hi := 0, 0
	if c.From != nil {
		lo = c.From.Number
	}
	if c.To != nil {
		hi = c.To.Number
	}
	for i := lo; i < hi; i++ {
		c.Revisions = append(c.Revisions, h.Revisions[i])
	}
	return c
}
