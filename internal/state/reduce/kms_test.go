package reduce

import (
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/event"
)

const kmsSource = "kms.amazonaws.com"

func TestReduceKMSKeys(t *testing.T) {
	const (
		kid = "1234abcd-12ab-34cd-56ef-1234567890ab"
		arn = "arn:aws:kms:us-east-1:123837392027:key/" + kid
		id  = "us-east-1/AWS::KMS::Key/" + kid
	)
	runCases(t, []reduceCase{
		{name: "CreateKey", source: kmsSource, event: "CreateKey",
			req:  `{"keyUsage":"ENCRYPT_DECRYPT","keySpec":"SYMMETRIC_DEFAULT","customerMasterKeySpec":"SYMMETRIC_DEFAULT","origin":"AWS_KMS","bypassPolicyLockoutSafetyCheck":false,"description":"ransom","multiRegion":false,"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::193672423079:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}","tags":[{"tagKey":"StratusRedTeam","tagValue":"true"}]}`,
			resp: `{"keyMetadata":{"aWSAccountId":"123837392027","keyId":"` + kid + `","arn":"` + arn + `","creationDate":"Jul 10, 2023, 12:20:01 PM","enabled":true,"description":"ransom","keyUsage":"ENCRYPT_DECRYPT","keyState":"Enabled","origin":"AWS_KMS","keyManager":"CUSTOMER","customerMasterKeySpec":"SYMMETRIC_DEFAULT","keySpec":"SYMMETRIC_DEFAULT","encryptionAlgorithms":["SYMMETRIC_DEFAULT"],"multiRegion":false}}`,
			want: `put ` + id + ` = {"arn":"` + arn + `","description":"ransom","enabled":true,"keyId":"` + kid + `","keyManager":"CUSTOMER","keySpec":"SYMMETRIC_DEFAULT","keyState":"Enabled","keyUsage":"ENCRYPT_DECRYPT","multiRegion":false,"origin":"AWS_KMS","policy":{"Statement":[{"Action":"kms:*","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"},"Resource":"*"}],"Version":"2012-10-17"},"tags":{"StratusRedTeam":"true"}}`},
		{name: "CreateKey without response", source: kmsSource, event: "CreateKey", req: `{"keyUsage":"ENCRYPT_DECRYPT"}`, wantErr: true},
		{name: "CreateKey failed", source: kmsSource, event: "CreateKey", req: `{"keyUsage":"ENCRYPT_DECRYPT"}`, errorCode: "AccessDeniedException"},
		{name: "PutKeyPolicy", source: kmsSource, event: "PutKeyPolicy",
			req:  `{"keyId":"` + arn + `","policyName":"default","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}","bypassPolicyLockoutSafetyCheck":false}`,
			want: `set ` + id + ` policy = {"Statement":[],"Version":"2012-10-17"}`},
		{name: "PutKeyPolicy without policy", source: kmsSource, event: "PutKeyPolicy", req: `{"keyId":"` + kid + `","policyName":"default"}`, wantErr: true},
		{name: "DisableKey", source: kmsSource, event: "DisableKey", req: `{"keyId":"` + kid + `"}`,
			want: `set ` + id + ` enabled = false
set ` + id + ` keyState = "Disabled"`},
		{name: "EnableKey", source: kmsSource, event: "EnableKey", req: `{"keyId":"` + kid + `"}`,
			want: `set ` + id + ` enabled = true
set ` + id + ` keyState = "Enabled"`},
		{name: "DisableKey by alias without resources", source: kmsSource, event: "DisableKey", req: `{"keyId":"alias/prod"}`, wantErr: true},
		{name: "ScheduleKeyDeletion", source: kmsSource, event: "ScheduleKeyDeletion",
			req:  `{"keyId":"alias/prod","pendingWindowInDays":7,"overridePendingWindowCheck":false}`,
			resp: `{"keyId":"` + arn + `","deletionDate":"Jul 17, 2023, 12:00:00 AM","keyState":"PendingDeletion","pendingWindowInDays":7}`,
			want: `set ` + id + ` deletionDate = "Jul 17, 2023, 12:00:00 AM"
set ` + id + ` enabled = false
set ` + id + ` keyState = "PendingDeletion"
set ` + id + ` pendingWindowInDays = 7`},
		{name: "ScheduleKeyDeletion by another account's ARN", source: kmsSource, event: "ScheduleKeyDeletion",
			req: `{"keyId":"arn:aws:kms:eu-west-1:111122223333:key/` + kid + `","pendingWindowInDays":30}`,
			want: `set eu-west-1/AWS::KMS::Key/` + kid + ` enabled = false
set eu-west-1/AWS::KMS::Key/` + kid + ` keyState = "PendingDeletion"
set eu-west-1/AWS::KMS::Key/` + kid + ` pendingWindowInDays = 30`},
		{name: "CancelKeyDeletion", source: kmsSource, event: "CancelKeyDeletion", req: `{"keyId":"` + kid + `"}`, resp: `{"keyId":"` + arn + `"}`,
			want: `unset ` + id + ` deletionDate
unset ` + id + ` pendingWindowInDays
set ` + id + ` keyState = "Disabled"`},
		{name: "EnableKeyRotation", source: kmsSource, event: "EnableKeyRotation", req: `{"keyId":"` + kid + `","rotationPeriodInDays":90}`,
			want: `set ` + id + ` keyRotationEnabled = true
set ` + id + ` rotationPeriodInDays = 90`},
		{name: "DisableKeyRotation", source: kmsSource, event: "DisableKeyRotation", req: `{"keyId":"` + kid + `"}`,
			want: `set ` + id + ` keyRotationEnabled = false`},
		{name: "UpdateKeyDescription", source: kmsSource, event: "UpdateKeyDescription", req: `{"keyId":"` + kid + `","description":"x"}`,
			want: `set ` + id + ` description = "x"`},
		{name: "TagResource", source: kmsSource, event: "TagResource", req: `{"keyId":"` + kid + `","tags":[{"tagKey":"env","tagValue":"prod"}]}`,
			want: `set ` + id + ` tags.env = "prod"`},
		{name: "TagResource without tags", source: kmsSource, event: "TagResource", req: `{"keyId":"` + kid + `"}`, wantErr: true},
		{name: "UntagResource", source: kmsSource, event: "UntagResource", req: `{"keyId":"` + kid + `","tagKeys":["env"]}`,
			want: `unset ` + id + ` tags.env`},
		{name: "CreateAlias", source: kmsSource, event: "CreateAlias", req: `{"aliasName":"alias/prod","targetKeyId":"` + kid + `"}`,
			want: `add ` + id + ` aliases.alias/prod = "alias/prod"`},
		{name: "DeleteAlias without resources", source: kmsSource, event: "DeleteAlias", req: `{"aliasName":"alias/prod"}`},
		{name: "CreateAlias without name", source: kmsSource, event: "CreateAlias", req: `{"targetKeyId":"` + kid + `"}`, wantErr: true},
	})
}

