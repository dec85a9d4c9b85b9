package integrity

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The only algorithms CloudTrail uses, and so the only ones accepted.
const (
	SignatureAlgorithm = "SHA256withRSA"
	HashAlgorithm      = "SHA-256"
)

// Digest is one CloudTrail digest file: the log files delivered in one
// period (an hour) with their SHA-256, and the link to the previous digest of
// the chain. ParseDigest fills it; MarshalJSON writes it back in CloudTrail's
// field order.
type Digest struct {
	AccountID string
	StartTime time.Time
	EndTime   time.Time
	// EndTimeText is digestEndTime exactly as written: it is part of the
	// signed string. When empty, EndTime in RFC 3339 stands for it.
	EndTimeText string

	S3Bucket             string
	S3Object             string
	PublicKeyFingerprint string
	SignatureAlgorithm   string

	// NewestEventTime and OldestEventTime are zero when the digest lists no
	// log file (CloudTrail writes null).
	NewestEventTime time.Time
	OldestEventTime time.Time

	// The link to the previous digest. PreviousSignature is empty for the
	// first digest of a chain (null in the file: logging was started or
	// restarted); the other Previous fields are then usually empty too.
	PreviousS3Bucket      string
	PreviousS3Object      string
	PreviousHashValue     string // hex SHA-256 of the previous digest, uncompressed
	PreviousHashAlgorithm string
	PreviousSignature     string // hex

	LogFiles []LogFile
}

// LogFile is one log file listed in a digest.
type LogFile struct {
	S3Bucket        string
	S3Object        string
	HashValue       string // hex SHA-256 of the uncompressed log file
	HashAlgorithm   string
	NewestEventTime time.Time // zero when absent or null
	OldestEventTime time.Time
}

// DigestError is a problem with one field of a digest file (Field is a JSON
// path such as "logFiles[3].hashValue"), or with the whole file when Field is
// empty (not JSON, not an object).
type DigestError struct {
	Field string
	Err   error
}

// Error names the field and the problem.
func (e *DigestError) Error() string {
	if e.Field == "" {
		return "digest: " + e.Err.Error()
	}
	return "digest: " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the problem.
func (e *DigestError) Unwrap() error { return e.Err }

// Field errors, wrapped in a *DigestError.
var (
	errMissing   = errors.New("missing")
	errNull      = errors.New("null")
	errEmpty     = errors.New("empty")
	errNotString = errors.New("not a string")
)

// ParseDigest parses an uncompressed digest file strictly: a required field
// that is missing, null or of the wrong type, a time that is not RFC 3339
// UTC, a hash that is not hex SHA-256 or an algorithm other than SHA-256 and
// SHA256withRSA is an error. Unknown fields are ignored. Every error is a
// *DigestError.
func ParseDigest(data []byte) (*Digest, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &DigestError{Err: fmt.Errorf("not a JSON object: %w", err)}
	}
	if top == nil { // the literal null
		return nil, &DigestError{Err: errors.New("not a JSON object: null")}
	}
	p := fieldParser{m: top}
	d := &Digest{
		AccountID:            p.account("awsAccountId"),
		StartTime:            p.time("digestStartTime", true),
		S3Bucket:             p.str("digestS3Bucket", true),
		S3Object:             p.str("digestS3Object", true),
		PublicKeyFingerprint: p.str("digestPublicKeyFingerprint", true),
		SignatureAlgorithm:   p.algorithm("digestSignatureAlgorithm", SignatureAlgorithm, true),
		NewestEventTime:      p.time("newestEventTime", false),
		OldestEventTime:      p.time("oldestEventTime", false),
		PreviousSignature:    p.hex("previousDigestSignature", 0, false),
	}
	d.EndTimeText = p.str("digestEndTime", true)
	if p.err == nil {
		d.EndTime = p.parseTime("digestEndTime", d.EndTimeText)
	}
	if p.err == nil && d.EndTime.Before(d.StartTime) {
		p.fail("digestEndTime", errors.New("before digestStartTime"))
	}
	linked := d.PreviousSignature != ""
	d.PreviousS3Bucket = p.str("previousDigestS3Bucket", linked)
	d.PreviousS3Object = p.str("previousDigestS3Object", linked)
	d.PreviousHashValue = p.hex("previousDigestHashValue", 32, linked)
	d.PreviousHashAlgorithm = p.algorithm("previousDigestHashAlgorithm", HashAlgorithm, linked)
	d.LogFiles = p.logFiles("logFiles")
	if p.err != nil {
		return nil, p.err
	}
	return d, nil
}

