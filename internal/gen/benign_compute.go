package gen

const (
	srcEC2    = "ec2.amazonaws.com"
	srcASG    = "autoscaling.amazonaws.com"
	srcELB    = "elasticloadbalancing.amazonaws.com"
	srcECS    = "ecs.amazonaws.com"
	srcECR    = "ecr.amazonaws.com"
	srcLambda = "lambda.amazonaws.com"
	srcRDS    = "rds.amazonaws.com"
	srcDDB    = "dynamodb.amazonaws.com"
)

var benignTypes = []string{"m6i.large", "m6i.xlarge", "c6i.large", "t3.medium", "r6i.large", "m7g.large"}

func computeTemplates() []*tmpl {
	return []*tmpl{
		newTmpl(srcEC2, "DescribeInstances", 3, cVendor, cVendor, cASG, cConfig, cSSO, cCI, cNode, cNode).withFill(fillDescribeInstances),
		newTmpl(srcEC2, "DescribeSecurityGroups", 1.2, cVendor, cConfig, cSSO, cCI, cSecHub).withFill(func(g *fileGen) {
			g.req.obj().kraw("securityGroupSet", "{}").k("securityGroupIdSet").items("groupId", pick(&g.r, g.reg.sgs)).kraw("filterSet", "{}").end()
		}),
		newTmpl(srcEC2, "DescribeVolumes", 0.8, cVendor, cConfig, cBackup).raw(`{"volumeSet":{},"filterSet":{}}`),
		newTmpl(srcEC2, "DescribeSnapshots", 0.4, cBackup, cConfig, cSSO).raw(`{"snapshotSet":{},"ownersSet":{"items":[{"owner":"self"}]},"sharedUsersSet":{},"filterSet":{}}`),
		newTmpl(srcEC2, "DescribeSubnets", 0.6, cConfig, cCI, cNode, cVendor).raw(`{"subnetSet":{},"filterSet":{}}`),
		newTmpl(srcEC2, "DescribeVpcs", 0.5, cConfig, cCI, cVendor, cSSO).raw(`{"vpcSet":{},"filterSet":{}}`),
		newTmpl(srcEC2, "DescribeRouteTables", 0.5, cConfig, cCI, cSecHub).raw(`{"routeTableIdSet":{},"filterSet":{}}`),
		newTmpl(srcEC2, "DescribeNetworkInterfaces", 1.0, cNode, cNode, cConfig, cVendor).withFill(func(g *fileGen) {
			g.req.obj().kraw("networkInterfaceIdSet", "{}").k("filterSet").obj().k("items").arr().
				obj().ks("name", "attachment.instance-id").k("valueSet").items("value", pick(&g.r, g.reg.instances)).end().
				end().end().end()
		}),
		newTmpl(srcEC2, "DescribeImages", 0.4, cASG, cCI, cConfig).withFill(func(g *fileGen) {
			g.req.obj().kraw("executableBySet", "{}").k("imagesSet").items("imageId", pick(&g.r, g.reg.amis)).kraw("ownersSet", "{}").kb("includeDeprecated", false).kraw("filterSet", "{}").end()
		}),
		newTmpl(srcEC2, "DescribeInstanceStatus", 0.8, cVendor, cASG, cNode).raw(`{"instancesSet":{},"filterSet":{},"includeAllInstances":false}`),
		newTmpl(srcEC2, "DescribeAvailabilityZones", 0.4, cNode, cCI, cSSO).raw(`{"availabilityZoneSet":{},"availabilityZoneIdSet":{}}`),
		newTmpl(srcEC2, "DescribeTags", 0.5, cNode, cVendor).withFill(func(g *fileGen) {
			g.req.obj().k("filterSet").obj().k("items").arr().
				obj().ks("name", "resource-id").k("valueSet").items("value", pick(&g.r, g.reg.instances)).end().
				end().end().end()
		}),
		newTmpl(srcEC2, "DescribeLaunchTemplateVersions", 0.3, cASG, cCI).raw(`{"DescribeLaunchTemplateVersionsRequest":{"LaunchTemplateName":"eks-node-group","LaunchTemplateVersion":{"tag":1,"content":"$Latest"}}}`),
		newTmpl(srcEC2, "DescribeAddresses", 0.3, cConfig, cVendor).raw(`{"publicIpsSet":{},"allocationIdsSet":{},"filterSet":{}}`),
		newTmpl(srcEC2, "DescribeRegions", 0.2, cVendor, cSSO, cCI).raw(`{"regionSet":{}}`),
		newTmpl(srcEC2, "DescribeVpcEndpoints", 0.2, cConfig, cCI).raw(`{"DescribeVpcEndpointsRequest":""}`),
		newTmpl(srcEC2, "DescribeNatGateways", 0.2, cConfig, cVendor).raw(`{"DescribeNatGatewaysRequest":""}`),
		newTmpl(srcEC2, "DescribeFlowLogs", 0.1, cSecHub, cConfig).raw(`{"DescribeFlowLogsRequest":""}`),
		newTmpl(srcEC2, "CreateTags", 0.25, cCI, cASG, cCIUser).writes().withFill(fillCreateTags),
		newTmpl(srcEC2, "CreateSnapshot", 0.15, cBackup).writes().withFill(fillCreateSnapshot),
		newTmpl(srcEC2, "DeleteSnapshot", 0.08, cBackup).writes().withFill(func(g *fileGen) {
			g.req.obj().ks("snapshotId", pick(&g.r, g.reg.snapshots)).end()
			g.ec2Return()
		}),
		newTmpl(srcEC2, "RunInstances", 0.08, cASG).writes().withFill(fillBenignRunInstances),
		newTmpl(srcEC2, "TerminateInstances", 0.08, cASG).writes().withFill(func(g *fileGen) {
			id := pick(&g.r, g.reg.instances)
			g.req.obj().k("instancesSet").items("instanceId", id).end()
			rid := g.e.newRequestID(&g.r)
			g.resp.obj().ksb("requestId", rid).k("instancesSet").obj().k("items").arr().obj().ks("instanceId", id).
				k("currentState").obj().ki("code", 32).ks("name", "shutting-down").end().
				k("previousState").obj().ki("code", 16).ks("name", "running").end().end().end().end().end()
		}),
		newTmpl(srcEC2, "AuthorizeSecurityGroupIngress", 0.02, cCI).writes().withFill(fillBenignIngress),

		newTmpl(srcASG, "DescribeAutoScalingGroups", 0.8, cNode, cVendor, cCI).withFill(func(g *fileGen) {
			g.req.obj().k("autoScalingGroupNames").arr().s(pick(&g.r, g.reg.asgs)).end().end()
		}),
		newTmpl(srcASG, "DescribeScalingActivities", 0.1, cVendor, cSSO).withFill(func(g *fileGen) {
			g.req.obj().ks("autoScalingGroupName", pick(&g.r, g.reg.asgs)).ki("maxRecords", 20).end()
		}),
		newTmpl(srcASG, "SetDesiredCapacity", 0.03, cNode).writes().withFill(func(g *fileGen) {
			g.req.obj().ks("autoScalingGroupName", pick(&g.r, g.reg.asgs)).ki("desiredCapacity", int64(g.r.between(3, 12))).kb("honorCooldown", false).end()
		}),

		newTmpl(srcELB, "DescribeTargetHealth", 1.0, cNode, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("targetGroupArn", pick(&g.r, g.reg.targetGroups)).end()
			g.e.apiVersion = "2015-12-01"
		}),
		newTmpl(srcELB, "DescribeLoadBalancers", 0.4, cVendor, cConfig, cNode).withFill(func(g *fileGen) {
			g.req.obj().ki("pageSize", 400).end()
			g.e.apiVersion = "2015-12-01"
		}),
		newTmpl(srcELB, "DescribeTargetGroups", 0.3, cVendor, cNode).withFill(func(g *fileGen) {
			g.req.obj().ki("pageSize", 400).end()
			g.e.apiVersion = "2015-12-01"
		}),
		newTmpl(srcELB, "RegisterTargets", 0.05, cNode).writes().withFill(fillTargets),
		newTmpl(srcELB, "DeregisterTargets", 0.05, cNode).writes().withFill(fillTargets),

		newTmpl(srcECS, "DescribeServices", 0.3, cCI, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("cluster", g.reg.clusters[0]).k("services").arr().s(g.acct.alias + "-orders-api").s(g.acct.alias + "-payments-worker").end().end()
		}),
		newTmpl(srcECS, "ListTasks", 0.2, cVendor, cCI).withFill(func(g *fileGen) {
			g.req.obj().ks("cluster", g.reg.clusters[0]).ks("desiredStatus", "RUNNING").end()
		}),
		newTmpl(srcECS, "DescribeTasks", 0.2, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("cluster", g.reg.clusters[0]).k("tasks").arr().s(g.r.chars(hexDigits, 32)).end().end()
		}),
		newTmpl(srcECS, "UpdateService", 0.03, cCI).writes().withFill(func(g *fileGen) {
			g.req.obj().ks("cluster", g.reg.clusters[0]).ks("service", g.acct.alias+"-orders-api").
				ks("taskDefinition", g.acct.alias+"-orders-api:"+itoa(g.r.between(100, 400))).kb("forceNewDeployment", false).end()
		}),
		newTmpl(srcECS, "RegisterTaskDefinition", 0.03, cCI).writes().withFill(func(g *fileGen) {
			g.req.obj().ks("family", g.acct.alias+"-orders-api").ks("taskRoleArn", g.acct.apps[0].role.arn).
				ks("networkMode", "awsvpc").k("requiresCompatibilities").arr().s("FARGATE").end().ks("cpu", "512").ks("memory", "1024").end()
		}),

		newTmpl(srcECR, "GetAuthorizationToken", 0.8, cNode, cNode, cCI).withFill(func(g *fileGen) {
			g.req.obj().end()
		}),
		newTmpl(srcECR, "BatchGetImage", 0.5, cNode).withFill(fillECRImage),
		newTmpl(srcECR, "GetDownloadUrlForLayer", 0.5, cNode).withFill(func(g *fileGen) {
			g.req.obj().ks("repositoryName", pick(&g.r, []string{"orders-api", "payments-worker", "nginx-ingress"})).
				ks("layerDigest", "sha256:"+g.r.chars(hexDigits, 64)).ks("registryId", g.acct.id).end()
		}),
		newTmpl(srcECR, "PutImage", 0.04, cCI).writes().withFill(fillECRImage),

		newTmpl(srcLambda, "ListFunctions20150331", 0.5, cVendor, cConfig, cSSO).withFill(func(g *fileGen) {
			g.req.obj().ki("maxItems", 50).end()
		}),
		newTmpl(srcLambda, "GetFunction20150331v2", 0.3, cCI, cSSO).withFill(fillFunctionName),
		newTmpl(srcLambda, "GetFunctionConfiguration20150331v2", 0.3, cCI, cConfig, cVendor).withFill(fillFunctionName),
		newTmpl(srcLambda, "GetPolicy20150331v2", 0.1, cConfig, cSecHub).withFill(fillFunctionName),
		newTmpl(srcLambda, "UpdateFunctionConfiguration20150331v2", 0.06, cCI).writes().withFill(fillUpdateFunctionConfig),
		newTmpl(srcLambda, "UpdateFunctionCode20150331v2", 0.08, cCI).writes().withFill(func(g *fileGen) {
			fn := pick(&g.r, g.reg.functions)
			g.req.obj().ks("functionName", fn).ks("s3Bucket", g.reg.buckets[len(g.reg.buckets)-1]).
				ks("s3Key", "lambda/"+fn+"/"+g.r.chars(hexDigits, 40)+".zip").kb("publish", true).kb("dryRun", false).end()
		}),

		newTmpl(srcRDS, "DescribeDBInstances", 0.8, cVendor, cVendor, cConfig, cSSO).withFill(func(g *fileGen) {
			if g.r.intn(2) == 0 {
				g.req.obj().ks("dBInstanceIdentifier", pick(&g.r, g.reg.dbs)).end()
			}
		}),
		newTmpl(srcRDS, "DescribeDBClusters", 0.2, cVendor, cConfig).raw(`{"includeShared":false}`),
		newTmpl(srcRDS, "DescribeDBSnapshots", 0.3, cBackup, cConfig).withFill(func(g *fileGen) {
			g.req.obj().ks("dBInstanceIdentifier", pick(&g.r, g.reg.dbs)).ks("snapshotType", "automated").kb("includeShared", false).kb("includePublic", false).end()
		}),
		newTmpl(srcRDS, "CreateDBSnapshot", 0.04, cBackup).writes().withFill(func(g *fileGen) {
			db := pick(&g.r, g.reg.dbs)
			g.req.obj().ks("dBSnapshotIdentifier", "awsbackup:job-"+g.r.uuid()).ks("dBInstanceIdentifier", db).end()
		}),
		newTmpl(srcRDS, "ListTagsForResource", 0.2, cConfig, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("resourceName", "arn:aws:rds:"+g.region+":"+g.acct.id+":db:"+pick(&g.r, g.reg.dbs)).end()
		}),

		newTmpl(srcDDB, "DescribeTable", 0.6, cApp, cApp, cVendor).withFill(func(g *fileGen) {
			g.req.obj().ks("tableName", pick(&g.r, g.reg.tables)).end()
		}),
		newTmpl(srcDDB, "ListTables", 0.2, cVendor, cConfig).raw(`{"limit":100}`),
	}
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// ec2Return writes EC2's {"requestId":…,"_return":true} response.
func (g *fileGen) ec2Return() {
	g.resp.obj().ksb("requestId", g.e.reqID).kb("_return", true).end()
}

