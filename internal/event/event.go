// Package event is trailwarden's model of one CloudTrail record.
//
// An Event keeps the record's raw JSON unchanged (nothing is ever lost) and an
// index of where each known top-level field's value lies in it, built in the
// same pass that validates the record. The fields routing needs (eventSource,
// eventName, eventID, eventTime, awsRegion, eventVersion, recipientAccountId,
// errorCode) are decoded eagerly; everything else is decoded only when a rule
// or an output asks for it, through Field, Value or Detail.
package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/trailwarden/trailwarden/internal/ctjson"
)

// FieldID names a known top-level CloudTrail field.
type FieldID uint8

// The known top-level fields. Unknown fields stay in Raw and can be read with
// Lookup.
const (
	FEventVersion FieldID = iota
	FUserIdentity
	FEventTime
	FEventSource
	FEventName
	FAWSRegion
	FSourceIPAddress
	FUserAgent
	FErrorCode
	FErrorMessage
	FRequestParameters
	FResponseElements
	FAdditionalEventData
	FResources
	FRequestID
	FEventID
	FReadOnly
	FEventType
	FManagementEvent
	FRecipientAccountID
	FEventCategory
	FSharedEventID
	FVPCEndpointID
	FTLSDetails
	FAddendum
	FServiceEventDetails
	FSessionCredentialFromConsole
	FAPIVersion
	FTimestamp // "@timestamp", written by log shippers that rename eventTime
	numFields
)

// NumFields is the number of known top-level fields.
const NumFields = int(numFields)

// LookupField returns the FieldID of a known top-level key.
func LookupField(key string) (FieldID, bool) { return fieldByName([]byte(key)) }

var fieldNames = [numFields]string{
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters",
	"responseElements", "additionalEventData", "resources", "requestID", "eventID", "readOnly",
	"eventType", "managementEvent", "recipientAccountId", "eventCategory", "sharedEventID",
	"vpcEndpointId", "tlsDetails", "addendum", "serviceEventDetails", "sessionCredentialFromConsole",
	"apiVersion", "@timestamp",
}

// Name returns the JSON name of the field.
func (f FieldID) Name() string { return fieldNames[f] }

// fieldByName maps a JSON key to its FieldID.
func fieldByName(k []byte) (FieldID, bool) {
	switch string(k) {
	case "eventVersion":
		return FEventVersion, true
	case "userIdentity":
		return FUserIdentity, true
	case "eventTime":
		return FEventTime, true
	case "eventSource":
		return FEventSource, true
	case "eventName":
		return FEventName, true
	case "awsRegion":
		return FAWSRegion, true
	case "sourceIPAddress":
		return FSourceIPAddress, true
	case "userAgent":
		return FUserAgent, true
	case "errorCode":
		return FErrorCode, true
	case "errorMessage":
		return FErrorMessage, true
	case "requestParameters":
		return FRequestParameters, true
	case "responseElements":
		return FResponseElements, true
	case "additionalEventData":
		return FAdditionalEventData, true
	case "resources":
		return FResources, true
	case "requestID":
		return FRequestID, true
	case "eventID":
		return FEventID, true
	case "readOnly":
		return FReadOnly, true
	case "eventType":
		return FEventType, true
	case "managementEvent":
		return FManagementEvent, true
	case "recipientAccountId":
		return FRecipientAccountID, true
	case "eventCategory":
		return FEventCategory, true
	case "sharedEventID":
		return FSharedEventID, true
	case "vpcEndpointId":
		return FVPCEndpointID, true
	case "tlsDetails":
		return FTLSDetails, true
	case "addendum":
		return FAddendum, true
	case "serviceEventDetails":
		return FServiceEventDetails, true
	case "sessionCredentialFromConsole":
		return FSessionCredentialFromConsole, true
	case "apiVersion":
		return FAPIVersion, true
	case "@timestamp":
		return FTimestamp, true
	}
	return 0, false
}

type span struct{ start, end uint32 }

// ChangeSource is the eventSource of the change events trailwarden makes
// from resource state revisions (see package state). Rules subscribed to
// every source ("*") do not receive them.
const ChangeSource = "trailwarden.state"

// Event is one CloudTrail record. Raw is owned by the Event and must not be
// modified. An Event is safe for concurrent reads.
type Event struct {
	// Raw is the record exactly as delivered.
	Raw []byte

	// Eagerly decoded routing fields.
	Version string
	Source  string
	Name    string
	Region  string
	// ID is the eventID, or "sha256:<hex>" of Raw when the record has none.
	// Like Raw it may point into the decoder's buffer: Clone the event (or
	// strings.Clone the ID) to keep it.
	ID        string
	Account   string // recipientAccountId, or userIdentity.accountId when absent
	ErrorCode string
	Time      time.Time

	spans [numFields]span
}

