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
		"CreateSnapshot":          createEBSSnapshot,
		"CreateSnapshots":         createEBSSnapshots,
		"CopySnapshot":            copyEBSSnapshot,
		"DeleteSnapshot":          deleteEBSSnapshot,
		"ModifySnapshotAttribute": modifyEBSSnapshotAttribute,
		"ResetSnapshotAttribute":  resetEBSSnapshotAttribute,
	})
}

// ebsSnapshotState reads a snapshot as CreateSnapshot's response (or an item
// of CreateSnapshots') reports it.
func ebsSnapshotState(c *call, v map[string]any, id string) map[string]any {
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

func createEBSSnapshot(c *call) ([]state.Change, error) {
	id := fstr(c.resp, "snapshotId")
	if id == "" {
		return nil, c.errorf("no responseElements.snapshotId: the snapshot's id is unknown")
	}
	return []state.Change{c.put(TypeSnapshot, id, ebsSnapshotState(c, c.resp, id))}, nil
}

// createEBSSnapshots snapshots every volume of an instance.
func createEBSSnapshots(c *call) ([]state.Change, error) {
	var out []state.Change
	for _, it := range list(c.resp, "snapshotSet") {
		id := fstr(it, "snapshotId")
		if id == "" {
			return nil, c.errorf("a snapshotSet item without snapshotId")
		}
		out = append(out, c.put(TypeSnapshot, id, ebsSnapshotState(c, it, id)))
	}
	if out == nil {
		return nil, c.errorf("no responseElements.snapshotSet: the snapshots' ids are unknown")
	}
	return out, nil
}

// copyEBSSnapshot creates the copy, in the region the call was made in.
func copyEBSSnapshot(c *call) ([]state.Change, error) {
	id := fstr(c.resp, "snapshotId")
	if id == "" {
		return nil, c.errorf("no responseElements.snapshotId: the copy's id is unknown")
	}
	s := ebsSnapshotState(c, c.resp, id)
	setIf(s, "sourceSnapshotId", fstr(c.req, "sourceSnapshotId"))
	setIf(s, "sourceRegion", fstr(c.req, "sourceRegion"))
	if b, ok := boolOf(fget(c.req, "encrypted")); ok {
		s["encrypted"] = b
	}
	return []state.Change{c.put(TypeSnapshot, id, s)}, nil
}

func deleteEBSSnapshot(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "snapshotId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeSnapshot, id)}, nil
}

// modifyEBSSnapshotAttribute shares or unshares the snapshot.
func modifyEBSSnapshotAttribute(c *call) ([]state.Change, error) {
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

// resetEBSSnapshotAttribute makes the snapshot private again.
func resetEBSSnapshotAttribute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "snapshotId")
	if err != nil {
		return nil, err
	}
	if a := fstr(c.req, "attribute"); !isAttribute(a, "createVolumePermission", "CREATE_VOLUME_PERMISSION") {
		return nil, c.errorf("resetting attribute %q", a)
	}
	return []state.Change{c.set(TypeSnapshot, id, map[string]any{}, "createVolumePermissions")}, nil
}
