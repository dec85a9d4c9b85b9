package reduce

import (
	"net/url"
	"strings"

	"github.com/trailwarden/trailwarden/internal/ctjson"
	"github.com/trailwarden/trailwarden/internal/state"
)

// iamSource is the eventSource of every IAM call.
const iamSource = "iam.amazonaws.com"

// iamTarget names the IAM resource a call is about. skip is true when the
// call is about something that is not a resource of the account (the root
// user, an AWS-managed policy): such a call changes nothing.
type iamTarget func(c *call) (r state.ResourceID, skip bool, err error)

// iamID returns the ResourceID of an IAM resource. IAM is global: Region is
// "global" whichever region logged the call.
func iamID(c *call, typ, id string) state.ResourceID {
	r := c.id(typ, id)
	r.Region = "global"
	return r
}

// iamReq returns the request parameter key, which must be a non-empty
// string.
func iamReq(c *call, key string) (string, error) {
	if s := str(c.req, key); s != "" {
		return s, nil
	}
	return "", c.errorf("no requestParameters.%s", key)
}

// iamByName is the target of calls naming a resource of type typ by the
// request parameter key (roleName, groupName...).
func iamByName(typ, key string) iamTarget {
	return func(c *call) (state.ResourceID, bool, error) {
		name, err := iamReq(c, key)
		if err != nil {
			return state.ResourceID{}, false, err
		}
		return iamID(c, typ, name), false, nil
	}
}

// iamOn resolves t, then lets f make the changes; a skipped target
// makes none.
func iamOn(t iamTarget, f func(c *call, r state.ResourceID) ([]state.Change, error)) reducer {
	return func(c *call) ([]state.Change, error) {
		r, skip, err := t(c)
		if err != nil || skip {
			return nil, err
		}
		return f(c, r)
	}
}

// iamDelete deletes the target.
func iamDelete(t iamTarget) reducer {
	return iamOn(t, func(_ *call, r state.ResourceID) ([]state.Change, error) {
		return []state.Change{{Resource: r, Op: state.OpDelete}}, nil
	})
}

// iamUnset removes one field of the target.
func iamUnset(t iamTarget, field string) reducer {
	return iamOn(t, func(_ *call, r state.ResourceID) ([]state.Change, error) {
		return []state.Change{{Resource: r, Op: state.OpUnset, Path: []string{field}}}, nil
	})
}

// iamSet sets field to the request's string parameter key.
func iamSet(t iamTarget, field, key string) reducer {
	return iamOn(t, func(c *call, r state.ResourceID) ([]state.Change, error) {
		v, err := iamReq(c, key)
		if err != nil {
			return nil, err
		}
		return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{field}, Value: v}}, nil
	})
}

// iamAttachedPolicy adds (OpAdd) or removes (OpRemove) a managed policy in
// the target's attachedPolicies set, keyed and valued by its ARN.
func iamAttachedPolicy(t iamTarget, op state.Op) reducer {
	return iamOn(t, func(c *call, r state.ResourceID) ([]state.Change, error) {
		arn, err := iamReq(c, "policyArn")
		if err != nil {
			return nil, err
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"attachedPolicies", arn}}
		if op == state.OpAdd {
			ch.Value = arn
		}
		return []state.Change{ch}, nil
	})
}

// iamInlinePolicy adds (OpAdd) or removes (OpRemove) an inline policy in the
// target's inlinePolicies set, keyed by name and valued by its document.
func iamInlinePolicy(t iamTarget, op state.Op) reducer {
	return iamOn(t, func(c *call, r state.ResourceID) ([]state.Change, error) {
		name, err := iamReq(c, "policyName")
		if err != nil {
			return nil, err
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"inlinePolicies", name}}
		if op == state.OpAdd {
			if ch.Value = policyDocument(c.req["policyDocument"]); ch.Value == nil {
				return nil, c.errorf("no requestParameters.policyDocument")
			}
		}
		return []state.Change{ch}, nil
	})
}

// iamTag sets the request's tags on the target, one change a key.
func iamTag(t iamTarget) reducer {
	return iamOn(t, func(c *call, r state.ResourceID) ([]state.Change, error) {
		if c.req["tags"] == nil {
			return nil, c.errorf("no requestParameters.tags")
		}
		tags := tagMap(items(c.req, "tags"))
		out := make([]state.Change, 0, len(tags))
		for _, k := range sortedKeys(tags) {
			out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"tags", k}, Value: tags[k]})
		}
		return out, nil
	})
}

// iamUntag removes the request's tagKeys from the target.
func iamUntag(t iamTarget) reducer {
	return iamOn(t, func(c *call, r state.ResourceID) ([]state.Change, error) {
		keys, ok := c.req["tagKeys"].([]any)
		if !ok {
			return nil, c.errorf("no requestParameters.tagKeys list")
		}
		out := make([]state.Change, 0, len(keys))
		for _, k := range keys {
			if ks, ok := k.(string); ok {
				out = append(out, state.Change{Resource: r, Op: state.OpUnset, Path: []string{"tags", ks}})
			}
		}
		return out, nil
	})
}

// iamCreationTags returns the tags of a creation: the request's, else the
// response's (at path), else nil.
func iamCreationTags(c *call, path ...string) map[string]any {
	if t := items(c.req, "tags"); len(t) > 0 {
		return tagMap(t)
	}
	if t := items(c.resp, append(path, "tags")...); len(t) > 0 {
		return tagMap(t)
	}
	return nil
}

// iamRename handles UpdateUser and UpdateGroup: the request parameter
// nameKey names the entity, newKey and newPath its new name and path.
//
// A rename is the deletion of the old name and the creation of the new
// one. IAM carries the entity's policies, keys and memberships over, but
// a reducer sees one event and not the old state, so the new entity's
// state holds what the event tells: its name, "renamedFrom" (the old name,
// for joining the two histories) and its path when the call moved it. The
// old history ends in a tombstone whose provenance is the rename. A call
// that only moves the entity sets its path.
func iamRename(typ, nameKey, newKey string) reducer {
	return func(c *call) ([]state.Change, error) {
		old, err := iamReq(c, nameKey)
		if err != nil {
			return nil, err
		}
		r := iamID(c, typ, old)
		newName, newPath := str(c.req, newKey), str(c.req, "newPath")
		if newName == "" || newName == old {
			if newPath == "" {
				return nil, nil
			}
			return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"path"}, Value: newPath}}, nil
		}
		s := map[string]any{nameKey: newName, "renamedFrom": old}
		setIf(s, "path", newPath)
		return []state.Change{
			{Resource: r, Op: state.OpDelete},
			{Resource: iamID(c, typ, newName), Op: state.OpPut, Value: s},
		}, nil
	}
}

// policyDocument returns a policy document as structured data. CloudTrail
// logs request documents as JSON text and response documents URL-encoded
// (RFC 3986: spaces as %20, so a literal '+' is kept). A string that is
// neither stays a string; nil stays nil.
func policyDocument(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		if u, err := url.PathUnescape(t); err == nil {
			t = strings.TrimSpace(u)
		}
	}
	if strings.HasPrefix(t, "{") {
		if doc, err := ctjson.Value([]byte(t)); err == nil {
			return doc
		}
	}
	return s
}

// iamPartition returns the ARN partition of the event's region.
func iamPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
