package finding

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// appendHead appends the JSON of f without its event ("event":null last),
// byte for byte what encoding/json writes for it (with HTML escaping when
// html is set, as json.Marshal does), at a fraction of the cost: findings
// are encoded once for the store and once per output. ok is false when
// encoding/json would fail or write something else (a time outside years
// 0-9999, a severity out of range); the caller falls back to it then.
func appendHead(dst []byte, f *Finding, html bool) (_ []byte, ok bool) {
	if f.Severity < Info || f.Severity > Critical || !jsonTime(f.EventTime) || !jsonTime(f.DetectedAt) {
		return dst, false
	}
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, f.ID, html)
	dst = append(dst, `,"rule_id":`...)
	dst = appendString(dst, f.RuleID, html)
	dst = append(dst, `,"rule_title":`...)
	dst = appendString(dst, f.RuleTitle, html)
	dst = append(dst, `,"severity":`...)
	dst = appendString(dst, f.Severity.String(), html)
	dst = append(dst, `,"tags":`...)
	dst = appendStrings(dst, f.Tags, html)
	dst = append(dst, `,"event_id":`...)
	dst = appendString(dst, f.EventID, html)
	dst = append(dst, `,"event_name":`...)
	dst = appendString(dst, f.EventName, html)
	dst = append(dst, `,"event_source":`...)
	dst = appendString(dst, f.EventSource, html)
	dst = append(dst, `,"event_time":`...)
	dst = appendTime(dst, f.EventTime)
	dst = append(dst, `,"detected_at":`...)
	dst = appendTime(dst, f.DetectedAt)
	dst = append(dst, `,"account":`...)
	dst = appendString(dst, f.Account, html)
	dst = append(dst, `,"region":`...)
	dst = appendString(dst, f.Region, html)
	dst = append(dst, `,"actor":{`...)
	a := &f.Actor
	comma := false
	field := func(name, v string) {
		if v == "" {
			return
		}
		if comma {
			dst = append(dst, ',')
		}
		comma = true
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = appendString(dst, v, html)
	}
	field("type", a.Type)
	field("arn", a.ARN)
	field("principal_id", a.PrincipalID)
	field("account_id", a.AccountID)
	field("user_name", a.UserName)
	field("access_key_id", a.AccessKeyID)
	field("invoked_by", a.InvokedBy)
	if comma {
		dst = append(dst, ',')
	}
	comma = true
	if a.MFA {
		dst = append(dst, `"mfa":true`...)
	} else {
		dst = append(dst, `"mfa":false`...)
	}
	field("source_identity", a.SourceIdentity)
	field("issuer", a.Issuer)
	dst = append(dst, '}')
	comma = true
	field("source_ip", f.SourceIP)
	field("user_agent", f.UserAgent)
	field("error_code", f.ErrorCode)
	dst = append(dst, `,"resources":`...)
	dst = appendStrings(dst, f.Resources, html)
	dst = append(dst, `,"summary":`...)
	dst = appendString(dst, f.Summary, html)
	field("runbook", f.Runbook)
	field("origin", f.Origin)
	if len(f.Related) > 0 {
		dst = append(dst, `,"related":`...)
		dst = appendStrings(dst, f.Related, html)
	}
	return append(dst, `,"event":null}`...), true
}

// encodeHead returns the JSON of f without its event, as json.Marshal
// would write it (html) or a json.Encoder without HTML escaping.
func encodeHead(f *Finding, html bool) ([]byte, error) {
	if b, ok := appendHead(make([]byte, 0, 1024), f, html); ok {
		return b, nil
	}
	head := *f
	head.Event = nil
	if html {
		return json.Marshal(&head)
	}
	b, err := marshalNoHTML(&head)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil // the Encoder's newline
}

// MarshalHead returns the JSON of f with "event":null, exactly as
// json.Marshal writes it (HTML characters escaped): what the store keeps
// besides the raw event.
func MarshalHead(f *Finding) ([]byte, error) { return encodeHead(f, true) }

// jsonTime reports whether t encodes as encoding/json encodes it here
// (time.Time.MarshalJSON refuses years outside 0-9999).
func jsonTime(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

func appendStrings(dst []byte, ss []string, html bool) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s, html)
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does:
// short escapes for \b \f \n \r \t, \u00XX for other control characters,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped, and <, >, & escaped
// when html is set.
func appendString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && (!html || (b != '<' && b != '>' && b != '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
