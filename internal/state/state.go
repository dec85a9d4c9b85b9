// Package state models cloud resources as they are changed by CloudTrail
// events: a resource's history is a list of revisions, each the state after
// one event, the field-level diff it made and who made it.
//
// Reducers (package reduce) turn one event into Changes; Fold turns all the
// changes of a resource, received in any order and possibly more than once,
// into its ordered, de-duplicated history.
package state

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/event"
)

// ResourceID names one resource. Account, Region, Type and ID identify it;
// ARN is informative (set where the event tells it) and not part of the
// identity.
type ResourceID struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Type    string `json:"type"` // e.g. "AWS::EC2::Instance"
	ID      string `json:"id"`
	ARN     string `json:"arn,omitempty"`
}

// Key returns the identity of the resource as one string
// (account/region/type/id), ignoring ARN.
func (r ResourceID) Key() string {
	return strings.Join([]string{r.Account, r.Region, r.Type, r.ID}, "/")
}

// String returns Key.
func (r ResourceID) String() string { return r.Key() }

// Op is what a Change does.
type Op string

// The operations. Paths address nested maps in the resource's state.
const (
	// OpPut replaces the whole state with Value (a map[string]any); it
	// creates the resource, or re-creates it after a deletion. Path is empty.
	OpPut Op = "put"
	// OpSet assigns Value at Path, creating intermediate maps.
	OpSet Op = "set"
	// OpUnset removes the field at Path (no-op when absent).
	OpUnset Op = "unset"
	// OpAdd adds a member to the set at Path[:len-1]; the last element of
	// Path is the member's identity (e.g. a normalised rule or an access key
	// id) and Value is the member.
	OpAdd Op = "add"
	// OpRemove removes the member whose identity is the last element of
	// Path. With a map Value, Path names the set itself and every member
	// (a map) holding all of Value's fields is removed: a removal by
	// attribute, such as a security group rule by its rule id.
	OpRemove Op = "remove"
	// OpDelete deletes the resource: its state becomes empty and the revision
	// is a tombstone. Its history survives.
	OpDelete Op = "delete"
	// OpReplace replaces, in the set at Path, the members found by
	// attribute. Value is a map {"match": map, "key": string, "member":
	// map}: every member holding all of match's fields is removed and, when
	// at least one was, member is added under key. A set with no match is
	// left alone, so the same change can be sent to several sets when the
	// event does not say which one holds the member (a security group rule
	// modified by its rule id, ingress or egress).
	OpReplace Op = "replace"
)

// Change is one modification of one resource, as data.
type Change struct {
	Resource ResourceID `json:"resource"`
	Op       Op         `json:"op"`
	Path     []string   `json:"path,omitempty"`
	Value    any        `json:"value,omitempty"`
}

// Provenance says which event made a change and who called it.
type Provenance struct {
	EventID        string    `json:"eventId"`
	EventName      string    `json:"eventName"`
	EventSource    string    `json:"eventSource,omitempty"`
	EventTime      time.Time `json:"eventTime"`
	Actor          string    `json:"actor"`            // userIdentity.arn, else the readable name
	Issuer         string    `json:"issuer,omitempty"` // sessionContext.sessionIssuer.arn
	SourceIdentity string    `json:"sourceIdentity,omitempty"`
	SourceIP       string    `json:"sourceIp,omitempty"`
	UserAgent      string    `json:"userAgent,omitempty"`
	ErrorCode      string    `json:"errorCode,omitempty"`
}

// ProvenanceOf reads the provenance of e. The strings are copies: the
// result outlives the event's buffer.
func ProvenanceOf(e *event.Event) (Provenance, error) {
	id, err := e.Identity()
	if err != nil {
		return Provenance{}, fmt.Errorf("event %s: %w", e.ID, err)
	}
	p := Provenance{
		EventID:     strings.Clone(e.ID),
		EventName:   strings.Clone(e.Name),
		EventSource: strings.Clone(e.Source),
		EventTime:   e.Time.UTC(),
		Actor:       id.Name(),
		SourceIP:    e.String(event.FSourceIPAddress),
		UserAgent:   e.String(event.FUserAgent),
		ErrorCode:   strings.Clone(e.ErrorCode),
	}
	if sc := id.SessionContext; sc != nil {
		p.Issuer = sc.SessionIssuer.ARN
		p.SourceIdentity = sc.SourceIdentity
	}
	return p, nil
}

