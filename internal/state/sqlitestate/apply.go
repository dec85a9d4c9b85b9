package sqlitestate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Apply records steps in one transaction and refolds every resource that
// got a new step. A step is stored once per resource its changes or targets
// name; a step naming none is ignored, as FoldAll ignores it.
func (s *Store) Apply(ctx context.Context, steps []state.Step) ([]state.Applied, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	applied, err := s.apply(ctx, steps)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	return applied, nil
}

func (s *Store) apply(ctx context.Context, steps []state.Step) (_ []state.Applied, err error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// The tips cached by earlier Applies hold unless another connection
	// (another process) wrote since: data_version tells.
	var dv int64
	if err := tx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&dv); err != nil {
		return nil, err
	}
	if dv != s.dataVersion || len(s.tips) > maxTips {
		s.tips, s.dataVersion = map[string]*tip{}, dv
	}
	defer func() {
		if err != nil {
			s.tips = map[string]*tip{} // what was cached may not have been committed
		}
	}()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO steps (event_id, resource_key, event_time, provenance, changes, targets)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resource_key, event_id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	maxTime, err := tx.PrepareContext(ctx, `SELECT MAX(event_time) FROM steps WHERE resource_key = ?`)
	if err != nil {
		return nil, err
	}
	defer maxTime.Close()
	byKey := map[string]*pending{}
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
		var stored *state.Step // st as it reads back from the table
		for _, id := range ids {
			k := id.Key()
			p := byKey[k]
			if p == nil {
				p = &pending{id: id}
				if t := s.tips[k]; t != nil {
					p.tip = t
					p.before = sql.NullInt64{Int64: t.maxStep, Valid: true}
				} else if err := maxTime.QueryRowContext(ctx, k).Scan(&p.before); err != nil {
					return nil, err
				}
				byKey[k] = p
			}
			res, err := ins.ExecContext(ctx, st.Provenance.EventID, k, nanos(st.Provenance.EventTime), string(prov), string(changes), string(targets))
			if err != nil {
				return nil, fmt.Errorf("event %s: %w", st.Provenance.EventID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if stored == nil {
				// The changes as they read back (numbers as json.Number),
				// so that folding them on arrival gives what a fold of the
				// stored steps gives. Provenance and targets hold strings
				// and a UTC time, which read back equal: they are copied.
				stored = &state.Step{Provenance: st.Provenance, Targets: st.Targets}
				stored.Provenance.EventTime = stored.Provenance.EventTime.UTC()
				if err := unmarshal(changes, &stored.Changes); err != nil {
					return nil, fmt.Errorf("event %s: changes: %w", st.Provenance.EventID, err)
				}
			}
			p.fresh = append(p.fresh, *stored)
		}
	}
	keys := make([]string, 0, len(byKey))
	for k, p := range byKey {
		if len(p.fresh) > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return nil, nil // nothing new: all duplicates
	}
	rf, err := prepareRefold(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer rf.close()
	var applied []state.Applied
	tips := make(map[string]*tip, len(keys))
	for _, k := range keys {
		p := byKey[k]
		a, t, err := rf.refold(ctx, p)
		if err != nil {
			return nil, err
		}
		applied = append(applied, a...)
		t.maxStep = p.before.Int64
		for _, st := range p.fresh {
			t.maxStep = max(t.maxStep, nanos(st.Provenance.EventTime))
		}
		tips[k] = t
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	maps.Copy(s.tips, tips)
	return applied, nil
}

// pending is what one Apply brings to one resource.
type pending struct {
	id     state.ResourceID
	before sql.NullInt64 // the latest event time stored before this Apply
	fresh  []state.Step  // the steps newly stored, as they read back
	tip    *tip          // the cached tip, when there is one
}

// tip is what Apply needs of a resource to extend its history: the latest
// event time of its steps, its current revision (nil when none) and ARN.
// The Store caches the tips of the resources it wrote lately, so that
// events arriving in order need no query to find them.
type tip struct {
	maxStep int64
	last    *state.Revision
	arn     string
}

// maxTips bounds the tip cache; it is emptied when it grows past.
const maxTips = 100_000

// decodeStep decodes a step's columns as loadSteps does, so that a step
// folded on arrival holds the same values (json.Number) as one read back.
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
		st, err := decodeStep(prov, changes, targets)
		if err != nil {
			return nil, fmt.Errorf("step of %s: %w", k, err)
		}
		out = append(out, *st)
	}
	return out, rows.Err()
}