// fieldParser reads typed fields out of one JSON object and keeps the first
// error; once it has one, every call returns a zero value.
type fieldParser struct {
	m    map[string]json.RawMessage
	path string // prefix for field names: "logFiles[3]."
	err  *DigestError
}

func (p *fieldParser) fail(name string, err error) {
	if p.err == nil {
		p.err = &DigestError{Field: p.path + name, Err: err}
	}
}

// raw returns the field's JSON, or nil when it is absent or null; a required
// field absent or null is an error.
func (p *fieldParser) raw(name string, required bool) json.RawMessage {
	if p.err != nil {
		return nil
	}
	v, ok := p.m[name]
	switch {
	case !ok:
		if required {
			p.fail(name, errMissing)
		}
		return nil
	case string(v) == "null":
		if required {
			p.fail(name, errNull)
		}
		return nil
	}
	return v
}

// str returns a string field; a present one must be a non-empty string.
func (p *fieldParser) str(name string, required bool) string {
	v := p.raw(name, required)
	if v == nil {
		return ""
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		p.fail(name, errNotString)
		return ""
	}
	if s == "" {
		p.fail(name, errEmpty)
	}
	return s
}

func (p *fieldParser) account(name string) string {
	s := p.str(name, true)
	if p.err == nil && !isAccountID(s) {
		p.fail(name, fmt.Errorf("%q is not a 12-digit account id", s))
	}
	return s
}

// hex returns a hex string field; size, when not 0, is its length in bytes.
func (p *fieldParser) hex(name string, size int, required bool) string {
	s := p.str(name, required)
	if s == "" || p.err != nil {
		return s
	}
	b, err := hex.DecodeString(s)
	switch {
	case err != nil:
		p.fail(name, fmt.Errorf("not hex: %w", err))
	case size != 0 && len(b) != size:
		p.fail(name, fmt.Errorf("%d bytes, want %d", len(b), size))
	}
	return s
}

func (p *fieldParser) algorithm(name, want string, required bool) string {
	s := p.str(name, required)
	if s != "" && p.err == nil && s != want {
		p.fail(name, fmt.Errorf("unsupported algorithm %q (want %s)", s, want))
	}
	return s
}

func (p *fieldParser) time(name string, required bool) time.Time {
	s := p.str(name, required)
	if s == "" || p.err != nil {
		return time.Time{}
	}
	return p.parseTime(name, s)
}

// parseTime parses an RFC 3339 time that must be in UTC.
func (p *fieldParser) parseTime(name, s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.fail(name, fmt.Errorf("not an RFC 3339 time: %w", err))
		return time.Time{}
	}
	if _, off := t.Zone(); off != 0 {
		p.fail(name, fmt.Errorf("time %q is not UTC", s))
		return time.Time{}
	}
	return t.UTC()
}

func (p *fieldParser) logFiles(name string) []LogFile {
	v := p.raw(name, true)
	if v == nil {
		return nil
	}
	var items []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &items) != nil {
		p.fail(name, errors.New("not an array"))
		return nil
	}
	files := make([]LogFile, 0, len(items))
	for i, item := range items {
		sub := fieldParser{path: p.path + name + "[" + strconv.Itoa(i) + "]."}
		if item[0] != '{' || json.Unmarshal(item, &sub.m) != nil {
			p.fail(name+"["+strconv.Itoa(i)+"]", errors.New("not an object"))
			return nil
		}
		files = append(files, LogFile{
			S3Bucket:        sub.str("s3Bucket", true),
			S3Object:        sub.str("s3Object", true),
			HashValue:       sub.hex("hashValue", 32, true),
			HashAlgorithm:   sub.algorithm("hashAlgorithm", HashAlgorithm, true),
			NewestEventTime: sub.time("newestEventTime", false),
			OldestEventTime: sub.time("oldestEventTime", false),
		})
		if sub.err != nil {
			p.err = sub.err
			return nil
		}
	}
	return files
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// endTimeText is digestEndTime as it is (or would be) written.
func (d *Digest) endTimeText() string {
	if d.EndTimeText != "" {
		return d.EndTimeText
	}
	return d.EndTime.UTC().Format(time.RFC3339Nano)
}

