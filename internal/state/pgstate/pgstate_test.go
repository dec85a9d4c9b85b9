package pgstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/pgstate/pgtest"
	"github.com/trailwarden/trailwarden/internal/state/statetest"
)

// testDSN and freshSchema are pgtest's, for brevity.
func testDSN(t testing.TB) string { return pgtest.DSN(t) }

func freshSchema(t testing.TB, dsn string) string { return pgtest.FreshSchema(t, dsn, "pgstate_test") }

// openFresh opens a store on a fresh schema.
func openFresh(t testing.TB) *Store {
	t.Helper()
	dsn := testDSN(t)
	s, err := Open(t.Context(), dsn, WithSchema(freshSchema(t, dsn)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reopenable lets the suite close the store and open its schema again.
type reopenable struct {
	*Store
	dsn string
}

func (r reopenable) Reopen(t *testing.T) state.Store {
	s, err := Open(t.Context(), r.dsn, WithSchema(r.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		return reopenable{openFresh(t), testDSN(t)}
	})
}

// TestOpen covers the migration runner: concurrent Opens of one new schema,
// a schema migrated by a newer binary, and bad options.
func TestOpen(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := Open(ctx, dsn, WithSchema(schema), WithMaxConns(2))
			if err == nil {
				_, err = s.Apply(ctx, statetest.Steps())
				s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s, err := Open(ctx, dsn, WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	statetest.CheckHistories(t, s, statetest.Steps())
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema_migrations: %d rows, %v; want 1", n, err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (99, 'future')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, dsn, WithSchema(schema)); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
	if _, err := Open(ctx, dsn, WithSchema(`x"; DROP TABLE steps; --`)); err == nil {
		t.Fatal("Open accepted a schema name that is not an identifier")
	}
}

// TestErrorsHideThePassword checks that a DSN's password appears in no
// error of Open: one that does not parse, and one no server answers.
func TestErrorsHideThePassword(t *testing.T) {
	const secret = "s3cr3t-pw"
	for _, dsn := range []string{
		"postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgres://u:" + secret + "@127.0.0.1:notaport/db",
		"host=127.0.0.1 port=1 user=u password=" + secret + " dbname=db sslmode=disable connect_timeout=2",
		"host=127.0.0.1 port=1 user=u password=" + secret + " dbname=db sslmode=bogus",
	} {
		_, err := Open(t.Context(), dsn)
		if err == nil {
			t.Fatalf("Open succeeded with no server")
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// TestConcurrentHotResource applies, from several goroutines at once,
// interleaved and out-of-order steps of the same few resources, with
// duplicates: the result must be Fold's.
func TestConcurrentHotResource(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	const workers, per = 6, 40
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []state.Step
	ids := []state.ResourceID{
		{Account: "1", Region: "r", Type: "T", ID: "a"},
		{Account: "1", Region: "r", Type: "T", ID: "b"},
	}
	for i := range workers * per {
		var cs []state.Change
		for j, id := range ids {
			c := state.Change{Resource: id, Op: state.OpSet, Path: []string{"v", fmt.Sprint(i % 7)}, Value: i}
			if i == j {
				c = state.Change{Resource: id, Op: state.OpPut, Value: map[string]any{"n": i}}
			}
			cs = append(cs, c)
		}
		// every other step goes back in time, to force refolds
		sec := i
		if i%2 == 1 {
			sec = workers*per - i
		}
		all = append(all, state.Step{Provenance: state.Provenance{EventID: fmt.Sprintf("e%04d", i), EventName: "E", EventTime: t0.Add(time.Duration(sec) * time.Second)}, Changes: cs})
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(all); i += workers {
				// each step and, as a duplicate, its predecessor
				batch := []state.Step{all[i]}
				if i > 0 {
					batch = append(batch, all[i-1])
				}
				if _, err := s.Apply(t.Context(), batch); err != nil {
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
	statetest.CheckHistories(t, s, all)
}

// TestNUL checks that a string jsonb cannot hold (U+0000) fails the Apply
// as a whole, recording nothing, and the store stays usable.
func TestNUL(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	steps := statetest.Steps()
	bad := steps[0]
	bad.Changes = []state.Change{{Resource: statetest.Inst, Op: state.OpSet, Path: []string{"tags", "x"}, Value: "a\x00b"}}
	bad.Provenance.EventID = "nul"
	if _, err := s.Apply(t.Context(), append(steps[:3:3], bad)); err == nil {
		t.Fatal("Apply of a NUL character succeeded")
	}
	if rs, err := s.List(t.Context(), state.Filter{IncludeDeleted: true}); err != nil || len(rs) != 0 {
		t.Fatalf("List after a failed Apply: %v, %v", rs, err)
	}
	if _, err := s.Apply(t.Context(), steps); err != nil {
		t.Fatal(err)
	}
	statetest.CheckHistories(t, s, steps)
}

// TestBigBatch applies, while small batches change the same resources, a
// batch naming more resources than maxResourceLocks (it takes the
// store-wide lock instead).
func TestBigBatch(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	const resources = maxResourceLocks + 100
	all := statetest.BenchSteps(0, 3*resources, resources) // a creation of each, then two changes
	big, small := all[:2*resources], all[2*resources:]
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() {
		if _, err := s.Apply(t.Context(), big); err != nil {
			errs <- err
		}
	})
	wg.Go(func() {
		for i := len(small) - 1; i >= 0; i -= 10 { // late, out of order
			if _, err := s.Apply(t.Context(), small[max(i-9, 0):i+1]); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	statetest.CheckHistories(t, s, all)
}

// TestTwoWriters has two stores (two processes, say) on one schema write in
// turns, then one of them a late step: each sees what the other wrote.
func TestTwoWriters(t *testing.T) {
	a := openFresh(t)
	defer a.Close()
	b, err := Open(t.Context(), testDSN(t), WithSchema(a.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	statetest.TwoWriters(t, a, b)
}

// BenchmarkApply applies batches of 500 new steps, in order, spread over
// 10,000 resources, so that each resource's history stays short.
func BenchmarkApply(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	statetest.BenchApply(b, s, 500, 10000, false)
}

// BenchmarkApplyUpdates applies batches of 500 new steps, in order, to
// 10,000 resources that already exist: every resource is extended from
// its current revision (BenchmarkApply mostly measures creations).
func BenchmarkApplyUpdates(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	statetest.BenchApply(b, s, 500, 10000, true)
}

// BenchmarkApplyScanBatch applies batches of 5,000 new steps (what a scan
// hands over at most per transaction) spread over 10,000 resources: more
// than maxResourceLocks, so each takes the store-wide lock.
func BenchmarkApplyScanBatch(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	statetest.BenchApply(b, s, 5000, 10000, false)
}

// BenchmarkAtMillion looks up random resources at random times among 1,000
// resources of 1,000 revisions each: state at time T over 1M revisions. The
// revisions are written straight into the table; At reads nothing else.
func BenchmarkAtMillion(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	ctx := context.Background()
	const resources, per = 1000, 1000
	_, err := s.pool.Exec(ctx, `INSERT INTO revisions (resource_key, number, event_time, event_id, provenance, state, diff, deleted)
		SELECT format('111111111111/us-east-1/AWS::EC2::Instance/i-%s', lpad((i % $2)::text, 6, '0')), i / $2 + 1, $3::bigint + i::bigint * 1000000000,
			format('ev-%s', lpad(i::text, 9, '0')),
			jsonb_build_object('eventId', format('ev-%s', lpad(i::text, 9, '0')), 'eventName', 'E', 'eventTime', '2023-07-10T00:00:00Z', 'actor', 'a'),
			jsonb_build_object('type', 't3.micro', 'tags', jsonb_build_object('n', i)), '[]', false
		FROM generate_series(0, $1 - 1) AS i`, resources*per, resources, statetest.T0.UnixNano())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE revisions`); err != nil {
		b.Fatal(err)
	}
	statetest.BenchAt(b, s, resources, resources*per, true)
}

// BenchmarkAt looks up random resources at random times among 1,000
// resources of 10 revisions each.
func BenchmarkAt(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	statetest.BenchAt(b, s, 1000, 10000, false)
}

// BenchmarkAtParallel is BenchmarkAt from GOMAXPROCS goroutines: the pool's
// throughput.
func BenchmarkAtParallel(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	ctx := context.Background()
	const resources, total = 1000, 10000
	for i := 0; i < total; i += 500 {
		if _, err := s.Apply(ctx, statetest.BenchSteps(i, 500, resources)); err != nil {
			b.Fatal(err)
		}
	}
	t0 := statetest.T0
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			k := (n * 7919) % total
			id := state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: fmt.Sprintf("i-%06d", k%resources)}
			if _, err := s.At(ctx, id, t0.Add(time.Duration(k)*time.Second)); err != nil {
				b.Error(err)
				return
			}
			n++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
}

// BenchmarkApplyHot applies one new step at a time to a resource that
// already has 2,000: the cost of a long history.
func BenchmarkApplyHot(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	statetest.BenchApplyHot(b, s, 2000)
}
