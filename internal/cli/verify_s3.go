package cli

import (
	"context"
	"errors"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// newS3Objects opens an s3://bucket/prefix URL as integrity.Objects and
// returns the key prefix to verify under. This placeholder is replaced by the
// S3 implementation.
func newS3Objects(ctx context.Context, url string) (integrity.Objects, string, error) {
	return nil, "", errors.New("S3 support not built yet")
}