// Errors describing records that are valid JSON but not usable CloudTrail
// records. They are wrapped in a *FieldError.
var (
	ErrMissing      = errors.New("missing required field")
	ErrWrongType    = errors.New("wrong type")
	ErrBadTime      = errors.New("unparseable time")
	ErrBadVersion   = errors.New("unsupported eventVersion")
	ErrNotAnObject  = errors.New("record is not a JSON object")
	ErrDuplicateKey = errors.New("duplicate key")
)

// FieldError says which field of a record is unusable and why.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %s: %v", e.Field, e.Err) }

// Unwrap returns the reason.
func (e *FieldError) Unwrap() error { return e.Err }

// Has reports whether the record has field f (a JSON null counts as present).
func (e *Event) Has(f FieldID) bool { return e.spans[f].end != 0 }

// Field returns the raw JSON value of field f, or nil when it is absent.
func (e *Event) Field(f FieldID) []byte {
	s := e.spans[f]
	if s.end == 0 {
		return nil
	}
	return e.Raw[s.start:s.end]
}

// Lookup returns the raw JSON value of any top-level key, known or not.
func (e *Event) Lookup(key string) ([]byte, bool) {
	if k, ok := fieldByName([]byte(key)); ok {
		v := e.Field(k)
		return v, v != nil
	}
	v, ok, err := ctjson.Find(e.Raw, key)
	return v, ok && err == nil
}

// String returns field f decoded as a string, or "" when it is absent, null
// or not a string.
func (e *Event) String(f FieldID) string {
	v := e.Field(f)
	if len(v) == 0 || v[0] != '"' {
		return ""
	}
	s, _ := ctjson.String(v)
	return s
}

// Value decodes field f into Go values (see ctjson.Value); nil when absent.
func (e *Event) Value(f FieldID) (any, error) {
	v := e.Field(f)
	if v == nil {
		return nil, nil
	}
	return ctjson.Value(v)
}

// ReadOnly returns the record's readOnly flag and whether it is known.
// CloudTrail writes it as a boolean, some older records as a string.
func (e *Event) ReadOnly() (readOnly, known bool) {
	switch v := string(e.Field(FReadOnly)); v {
	case "true", `"true"`:
		return true, true
	case "false", `"false"`:
		return false, true
	}
	return false, false
}

// IdentityType returns userIdentity.type without decoding the rest of
// userIdentity. Like ID, the string may point into the record: clone it to
// keep it.
func (e *Event) IdentityType() string {
	ui := e.Field(FUserIdentity)
	if len(ui) == 0 || ui[0] != '{' {
		return ""
	}
	v, ok, err := ctjson.Find(ui, "type")
	if !ok || err != nil || len(v) < 2 || v[0] != '"' {
		return ""
	}
	if body := v[1 : len(v)-1]; bytes.IndexByte(body, '\\') < 0 {
		return unsafe.String(unsafe.SliceData(body), len(body))
	}
	s, _ := ctjson.String(v)
	return s
}

// ActorName returns a readable name of the caller: userIdentity.arn, else
// userName, invokedBy, principalId or type; "unknown" without any. It reads
// only the fields it needs.
func (e *Event) ActorName() string {
	ui := e.Field(FUserIdentity)
	if len(ui) == 0 || ui[0] != '{' {
		return "unknown"
	}
	for _, k := range [...]string{"arn", "userName", "invokedBy", "principalId", "type"} {
		if v, ok, err := ctjson.Find(ui, k); ok && err == nil && len(v) > 2 && v[0] == '"' {
			if s, err := ctjson.String(v); err == nil {
				return s
			}
		}
	}
	return "unknown"
}

// Failed reports whether the call failed (the record has an errorCode).
func (e *Event) Failed() bool { return e.ErrorCode != "" }

// Service returns the short service name: "ec2" for "ec2.amazonaws.com".
func (e *Event) Service() string {
	s, _, _ := strings.Cut(e.Source, ".")
	return s
}

func contentID(raw []byte) string {
	h := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(h[:16])
}

// Clone returns a copy of e that owns its bytes (decoders hand out events
// whose Raw aliases a reused buffer).
func (e *Event) Clone() *Event {
	c := *e
	c.Raw = append([]byte(nil), e.Raw...)
	c.ID = strings.Clone(e.ID)
	return &c
}
