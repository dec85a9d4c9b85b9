package snapshot

import (
	"encoding/json"
	"testing"
)

func TestCompare(t *testing.T) {
	// PutBucketAcl's AccessControlPolicy as CloudTrail logs it, once xmlns is stripped
	trailACL := `{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"CanonicalUser","xmlns:xsi":"http://www.w3.org/2001/XMLSchema-instance","ID":"abc"},"Permission":"FULL_CONTROL"},{"Grantee":{"xsi:type":"Group","xmlns:xsi":"http://www.w3.org/2001/XMLSchema-instance","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]},"Owner":{"ID":"abc"}}`
	oneGrant := `{"AccessControlList":{"Grant":{"Grantee":{"xsi:type":"CanonicalUser","ID":"abc"},"Permission":"FULL_CONTROL"}},"Owner":{"ID":"abc"}}`
	tests := []struct {
		name             string
		typ, key         string
		stored, observed string // JSON; "" is absent
		want             Difference
	}{
		{"numbers in any representation", typeRole, "maxSessionDuration", `3600`, `3600.0`, Same},
		{"empty map is absent", typeInstance, "tags", `{}`, ``, Same},
		{"null members say nothing", typeBucket, "publicAccessBlock", `{"BlockPublicAcls":true,"x":null}`, `{"BlockPublicAcls":true}`, Same},
		{"XML booleans as strings", typeBucket, "encryption", `{"Rule":{"BucketKeyEnabled":"true"}}`, `{"Rule":{"BucketKeyEnabled":true}}`, Same},
		{"a tag changed", typeInstance, "tags", `{"env":"prod"}`, `{"env":"dev"}`, Drift},
		{"a tag removed", typeInstance, "tags", `{"env":"prod"}`, `{}`, Drift},
		{"instance finished starting", typeInstance, "state", `"pending"`, `"running"`, Refresh},
		{"instance stopped without an event", typeInstance, "state", `"running"`, `"stopped"`, Drift},
		{"VPC became available", typeVPC, "state", `"pending"`, `"available"`, Refresh},
		{"id learnt", typeUser, "userId", ``, `"AIDA1"`, Refresh},
		{"id changed: the user was re-created", typeUser, "userId", `"AIDA0"`, `"AIDA1"`, Drift},
		{"default bucket ACL", typeBucket, "acl", ``, `"private"`, Refresh},
		{"canned ACL against the grants it makes", typeBucket, "acl", `"public-read"`, trailACL, Same},
		{"one grant as an object", typeBucket, "acl", oneGrant, `"private"`, Same},
		{"ACL made public", typeBucket, "acl", `"private"`, `"public-read"`, Drift},
		{"default encryption", typeBucket, "encryption", ``, `{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":false}}`, Refresh},
		{"KMS encryption unlogged", typeBucket, "encryption", ``, `{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}}`, Drift},
		{"default public access block", typeBucket, "publicAccessBlock", ``, `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`, Refresh},
		{"public access block loosened", typeBucket, "publicAccessBlock", `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`, `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`, Drift},
		{"policy removed", typeBucket, "policy", `{"Version":"2012-10-17"}`, ``, Drift},
		{"a VPC not the default", typeVPC, "isDefault", ``, `false`, Refresh},
		{"a VPC made the default?", typeVPC, "isDefault", ``, `true`, Drift},
		{"Lambda's default timeout", typeFunction, "timeout", ``, `3`, Refresh},
		{"a timeout no event set", typeFunction, "timeout", ``, `900`, Drift},
		{"the default version's document learnt", typePolicy, "document", ``, `{"Version":"2012-10-17"}`, Refresh},
		{"the default version's document changed", typePolicy, "document", `{"Version":"2012-10-17"}`, `{"Version":"2008-10-17"}`, Drift},
		{"security groups in another order", typeInstance, "securityGroups", `["sg-b","sg-a"]`, `["sg-a","sg-b"]`, Same},
		{"layers keep their order", typeFunction, "layers", `["l1","l2"]`, `["l2","l1"]`, Drift},
		{"subnets in another order", typeFunction, "vpcConfig", `{"subnetIds":["b","a"]}`, `{"subnetIds":["a","b"],"securityGroupIds":[]}`, Same},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dec := func(s string) any {
				if s == "" {
					return nil
				}
				var v any
				if err := json.Unmarshal([]byte(s), &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			if got := Compare(tc.typ, tc.key, dec(tc.stored), dec(tc.observed)); got != tc.want {
				t.Errorf("Compare = %d, want %d", got, tc.want)
			}
		})
	}
}
