package state

import (
	"slices"
	"strings"
)

// BlameLine says which revision last set one leaf field of a state.
type BlameLine struct {
	Path       []string   `json:"path"`
	Value      any        `json:"value"`
	Revision   int        `json:"revision"`
	Provenance Provenance `json:"provenance"`
}

// Blame returns, for each leaf field of h's current state under path (the
// whole state when path is empty), the revision that last changed it:
// the last revision whose diff touched the field, a field inside it, or a
// map holding it. Leaves are what Diff compares: values other than maps,
// and empty maps. Lines are sorted by path.
//
// Blame returns nothing when the resource is deleted, has no revision, or
// has no field at path. To blame an earlier state, pass a History whose
// Revisions end at that state.
func Blame(h *History, path []string) []BlameLine {
	cur := h.Current()
	if cur == nil || cur.State == nil {
		return nil
	}
	v, ok := lookup(cur.State, path)
	if !ok {
		return nil
	}
	var out []BlameLine
	walkLeaves(slices.Clip(path), v, func(p []string, leaf any) {
		bl := BlameLine{Path: p, Value: leaf}
		for i := len(h.Revisions) - 1; i >= 0; i-- {
			if touches(h.Revisions[i].Diff, p) {
				bl.Revision = h.Revisions[i].Number
				bl.Provenance = h.Revisions[i].Provenance
				break
			}
		}
		out = append(out, bl)
	})
	slices.SortFunc(out, func(a, b BlameLine) int { return slices.Compare(a.Path, b.Path) })
	return out
}

// touches reports whether one of diff's changes is at p, inside it or
// above it.
func touches(diff []FieldChange, p []string) bool {
	for _, c := range diff {
		n := min(len(c.Path), len(p))
		if slices.Equal(c.Path[:n], p[:n]) {
			return true
		}
	}
	return false
}

// lookup returns the value at path in m.
func lookup(m map[string]any, path []string) (any, bool) {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// walkLeaves calls fn for each leaf at or under v, whose path is p.
func walkLeaves(p []string, v any, fn func(p []string, leaf any)) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		fn(p, v)
		return
	}
	for k, x := range m {
		walkLeaves(append(slices.Clip(p), k), x, fn)
	}
}

// ResolvePath splits a dotted field name ("tags.Owner") into the path of a
// field of m. Keys may hold dots themselves (a security group rule
// "tcp:22-22:cidrIpv4:10.0.0.0/8", a tag "kubernetes.io/name"): at each
// level a key of m that the name starts with, followed by a dot or the end,
// is taken, the longest first. It returns false when no field of m has that
// name. An empty name is the empty path.
func ResolvePath(m map[string]any, dotted string) ([]string, bool) {
	if dotted == "" {
		return nil, true
	}
	var keys []string
	for k := range m {
		if k != "" && (dotted == k || strings.HasPrefix(dotted, k+".")) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	for _, k := range keys {
		rest := strings.TrimPrefix(dotted[len(k):], ".")
		if rest == "" {
			return []string{k}, true
		}
		sub, ok := m[k].(map[string]any)
		if !ok {
			continue
		}
		if p, ok := ResolvePath(sub, rest); ok {
			return append([]string{k}, p...), true
		}
	}
	return nil, false
}
