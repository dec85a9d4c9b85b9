package pgstate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Apply records steps in one transaction and refolds every resource that
// got a new step. A step is stored once per resource its changes or targets
// name; a step naming none is ignored, as FoldAll ignores it. A transaction
// the server aborts as a serialisation failure or deadlock is retried.
// jsonb cannot hold the character U+0000: a step or state with one in a
// string fails the whole Apply, and nothing is recorded.
func (s *Store) Apply(ctx context.Context, steps []state.Step) ([]state.Applied, error) {
	b, err := encodeSteps(steps)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if len(b.rows) == 0 {
		return nil, nil
	}
	b.store = lockID(s.schema, "store", "")
	if len(b.keys) <= maxResourceLocks {
		for i := range b.keys {
			b.locks = append(b.locks, lockID(s.schema, "resource", b.keys[i]))
		}
		slices.Sort(b.locks)
		b.locks = slices.Compact(b.locks)
	}
	var applied []state.Applied
	err = retry(ctx, func() error {
		var err error
		applied, err = s.apply(ctx, b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	return applied, nil
}

// batch is an Apply's steps, encoded once for every attempt.
type batch struct {
	rows  []stepRow
	keys  []string // the resource keys rows name, each once, sorted
	ids   map[string]state.ResourceID
	store int64   // the store-wide lock
	locks []int64 // the advisory locks of keys, sorted; nil to take store exclusively
}

// maxResourceLocks bounds the advisory locks one Apply takes, as each takes
// a slot of the server's shared lock table (max_locks_per_transaction ×
// max_connections slots in all, 6,400 by default). Every Apply holds the
// store-wide lock: shared, with one lock per resource it names, or, when it
// names more than maxResourceLocks (a backfill, say), exclusive, alone.
const maxResourceLocks = 512

// stepRow is one row of the steps table: a step and one resource it names.
type stepRow struct {
	eventID, key           string
	time                   int64
	prov, changes, targets string
	stored                 *state.Step // the step as it reads back from the table
}

func encodeSteps(steps []state.Step) (*batch, error) {
	b := &batch{ids: map[string]state.ResourceID{}}
	seen := map[[2]string]bool{}
	for i := range steps {
		st := &steps[i]
		ids := st.Resources()
		if len(ids) == 0 {
			continue
		}
		prov, changes, targets, err := state.EncodeStep(st)
		if err != nil {
			return nil, err
		}
		stored, err := decodeStep(prov, changes, targets)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", st.Provenance.EventID, err)
		}
		for _, id := range ids {
			k := id.Key()
			if seen[[2]string{st.Provenance.EventID, k}] {
				continue // the first copy in the batch wins, as it would in the table
			}
			seen[[2]string{st.Provenance.EventID, k}] = true
			if _, ok := b.ids[k]; !ok {
				b.ids[k] = id
				b.keys = append(b.keys, k)
			}
			b.rows = append(b.rows, stepRow{
				eventID: st.Provenance.EventID, key: k, time: nanos(st.Provenance.EventTime),
				prov: string(prov), changes: string(changes), targets: string(targets), stored: stored,
			})
		}
	}
	slices.Sort(b.keys)
	return b, nil
}

// pending is what one Apply brings to one resource.
type pending struct {
	id        state.ResourceID
	before    int64 // the latest event time stored before this Apply
	hasBefore bool
	fresh     []state.Step // the steps newly stored, as they read back
}

// isFresh reports whether the event is one of p's new steps.
func (p *pending) isFresh(eventID string) bool {
	return slices.ContainsFunc(p.fresh, func(s state.Step) bool { return s.Provenance.EventID == eventID })
}

// extendable reports whether p's new steps all come after every step
// stored before, so that they can be folded onto the current revision.
func (p *pending) extendable() bool {
	return p.hasBefore && !slices.ContainsFunc(p.fresh, func(s state.Step) bool {
		return nanos(s.Provenance.EventTime) <= p.before || s.Provenance.EventID == ""
	})
}

// apply is one attempt of Apply: lock the resources b names, in a stable
// order; store the steps; refold the resources that got new ones. The
// statements go in three round trips besides BEGIN and COMMIT: lock and read
// the latest step times; insert the steps and read the current revisions of
// the resources that look extendable; write the revisions and summaries
// (with, when needed, a read of all the steps of the other resources
// before).
func (s *Store) apply(ctx context.Context, b *batch) ([]state.Applied, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	byKey := make(map[string]*pending, len(b.keys))
	for _, k := range b.keys {
		byKey[k] = &pending{id: b.ids[k]}
	}
	// Under READ COMMITTED each statement of the batch has its own
	// snapshot: the read of the latest steps, after the locks, sees every
	// step committed by their previous holders.
	lock := &pgx.Batch{}
	// The store-wide lock comes first; then unnest yields the sorted ids in
	// order, and the locks are taken in that order: no deadlock.
	if b.locks == nil {
		lock.Queue(`SELECT pg_advisory_xact_lock($1)`, b.store)
	} else {
		lock.Queue(`SELECT pg_advisory_xact_lock_shared($1)`, b.store)
		lock.Queue(`SELECT pg_advisory_xact_lock(x) FROM unnest($1::bigint[]) AS x`, b.locks)
	}
	lock.Queue(`SELECT k, t FROM unnest($1::text[]) AS k,
		LATERAL (SELECT max(event_time) AS t FROM steps WHERE resource_key = k) AS m WHERE t IS NOT NULL`, b.keys).
		Query(func(rows pgx.Rows) error {
			var k string
			var before int64
			_, err := pgx.ForEachRow(rows, []any{&k, &before}, func() error {
				byKey[k].before, byKey[k].hasBefore = before, true
				return nil
			})
			return err
		})
	if err := tx.SendBatch(ctx, lock).Close(); err != nil {
		return nil, fmt.Errorf("lock resources: %w", err)
	}
	cur, err := insertSteps(ctx, tx, b, byKey)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range b.keys {
		if len(byKey[k].fresh) > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil // nothing new: all duplicates
	}
	w := &writer{}
	applied, err := refold(ctx, tx, keys, byKey, cur, w)
	if err != nil {
		return nil, err
	}
	if err := w.flush(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return applied, nil
}

// insertSteps stores b's rows, skipping those already stored, and gives
// each resource its fresh steps in the order of b. In the same round trip
// it reads the current revisions of the resources whose rows in b all come
// after their stored steps: those that refold will likely extend.
func insertSteps(ctx context.Context, tx pgx.Tx, b *batch, byKey map[string]*pending) (map[string]*current, error) {
	n := len(b.rows)
	events, keys := make([]string, n), make([]string, n)
	times := make([]int64, n)
	provs, changes, targets := make([]string, n), make([]string, n), make([]string, n)
	late := map[string]bool{}
	for i, r := range b.rows {
		events[i], keys[i], times[i] = r.eventID, r.key, r.time
		provs[i], changes[i], targets[i] = r.prov, r.changes, r.targets
		if p := byKey[r.key]; !p.hasBefore || r.time <= p.before || r.eventID == "" {
			late[r.key] = true
		}
	}
	var ext []string
	for _, k := range b.keys {
		if !late[k] {
			ext = append(ext, k)
		}
	}
	bt := &pgx.Batch{}
	inserted := map[[2]string]bool{}
	bt.Queue(`INSERT INTO steps (event_id, resource_key, event_time, provenance, changes, targets)
		SELECT e, k, t, p::jsonb, c::json, g::json
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[]) AS u(e, k, t, p, c, g)
		ON CONFLICT (resource_key, event_id) DO NOTHING
		RETURNING event_id, resource_key`, events, keys, times, provs, changes, targets).
		Query(func(rows pgx.Rows) error {
			var e, k string
			_, err := pgx.ForEachRow(rows, []any{&e, &k}, func() error {
				inserted[[2]string{e, k}] = true
				return nil
			})
			return err
		})
	cur := map[string]*current{}
	if len(ext) > 0 {
		queueCurrent(bt, ext, cur)
	}
	if err := tx.SendBatch(ctx, bt).Close(); err != nil {
		return nil, fmt.Errorf("insert steps: %w", err)
	}
	for _, r := range b.rows {
		if inserted[[2]string{r.eventID, r.key}] {
			p := byKey[r.key]
			p.fresh = append(p.fresh, *r.stored)
		}
	}
	return cur, nil
}

// maxAttempts bounds the retries of an Apply the server aborted.
const maxAttempts = 8

// retry runs fn until it succeeds, fails with an error that retrying will
// not cure, or maxAttempts is reached, sleeping a capped, jittered
// exponential backoff between attempts.
func retry(ctx context.Context, fn func() error) error {
	wait := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// retryable reports whether err is a serialisation failure or a deadlock,
// or failed a statement before anything reached the server.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
}

// decodeStep decodes a step's columns as they read back from the table, so
// that a step folded on arrival holds the same values (json.Number) as one
// read back.
func decodeStep(prov, changes, targets []byte) (*state.Step, error) {
	var st state.Step
	if err := unmarshal(prov, &st.Provenance); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	if err := unmarshal(changes, &st.Changes); err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	if err := unmarshal(targets, &st.Targets); err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	return &st, nil
}
