package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Stamp identifies what a file was when it was processed, and under which
// rules. A file is read again when any of it changes.
type Stamp struct {
	// Size is the file's size in bytes.
	Size int64
	// ModTime is the file's modification time, compared to the nanosecond.
	ModTime time.Time
	// Ruleset is a fingerprint of the loaded rules: when the rules change,
	// every file must be read again.
	Ruleset string
}

// Done reports whether origin was processed as it is now: a checkpoint exists
// for it with the same size, modification time and ruleset as s.
func (s *SQLite) Done(ctx context.Context, origin string, st Stamp) (bool, error) {
	var size, modTime int64
	var ruleset string
	err := s.r.QueryRowContext(ctx, `SELECT size, mod_time, ruleset FROM checkpoints WHERE origin = ?`, origin).
		Scan(&size, &modTime, &ruleset)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read checkpoint %s: %w", origin, err)
	}
	return size == st.Size && modTime == nanos(st.ModTime) && ruleset == st.Ruleset, nil
}

// checkpointUpsert records a checkpoint: origin, size, mod_time, ruleset,
// events, processed_at.
const checkpointUpsert = `INSERT INTO checkpoints
	(origin, size, mod_time, ruleset, events, processed_at) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (origin) DO UPDATE SET
		size = excluded.size, mod_time = excluded.mod_time, ruleset = excluded.ruleset,
		events = excluded.events, processed_at = excluded.processed_at`

// Checkpoint records that origin, as st describes it, has been processed and
// yielded events events. Call it only once the file's findings are stored
// (AddFindings returned), so that a crash in between means reading the file
// again, which the findings' ids make harmless.
func (s *SQLite) Checkpoint(ctx context.Context, origin string, st Stamp, events int) error {
	_, err := s.w.ExecContext(ctx, checkpointUpsert, origin, st.Size, nanos(st.ModTime), st.Ruleset, events, nanos(s.now()))
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", origin, err)
	}
	return nil
}

// Ack acknowledges one delivery read to its end: its checkpoint and, when
// its key tells its account and region, its delivery coverage.
type Ack struct {
	Origin   string
	Stamp    Stamp
	Events   int
	Coverage *FileCoverage
	// NoCheckpoint records the coverage only (a delivery read with an
	// error is read again next time).
	NoCheckpoint bool
}

// Acknowledge records acks in one transaction: all or, with an error, none.
// It does what Checkpoint and RecordFile do for each, at the cost of one
// commit for the lot.
func (s *SQLite) Acknowledge(ctx context.Context, acks []Ack) error {
	if len(acks) == 0 {
		return nil
	}
	for _, a := range acks {
		if a.Coverage != nil {
			if err := checkFileCoverage(*a.Coverage); err != nil {
				return fmt.Errorf("record coverage of %s: %w", a.Origin, err)
			}
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	now := nanos(s.now())
	for _, a := range acks {
		if a.Coverage != nil {
			if err := recordFileTx(ctx, tx, *a.Coverage, now); err != nil {
				return fmt.Errorf("record coverage of %s: %w", a.Origin, err)
			}
		}
		if a.NoCheckpoint {
			continue
		}
		if _, err := tx.ExecContext(ctx, checkpointUpsert, a.Origin, a.Stamp.Size, nanos(a.Stamp.ModTime), a.Stamp.Ruleset, a.Events, now); err != nil {
			return fmt.Errorf("checkpoint %s: %w", a.Origin, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	return nil
}
