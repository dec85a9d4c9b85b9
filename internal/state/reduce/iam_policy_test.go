package reduce

import "testing"

func TestReduceIAMPolicies(t *testing.T) {
	const arn = "arn:aws:iam::123837392027:policy/stratus-red-team-ec2lui-policy-pcccexdthk"
	const p = "global/AWS::IAM::Policy/stratus-red-team-ec2lui-policy-pcccexdthk"
	const pa = `"policyArn":"` + arn + `"`
	const doc = `"policyDocument":"{\"Statement\":[{\"Action\":[\"ec2:DescribeInstances\"],\"Effect\":\"Allow\",\"Resource\":\"*\"}],\"Version\":\"2012-10-17\"}"`
	const docJSON = `{"Statement":[{"Action":["ec2:DescribeInstances"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	const admin = `"policyDocument":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"`
	const adminJSON = `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	runCases(t, []reduceCase{
		{name: "CreatePolicy", source: iam, event: "CreatePolicy",
			req:  `{"policyName":"stratus-red-team-ec2lui-policy-pcccexdthk","path":"/",` + doc + `,"description":"","tags":[{"key":"StratusRedTeam","value":"true"}]}`,
			resp: `{"policy":{"policyName":"stratus-red-team-ec2lui-policy-pcccexdthk","policyId":"ANPATFQR7NSCRBSSSS4N4","arn":"` + arn + `","path":"/","defaultVersionId":"v1","attachmentCount":0,"permissionsBoundaryUsageCount":0,"isAttachable":true,"createDate":"Jul 10, 2023 12:06:32 PM","updateDate":"Jul 10, 2023 12:06:32 PM","tags":[{"key":"StratusRedTeam","value":"true"}]}}`,
			want: `put ` + p + ` = {"arn":"` + arn + `","defaultVersionId":"v1","document":` + docJSON + `,"path":"/","policyId":"ANPATFQR7NSCRBSSSS4N4","policyName":"stratus-red-team-ec2lui-policy-pcccexdthk","tags":{"StratusRedTeam":"true"},"versions":{"v1":{"document":` + docJSON + `}}}`},
		{name: "CreatePolicy without response", source: iam, event: "CreatePolicy", req: `{"policyName":"p1","description":"read only",` + doc + `}`,
			want: `put global/AWS::IAM::Policy/p1 = {"defaultVersionId":"v1","description":"read only","document":` + docJSON + `,"path":"/","policyName":"p1","versions":{"v1":{"document":` + docJSON + `}}}`},
		{name: "CreatePolicy without name", source: iam, event: "CreatePolicy", req: `{` + doc + `}`, wantErr: true},
		{name: "CreatePolicy malformed document", source: iam, event: "CreatePolicy", req: `{"policyName":"p1","policyDocument":"{"}`, errorCode: "MalformedPolicyDocumentException"},
		{name: "CreatePolicyVersion as default", source: iam, event: "CreatePolicyVersion", req: `{` + pa + `,` + admin + `,"setAsDefault":true}`,
			resp: `{"policyVersion":{"versionId":"v2","isDefaultVersion":true,"createDate":"Jul 10, 2023 12:07:00 PM"}}`,
			want: `add ` + p + ` versions.v2 = {"document":` + adminJSON + `}
set ` + p + ` defaultVersionId = "v2"
set ` + p + ` document = ` + adminJSON},
		{name: "CreatePolicyVersion not default", source: iam, event: "CreatePolicyVersion", req: `{` + pa + `,` + admin + `,"setAsDefault":false}`,
			resp: `{"policyVersion":{"versionId":"v3","isDefaultVersion":false,"createDate":"Jul 10, 2023 12:07:00 PM"}}`,
			want: `add ` + p + ` versions.v3 = {"document":` + adminJSON + `}`},
		{name: "CreatePolicyVersion as default without response", source: iam, event: "CreatePolicyVersion", req: `{` + pa + `,` + admin + `,"setAsDefault":"true"}`,
			want: `unset ` + p + ` defaultVersionId
set ` + p + ` document = ` + adminJSON},
		{name: "CreatePolicyVersion not default without response", source: iam, event: "CreatePolicyVersion", req: `{` + pa + `,` + admin + `}`, wantErr: true},
		{name: "CreatePolicyVersion too many versions", source: iam, event: "CreatePolicyVersion", req: `{` + pa + `,` + admin + `,"setAsDefault":true}`, errorCode: "LimitExceededException"},
		{name: "CreatePolicyVersion on a bad ARN", source: iam, event: "CreatePolicyVersion", req: `{"policyArn":"arn:aws:iam::123837392027:role/r",` + admin + `}`, wantErr: true},
		{name: "SetDefaultPolicyVersion", source: iam, event: "SetDefaultPolicyVersion", req: `{` + pa + `,"versionId":"v3"}`,
			want: `set ` + p + ` defaultVersionId = "v3"
unset ` + p + ` document`},
		{name: "SetDefaultPolicyVersion without version", source: iam, event: "SetDefaultPolicyVersion", req: `{` + pa + `}`, wantErr: true},
		{name: "DeletePolicyVersion", source: iam, event: "DeletePolicyVersion", req: `{` + pa + `,"versionId":"v1"}`,
			want: `remove ` + p + ` versions.v1`},
		{name: "TagPolicy", source: iam, event: "TagPolicy", req: `{` + pa + `,"tags":[{"key":"owner","value":"sec"}]}`,
			want: `set ` + p + ` tags.owner = "sec"`},
		{name: "UntagPolicy", source: iam, event: "UntagPolicy", req: `{` + pa + `,"tagKeys":["owner"]}`,
			want: `unset ` + p + ` tags.owner`},
		{name: "DeletePolicy", source: iam, event: "DeletePolicy", req: `{` + pa + `}`, want: `delete ` + p},
		{name: "DeletePolicy under a path", source: iam, event: "DeletePolicy", req: `{"policyArn":"arn:aws:iam::123837392027:policy/team/a/p2"}`,
			want: `delete global/AWS::IAM::Policy/p2`},
		{name: "AWS-managed policy skipped", source: iam, event: "CreatePolicyVersion",
			req: `{"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess",` + admin + `,"setAsDefault":true}`},
		{name: "AWS-managed policy in China skipped", source: iam, event: "TagPolicy",
			req: `{"policyArn":"arn:aws-cn:iam::aws:policy/service-role/AmazonEC2RoleforSSM","tags":[{"key":"a","value":"b"}]}`},
	})
}

func TestIAMPolicyName(t *testing.T) {
	for _, tc := range []struct {
		arn, name  string
		awsManaged bool
		ok         bool
	}{
		{"arn:aws:iam::123837392027:policy/p", "p", false, true},
		{"arn:aws:iam::123837392027:policy/a/b/p", "p", false, true},
		{"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "ViewOnlyAccess", true, true},
		{"arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess", true, true},
		{"arn:aws:iam::123837392027:policy/", "", false, false},
		{"arn:aws:iam::123837392027:role/r", "", false, false},
		{"arn:aws:s3:::bucket/policy/x", "", false, false},
		{"p", "", false, false},
	} {
		name, m, ok := iamPolicyName(tc.arn)
		if name != tc.name || m != tc.awsManaged || ok != tc.ok {
			t.Errorf("iamPolicyName(%q) = %q, %v, %v; want %q, %v, %v", tc.arn, name, m, ok, tc.name, tc.awsManaged, tc.ok)
		}
	}
}
