package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Apply records steps in one transaction and refolds every resource that
// got a new step. A step is stored once per resource its changes or targets
// name; a step naming none is ignored, as FoldAll ignores it.
func (s *Store) Apply(ctx context.Context, steps []state.Step) error {
	if len(steps) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	ins, err := tx.PrepareContext(ctx, `INSERT INTO steps (event_id, resource_key, event_time, provenance, changes, targets)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, resource_key) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	defer ins.Close()
	dirty := map[string]state.ResourceID{}
	for i := range steps {
		st := &steps[i]
		ids := named(st)
		if len(ids) == 0 {
			continue
		}
		prov, err := json.Marshal(st.Provenance)
		if err != nil {
			return fmt.Errorf("apply: event %s: %w", st.Provenance.EventID, err)
		}
		changes, err := json.Marshal(st.Changes)
		if err != nil {
			return fmt.Errorf("apply: event %s: %w", st.Provenance.EventID, err)
		}
		targets, err := json.Marshal(st.Targets)
		if err != nil {
			return fmt.Errorf("apply: event %s: %w", st.Provenance.EventID, err)
		}
		for _, id := range ids {
			res, err := ins.ExecContext(ctx, st.Provenance.EventID, id.Key(), nanos(st.Provenance.EventTime), string(prov), string(changes), string(targets))
			if err != nil {
				return fmt.Errorf("apply: event %s: %w", st.Provenance.EventID, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				dirty[id.Key()] = id
			}
		}
	}
	keys := make([]string, 0, len(dirty))
	for k := range dirty {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return nil // nothing new: all duplicates
	}
	rf, err := prepareRefold(ctx, tx)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	defer rf.close()
	for _, k := range keys {
		if err := rf.refold(ctx, dirty[k]); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

// named returns the resources st names, each once, ARN cleared, in order of
// first mention (changes, then targets), as FoldAll groups them.
func named(st *state.Step) []state.ResourceID {
	var out []state.ResourceID
	seen := map[string]bool{}
	add := func(id state.ResourceID) {
		if k := id.Key(); !seen[k] {
			seen[k] = true
			id.ARN = ""
			out = append(out, id)
		}
	}
	for _, c := range st.Changes {
		add(c.Resource)
	}
	for _, t := range st.Targets {
		add(t)
	}
	return out
}

// loadSteps returns the stored steps of the resource with key k.
func loadSteps(ctx context.Context, db *sql.DB, k string) ([]state.Step, error) {
	rows, err := db.QueryContext(ctx, `SELECT provenance, changes, targets FROM steps WHERE resource_key = ?`, k)
	if err != nil {
		return nil, err
	}
	return scanSteps(rows, k)
}

// scanSteps reads rows of (provenance, changes, targets) and closes them.
func scanSteps(rows *sql.Rows, k string) ([]state.Step, error) {
	defer rows.Close()
	var out []state.Step
	for rows.Next() {
		var prov, changes, targets []byte
		if err := rows.Scan(&prov, &changes, &targets); err != nil {
			return nil, err
		}
		var st state.Step
		if err := unmarshal(prov, &st.Provenance); err != nil {
			return nil, fmt.Errorf("step of %s: provenance: %w", k, err)
		}
		if err := unmarshal(changes, &st.Changes); err != nil {
			return nil, fmt.Errorf("step %s of %s: changes: %w", st.Provenance.EventID, k, err)
		}
		if err := unmarshal(targets, &st.Targets); err != nil {
			return nil, fmt.Errorf("step %s of %s: targets: %w", st.Provenance.EventID, k, err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// refolder holds the statements of refold, prepared once per transaction.
type refolder struct {
	steps, delRevs, insRev, upsertRes, delRes *sql.Stmt
}

func prepareRefold(ctx context.Context, tx *sql.Tx) (*refolder, error) {
	rf := &refolder{}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&rf.steps, `SELECT provenance, changes, targets FROM steps WHERE resource_key = ?`},
		{&rf.delRevs, `DELETE FROM revisions WHERE resource_key = ?`},
		{&rf.insRev, `INSERT INTO revisions (resource_key, number, event_time, event_id, provenance, state, diff, deleted)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&rf.upsertRes, `INSERT INTO resources (resource_key, account, region, type, id, arn, revision, updated, deleted)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (resource_key) DO UPDATE SET arn = excluded.arn, revision = excluded.revision,
				updated = excluded.updated, deleted = excluded.deleted`},
		{&rf.delRes, `DELETE FROM resources WHERE resource_key = ?`},
	} {
		st, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			rf.close()
			return nil, err
		}
		*p.st = st
	}
	return rf, nil
}

func (rf *refolder) close() {
	for _, st := range []*sql.Stmt{rf.steps, rf.delRevs, rf.insRev, rf.upsertRes, rf.delRes} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// refold folds all the stored steps of id and rewrites its revisions and
// summary.
func (rf *refolder) refold(ctx context.Context, id state.ResourceID) error {
	k := id.Key()
	rows, err := rf.steps.QueryContext(ctx, k)
	if err != nil {
		return err
	}
	steps, err := scanSteps(rows, k)
	if err != nil {
		return err
	}
	h, err := state.Fold(id, steps)
	if err != nil {
		return err
	}
	if _, err := rf.delRevs.ExecContext(ctx, k); err != nil {
		return err
	}
	for _, r := range h.Revisions {
		prov, err := json.Marshal(r.Provenance)
		if err != nil {
			return err
		}
		st, err := json.Marshal(r.State)
		if err != nil {
			return fmt.Errorf("%s revision %d: %w", k, r.Number, err)
		}
		diff, err := json.Marshal(r.Diff)
		if err != nil {
			return fmt.Errorf("%s revision %d: %w", k, r.Number, err)
		}
		if _, err := rf.insRev.ExecContext(ctx, k, r.Number, nanos(r.Provenance.EventTime), r.Provenance.EventID, string(prov), string(st), string(diff), r.Deleted); err != nil {
			return err
		}
	}
	cur := h.Current()
	if cur == nil {
		_, err := rf.delRes.ExecContext(ctx, k)
		return err
	}
	_, err = rf.upsertRes.ExecContext(ctx, k, id.Account, id.Region, id.Type, id.ID, h.Resource.ARN, cur.Number, nanos(cur.Provenance.EventTime), cur.Deleted)
	return err
}
