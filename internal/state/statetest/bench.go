package statetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// BenchSteps returns n steps, the start-th first, over resources instances:
// a creation each, then changes of a tag, one second apart.
func BenchSteps(start, n, resources int) []state.Step {
	out := make([]state.Step, 0, n)
	for i := start; i < start+n; i++ {
		id := state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: fmt.Sprintf("i-%06d", i%resources)}
		c := state.Change{Resource: id, Op: state.OpSet, Path: []string{"tags", "n"}, Value: i}
		if i < resources {
			c = state.Change{Resource: id, Op: state.OpPut, Value: map[string]any{"type": "t3.micro", "tags": map[string]any{"n": i}}}
		}
		out = append(out, state.Step{Provenance: state.Provenance{EventID: fmt.Sprintf("ev-%09d", i), EventName: "E", EventTime: T0.Add(time.Duration(i) * time.Second), Actor: "a"}, Changes: []state.Change{c}})
	}
	return out
}

// BenchApply applies batches of batch new steps, in order, over resources
// resources (created as they first come), and reports steps/s. With
// existing set, the resources are created first and only updates are
// measured.
func BenchApply(b *testing.B, s state.Store, batch, resources int, existing bool) {
	ctx := context.Background()
	n := 0
	if existing {
		for ; n < resources; n += batch {
			if _, err := s.Apply(ctx, BenchSteps(n, batch, resources)); err != nil {
				b.Fatal(err)
			}
		}
	}
	first, start := n, time.Now()
	for b.Loop() {
		if _, err := s.Apply(ctx, BenchSteps(n, batch, resources)); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(n-first)/time.Since(start).Seconds(), "steps/s")
}

// BenchApplyHot applies one new step at a time to a resource that already
// has pre steps: the cost of a long history.
func BenchApplyHot(b *testing.B, s state.Store, pre int) {
	ctx := context.Background()
	if _, err := s.Apply(ctx, BenchSteps(0, pre, 1)); err != nil {
		b.Fatal(err)
	}
	n := pre
	start := time.Now()
	for b.Loop() {
		if _, err := s.Apply(ctx, BenchSteps(n, 1, 1)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n-pre)/time.Since(start).Seconds(), "steps/s")
}

// BenchAt looks up, at random times, random resources among resources of
// total/resources revisions each (made by BenchSteps and Apply, or already
// in s when filled is set), and reports lookups/s. Every answer is checked.
func BenchAt(b *testing.B, s state.Store, resources, total int, filled bool) {
	ctx := context.Background()
	if !filled {
		for i := 0; i < total; i += 500 {
			if _, err := s.Apply(ctx, BenchSteps(i, min(500, total-i), resources)); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := 0
	start := time.Now()
	for b.Loop() {
		k := (n * 7919) % total
		id := state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: fmt.Sprintf("i-%06d", k%resources)}
		r, err := s.At(ctx, id, T0.Add(time.Duration(k)*time.Second))
		if err != nil || r.Number != k/resources+1 {
			b.Fatalf("At: %+v, %v", r, err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "lookups/s")
}
