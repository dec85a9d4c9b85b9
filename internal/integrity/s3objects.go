package integrity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// signatureMetadata is the user metadata key under which CloudTrail stores a
// digest's signature (the x-amz-meta-signature header). The SDK lowercases
// metadata keys.
const signatureMetadata = "signature"

// maxHeldSignatures bounds the signatures Open keeps for Signature.
const maxHeldSignatures = 4096

// s3Objects is Objects over one S3 bucket.
type s3Objects struct {
	client *s3.Client
	bucket string

	mu   sync.Mutex
	sigs map[string]string // from GetObject's metadata, until Signature takes them
}

var _ Objects = (*s3Objects)(nil)

// NewS3Objects returns Objects over bucket, read through client. Keys are
// the bucket's object keys. Every call honours its ctx; errors are
// *fs.PathError values whose Path is "s3://bucket/key", so a missing object
// satisfies errors.Is(err, fs.ErrNotExist) and a digest without signature
// metadata errors.Is(err, ErrNoSignature).
func NewS3Objects(client *s3.Client, bucket string) Objects {
	return &s3Objects{client: client, bucket: bucket, sigs: map[string]string{}}
}

// List pages through ListObjectsV2, which returns keys in lexical (UTF-8
// binary) order.
func (o *s3Objects) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(o.bucket), Prefix: aws.String(prefix)}
	pages := s3.NewListObjectsV2Paginator(o.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return o.pathError("list", prefix, err)
		}
		for _, obj := range page.Contents {
			if err := fn(ObjectInfo{Key: aws.ToString(obj.Key), Size: aws.ToInt64(obj.Size)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open starts a GetObject. Read errors on the body also name the object.
// A signature in the response's metadata is kept for Signature.
func (o *s3Objects) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := o.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, o.pathError("open", key, err)
	}
	if sig := out.Metadata[signatureMetadata]; sig != "" {
		o.mu.Lock()
		if len(o.sigs) < maxHeldSignatures {
			o.sigs[key] = sig
		}
		o.mu.Unlock()
	}
	return &s3Body{ReadCloser: out.Body, o: o, key: key}, nil
}

// Signature returns the digest's x-amz-meta-signature. After an Open of
// the key it is the one GetObject returned (taken once): no second request
// per digest, and the signature of the very version that was read.
// Otherwise it asks HeadObject.
func (o *s3Objects) Signature(ctx context.Context, key string) (string, error) {
	o.mu.Lock()
	sig, held := o.sigs[key]
	delete(o.sigs, key)
	o.mu.Unlock()
	if held {
		return sig, nil
	}
	out, err := o.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil {
		return "", o.pathError("signature", key, err)
	}
	sig = out.Metadata[signatureMetadata]
	if sig == "" {
		return "", &fs.PathError{Op: "signature", Path: o.url(key), Err: ErrNoSignature}
	}
	return sig, nil
}

func (o *s3Objects) url(key string) string { return "s3://" + o.bucket + "/" + key }

// pathError names the object; a missing key becomes fs.ErrNotExist (the
// SDK's error stays in the chain and the message, with its request ID).
func (o *s3Objects) pathError(op, key string, err error) error {
	if isS3NotFound(err) {
		err = fmt.Errorf("%w (%w)", fs.ErrNotExist, err)
	}
	return &fs.PathError{Op: op, Path: o.url(key), Err: err}
}

// isS3NotFound reports whether err says the key does not exist: GetObject's
// NoSuchKey, or HeadObject's bodiless 404 NotFound. NoSuchBucket is not a
// missing object: it is a wrong bucket name and must not read as "every log
// file deleted".
func isS3NotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	return false
}

// s3Body names the object in read errors (a connection reset mid-body
// otherwise reads as a bare network error).
type s3Body struct {
	io.ReadCloser
	o   *s3Objects
	key string
}

func (b *s3Body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &fs.PathError{Op: "read", Path: b.o.url(b.key), Err: err}
	}
	return n, err
}
