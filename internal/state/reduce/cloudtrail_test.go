package reduce

import "testing"

const ctSource = "cloudtrail.amazonaws.com"

func TestReduceCloudTrailTrails(t *testing.T) {
	const (
		name = "ctes-trail"
		arn  = "arn:aws:cloudtrail:us-east-1:123837392027:trail/" + name
		id   = "us-east-1/AWS::CloudTrail::Trail/" + name
	)
	runCases(t, []reduceCase{
		{name: "CreateTrail", source: ctSource, event: "CreateTrail",
			req:  `{"name":"ctes-trail","s3BucketName":"ctes-bucket","includeGlobalServiceEvents":true,"tagsList":[{"key":"StratusRedTeam","value":"true"}]}`,
			resp: `{"name":"ctes-trail","s3BucketName":"ctes-bucket","includeGlobalServiceEvents":true,"isMultiRegionTrail":false,"trailARN":"` + arn + `","logFileValidationEnabled":false,"isOrganizationTrail":false}`,
			want: `put ` + id + ` = {"arn":"` + arn + `","includeGlobalServiceEvents":true,"isLogging":false,"isMultiRegionTrail":false,"isOrganizationTrail":false,"logFileValidationEnabled":false,"name":"ctes-trail","s3BucketName":"ctes-bucket","tags":{"StratusRedTeam":"true"}}`},
		{name: "CreateTrail without response", source: ctSource, event: "CreateTrail",
			req:  `{"name":"org","s3BucketName":"logs","isMultiRegionTrail":true,"enableLogFileValidation":true,"kmsKeyId":"alias/ct","cloudWatchLogsLogGroupArn":"arn:aws:logs:us-east-1:123837392027:log-group:ct:*"}`,
			want: `put us-east-1/AWS::CloudTrail::Trail/org = {"cloudWatchLogsLogGroupArn":"arn:aws:logs:us-east-1:123837392027:log-group:ct:*","isLogging":false,"isMultiRegionTrail":true,"kmsKeyId":"alias/ct","logFileValidationEnabled":true,"name":"org","s3BucketName":"logs"}`},
		{name: "CreateTrail without name", source: ctSource, event: "CreateTrail", req: `{"s3BucketName":"logs"}`, wantErr: true},
		{name: "StartLogging", source: ctSource, event: "StartLogging", req: `{"name":"ctes-trail"}`,
			want: `set ` + id + ` isLogging = true`},
		{name: "StopLogging by ARN", source: ctSource, event: "StopLogging", req: `{"name":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org"}`,
			want: `set eu-west-1/AWS::CloudTrail::Trail/org isLogging = false`},
		{name: "StopLogging unknown trail", source: ctSource, event: "StopLogging", req: `{"name":"ct-stop-trail"}`, errorCode: "TrailNotFoundException"},
		{name: "StopLogging name not a string", source: ctSource, event: "StopLogging", req: `{"name":7}`, wantErr: true},
		{name: "UpdateTrail drops encryption and validation", source: ctSource, event: "UpdateTrail",
			req:  `{"name":"` + arn + `","kmsKeyId":"","enableLogFileValidation":false}`,
			resp: `{"name":"ctes-trail","s3BucketName":"ctes-bucket","includeGlobalServiceEvents":true,"isMultiRegionTrail":false,"trailARN":"` + arn + `","logFileValidationEnabled":false,"isOrganizationTrail":false}`,
			want: `set ` + id + ` includeGlobalServiceEvents = true
set ` + id + ` isMultiRegionTrail = false
set ` + id + ` isOrganizationTrail = false
set ` + id + ` logFileValidationEnabled = false
set ` + id + ` s3BucketName = "ctes-bucket"
unset ` + id + ` kmsKeyId`},
		{name: "UpdateTrail new bucket, no response", source: ctSource, event: "UpdateTrail", req: `{"name":"ctes-trail","s3BucketName":"attacker-bucket"}`,
			want: `set ` + id + ` s3BucketName = "attacker-bucket"`},
		{name: "PutEventSelectors", source: ctSource, event: "PutEventSelectors",
			req:  `{"trailName":"ctes-trail","eventSelectors":[{"readWriteType":"ReadOnly","includeManagementEvents":false,"dataResources":[{"type":"AWS::S3::Object","values":[]}],"excludeManagementEventSources":[]}]}`,
			resp: `{"trailARN":"` + arn + `","eventSelectors":[{"readWriteType":"ReadOnly","includeManagementEvents":false,"dataResources":[{"type":"AWS::S3::Object","values":[]}],"excludeManagementEventSources":[]}]}`,
			want: `set ` + id + ` eventSelectors = [{"dataResources":[{"type":"AWS::S3::Object","values":[]}],"excludeManagementEventSources":[],"includeManagementEvents":false,"readWriteType":"ReadOnly"}]
unset ` + id + ` advancedEventSelectors`},
		{name: "PutEventSelectors advanced", source: ctSource, event: "PutEventSelectors",
			req: `{"trailName":"ctes-trail","advancedEventSelectors":[{"name":"mgmt","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]}]}`,
			want: `set ` + id + ` advancedEventSelectors = [{"fieldSelectors":[{"equals":["Management"],"field":"eventCategory"}],"name":"mgmt"}]
unset ` + id + ` eventSelectors`},
		{name: "PutEventSelectors without selectors", source: ctSource, event: "PutEventSelectors", req: `{"trailName":"ctes-trail"}`, wantErr: true},
		{name: "PutInsightSelectors", source: ctSource, event: "PutInsightSelectors", req: `{"trailName":"ctes-trail","insightSelectors":[{"insightType":"ApiCallRateInsight"}]}`,
			want: `set ` + id + ` insightSelectors = [{"insightType":"ApiCallRateInsight"}]`},
		{name: "PutInsightSelectors without selectors", source: ctSource, event: "PutInsightSelectors", req: `{"trailName":"ctes-trail"}`, wantErr: true},
		{name: "AddTags", source: ctSource, event: "AddTags", req: `{"resourceId":"` + arn + `","tagsList":[{"key":"team","value":"sec"}]}`,
			want: `set ` + id + ` tags.team = "sec"`},
		{name: "RemoveTags", source: ctSource, event: "RemoveTags", req: `{"resourceId":"` + arn + `","tagsList":[{"key":"team"}]}`,
			want: `unset ` + id + ` tags.team`},
		{name: "AddTags on an event data store", source: ctSource, event: "AddTags", req: `{"resourceId":"arn:aws:cloudtrail:us-east-1:123837392027:eventdatastore/abc","tagsList":[{"key":"k","value":"v"}]}`},
		{name: "DeleteTrail", source: ctSource, event: "DeleteTrail", req: `{"name":"ctes-trail"}`,
			want: `delete ` + id},
	})
}
