package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// FindingQuery selects stored findings. Its zero value selects the
// DefaultLimit newest findings; each field set narrows the selection.
type FindingQuery struct {
	// MinSeverity keeps findings at least this severe. Info, the zero value,
	// keeps all.
	MinSeverity finding.Severity
	// RuleID keeps the findings of this rule only.
	RuleID string
	// Account keeps the findings in this AWS account only.
	Account string
	// Since keeps findings whose event happened at or after Since.
	Since time.Time
	// Until keeps findings whose event happened before Until.
	Until time.Time
	// Limit is the most findings returned; 0 means DefaultLimit.
	Limit int
}

// Findings returns the findings selected by q, newest event first (ties in
// id order).
func (s *SQLite) Findings(ctx context.Context, q FindingQuery) ([]*finding.Finding, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("query findings: negative limit %d", q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	var where []string
	var args []any
	if q.MinSeverity > finding.Info {
		where = append(where, "severity >= ?")
		args = append(args, int64(q.MinSeverity))
	}
	if q.RuleID != "" {
		where = append(where, "rule_id = ?")
		args = append(args, q.RuleID)
	}
	if q.Account != "" {
		where = append(where, "account = ?")
		args = append(args, q.Account)
	}
	if !q.Since.IsZero() {
		where = append(where, "event_time >= ?")
		args = append(args, nanos(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "event_time < ?")
		args = append(args, nanos(q.Until))
	}
	var sb strings.Builder
	sb.WriteString("SELECT body, event FROM findings")
	if len(where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(where, " AND "))
	}
	sb.WriteString(" ORDER BY event_time DESC, id DESC LIMIT ?")
	args = append(args, q.Limit)

	fs, err := s.query(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("query findings: %w", err)
	}
	return fs, nil
}

// CountBySeverity returns how many findings are stored at each severity.
// A severity with none is absent from the map, which reads as 0.
func (s *SQLite) CountBySeverity(ctx context.Context) (map[finding.Severity]int, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT severity, count(*) FROM findings GROUP BY severity")
	if err != nil {
		return nil, fmt.Errorf("count by severity: %w", err)
	}
	defer rows.Close()
	counts := make(map[finding.Severity]int)
	for rows.Next() {
		var sev, n int
		if err := rows.Scan(&sev, &n); err != nil {
			return nil, fmt.Errorf("count by severity: %w", err)
		}
		counts[finding.Severity(sev)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count by severity: %w", err)
	}
	return counts, nil
}
