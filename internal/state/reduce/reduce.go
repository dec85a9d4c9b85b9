// Package reduce turns CloudTrail events into state changes: one small
// file per resource type, dispatched by eventSource and eventName.
//
// Reducers are pure: they read only the event. A failed call (errorCode)
// changes nothing; the caller records it in the resource's timeline.
package reduce

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trailwarden/trailwarden/internal/ctjson"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
)

// ErrShape is wrapped by every error about a record whose shape a reducer
// did not expect.
var ErrShape = errors.New("unexpected record shape")

// ShapeError says which record a reducer could not read and why.
type ShapeError struct {
	EventID   string
	EventName string
	Reason    string
}

// Error names the event, its name and what was wrong.
func (e *ShapeError) Error() string {
	return fmt.Sprintf("event %s (%s): %v: %s", e.EventID, e.EventName, ErrShape, e.Reason)
}

// Unwrap returns ErrShape.
func (e *ShapeError) Unwrap() error { return ErrShape }

// reducer reads one kind of event.
type reducer func(c *call) ([]state.Change, error)

// reducers maps eventSource, then eventName, to a reducer. Each resource
// file adds its own in init.
var reducers = map[string]map[string]reducer{}

func register(source string, m map[string]reducer) {
	if reducers[source] == nil {
		reducers[source] = map[string]reducer{}
	}
	for name, r := range m {
		reducers[source][name] = r
	}
}

// Handles reports whether Reduce knows the event's source and name.
func Handles(e *event.Event) bool {
	_, ok := reducers[e.Source][e.Name]
	return ok
}

// Reduce returns the changes e makes. Events it does not know, and failed
// calls, make none. A record of a known kind but an unexpected shape is a
// *ShapeError naming the event; Reduce never panics on input.
func Reduce(e *event.Event) (changes []state.Change, err error) {
	r, ok := reducers[e.Source][e.Name]
	if !ok || e.Failed() {
		return nil, nil
	}
	defer func() {
		if p := recover(); p != nil {
			changes, err = nil, &ShapeError{EventID: e.ID, EventName: e.Name, Reason: fmt.Sprint("reducer panicked: ", p)}
		}
	}()
	c := &call{e: e}
	if c.req, err = c.object(event.FRequestParameters); err != nil {
		return nil, err
	}
	if c.resp, err = c.object(event.FResponseElements); err != nil {
		return nil, err
	}
	return r(c)
}

// call is one event being reduced, with its parameters decoded.
type call struct {
	e    *event.Event
	req  map[string]any // nil when absent or null
	resp map[string]any // nil when absent or null
}

func (c *call) errorf(format string, args ...any) error {
	return &ShapeError{EventID: strings.Clone(c.e.ID), EventName: strings.Clone(c.e.Name), Reason: fmt.Sprintf(format, args...)}
}

func (c *call) object(f event.FieldID) (map[string]any, error) {
	raw := c.e.Field(f)
	if len(raw) == 0 || raw[0] == 'n' {
		return nil, nil
	}
	v, err := ctjson.Value(raw)
	if err != nil {
		return nil, c.errorf("%s: %v", f.Name(), err)
	}
	switch v := v.(type) {
	case map[string]any:
		return v, nil
	case string:
		// some old records carry an empty string for a null object
		if v == "" {
			return nil, nil
		}
	}
	return nil, c.errorf("%s is %T, want an object", f.Name(), v)
}

// id returns a ResourceID in the event's account and region.
func (c *call) id(typ, id string) state.ResourceID {
	return state.ResourceID{Account: strings.Clone(c.e.Account), Region: strings.Clone(c.e.Region), Type: typ, ID: id}
}

// get walks nested maps; nil when any step is missing or not a map.
func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// str returns the string at path, or "".
func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}

// items returns the EC2-style list at path: {"items": [...]}; a bare list
// or a single object is accepted too.
func items(m map[string]any, path ...string) []map[string]any {
	v := get(m, path...)
	if o, ok := v.(map[string]any); ok {
		if it, ok := o["items"]; ok {
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

// tagMap turns a list of {key, value} (any capitalisation) into a map.
func tagMap(list []map[string]any) map[string]any {
	m := map[string]any{}
	for _, t := range list {
		k, v := t["key"], t["value"]
		if k == nil {
			k, v = t["Key"], t["Value"]
		}
		ks, ok := k.(string)
		if !ok {
			continue
		}
		if v == nil {
			v = ""
		}
		m[ks] = fmt.Sprint(v)
	}
	return m
}

// stripXMLNS drops the "xmlns" keys that S3 copies from its XML bodies.
func stripXMLNS(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if k != "xmlns" {
				m[k] = stripXMLNS(x)
			}
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = stripXMLNS(x)
		}
		return s
	}
	return v
}

// sortedKeys returns the keys of m in order, so that changes come out the
// same every time.
func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Step reduces e into a state.Step: its provenance and changes. For a
// failed call Changes is empty and Targets names, where the request tells
// it, the resources the call was about, so that the failure shows in their
// timelines. The Step owns its strings: it outlives the event's buffer.
func Step(e *event.Event) (state.Step, error) {
	p, err := state.ProvenanceOf(e)
	if err != nil {
		return state.Step{}, err
	}
	if !e.Failed() {
		cs, err := Reduce(e)
		return state.Step{Provenance: p, Changes: cs}, err
	}
	return state.Step{Provenance: p, Targets: Targets(e)}, nil
}

// Targets returns the resources e is about, failed or not, as far as the
// request tells them (a failed call has no response: a failed RunInstances
// names no instance). It is best effort: nil when unknown.
func Targets(e *event.Event) []state.ResourceID {
	r, ok := reducers[e.Source][e.Name]
	if !ok {
		return nil
	}
	var cs []state.Change
	func() {
		defer func() { _ = recover() }()
		c := &call{e: e}
		var err error
		if c.req, err = c.object(event.FRequestParameters); err != nil {
			return
		}
		if c.resp, err = c.object(event.FResponseElements); err != nil {
			return
		}
		cs, _ = r(c)
	}()
	var out []state.ResourceID
	seen := map[string]bool{}
	for _, c := range cs {
		if k := c.Resource.Key(); !seen[k] {
			seen[k] = true
			out = append(out, c.Resource)
		}
	}
	return out
}
