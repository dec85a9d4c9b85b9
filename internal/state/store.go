package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned, wrapped, when a Store knows no such resource, or
// none in force at the time asked.
var ErrNotFound = errors.New("resource not found")

// ErrBadStep is wrapped by the errors of Fold and Apply about a step that
// cannot be applied whatever the store's health (a change without a path, a
// value that does not encode): applying the other steps without it can
// succeed. Any other Apply error is the store's (busy, disk full, lost
// connection) and applies to every step alike.
var ErrBadStep = errors.New("step cannot be applied")

// Store keeps the steps of every resource and the histories Fold makes of
// them. Implementations are safe for concurrent use; statetest.Run is the
// conformance suite every one of them passes.
//
// A Store gives the same histories as Fold over the same steps, whatever the
// order they arrive in and however often.
type Store interface {
	// Apply records steps in one transaction: all of them or, with an
	// error, none. It is idempotent per event id and resource: a second
	// Apply of an event already recorded for a resource changes nothing
	// (the first copy wins). Apply does not retain or modify steps.
	//
	// It returns what the new steps did (see Applied), ordered by resource
	// key, then revision number; nothing for a duplicate.
	Apply(ctx context.Context, steps []Step) ([]Applied, error)
	// History returns everything known about id (ARN ignored); ErrNotFound
	// when no step names it.
	History(ctx context.Context, id ResourceID) (*History, error)
	// At returns the revision of id in force at t: the last one whose event
	// time is not after t; a zero t means now. After a deletion that is the
	// tombstone. ErrNotFound when id has no revision by t.
	At(ctx context.Context, id ResourceID, t time.Time) (*Revision, error)
	// List returns the current resources that match f, sorted by key.
	List(ctx context.Context, f Filter) ([]ResourceSummary, error)
	// Close releases the store. Calls in flight should have returned first.
	Close() error
}

// Filter narrows List. An empty field matches everything.
type Filter struct {
	Type    string
	Account string
	Region  string
	// IncludeDeleted lists resources whose current revision is a tombstone.
	IncludeDeleted bool
}

// ResourceSummary is one resource as List returns it: its current revision,
// without state.
type ResourceSummary struct {
	Resource ResourceID `json:"resource"` // with the ARN, where known
	Revision int        `json:"revision"` // the current revision's number
	Updated  time.Time  `json:"updated"`  // its event time
	Deleted  bool       `json:"deleted,omitempty"`
}

// EncodeStep returns the JSON a store keeps of st: its provenance, changes
// and targets. An error wraps ErrBadStep and names the event.
func EncodeStep(st *Step) (prov, changes, targets []byte, err error) {
	if prov, err = json.Marshal(st.Provenance); err == nil {
		if changes, err = json.Marshal(st.Changes); err == nil {
			targets, err = json.Marshal(st.Targets)
		}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("event %s: %w: %w", st.Provenance.EventID, ErrBadStep, err)
	}
	return prov, changes, targets, nil
}