// refolder holds the statements of refold, prepared once per transaction.
type refolder struct {
	steps, delRevs, insRev, upsertRes, delRes, last *sql.Stmt
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
		{&rf.last, `SELECT v.number, v.event_time, v.provenance, v.state, v.diff, v.deleted, r.arn FROM revisions v JOIN resources r USING (resource_key)
			WHERE v.resource_key = ? ORDER BY v.event_time DESC, v.number DESC LIMIT 1`},
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
	for _, st := range []*sql.Stmt{rf.steps, rf.delRevs, rf.insRev, rf.upsertRes, rf.delRes, rf.last} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// refold brings the revisions and summary of p.id up to date with its new
// steps and returns what they did. When they all come after every step
// stored before (the usual case: events arrive roughly in order), only they
// are folded, onto the current revision; otherwise all its stored steps are
// folded again.
func (rf *refolder) refold(ctx context.Context, p *pending) ([]state.Applied, *tip, error) {
	id, k := p.id, p.id.Key()
	if p.before.Valid && !slices.ContainsFunc(p.fresh, func(s state.Step) bool {
		return nanos(s.Provenance.EventTime) <= p.before.Int64 || s.Provenance.EventID == ""
	}) {
		applied, t, err := rf.extend(ctx, p)
		if t != nil || err != nil {
			return applied, t, err
		}
	}
	steps := p.fresh // a new resource: its steps are all fresh
	if p.before.Valid {
		rows, err := rf.steps.QueryContext(ctx, k)
		if err != nil {
			return nil, nil, err
		}
		if steps, err = scanSteps(rows, k); err != nil {
			return nil, nil, err
		}
	}
	h, err := state.Fold(id, steps)
	if err != nil {
		return nil, nil, err
	}
	if _, err := rf.delRevs.ExecContext(ctx, k); err != nil {
		return nil, nil, err
	}
	if err := rf.write(ctx, id, h.Resource.ARN, h.Revisions); err != nil {
		return nil, nil, err
	}
	return state.AppliedIn(h.Resource, h.Revisions, nil, p.isFresh), &tip{last: h.Current(), arn: h.Resource.ARN}, nil
}

// isFresh reports whether the event is one of p's new steps.
func (p *pending) isFresh(eventID string) bool {
	return slices.ContainsFunc(p.fresh, func(s state.Step) bool { return s.Provenance.EventID == eventID })
}

// extend folds p.fresh onto the current revision, as Fold would after all
// the stored steps: a synthetic first step, earlier than every fresh one,
// restores the current state (or tombstone), and its revision is dropped.
// It reports false, having written nothing, when there is no revision yet.
func (rf *refolder) extend(ctx context.Context, p *pending) ([]state.Applied, *tip, error) {
	k := p.id.Key()
	var last *state.Revision
	var arn string
	if p.tip != nil {
		last, arn = p.tip.last, p.tip.arn
	} else {
		var r state.Revision
		var prov, st, diff []byte
		var at int64
		err := rf.last.QueryRowContext(ctx, k).Scan(&r.Number, &at, &prov, &st, &diff, &r.Deleted, &arn)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, err
		}
		if err == nil {
			if err := decodeRevision(&r, prov, st, diff); err != nil {
				return nil, nil, fmt.Errorf("%s revision %d: %w", k, r.Number, err)
			}
			last = &r
		}
	}
	if last == nil {
		return nil, nil, nil // no revision yet: fold everything
	}
	seed := state.Change{Resource: p.id, Op: state.OpDelete}
	if !last.Deleted {
		seed = state.Change{Resource: p.id, Op: state.OpPut, Value: last.State}
	}
	steps := append([]state.Step{{Provenance: state.Provenance{EventTime: last.Provenance.EventTime}, Changes: []state.Change{seed}}}, p.fresh...)
	h, err := state.Fold(p.id, steps)
	if err != nil {
		return nil, nil, err
	}
	if len(h.Revisions) == 0 || h.Revisions[0].Provenance.EventID != "" {
		return nil, nil, fmt.Errorf("%s: the seed of an extension did not fold first", k)
	}
	revs := h.Revisions[1:]
	for i := range revs {
		revs[i].Number += last.Number - 1
	}
	if arn == "" {
		arn = h.Resource.ARN
	}
	if len(revs) == 0 { // only no-ops and failed calls; they may tell the ARN
		_, err := rf.upsertRes.ExecContext(ctx, k, p.id.Account, p.id.Region, p.id.Type, p.id.ID, arn, last.Number, nanos(last.Provenance.EventTime), last.Deleted)
		return nil, &tip{last: last, arn: arn}, err
	}
	if err := rf.write(ctx, p.id, arn, revs); err != nil {
		return nil, nil, err
	}
	id := p.id
	id.ARN = arn
	return state.AppliedIn(id, revs, last, p.isFresh), &tip{last: &revs[len(revs)-1], arn: arn}, nil
}

// decodeRevision fills r from its stored columns, as At reads them.
func decodeRevision(r *state.Revision, prov, st, diff []byte) error {
	if err := unmarshal(prov, &r.Provenance); err != nil {
		return err
	}
	if err := unmarshal(st, &r.State); err != nil {
		return err
	}
	return unmarshal(diff, &r.Diff)
}

// write inserts revs and points the summary of id at the last one.
func (rf *refolder) write(ctx context.Context, id state.ResourceID, arn string, revs []state.Revision) error {
	k := id.Key()
	for _, r := range revs {
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
	if len(revs) == 0 {
		_, err := rf.delRes.ExecContext(ctx, k)
		return err
	}
	cur := revs[len(revs)-1]
	_, err := rf.upsertRes.ExecContext(ctx, k, id.Account, id.Region, id.Type, id.ID, arn, cur.Number, nanos(cur.Provenance.EventTime), cur.Deleted)
	return err
}
