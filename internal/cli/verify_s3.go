package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// s3EndpointEnv names an S3-compatible endpoint (gofakes3 in tests, MinIO,
// a VPC endpoint) used instead of AWS's, addressed path-style.
const s3EndpointEnv = "TRAILWARDEN_S3_ENDPOINT"

// defaultS3Region is where the bucket's region is asked for when the AWS
// configuration names none; S3 answers from any region.
const defaultS3Region = "us-east-1"

// newS3Objects opens an s3://bucket/prefix URL as integrity.Objects and
// returns the key prefix the trail's AWSLogs/ folder sits under ("" or
// ending in "/"). The client comes from the default AWS configuration chain
// (AWS_PROFILE, AWS_REGION, shared files, SSO, instance roles...); when the
// bucket lives in another region than the configured one, the client is
// rebuilt for the bucket's region.
func newS3Objects(ctx context.Context, url string) (integrity.Objects, string, error) {
	bucket, prefix, err := parseS3URL(url)
	if err != nil {
		return nil, "", err
	}
	client, err := newS3Client(ctx, bucket)
	if err != nil {
		return nil, "", err
	}
	return integrity.NewS3Objects(client, bucket), prefix, nil
}

// parseS3URL splits s3://bucket/prefix. The path is taken literally (S3 keys
// are not URL-escaped). The prefix returned ends where AWSLogs/ starts: a
// path naming a folder inside AWSLogs/ is cut back to the trail's prefix, as
// digests chain across the whole trail, and "logs" becomes "logs/" so that a
// sibling "logs2/" is not listed too.
func parseS3URL(raw string) (bucket, prefix string, err error) {
	const scheme = "s3://"
	if len(raw) < len(scheme) || !strings.EqualFold(raw[:len(scheme)], scheme) {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix URL", raw)
	}
	bucket, path, _ := strings.Cut(raw[len(scheme):], "/")
	if bucket == "" || strings.ContainsAny(bucket, " \t\r\n?#%\\") {
		return "", "", fmt.Errorf("%q: bad bucket name %q", raw, bucket)
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "AWSLogs" {
			segs = segs[:i]
			if i == 0 {
				return bucket, "", nil
			}
			return bucket, strings.Join(segs, "/") + "/", nil
		}
	}
	if path != "" && !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return bucket, path, nil
}

// newS3Client builds an S3 client for bucket from the default configuration
// chain, honouring TRAILWARDEN_S3_ENDPOINT, and moves it to the bucket's
// region when that differs from the configured one.
func newS3Client(ctx context.Context, bucket string) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultS3Region
	}
	var opts []func(*s3.Options)
	if ep := os.Getenv(s3EndpointEnv); ep != "" {
		opts = append(opts, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(ep)
			o.UsePathStyle = true
		})
	}
	client := s3.NewFromConfig(cfg, opts...)
	region, err := bucketRegion(ctx, client, bucket)
	if err != nil {
		return nil, err
	}
	if region != "" && region != cfg.Region {
		client = s3.NewFromConfig(cfg, append(opts, func(o *s3.Options) { o.Region = region })...)
	}
	return client, nil
}

// bucketRegion asks S3 where bucket lives with HeadBucket. S3 names the
// region in the x-amz-bucket-region header, also on the 301 it answers from
// a wrong region and on a 403, so the region is found even where the caller
// may not list the bucket. "" means S3 did not say (S3-compatible servers);
// the configured region is kept then.
func bucketRegion(ctx context.Context, client *s3.Client, bucket string) (string, error) {
	out, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return aws.ToString(out.BucketRegion), nil
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if region := re.Response.Header.Get("X-Amz-Bucket-Region"); region != "" {
			return region, nil
		}
		if re.HTTPStatusCode() == http.StatusNotFound {
			return "", fmt.Errorf("s3://%s: no such bucket", bucket)
		}
	}
	return "", fmt.Errorf("locate bucket s3://%s: %w", bucket, err)
}

// cloudTrailPublicKeys fetches, with the default AWS configuration chain,
// the public keys CloudTrail signed digests with between start and end, in
// each of regions (the configured region when none). AWS_ENDPOINT_URL_CLOUDTRAIL
// points it elsewhere, as for any AWS SDK.
func cloudTrailPublicKeys(ctx context.Context, start, end time.Time, regions []string) (*integrity.KeySet, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" && len(regions) == 0 {
		return nil, errors.New("CloudTrail public keys: no region (set AWS_REGION or name the regions)")
	}
	return integrity.FetchPublicKeys(ctx, cloudtrail.NewFromConfig(cfg), start, end, regions...)
}
