package pgstate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailwarden/trailwarden/internal/state"
)

// current is the last revision of a resource, and its summary's ARN.
type current struct {
	rev  state.Revision
	time int64
	arn  string
}

// refold brings the revisions and summaries of keys (sorted) up to date
// with their fresh steps, queueing the writes on w, and returns what the
// steps did, by key then revision. A resource whose fresh steps all come
// after its stored ones and whose current revision is in cur is extended
// from it; a new one is folded from its fresh steps; any other is folded
// again from all its stored steps, read in one query.
func refold(ctx context.Context, tx pgx.Tx, keys []string, byKey map[string]*pending, cur map[string]*current, w *writer) ([]state.Applied, error) {
	var full []string
	for _, k := range keys {
		if _, ok := cur[k]; byKey[k].hasBefore && (!ok || !byKey[k].extendable()) {
			full = append(full, k)
		}
	}
	steps, err := loadSteps(ctx, tx, full)
	if err != nil {
		return nil, err
	}
	w.deleteRevisions = full
	var applied []state.Applied
	for _, k := range keys {
		p := byKey[k]
		var a []state.Applied
		switch c, ok := cur[k]; {
		case !p.hasBefore: // its first steps: they are all it has
			a, err = foldAgain(p, p.fresh, w)
		case ok && p.extendable():
			a, err = extend(p, c, w)
		default:
			a, err = foldAgain(p, steps[k], w)
		}
		if err != nil {
			return nil, err
		}
		applied = append(applied, a...)
	}
	return applied, nil
}

// queueCurrent queues on b the read of the last revision of each of keys
// that has one, into cur.
func queueCurrent(b *pgx.Batch, keys []string, cur map[string]*current) {
	b.Queue(`SELECT r.resource_key, r.arn, v.number, v.event_time, v.provenance, v.state, v.diff, v.deleted
		FROM resources r JOIN revisions v ON v.resource_key = r.resource_key AND v.number = r.revision
		WHERE r.resource_key = ANY($1::text[])`, keys).
		Query(func(rows pgx.Rows) error {
			var k string
			var prov, st, diff []byte
			var c current // scanned into, then copied
			_, err := pgx.ForEachRow(rows, []any{&k, &c.arn, &c.rev.Number, &c.time, &prov, &st, &diff, &c.rev.Deleted}, func() error {
				r := &current{arn: c.arn, time: c.time, rev: state.Revision{Number: c.rev.Number, Deleted: c.rev.Deleted}}
				if err := decodeRevision(&r.rev, prov, st, diff); err != nil {
					return fmt.Errorf("%s revision %d: %w", k, r.rev.Number, err)
				}
				cur[k] = r
				return nil
			})
			if err != nil {
				return fmt.Errorf("read current revisions: %w", err)
			}
			return nil
		})
}

