package state

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/event"
)

// ChangeSource is the eventSource of change events: the records the state
// keeper hands to the rule engine, one per new revision. Their eventName is
// the resource type ("AWS::EC2::SecurityGroup"), so a rule subscribes to the
// changes of a type as it subscribes to API calls:
//
//	match:
//	  eventSource: trailwarden.state
//	  eventName: AWS::EC2::SecurityGroup
//
// A rule matching eventSource "*" does not receive change events: only a
// rule that names ChangeSource does.
const ChangeSource = event.ChangeSource

// ChangeEventType is the eventType of change events.
const ChangeEventType = "TrailwardenResourceChange"

// The operations a change event reports.
const (
	ChangeCreate = "create" // the first revision, or one after a deletion
	ChangeUpdate = "update"
	ChangeDelete = "delete" // a tombstone
	// ChangeCheck is a periodic look at a live resource that did not
	// change: before and after are its state, the diff is empty. Rules about
	// time (an instance running untagged for a day) fire on it.
	ChangeCheck = "check"
)

// Operation says what a.After did: create, update or delete.
func (a *Applied) Operation() string {
	switch {
	case a.After.Deleted:
		return ChangeDelete
	case a.Before == nil || a.Before.Deleted:
		return ChangeCreate
	}
	return ChangeUpdate
}

// changeRecord is the JSON shape of a change event. It follows CloudTrail's
// record so that every rule feature (actor, region, account, dedup, summary
// templates) works on it; the change itself is under "change".
type changeRecord struct {
	EventVersion       string         `json:"eventVersion"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	EventType          string         `json:"eventType"`
	EventCategory      string         `json:"eventCategory"`
	EventID            string         `json:"eventID"`
	EventTime          string         `json:"eventTime"`
	AWSRegion          string         `json:"awsRegion"`
	RecipientAccountID string         `json:"recipientAccountId"`
	UserIdentity       map[string]any `json:"userIdentity"`
	SourceIPAddress    string         `json:"sourceIPAddress,omitempty"`
	UserAgent          string         `json:"userAgent,omitempty"`
	ReadOnly           bool           `json:"readOnly"`
	Change             changeBody     `json:"change"`
}

type changeBody struct {
	Operation string         `json:"operation"`
	Resource  ResourceID     `json:"resource"`
	Revision  int            `json:"revision"`
	Before    map[string]any `json:"before"` // null when created
	After     map[string]any `json:"after"`  // null when deleted
	Diff      []FieldChange  `json:"diff"`
	// Cause is the event that made the revision.
	Cause struct {
		EventID     string `json:"eventId"`
		EventName   string `json:"eventName"`
		EventSource string `json:"eventSource,omitempty"`
	} `json:"cause"`
}

// ChangeRecord returns the change event of a as a JSON record (see
// ChangeSource). Its eventID is the cause's event id and the resource key,
// so that the same revision always makes the same change event.
func ChangeRecord(a *Applied) ([]byte, error) {
	p := a.After.Provenance
	b, err := changeRecordOf(a, a.Operation(), p.EventTime, p.EventID+"|"+a.Resource.Key())
	if err != nil {
		return nil, fmt.Errorf("change event of %s revision %d: %w", a.Resource, a.After.Number, err)
	}
	return b, nil
}

func changeRecordOf(a *Applied, op string, at time.Time, eventID string) ([]byte, error) {
	p := a.After.Provenance
	r := changeRecord{
		EventVersion:       "1.11",
		EventSource:        ChangeSource,
		EventName:          a.Resource.Type,
		EventType:          ChangeEventType,
		EventCategory:      "State",
		EventID:            eventID,
		EventTime:          at.UTC().Format(time.RFC3339Nano),
		AWSRegion:          a.Resource.Region,
		RecipientAccountID: a.Resource.Account,
		UserIdentity:       identityOf(p),
		SourceIPAddress:    p.SourceIP,
		UserAgent:          p.UserAgent,
		Change: changeBody{
			Operation: op,
			Resource:  a.Resource,
			Revision:  a.After.Number,
			After:     a.After.State,
			Diff:      a.After.Diff,
		},
	}
	if r.Change.Diff == nil {
		r.Change.Diff = []FieldChange{}
	}
	if a.Before != nil && !a.Before.Deleted {
		r.Change.Before = a.Before.State
	}
	r.Change.Cause.EventID, r.Change.Cause.EventName, r.Change.Cause.EventSource = p.EventID, p.EventName, p.EventSource
	return json.Marshal(&r)
}

// CheckRecord returns the change event of a check (ChangeCheck) of the live
// resource id, whose current revision is rev, at time at: the state is
// rev's, the cause and actor those of rev's event, the event time at. Its
// eventID names the resource and the time, so that a check repeated at the
// same time makes the same event.
func CheckRecord(id ResourceID, rev *Revision, at time.Time) ([]byte, error) {
	a := Applied{Resource: id, Before: rev, After: *rev}
	a.After.Diff = []FieldChange{}
	raw, err := changeRecordOf(&a, ChangeCheck, at, "check|"+id.Key()+"|"+at.UTC().Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("check of %s: %w", id, err)
	}
	return raw, nil
}

// identityOf rebuilds the userIdentity a rule sees from the provenance: the
// actor's ARN (or name), the role session's issuer and source identity.
func identityOf(p Provenance) map[string]any {
	id := map[string]any{}
	switch {
	case strings.HasPrefix(p.Actor, "arn:"):
		id["arn"] = p.Actor
		if strings.Contains(p.Actor, ":assumed-role/") {
			id["type"] = "AssumedRole"
		} else if strings.HasSuffix(p.Actor, ":root") {
			id["type"] = "Root"
		} else if strings.Contains(p.Actor, ":user/") {
			id["type"] = "IAMUser"
		}
	case p.Actor != "":
		id["userName"] = p.Actor
	}
	if p.Issuer != "" || p.SourceIdentity != "" {
		sc := map[string]any{}
		if p.Issuer != "" {
			sc["sessionIssuer"] = map[string]any{"arn": p.Issuer}
		}
		if p.SourceIdentity != "" {
			sc["sourceIdentity"] = p.SourceIdentity
		}
		id["sessionContext"] = sc
	}
	if len(id) == 0 {
		id["type"] = "Unknown"
	}
	return id
}