// FieldChange is one leaf of the state that an event changed. Before is nil
// when the field was added, After nil when it was removed. Maps are walked
// into; any other value (lists included) is a leaf.
type FieldChange struct {
	Path   []string `json:"path"`
	Before any      `json:"before,omitempty"`
	After  any      `json:"after,omitempty"`
}

// Revision is the state of a resource after one event.
type Revision struct {
	Number     int            `json:"number"` // 1, 2, ... in event order
	Provenance Provenance     `json:"provenance"`
	State      map[string]any `json:"state"` // after the event; nil when Deleted
	Diff       []FieldChange  `json:"diff"`
	Deleted    bool           `json:"deleted,omitempty"` // a tombstone
}

// TimelineEntry is one event that concerned a resource, in event order.
// Revision is the revision it made, or 0 when it changed nothing (a failed
// call, or a call that left the state as it was).
type TimelineEntry struct {
	Provenance Provenance `json:"provenance"`
	Revision   int        `json:"revision,omitempty"`
}

// History is everything known about one resource.
type History struct {
	Resource  ResourceID      `json:"resource"`
	Revisions []Revision      `json:"revisions"`
	Timeline  []TimelineEntry `json:"timeline"`
}

// Current returns the last revision, or nil when there is none.
func (h *History) Current() *Revision {
	if len(h.Revisions) == 0 {
		return nil
	}
	return &h.Revisions[len(h.Revisions)-1]
}

// Step is one event's contribution to a resource: its provenance and the
// changes it made (none for a failed call).
type Step struct {
	Provenance Provenance `json:"provenance"`
	Changes    []Change   `json:"changes,omitempty"`
	// Targets names the resources of a call that changed nothing (a failed
	// call), so that FoldAll can put it in their timelines.
	Targets []ResourceID `json:"targets,omitempty"`
}

// Applied is what one newly recorded event did to one resource: the
// revision it made, and the revision before it. Store.Apply returns one per
// revision its new steps made, so that the pipeline can hand them to rules
// as change events. A duplicate event, a failed call and a call that left
// the state as it was make none. When an event arrives late, between
// revisions already recorded, its Applied says what it did at its own
// time; the later revisions are re-folded but not reported again.
type Applied struct {
	Resource ResourceID `json:"resource"` // with the ARN, where known
	// Before is the revision in force before the event; nil when the event
	// created the resource. After a deletion it is the tombstone.
	Before *Revision `json:"before,omitempty"`
	After  Revision  `json:"after"`
}

// AppliedIn returns the Applied of each revision of revs whose event fresh
// reports, in order. prev is the revision before revs[0] (nil when revs
// starts the history).
func AppliedIn(id ResourceID, revs []Revision, prev *Revision, fresh func(eventID string) bool) []Applied {
	var out []Applied
	for i := range revs {
		if fresh(revs[i].Provenance.EventID) {
			out = append(out, Applied{Resource: id, Before: prev, After: revs[i]})
		}
		prev = &revs[i]
	}
	return out
}

// Resources returns the resources s names, each once, ARN cleared, in order
// of first mention (changes, then targets), as FoldAll groups them: the
// resources whose histories s belongs to.
func (s *Step) Resources() []ResourceID {
	var out []ResourceID
	seen := map[string]bool{}
	add := func(id ResourceID) {
		if k := id.Key(); !seen[k] {
			seen[k] = true
			id.ARN = ""
			out = append(out, id)
		}
	}
	for _, c := range s.Changes {
		add(c.Resource)
	}
	for _, t := range s.Targets {
		add(t)
	}
	return out
}
