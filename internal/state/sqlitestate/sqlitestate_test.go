package sqlitestate

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/statetest"
)

// reopenable lets the suite close the store and open its file again.
type reopenable struct {
	*Store
}

func (r reopenable) Reopen(t *testing.T) state.Store {
	s, err := Open(context.Background(), r.Path())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openTemp(t testing.TB) *Store {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return reopenable{openTemp(t)} })
}

func TestOpenTwiceAndSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path) // a second process, say
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (99, 'future', '')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer file: %v, want ErrSchemaTooNew", err)
	}
}

// BenchmarkApply applies batches of 100 new steps spread over 10,000
// resources, so that each resource's history stays short.
func BenchmarkApply(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	statetest.BenchApply(b, s, 100, 10000, false)
}

// BenchmarkAt looks up random resources at random times among 1,000
// resources of 10 revisions each.
func BenchmarkAt(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	statetest.BenchAt(b, s, 1000, 10000, false)
}

// BenchmarkApplyHot applies one new step at a time to a resource that
// already has 2,000: the cost of a long history.
func BenchmarkApplyHot(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	statetest.BenchApplyHot(b, s, 2000)
}

// TestTwoWriters has two stores (two processes, say) write the same file in
// turns: each one's cached tips must not hide what the other wrote.
func TestTwoWriters(t *testing.T) {
	a := openTemp(t)
	defer a.Close()
	b, err := Open(context.Background(), a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	statetest.TwoWriters(t, a, b)
}

// BenchmarkApplyScanBatch applies batches of 5,000 new steps (what a scan
// hands over at most per transaction) spread over 10,000 resources.
func BenchmarkApplyScanBatch(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	statetest.BenchApply(b, s, 5000, 10000, false)
}

// BenchmarkAtMillion looks up random resources at random times among 1,000
// resources of 1,000 revisions each: state at time T over 1M revisions. The
// revisions are written straight into the table (Apply would take minutes
// to make a million); At reads nothing else.
func BenchmarkAtMillion(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	ctx := context.Background()
	const resources, per = 1000, 1000
	_, err := s.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
		INSERT INTO revisions (resource_key, number, event_time, event_id, provenance, state, diff, deleted)
		SELECT printf('111111111111/us-east-1/AWS::EC2::Instance/i-%06d', i % ?), i / ? + 1, ? + i * 1000000000,
			printf('ev-%09d', i), printf('{"eventId":"ev-%09d","eventName":"E","eventTime":"2023-07-10T00:00:00Z","actor":"a"}', i),
			printf('{"type":"t3.micro","tags":{"n":%d}}', i), '[]', 0
		FROM n`, resources*per, resources, resources, statetest.T0.UnixNano())
	if err != nil {
		b.Fatal(err)
	}
	var count int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM revisions`).Scan(&count); err != nil || count != resources*per {
		b.Fatalf("%d revisions, %v", count, err)
	}
	statetest.BenchAt(b, s, resources, resources*per, true)
}

// TestStates checks the one-query read of states against List and At, now
// and at earlier times: the same documents, resources deleted by then (or
// not there yet) left out.
func TestStates(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	steps := append(statetest.Steps(), statetest.BenchSteps(0, 50, 5)...)
	if _, err := s.Apply(ctx, steps); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{{}, statetest.T0.Add(4 * time.Second), statetest.T0.Add(25 * time.Second), statetest.T0.Add(45 * time.Second)} {
		for _, f := range []state.Filter{{}, {Type: "AWS::EC2::Instance"}, {Type: "AWS::EC2::SecurityGroup"}, {Account: "222222222222"}} {
			got, err := s.States(ctx, f, at, 1000)
			if err != nil {
				t.Fatal(err)
			}
			all := f
			all.IncludeDeleted = true
			list, err := s.List(ctx, all)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range list {
				rev, err := s.At(ctx, r.Resource, at)
				if errors.Is(err, state.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !rev.Deleted {
					want = append(want, string(statetest.Encode(t, rev.State)))
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%+v at %s: %d states, want %d", f, at, len(got), len(want))
			}
			for i := range got {
				var g any
				if err := unmarshal(got[i], &g); err != nil {
					t.Fatal(err)
				}
				if string(statetest.Encode(t, g)) != want[i] {
					t.Errorf("%+v at %s #%d: %s, want %s", f, at, i, got[i], want[i])
				}
			}
		}
	}
	if got, _ := s.States(ctx, state.Filter{Type: "AWS::EC2::Instance"}, time.Time{}, 2); len(got) != 2 {
		t.Errorf("limit 2: %d states", len(got))
	}
}
