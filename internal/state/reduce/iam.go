package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeUser is the resource type of an IAM user. IAM is global: a user's
// ResourceID has Region "global", whichever region logged the call (CloudTrail
// logs IAM in us-east-1).
//
// State: userName, userId, arn, path, permissionsBoundary (an ARN), tags;
// the sets accessKeys (id → {status, createDate}), attachedPolicies
// (ARN → ARN), inlinePolicies (name → document), groups (name → name) and
// mfaDevices (serialNumber → {enabledAt, resyncedAt}); loginProfile
// ({passwordResetRequired}) while the user can sign in to the console; and
// renamedFrom on a user created by a rename (see iamRename).
const TypeUser = "AWS::IAM::User"

// rootUserName is the userName CloudTrail logs when the root user changes
// its own MFA device.
const rootUserName = "AWS ROOT USER"

func init() {
	u := userTarget()
	register(iamSource, map[string]reducer{
		"CreateUser":                    createUser,
		"DeleteUser":                    iamDelete(u),
		"UpdateUser":                    iamRename(TypeUser, "userName", "newUserName"),
		"CreateAccessKey":               createAccessKey,
		"DeleteAccessKey":               accessKey(state.OpRemove),
		"UpdateAccessKey":               accessKey(state.OpSet),
		"CreateLoginProfile":            loginProfile,
		"UpdateLoginProfile":            loginProfile,
		"DeleteLoginProfile":            iamUnset(u, "loginProfile"),
		"AttachUserPolicy":              iamAttachedPolicy(u, state.OpAdd),
		"DetachUserPolicy":              iamAttachedPolicy(u, state.OpRemove),
		"PutUserPolicy":                 iamInlinePolicy(u, state.OpAdd),
		"DeleteUserPolicy":              iamInlinePolicy(u, state.OpRemove),
		"PutUserPermissionsBoundary":    iamSet(u, "permissionsBoundary", "permissionsBoundary"),
		"DeleteUserPermissionsBoundary": iamUnset(u, "permissionsBoundary"),
		"TagUser":                       iamTag(u),
		"UntagUser":                     iamUntag(u),
		"AddUserToGroup":                userGroup(state.OpAdd),
		"RemoveUserFromGroup":           userGroup(state.OpRemove),
	})
}

// userTarget is the user a call is about: userName in the request, else in
// the response at resp, else (for calls on one's own user) the caller. The
// root user is not an IAM user: calls on it are skipped.
func userTarget(resp ...string) iamTarget {
	respName := append(append([]string(nil), resp...), "userName")
	return func(c *call) (state.ResourceID, bool, error) {
		name := firstNonEmpty(str(c.req, "userName"), str(c.resp, respName...))
		if name == "" {
			switch c.e.IdentityType() {
			case "Root":
				return state.ResourceID{}, true, nil
			case "IAMUser":
				if id, err := c.e.Identity(); err == nil {
					name = id.UserName
				}
			}
		}
		if name == rootUserName {
			return state.ResourceID{}, true, nil
		}
		if name == "" {
			return state.ResourceID{}, false, c.errorf("no userName in requestParameters or responseElements")
		}
		return iamID(c, TypeUser, name), false, nil
	}
}

var createUser = iamOn(userTarget("user"), func(c *call, r state.ResourceID) ([]state.Change, error) {
	r.ARN = str(c.resp, "user", "arn")
	s := map[string]any{"userName": r.ID, "path": firstNonEmpty(str(c.resp, "user", "path"), str(c.req, "path"), "/")}
	setIf(s, "userId", str(c.resp, "user", "userId"))
	setIf(s, "arn", r.ARN)
	if t := iamCreationTags(c, "user"); t != nil {
		s["tags"] = t
	}
	setIf(s, "permissionsBoundary", firstNonEmpty(str(c.req, "permissionsBoundary"),
		str(c.resp, "user", "permissionsBoundary", "permissionsBoundaryArn")))
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
})

// createAccessKey adds the key (never its secret) to the user's set.
var createAccessKey = iamOn(userTarget("accessKey"), func(c *call, r state.ResourceID) ([]state.Change, error) {
	id := str(c.resp, "accessKey", "accessKeyId")
	if id == "" {
		return nil, c.errorf("no responseElements.accessKey.accessKeyId")
	}
	v := map[string]any{"status": firstNonEmpty(str(c.resp, "accessKey", "status"), "Active")}
	setIf(v, "createDate", str(c.resp, "accessKey", "createDate"))
	return []state.Change{{Resource: r, Op: state.OpAdd, Path: []string{"accessKeys", id}, Value: v}}, nil
})

// accessKey removes a key (OpRemove) or sets its status (OpSet).
func accessKey(op state.Op) reducer {
	return iamOn(userTarget(), func(c *call, r state.ResourceID) ([]state.Change, error) {
		id, err := iamReq(c, "accessKeyId")
		if err != nil {
			return nil, err
		}
		if op == state.OpRemove {
			return []state.Change{{Resource: r, Op: op, Path: []string{"accessKeys", id}}}, nil
		}
		status, err := iamReq(c, "status")
		if err != nil {
			return nil, err
		}
		return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"accessKeys", id, "status"}, Value: status}}, nil
	})
}

// loginProfile records that the user can sign in to the console (never the
// password).
var loginProfile = iamOn(userTarget("loginProfile"), func(c *call, r state.ResourceID) ([]state.Change, error) {
	reset, _ := c.req["passwordResetRequired"].(bool)
	v := map[string]any{"passwordResetRequired": reset}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"loginProfile"}, Value: v}}, nil
})

// userGroup adds the group to, or removes it from, the user's groups set.
// The group's own state does not list its members: membership is the
// user's, as IAM's ListGroupsForUser sees it.
func userGroup(op state.Op) reducer {
	return iamOn(userTarget(), func(c *call, r state.ResourceID) ([]state.Change, error) {
		g, err := iamReq(c, "groupName")
		if err != nil {
			return nil, err
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"groups", g}}
		if op == state.OpAdd {
			ch.Value = g
		}
		return []state.Change{ch}, nil
	})
}