// TestReduceKMSResources resolves keys named by alias through the record's
// resources[], as KMS logs them.
func TestReduceKMSResources(t *testing.T) {
	const kid = "1234abcd-12ab-34cd-56ef-1234567890ab"
	raw := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:x","arn":"arn:aws:sts::123837392027:assumed-role/admin/x","accountId":"123837392027"},"eventTime":"2023-07-10T12:10:01Z","eventSource":"kms.amazonaws.com","eventName":"NAME","awsRegion":"us-east-1","sourceIPAddress":"84.86.1.2","userAgent":"aws-cli/2","requestParameters":REQ,"responseElements":null,"requestID":"r1","eventID":"ev-1","readOnly":false,"resources":[{"accountId":"123837392027","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:123837392027:key/` + kid + `"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123837392027","eventCategory":"Management"}`
	for _, tc := range []struct{ name, req, want string }{
		{"DisableKey", `{"keyId":"alias/prod"}`, "set us-east-1/AWS::KMS::Key/" + kid + " enabled = false\nset us-east-1/AWS::KMS::Key/" + kid + ` keyState = "Disabled"`},
		{"DeleteAlias", `{"aliasName":"alias/prod"}`, "remove us-east-1/AWS::KMS::Key/" + kid + " aliases.alias/prod"},
	} {
		e, err := event.NewParser().Parse([]byte(strings.NewReplacer("NAME", tc.name, "REQ", tc.req).Replace(raw)))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := Reduce(e)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := strings.TrimSpace(summary(cs)); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
		if cs[0].Resource.ARN == "" {
			t.Errorf("%s: no ARN", tc.name)
		}
	}
}
