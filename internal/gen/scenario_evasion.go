package gen

// Defense evasion: blinding the logging and detection services.

func evasionScenarios() []*scenario {
	return []*scenario{
		{name: "cloudtrail-stop-logging", tactic: "defense-evasion", headline: true, run: ctStopLogging},
		{name: "cloudtrail-delete-trail", tactic: "defense-evasion", run: ctDeleteTrail},
		{name: "cloudtrail-update-trail", tactic: "defense-evasion", run: ctUpdateTrail},
		{name: "cloudtrail-event-selectors", tactic: "defense-evasion", run: ctEventSelectors},
		{name: "guardduty-delete-detector", tactic: "defense-evasion", headline: true, run: gdDeleteDetector},
		{name: "config-stop-recorder", tactic: "defense-evasion", run: configStopRecorder},
		{name: "config-delete-delivery-channel", tactic: "defense-evasion", run: configDeleteChannel},
		{name: "vpc-delete-flow-logs", tactic: "defense-evasion", run: deleteFlowLogs},
		{name: "logs-delete-log-group", tactic: "defense-evasion", run: deleteLogGroup},
	}
}

func (a *attack) trailARN() string {
	return "arn:aws:cloudtrail:us-east-1:" + a.acct.id + ":trail/" + a.acct.trail
}

func (a *attack) describeTrails() {
	a.call(srcTrail, "DescribeTrails", a.home).read().q(`{"trailNameList":[],"includeShadowTrails":true}`).send()
}

func ctStopLogging(a *attack) {
	a.describeTrails()
	a.call(srcTrail, "GetTrailStatus", a.home).read()
	a.req.obj().ks("name", a.trailARN()).end()
	a.send()
	a.wait(5, 60)
	a.call(srcTrail, "StopLogging", "us-east-1")
	a.req.obj().ks("name", a.trailARN()).end()
	a.resource("AWS::CloudTrail::Trail", a.trailARN())
	a.send()
}

func ctDeleteTrail(a *attack) {
	a.describeTrails()
	a.wait(5, 60)
	a.call(srcTrail, "DeleteTrail", "us-east-1")
	a.req.obj().ks("name", a.trailARN()).end()
	a.resource("AWS::CloudTrail::Trail", a.trailARN())
	a.send()
}

func ctUpdateTrail(a *attack) {
	a.describeTrails()
	a.call(srcTrail, "UpdateTrail", "us-east-1")
	bucket := "acme-" + a.acct.alias + "-cloudtrail-" + a.acct.id
	multi := a.r.intn(2) == 0
	if multi {
		// Send the logs to a bucket the attacker owns.
		bucket = "logs-archive-" + a.r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 10)
		a.req.obj().ks("name", a.acct.trail).ks("s3BucketName", bucket).end()
	} else {
		// Stop recording other regions and global services.
		a.req.obj().ks("name", a.acct.trail).kb("isMultiRegionTrail", false).kb("includeGlobalServiceEvents", false).end()
	}
	a.resp.obj().ks("name", a.acct.trail).ks("s3BucketName", bucket).kb("includeGlobalServiceEvents", multi).
		kb("isMultiRegionTrail", multi).ks("trailARN", a.trailARN()).kb("logFileValidationEnabled", true).
		kb("isOrganizationTrail", false).end()
	a.resource("AWS::CloudTrail::Trail", a.trailARN())
	a.send()
}

func ctEventSelectors(a *attack) {
	a.call(srcTrail, "GetEventSelectors", a.home).read()
	a.req.obj().ks("trailName", a.acct.trail).end()
	a.send()
	a.call(srcTrail, "PutEventSelectors", "us-east-1")
	sel := func(w *jw) {
		w.arr().obj().ks("readWriteType", "ReadOnly").kb("includeManagementEvents", false).
			k("dataResources").arr().end().k("excludeManagementEventSources").arr().end().end().end()
	}
	a.req.obj().ks("trailName", a.acct.trail).k("eventSelectors")
	sel(&a.req)
	a.req.end()
	a.resp.obj().ks("trailARN", a.trailARN()).k("eventSelectors")
	sel(&a.resp)
	a.resp.end()
	a.resource("AWS::CloudTrail::Trail", a.trailARN())
	a.send()
}

func gdDeleteDetector(a *attack) {
	region := a.region()
	a.call(srcGuard, "ListDetectors", region).read().q(`{"maxResults":50}`).send()
	det := a.acct.reg(region).detector
	a.call(srcGuard, "DeleteDetector", region)
	a.req.obj().ks("detectorId", det).end()
	a.resource("AWS::GuardDuty::Detector", "arn:aws:guardduty:"+region+":"+a.acct.id+":detector/"+det)
	a.send()
}

func configStopRecorder(a *attack) {
	region := a.region()
	a.call(srcConfig, "DescribeConfigurationRecorders", region).read().q(`{}`).send()
	a.call(srcConfig, "StopConfigurationRecorder", region).q(`{"configurationRecorderName":"default"}`).send()
}

func configDeleteChannel(a *attack) {
	region := a.region()
	a.call(srcConfig, "DescribeDeliveryChannels", region).read().q(`{}`).send()
	a.call(srcConfig, "StopConfigurationRecorder", region).q(`{"configurationRecorderName":"default"}`).send()
	a.call(srcConfig, "DeleteDeliveryChannel", region).q(`{"deliveryChannelName":"default"}`).send()
}

func deleteFlowLogs(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	a.call(srcEC2, "DescribeFlowLogs", region).read().q(`{"DescribeFlowLogsRequest":""}`).send()
	for _, fl := range reg.flowLogs {
		a.call(srcEC2, "DeleteFlowLogs", region)
		a.req.obj().k("DeleteFlowLogsRequest").obj().k("FlowLogId").obj().ki("tag", 1).ks("content", fl).end().end().end()
		a.resp.obj().k("DeleteFlowLogsResponse").obj().ks("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/").
			ksb("requestId", a.e.reqID).ks("unsuccessful", "").end().end()
		a.send()
	}
}

func deleteLogGroup(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	a.call(srcLogs, "DescribeLogGroups", region).read().q(`{}`)
	a.e.apiVersion = logsVersion
	a.send()
	n := 1 + a.r.intn(3)
	for i := range n {
		a.call(srcLogs, "DeleteLogGroup", region)
		a.e.apiVersion = logsVersion
		a.req.obj().ks("logGroupName", reg.logGroups[(len(reg.logGroups)-1-i+len(reg.logGroups))%len(reg.logGroups)]).end()
		a.send()
	}
}
