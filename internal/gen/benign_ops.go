package gen

const (
	srcTrail    = "cloudtrail.amazonaws.com"
	srcConfig   = "config.amazonaws.com"
	srcGuard    = "guardduty.amazonaws.com"
	srcWatch    = "monitoring.amazonaws.com"
	srcLogs     = "logs.amazonaws.com"
	logsVersion = "20140328"
)

func opsTemplates() []*tmpl {
	return []*tmpl{
		newTmpl(srcTrail, "DescribeTrails", 0.15, cSecHub, cConfig, cVendor).raw(`{"trailNameList":[],"includeShadowTrails":true}`),
		newTmpl(srcTrail, "GetTrailStatus", 0.15, cSecHub, cConfig).withFill(fillTrailName("name")),
		newTmpl(srcTrail, "GetEventSelectors", 0.05, cSecHub, cConfig).withFill(fillTrailName("trailName")),
		newTmpl(srcTrail, "LookupEvents", 0.1, cSSO, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ki("maxResults", 50).k("lookupAttributes").arr().obj().ks("attributeKey", "EventName").
				ks("attributeValue", pick(&g.r, []string{"ConsoleLogin", "RunInstances", "DeleteBucket", "PutBucketPolicy"})).end().end().end()
		}),

		newTmpl(srcConfig, "PutEvaluations", 0.3, cConfig).writes().withFill(func(g *fileGen) {
			g.req.obj().k("evaluations").arr().obj().ks("complianceResourceType", "AWS::EC2::Instance").
				ks("complianceResourceId", pick(&g.r, g.reg.instances)).ks("complianceType", pick(&g.r, []string{"COMPLIANT", "COMPLIANT", "NON_COMPLIANT"})).
				ks("orderingTimestamp", javaDate(g.e.time-int64(g.r.intn(600)), iamDateLayout)).end().end().
				ks("resultToken", g.r.chars(base64Chars, 48)).kb("testMode", false).end()
		}),
		newTmpl(srcConfig, "DescribeConfigurationRecorderStatus", 0.05, cSecHub, cVendor).raw(`{"configurationRecorderNames":["default"]}`),
		newTmpl(srcConfig, "DescribeConfigRules", 0.05, cSecHub, cSSO).raw(`{}`),

		newTmpl(srcGuard, "ListDetectors", 0.1, cSecHub, cVendor).raw(`{"maxResults":50}`),
		newTmpl(srcGuard, "GetDetector", 0.05, cSecHub).withFill(fillDetector),
		newTmpl(srcGuard, "ListFindings", 0.1, cSecHub, cVendor, cSSO).withFill(func(g *fileGen) {
			g.req.obj().ks("detectorId", g.reg.detector).k("findingCriteria").obj().k("criterion").obj().
				k("service.archived").obj().k("eq").arr().s("false").end().end().end().end().ki("maxResults", 50).end()
		}),
		newTmpl(srcGuard, "GetFindings", 0.1, cSecHub, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("detectorId", g.reg.detector).k("findingIds").arr().s(g.r.chars(hexDigits, 32)).end().end()
		}),

		newTmpl(srcWatch, "DescribeAlarms", 1.0, cVendor, cVendor, cSSO).withFill(func(g *fileGen) {
			if g.r.intn(2) == 0 {
				g.req.obj().k("alarmNames").arr().s(pick(&g.r, g.reg.alarms)).end().end()
				return
			}
			g.req.obj().ki("maxRecords", 100).end()
		}),
		newTmpl(srcWatch, "DescribeAlarmHistory", 0.1, cSSO, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("alarmName", pick(&g.r, g.reg.alarms)).ks("historyItemType", "StateUpdate").ki("maxRecords", 50).end()
		}),
		newTmpl(srcWatch, "PutMetricAlarm", 0.08, cCI).writes().withFill(func(g *fileGen) {
			g.req.obj().ks("alarmName", pick(&g.r, g.reg.alarms)).ks("metricName", "CPUUtilization").ks("namespace", "AWS/RDS").
				ks("statistic", "Average").ki("period", 300).ki("evaluationPeriods", 3).kraw("threshold", "80.0").
				ks("comparisonOperator", "GreaterThanThreshold").
				k("alarmActions").arr().s("arn:aws:sns:"+g.region+":"+g.acct.id+":"+g.acct.alias+"-alerts").end().
				k("dimensions").arr().obj().ks("name", "DBInstanceIdentifier").ks("value", pick(&g.r, g.reg.dbs)).end().end().end()
		}),

		newTmpl(srcLogs, "DescribeLogGroups", 0.8, cVendor, cConfig, cSSO, cCI).withFill(func(g *fileGen) {
			g.e.apiVersion = logsVersion
			g.req.obj().ks("logGroupNamePrefix", pick(&g.r, []string{"/aws/lambda/", "/ecs/", "/aws/eks/"})).end()
		}),
		newTmpl(srcLogs, "DescribeLogStreams", 0.3, cSSO, cVendor).withFill(func(g *fileGen) {
			g.e.apiVersion = logsVersion
			g.req.obj().ks("logGroupName", pick(&g.r, g.reg.logGroups)).ks("orderBy", "LastEventTime").kb("descending", true).ki("limit", 50).end()
		}),
		newTmpl(srcLogs, "FilterLogEvents", 0.2, cSSO).withFill(func(g *fileGen) {
			g.e.apiVersion = logsVersion
			t := g.e.time * 1000
			g.req.obj().ks("logGroupName", pick(&g.r, g.reg.logGroups)).ki("startTime", t-3_600_000).ki("endTime", t).
				ks("filterPattern", pick(&g.r, []string{"ERROR", "Exception", "\"status=500\""})).kb("interleaved", true).end()
		}),
		newTmpl(srcLogs, "PutRetentionPolicy", 0.03, cCI).writes().withFill(func(g *fileGen) {
			g.e.apiVersion = logsVersion
			g.req.obj().ks("logGroupName", pick(&g.r, g.reg.logGroups)).ki("retentionInDays", int64(pick(&g.r, []int{30, 90, 365}))).end()
		}),
		newTmpl(srcLogs, "CreateLogGroup", 0.02, cCI).writes().withFill(func(g *fileGen) {
			g.e.apiVersion = logsVersion
			g.req.obj().ks("logGroupName", "/aws/lambda/"+pick(&g.r, g.reg.functions)).end()
			if g.r.intn(2) == 0 {
				g.fail("ResourceAlreadyExistsException", "The specified log group already exists")
			}
		}),
	}
}

func fillTrailName(key string) func(g *fileGen) {
	return func(g *fileGen) {
		g.req.obj().ks(key, "arn:aws:cloudtrail:us-east-1:"+g.acct.id+":trail/"+g.acct.trail).end()
	}
}

func fillDetector(g *fileGen) {
	g.req.obj().ks("detectorId", g.reg.detector).end()
}
