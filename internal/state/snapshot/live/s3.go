package live

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// null is the Data of a per-bucket setting that does not exist.
var null = json.RawMessage("null")

// absentCodes are the error codes by which S3 says a bucket has no such
// setting. The call then yields a document with null Data.
var absentCodes = map[snapshot.Kind]string{
	snapshot.S3BucketPolicy:      "NoSuchBucketPolicy",
	snapshot.S3PublicAccessBlock: "NoSuchPublicAccessBlockConfiguration",
	snapshot.S3BucketEncryption:  "ServerSideEncryptionConfigurationNotFoundError",
}

// buckets lists the account's buckets, adds the list's document, and
// spawns the per-bucket calls, each in the bucket's region. A failed
// per-bucket call is recorded, not fatal.
func (c *collector) buckets(ctx context.Context, a *account, client *s3.Client) error {
	all := s3.ListBucketsOutput{Buckets: []types.Bucket{}}
	p := s3.NewListBucketsPaginator(client, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return a.callError(snapshot.S3Buckets, "", "", err)
		}
		all.Buckets = append(all.Buckets, page.Buckets...)
		if all.Owner == nil {
			all.Owner = page.Owner
		}
	}
	data, err := cliJSON(&all)
	if err != nil {
		return a.callError(snapshot.S3Buckets, "", "", err)
	}
	c.add(a.document(snapshot.S3Buckets, "", "", c.opts.Now(), data))

	for _, b := range all.Buckets {
		name := aws.ToString(b.Name)
		region := aws.ToString(b.BucketRegion)
		if region == "" {
			region = a.cfg.Region
		}
		in := func(o *s3.Options) { o.Region = region }
		for kind, fetch := range map[snapshot.Kind]func(context.Context) (any, error){
			snapshot.S3BucketPolicy: func(ctx context.Context) (any, error) {
				return client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name}, in)
			},
			snapshot.S3BucketACL: func(ctx context.Context) (any, error) {
				return client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &name}, in)
			},
			snapshot.S3PublicAccessBlock: func(ctx context.Context) (any, error) {
				return client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &name}, in)
			},
			snapshot.S3BucketEncryption: func(ctx context.Context) (any, error) {
				return client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &name}, in)
			},
		} {
			c.spawn(ctx, func(ctx context.Context) error {
				err := c.call(ctx, a, kind, region, name, func(ctx context.Context) (json.RawMessage, error) {
					out, err := fetch(ctx)
					switch {
					case err == nil:
						return cliJSON(out)
					case absentCodes[kind] != "" && isCode(err, absentCodes[kind]):
						return null, nil
					default:
						return nil, err
					}
				})
				if err != nil && ctx.Err() == nil {
					c.fail(err)
				}
				return nil
			})
		}
	}
	return nil
}