func fillDescribeInstances(g *fileGen) {
	w := &g.req
	if g.r.intn(2) == 0 {
		w.obj().k("instancesSet").items("instanceId", pick(&g.r, g.reg.instances)).kraw("filterSet", "{}").end()
		return
	}
	w.obj().kraw("instancesSet", "{}").k("filterSet").obj().k("items").arr().
		obj().ks("name", "instance-state-name").k("valueSet").items("value", "running").end().
		end().end().end()
}

func fillCreateTags(g *fileGen) {
	w := &g.req
	w.obj().k("resourcesSet").items("resourceId", pick(&g.r, g.reg.instances)).
		k("tagSet").obj().k("items").arr().
		obj().ks("key", "CostCenter").ks("value", pick(&g.r, []string{"platform", "payments", "data"})).end().
		obj().ks("key", "Owner").ks("value", "team-"+pick(&g.r, []string{"platform", "payments", "data"})).end().
		end().end().end()
	g.ec2Return()
}

func fillCreateSnapshot(g *fileGen) {
	vol := pick(&g.r, g.reg.volumes)
	g.req.obj().ks("volumeId", vol).ks("description", "This snapshot is created by the AWS Backup service.").
		k("tagSpecificationSet").obj().k("items").arr().obj().ks("resourceType", "snapshot").
		k("tags").arr().obj().ks("key", "aws:backup:source-resource").ks("value", vol).end().end().end().end().end().end()
	g.resp.obj().ksb("requestId", g.e.reqID).ks("snapshotId", ec2ID(&g.r, "snap-")).ks("volumeId", vol).
		ks("status", "pending").ki("startTime", g.e.time*1000+int64(g.r.intn(1000))).ks("ownerId", g.acct.id).
		ks("volumeSize", itoa(pick(&g.r, []int{8, 20, 50, 100, 200}))).kb("encrypted", true).end()
}

