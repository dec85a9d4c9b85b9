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

// Resource returns the JSON state of a resource at time at (zero: now); nil
// when the store knows none then or it was deleted.
func (r *Reader) Resource(account, region, typ, id string, at time.Time) ([]byte, error) {
	ctx, cancel := context.WithTimeout(r.Ctx, readTimeout)
	defer cancel()
	rid := ResourceID{Account: account, Region: RegionOf(typ, region), Type: typ, ID: id}
	rev, err := r.Store.At(ctx, rid, at)
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
	// States returns the JSON state at time at (zero: now) of the
	// resources f matches that were live then, in key order, at most limit.
	States(ctx context.Context, f Filter, at time.Time, limit int) ([][]byte, error)
}

// Resources returns the JSON states at time at (zero: now) of the resources
// of a type in an account and region live then, at most MaxListed, in key
// order.
func (r *Reader) Resources(account, region, typ string, at time.Time) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(r.Ctx, readTimeout)
	defer cancel()
	f := Filter{Type: typ, Account: account, Region: RegionOf(typ, region)}
	if sl, ok := r.Store.(StateLister); ok {
		return sl.States(ctx, f, at, MaxListed)
	}
	if !at.IsZero() {
		f.IncludeDeleted = true // deleted now, maybe live then
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
		rev, err := r.Store.At(ctx, s.Resource, at)
		if errors.Is(err, ErrNotFound) {
			continue // not there yet at that time
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
