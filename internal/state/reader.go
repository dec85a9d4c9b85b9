package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RegionOf is the region a resource of type typ is kept under when an
// event of region names it: "global" for IAM and S3 buckets (CloudTrail
// logs them in us-east-1 or the caller's region), else region.
func RegionOf(typ, region string) string {
	if strings.HasPrefix(typ, "AWS::IAM::") || typ == "AWS::S3::Bucket" {
		return "global"
	}
	return region
}

// MaxListed bounds what Reader.Resources returns.
const MaxListed = 10_000

// readTimeout bounds one read of a rule expression.
const readTimeout = 5 * time.Second

// Reader gives rule expressions the current state of resources in a Store
// (it implements expr.StateReader). Ctx bounds every read; each read is
// also bounded by a timeout of its own.
type Reader struct {
	Ctx   context.Context
	Store Store
}

// Resource returns the JSON state of a live resource; nil when the store
// knows none or it is deleted.
func (r *Reader) Resource(account, region, typ, id string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(r.Ctx, readTimeout)
	defer cancel()
	rid := ResourceID{Account: account, Region: RegionOf(typ, region), Type: typ, ID: id}
	rev, err := r.Store.At(ctx, rid, time.Time{})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rev.Deleted {
		return nil, nil
	}
	b, err := json.Marshal(rev.State)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rid, err)
	}
	return b, nil
}

// StateLister is implemented by stores that read the current state
// documents of many live resources at once (one query instead of a List
// and an At per resource).
type StateLister interface {
	// States returns the JSON state of the live resources f matches, in
	// key order, at most limit of them.
	States(ctx context.Context, f Filter, limit int) ([][]byte, error)
}

// Resources returns the JSON states of the live resources of a type in an
// account and region, at most MaxListed, in key order.
func (r *Reader) Resources(account, region, typ string) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(r.Ctx, readTimeout)
	defer cancel()
	f := Filter{Type: typ, Account: account, Region: RegionOf(typ, region)}
	if sl, ok := r.Store.(StateLister); ok {
		return sl.States(ctx, f, MaxListed)
	}
	list, err := r.Store.List(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(list) > MaxListed {
		list = list[:MaxListed]
	}
	out := make([][]byte, 0, len(list))
	for _, s := range list {
		rev, err := r.Store.At(ctx, s.Resource, time.Time{})
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if rev.Deleted {
			continue
		}
		b, err := json.Marshal(rev.State)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Resource, err)
		}
		out = append(out, b)
	}
	return out, nil
}
