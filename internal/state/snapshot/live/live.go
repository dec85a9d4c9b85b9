// Package live takes a snapshot of AWS resources by calling the AWS APIs,
// read-only, for one or more accounts and regions. Each call's answer
// becomes a snapshot.Document whose Data has the shape the AWS CLI prints
// for the same call, so that a reconciler reads live snapshots and
// snapshots saved with the CLI alike.
//
// # Calls
//
// Per account, once: iam:GetAccountAuthorizationDetails (no filter: users,
// groups, roles, and local and AWS managed policies) and s3:ListBuckets,
// then, per bucket, s3:GetBucketPolicy, s3:GetBucketAcl,
// s3:GetPublicAccessBlock and s3:GetBucketEncryption, in the bucket's
// region. Per account and region: ec2:DescribeInstances,
// ec2:DescribeSecurityGroups, ec2:DescribeVpcs and lambda:ListFunctions.
// Every page is read and the pages are merged. sts:GetCallerIdentity gives
// each account's id.
//
// # Permissions
//
// The identity that runs the collector, or each role it assumes, needs
// this read-only policy:
//
//	{
//	  "Version": "2012-10-17",
//	  "Statement": [{
//	    "Effect": "Allow",
//	    "Action": [
//	      "ec2:DescribeInstances",
//	      "ec2:DescribeSecurityGroups",
//	      "ec2:DescribeVpcs",
//	      "iam:GetAccountAuthorizationDetails",
//	      "s3:ListAllMyBuckets",
//	      "s3:GetBucketPolicy",
//	      "s3:GetBucketAcl",
//	      "s3:GetBucketPublicAccessBlock",
//	      "s3:GetEncryptionConfiguration",
//	      "lambda:ListFunctions"
//	    ],
//	    "Resource": "*"
//	  }]
//	}
//
// sts:GetCallerIdentity needs no permission. With Options.RoleARNs, the
// calling identity also needs sts:AssumeRole on those roles, and each
// role's trust policy must allow it (with sts:ExternalId when
// Options.ExternalID is set). The AWS managed policy SecurityAudit, or
// ReadOnlyAccess, covers all of the above.
package live

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// SessionName is the role session name of every AssumeRole, as it appears
// in the assumed accounts' CloudTrail (userIdentity.arn ends with it).
const SessionName = "trailwarden-reconcile"

// Options says what to collect and how hard to push. The zero value
// collects the config's own account in the config's region.
type Options struct {
	// Regions are the regions of the regional calls (EC2, Lambda). Empty
	// means the config's region. The first one (or the config's region,
	// when set) is where the global calls (IAM, STS, ListBuckets) go.
	Regions []string
	// RoleARNs are roles to assume, one per account to collect. Empty
	// means the account of the config's own credentials.
	RoleARNs []string
	// ExternalID, when set, is sent with every AssumeRole.
	ExternalID string
	// Concurrency bounds the calls in flight across all accounts and
	// regions (a call counts once with all its pages and retries).
	// Zero means 4.
	Concurrency int
	// MaxAttempts bounds the attempts of each request, the first
	// included; throttling and 5xx answers are retried with exponential
	// backoff and jitter. Zero means 8.
	MaxAttempts int
	// MaxBackoff caps the wait between two attempts. Zero means 20s.
	MaxBackoff time.Duration
	// UsePathStyle addresses buckets as https://host/bucket rather than
	// https://bucket.host, for S3-compatible endpoints.
	UsePathStyle bool
	// Now stamps each document's TakenAt. Nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults(cfg aws.Config) (Options, error) {
	if len(o.Regions) == 0 {
		if cfg.Region == "" {
			return o, errors.New("live: no region: set Options.Regions or the config's region")
		}
		o.Regions = []string{cfg.Region}
	}
	var regions []string
	for _, r := range o.Regions {
		if r == "" {
			return o, errors.New("live: empty region in Options.Regions")
		}
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	o.Regions = regions
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 20 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Collect calls AWS for every account and region in opts and returns one
// document per call, sorted by account, kind, region and bucket.
//
// A per-bucket setting that does not exist (no bucket policy, no public
// access block, no default encryption) yields a document whose Data is
// JSON null: asked, and absent. A per-bucket call that fails otherwise
// yields no document and is listed in a *PartialError, returned together
// with every other document. Any other failed call is fatal: Collect stops
// the calls in flight and returns nil and a *CallError naming the service,
// operation, account and region, because a reconciler must not mistake a
// missing list of instances or roles for an empty one. A cancelled ctx
// stops it the same way, with ctx's error.
//
// The config's credentials, region and endpoint are used as they are
// (set BaseEndpoint for a local endpoint); its retryer is replaced by a
// standard retryer following opts.
func Collect(ctx context.Context, cfg aws.Config, opts Options) ([]snapshot.Document, error) {
	opts, err := opts.withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	cfg = cfg.Copy()
	if cfg.Region == "" {
		cfg.Region = opts.Regions[0]
	}
	cfg.RetryMaxAttempts = 0 // or it would override MaxAttempts
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = opts.MaxAttempts
			o.MaxBackoff = opts.MaxBackoff
			// The retry quota guards services against retry storms from
			// many clients; our bounded concurrency already does, and
			// running out of quota would fail a whole snapshot.
			o.RateLimiter = ratelimit.None
		})
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := &collector{opts: opts, cancel: cancel, sem: make(chan struct{}, opts.Concurrency)}
	if len(opts.RoleARNs) == 0 {
		c.spawn(ctx, func(ctx context.Context) error { return c.account(ctx, cfg, "") })
	}
	for _, role := range opts.RoleARNs {
		c.spawn(ctx, func(ctx context.Context) error { return c.account(ctx, cfg, role) })
	}
	c.wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	slices.SortFunc(c.docs, func(a, b snapshot.Document) int {
		return cmpDocs(a, b)
	})
	if len(c.partial) > 0 {
		slices.SortFunc(c.partial, func(a, b *CallError) int {
			return strings.Compare(a.Error(), b.Error())
		})
		return c.docs, &PartialError{Errs: c.partial}
	}
	return c.docs, nil
}

func cmpDocs(a, b snapshot.Document) int {
	for _, d := range [...]int{
		strings.Compare(a.Account, b.Account),
		strings.Compare(string(a.Kind), string(b.Kind)),
		strings.Compare(a.Region, b.Region),
		strings.Compare(a.Bucket, b.Bucket),
	} {
		if d != 0 {
			return d
		}
	}
	return 0
}

// collector runs the calls of one Collect as tasks, at most
// opts.Concurrency at once. A task may spawn more tasks; the first fatal
// error cancels the rest.
type collector struct {
	opts   Options
	cancel context.CancelCauseFunc
	sem    chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	docs    []snapshot.Document
	partial []*CallError
}

// spawn runs task in its own goroutine once a slot is free. It never
// blocks, so a task can spawn others while it holds a slot.
func (c *collector) spawn(ctx context.Context, task func(context.Context) error) {
	c.wg.Go(func() {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-c.sem }()
		if ctx.Err() != nil {
			return
		}
		if err := task(ctx); err != nil {
			c.cancel(err) // only the first cause is kept
		}
	})
}

func (c *collector) add(d snapshot.Document) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs = append(c.docs, d)
}

func (c *collector) fail(err *CallError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, err)
}

// splitKind splits "ec2:DescribeInstances" into its service and operation.
func splitKind(k snapshot.Kind) (service, op string) {
	service, op, _ = strings.Cut(string(k), ":")
	return service, op
}
