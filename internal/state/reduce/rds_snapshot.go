package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// The resource types of RDS snapshots. A DB snapshot's ID is its
// dBSnapshotIdentifier, a cluster snapshot's its
// dBClusterSnapshotIdentifier, lower-cased as RDS stores them.
//
// State: the identifier, dBInstanceIdentifier or dBClusterIdentifier,
// engine, encrypted, kmsKeyId, snapshotType, status,
// sourceDBSnapshotIdentifier or sourceDBClusterSnapshotIdentifier (for a
// copy), restoreAttributes (the set of account IDs allowed to restore it;
// "all" makes it public), tags.
const (
	TypeDBSnapshot        = "AWS::RDS::DBSnapshot"
	TypeDBClusterSnapshot = "AWS::RDS::DBClusterSnapshot"
)

// snapshotKind holds the names that differ between DB and cluster
// snapshots.
type snapshotKind struct {
	typ       string
	arnKind   string // in the ARN: arn:aws:rds:region:account:<arnKind>:name
	id        string // identifier field
	target    string // a copy's identifier in the request
	source    string // a copy's source in the request
	parent    string // the instance or cluster snapshotted
	arnField  string
	encrypted string // the response's encryption flag
	attrs     string // the attribute list in a ModifyDB*SnapshotAttribute response
}

var (
	dbSnapshot = snapshotKind{typ: TypeDBSnapshot, arnKind: "snapshot", id: "dBSnapshotIdentifier",
		target: "targetDBSnapshotIdentifier", source: "sourceDBSnapshotIdentifier", parent: "dBInstanceIdentifier",
		arnField: "dBSnapshotArn", encrypted: "encrypted", attrs: "dBSnapshotAttributes"}
	clusterSnapshot = snapshotKind{typ: TypeDBClusterSnapshot, arnKind: "cluster-snapshot", id: "dBClusterSnapshotIdentifier",
		target: "targetDBClusterSnapshotIdentifier", source: "sourceDBClusterSnapshotIdentifier", parent: "dBClusterIdentifier",
		arnField: "dBClusterSnapshotArn", encrypted: "storageEncrypted", attrs: "dBClusterSnapshotAttributes"}
)

// snapshot returns the snapshot named by the response, else by the
// request (the target of a copy, else the identifier).
func (k snapshotKind) snapshot(c *call) (state.ResourceID, error) {
	r, ok := rdsID(c, k.typ, k.arnKind, firstNonEmpty(str(c.resp, k.id), str(c.req, k.target), str(c.req, k.id)))
	if !ok {
		return state.ResourceID{}, c.errorf("no %s or %s in requestParameters", k.id, k.target)
	}
	if a := str(c.resp, k.arnField); a != "" {
		r.ARN = a
	}
	return r, nil
}

// createSnapshot handles creations and copies.
func createSnapshot(k snapshotKind) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := k.snapshot(c)
		if err != nil {
			return nil, err
		}
		s := map[string]any{k.id: r.ID}
		copyFields(s, c.req, k.parent, k.source, "kmsKeyId")
		copyFields(s, c.resp, k.parent, k.source, "engine", "kmsKeyId", "snapshotType", "status")
		if v, ok := c.resp[k.encrypted]; ok && v != nil {
			s["encrypted"] = v
		}
		if t := kvTags(c.req["tags"]); len(t) > 0 {
			s["tags"] = t
		} else if t := kvTags(c.resp["tagList"]); len(t) > 0 {
			s["tags"] = t
		}
		return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
	}
}

func deleteSnapshot(k snapshotKind) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := k.snapshot(c)
		if err != nil {
			return nil, err
		}
		return []state.Change{{Resource: r, Op: state.OpDelete}}, nil
	}
}

// snapshotAttribute tracks who may restore the snapshot. The response's
// attribute list, when logged, is the whole set after the call; otherwise
// the request's valuesToAdd and valuesToRemove change it. Other attributes
// change nothing tracked.
func snapshotAttribute(k snapshotKind) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := k.snapshot(c)
		if err != nil {
			return nil, err
		}
		name, ok := c.req["attributeName"].(string)
		if !ok {
			return nil, c.errorf("no requestParameters.attributeName")
		}
		if name != "restore" {
			return nil, nil
		}
		attrs, ok := c.resp[k.attrs].([]any)
		if !ok {
			attrs, ok = get(c.resp, k.attrs+"Result", k.attrs).([]any)
		}
		if ok {
			for _, a := range attrs {
				am, _ := a.(map[string]any)
				if str(am, "attributeName") != "restore" {
					continue
				}
				set := map[string]any{}
				for _, v := range stringList(am["attributeValues"]) {
					set[v.(string)] = v
				}
				return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"restoreAttributes"}, Value: set}}, nil
			}
		}
		var out []state.Change
		for _, v := range stringList(c.req["valuesToAdd"]) {
			out = append(out, state.Change{Resource: r, Op: state.OpAdd, Path: []string{"restoreAttributes", v.(string)}, Value: v})
		}
		for _, v := range stringList(c.req["valuesToRemove"]) {
			out = append(out, state.Change{Resource: r, Op: state.OpRemove, Path: []string{"restoreAttributes", v.(string)}})
		}
		if out == nil {
			return nil, c.errorf("no valuesToAdd or valuesToRemove")
		}
		return out, nil
	}
}
