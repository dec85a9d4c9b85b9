package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeSnapshot is the resource type of an EBS snapshot. Its state:
//
//	snapshotId, volumeId, encrypted, volumeSize, ownerId, description, tags
//	sourceSnapshotId, sourceRegion   for a copy
//	createVolumePermissions          set: account id or "all" (public!) →
//	                                 {userId} / {group}
const TypeSnapshot = "AWS::EC2::Snapshot"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateSnapshot":          createSnapshot,
		"CreateSnapshots":         createSnapshots,
		"CopySnapshot":            copySnapshot,
		"DeleteSnapshot":          deleteSnapshot,
		"ModifySnapshotAttribute": modifySnapshotAttribute,
		"ResetSnapshotAttribute":  resetSnapshotAttribute,
	})
}

// snapshotState reads a snapshot as CreateSnapshot's response (or an item
// of CreateSnapshots') reports it.
func snapshotState(c *call, v map[string]any, id string) map[string]any {
	s := map[string]any{
		"snapshotId":              id,
		"createVolumePermissions": map[string]any{},
		"tags":                    createdTags(c.req, v, "snapshot"),
	}
	setIf(s, "volumeId", firstNonEmpty(fstr(v, "volumeId"), fstr(c.req, "volumeId")))
	setIf(s, "ownerId", fstr(v, "ownerId"))
	setIf(s, "description", firstNonEmpty(fstr(v, "description"), fstr(c.req, "description")))
	if b, ok := boolOf(fget(v, "encrypted")); ok {
		s["encrypted"] = b
	}
	if sz := fget(v, "volumeSize"); sz != nil {
		s["volumeSize"] = sz
	}
	return s
}

func createSnapshot(c *call) ([]state.Change, error) {
	id := fstr(c.resp, "snapshotId")
	if id == "" {
		return nil, c.errorf("no responseElements.snapshotId: the snapshot's id is unknown")
	}
	return []state.Change{c.put(TypeSnapshot, id, snapshotState(c, c.resp, id))}, nil
}

// createSnapshots snapshots every volume of an instance.
func createSnapshots(c *call) ([]state.Change, error) {
	var out []state.Change
	for _, it := range list(c.resp, "snapshotSet") {
		id := fstr(it, "snapshotId")
		if id == "" {
			return nil, c.errorf("a snapshotSet item without snapshotId")
		}
		out = append(out, c.put(TypeSnapshot, id, snapshotState(c, it, id)))
	}
	if out == nil {
		return nil, c.errorf("no responseElements.snapshotSet: the snapshots' ids are unknown")
	}
	return out, nil
}

// copySnapshot creates the copy, in the region the call was made in.
func copySnapshot(c *call) ([]state.Change, error) {
	id := fstr(c.resp, "snapshotId")
	if id == "" {
		return nil, c.errorf("no responseElements.snapshotId: the copy's id is unknown")
	}
	s := snapshotState(c, c.resp, id)
	setIf(s, "sourceSnapshotId", fstr(c.req, "sourceSnapshotId"))
	setIf(s, "sourceRegion", fstr(c.req, "sourceRegion"))
	if b, ok := boolOf(fget(c.req, "encrypted")); ok {
		s["encrypted"] = b
	}
	return []state.Change{c.put(TypeSnapshot, id, s)}, nil
}

func deleteSnapshot(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "snapshotId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeSnapshot, id)}, nil
}

// modifySnapshotAttribute shares or unshares the snapshot.
func modifySnapshotAttribute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "snapshotId")
	if err != nil {
		return nil, err
	}
	out, ok := permissionChanges(c, c.id(TypeSnapshot, id), "createVolumePermission", "createVolumePermissions")
	if !ok {
		return nil, c.errorf("no createVolumePermission change in requestParameters")
	}
	return out, nil
}

// resetSnapshotAttribute makes the snapshot private again.
func resetSnapshotAttribute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "snapshotId")
	if err != nil {
		return nil, err
	}
	if a := fstr(c.req, "attribute"); !isAttribute(a, "createVolumePermission", "CREATE_VOLUME_PERMISSION") {
		return nil, c.errorf("resetting attribute %q", a)
	}
	return []state.Change{c.set(TypeSnapshot, id, map[string]any{}, "createVolumePermissions")}, nil
}
