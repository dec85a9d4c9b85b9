package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// MarkDelivered removes the findings named by ids from the outbox, once every
// output has accepted them. The findings stay stored. Ids not in the outbox
// are ignored, so it is idempotent. However many ids, it is one statement:
// they are passed as one JSON array.
func (s *SQLite) MarkDelivered(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE seq IN
		(SELECT seq FROM findings WHERE id IN (SELECT value FROM json_each(?)))`, string(list)); err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	return nil
}

// DefaultLimit is the number of findings Pending and Findings return when
// asked for 0.
const DefaultLimit = 100

// Pending returns up to limit findings still in the outbox (DefaultLimit when
// limit is 0), oldest first. After a crash they are sent again. A finding
// being delivered right now is pending too, so a caller that dispatches both
// fresh and pending findings may send one twice, which outputs tolerate.
func (s *SQLite) Pending(ctx context.Context, limit int) ([]*finding.Finding, error) {
	if limit < 0 {
		return nil, fmt.Errorf("pending findings: negative limit %d", limit)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	fs, err := s.query(ctx, `SELECT f.body, f.event FROM outbox o JOIN findings f ON f.seq = o.seq
		ORDER BY o.seq LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("pending findings: %w", err)
	}
	return fs, nil
}

// query runs on the read pool a query of findings' body and event, and
// decodes them.
func (s *SQLite) query(ctx context.Context, q string, args ...any) ([]*finding.Finding, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fs []*finding.Finding
	for rows.Next() {
		var body, event []byte
		if err := rows.Scan(&body, &event); err != nil {
			return nil, err
		}
		f := new(finding.Finding)
		if err := json.Unmarshal(body, f); err != nil {
			return nil, fmt.Errorf("decode stored finding: %w", err)
		}
		f.Event = event
		fs = append(fs, f)
	}
	return fs, rows.Err()
}
