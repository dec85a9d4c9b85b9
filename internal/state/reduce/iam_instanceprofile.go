package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeInstanceProfile is the resource type of an IAM instance profile; its
// ID is the profile's name and its Region "global".
//
// State: instanceProfileName, instanceProfileId, arn, path, tags, and the
// set roles (role name → role name; IAM allows one role a profile, but it
// is kept as a set so that a role added before its predecessor's removal
// was seen still shows).
const TypeInstanceProfile = "AWS::IAM::InstanceProfile"

func init() {
	p := iamByName(TypeInstanceProfile, "instanceProfileName")
	register(iamSource, map[string]reducer{
		"CreateInstanceProfile":         createInstanceProfile,
		"DeleteInstanceProfile":         iamDelete(p),
		"AddRoleToInstanceProfile":      profileRole(p, state.OpAdd),
		"RemoveRoleFromInstanceProfile": profileRole(p, state.OpRemove),
		"TagInstanceProfile":            iamTag(p),
		"UntagInstanceProfile":          iamUntag(p),
	})
}

func createInstanceProfile(c *call) ([]state.Change, error) {
	name := firstNonEmpty(str(c.req, "instanceProfileName"), str(c.resp, "instanceProfile", "instanceProfileName"))
	if name == "" {
		return nil, c.errorf("no instanceProfileName in requestParameters or responseElements.instanceProfile")
	}
	r := iamID(c, TypeInstanceProfile, name)
	r.ARN = str(c.resp, "instanceProfile", "arn")
	s := map[string]any{"instanceProfileName": name, "path": firstNonEmpty(str(c.req, "path"), str(c.resp, "instanceProfile", "path"), "/")}
	setIf(s, "instanceProfileId", str(c.resp, "instanceProfile", "instanceProfileId"))
	setIf(s, "arn", r.ARN)
	if t := iamCreationTags(c, "instanceProfile"); t != nil {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

// profileRole adds the request's role to, or removes it from, the
// profile's roles set.
func profileRole(p iamTarget, op state.Op) reducer {
	return iamOn(p, func(c *call, r state.ResourceID) ([]state.Change, error) {
		role, err := iamReq(c, "roleName")
		if err != nil {
			return nil, err
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"roles", role}}
		if op == state.OpAdd {
			ch.Value = role
		}
		return []state.Change{ch}, nil
	})
}
