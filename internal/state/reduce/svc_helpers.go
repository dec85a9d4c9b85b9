package reduce

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Helpers shared by the Lambda, KMS, CloudTrail and RDS reducers.

// arnResource returns what follows "<kind>" in an ARN's resource part,
// given kind as ":function:", ":trail/", ":key/", ":db:" and so on, and
// whether s held kind at all.
func arnResource(s, kind string) (string, bool) {
	if !strings.HasPrefix(s, "arn:") {
		return "", false
	}
	_, after, ok := strings.Cut(s, kind)
	return after, ok
}

// arnRegionAccount returns the region and account of an ARN
// (arn:partition:service:region:account:...), "" when s is not one.
func arnRegionAccount(s string) (region, account string) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "", ""
	}
	return parts[3], parts[4]
}

// copyFields sets in dst, under the same key, each of keys that src holds
// with a non-null value.
func copyFields(dst, src map[string]any, keys ...string) {
	for _, k := range keys {
		if v, ok := src[k]; ok && v != nil {
			dst[k] = v
		}
	}
}

// setChanges turns the fields of m into one OpSet each, in key order.
func setChanges(r state.ResourceID, m map[string]any) []state.Change {
	out := make([]state.Change, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{k}, Value: m[k]})
	}
	return out
}

// stringList returns the strings of a JSON list (others skipped); a single
// string counts as a list of one. Nil when v is neither.
func stringList(v any) []any {
	switch v := v.(type) {
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []any{v}
	}
	return nil
}

// sortedStrings returns stringList(v) sorted, so that a set given as a
// list compares equal whatever its order.
func sortedStrings(v any) []any {
	l := stringList(v)
	slices.SortFunc(l, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return l
}

// kvTags turns tags into a map: a list of {key, value}, {Key, Value} or
// {tagKey, tagValue} (KMS), or already a map (Lambda). Values become
// strings. Nil when v holds no tag list or map.
func kvTags(v any) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = tagValue(x)
		}
		return m
	case []any:
		m := make(map[string]any, len(v))
		for _, x := range v {
			t, ok := x.(map[string]any)
			if !ok {
				continue
			}
			for _, f := range [...][2]string{{"key", "value"}, {"Key", "Value"}, {"tagKey", "tagValue"}, {"TagKey", "TagValue"}} {
				if k, ok := t[f[0]].(string); ok {
					m[k] = tagValue(t[f[1]])
					break
				}
			}
		}
		return m
	}
	return nil
}

func tagValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// tagChanges sets each tag of tags under "tags".
func tagChanges(r state.ResourceID, tags map[string]any) []state.Change {
	out := make([]state.Change, 0, len(tags))
	for _, k := range sortedKeys(tags) {
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"tags", k}, Value: tags[k]})
	}
	return out
}

// untagChanges unsets each key of the list v under "tags".
func untagChanges(r state.ResourceID, v any) []state.Change {
	keys := stringList(v)
	out := make([]state.Change, 0, len(keys))
	for _, k := range keys {
		out = append(out, state.Change{Resource: r, Op: state.OpUnset, Path: []string{"tags", k.(string)}})
	}
	return out
}

// jsonDocument decodes a policy document that CloudTrail logs as a JSON
// string; an object is kept, and a string that is not JSON stays a string.
func jsonDocument(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	var doc any
	if json.Unmarshal([]byte(s), &doc) == nil {
		return doc
	}
	return s
}
