package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// History folds the stored steps of id.
func (s *Store) History(ctx context.Context, id state.ResourceID) (*state.History, error) {
	id.ARN = ""
	steps, err := loadSteps(ctx, s.r, id.Key())
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", id, err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("history %s: %w", id, state.ErrNotFound)
	}
	h, err := state.Fold(id, steps)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", id, err)
	}
	return &h, nil
}

// atQuery reads the revision of a resource in force at a time.
const atQuery = `SELECT number, provenance, state, diff, deleted FROM revisions
	WHERE resource_key = ? AND event_time <= ? ORDER BY event_time DESC, number DESC LIMIT 1`

// At reads the materialised revision of id in force at t.
func (s *Store) At(ctx context.Context, id state.ResourceID, t time.Time) (*state.Revision, error) {
	at := int64(math.MaxInt64)
	if !t.IsZero() {
		at = nanos(t)
	}
	var r state.Revision
	var prov, st, diff []byte
	err := s.at.QueryRowContext(ctx, id.Key(), at).
		Scan(&r.Number, &prov, &st, &diff, &r.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
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
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.IncludeDeleted {
		where = append(where, "deleted = 0")
	}
	q := `SELECT account, region, type, id, arn, revision, updated, deleted FROM resources`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY resource_key"
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	out := []state.ResourceSummary{}
	for rows.Next() {
		var r state.ResourceSummary
		var updated int64
		if err := rows.Scan(&r.Resource.Account, &r.Resource.Region, &r.Resource.Type, &r.Resource.ID, &r.Resource.ARN,
			&r.Revision, &updated, &r.Deleted); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		r.Updated = time.Unix(0, updated).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
}

// States reads in one query the state documents at time at (zero: now) of
// the resources f matches that were live then (state.StateLister).
func (s *Store) States(ctx context.Context, f state.Filter, at time.Time, limit int) ([][]byte, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"r.type", f.Type}, {"r.account", f.Account}, {"r.region", f.Region}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	var q string
	if at.IsZero() {
		// now: the current revision of each live resource, by its summary
		q = `SELECT v.state FROM resources r JOIN revisions v
			ON v.resource_key = r.resource_key AND v.event_time = r.updated AND v.number = r.revision
			WHERE ` + strings.Join(append(where, "r.deleted = 0"), " AND ") + ` ORDER BY r.resource_key LIMIT ?`
	} else {
		// then: each resource's last revision by that time, unless a tombstone
		where = append(where, "v.event_time <= ?")
		args = append(args, nanos(at))
		q = `SELECT state FROM (SELECT v.resource_key, v.state, v.deleted,
				row_number() OVER (PARTITION BY v.resource_key ORDER BY v.event_time DESC, v.number DESC) AS rn
			FROM resources r JOIN revisions v ON v.resource_key = r.resource_key
			WHERE ` + strings.Join(where, " AND ") + `)
			WHERE rn = 1 AND deleted = 0 ORDER BY resource_key LIMIT ?`
	}
	rows, err := s.r.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("states: %w", err)
	}
	defer rows.Close()
	out := [][]byte{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("states: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("states: %w", err)
	}
	return out, nil
}
