package pgstate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailwarden/trailwarden/internal/state"
)

// History folds the stored steps of id.
func (s *Store) History(ctx context.Context, id state.ResourceID) (*state.History, error) {
	id.ARN = ""
	k := id.Key()
	steps, err := loadSteps(ctx, s.pool, []string{k})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", id, err)
	}
	if len(steps[k]) == 0 {
		return nil, fmt.Errorf("history %s: %w", id, state.ErrNotFound)
	}
	h, err := state.Fold(id, steps[k])
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", id, err)
	}
	return &h, nil
}

// atQuery reads the revision of a resource in force at a time. Revision
// numbers follow event times, so the last by (event_time, number) is the
// last by number, and the index answers it directly.
const atQuery = `SELECT number, provenance, state, diff, deleted FROM revisions
	WHERE resource_key = $1 AND event_time <= $2 ORDER BY event_time DESC, number DESC LIMIT 1`

// At reads the materialised revision of id in force at t.
func (s *Store) At(ctx context.Context, id state.ResourceID, t time.Time) (*state.Revision, error) {
	at := int64(math.MaxInt64)
	if !t.IsZero() {
		at = nanos(t)
	}
	var r state.Revision
	var prov, st, diff []byte
	err := s.pool.QueryRow(ctx, atQuery, id.Key(), at).Scan(&r.Number, &prov, &st, &diff, &r.Deleted)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s at %s: %w", id, t.Format(time.RFC3339), state.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", id, t.Format(time.RFC3339), err)
	}
	if err := decodeRevision(&r, prov, st, diff); err != nil {
		return nil, fmt.Errorf("%s revision %d: %w", id, r.Number, err)
	}
	return &r, nil
}

// List reads the resources table.
func (s *Store) List(ctx context.Context, f state.Filter) ([]state.ResourceSummary, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"type", f.Type}, {"account", f.Account}, {"region", f.Region}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, c.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	if !f.IncludeDeleted {
		where = append(where, "NOT deleted")
	}
	q := `SELECT account, region, type, id, arn, revision, updated, deleted FROM resources`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY resource_key"
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	out := []state.ResourceSummary{}
	var r state.ResourceSummary
	var updated int64
	_, err = pgx.ForEachRow(rows, []any{&r.Resource.Account, &r.Resource.Region, &r.Resource.Type, &r.Resource.ID, &r.Resource.ARN,
		&r.Revision, &updated, &r.Deleted}, func() error {
		r.Updated = time.Unix(0, updated).UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
}
