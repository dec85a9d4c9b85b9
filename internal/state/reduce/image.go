package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeImage is the resource type of an AMI. Its state:
//
//	imageId, name, description, tags
//	sourceInstanceId                 CreateImage
//	architecture, snapshotIds        RegisterImage
//	sourceImageId, sourceRegion      CopyImage
//	launchPermissions                set: account id, "all" (public!) or
//	                                 organization/OU ARN → {userId} / {group} / ...
//	and the attributes ModifyImageAttribute sets (description, imdsSupport...)
const TypeImage = "AWS::EC2::Image"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateImage":          newImage,
		"RegisterImage":        newImage,
		"CopyImage":            newImage,
		"DeregisterImage":      deregisterImage,
		"ModifyImageAttribute": modifyImageAttribute,
		"ResetImageAttribute":  resetImageAttribute,
	})
}

// newImage creates the image of a CreateImage, RegisterImage or CopyImage:
// each answers with the new imageId only.
func newImage(c *call) ([]state.Change, error) {
	id := fstr(c.resp, "imageId")
	if id == "" {
		return nil, c.errorf("no responseElements.imageId: the image's id is unknown")
	}
	s := map[string]any{
		"imageId":           id,
		"launchPermissions": map[string]any{},
		"tags":              createdTags(c.req, nil, "image"),
	}
	setIf(s, "name", fstr(c.req, "name"))
	setIf(s, "description", fstr(c.req, "description"))
	setIf(s, "sourceInstanceId", fstr(c.req, "instanceId"))
	setIf(s, "architecture", fstr(c.req, "architecture"))
	setIf(s, "sourceImageId", fstr(c.req, "sourceImageId"))
	setIf(s, "sourceRegion", fstr(c.req, "sourceRegion"))
	var snaps []any
	for _, bd := range list(c.req, "blockDeviceMapping") {
		if sid := fstr(bd, "ebs", "snapshotId"); sid != "" {
			snaps = append(snaps, sid)
		}
	}
	if snaps != nil {
		s["snapshotIds"] = snaps
	}
	return []state.Change{c.put(TypeImage, id, s)}, nil
}

func deregisterImage(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "imageId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeImage, id)}, nil
}

// modifyImageAttribute shares or unshares the image, or sets another
// attribute ({"description": {"value": ...}}).
func modifyImageAttribute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "imageId")
	if err != nil {
		return nil, err
	}
	r := c.id(TypeImage, id)
	out, ok := permissionChanges(c, r, "launchPermission", "launchPermissions")
	if ok {
		return out, nil
	}
	for _, k := range sortedKeys(c.req) {
		switch k {
		case "imageId", "attributeType", "attribute", "operationType", "launchPermission", "userId", "userIds", "userGroup", "userGroups", "groupNames",
			"organizationArn", "organizationArns", "organizationalUnitArn", "organizationalUnitArns":
			continue
		}
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{k}, Value: scalar(c.req[k])})
	}
	if out == nil {
		return nil, c.errorf("no launchPermission change or attribute in requestParameters")
	}
	return out, nil
}

// resetImageAttribute makes the image private again.
func resetImageAttribute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "imageId")
	if err != nil {
		return nil, err
	}
	if a := fstr(c.req, "attribute"); !isAttribute(a, "launchPermission", "LAUNCH_PERMISSION") {
		return nil, c.errorf("resetting attribute %q", a)
	}
	return []state.Change{c.set(TypeImage, id, map[string]any{}, "launchPermissions")}, nil
}
