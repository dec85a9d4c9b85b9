package snapshot

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// DetectKind names the call whose raw CLI output has these top-level keys.
func DetectKind(top map[string]json.RawMessage) (Kind, error) {
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("Reservations"):
		return EC2Instances, nil
	case has("SecurityGroups"):
		return EC2SecurityGroups, nil
	case has("Vpcs"):
		return EC2VPCs, nil
	case has("UserDetailList"), has("RoleDetailList"), has("GroupDetailList"):
		return IAMAuthorization, nil
	case has("Policies"):
		// list-policies prints Policies too, without the documents
		var ps []struct {
			PolicyVersionList json.RawMessage
		}
		if json.Unmarshal(top["Policies"], &ps) == nil && len(ps) > 0 && len(ps[0].PolicyVersionList) == 0 {
			return "", fmt.Errorf("%w: Policies without PolicyVersionList (aws iam list-policies?): use aws iam get-account-authorization-details", ErrUnknownKind)
		}
		return IAMAuthorization, nil
	case has("Buckets") && has("Owner"):
		return S3Buckets, nil
	case has("Grants") && has("Owner"):
		return S3BucketACL, nil
	case has("Policy"):
		if len(top["Policy"]) == 0 || top["Policy"][0] != '"' {
			return "", fmt.Errorf("%w: Policy is not a string (get-bucket-policy prints the policy as a string)", ErrUnknownKind)
		}
		return S3BucketPolicy, nil
	case has("PublicAccessBlockConfiguration"):
		return S3PublicAccessBlock, nil
	case has("ServerSideEncryptionConfiguration"):
		return S3BucketEncryption, nil
	case has("Functions"):
		return LambdaFunctions, nil
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 5 {
		keys = append(keys[:5], "...")
	}
	return "", fmt.Errorf("%w: top-level keys [%s] match no call trailwarden reads", ErrUnknownKind, strings.Join(keys, " "))
}

// global reports whether a kind's calls are not regional.
func global(k Kind) bool {
	switch k {
	case IAMAuthorization, S3Buckets, S3BucketPolicy, S3BucketACL, S3PublicAccessBlock, S3BucketEncryption:
		return true
	}
	return false
}

func perBucket(k Kind) bool { _, ok := commands[k]; return ok }

// commands names the CLI command of each per-bucket kind, as the file name
// convention <bucket>.<command>.json spells it.
var commands = map[Kind]string{
	S3BucketPolicy:      "get-bucket-policy",
	S3BucketACL:         "get-bucket-acl",
	S3PublicAccessBlock: "get-public-access-block",
	S3BucketEncryption:  "get-bucket-encryption",
}

// bucketFromName reads the bucket from a file named <bucket>.<command>.json.
func bucketFromName(path string, k Kind) string {
	base := strings.TrimSuffix(filepath.Base(path), ".json")
	b, ok := strings.CutSuffix(base, "."+commands[k])
	if !ok {
		return ""
	}
	return b
}

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	azRE      = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)`)
)

// hints reads the account and region the data itself names, where it
// does: the first reservation's OwnerId and availability zone, the first
// group's or VPC's OwnerId, the first IAM ARN, the first function ARN.
func hints(k Kind, data json.RawMessage) (account, region string) {
	var v struct {
		Reservations []struct {
			OwnerId   string
			Instances []struct {
				Placement struct{ AvailabilityZone string }
			}
		}
		SecurityGroups  []struct{ OwnerId string }
		Vpcs            []struct{ OwnerId string }
		UserDetailList  []struct{ Arn string }
		RoleDetailList  []struct{ Arn string }
		GroupDetailList []struct{ Arn string }
		Policies        []struct{ Arn string }
		Functions       []struct{ FunctionArn string }
	}
	if json.Unmarshal(data, &v) != nil {
		return "", "" // Observe reports the shape
	}
	acct := func(s string) {
		if account == "" && accountRE.MatchString(s) {
			account = s
		}
	}
	fromARN := func(arn string) {
		p := strings.SplitN(arn, ":", 6)
		if len(p) == 6 {
			acct(p[4])
			if region == "" {
				region = p[3]
			}
		}
	}
	switch k {
	case EC2Instances:
		for _, r := range v.Reservations {
			acct(r.OwnerId)
			for _, i := range r.Instances {
				if m := azRE.FindStringSubmatch(i.Placement.AvailabilityZone); m != nil && region == "" {
					region = m[1]
				}
			}
		}
	case EC2SecurityGroups:
		for _, g := range v.SecurityGroups {
			acct(g.OwnerId)
		}
	case EC2VPCs:
		for _, g := range v.Vpcs {
			acct(g.OwnerId)
		}
	case IAMAuthorization:
		for _, l := range [][]struct{ Arn string }{v.UserDetailList, v.RoleDetailList, v.GroupDetailList, v.Policies} {
			for _, x := range l {
				fromARN(x.Arn)
			}
		}
		region = ""
	case LambdaFunctions:
		for _, f := range v.Functions {
			fromARN(f.FunctionArn)
		}
	}
	return account, region
}

// regionOfZone returns the region of an availability zone (us-east-1a →
// us-east-1; us-west-2-lax-1a → us-west-2), or "".
func regionOfZone(az string) string {
	if m := azRE.FindStringSubmatch(az); m != nil {
		return m[1]
	}
	return ""
}
