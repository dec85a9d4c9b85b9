package source

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// Objects is a finite Source over a bucket (S3, or anything implementing
// integrity.Objects): every object under the prefix, in key order, with the
// AWS key layout recognised like on disk. CloudTrail never rewrites a log
// object, so an object's identity for checkpoints is its URL and size.
type Objects struct {
	list []*Delivery
	next int
	// TotalBytes is the sum of the sizes of the objects listed.
	TotalBytes int64
	// Ignored lists keys that are not CloudTrail data (by name).
	Ignored []string
}

var _ Source = (*Objects)(nil)

// objectEpoch stands for the modification time of immutable objects.
var objectEpoch = time.Unix(1, 0).UTC()

// NewObjects lists the objects of objs under prefix; base names them in
// origins, e.g. "s3://bucket".
func NewObjects(ctx context.Context, objs integrity.Objects, base, prefix string) (*Objects, error) {
	o := &Objects{}
	err := objs.List(ctx, prefix, func(info integrity.ObjectInfo) error {
		key := info.Key
		name := key[strings.LastIndex(key, "/")+1:]
		kind := KindOf(key)
		if !isData(name) && kind != Digest {
			o.Ignored = append(o.Ignored, base+"/"+key)
			return nil
		}
		url := base + "/" + key
		d := &Delivery{Origin: url, Key: url, Kind: kind, Size: info.Size, ModTime: objectEpoch}
		if l, ok := ParseLayout(key); ok {
			d.Layout = l
		}
		d.Open = func(ctx context.Context) (io.ReadCloser, error) {
			rc, err := objs.Open(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", url, err)
			}
			return rc, nil
		}
		o.TotalBytes += info.Size
		o.list = append(o.list, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s/%s: %w", base, prefix, err)
	}
	return o, nil
}

// Len returns the number of deliveries listed.
func (o *Objects) Len() int { return len(o.list) }

// Next implements Source.
func (o *Objects) Next(ctx context.Context) (*Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.next >= len(o.list) {
		return nil, io.EOF
	}
	d := o.list[o.next]
	o.next++
	return d, nil
}

// Close implements Source.
func (o *Objects) Close(context.Context) error { return nil }
