// Package finding defines the one standard shape of a trailwarden detection.
//
// Every rule kind, output and store speaks in terms of Finding. Its ID is
// deterministic (rule id + event id, or rule id + dedup key), so an event that
// is read twice, or reaches trailwarden through two paths, yields one finding,
// and every output can be idempotent on it.
package finding

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Severity ranks findings. The zero value is Info.
type Severity int

// The severities, lowest first. Routine changes are Info or Low; Medium and
// above is what a responder must look at.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lowercase name of s.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", name, strings.Join(severityNames[:], ", "))
}

// MarshalText encodes s as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Actor is who made the call, as CloudTrail's userIdentity tells it.
type Actor struct {
	Type           string `json:"type,omitempty"`
	ARN            string `json:"arn,omitempty"`
	PrincipalID    string `json:"principal_id,omitempty"`
	AccountID      string `json:"account_id,omitempty"`
	UserName       string `json:"user_name,omitempty"`
	AccessKeyID    string `json:"access_key_id,omitempty"`
	InvokedBy      string `json:"invoked_by,omitempty"`
	MFA            bool   `json:"mfa"`
	SourceIdentity string `json:"source_identity,omitempty"`
	// Issuer is the ARN of the role (or user) that issued the session, for
	// AssumedRole and federated identities.
	Issuer string `json:"issuer,omitempty"`
}

// Finding is one detection: a rule matched an event (or, for later rule kinds,
// a window of events). It is the shape every output receives.
type Finding struct {
	ID          string    `json:"id"`
	RuleID      string    `json:"rule_id"`
	RuleTitle   string    `json:"rule_title"`
	Severity    Severity  `json:"severity"`
	Tags        []string  `json:"tags"`
	EventID     string    `json:"event_id"`
	EventName   string    `json:"event_name"`
	EventSource string    `json:"event_source"`
	EventTime   time.Time `json:"event_time"`
	DetectedAt  time.Time `json:"detected_at"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Actor       Actor     `json:"actor"`
	SourceIP    string    `json:"source_ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	// ErrorCode is set when the call failed (AccessDenied, ...).
	ErrorCode string   `json:"error_code,omitempty"`
	Resources []string `json:"resources"`
	Summary   string   `json:"summary"`
	Runbook   string   `json:"runbook,omitempty"`
	// Origin names where the event was read (file, queue message), for triage.
	Origin string `json:"origin,omitempty"`
	// Related lists the ids of findings that explain this one (e.g. the
	// StopLogging finding behind a gap in the digest chain).
	Related []string `json:"related,omitempty"`
	// Event is the raw CloudTrail record, unchanged.
	Event json.RawMessage `json:"event"`

	// EventValidated says Event is known to be valid JSON (it came from
	// trailwarden's validating decoder), so encoders need not check it again.
	// It is not part of the finding's JSON.
	EventValidated bool `json:"-"`
}

// ID returns the deterministic finding id for a rule and a key: the event id,
// or a rule's dedup key. It is a hex SHA-256 prefix (128 bits).
func ID(ruleID, key string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// AppendJSONLine appends f as one line of JSON (newline included, HTML
// characters not escaped) to dst. The raw event is spliced in as it is
// (compacted only when it spans lines), instead of being re-validated and
// re-compacted by encoding/json: most of a finding's bytes are its event.
func (f *Finding) AppendJSONLine(dst []byte) ([]byte, error) {
	b, err := encodeHead(f, false)
	if err != nil {
		return dst, err
	}
	const tail = `"event":null}`
	if !bytes.HasSuffix(b, []byte(tail)) {
		return dst, fmt.Errorf("finding %s: unexpected JSON layout", f.ID)
	}
	if need := len(b) + len(f.Event) + 8; cap(dst)-len(dst) < need {
		dst = append(make([]byte, 0, len(dst)+need), dst...) // one allocation, not a growth per append
	}
	dst = append(dst, b[:len(b)-len(tail)]...)
	dst = append(dst, `"event":`...)
	switch ev := f.Event; {
	case len(ev) == 0:
		dst = append(dst, "null"...)
	case bytes.ContainsAny(ev, "\n\r") || (!f.EventValidated && !json.Valid(ev)):
		var c bytes.Buffer
		if err := json.Compact(&c, ev); err != nil {
			return dst, fmt.Errorf("finding %s: event: %w", f.ID, err)
		}
		dst = append(dst, c.Bytes()...)
	default:
		dst = append(dst, ev...)
	}
	return append(dst, "}\n"...), nil
}

// marshalNoHTML is json.Marshal without HTML escaping, newline included.
func marshalNoHTML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
