package reduce

import (
	"encoding/json"
	"net/url"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeUser is the resource type of an IAM user. IAM is global: a user's
// ResourceID has Region "global", whichever region logged the call (CloudTrail
// logs IAM in us-east-1).
const TypeUser = "AWS::IAM::User"

func init() {
	register("iam.amazonaws.com", map[string]reducer{
		"CreateUser":         createUser,
		"DeleteUser":         userOp(state.OpDelete, nil),
		"CreateAccessKey":    createAccessKey,
		"DeleteAccessKey":    accessKey(state.OpRemove),
		"UpdateAccessKey":    accessKey(state.OpSet),
		"CreateLoginProfile": loginProfile,
		"UpdateLoginProfile": loginProfile,
		"DeleteLoginProfile": userOp(state.OpUnset, []string{"loginProfile"}),
		"AttachUserPolicy":   attachedPolicy(state.OpAdd),
		"DetachUserPolicy":   attachedPolicy(state.OpRemove),
		"PutUserPolicy":      inlinePolicy(state.OpAdd),
		"DeleteUserPolicy":   inlinePolicy(state.OpRemove),
		"TagUser":            tagUser,
		"UntagUser":          untagUser,
	})
}

// user returns the user a call is about: userName in the request, else in
// the response, else (for calls on one's own user) the caller.
func user(c *call, resp ...string) (state.ResourceID, error) {
	name := firstNonEmpty(str(c.req, "userName"), str(c.resp, append(resp, "userName")...))
	if name == "" {
		if id, err := c.e.Identity(); err == nil && id.Type == "IAMUser" {
			name = id.UserName
		}
	}
	if name == "" {
		return state.ResourceID{}, c.errorf("no userName in requestParameters or responseElements")
	}
	r := c.id(TypeUser, name)
	r.Region = "global"
	return r, nil
}

func createUser(c *call) ([]state.Change, error) {
	r, err := user(c, "user")
	if err != nil {
		return nil, err
	}
	r.ARN = str(c.resp, "user", "arn")
	s := map[string]any{"userName": r.ID, "path": firstNonEmpty(str(c.resp, "user", "path"), str(c.req, "path"), "/")}
	setIf(s, "userId", str(c.resp, "user", "userId"))
	setIf(s, "arn", r.ARN)
	if t := items(c.req, "tags"); len(t) > 0 {
		s["tags"] = tagMap(t)
	}
	if pb := str(c.req, "permissionsBoundary"); pb != "" {
		s["permissionsBoundary"] = pb
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

func userOp(op state.Op, path []string) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := user(c)
		if err != nil {
			return nil, err
		}
		return []state.Change{{Resource: r, Op: op, Path: path}}, nil
	}
}

// createAccessKey adds the key (never its secret) to the user's set.
func createAccessKey(c *call) ([]state.Change, error) {
	r, err := user(c, "accessKey")
	if err != nil {
		return nil, err
	}
	id := str(c.resp, "accessKey", "accessKeyId")
	if id == "" {
		return nil, c.errorf("no responseElements.accessKey.accessKeyId")
	}
	v := map[string]any{"status": firstNonEmpty(str(c.resp, "accessKey", "status"), "Active")}
	setIf(v, "createDate", str(c.resp, "accessKey", "createDate"))
	return []state.Change{{Resource: r, Op: state.OpAdd, Path: []string{"accessKeys", id}, Value: v}}, nil
}

// accessKey removes a key (OpRemove) or sets its status (OpSet).
func accessKey(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := user(c)
		if err != nil {
			return nil, err
		}
		id := str(c.req, "accessKeyId")
		if id == "" {
			return nil, c.errorf("no requestParameters.accessKeyId")
		}
		if op == state.OpRemove {
			return []state.Change{{Resource: r, Op: op, Path: []string{"accessKeys", id}}}, nil
		}
		return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"accessKeys", id, "status"}, Value: str(c.req, "status")}}, nil
	}
}

// loginProfile records that the user can sign in to the console (never the
// password).
func loginProfile(c *call) ([]state.Change, error) {
	r, err := user(c, "loginProfile")
	if err != nil {
		return nil, err
	}
	reset, _ := c.req["passwordResetRequired"].(bool)
	v := map[string]any{"passwordResetRequired": reset}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"loginProfile"}, Value: v}}, nil
}

func attachedPolicy(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := user(c)
		if err != nil {
			return nil, err
		}
		arn := str(c.req, "policyArn")
		if arn == "" {
			return nil, c.errorf("no requestParameters.policyArn")
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"attachedPolicies", arn}}
		if op == state.OpAdd {
			ch.Value = arn
		}
		return []state.Change{ch}, nil
	}
}

// inlinePolicy keeps the document as structured data (IAM logs it
// URL-encoded or as plain JSON).
func inlinePolicy(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := user(c)
		if err != nil {
			return nil, err
		}
		name := str(c.req, "policyName")
		if name == "" {
			return nil, c.errorf("no requestParameters.policyName")
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"inlinePolicies", name}}
		if op == state.OpAdd {
			ch.Value = policyDocument(c.req["policyDocument"])
		}
		return []state.Change{ch}, nil
	}
}

func policyDocument(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	var doc any
	if json.Unmarshal([]byte(s), &doc) == nil {
		return doc
	}
	return s
}

func tagUser(c *call) ([]state.Change, error) {
	r, err := user(c)
	if err != nil {
		return nil, err
	}
	tags := tagMap(items(c.req, "tags"))
	var out []state.Change
	for _, k := range sortedKeys(tags) {
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"tags", k}, Value: tags[k]})
	}
	return out, nil
}

func untagUser(c *call) ([]state.Change, error) {
	r, err := user(c)
	if err != nil {
		return nil, err
	}
	var out []state.Change
	if keys, ok := c.req["tagKeys"].([]any); ok {
		for _, k := range keys {
			if ks, ok := k.(string); ok {
				out = append(out, state.Change{Resource: r, Op: state.OpUnset, Path: []string{"tags", ks}})
			}
		}
	}
	return out, nil
}
