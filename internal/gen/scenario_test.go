package gen

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// playScenario runs scenario s once and returns its records, raw and decoded.
func playScenario(t *testing.T, s *scenario, seed int64, t0 int64) ([]string, []record) {
	t.Helper()
	w := newWorld(seed, []string{"111111111111", "222222222222"}, DefaultRegions)
	var raws []string
	var recs []record
	out := func(region string, ts int64, rec []byte) {
		var r record
		if err := json.Unmarshal(rec, &r); err != nil {
			t.Fatalf("%s: record is not JSON: %v\n%s", s.name, err, rec)
		}
		if r.AwsRegion != region {
			t.Errorf("%s: record says region %s, emitted for %s", s.name, r.AwsRegion, region)
		}
		if got, _ := time.Parse(time.RFC3339, r.EventTime); got.Unix() != ts {
			t.Errorf("%s: record time %s, emitted for %d", s.name, r.EventTime, ts)
		}
		raws = append(raws, string(rec))
		recs = append(recs, r)
	}
	newAttack(w, seed, 0, w.accounts[0], "us-east-1", t0, out).run(s)
	return raws, recs
}

func TestScenarios(t *testing.T) {
	// Each scenario's telltale calls, and a string its records must contain.
	tests := map[string]struct {
		names    []string
		contains string
	}{
		"cloudtrail-stop-logging":        {[]string{"StopLogging"}, ":trail/"},
		"cloudtrail-delete-trail":        {[]string{"DeleteTrail"}, ":trail/"},
		"cloudtrail-update-trail":        {[]string{"UpdateTrail"}, `"trailARN"`},
		"cloudtrail-event-selectors":     {[]string{"PutEventSelectors"}, `"includeManagementEvents":false`},
		"guardduty-delete-detector":      {[]string{"DeleteDetector"}, `"detectorId"`},
		"config-stop-recorder":           {[]string{"StopConfigurationRecorder"}, `"configurationRecorderName"`},
		"config-delete-delivery-channel": {[]string{"DeleteDeliveryChannel"}, `"deliveryChannelName"`},
		"vpc-delete-flow-logs":           {[]string{"DeleteFlowLogs"}, `"FlowLogId"`},
		"logs-delete-log-group":          {[]string{"DeleteLogGroup"}, `"logGroupName"`},
		"sg-open-ssh-world":              {[]string{"AuthorizeSecurityGroupIngress"}, `"fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}`},
		"web-server-ssh-exposed":         {[]string{"RunInstances", "AuthorizeSecurityGroupIngress"}, `"groupSet":{"items":[{"groupId":"sg-`},
		"sg-open-rdp-world":              {[]string{"AuthorizeSecurityGroupIngress"}, `"fromPort":3389`},
		"sg-open-all-world":              {[]string{"AuthorizeSecurityGroupIngress"}, `"ipProtocol":"-1","groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}`},
		"sg-modify-rule-world":           {[]string{"ModifySecurityGroupRules"}, `"CidrIpv4":"0.0.0.0/0"`},
		"nacl-allow-all":                 {[]string{"CreateNetworkAclEntry"}, `"ruleAction":"allow","icmpTypeCode":{},"portRange":{},"aclProtocol":"-1","cidrBlock":"0.0.0.0/0"`},
		"vpc-internet-gateway":           {[]string{"CreateVpc", "CreateInternetGateway", "AttachInternetGateway", "CreateRoute"}, `"destinationCidrBlock":"0.0.0.0/0"`},
		"ec2-cryptomining":               {[]string{"RunInstances"}, `"instanceType":"p4d.24xlarge"`},
		"iam-access-key-other-user":      {[]string{"CreateAccessKey"}, `"accessKey"`},
		"iam-login-profile-create":       {[]string{"CreateLoginProfile"}, `"loginProfile"`},
		"iam-login-profile-update":       {[]string{"UpdateLoginProfile"}, `"passwordResetRequired":false`},
		"iam-trust-external-account":     {[]string{"UpdateAssumeRolePolicy"}, `sts:AssumeRole`},
		"iam-create-user-off-hours":      {[]string{"CreateUser", "CreateAccessKey", "AddUserToGroup"}, `"user":{`},
		"iam-attach-admin-user":          {[]string{"AttachUserPolicy"}, adminPolicyArn},
		"iam-attach-admin-role":          {[]string{"AttachRolePolicy"}, adminPolicyArn},
		"iam-attach-admin-group":         {[]string{"AttachGroupPolicy"}, adminPolicyArn},
		"iam-policy-version-admin":       {[]string{"CreatePolicyVersion"}, `"setAsDefault":true`},
		"iam-inline-admin-user":          {[]string{"PutUserPolicy"}, `\"Action\":\"*\"`},
		"iam-inline-admin-role":          {[]string{"PutRolePolicy"}, `\"Action\":\"*\"`},
		"iam-instance-profile-admin":     {[]string{"CreateInstanceProfile", "AddRoleToInstanceProfile"}, `"roleName":"platform-admin"`},
		"iam-passrole-lambda":            {[]string{"CreateFunction20150331", "Invoke"}, `role/platform-admin"`},
		"iam-passrole-ec2":               {[]string{"RunInstances"}, `instance-profile/platform-admin"`},
		"s3-acl-public":                  {[]string{"PutBucketAcl"}, `http://acs.amazonaws.com/groups/global/AllUsers`},
		"s3-policy-public":               {[]string{"PutBucketPolicy"}, `"Principal":"*"`},
		"s3-delete-public-access-block":  {[]string{"DeletePublicAccessBlock"}, `"publicAccessBlock":""`},
		"s3-public-access-block-off":     {[]string{"PutPublicAccessBlock"}, `"RestrictPublicBuckets":false,"BlockPublicPolicy":false,"BlockPublicAcls":false,"IgnorePublicAcls":false`},
		"s3-replication-external":        {[]string{"PutBucketReplication"}, `"Account":"`},
		"lambda-permission-public":       {[]string{"AddPermission20150331v2"}, `"principal":"*"`},
		"lambda-permission-external":     {[]string{"AddPermission20150331v2"}, `:root\"}`},
		"ebs-snapshot-public":            {[]string{"ModifySnapshotAttribute"}, `"group":"all"`},
		"ebs-snapshot-external":          {[]string{"ModifySnapshotAttribute"}, `"createVolumePermission":{"add":{"items":[{"userId":"`},
		"ami-share-external":             {[]string{"ModifyImageAttribute"}, `"launchPermission":{"add":{"items":[{"userId":"`},
		"rds-snapshot-public":            {[]string{"ModifyDBSnapshotAttribute"}, `"valuesToAdd":["all"]`},
		"rds-snapshot-external":          {[]string{"ModifyDBSnapshotAttribute"}, `"attributeName":"restore"`},
		"kms-schedule-key-deletion":      {[]string{"ScheduleKeyDeletion"}, `"keyState":"PendingDeletion"`},
		"kms-disable-key":                {[]string{"DisableKey"}, `"keyId"`},
		"kms-key-policy-external":        {[]string{"PutKeyPolicy"}, `"policyName":"default"`},
		"ec2-get-password-data":          {[]string{"GetPasswordData"}, `"instanceId"`},
		"secrets-bulk-read":              {[]string{"ListSecrets", "GetSecretValue"}, `"secretId"`},
		"ssm-bulk-decrypt":               {[]string{"GetParameters"}, `"withDecryption":true`},
		"ec2-modify-user-data":           {[]string{"StopInstances", "ModifyInstanceAttribute", "StartInstances"}, `"userData"`},
		"console-login-no-mfa":           {[]string{"ConsoleLogin"}, `"MFAUsed":"No"`},
		"console-login-failures":         {[]string{"ConsoleLogin"}, `"errorMessage":"Failed authentication"`},
		"root-console-login":             {[]string{"ConsoleLogin"}, `"type":"Root"`},
		"root-api-calls":                 {[]string{"ListBuckets", "DescribeInstances"}, `"type":"Root"`},
		"access-denied-burst":            {[]string{"GetCallerIdentity"}, `"errorCode":"AccessDenied"`},
		"org-leave-organization":         {[]string{"LeaveOrganization"}, `organizations.amazonaws.com`},
		"s3-mass-delete":                 {[]string{"ListBuckets", "DeleteBucket"}, `"bucketName"`},
		"discovery-burst":                {[]string{"GetAccountAuthorizationDetails", "ListUsers", "ListRoles", "ListBuckets"}, `"type":"IAMUser"`},
	}
	t0 := DefaultStart.Add(10 * time.Hour).Unix()
	for _, s := range scenarios() {
		t.Run(s.name, func(t *testing.T) {
			want, ok := tests[s.name]
			if !ok {
				t.Fatalf("no test case for scenario %s", s.name)
			}
			for seed := range int64(4) {
				raws, recs := playScenario(t, s, seed, t0)
				if len(recs) == 0 {
					t.Fatal("no records")
				}
				var names []string
				prev := ""
				for i, r := range recs {
					names = append(names, r.EventName)
					if r.EventTime < prev {
						t.Errorf("record %d at %s, before the previous one", i, r.EventTime)
					}
					prev = r.EventTime
					if r.EventSource == "" || r.UserIdentity.Type == "" || r.EventVersion == "" || r.RecipientAccountID != "111111111111" {
						t.Errorf("record %d lacks fields: %s", i, raws[i])
					}
					if !fromAttacker(r.SourceIPAddress) {
						t.Errorf("record %d from %s, not an attacker address", i, r.SourceIPAddress)
					}
					if (r.ErrorCode != "") && r.ErrorMessage == "" && r.ErrorCode != "ParameterNotFound" {
						t.Errorf("record %d: errorCode without errorMessage: %s", i, raws[i])
					}
				}
				for _, n := range want.names {
					if !slices.Contains(names, n) {
						t.Errorf("seed %d: no %s among %v", seed, n, names)
					}
				}
				if !slices.ContainsFunc(raws, func(r string) bool { return strings.Contains(r, want.contains) }) {
					t.Errorf("seed %d: no record contains %s:\n%s", seed, want.contains, strings.Join(raws, "\n"))
				}
			}
		})
	}
	if len(tests) != len(scenarios()) {
		t.Errorf("%d test cases for %d scenarios", len(tests), len(scenarios()))
	}
}

