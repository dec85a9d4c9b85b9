// Package statetest is the conformance suite for state.Store: every
// implementation runs it (cf. testing/fstest.TestFS, testing/slogtest.Run).
//
//	func TestConformance(t *testing.T) {
//		statetest.Run(t, func(t *testing.T) state.Store { ... a fresh, empty store ... })
//	}
//
// The suite checks the store against state.Fold: whatever a store keeps, the
// histories it returns are the ones Fold computes from the same steps.
package statetest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Reopener is implemented by a store the suite can close and open again on
// the same storage, to check that what it recorded persists. The reopened
// store is closed by the suite.
type Reopener interface {
	state.Store
	Reopen(t *testing.T) state.Store
}

// Run runs the conformance suite. open returns a fresh, empty store for
// each subtest; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) state.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) state.Store)
	}{
		{"ApplyHistory", testApplyHistory},
		{"Duplicates", testDuplicates},
		{"OutOfOrder", testOutOfOrder},
		{"InOrder", testInOrder},
		{"At", testAt},
		{"List", testList},
		{"MultiResource", testMultiResource},
		{"AtomicBatch", testAtomicBatch},
		{"Concurrent", testConcurrent},
		{"Reopen", testReopen},
		{"Cancelled", testCancelled},
		{"Applied", testApplied},
		{"Corpus", testCorpus},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// fresh opens a store closed at the end of the test.
func fresh(t *testing.T, open func(t *testing.T) state.Store) state.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// Encode returns the JSON of v, for comparisons.
func Encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CheckHistories fails unless s holds, for every resource steps name, the
// history FoldAll makes of steps.
func CheckHistories(t *testing.T, s state.Store, steps []state.Step) {
	t.Helper()
	want, err := state.FoldAll(steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("no histories to check")
	}
	for _, w := range want {
		got, err := s.History(context.Background(), w.Resource)
		if err != nil {
			t.Errorf("History(%s): %v", w.Resource, err)
			continue
		}
		if g, w := Encode(t, got), Encode(t, w); !bytes.Equal(g, w) {
			t.Errorf("History(%s):\n got %s\nwant %s", got.Resource, g, w)
		}
		checkAt(t, s, w)
	}
}

// checkAt fails unless At returns, at the time of each revision of h, the
// last revision of that time, and at the zero time the current one.
func checkAt(t *testing.T, s state.Store, h state.History) {
	t.Helper()
	ctx := context.Background()
	for i, r := range h.Revisions {
		if i+1 < len(h.Revisions) && h.Revisions[i+1].Provenance.EventTime.Equal(r.Provenance.EventTime) {
			continue
		}
		got, err := s.At(ctx, h.Resource, r.Provenance.EventTime)
		if err != nil {
			t.Errorf("At(%s, %s): %v", h.Resource, r.Provenance.EventTime, err)
			continue
		}
		if g, w := Encode(t, got), Encode(t, r); !bytes.Equal(g, w) {
			t.Errorf("At(%s, %s):\n got %s\nwant %s", h.Resource, r.Provenance.EventTime, g, w)
		}
	}
	if cur := h.Current(); cur != nil {
		got, err := s.At(ctx, h.Resource, time.Time{})
		if err != nil {
			t.Errorf("At(%s, now): %v", h.Resource, err)
		} else if g, w := Encode(t, got), Encode(t, cur); !bytes.Equal(g, w) {
			t.Errorf("At(%s, now):\n got %s\nwant %s", h.Resource, g, w)
		}
	}
}

func apply(t *testing.T, s state.Store, steps []state.Step) {
	t.Helper()
	if _, err := s.Apply(context.Background(), steps); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// TwoWriters checks two stores on the same storage (two processes, say):
// they apply the fixture in turns, then a writes a late step; each must see
// what the other wrote (no cache of either may hide it).
func TwoWriters(t *testing.T, a, b state.Store) {
	t.Helper()
	ctx := context.Background()
	steps := Steps()
	stores := []state.Store{a, b}
	for i, st := range steps {
		if _, err := stores[i%2].Apply(ctx, []state.Step{st}); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	late := state.Step{Provenance: state.Provenance{EventID: "z", EventName: "Ez", EventTime: T0.Add(45 * time.Second)},
		Changes: []state.Change{{Resource: SG2, Op: state.OpSet, Path: []string{"n"}, Value: 7}}}
	if _, err := a.Apply(ctx, []state.Step{late}); err != nil {
		t.Fatal(err)
	}
	all := append(steps, late)
	CheckHistories(t, a, all)
	CheckHistories(t, b, all)
}
