package reduce

import (
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/event"
)

// TestReduceServiceEventVersions feeds the service reducers records of old
// and new eventVersions: older records lack managementEvent, eventCategory
// and often resources[]; newer ones add fields. The changes are the same.
func TestReduceServiceEventVersions(t *testing.T) {
	const tmpl = `{"eventVersion":"VERSION","userIdentity":{"type":"Root","principalId":"123837392027","arn":"arn:aws:iam::123837392027:root","accountId":"123837392027"},"eventTime":"2019-01-01T00:00:00Z","eventSource":"SOURCE","eventName":"NAME","awsRegion":"us-west-2","sourceIPAddress":"111.111.111.111","userAgent":"console.amazonaws.com","requestParameters":REQ,"responseElements":RESP,"requestID":"1","eventID":"ev-1","eventType":"AwsApiCall","recipientAccountId":"123837392027"EXTRA}`
	for _, tc := range []struct{ name, version, source, event, req, resp, extra, want string }{
		{"KMS 1.02", "1.02", kmsSource, "DisableKey", `{"keyId":"arn:aws:kms:us-west-2:123837392027:key/k1"}`, `null`, ``,
			"set us-west-2/AWS::KMS::Key/k1 enabled = false\nset us-west-2/AWS::KMS::Key/k1 keyState = \"Disabled\""},
		{"Lambda 1.05", "1.05", lambdaSource, "AddPermission20150331", `{"functionName":"f","statementId":"sns","action":"lambda:InvokeFunction","principal":"sns.amazonaws.com","sourceArn":"arn:aws:sns:us-west-2:123837392027:t"}`, `{"statement":"{}"}`, ``,
			`add us-west-2/AWS::Lambda::Function/f permissions.sns = {"action":"lambda:InvokeFunction","principal":"sns.amazonaws.com","sourceArn":"arn:aws:sns:us-west-2:123837392027:t"}`},
		{"CloudTrail 1.11", "1.11", ctSource, "StopLogging", `{"name":"main"}`, `null`, `,"readOnly":false,"managementEvent":true,"eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"cloudtrail.us-west-2.amazonaws.com"},"sessionCredentialFromConsole":"true"`,
			"set us-west-2/AWS::CloudTrail::Trail/main isLogging = false"},
		{"RDS 1.04 with an empty-string response", "1.04", rdsSource, "RebootDBInstance", `{"dBInstanceIdentifier":"db1","forceFailover":false}`, `""`, ``,
			`set us-west-2/AWS::RDS::DBInstance/db1 dBInstanceStatus = "rebooting"`},
	} {
		raw := strings.NewReplacer("VERSION", tc.version, "SOURCE", tc.source, "NAME", tc.event, "REQ", tc.req, "RESP", tc.resp, "EXTRA", tc.extra).Replace(tmpl)
		e, err := event.NewParser().Parse([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cs, err := Reduce(e)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := strings.TrimSpace(summary(cs)); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}
