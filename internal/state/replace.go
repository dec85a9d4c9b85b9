package state

import (
	"fmt"
	"reflect"
)

// replaceMatching applies an OpReplace to the set at path in m (see
// OpReplace). A missing set is left missing.
func replaceMatching(m map[string]any, path []string, v any) error {
	spec, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: value is %T, want a map", OpReplace, v)
	}
	match, _ := spec["match"].(map[string]any)
	key, _ := spec["key"].(string)
	member, _ := spec["member"].(map[string]any)
	if len(match) == 0 || key == "" || member == nil {
		return fmt.Errorf("%s: value needs match, key and member", OpReplace)
	}
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	if m == nil {
		return nil
	}
	found := false
	for k, x := range m {
		mv, ok := x.(map[string]any)
		if !ok || !holds(mv, match) {
			continue
		}
		delete(m, k)
		found = true
	}
	if found {
		m[key] = deepCopy(member)
	}
	return nil
}

// holds reports whether m has every field of match with the same value.
func holds(m, match map[string]any) bool {
	for f, want := range match {
		got, ok := m[f]
		if !ok || !reflect.DeepEqual(got, want) {
			return false
		}
	}
	return true
}