func fillBenignRunInstances(g *fileGen) {
	r := &g.r
	it := pick(r, benignTypes)
	az := pick(r, g.reg.azs)
	w := &g.req
	w.obj().k("instancesSet").obj().k("items").arr().obj().ki("minCount", 1).ki("maxCount", 1).end().end().end().
		ks("instanceType", it).
		k("launchTemplate").obj().ks("launchTemplateName", "eks-node-group").ks("version", "7").end().
		k("placement").obj().ks("availabilityZone", az).end().
		k("tagSpecificationSet").obj().k("items").arr().obj().ks("resourceType", "instance").k("tags").arr().
		obj().ks("key", "eks:cluster-name").ks("value", g.acct.alias).end().
		obj().ks("key", "aws:autoscaling:groupName").ks("value", pick(r, g.reg.asgs)).end().
		obj().ks("key", "Name").ks("value", g.acct.alias+"-eks-node").end().
		end().end().end().end().
		kb("disableApiStop", false).ks("clientToken", r.uuid()).end()
	id := ec2ID(r, "i-")
	g.resp.obj().ksb("requestId", g.e.reqID).ks("reservationId", ec2ID(r, "r-")).ks("ownerId", g.acct.id).
		kraw("groupSet", "{}").
		k("instancesSet").obj().k("items").arr().obj().ks("instanceId", id).ks("imageId", pick(r, g.reg.amis)).
		k("instanceState").obj().ki("code", 0).ks("name", "pending").end().
		ks("instanceType", it).k("placement").obj().ks("availabilityZone", az).ks("tenancy", "default").end().
		ks("subnetId", pick(r, g.reg.subnets)).ks("vpcId", g.reg.vpcs[0]).ks("privateIpAddress", pick(r, g.reg.privIPs)).
		k("tagSet").obj().k("items").arr().obj().ks("key", "eks:cluster-name").ks("value", g.acct.alias).end().end().end().
		end().end().end().end()
}

