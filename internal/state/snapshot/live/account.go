package live

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// account is one account being collected: its id, the config whose
// credentials reach it, and the role assumed for it ("" for none).
type account struct {
	id   string
	role string
	cfg  aws.Config
}

// account resolves the account behind base (or behind role, assumed with
// base's credentials) and spawns its calls.
func (c *collector) account(ctx context.Context, base aws.Config, role string) error {
	cfg := base.Copy()
	if role != "" {
		creds := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName
			if c.opts.ExternalID != "" {
				o.ExternalID = aws.String(c.opts.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(creds)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return &CallError{Service: "sts", Operation: "GetCallerIdentity", Region: cfg.Region, Role: role, Err: err}
	}
	a := &account{id: aws.ToString(id.Account), role: role, cfg: cfg}

	iamClient := iam.NewFromConfig(cfg)
	c.spawn(ctx, func(ctx context.Context) error {
		if err := c.call(ctx, a, snapshot.IAMAuthorization, "", "", func(ctx context.Context) (json.RawMessage, error) {
			return authorizationDetails(ctx, iamClient)
		}); err != nil {
			return err
		}
		return nil
	})
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = c.opts.UsePathStyle })
	c.spawn(ctx, func(ctx context.Context) error { return c.buckets(ctx, a, s3Client) })

	for _, region := range c.opts.Regions {
		ec2Client := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
		lambdaClient := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region })
		for kind, fetch := range map[snapshot.Kind]func(context.Context) (json.RawMessage, error){
			snapshot.EC2Instances:      func(ctx context.Context) (json.RawMessage, error) { return describeInstances(ctx, ec2Client) },
			snapshot.EC2SecurityGroups: func(ctx context.Context) (json.RawMessage, error) { return describeSecurityGroups(ctx, ec2Client) },
			snapshot.EC2VPCs:           func(ctx context.Context) (json.RawMessage, error) { return describeVpcs(ctx, ec2Client) },
			snapshot.LambdaFunctions:   func(ctx context.Context) (json.RawMessage, error) { return listFunctions(ctx, lambdaClient) },
		} {
			c.spawn(ctx, func(ctx context.Context) error {
				if err := c.call(ctx, a, kind, region, "", fetch); err != nil {
					return err
				}
				return nil
			})
		}
	}
	return nil
}

// call runs fetch and adds its document, or returns why it failed.
func (c *collector) call(ctx context.Context, a *account, kind snapshot.Kind, region, bucket string, fetch func(context.Context) (json.RawMessage, error)) *CallError {
	data, err := fetch(ctx)
	if err != nil {
		return a.callError(kind, region, bucket, err)
	}
	c.add(a.document(kind, region, bucket, c.opts.Now(), data))
	return nil
}

func (a *account) callError(kind snapshot.Kind, region, bucket string, err error) *CallError {
	service, op := splitKind(kind)
	if region == "" {
		region = a.cfg.Region // where the global call went
	}
	return &CallError{Service: service, Operation: op, Account: a.id, Region: region, Bucket: bucket, Role: a.role, Err: err}
}

// document builds a document of this account. Source is
// "aws:<account>/<region>", or "aws:<account>" for a global call.
func (a *account) document(kind snapshot.Kind, region, bucket string, at time.Time, data json.RawMessage) snapshot.Document {
	source := "aws:" + a.id
	if region != "" {
		source += "/" + region
	}
	return snapshot.Document{
		Kind: kind, Account: a.id, Region: region, Bucket: bucket,
		TakenAt: at.UTC(), Source: source, Data: data,
	}
}
