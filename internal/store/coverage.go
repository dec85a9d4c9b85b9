package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/trailwarden/trailwarden/internal/coverage"
	"github.com/trailwarden/trailwarden/internal/finding"
)

// FileCoverage is what one CloudTrail log file, delivered in the AWS key
// layout, says about its account × region.
type FileCoverage struct {
	// Origin identifies the file across runs: its checkpoint key.
	Origin string
	// Account and Region are the cell the file was delivered to, from its key.
	Account, Region string
	// Oldest and Newest are its events' earliest and latest eventTime; both
	// zero when it held no events.
	Oldest, Newest time.Time
	// Events counts its events.
	Events int
}

var _ coverage.Source = (*SQLite)(nil)

// RecordFile records fc and counts it in its cell, in one transaction, with
// the time it was processed (now). Recording an origin again replaces what
// was recorded of it, so reading a file twice counts it once. An origin
// always belongs to the same cell (the cell comes from its key): recording
// it under another is an error.
func (s *SQLite) RecordFile(ctx context.Context, fc FileCoverage) error {
	if err := s.recordFile(ctx, fc); err != nil {
		return fmt.Errorf("record coverage of %s: %w", fc.Origin, err)
	}
	return nil
}

func (s *SQLite) recordFile(ctx context.Context, fc FileCoverage) error {
	if err := checkFileCoverage(fc); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := recordFileTx(ctx, tx, fc, nanos(s.now())); err != nil {
		return err
	}
	return tx.Commit()
}

// checkFileCoverage refuses an incomplete or inconsistent fc.
func checkFileCoverage(fc FileCoverage) error {
	switch {
	case fc.Origin == "" || fc.Account == "" || fc.Region == "":
		return errors.New("origin, account and region are required")
	case fc.Events < 0:
		return fmt.Errorf("negative event count %d", fc.Events)
	case fc.Oldest.IsZero() != fc.Newest.IsZero():
		return errors.New("oldest and newest event times must both be set, or neither")
	case fc.Newest.Before(fc.Oldest):
		return fmt.Errorf("newest event %s is before the oldest %s", fc.Newest, fc.Oldest)
	}
	return nil
}

// recordFileTx records a checked fc in tx.
func recordFileTx(ctx context.Context, tx *sql.Tx, fc FileCoverage, now int64) error {
	var oldest, newest any // NULL for a file without events
	if !fc.Oldest.IsZero() {
		oldest, newest = nanos(fc.Oldest), nanos(fc.Newest)
	}
	var account, region string
	err := tx.QueryRowContext(ctx, `SELECT account, region FROM coverage_files WHERE origin = ?`, fc.Origin).Scan(&account, &region)
	again := err == nil
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case account != fc.Account || region != fc.Region:
		return fmt.Errorf("recorded before under %s/%s, not %s/%s", account, region, fc.Account, fc.Region)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO coverage_files
		(origin, account, region, oldest, newest, events, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (origin) DO UPDATE SET
			oldest = excluded.oldest, newest = excluded.newest,
			events = excluded.events, processed_at = excluded.processed_at`,
		fc.Origin, fc.Account, fc.Region, oldest, newest, fc.Events, now); err != nil {
		return err
	}
	if again {
		// What the file said before is gone from its cell: sum the cell up
		// again (rare: a rescan, or a file read again after an error).
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO coverage_cells
			(account, region, first_event, last_event, files, events, last_file_at)
			SELECT account, region, min(oldest), max(newest), count(*), sum(events), max(processed_at)
			FROM coverage_files WHERE account = ? AND region = ? GROUP BY account, region`,
			fc.Account, fc.Region)
	} else {
		// min() and max() of SQLite are NULL when either side is: coalesce
		// keeps the side that is set.
		_, err = tx.ExecContext(ctx, `INSERT INTO coverage_cells
			(account, region, first_event, last_event, files, events, last_file_at) VALUES (?, ?, ?, ?, 1, ?, ?)
			ON CONFLICT (account, region) DO UPDATE SET
				first_event  = coalesce(min(first_event, excluded.first_event), first_event, excluded.first_event),
				last_event   = coalesce(max(last_event, excluded.last_event), last_event, excluded.last_event),
				files        = files + 1,
				events       = events + excluded.events,
				last_file_at = max(last_file_at, excluded.last_file_at)`,
			fc.Account, fc.Region, oldest, newest, fc.Events, now)
	}
	return err
}

