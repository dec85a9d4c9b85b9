package statetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/trailwarden/trailwarden/internal/state"
)

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
	if _, err := s.Apply(context.Background(), append(append([]state.Step(nil), steps[2:]...), bad)); !errors.Is(err, state.ErrBadStep) {
		t.Fatalf("Apply of a batch with an unfoldable step: %v, want an error wrapping state.ErrBadStep", err)
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
				if _, err := s.Apply(context.Background(), in[:n]); err != nil {
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

// testCancelled applies with a cancelled context: an error, and nothing
// recorded.
func testCancelled(t *testing.T, open func(t *testing.T) state.Store) {
	s := fresh(t, open)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Apply(ctx, Steps()); err == nil || errors.Is(err, state.ErrBadStep) {
		t.Fatalf("Apply with a cancelled context: %v, want an error that is not state.ErrBadStep", err)
	}
	if rs, err := s.List(context.Background(), state.Filter{IncludeDeleted: true}); err != nil || len(rs) != 0 {
		t.Fatalf("List after a cancelled Apply: %v, %v", keys(rs), err)
	}
}
