package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/trailwarden/trailwarden/internal/finding"
)

const (
	// insertFinding skips an id already stored, including one stored earlier
	// in the same transaction.
	insertFinding = `INSERT INTO findings
		(id, rule_id, severity, event_id, event_time, account, region, detected_at, body, event)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	insertOutbox = `INSERT INTO outbox (seq, queued_at) VALUES (?, ?)`
)

// AddFindings stores, in one transaction, every finding of fs whose ID is not
// stored yet, and queues each of them in the outbox. It returns those fresh
// findings, in the order of fs: the ones to hand to the outputs. A finding
// already stored (an event read twice) and a repeat of an ID within fs are
// left out, so the outputs see each finding once.
//
// Either every fresh finding is stored and queued, or, on error, none is.
// A nil finding, an empty ID, a severity out of range, a raw Event that is not
// JSON, or a finding that otherwise does not encode, fails the whole call
// before anything is written: such a finding could never be delivered, and
// would block the outbox. The raw Event is stored unchanged, byte for byte.
// The returned findings are elements of fs, not copies.
func (s *SQLite) AddFindings(ctx context.Context, fs []*finding.Finding) (fresh []*finding.Finding, err error) {
	if len(fs) == 0 {
		return nil, nil
	}
	// Encode before taking the write lock, so concurrent callers overlap it.
	bodies, err := encodeAll(fs)
	if err != nil {
		return nil, fmt.Errorf("add findings: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("add findings: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if fresh, err = s.insertFindings(ctx, tx, fs, bodies); err != nil {
		return nil, fmt.Errorf("add findings: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("add findings: %w", err)
	}
	return fresh, nil
}

// encodeAll encodes every finding of fs (see encode).
func encodeAll(fs []*finding.Finding) ([]string, error) {
	bodies := make([]string, len(fs))
	for i, f := range fs {
		var err error
		if bodies[i], err = encode(f); err != nil {
			return nil, fmt.Errorf("finding %d: %w", i, err)
		}
	}
	return bodies, nil
}

// insertFindings stores, in tx, the findings of fs not stored yet, with
// their encoded bodies, queues them in the outbox and returns them.
func (s *SQLite) insertFindings(ctx context.Context, tx *sql.Tx, fs []*finding.Finding, bodies []string) (fresh []*finding.Finding, err error) {
	ins, err := tx.PrepareContext(ctx, insertFinding)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	queue, err := tx.PrepareContext(ctx, insertOutbox)
	if err != nil {
		return nil, err
	}
	defer queue.Close()

	queuedAt := nanos(s.now())
	for i, f := range fs {
		var event any // NULL for no raw event
		if f.Event != nil {
			event = string(f.Event)
		}
		res, err := ins.ExecContext(ctx, f.ID, f.RuleID, int64(f.Severity), f.EventID,
			nanos(f.EventTime), f.Account, f.Region, nanos(f.DetectedAt), bodies[i], event)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("%s: %w", f.ID, err)
		} else if n == 0 {
			continue // stored before, or earlier in fs
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.ID, err)
		}
		if _, err := queue.ExecContext(ctx, seq, queuedAt); err != nil {
			return nil, fmt.Errorf("queue %s: %w", f.ID, err)
		}
		fresh = append(fresh, f)
	}
	return fresh, nil
}

// encode checks f and returns its JSON without the raw event, which is stored
// apart, as given. What is stored must decode, and encode again for the
// outputs: a finding in the outbox that could not would block it.
func encode(f *finding.Finding) (string, error) {
	switch {
	case f == nil:
		return "", errors.New("nil finding")
	case f.ID == "":
		return "", errors.New("empty id")
	case f.Severity < finding.Info || f.Severity > finding.Critical:
		return "", fmt.Errorf("%s: %v out of range", f.ID, f.Severity)
	case f.Event != nil && !f.EventValidated && !json.Valid(f.Event):
		return "", fmt.Errorf("%s: raw event is not valid JSON", f.ID)
	}
	b, err := finding.MarshalHead(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.ID, err)
	}
	return string(b), nil
}
