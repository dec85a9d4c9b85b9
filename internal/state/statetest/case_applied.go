package statetest

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/trailwarden/trailwarden/internal/state"
)

// wantApplied returns, from the histories FoldAll makes of all, the Applied
// of the revisions made by the events named.
func wantApplied(t *testing.T, all []state.Step, events ...string) []state.Applied {
	t.Helper()
	hs, err := state.FoldAll(all)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(hs, func(a, b state.History) int { return compareKeys(a.Resource, b.Resource) })
	var out []state.Applied
	for _, h := range hs {
		out = append(out, state.AppliedIn(h.Resource, h.Revisions, nil, func(id string) bool { return slices.Contains(events, id) })...)
	}
	return out
}

func compareKeys(a, b state.ResourceID) int {
	return bytes.Compare([]byte(a.Key()), []byte(b.Key()))
}

func checkApplied(t *testing.T, what string, got, want []state.Applied) {
	t.Helper()
	if g, w := Encode(t, got), Encode(t, want); !bytes.Equal(g, w) {
		t.Errorf("%s: Apply returned\n %s\nwant\n %s", what, g, w)
	}
}

// testApplied checks what Apply returns: one Applied per revision its new
// steps made, with the revision before it, ordered by resource then number;
// nothing for duplicates and failed calls; for a late event, what it did
// at its own time.
func testApplied(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	steps := Steps()
	t.Run("one at a time", func(t *testing.T) {
		s := fresh(t, open)
		for i, st := range steps {
			got, err := s.Apply(ctx, []state.Step{st})
			if err != nil {
				t.Fatal(err)
			}
			checkApplied(t, "step "+st.Provenance.EventID, got, wantApplied(t, steps[:i+1], st.Provenance.EventID))
		}
	})
	t.Run("one batch", func(t *testing.T) {
		s := fresh(t, open)
		got, err := s.Apply(ctx, steps)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, st := range steps {
			ids = append(ids, st.Provenance.EventID)
		}
		want := wantApplied(t, steps, ids...)
		if len(want) < 8 {
			t.Fatalf("the fixture makes only %d revisions", len(want))
		}
		checkApplied(t, "the whole fixture", got, want)
		again, err := s.Apply(ctx, steps)
		if err != nil {
			t.Fatal(err)
		}
		checkApplied(t, "the fixture again", again, nil)
	})
	t.Run("late event", func(t *testing.T) {
		s := fresh(t, open)
		var late state.Step
		var rest []state.Step
		for _, st := range steps {
			if st.Provenance.EventID == "c" { // tags.env set at 5s, before "f" sets it again
				late = st
				continue
			}
			rest = append(rest, st)
		}
		apply(t, s, rest)
		got, err := s.Apply(ctx, []state.Step{late})
		if err != nil {
			t.Fatal(err)
		}
		want := wantApplied(t, steps, "c")
		if len(want) != 1 || want[0].Before == nil || want[0].Before.Provenance.EventID != "b" {
			t.Fatalf("fixture: the late event's revision should follow b's: %s", Encode(t, want))
		}
		checkApplied(t, "a late event", got, want)
		CheckHistories(t, s, steps)
	})
	t.Run("failed call", func(t *testing.T) {
		s := fresh(t, open)
		apply(t, s, steps[:3])
		got, err := s.Apply(ctx, steps[3:4]) // "d", a failed call
		if err != nil {
			t.Fatal(err)
		}
		checkApplied(t, "a failed call", got, nil)
	})
}