func TestScenarioNamesUnique(t *testing.T) {
	names := ScenarioNames()
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Errorf("duplicate scenario names in %v", names)
	}
}

func TestCryptominingRegion(t *testing.T) {
	s := scenarioNamed(t, "ec2-cryptomining")
	_, recs := playScenario(t, s, 1, DefaultStart.Unix())
	for _, r := range recs {
		if r.EventName == "RunInstances" && slices.Contains(DefaultRegions, r.AwsRegion) {
			t.Errorf("RunInstances in %s, a region the organisation uses", r.AwsRegion)
		}
	}
}

func TestOffHoursStart(t *testing.T) {
	start := DefaultStart.Unix() // a Monday
	r := newRNG(1, 0)
	for range 20 {
		ts := time.Unix(offHoursStart(start, start+8*day, r), 0).UTC()
		if ts.Weekday() != time.Sunday || ts.Hour() < 2 || ts.Hour() >= 4 {
			t.Errorf("off-hours start %s, want a Sunday between 02:00 and 04:00", ts)
		}
	}
	if ts := time.Unix(offHoursStart(start, start+2*hour, r), 0).UTC(); ts.Hour() >= 2 {
		t.Errorf("off-hours start %s in a two-hour span from midnight", ts)
	}
}

func scenarioNamed(t *testing.T, name string) *scenario {
	for _, s := range scenarios() {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return nil
}