// SigningString is the string CloudTrail signs for d, given the hex SHA-256
// of the uncompressed digest file:
//
//	<digestEndTime>\n<digestS3Bucket>/<digestS3Object>\n<digest hash>\n<previousDigestSignature or "null">
func (d *Digest) SigningString(digestHash string) string {
	prev := d.PreviousSignature
	if prev == "" {
		prev = "null"
	}
	return d.endTimeText() + "\n" + d.S3Bucket + "/" + d.S3Object + "\n" + digestHash + "\n" + prev
}

// digestJSON is the file's shape, in CloudTrail's field order.
type digestJSON struct {
	AccountID             string        `json:"awsAccountId"`
	StartTime             string        `json:"digestStartTime"`
	EndTime               string        `json:"digestEndTime"`
	S3Bucket              string        `json:"digestS3Bucket"`
	S3Object              string        `json:"digestS3Object"`
	PublicKeyFingerprint  string        `json:"digestPublicKeyFingerprint"`
	SignatureAlgorithm    string        `json:"digestSignatureAlgorithm"`
	NewestEventTime       *string       `json:"newestEventTime"`
	OldestEventTime       *string       `json:"oldestEventTime"`
	PreviousS3Bucket      *string       `json:"previousDigestS3Bucket"`
	PreviousS3Object      *string       `json:"previousDigestS3Object"`
	PreviousHashValue     *string       `json:"previousDigestHashValue"`
	PreviousHashAlgorithm *string       `json:"previousDigestHashAlgorithm"`
	PreviousSignature     *string       `json:"previousDigestSignature"`
	LogFiles              []logFileJSON `json:"logFiles"`
}

type logFileJSON struct {
	S3Bucket        string  `json:"s3Bucket"`
	S3Object        string  `json:"s3Object"`
	HashValue       string  `json:"hashValue"`
	HashAlgorithm   string  `json:"hashAlgorithm"`
	NewestEventTime *string `json:"newestEventTime,omitempty"`
	OldestEventTime *string `json:"oldestEventTime,omitempty"`
}

// MarshalJSON writes d as CloudTrail does: its field order, null for empty
// optional fields, times in RFC 3339 UTC. ParseDigest reads it back to the
// same Digest.
func (d *Digest) MarshalJSON() ([]byte, error) {
	j := digestJSON{
		AccountID:             d.AccountID,
		StartTime:             d.StartTime.UTC().Format(time.RFC3339Nano),
		EndTime:               d.endTimeText(),
		S3Bucket:              d.S3Bucket,
		S3Object:              d.S3Object,
		PublicKeyFingerprint:  d.PublicKeyFingerprint,
		SignatureAlgorithm:    d.SignatureAlgorithm,
		NewestEventTime:       timeOrNull(d.NewestEventTime),
		OldestEventTime:       timeOrNull(d.OldestEventTime),
		PreviousS3Bucket:      strOrNull(d.PreviousS3Bucket),
		PreviousS3Object:      strOrNull(d.PreviousS3Object),
		PreviousHashValue:     strOrNull(d.PreviousHashValue),
		PreviousHashAlgorithm: strOrNull(d.PreviousHashAlgorithm),
		PreviousSignature:     strOrNull(d.PreviousSignature),
		LogFiles:              make([]logFileJSON, len(d.LogFiles)),
	}
	for i, f := range d.LogFiles {
		j.LogFiles[i] = logFileJSON{
			S3Bucket:        f.S3Bucket,
			S3Object:        f.S3Object,
			HashValue:       f.HashValue,
			HashAlgorithm:   f.HashAlgorithm,
			NewestEventTime: timeOrNull(f.NewestEventTime),
			OldestEventTime: timeOrNull(f.OldestEventTime),
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, fmt.Errorf("encode digest: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func strOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}
