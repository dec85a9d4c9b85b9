package reduce

import (
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Helpers for the EC2 network, image and snapshot reducers. EC2 logs its
// older APIs in camelCase ({"vpcId": ..., "tagSet": {"items": [...]}}) and
// its newer ones as the request's XML body wrapped in its name
// ({"CreateNatGatewayRequest": {"SubnetId": ..., "TagSpecification":
// {"Tag": [...]}}}); these read both.

// body returns m[wrapper] when m is {wrapper: {...}}, else m itself.
func body(m map[string]any, wrapper string) map[string]any {
	if w, ok := m[wrapper].(map[string]any); ok {
		return w
	}
	return m
}

// fget walks path like get, matching each key as given or with its first
// letter upper-cased ("instanceId" finds "InstanceId").
func fget(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		x, ok := mm[p]
		if !ok && p != "" && p[0] >= 'a' && p[0] <= 'z' && len(p) <= 64 {
			var buf [64]byte
			b := append(buf[:0], p...)
			b[0] -= 'a' - 'A'
			x = mm[string(b)] // no allocation: the compiler reads b in place
		}
		v = x
	}
	return v
}

// fstr returns the string at path (see fget), or "".
func fstr(m map[string]any, path ...string) string {
	s, _ := fget(m, path...).(string)
	return s
}

// list returns the list at path in any of EC2's spellings: {"items":
// [...]}, {"item": [...]}, {"item": {...}}, a bare list or a single object
// (keys matched as by fget).
func list(m map[string]any, path ...string) []map[string]any {
	v := fget(m, path...)
	if o, ok := v.(map[string]any); ok {
		if it, ok := o["items"]; ok {
			v = it
		} else if it, ok := o["item"]; ok {
			v = it
		}
	}
	var out []map[string]any
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			if o, ok := x.(map[string]any); ok {
				out = append(out, o)
			}
		}
	case map[string]any:
		if len(v) > 0 {
			out = append(out, v)
		}
	}
	return out
}

// createdTags returns the tags a Create call gave its resource: the
// response's tagSet when echoed, else the request's tag specifications for
// resourceType ("vpc", "subnet"...; any type when empty). Both spellings
// are read: tagSpecificationSet.items[].tags and TagSpecification.Tag.
func createdTags(req, res map[string]any, resourceType string) map[string]any {
	if t := list(res, "tagSet"); len(t) > 0 {
		return tagMap(t)
	}
	tags := map[string]any{}
	specs := list(req, "tagSpecificationSet")
	specs = append(specs, list(req, "TagSpecification")...)
	for _, ts := range specs {
		if rt := fstr(ts, "resourceType"); resourceType != "" && rt != "" && rt != resourceType {
			continue
		}
		ls := list(ts, "tags")
		ls = append(ls, list(ts, "Tag")...)
		for k, v := range tagMap(ls) {
			tags[k] = v
		}
	}
	return tags
}

// eventTime is the event's time in RFC 3339, UTC.
func (c *call) eventTime() string {
	return c.e.Time.UTC().Format(time.RFC3339)
}

// put creates (or re-creates) the resource typ/id with state s.
func (c *call) put(typ, id string, s map[string]any) state.Change {
	return state.Change{Resource: c.id(typ, id), Op: state.OpPut, Value: s}
}

// del deletes the resource typ/id.
func (c *call) del(typ, id string) state.Change {
	return state.Change{Resource: c.id(typ, id), Op: state.OpDelete}
}

// set assigns v at path in the resource typ/id.
func (c *call) set(typ, id string, v any, path ...string) state.Change {
	return state.Change{Resource: c.id(typ, id), Op: state.OpSet, Path: path, Value: v}
}

// need returns the string at path in m (see fget), or a ShapeError naming
// where it was looked for.
func (c *call) need(m map[string]any, where string, path ...string) (string, error) {
	if s := fstr(m, path...); s != "" {
		return s, nil
	}
	return "", c.errorf("no %s.%s", where, strings.Join(path, "."))
}

// boolOf reads a boolean as EC2 logs it: true, "true", or {"value": true}.
func boolOf(v any) (bool, bool) {
	if m, ok := v.(map[string]any); ok {
		v = fget(m, "value")
	}
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch v {
		case "true", "True":
			return true, true
		case "false", "False":
			return false, true
		}
	}
	return false, false
}

// scalar unwraps EC2's {"value": x} attribute form.
func scalar(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if x := fget(m, "value"); x != nil {
			return x
		}
	}
	return v
}

// setAttributes is a Modify*Attribute call that changes one attribute of
// the resource typ named by the request's idKey, logged as {idKey: ...,
// "enableDnsHostnames": {"value": true}}: every other key is set, unwrapped.
func setAttributes(c *call, typ, idKey string) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", idKey)
	if err != nil {
		return nil, err
	}
	var out []state.Change
	for _, k := range sortedKeys(c.req) {
		if k != idKey {
			out = append(out, c.set(typ, id, scalar(c.req[k]), k))
		}
	}
	if out == nil {
		return nil, c.errorf("no attribute in requestParameters")
	}
	return out, nil
}