// loadSteps reads the stored steps of keys, by key.
func loadSteps(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, keys []string) (map[string][]state.Step, error) {
	out := map[string][]state.Step{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT resource_key, provenance, changes, targets FROM steps WHERE resource_key = ANY($1::text[])`, keys)
	if err != nil {
		return nil, fmt.Errorf("read steps: %w", err)
	}
	var k string
	var prov, changes, targets []byte
	_, err = pgx.ForEachRow(rows, []any{&k, &prov, &changes, &targets}, func() error {
		st, err := decodeStep(prov, changes, targets)
		if err != nil {
			return fmt.Errorf("step of %s: %w", k, err)
		}
		out[k] = append(out[k], *st)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read steps: %w", err)
	}
	return out, nil
}

// foldAgain folds all the stored steps of p.id and queues its revisions
// (the old ones are deleted first, see writer).
func foldAgain(p *pending, steps []state.Step, w *writer) ([]state.Applied, error) {
	h, err := state.Fold(p.id, steps)
	if err != nil {
		return nil, err
	}
	if err := w.revisions(p.id, h.Resource.ARN, h.Revisions); err != nil {
		return nil, err
	}
	return state.AppliedIn(h.Resource, h.Revisions, nil, p.isFresh), nil
}

// extend folds p.fresh onto the current revision c, as Fold would after all
// the stored steps: a synthetic first step, earlier than every fresh one,
// restores the current state (or tombstone), and its revision is dropped.
func extend(p *pending, c *current, w *writer) ([]state.Applied, error) {
	k := p.id.Key()
	seed := state.Change{Resource: p.id, Op: state.OpDelete}
	if !c.rev.Deleted {
		seed = state.Change{Resource: p.id, Op: state.OpPut, Value: c.rev.State}
	}
	steps := append([]state.Step{{Provenance: state.Provenance{EventTime: time.Unix(0, c.time).UTC()}, Changes: []state.Change{seed}}}, p.fresh...)
	h, err := state.Fold(p.id, steps)
	if err != nil {
		return nil, err
	}
	if len(h.Revisions) == 0 || h.Revisions[0].Provenance.EventID != "" {
		return nil, fmt.Errorf("%s: the seed of an extension did not fold first", k)
	}
	revs := h.Revisions[1:]
	for i := range revs {
		revs[i].Number += c.rev.Number - 1
	}
	arn := c.arn
	if arn == "" {
		arn = h.Resource.ARN
	}
	if len(revs) == 0 { // only no-ops and failed calls; they may tell the ARN
		w.summary(p.id, arn, c.rev.Number, c.time, c.rev.Deleted)
		return nil, nil
	}
	if err := w.revisions(p.id, arn, revs); err != nil {
		return nil, err
	}
	id := p.id
	id.ARN = arn
	return state.AppliedIn(id, revs, &c.rev, p.isFresh), nil
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

// writer collects an Apply's writes to revisions and resources, sent in
// one round trip by flush.
type writer struct {
	deleteRevisions []string // keys whose revisions are all rewritten

	revKey, revEvent, revProv, revState, revDiff []string
	revNumber                                    []int32
	revTime                                      []int64
	revDeleted                                   []bool

	resKey, resAccount, resRegion, resType, resID, resARN []string
	resRevision                                           []int32
	resUpdated                                            []int64
	resDeleted                                            []bool

	deleteResources []string // keys left with no revision
}

// revisions queues revs and points the summary of id at the last one; with
// no revs, the summary is deleted.
func (w *writer) revisions(id state.ResourceID, arn string, revs []state.Revision) error {
	k := id.Key()
	for _, r := range revs {
		prov, err := json.Marshal(r.Provenance)
		if err != nil {
			return fmt.Errorf("%s revision %d: %w", k, r.Number, err)
		}
		st, err := json.Marshal(r.State)
		if err != nil {
			return fmt.Errorf("%s revision %d: %w", k, r.Number, err)
		}
		diff, err := json.Marshal(r.Diff)
		if err != nil {
			return fmt.Errorf("%s revision %d: %w", k, r.Number, err)
		}
		w.revKey = append(w.revKey, k)
		w.revNumber = append(w.revNumber, int32(r.Number))
		w.revTime = append(w.revTime, nanos(r.Provenance.EventTime))
		w.revEvent = append(w.revEvent, r.Provenance.EventID)
		w.revProv = append(w.revProv, string(prov))
		w.revState = append(w.revState, string(st))
		w.revDiff = append(w.revDiff, string(diff))
		w.revDeleted = append(w.revDeleted, r.Deleted)
	}
	if len(revs) == 0 {
		w.deleteResources = append(w.deleteResources, k)
		return nil
	}
	cur := revs[len(revs)-1]
	w.summary(id, arn, cur.Number, nanos(cur.Provenance.EventTime), cur.Deleted)
	return nil
}

// summary queues the upsert of the resources row of id.
func (w *writer) summary(id state.ResourceID, arn string, revision int, updated int64, deleted bool) {
	w.resKey = append(w.resKey, id.Key())
	w.resAccount = append(w.resAccount, id.Account)
	w.resRegion = append(w.resRegion, id.Region)
	w.resType = append(w.resType, id.Type)
	w.resID = append(w.resID, id.ID)
	w.resARN = append(w.resARN, arn)
	w.resRevision = append(w.resRevision, int32(revision))
	w.resUpdated = append(w.resUpdated, updated)
	w.resDeleted = append(w.resDeleted, deleted)
}

// flush sends the queued writes as one batch, in order: delete the
// revisions being rewritten, insert the new ones, upsert the summaries,
// delete the summaries left without revisions.
func (w *writer) flush(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	if len(w.deleteRevisions) > 0 {
		b.Queue(`DELETE FROM revisions WHERE resource_key = ANY($1::text[])`, w.deleteRevisions)
	}
	if len(w.revKey) > 0 {
		b.Queue(`INSERT INTO revisions (resource_key, number, event_time, event_id, provenance, state, diff, deleted)
			SELECT k, n, t, e, p::jsonb, s::jsonb, d::jsonb, x
			FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[])
				AS u(k, n, t, e, p, s, d, x)`,
			w.revKey, w.revNumber, w.revTime, w.revEvent, w.revProv, w.revState, w.revDiff, w.revDeleted)
	}
	if len(w.resKey) > 0 {
		b.Queue(`INSERT INTO resources (resource_key, account, region, type, id, arn, revision, updated, deleted)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::bool[])
			ON CONFLICT (resource_key) DO UPDATE SET arn = excluded.arn, revision = excluded.revision,
				updated = excluded.updated, deleted = excluded.deleted`,
			w.resKey, w.resAccount, w.resRegion, w.resType, w.resID, w.resARN, w.resRevision, w.resUpdated, w.resDeleted)
	}
	if len(w.deleteResources) > 0 {
		b.Queue(`DELETE FROM resources WHERE resource_key = ANY($1::text[])`, w.deleteResources)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write revisions: %w", err)
	}
	return nil
}
