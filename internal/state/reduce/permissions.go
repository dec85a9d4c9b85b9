package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// Sharing permissions of snapshots (createVolumePermission) and images
// (launchPermission). The set is keyed by who is allowed: an account id,
// "all" (the group "all": public!), or an organization or OU ARN.

// permissionMember returns the key and value of one permission item:
// {"userId": "1234"} → "1234"; {"group": "all"} → "all".
func permissionMember(m map[string]any) (string, map[string]any) {
	for _, k := range []string{"userId", "group", "organizationArn", "organizationalUnitArn"} {
		if v := fstr(m, k); v != "" {
			return v, map[string]any{k: v}
		}
	}
	return "", nil
}

// permissionChanges reads a Modify*Attribute permission change: the
// attribute {"add": {"items": [...]}, "remove": {...}} of the request, or
// the older flat form (operationType with userId/userIds and groupNames
// lists). setName is the state's set ("createVolumePermissions"). ok is
// false when the request holds no such change.
func permissionChanges(c *call, r state.ResourceID, attr, setName string) (out []state.Change, ok bool) {
	add := func(op state.Op, m map[string]any) {
		k, v := permissionMember(m)
		if k == "" {
			return
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{setName, k}}
		if op == state.OpAdd {
			ch.Value = v
		}
		out = append(out, ch)
		ok = true
	}
	if p, isMap := fget(c.req, attr).(map[string]any); isMap {
		for _, it := range list(p, "add") {
			add(state.OpAdd, it)
		}
		for _, it := range list(p, "remove") {
			add(state.OpRemove, it)
		}
		return out, ok
	}
	var op state.Op
	switch fstr(c.req, "operationType") {
	case "add":
		op = state.OpAdd
	case "remove":
		op = state.OpRemove
	default:
		return nil, false
	}
	for _, k := range []string{"userId", "userIds", "userGroup", "userGroups", "groupNames"} {
		key := "userId"
		if k == "userGroup" || k == "userGroups" || k == "groupNames" {
			key = "group"
		}
		for _, s := range flatStrings(fget(c.req, k), key) {
			add(op, map[string]any{key: s})
		}
	}
	return out, ok
}

// flatStrings reads a list given as strings, {"items": [{field: s}]}, or
// one string.
func flatStrings(v any, field string) []string {
	var out []string
	if o, isMap := v.(map[string]any); isMap {
		v = o["items"]
		if v == nil {
			v = o["item"]
		}
	}
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			switch x := x.(type) {
			case string:
				out = append(out, x)
			case map[string]any:
				if s := fstr(x, field); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// isAttribute reports whether the attribute a Reset*Attribute names is
// want, in either of EC2's spellings ("createVolumePermission",
// "CREATE_VOLUME_PERMISSION").
func isAttribute(got, want, upper string) bool {
	return got == want || got == upper
}
