package reduce

import (
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Who may call a Lambda function: its resource policy, its URL, and the
// tags that policies may key on.

// functionPermission adds or removes a statement of the function's
// resource policy, keyed by statement ID (prefixed by the qualifier when
// the statement is on a version or alias).
func functionPermission(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := function(c, "functionName")
		if err != nil {
			return nil, err
		}
		sid := str(c.req, "statementId")
		if sid == "" {
			return nil, c.errorf("no requestParameters.statementId")
		}
		key := sid
		q := functionQualifier(c)
		if q != "" {
			key = q + ":" + sid
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"permissions", key}}
		if op == state.OpAdd {
			v := map[string]any{}
			copyFields(v, c.req, "action", "principal", "sourceArn", "sourceAccount", "principalOrgID", "functionUrlAuthType")
			if q != "" {
				v["qualifier"] = q
			}
			ch.Value = v
		}
		return []state.Change{ch}, nil
	}
}

// functionTags tags or untags a function; tagging another kind of Lambda
// resource (an event source mapping, a code signing config) changes no
// function.
func functionTags(tag bool) reducer {
	return func(c *call) ([]state.Change, error) {
		res := str(c.req, "resource")
		if res == "" {
			return nil, c.errorf("no requestParameters.resource")
		}
		if !strings.Contains(res, ":function:") && strings.HasPrefix(res, "arn:") {
			return nil, nil
		}
		r, err := function(c, "resource")
		if err != nil {
			return nil, err
		}
		if tag {
			tags := kvTags(c.req["tags"])
			if tags == nil {
				return nil, c.errorf("no requestParameters.tags")
			}
			return tagChanges(r, tags), nil
		}
		return untagChanges(r, c.req["tagKeys"]), nil
	}
}

// functionURL sets (create, update) or unsets the function URL. Its
// authType NONE makes the function callable by anyone.
func functionURL(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := function(c, "functionName")
		if err != nil {
			return nil, err
		}
		if op == state.OpUnset {
			return []state.Change{{Resource: r, Op: op, Path: []string{"functionUrl"}}}, nil
		}
		auth := firstNonEmpty(str(c.resp, "authType"), str(c.req, "authType"))
		url := str(c.resp, "functionUrl")
		if auth == "" && url == "" {
			return nil, c.errorf("no authType in requestParameters or responseElements")
		}
		var out []state.Change
		if auth != "" {
			out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"functionUrl", "authType"}, Value: auth})
		}
		if url != "" {
			out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"functionUrl", "url"}, Value: url})
		}
		if q := functionQualifier(c); q != "" {
			out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"functionUrl", "qualifier"}, Value: q})
		}
		return out, nil
	}
}