// Coverage returns every account × region a log file was recorded for,
// sorted by account, then region.
func (s *SQLite) Coverage(ctx context.Context) ([]coverage.Cell, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT account, region, first_event, last_event, files, events, last_file_at
		FROM coverage_cells ORDER BY account, region`)
	if err != nil {
		return nil, fmt.Errorf("read coverage: %w", err)
	}
	defer rows.Close()
	var cells []coverage.Cell
	for rows.Next() {
		var c coverage.Cell
		var first, last sql.NullInt64
		var lastFile int64
		if err := rows.Scan(&c.Account, &c.Region, &first, &last, &c.Files, &c.Events, &lastFile); err != nil {
			return nil, fmt.Errorf("read coverage: %w", err)
		}
		c.First, c.Last, c.LastFile = fromNull(first), fromNull(last), fromNanos(lastFile)
		cells = append(cells, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read coverage: %w", err)
	}
	return cells, nil
}

// FileSpans returns the event-time spans of the log files recorded for k
// that held events, oldest first.
func (s *SQLite) FileSpans(ctx context.Context, k coverage.Key) ([]coverage.Span, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT oldest, newest FROM coverage_files
		WHERE account = ? AND region = ? AND oldest IS NOT NULL ORDER BY oldest, newest`, k.Account, k.Region)
	if err != nil {
		return nil, fmt.Errorf("read coverage of %s: %w", k, err)
	}
	defer rows.Close()
	var spans []coverage.Span
	for rows.Next() {
		var oldest, newest int64
		if err := rows.Scan(&oldest, &newest); err != nil {
			return nil, fmt.Errorf("read coverage of %s: %w", k, err)
		}
		spans = append(spans, coverage.Span{Start: fromNanos(oldest), End: fromNanos(newest)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read coverage of %s: %w", k, err)
	}
	return spans, nil
}

// SilenceFinding is a silence found in a cell and the finding that reports it.
type SilenceFinding struct {
	Silence coverage.Silence
	Finding *finding.Finding
}

// ReportedSilence is a silence that was reported as a finding.
type ReportedSilence struct {
	coverage.Silence
	FindingID  string
	ReportedAt time.Time
}

// AddSilences stores, in one transaction, each silence of ss that overlaps
// no silence stored before for its cell (nor one before it in ss), with its
// finding, queued in the outbox as AddFindings does. It returns those
// findings, in the order of ss: the ones to hand to the outputs. A silence
// that overlaps a stored one was reported already, as it stood then (say,
// an open silence since grown, or one that files read later have cut in
// two), and is left out. A finding that AddFindings would refuse fails the
// whole call before anything is written.
func (s *SQLite) AddSilences(ctx context.Context, ss []SilenceFinding) ([]*finding.Finding, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	fs := make([]*finding.Finding, len(ss))
	for i, sf := range ss {
		fs[i] = sf.Finding
	}
	bodies, err := encodeAll(fs)
	if err != nil {
		return nil, fmt.Errorf("add silences: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("add silences: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	now := nanos(s.now())
	var newFs []*finding.Finding
	var newBodies []string
	for i, sf := range ss {
		si := sf.Silence
		var known int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM coverage_silences
			WHERE account = ? AND region = ? AND silent_from <= ? AND silent_until >= ?`,
			si.Account, si.Region, nanos(si.End), nanos(si.Start)).Scan(&known)
		if err != nil {
			return nil, fmt.Errorf("add silences: %s: %w", si, err)
		}
		if known > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO coverage_silences
			(account, region, silent_from, silent_until, open, finding_id, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			si.Account, si.Region, nanos(si.Start), nanos(si.End), si.Open, sf.Finding.ID, now); err != nil {
			return nil, fmt.Errorf("add silences: %s: %w", si, err)
		}
		newFs = append(newFs, sf.Finding)
		newBodies = append(newBodies, bodies[i])
	}
	fresh, err := s.insertFindings(ctx, tx, newFs, newBodies)
	if err != nil {
		return nil, fmt.Errorf("add silences: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("add silences: %w", err)
	}
	return fresh, nil
}

// Silences returns the silences reported so far, sorted by account, region
// and start.
func (s *SQLite) Silences(ctx context.Context) ([]ReportedSilence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT account, region, silent_from, silent_until, open, finding_id, reported_at
		FROM coverage_silences ORDER BY account, region, silent_from`)
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	defer rows.Close()
	var out []ReportedSilence
	for rows.Next() {
		var r ReportedSilence
		var from, until, reported int64
		if err := rows.Scan(&r.Account, &r.Region, &from, &until, &r.Open, &r.FindingID, &reported); err != nil {
			return nil, fmt.Errorf("read silences: %w", err)
		}
		r.Start, r.End, r.ReportedAt = fromNanos(from), fromNanos(until), fromNanos(reported)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	return out, nil
}

// fromNanos returns a stored time, in UTC.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// fromNull returns a stored time that may be NULL (the zero time).
func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}