func fillBenignIngress(g *fileGen) {
	// A near miss for open-to-the-world rules: HTTPS from the private range.
	g.req.obj().ks("groupId", pick(&g.r, g.reg.sgs)).k("ipPermissions").obj().k("items").arr().obj().
		ks("ipProtocol", "tcp").ki("fromPort", 443).ki("toPort", 443).kraw("groups", "{}").
		k("ipRanges").obj().k("items").arr().obj().ks("cidrIp", "10.0.0.0/8").ks("description", "internal HTTPS").end().end().end().
		kraw("ipv6Ranges", "{}").kraw("prefixListIds", "{}").end().end().end().end()
	g.resp.obj().ksb("requestId", g.e.reqID).kb("_return", true).end()
}

func fillTargets(g *fileGen) {
	g.e.apiVersion = "2015-12-01"
	g.req.obj().ks("targetGroupArn", pick(&g.r, g.reg.targetGroups)).k("targets").arr().
		obj().ks("id", pick(&g.r, g.reg.privIPs)).ki("port", 8080).end().end().end()
}

func fillECRImage(g *fileGen) {
	g.req.obj().ks("repositoryName", pick(&g.r, []string{"orders-api", "payments-worker", "image-resize"})).
		ks("registryId", g.acct.id).k("imageIds").arr().obj().ks("imageTag", "sha-"+g.r.chars(hexDigits, 7)).end().end().
		k("acceptedMediaTypes").arr().s("application/vnd.docker.distribution.manifest.v2+json").end().end()
}

func fillFunctionName(g *fileGen) {
	g.req.obj().ks("functionName", pick(&g.r, g.reg.functions)).end()
}

func fillUpdateFunctionConfig(g *fileGen) {
	fn := pick(&g.r, g.reg.functions)
	g.req.obj().ks("functionName", fn).ki("timeout", int64(pick(&g.r, []int{30, 60, 120}))).ki("memorySize", int64(pick(&g.r, []int{256, 512, 1024}))).
		k("environment").obj().ks("variables", "***").end().end()
	g.resp.obj().ks("functionName", fn).ks("functionArn", "arn:aws:lambda:"+g.region+":"+g.acct.id+":function:"+fn).
		ks("runtime", "python3.12").ks("state", "Active").ks("lastUpdateStatus", "InProgress").
		ks("revisionId", g.r.uuid()).end()
}
