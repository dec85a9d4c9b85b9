package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeRole is the resource type of an IAM role; its ID is the role name
// and, IAM being global, its Region is "global".
//
// State: roleName, roleId, arn, path, description, maxSessionDuration
// (seconds; IAM's default of 3600 when the creation does not say),
// assumeRolePolicyDocument (the trust policy, as an object),
// permissionsBoundary (an ARN), tags, and the sets attachedPolicies
// (ARN → ARN) and inlinePolicies (name → document).
//
// DeleteServiceLinkedRole is not reduced: it only starts an asynchronous
// deletion that fails while the role is in use, so it does not tell that
// the role is gone.
const TypeRole = "AWS::IAM::Role"

func init() {
	r := iamByName(TypeRole, "roleName")
	register(iamSource, map[string]reducer{
		"CreateRole":                    createRole,
		"CreateServiceLinkedRole":       createRole,
		"DeleteRole":                    iamDelete(r),
		"UpdateRole":                    updateRole,
		"UpdateRoleDescription":         updateRole,
		"UpdateAssumeRolePolicy":        updateAssumeRolePolicy,
		"AttachRolePolicy":              iamAttachedPolicy(r, state.OpAdd),
		"DetachRolePolicy":              iamAttachedPolicy(r, state.OpRemove),
		"PutRolePolicy":                 iamInlinePolicy(r, state.OpAdd),
		"DeleteRolePolicy":              iamInlinePolicy(r, state.OpRemove),
		"PutRolePermissionsBoundary":    iamSet(r, "permissionsBoundary", "permissionsBoundary"),
		"DeleteRolePermissionsBoundary": iamUnset(r, "permissionsBoundary"),
		"TagRole":                       iamTag(r),
		"UntagRole":                     iamUntag(r),
	})
}

// createRole reduces CreateRole and CreateServiceLinkedRole. The request
// wins over the response where both tell (its trust policy is plain JSON,
// the response's URL-encoded). A service-linked role's name is only in the
// response: without it the record is of an unexpected shape.
func createRole(c *call) ([]state.Change, error) {
	name := firstNonEmpty(str(c.req, "roleName"), str(c.resp, "role", "roleName"))
	if name == "" {
		return nil, c.errorf("no roleName in requestParameters or responseElements.role")
	}
	r := iamID(c, TypeRole, name)
	r.ARN = str(c.resp, "role", "arn")
	s := map[string]any{"roleName": name, "path": firstNonEmpty(str(c.req, "path"), str(c.resp, "role", "path"), "/")}
	setIf(s, "roleId", str(c.resp, "role", "roleId"))
	setIf(s, "arn", r.ARN)
	setIf(s, "description", firstNonEmpty(str(c.req, "description"), str(c.resp, "role", "description")))
	s["maxSessionDuration"] = iamFirstValue(c.req["maxSessionDuration"], get(c.resp, "role", "maxSessionDuration"), int64(3600))
	if doc := policyDocument(iamFirstValue(c.req["assumeRolePolicyDocument"], get(c.resp, "role", "assumeRolePolicyDocument"))); doc != nil {
		s["assumeRolePolicyDocument"] = doc
	}
	setIf(s, "permissionsBoundary", firstNonEmpty(str(c.req, "permissionsBoundary"),
		str(c.resp, "role", "permissionsBoundary", "permissionsBoundaryArn")))
	if t := iamCreationTags(c, "role"); t != nil {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

// updateRole sets the description and the maximum session duration the
// request carries (UpdateRoleDescription carries only the former).
func updateRole(c *call) ([]state.Change, error) {
	name, err := iamReq(c, "roleName")
	if err != nil {
		return nil, err
	}
	r := iamID(c, TypeRole, name)
	var out []state.Change
	if d, ok := c.req["description"].(string); ok {
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"description"}, Value: d})
	}
	if v := c.req["maxSessionDuration"]; v != nil {
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"maxSessionDuration"}, Value: v})
	}
	return out, nil
}

// updateAssumeRolePolicy replaces the trust policy.
func updateAssumeRolePolicy(c *call) ([]state.Change, error) {
	name, err := iamReq(c, "roleName")
	if err != nil {
		return nil, err
	}
	doc := policyDocument(c.req["policyDocument"])
	if doc == nil {
		return nil, c.errorf("no requestParameters.policyDocument")
	}
	return []state.Change{{Resource: iamID(c, TypeRole, name), Op: state.OpSet, Path: []string{"assumeRolePolicyDocument"}, Value: doc}}, nil
}

// iamFirstValue returns the first non-nil value.
func iamFirstValue(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}
