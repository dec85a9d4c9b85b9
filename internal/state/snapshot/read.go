package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ReadOptions fill in what a file does not say. The data wins where it
// tells: an account read from an OwnerId or an ARN, a region read from an
// ARN or an availability zone.
type ReadOptions struct {
	Account string // used when the data names no account (always for S3)
	Region  string // used when the data names no region (SecurityGroups, Vpcs)
	// Bucket names the bucket of a per-bucket file (get-bucket-policy,
	// get-bucket-acl, get-public-access-block, get-bucket-encryption). When
	// empty, the file name must follow <bucket>.<command>.json, e.g.
	// my-bucket.get-bucket-policy.json.
	Bucket string
	// TakenAt is when the snapshot was taken, for files that do not say
	// (raw CLI output never does); zero means Now.
	TakenAt time.Time
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// FileError is bad input in one snapshot file: unreadable, not JSON, of no
// kind trailwarden knows, or of an unexpected shape. Offset, Line and Col
// (1-based; 0 when unknown) point at the JSON error.
type FileError struct {
	Path   string
	Offset int64
	Line   int
	Col    int
	Err    error
}

// Error names the file and, where known, the position.
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d (byte %d): %v", e.Path, e.Line, e.Col, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// ErrUnknownKind is wrapped when a file's top-level keys match no call
// trailwarden reads (a CloudTrail log file, say).
var ErrUnknownKind = errors.New("unknown snapshot kind")

// ReadFile reads the snapshot file at path; see Read.
func ReadFile(path string, o ReadOptions) ([]Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return Read(path, data, o)
}

// Read reads one snapshot file, named name in errors and in each
// Document's Source. It accepts two formats:
//
//   - trailwarden bundles: one Document as a JSON object, a JSON array of
//     Documents, or Documents as JSON Lines (one object a line). A
//     document's own account, region, bucket and takenAt win over o.
//   - the raw output of one AWS CLI call (aws ec2 describe-instances >
//     file.json), its kind detected from the top-level keys: Reservations,
//     SecurityGroups, Vpcs, UserDetailList/RoleDetailList/GroupDetailList/
//     Policies (get-account-authorization-details), Buckets and Owner
//     (list-buckets), Policy as a string (get-bucket-policy), Grants and
//     Owner (get-bucket-acl), PublicAccessBlockConfiguration,
//     ServerSideEncryptionConfiguration, Functions (lambda list-functions).
//     The account comes from OwnerId or ARNs, else o.Account (S3 output
//     names none); the region from ARNs or availability zones, else
//     o.Region; the bucket of a per-bucket call from o.Bucket, else the
//     file name <bucket>.<command>.json (logs.get-bucket-policy.json);
//     the time from o.TakenAt, else now.
//
// In a bundle, a per-bucket document whose data is null or {} says the
// bucket has none (no policy, no encryption configuration): that is what a
// collector writes for NoSuchBucketPolicy and the like.
//
// A file is all or nothing: on any error (bad JSON, unknown kind, a shape
// Observe cannot read) Read returns no documents and a *FileError.
func Read(name string, data []byte, o ReadOptions) ([]Document, error) {
	docs, err := read(name, data, o)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FileError{Path: name, Err: err}
	}
	for i := range docs {
		if _, err := Observe(docs[i]); err != nil && !errors.Is(err, ErrUnsupported) {
			if len(docs) > 1 {
				err = fmt.Errorf("document %d (%s): %w", i+1, docs[i].Kind, err)
			}
			return nil, &FileError{Path: name, Err: err}
		}
	}
	return docs, nil
}

