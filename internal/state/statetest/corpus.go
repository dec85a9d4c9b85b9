package statetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reduce"
)

// CorpusDir is the invictus CloudTrail corpus, relative to the directory of
// a package under internal/state.
var CorpusDir = "../../../../shared/corpora/invictus-cloudtrail/CloudTrail"

// collector reduces every decoded event into a Step.
type collector struct{ steps []state.Step }

func (c *collector) Event(_ context.Context, e *event.Event) error {
	s, err := reduce.Step(e)
	if err != nil {
		return fmt.Errorf("reduce: %w", err)
	}
	if len(s.Changes) > 0 || len(s.Targets) > 0 {
		c.steps = append(c.steps, s)
	}
	return nil
}

func (c *collector) Reject(_ context.Context, err *decode.RecordError) error { return err }

// CorpusSteps decodes and reduces the corpus. It fails the test when the
// corpus is missing.
func CorpusSteps(t testing.TB) []state.Step {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(CorpusDir, "*.json"))
	if len(files) == 0 {
		t.Fatalf("corpus not found at %s", CorpusDir)
	}
	d := decode.New(decode.Options{})
	col := &collector{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Decode(context.Background(), f, fh, col)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
	}
	return col.steps
}

// testCorpus applies the corpus shuffled, in batches, with duplicates: the
// store's histories are FoldAll's.
func testCorpus(t *testing.T, open func(t *testing.T) state.Store) {
	steps := CorpusSteps(t)
	s := fresh(t, open)
	in := append([]state.Step(nil), steps...)
	in = append(in, steps[:len(steps)/3]...)
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(in), func(a, b int) { in[a], in[b] = in[b], in[a] })
	for len(in) > 0 {
		n := 1 + rng.IntN(min(len(in), 50))
		apply(t, s, in[:n])
		in = in[n:]
	}
	CheckHistories(t, s, steps)
	all, err := s.List(context.Background(), state.Filter{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps, %d resources with revisions", len(steps), len(all))
}
