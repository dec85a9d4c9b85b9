package event

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trailwarden/trailwarden/internal/ctjson"
)

// FlexBool decodes a JSON boolean written either as true/false or as the
// strings "true"/"false" (CloudTrail uses both, e.g. mfaAuthenticated).
type FlexBool bool

// UnmarshalJSON accepts true, false, "true", "false" and null.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(strings.Trim(string(data), `"`)) {
	case "true":
		*b = true
	case "false", "null", "":
		*b = false
	default:
		return fmt.Errorf("want a boolean, got %s", data)
	}
	return nil
}

// SessionIssuer is userIdentity.sessionContext.sessionIssuer.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionContext is userIdentity.sessionContext.
type SessionContext struct {
	SessionIssuer SessionIssuer `json:"sessionIssuer"`
	Attributes    struct {
		CreationDate     string   `json:"creationDate"`
		MFAAuthenticated FlexBool `json:"mfaAuthenticated"`
	} `json:"attributes"`
	SourceIdentity      string          `json:"sourceIdentity"`
	WebIDFederationData json.RawMessage `json:"webIdFederationData,omitempty"`
	EC2RoleDelivery     string          `json:"ec2RoleDelivery,omitempty"`
}

// Identity is the record's userIdentity.
type Identity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId"`
	ARN              string          `json:"arn"`
	AccountID        string          `json:"accountId"`
	AccessKeyID      string          `json:"accessKeyId"`
	UserName         string          `json:"userName"`
	InvokedBy        string          `json:"invokedBy"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
	OnBehalfOf       json.RawMessage `json:"onBehalfOf,omitempty"`
}

// Name returns the most readable name of the caller.
func (id *Identity) Name() string {
	switch {
	case id.ARN != "":
		return id.ARN
	case id.UserName != "":
		return id.UserName
	case id.InvokedBy != "":
		return id.InvokedBy
	case id.PrincipalID != "":
		return id.PrincipalID
	case id.Type != "":
		return id.Type
	}
	return "unknown"
}

// MFA reports whether the session was MFA-authenticated.
func (id *Identity) MFA() bool {
	return id.SessionContext != nil && bool(id.SessionContext.Attributes.MFAAuthenticated)
}

// Resource is one entry of the record's resources[].
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// Detail is the whole record decoded into typed fields. Free-form parts
// (requestParameters, responseElements, additionalEventData, ...) stay raw.
type Detail struct {
	EventVersion                 string          `json:"eventVersion"`
	UserIdentity                 Identity        `json:"userIdentity"`
	EventTime                    string          `json:"eventTime"`
	EventSource                  string          `json:"eventSource"`
	EventName                    string          `json:"eventName"`
	AWSRegion                    string          `json:"awsRegion"`
	SourceIPAddress              string          `json:"sourceIPAddress"`
	UserAgent                    string          `json:"userAgent"`
	ErrorCode                    string          `json:"errorCode"`
	ErrorMessage                 string          `json:"errorMessage"`
	RequestParameters            json.RawMessage `json:"requestParameters"`
	ResponseElements             json.RawMessage `json:"responseElements"`
	AdditionalEventData          json.RawMessage `json:"additionalEventData"`
	Resources                    []Resource      `json:"resources"`
	RequestID                    string          `json:"requestID"`
	EventID                      string          `json:"eventID"`
	ReadOnly                     FlexBool        `json:"readOnly"`
	EventType                    string          `json:"eventType"`
	ManagementEvent              FlexBool        `json:"managementEvent"`
	RecipientAccountID           string          `json:"recipientAccountId"`
	EventCategory                string          `json:"eventCategory"`
	SharedEventID                string          `json:"sharedEventID"`
	VPCEndpointID                string          `json:"vpcEndpointId"`
	TLSDetails                   *TLSDetails     `json:"tlsDetails,omitempty"`
	Addendum                     json.RawMessage `json:"addendum,omitempty"`
	ServiceEventDetails          json.RawMessage `json:"serviceEventDetails,omitempty"`
	SessionCredentialFromConsole FlexBool        `json:"sessionCredentialFromConsole"`
}

// TLSDetails is the record's tlsDetails.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// Detail decodes the whole record. It is meant for the few events that
// become findings, not for every event.
func (e *Event) Detail() (*Detail, error) {
	var d Detail
	if err := json.Unmarshal(e.Raw, &d); err != nil {
		return nil, fmt.Errorf("decode record %s: %w", e.ID, err)
	}
	return &d, nil
}

// Identity decodes only the record's userIdentity (its string fields and
// the session context; onBehalfOf stays raw). A record without one yields a
// zero Identity. The strings are copies: the Identity outlives the record.
func (e *Event) Identity() (*Identity, error) {
	var id Identity
	raw := e.Field(FUserIdentity)
	if len(raw) == 0 || raw[0] == 'n' {
		return &id, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("decode userIdentity of %s: not an object", strings.Clone(e.ID))
	}
	var ferr error
	str := func(v []byte) string {
		if len(v) > 0 && v[0] == '"' {
			s, err := ctjson.String(v)
			if err != nil && ferr == nil {
				ferr = err
			}
			return s
		}
		return ""
	}
	err := ctjson.EachField(raw, func(k []byte, _ bool, v []byte) bool {
		switch string(k) {
		case "type":
			id.Type = str(v)
		case "principalId":
			id.PrincipalID = str(v)
		case "arn":
			id.ARN = str(v)
		case "accountId":
			id.AccountID = str(v)
		case "accessKeyId":
			id.AccessKeyID = str(v)
		case "userName":
			id.UserName = str(v)
		case "invokedBy":
			id.InvokedBy = str(v)
		case "identityProvider":
			id.IdentityProvider = str(v)
		case "onBehalfOf":
			id.OnBehalfOf = append(json.RawMessage(nil), v...)
		case "sessionContext":
			if len(v) > 0 && v[0] == '{' {
				sc := &SessionContext{}
				id.SessionContext = sc
				_ = ctjson.EachField(v, func(k []byte, _ bool, v []byte) bool {
					switch string(k) {
					case "sourceIdentity":
						sc.SourceIdentity = str(v)
					case "ec2RoleDelivery":
						sc.EC2RoleDelivery = str(v)
					case "webIdFederationData":
						sc.WebIDFederationData = append(json.RawMessage(nil), v...)
					case "sessionIssuer":
						if len(v) > 0 && v[0] == '{' {
							si := &sc.SessionIssuer
							_ = ctjson.EachField(v, func(k []byte, _ bool, v []byte) bool {
								switch string(k) {
								case "type":
									si.Type = str(v)
								case "principalId":
									si.PrincipalID = str(v)
								case "arn":
									si.ARN = str(v)
								case "accountId":
									si.AccountID = str(v)
								case "userName":
									si.UserName = str(v)
								}
								return true
							})
						}
					case "attributes":
						if len(v) > 0 && v[0] == '{' {
							_ = ctjson.EachField(v, func(k []byte, _ bool, v []byte) bool {
								switch string(k) {
								case "creationDate":
									sc.Attributes.CreationDate = str(v)
								case "mfaAuthenticated":
									if err := sc.Attributes.MFAAuthenticated.UnmarshalJSON(v); err != nil && ferr == nil {
										ferr = err
									}
								}
								return true
							})
						}
					}
					return true
				})
			}
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("decode userIdentity of %s: %w", strings.Clone(e.ID), err)
	}
	return &id, nil
}

// Resources decodes the record's resources[] (nil when absent).
func (e *Event) Resources() ([]Resource, error) {
	raw := e.Field(FResources)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, nil
	}
	var rs []Resource
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, fmt.Errorf("decode resources of %s: %w", e.ID, err)
	}
	return rs, nil
}