func read(name string, data []byte, o ReadOptions) ([]Document, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	takenAt := o.TakenAt
	if takenAt.IsZero() {
		takenAt = now()
	}
	takenAt = takenAt.UTC()

	dec := json.NewDecoder(bytes.NewReader(data))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		if err == io.EOF {
			return nil, errors.New("empty file")
		}
		return nil, jsonError(name, data, dec, err)
	}
	fill := func(d *Document) error {
		if d.Kind == "" {
			return errors.New(`a document without "kind"`)
		}
		if len(d.Data) == 0 {
			return fmt.Errorf(`a %s document without "data"`, d.Kind)
		}
		if d.Account == "" {
			d.Account = o.Account
		}
		if d.Region == "" && !global(d.Kind) {
			d.Region = o.Region
		}
		if d.TakenAt.IsZero() {
			d.TakenAt = takenAt
		}
		d.TakenAt = d.TakenAt.UTC()
		if d.Source == "" {
			d.Source = name
		}
		return nil
	}
	switch first[0] {
	case '[': // a bundle: an array of documents
		var docs []Document
		if err := strict(first, &docs); err != nil {
			return nil, fmt.Errorf("a JSON array must hold trailwarden snapshot documents: %w", err)
		}
		if err := trailing(name, data, dec); err != nil {
			return nil, err
		}
		for i := range docs {
			if err := fill(&docs[i]); err != nil {
				return nil, fmt.Errorf("document %d: %w", i+1, err)
			}
		}
		return docs, nil
	case '{':
	default:
		return nil, errors.New("not a JSON object or array")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(first, &top); err != nil {
		return nil, err
	}
	if _, ok := top["kind"]; ok { // a bundle: one document, or JSON Lines of them
		var docs []Document
		raw := first
		for n := 1; ; n++ {
			var d Document
			if err := strict(raw, &d); err != nil {
				return nil, fmt.Errorf("document %d: %w", n, err)
			}
			if err := fill(&d); err != nil {
				return nil, fmt.Errorf("document %d: %w", n, err)
			}
			docs = append(docs, d)
			raw = nil
			if err := dec.Decode(&raw); err == io.EOF {
				return docs, nil
			} else if err != nil {
				return nil, jsonError(name, data, dec, err)
			}
		}
	}
	// the raw output of one AWS CLI call
	if err := trailing(name, data, dec); err != nil {
		return nil, err
	}
	kind, err := DetectKind(top)
	if err != nil {
		return nil, err
	}
	d := Document{Kind: kind, Data: first, TakenAt: takenAt, Source: name}
	acct, region := hints(kind, first)
	d.Account = firstOf(acct, o.Account)
	if !global(kind) {
		d.Region = firstOf(region, o.Region)
		if d.Region == "" {
			return nil, fmt.Errorf("%s: the data names no region: give one (--region)", kind)
		}
	}
	if d.Account == "" {
		return nil, fmt.Errorf("%s: the data names no account: give one (--account)", kind)
	}
	if perBucket(kind) {
		d.Bucket = firstOf(o.Bucket, bucketFromName(name, kind))
		if d.Bucket == "" {
			return nil, fmt.Errorf("%s: which bucket? name the file <bucket>.%s.json or give --bucket", kind, commands[kind])
		}
	}
	return []Document{d}, nil
}

// strict decodes a bundle's documents: an unknown key ("taken_at") is an
// error, not a silently zero field.
func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// trailing fails when anything but white space follows the first value.
func trailing(name string, data []byte, dec *json.Decoder) error {
	var extra json.RawMessage
	switch err := dec.Decode(&extra); err {
	case io.EOF:
		return nil
	case nil:
		off := dec.InputOffset() - int64(len(extra))
		line, col := position(data, off)
		return &FileError{Path: name, Offset: off, Line: line, Col: col, Err: errors.New("more than one JSON value (JSON Lines hold trailwarden documents only)")}
	default:
		return jsonError(name, data, dec, err)
	}
}

// jsonError turns a decoding error into a *FileError with its position.
func jsonError(name string, data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off = max(se.Offset-1, 0) // Offset counts the bad byte: point at it
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
		err = errors.New("truncated JSON: unexpected end of file")
	}
	line, col := position(data, off)
	return &FileError{Path: name, Offset: off, Line: line, Col: col, Err: err}
}

// position returns the 1-based line and column of byte offset off.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
