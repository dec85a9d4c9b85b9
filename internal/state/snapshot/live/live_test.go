package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/state/snapshot"
	"github.com/trailwarden/trailwarden/internal/state/snapshot/live"
	"github.com/trailwarden/trailwarden/internal/state/snapshot/live/awsfake"
)

var takenAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// testConfig points the real SDK clients at the fake with static
// credentials.
func testConfig(f *awsfake.Server) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.BaseKey, awsfake.BaseSecret, ""),
		BaseEndpoint: aws.String(f.URL),
		HTTPClient:   f.Client(),
	}
}

func testOptions() live.Options {
	return live.Options{
		MaxBackoff:   time.Millisecond,
		UsePathStyle: true,
		Now:          func() time.Time { return takenAt },
	}
}

var roles = []string{"arn:aws:iam::222222222222:role/audit", "arn:aws:iam::333333333333:role/audit"}

// TestCollect runs a full collection over two assumed roles and two
// regions, with two pages for every paginated call, throttling on every
// service, absent bucket settings and one failing bucket call per account.
func TestCollect(t *testing.T) {
	f := awsfake.New(t)
	f.Throttle("sts:AssumeRole", 1)
	f.Throttle("ec2:DescribeVpcs", 5)                   // RequestLimitExceeded, 503; more than the SDK's default 3 attempts
	f.Throttle("iam:GetAccountAuthorizationDetails", 2) // Throttling, 400
	f.Throttle("s3:ListBuckets", 2)                     // SlowDown, 503
	f.Throttle("s3:GetBucketPolicy", 1)
	f.Throttle("lambda:ListFunctions", 2) // TooManyRequestsException, 429
	for _, acct := range []string{"222222222222", "333333333333"} {
		f.Fail("s3:GetBucketAcl/broken-"+acct, "AccessDenied")
		f.Fail("s3:GetBucketPolicy/site-"+acct, "NoSuchBucketPolicy")
		f.Fail("s3:GetPublicAccessBlock/site-"+acct, "NoSuchPublicAccessBlockConfiguration")
		f.Fail("s3:GetBucketEncryption/site-"+acct, "ServerSideEncryptionConfigurationNotFoundError")
	}
	opts := testOptions()
	opts.Regions = []string{"us-east-1", "eu-west-1"}
	opts.RoleARNs = roles
	opts.ExternalID = "ext-1"
	opts.Concurrency = 3

	docs, err := live.Collect(t.Context(), testConfig(f), opts)

	t.Run("per-bucket errors", func(t *testing.T) {
		var partial *live.PartialError
		if !errors.As(err, &partial) {
			t.Fatalf("Collect error = %v, want a *PartialError", err)
		}
		var got []live.CallError
		for _, e := range partial.Errs {
			var api smithy.APIError
			if !errors.As(e, &api) || api.ErrorCode() != "AccessDenied" {
				t.Errorf("%v: want the SDK's AccessDenied inside", e)
			}
			c := *e
			c.Err = nil
			got = append(got, c)
		}
		want := []live.CallError{
			{Service: "s3", Operation: "GetBucketAcl", Account: "222222222222", Region: "us-east-1", Bucket: "broken-222222222222", Role: roles[0]},
			{Service: "s3", Operation: "GetBucketAcl", Account: "333333333333", Region: "us-east-1", Bucket: "broken-333333333333", Role: roles[1]},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("per-bucket errors (-want +got):\n%s", d)
		}
		if msg := partial.Errs[0].Error(); !strings.Contains(msg, "s3:GetBucketAcl account 222222222222 region us-east-1 bucket broken-222222222222") {
			t.Errorf("error message %q does not name the call", msg)
		}
	})

	t.Run("documents", func(t *testing.T) {
		var got []string
		for _, d := range docs {
			got = append(got, docKey(d.Account, d.Kind, d.Region, d.Bucket))
			if !d.TakenAt.Equal(takenAt) {
				t.Errorf("%s: TakenAt %v", got[len(got)-1], d.TakenAt)
			}
			wantSource := "aws:" + d.Account
			if d.Region != "" {
				wantSource += "/" + d.Region
			}
			if d.Source != wantSource {
				t.Errorf("%s: Source %q, want %q", got[len(got)-1], d.Source, wantSource)
			}
		}
		var want []string
		for _, acct := range []string{"222222222222", "333333333333"} {
			want = append(want,
				docKey(acct, snapshot.EC2Instances, "eu-west-1", ""),
				docKey(acct, snapshot.EC2Instances, "us-east-1", ""),
				docKey(acct, snapshot.EC2SecurityGroups, "eu-west-1", ""),
				docKey(acct, snapshot.EC2SecurityGroups, "us-east-1", ""),
				docKey(acct, snapshot.EC2VPCs, "eu-west-1", ""),
				docKey(acct, snapshot.EC2VPCs, "us-east-1", ""),
				docKey(acct, snapshot.IAMAuthorization, "", ""),
				docKey(acct, snapshot.LambdaFunctions, "eu-west-1", ""),
				docKey(acct, snapshot.LambdaFunctions, "us-east-1", ""),
				// broken's ACL failed: no document.
				docKey(acct, snapshot.S3BucketACL, "eu-west-1", "site-"+acct),
				docKey(acct, snapshot.S3BucketACL, "us-east-1", "logs-"+acct),
				docKey(acct, snapshot.S3BucketEncryption, "eu-west-1", "site-"+acct),
				docKey(acct, snapshot.S3BucketEncryption, "us-east-1", "broken-"+acct),
				docKey(acct, snapshot.S3BucketEncryption, "us-east-1", "logs-"+acct),
				docKey(acct, snapshot.S3BucketPolicy, "eu-west-1", "site-"+acct),
				docKey(acct, snapshot.S3BucketPolicy, "us-east-1", "broken-"+acct),
				docKey(acct, snapshot.S3BucketPolicy, "us-east-1", "logs-"+acct),
				docKey(acct, snapshot.S3PublicAccessBlock, "eu-west-1", "site-"+acct),
				docKey(acct, snapshot.S3PublicAccessBlock, "us-east-1", "broken-"+acct),
				docKey(acct, snapshot.S3PublicAccessBlock, "us-east-1", "logs-"+acct),
				docKey(acct, snapshot.S3Buckets, "", ""),
			)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("documents, in order (-want +got):\n%s", d)
		}
	})

	t.Run("CLI shape", func(t *testing.T) {
		checkCLIShape(t, docs, "222222222222")
	})

	t.Run("absent bucket settings are null", func(t *testing.T) {
		for _, kind := range []snapshot.Kind{snapshot.S3BucketPolicy, snapshot.S3PublicAccessBlock, snapshot.S3BucketEncryption} {
			d := find(t, docs, "333333333333", kind, "eu-west-1", "site-333333333333")
			if string(d.Data) != "null" {
				t.Errorf("%s of site: Data %s, want null", kind, d.Data)
			}
		}
	})

	t.Run("assumed roles", func(t *testing.T) {
		assumes := f.Calls("sts", "AssumeRole")
		if len(assumes) != 4 { // per role: one throttled, then the real one
			t.Fatalf("%d AssumeRole requests, want 4 (2 throttled)", len(assumes))
		}
		var arns []string
		for _, r := range assumes {
			arns = append(arns, r.Params.Get("RoleArn"))
			if r.AccessKey != awsfake.BaseKey {
				t.Errorf("AssumeRole signed with %q, want the config's key %q", r.AccessKey, awsfake.BaseKey)
			}
			if got := r.Params.Get("RoleSessionName"); got != live.SessionName {
				t.Errorf("RoleSessionName %q, want %q", got, live.SessionName)
			}
			if got := r.Params.Get("ExternalId"); got != "ext-1" {
				t.Errorf("ExternalId %q, want ext-1", got)
			}
		}
		slices.Sort(arns)
		arns = slices.Compact(arns)
		if d := cmp.Diff(roles, arns); d != "" {
			t.Errorf("roles assumed (-want +got):\n%s", d)
		}
		// Every later call is signed with the session credentials: the
		// fake derives the account from the access key, so documents of
		// accounts 222… and 333… prove it too.
		for _, r := range f.Requests() {
			if r.Op != "AssumeRole" && !strings.HasPrefix(r.AccessKey, "ASIA") {
				t.Errorf("%s:%s signed with %q, want a session key", r.Service, r.Op, r.AccessKey)
			}
		}
	})

	t.Run("retries and pages", func(t *testing.T) {
		for _, c := range []struct {
			service, op string
			want        int
		}{
			{"ec2", "DescribeInstances", 2 * 2 * 2},      // accounts × regions × pages
			{"ec2", "DescribeSecurityGroups", 2 * 2 * 2}, // same
			{"ec2", "DescribeVpcs", 2 * 2 * (1 + 5)},     // accounts × regions × (page + throttled)
			{"iam", "GetAccountAuthorizationDetails", 2 * (2 + 2)},
			{"s3", "ListBuckets", 2 * (2 + 2)},
			{"s3", "GetBucketPolicy", 2 * 3 * (1 + 1)}, // accounts × buckets × (call + throttled)
			{"s3", "GetBucketAcl", 2 * 3},              // AccessDenied is not retried
			{"lambda", "ListFunctions", 2 * 2 * (2 + 2)},
			{"sts", "GetCallerIdentity", 2},
		} {
			if got := len(f.Calls(c.service, c.op)); got != c.want {
				t.Errorf("%s:%s: %d requests, want %d", c.service, c.op, got, c.want)
			}
		}
	})

	t.Run("concurrency", func(t *testing.T) {
		if n := f.MaxInflight(); n > opts.Concurrency {
			t.Errorf("%d requests in flight at once, want at most %d", n, opts.Concurrency)
		}
	})

	t.Run("regions", func(t *testing.T) {
		count := map[string]int{}
		for _, r := range f.Calls("ec2", "DescribeInstances") {
			count[r.Region]++
		}
		if d := cmp.Diff(map[string]int{"us-east-1": 4, "eu-west-1": 4}, count); d != "" {
			t.Errorf("DescribeInstances per region (-want +got):\n%s", d)
		}
		for _, r := range f.Requests() {
			if strings.HasPrefix(r.Bucket, "site-") && r.Region != "eu-west-1" {
				t.Errorf("%s on %s signed for %s, want the bucket's region eu-west-1", r.Op, r.Bucket, r.Region)
			}
			if r.Service == "iam" && r.Region != "us-east-1" {
				t.Errorf("IAM call signed for %s", r.Region)
			}
		}
	})
}

