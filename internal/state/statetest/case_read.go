package statetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

func testApplyHistory(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	steps := Steps()
	apply(t, s, steps)
	CheckHistories(t, s, steps)
	h, err := s.History(context.Background(), SG)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Revisions) != 5 || len(h.Timeline) != 7 || !h.Current().Deleted {
		t.Errorf("security group: %d revisions, %d timeline entries, current %+v", len(h.Revisions), len(h.Timeline), h.Current())
	}
	u, err := s.History(context.Background(), state.ResourceID{Account: User.Account, Region: User.Region, Type: User.Type, ID: User.ID})
	if err != nil {
		t.Fatal(err)
	}
	if u.Resource.ARN != User.ARN {
		t.Errorf("user ARN %q, want %q", u.Resource.ARN, User.ARN)
	}
	_, err = s.History(context.Background(), state.ResourceID{Account: "1", Region: "r", Type: "T", ID: "none"})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("History of an unknown resource: %v, want ErrNotFound", err)
	}
	if _, err := s.Apply(context.Background(), nil); err != nil {
		t.Errorf("Apply(nil): %v", err)
	}
}

func testDuplicates(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	steps := Steps()
	apply(t, s, steps)
	apply(t, s, steps)
	apply(t, s, append(steps[3:5:5], steps[0], steps[0]))
	CheckHistories(t, s, steps)
	// A different copy of a recorded event id changes nothing.
	dup := mk("b", 5, state.Change{Resource: SG, Op: state.OpSet, Path: []string{"tags", "env"}, Value: "other"})
	apply(t, s, []state.Step{dup})
	CheckHistories(t, s, steps)
}

func testOutOfOrder(t *testing.T, open func(t *testing.T) state.Store) {
	base := Steps()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := fresh(t, open)
			in := append([]state.Step(nil), base...)
			for range rng.IntN(len(base) + 1) {
				in = append(in, base[rng.IntN(len(base))])
			}
			rng.Shuffle(len(in), func(a, b int) { in[a], in[b] = in[b], in[a] })
			// Batches of random sizes, as deliveries would bring them.
			for len(in) > 0 {
				n := 1 + rng.IntN(min(len(in), 4))
				apply(t, s, in[:n])
				in = in[n:]
			}
			CheckHistories(t, s, base)
		})
	}
}

// testInOrder applies the fixture, then the corpus, one step at a time in
// event order, the way a live stream mostly brings them.
func testInOrder(t *testing.T, open func(t *testing.T) state.Store) {
	for _, c := range []struct {
		name  string
		steps func(t testing.TB) []state.Step
	}{{"Fixture", func(testing.TB) []state.Step { return Steps() }}, {"Corpus", CorpusSteps}} {
		t.Run(c.name, func(t *testing.T) {
			s := fresh(t, open)
			steps := c.steps(t)
			in := append([]state.Step(nil), steps...)
			sort.SliceStable(in, func(a, b int) bool {
				return in[a].Provenance.EventTime.Before(in[b].Provenance.EventTime)
			})
			for i := range in {
				apply(t, s, in[i:i+1])
			}
			CheckHistories(t, s, steps)
		})
	}
}

func testAt(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	steps := Steps()
	apply(t, s, steps)
	h, err := state.Fold(SG, steps)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.At(ctx, SG, T0.Add(-time.Second)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("At before creation: %v, want ErrNotFound", err)
	}
	if _, err := s.At(ctx, state.ResourceID{Account: "1", Region: "r", Type: "T", ID: "none"}, time.Time{}); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("At of an unknown resource: %v, want ErrNotFound", err)
	}
	for _, c := range []struct {
		sec  int
		want int // revision number
	}{{0, 1}, {4, 1}, {5, 3}, {19, 3}, {20, 4}, {39, 4}, {40, 5}, {1000, 5}} {
		r, err := s.At(ctx, SG, T0.Add(time.Duration(c.sec)*time.Second))
		if err != nil {
			t.Errorf("At(+%ds): %v", c.sec, err)
			continue
		}
		if g, w := Encode(t, r), Encode(t, h.Revisions[c.want-1]); !bytes.Equal(g, w) {
			t.Errorf("At(+%ds):\n got %s\nwant %s", c.sec, g, w)
		}
	}
	r, err := s.At(ctx, SG, time.Time{})
	if err != nil || !r.Deleted || r.State != nil || r.Number != 5 {
		t.Errorf("At(now) after deletion: %+v, %v; want the tombstone", r, err)
	}
	r, err = s.At(ctx, SG2, time.Time{})
	if err != nil || r.Number != 2 || r.State["attached"] == nil {
		t.Errorf("At(now) of sg-2: %+v, %v", r, err)
	}
}

func keys(rs []state.ResourceSummary) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Resource.Key())
	}
	return out
}

func testList(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	apply(t, s, Steps())
	ctx := context.Background()
	for _, c := range []struct {
		f    state.Filter
		want []state.ResourceID
	}{
		{state.Filter{}, []state.ResourceID{SG2, Inst}},
		{state.Filter{IncludeDeleted: true}, []state.ResourceID{SG2, Inst, SG, User}},
		{state.Filter{Type: SG.Type}, []state.ResourceID{SG2}},
		{state.Filter{Type: SG.Type, IncludeDeleted: true}, []state.ResourceID{SG2, SG}},
		{state.Filter{Account: User.Account, IncludeDeleted: true}, []state.ResourceID{User}},
		{state.Filter{Region: "us-east-1", IncludeDeleted: true}, []state.ResourceID{Inst, SG}},
		{state.Filter{Account: SG.Account, Region: "eu-west-1"}, []state.ResourceID{SG2}},
		{state.Filter{Type: "AWS::S3::Bucket"}, nil},
	} {
		got, err := s.List(ctx, c.f)
		if err != nil {
			t.Fatalf("List(%+v): %v", c.f, err)
		}
		var want []string
		for _, id := range c.want {
			want = append(want, id.Key())
		}
		slices.Sort(want)
		if fmt.Sprint(keys(got)) != fmt.Sprint(want) {
			t.Errorf("List(%+v) = %v, want %v", c.f, keys(got), want)
		}
	}
	all, err := s.List(ctx, state.Filter{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		h, err := s.History(ctx, r.Resource)
		if err != nil {
			t.Fatal(err)
		}
		cur := h.Current()
		if r.Revision != cur.Number || r.Deleted != cur.Deleted || !r.Updated.Equal(cur.Provenance.EventTime) || r.Resource.ARN != h.Resource.ARN {
			t.Errorf("summary %+v disagrees with the current revision %d (deleted %v, %s, ARN %q)", r, cur.Number, cur.Deleted, cur.Provenance.EventTime, h.Resource.ARN)
		}
	}
}
