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
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
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

// Resources of the fixtures.
var (
	SG   = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}
	SG2  = state.ResourceID{Account: "111111111111", Region: "eu-west-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-2"}
	Inst = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: "i-1"}
	User = state.ResourceID{Account: "222222222222", Region: "global", Type: "AWS::IAM::User", ID: "bob", ARN: "arn:aws:iam::222222222222:user/bob"}
)

// T0 is the time of the first fixture step.
var T0 = time.Date(2023, 7, 10, 12, 0, 0, 0, time.UTC)

func mk(id string, sec int, cs ...state.Change) state.Step {
	return state.Step{Provenance: state.Provenance{EventID: id, EventName: "E" + id, EventTime: T0.Add(time.Duration(sec) * time.Second), Actor: "arn:aws:iam::111111111111:user/alice"}, Changes: cs}
}

// Steps returns the fixture: a security group created, changed, touched by
// a failed call, changed without effect and deleted; a second group; an
// instance; a user created and deleted; and a step changing two resources.
func Steps() []state.Step {
	return []state.Step{
		mk("a", 0, state.Change{Resource: SG, Op: state.OpPut, Value: map[string]any{"name": "web", "n": 1, "egress": map[string]any{"all": map[string]any{"cidr": "0.0.0.0/0"}}}}),
		mk("b", 5, state.Change{Resource: SG, Op: state.OpAdd, Path: []string{"ingress", "tcp:22"}, Value: map[string]any{"cidr": "0.0.0.0/0", "from": 22}}),
		mk("c", 5, state.Change{Resource: SG, Op: state.OpSet, Path: []string{"tags", "env"}, Value: "prod"}),
		{Provenance: state.Provenance{EventID: "d", EventName: "RevokeSecurityGroupIngress", EventTime: T0.Add(10 * time.Second), ErrorCode: "Client.InvalidPermission.NotFound"}, Targets: []state.ResourceID{SG}},
		mk("e", 20, state.Change{Resource: SG, Op: state.OpRemove, Path: []string{"ingress", "tcp:22"}}),
		mk("f", 30, state.Change{Resource: SG, Op: state.OpSet, Path: []string{"tags", "env"}, Value: "prod"}),
		mk("g", 40, state.Change{Resource: SG, Op: state.OpDelete}),
		mk("h", 3, state.Change{Resource: SG2, Op: state.OpPut, Value: map[string]any{"name": "db", "big": int64(1) << 60, "f": 1.5}}),
		mk("i", 7, state.Change{Resource: Inst, Op: state.OpPut, Value: map[string]any{"type": "t3.micro", "groups": []any{"sg-1", "sg-2"}}},
			state.Change{Resource: SG2, Op: state.OpSet, Path: []string{"attached", "i-1"}, Value: true}),
		mk("j", 1, state.Change{Resource: User, Op: state.OpPut, Value: map[string]any{"name": "bob"}}),
		mk("k", 50, state.Change{Resource: User, Op: state.OpDelete}),
	}
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
	if err := s.Apply(context.Background(), steps); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

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
	if err := s.Apply(context.Background(), nil); err != nil {
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
		slicesSort(want)
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

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func testMultiResource(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	steps := Steps()
	apply(t, s, steps[8:9]) // "i": an instance and sg-2
	ctx := context.Background()
	for _, id := range []state.ResourceID{Inst, SG2} {
		h, err := s.History(ctx, id)
		if err != nil {
			t.Fatalf("History(%s): %v", id, err)
		}
		if len(h.Timeline) != 1 || h.Timeline[0].Provenance.EventID != "i" {
			t.Errorf("History(%s) timeline %+v", id, h.Timeline)
		}
	}
	apply(t, s, steps)
	CheckHistories(t, s, steps)
}

// testAtomicBatch applies a batch whose last step cannot be folded: none of
// the batch is recorded.
func testAtomicBatch(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	steps := Steps()
	apply(t, s, steps[:2])
	bad := mk("bad", 60, state.Change{Resource: Inst, Op: state.OpSet}) // empty path
	if err := s.Apply(context.Background(), append(append([]state.Step(nil), steps[2:]...), bad)); err == nil {
		t.Fatal("Apply of a batch with an unfoldable step succeeded")
	}
	CheckHistories(t, s, steps[:2])
	for _, id := range []state.ResourceID{Inst, SG2, User} {
		if _, err := s.History(context.Background(), id); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("History(%s) after a failed batch: %v, want ErrNotFound", id, err)
		}
	}
	apply(t, s, steps)
	CheckHistories(t, s, steps)
}

// testConcurrent applies from several goroutines: each its own resources,
// and all of them the shared fixture, shuffled.
func testConcurrent(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	const workers, per = 4, 20
	base := Steps()
	all := append([]state.Step(nil), base...)
	mine := make([][]state.Step, workers)
	for w := range workers {
		id := state.ResourceID{Account: "333333333333", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: fmt.Sprintf("i-w%d", w)}
		for i := range per {
			c := state.Change{Resource: id, Op: state.OpSet, Path: []string{"n"}, Value: i}
			if i == 0 {
				c = state.Change{Resource: id, Op: state.OpPut, Value: map[string]any{"n": 0}}
			}
			mine[w] = append(mine[w], mk(fmt.Sprintf("w%d-%02d", w, i), 100+i, c))
		}
		all = append(all, mine[w]...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			in := append(append([]state.Step(nil), mine[w]...), base...)
			rng.Shuffle(len(in), func(a, b int) { in[a], in[b] = in[b], in[a] })
			for len(in) > 0 {
				n := 1 + rng.IntN(min(len(in), 3))
				if err := s.Apply(context.Background(), in[:n]); err != nil {
					errs <- err
					return
				}
				in = in[n:]
				if _, err := s.List(context.Background(), state.Filter{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	CheckHistories(t, s, all)
}

func testReopen(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	r, ok := s.(Reopener)
	if !ok {
		_ = s.Close()
		t.Skip("the opener's store does not implement statetest.Reopener")
	}
	steps := Steps()
	apply(t, s, steps)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := r.Reopen(t)
	defer func() {
		if err := s2.Close(); err != nil {
			t.Error(err)
		}
	}()
	CheckHistories(t, s2, steps)
	if rs, err := s2.List(context.Background(), state.Filter{}); err != nil || len(rs) != 2 {
		t.Errorf("List after reopening: %v, %v", keys(rs), err)
	}
}
