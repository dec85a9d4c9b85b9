package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeGroup is the resource type of an IAM group; its ID is the group's
// name and its Region "global".
//
// State: groupName, groupId, arn, path, the sets attachedPolicies
// (ARN → ARN) and inlinePolicies (name → document), and renamedFrom on a
// group created by a rename (see iamRename). Members are not listed here:
// each user's groups set holds its memberships.
const TypeGroup = "AWS::IAM::Group"

func init() {
	g := iamByName(TypeGroup, "groupName")
	register(iamSource, map[string]reducer{
		"CreateGroup":       createGroup,
		"DeleteGroup":       iamDelete(g),
		"UpdateGroup":       iamRename(TypeGroup, "groupName", "newGroupName"),
		"AttachGroupPolicy": iamAttachedPolicy(g, state.OpAdd),
		"DetachGroupPolicy": iamAttachedPolicy(g, state.OpRemove),
		"PutGroupPolicy":    iamInlinePolicy(g, state.OpAdd),
		"DeleteGroupPolicy": iamInlinePolicy(g, state.OpRemove),
	})
}

func createGroup(c *call) ([]state.Change, error) {
	name := firstNonEmpty(str(c.req, "groupName"), str(c.resp, "group", "groupName"))
	if name == "" {
		return nil, c.errorf("no groupName in requestParameters or responseElements.group")
	}
	r := iamID(c, TypeGroup, name)
	r.ARN = str(c.resp, "group", "arn")
	s := map[string]any{"groupName": name, "path": firstNonEmpty(str(c.req, "path"), str(c.resp, "group", "path"), "/")}
	setIf(s, "groupId", str(c.resp, "group", "groupId"))
	setIf(s, "arn", r.ARN)
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}
