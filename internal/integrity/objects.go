// Package integrity validates CloudTrail's log file integrity: the hourly
// digest files, their SHA256withRSA signatures and their chain, and the
// SHA-256 of every log file they list, as `aws cloudtrail validate-logs`
// does, over a folder that stands for a bucket or over S3 itself.
package integrity

import (
	"context"
	"errors"
	"io"
)

// Objects is a read-only view of a bucket: S3 itself, or a folder that
// stands for the bucket's root (it holds AWSLogs/). Keys use '/'.
type Objects interface {
	// List calls fn for every object whose key starts with prefix, in lexical
	// key order. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Open returns the body of the object at key; a missing object is an
	// error wrapping fs.ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Signature returns the hex signature of the digest at key: S3's
	// x-amz-meta-signature metadata, or on disk the sidecar file
	// "<key>.sig". It returns ErrNoSignature when there is none.
	Signature(ctx context.Context, key string) (string, error)
}

// ObjectInfo describes one listed object.
type ObjectInfo struct {
	Key  string
	Size int64
}

// ErrNoSignature means a digest has no signature (S3 metadata missing, e.g.
// after a copy that dropped it, or no .sig sidecar on disk).
var ErrNoSignature = errors.New("digest has no signature")