// checkCLIShape decodes the Data of each kind for account and checks the
// members a reconciler reads, under the AWS CLI's names.
func checkCLIShape(t *testing.T, docs []snapshot.Document, account string) {
	t.Helper()
	const absent = "<absent>"
	acct := account
	for _, c := range []struct {
		kind           snapshot.Kind
		region, bucket string
		path           string
		want           any
	}{
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.OwnerId", acct},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.InstanceId", "i-eu-west-1-1"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.1.Instances.0.InstanceId", "i-eu-west-1-2"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.State.Name", "running"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.State.Code", 16.0},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.Tags.0.Key", "Name"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.Tags.0.Value", "web-1"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.SecurityGroups.0.GroupId", "sg-eu-west-1-1"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.IamInstanceProfile.Arn", "arn:aws:iam::" + acct + ":instance-profile/web"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.Placement.AvailabilityZone", "eu-west-1a"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.LaunchTime", "2026-11-30T10:00:00Z"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.0.Instances.0.VpcId", "vpc-eu-west-1"},
		{snapshot.EC2Instances, "eu-west-1", "", "Reservations.1.Instances.0.IamInstanceProfile", absent},
		{snapshot.EC2Instances, "eu-west-1", "", "NextToken", absent},
		{snapshot.EC2Instances, "eu-west-1", "", "ResultMetadata", absent},

		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.GroupId", "sg-us-east-1-1"},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.1.GroupId", "sg-us-east-1-2"},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.OwnerId", acct},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.VpcId", "vpc-us-east-1"},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.IpPermissions.0.IpProtocol", "tcp"},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.IpPermissions.0.FromPort", 22.0},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.IpPermissions.0.IpRanges.0.CidrIp", "0.0.0.0/0"},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.IpPermissionsEgress.0.IpProtocol", "-1"},
		{snapshot.EC2SecurityGroups, "us-east-1", "", "SecurityGroups.0.Tags.0.Value", "edge"},

		{snapshot.EC2VPCs, "us-east-1", "", "Vpcs.0.VpcId", "vpc-us-east-1"},
		{snapshot.EC2VPCs, "us-east-1", "", "Vpcs.0.CidrBlock", "10.0.0.0/16"},
		{snapshot.EC2VPCs, "us-east-1", "", "Vpcs.0.IsDefault", true},
		{snapshot.EC2VPCs, "us-east-1", "", "Vpcs.0.Tags.0.Key", "Name"},

		{snapshot.IAMAuthorization, "", "", "UserDetailList.0.UserName", "alice"},
		{snapshot.IAMAuthorization, "", "", "UserDetailList.0.CreateDate", "2026-01-02T03:04:05Z"},
		{snapshot.IAMAuthorization, "", "", "UserDetailList.0.GroupList.0", "admins"},
		{snapshot.IAMAuthorization, "", "", "UserDetailList.0.UserPolicyList.0.PolicyDocument.Statement.0.Resource", "arn:aws:s3:::logs/*"},
		{snapshot.IAMAuthorization, "", "", "UserDetailList.0.Tags.0.Key", "team"},
		{snapshot.IAMAuthorization, "", "", "GroupDetailList.0.GroupName", "admins"},
		{snapshot.IAMAuthorization, "", "", "GroupDetailList.0.AttachedManagedPolicies.0.PolicyArn", "arn:aws:iam::" + acct + ":policy/admin"},
		{snapshot.IAMAuthorization, "", "", "RoleDetailList.0.RoleName", "web"},
		{snapshot.IAMAuthorization, "", "", "RoleDetailList.0.AssumeRolePolicyDocument.Statement.0.Principal.Service", "ec2.amazonaws.com"},
		{snapshot.IAMAuthorization, "", "", "RoleDetailList.0.InstanceProfileList.0.Arn", "arn:aws:iam::" + acct + ":instance-profile/web"},
		{snapshot.IAMAuthorization, "", "", "RoleDetailList.0.RoleLastUsed.LastUsedDate", "2026-11-29T08:00:00Z"},
		{snapshot.IAMAuthorization, "", "", "Policies.0.Arn", "arn:aws:iam::" + acct + ":policy/admin"},
		{snapshot.IAMAuthorization, "", "", "Policies.0.DefaultVersionId", "v2"},
		{snapshot.IAMAuthorization, "", "", "Policies.0.PolicyVersionList.0.IsDefaultVersion", true},
		{snapshot.IAMAuthorization, "", "", "Policies.0.PolicyVersionList.0.Document.Statement.0.Action", "*"},
		{snapshot.IAMAuthorization, "", "", "IsTruncated", absent},
		{snapshot.IAMAuthorization, "", "", "Marker", absent},

		{snapshot.S3Buckets, "", "", "Buckets.0.Name", "logs-" + acct},
		{snapshot.S3Buckets, "", "", "Buckets.0.CreationDate", "2025-05-05T05:05:05Z"},
		{snapshot.S3Buckets, "", "", "Buckets.1.BucketRegion", "eu-west-1"},
		{snapshot.S3Buckets, "", "", "Buckets.2.Name", "broken-" + acct},
		{snapshot.S3Buckets, "", "", "Owner.ID", "owner-" + acct},
		{snapshot.S3Buckets, "", "", "ContinuationToken", absent},

		{snapshot.S3BucketPolicy, "us-east-1", "logs-" + acct, "Policy", awsfake.BucketPolicy("logs-" + acct)},
		{snapshot.S3BucketACL, "us-east-1", "logs-" + acct, "Owner.ID", "owner-" + acct},
		{snapshot.S3BucketACL, "us-east-1", "logs-" + acct, "Grants.0.Grantee.Type", "CanonicalUser"},
		{snapshot.S3BucketACL, "us-east-1", "logs-" + acct, "Grants.0.Permission", "FULL_CONTROL"},
		{snapshot.S3BucketACL, "us-east-1", "logs-" + acct, "Grants.1.Grantee.URI", "http://acs.amazonaws.com/groups/global/AllUsers"},
		{snapshot.S3BucketACL, "us-east-1", "logs-" + acct, "RequestCharged", absent},
		{snapshot.S3PublicAccessBlock, "us-east-1", "logs-" + acct, "PublicAccessBlockConfiguration.BlockPublicAcls", true},
		{snapshot.S3PublicAccessBlock, "us-east-1", "logs-" + acct, "PublicAccessBlockConfiguration.RestrictPublicBuckets", false},
		{snapshot.S3BucketEncryption, "us-east-1", "logs-" + acct, "ServerSideEncryptionConfiguration.Rules.0.ApplyServerSideEncryptionByDefault.SSEAlgorithm", "aws:kms"},
		{snapshot.S3BucketEncryption, "us-east-1", "logs-" + acct, "ServerSideEncryptionConfiguration.Rules.0.ApplyServerSideEncryptionByDefault.KMSMasterKeyID", "arn:aws:kms:us-east-1:" + acct + ":key/k1"},
		{snapshot.S3BucketEncryption, "us-east-1", "logs-" + acct, "ServerSideEncryptionConfiguration.Rules.0.BucketKeyEnabled", true},

		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.FunctionName", "fn-us-east-1-1"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.1.FunctionName", "fn-us-east-1-2"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.FunctionArn", "arn:aws:lambda:us-east-1:" + acct + ":function:fn-us-east-1-1"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.Runtime", "python3.13"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.Role", "arn:aws:iam::" + acct + ":role/web"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.Handler", "app.handler"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.MemorySize", 256.0},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.LastModified", "2026-11-01T12:00:00.000+0000"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.Environment.Variables.STAGE", "prod"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.VpcConfig.SecurityGroupIds.0", "sg-us-east-1-1"},
		{snapshot.LambdaFunctions, "us-east-1", "", "Functions.0.Architectures.0", "arm64"},
		{snapshot.LambdaFunctions, "us-east-1", "", "NextMarker", absent},
	} {
		d := find(t, docs, account, c.kind, c.region, c.bucket)
		if d == nil {
			continue
		}
		var data any
		if err := json.Unmarshal(d.Data, &data); err != nil {
			t.Errorf("%s: Data does not decode: %v", c.kind, err)
			continue
		}
		got, ok := lookup(data, c.path)
		if !ok {
			got = absent
		}
		if !cmp.Equal(c.want, got) {
			t.Errorf("%s %s: %s = %#v, want %#v", c.kind, c.bucket, c.path, got, c.want)
		}
	}
}

