package state

import (
	"encoding/json"
	"fmt"
	"strings"
)

// String renders c on one line, for people:
//
//	ingress.tcp:22-22:cidrIpv4:0.0.0.0/0: + {"fromPort":22,...}
//	tags.Owner: - alice
//	state: running → stopped
//
// Strings are shown bare, other values as compact JSON (map keys sorted).
func (c FieldChange) String() string {
	p := JoinPath(c.Path)
	switch {
	case c.Before == nil:
		return p + ": + " + FormatValue(c.After)
	case c.After == nil:
		return p + ": - " + FormatValue(c.Before)
	}
	return p + ": " + FormatValue(c.Before) + " → " + FormatValue(c.After)
}

// JoinPath renders a field path dotted ("tags.Owner"); ResolvePath reads it
// back. The empty path is "(state)".
func JoinPath(p []string) string {
	if len(p) == 0 {
		return "(state)"
	}
	return strings.Join(p, ".")
}

// FormatValue renders a state value on one line: a string bare, anything
// else as compact JSON with sorted map keys.
func FormatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