// lookup follows a dotted path of member names and list indexes.
func lookup(v any, path string) (any, bool) {
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[step]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func docKey(account string, kind snapshot.Kind, region, bucket string) string {
	return fmt.Sprintf("%s %s %s %s", account, kind, region, bucket)
}

func find(t *testing.T, docs []snapshot.Document, account string, kind snapshot.Kind, region, bucket string) *snapshot.Document {
	t.Helper()
	for i, d := range docs {
		if d.Account == account && d.Kind == kind && d.Region == region && d.Bucket == bucket {
			return &docs[i]
		}
	}
	t.Errorf("no document %s", docKey(account, kind, region, bucket))
	return nil
}

// TestCollectDefaults collects with no role and no regions: the config's
// own account and region.
func TestCollectDefaults(t *testing.T) {
	f := awsfake.New(t)
	docs, err := live.Collect(t.Context(), testConfig(f), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2+4*3+4 { // IAM, bucket list, 3 buckets × 4, 4 regional
		t.Errorf("%d documents, want 18", len(docs))
	}
	for _, d := range docs {
		if d.Account != awsfake.BaseAccount || (d.Region != "" && d.Region != "us-east-1" && d.Bucket == "") {
			t.Errorf("document %s from the wrong account or region", docKey(d.Account, d.Kind, d.Region, d.Bucket))
		}
	}
	for _, r := range f.Requests() {
		if r.AccessKey != awsfake.BaseKey || r.Op == "AssumeRole" {
			t.Errorf("%s:%s with key %q: want no role and the config's key", r.Service, r.Op, r.AccessKey)
		}
	}
}

// TestCollectFatal checks that a failed call other than a per-bucket one
// stops the collection and names the call.
func TestCollectFatal(t *testing.T) {
	for _, c := range []struct {
		name    string
		failKey string
		code    string
		want    live.CallError
		msg     string
	}{
		{
			name:    "DescribeInstances denied in one region",
			failKey: "ec2:DescribeInstances@eu-west-1",
			code:    "UnauthorizedOperation",
			want:    live.CallError{Service: "ec2", Operation: "DescribeInstances", Account: "222222222222", Region: "eu-west-1", Role: roles[0]},
			msg:     "ec2:DescribeInstances account 222222222222 region eu-west-1 role " + roles[0] + ": ",
		},
		{
			name:    "IAM denied",
			failKey: "iam:GetAccountAuthorizationDetails@us-east-1",
			code:    "AccessDenied",
			want:    live.CallError{Service: "iam", Operation: "GetAccountAuthorizationDetails", Account: "222222222222", Region: "us-east-1", Role: roles[0]},
			msg:     "iam:GetAccountAuthorizationDetails account 222222222222 region us-east-1",
		},
		{
			name:    "role cannot be assumed",
			failKey: "sts:AssumeRole@us-east-1",
			code:    "AccessDenied",
			want:    live.CallError{Service: "sts", Operation: "GetCallerIdentity", Region: "us-east-1", Role: roles[0]},
			msg:     "sts:GetCallerIdentity region us-east-1 role " + roles[0],
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := awsfake.New(t)
			f.Fail(c.failKey, c.code)
			opts := testOptions()
			opts.Regions = []string{"us-east-1", "eu-west-1"}
			opts.RoleARNs = roles[:1]

			docs, err := live.Collect(t.Context(), testConfig(f), opts)

			if docs != nil {
				t.Errorf("Collect returned %d documents with a fatal error, want none", len(docs))
			}
			var got *live.CallError
			if !errors.As(err, &got) {
				t.Fatalf("Collect error = %v, want a *CallError", err)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != c.code {
				t.Errorf("error %v does not carry the API error %s", err, c.code)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), c.code) {
				t.Errorf("error %q, want it to contain %q and %q", err, c.msg, c.code)
			}
			plain := *got
			plain.Err = nil
			if d := cmp.Diff(c.want, plain); d != "" {
				t.Errorf("CallError (-want +got):\n%s", d)
			}
			op, _ := strings.CutSuffix(c.failKey, "@"+c.want.Region)
			service, operation, _ := strings.Cut(op, ":")
			n := 0
			for _, r := range f.Calls(service, operation) {
				if r.Region == c.want.Region {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s sent %d times, want once (a denial is not retried)", op, n)
			}
		})
	}
}

// TestCollectStops checks the errors that come before or instead of any
// answer: a cancelled context and options that name no region.
func TestCollectStops(t *testing.T) {
	f := awsfake.New(t)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	noRegion := testConfig(f)
	noRegion.Region = ""
	for _, c := range []struct {
		name string
		ctx  context.Context
		cfg  aws.Config
		opts live.Options
		want string
	}{
		{name: "cancelled", ctx: cancelled, cfg: testConfig(f), opts: testOptions(), want: context.Canceled.Error()},
		{name: "no region", ctx: t.Context(), cfg: noRegion, opts: testOptions(), want: "live: no region"},
		{name: "empty region", ctx: t.Context(), cfg: testConfig(f), opts: live.Options{Regions: []string{"us-east-1", ""}}, want: "live: empty region"},
	} {
		t.Run(c.name, func(t *testing.T) {
			docs, err := live.Collect(c.ctx, c.cfg, c.opts)
			if docs != nil || err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Collect = %d documents, %v; want none and an error containing %q", len(docs), err, c.want)
			}
		})
	}
}
