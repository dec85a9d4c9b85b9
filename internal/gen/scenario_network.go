package gen

// Network exposure and resource hijacking.

func networkScenarios() []*scenario {
	return []*scenario{
		{name: "sg-open-ssh-world", tactic: "initial-access", headline: true, run: func(a *attack) { sgIngress(a, "tcp", 22) }},
		{name: "web-server-ssh-exposed", tactic: "initial-access", headline: true, run: exposeWebServer},
		{name: "sg-open-rdp-world", tactic: "initial-access", run: func(a *attack) { sgIngress(a, "tcp", 3389) }},
		{name: "sg-open-all-world", tactic: "initial-access", run: func(a *attack) { sgIngress(a, "-1", -1) }},
		{name: "sg-modify-rule-world", tactic: "initial-access", run: sgModifyRule},
		{name: "nacl-allow-all", tactic: "defense-evasion", run: naclAllowAll},
		{name: "vpc-internet-gateway", tactic: "exfiltration", run: vpcInternetGateway},
		{name: "ec2-cryptomining", tactic: "impact", headline: true, run: cryptomining},
	}
}

func sgIngress(a *attack, proto string, port int64) {
	region := a.region()
	reg := a.acct.reg(region)
	sgIngressOn(a, region, pick(&a.r, reg.sgs), proto, port)
}

// exposeWebServer launches an instance into a security group, tagged with
// a Name only, then opens the group to the world on SSH: the resource state
// knows the instance runs in it when the rule is added.
func exposeWebServer(a *attack) {
	r := &a.r
	region := a.region()
	reg := a.acct.reg(region)
	sg := pick(r, reg.sgs)
	ami := ec2ID(r, "ami-")
	name := "web-" + r.chars("abcdefghijklmnopqrstuvwxyz", 4)
	a.call(srcEC2, "RunInstances", region)
	a.req.obj().k("instancesSet").obj().k("items").arr().obj().ks("imageId", ami).ki("minCount", 1).ki("maxCount", 1).end().end().end().
		ks("instanceType", "t3.small").k("groupSet").obj().k("items").arr().obj().ks("groupId", sg).end().end().end().
		k("tagSpecificationSet").obj().k("items").arr().obj().ks("resourceType", "instance").k("tags").arr().
		obj().ks("key", "Name").ks("value", name).end().end().end().end().end().ks("clientToken", r.uuid()).end()
	a.resp.obj().ksb("requestId", a.e.reqID).ks("reservationId", ec2ID(r, "r-")).ks("ownerId", a.acct.id).
		k("groupSet").obj().k("items").arr().obj().ks("groupId", sg).end().end().end().
		k("instancesSet").obj().k("items").arr().obj().ks("instanceId", ec2ID(r, "i-")).ks("imageId", ami).
		k("instanceState").obj().ki("code", 0).ks("name", "pending").end().ks("instanceType", "t3.small").ki("launchTime", a.t*1000).
		k("placement").obj().ks("availabilityZone", region+"a").ks("tenancy", "default").end().
		k("groupSet").obj().k("items").arr().obj().ks("groupId", sg).end().end().end().
		k("tagSet").obj().k("items").arr().obj().ks("key", "Name").ks("value", name).end().end().end().
		end().end().end().end()
	a.send()
	a.wait(300, 1800)
	sgIngressOn(a, region, sg, "tcp", 22)
}

func sgIngressOn(a *attack, region, sg, proto string, port int64) {
	a.call(srcEC2, "DescribeSecurityGroups", region).read()
	a.req.obj().kraw("securityGroupSet", "{}").k("securityGroupIdSet").items("groupId", sg).kraw("filterSet", "{}").end()
	a.send()
	a.call(srcEC2, "AuthorizeSecurityGroupIngress", region)
	w := &a.req
	w.obj().ks("groupId", sg).k("ipPermissions").obj().k("items").arr().obj().ks("ipProtocol", proto)
	if port >= 0 {
		w.ki("fromPort", port).ki("toPort", port)
	}
	w.kraw("groups", "{}").k("ipRanges").obj().k("items").arr().obj().ks("cidrIp", "0.0.0.0/0").end().end().end().
		kraw("ipv6Ranges", "{}").kraw("prefixListIds", "{}").end().end().end().end()
	from, to := port, port
	if port < 0 {
		from, to = -1, -1
	}
	a.resp.obj().ksb("requestId", a.e.reqID).kb("_return", true).k("securityGroupRuleSet").obj().k("items").arr().obj().
		ks("groupOwnerId", a.acct.id).ks("groupId", sg).ks("securityGroupRuleId", ec2ID(&a.r, "sgr-")).kb("isEgress", false).
		ks("ipProtocol", proto).ki("fromPort", from).ki("toPort", to).ks("cidrIpv4", "0.0.0.0/0").end().end().end().end()
	a.send()
}

func sgModifyRule(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	sg := pick(&a.r, reg.sgs)
	rule := ec2ID(&a.r, "sgr-")
	a.call(srcEC2, "DescribeSecurityGroupRules", region).read()
	a.req.obj().k("DescribeSecurityGroupRulesRequest").obj().k("Filter").obj().k("Value").obj().ki("tag", 1).ks("content", sg).end().
		ki("tag", 1).ks("Name", "group-id").end().end().end()
	a.send()
	port := pick(&a.r, []int64{22, 3389, 5432, 6379})
	a.call(srcEC2, "ModifySecurityGroupRules", region)
	a.req.obj().k("ModifySecurityGroupRulesRequest").obj().ks("GroupId", sg).k("SecurityGroupRule").obj().ki("tag", 1).
		k("SecurityGroupRule").obj().ks("Description", "").ki("FromPort", port).ks("CidrIpv4", "0.0.0.0/0").ks("IpProtocol", "tcp").ki("ToPort", port).end().
		ks("SecurityGroupRuleId", rule).end().end().end()
	a.resp.obj().k("ModifySecurityGroupRulesResponse").obj().ks("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/").
		ksb("requestId", a.e.reqID).kb("return", true).end().end()
	a.send()
}

func naclAllowAll(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	acl := pick(&a.r, reg.nacls)
	a.call(srcEC2, "DescribeNetworkAcls", region).read().q(`{"networkAclIdSet":{},"filterSet":{}}`).send()
	for _, egress := range []bool{false, true} {
		a.call(srcEC2, "CreateNetworkAclEntry", region)
		a.req.obj().ks("networkAclId", acl).ki("ruleNumber", 1).kb("egress", egress).ks("ruleAction", "allow").
			kraw("icmpTypeCode", "{}").kraw("portRange", "{}").ks("aclProtocol", "-1").ks("cidrBlock", "0.0.0.0/0").end()
		a.ec2Return()
		a.send()
	}
}

func vpcInternetGateway(a *attack) {
	region := a.region()
	r := &a.r
	vpc, igw, rtb := ec2ID(r, "vpc-"), ec2ID(r, "igw-"), ec2ID(r, "rtb-")
	a.call(srcEC2, "CreateVpc", region).q(`{"cidrBlock":"172.31.0.0/16","instanceTenancy":"default","amazonProvidedIpv6CidrBlock":false}`)
	a.resp.obj().ksb("requestId", a.e.reqID).k("vpc").obj().ks("vpcId", vpc).ks("state", "pending").ks("ownerId", a.acct.id).
		ks("cidrBlock", "172.31.0.0/16").k("cidrBlockAssociationSet").obj().k("items").arr().obj().ks("cidrBlock", "172.31.0.0/16").
		ks("associationId", ec2ID(r, "vpc-cidr-assoc-")).k("cidrBlockState").obj().ks("state", "associated").end().end().end().end().
		kraw("ipv6CidrBlockAssociationSet", "{}").ks("dhcpOptionsId", ec2ID(r, "dopt-")).ks("instanceTenancy", "default").kb("isDefault", false).end().end()
	a.send()
	a.call(srcEC2, "CreateInternetGateway", region).q(`{}`)
	a.resp.obj().ksb("requestId", a.e.reqID).k("internetGateway").obj().ks("internetGatewayId", igw).ks("ownerId", a.acct.id).
		kraw("attachmentSet", "{}").kraw("tagSet", "{}").end().end()
	a.send()
	a.call(srcEC2, "AttachInternetGateway", region)
	a.req.obj().ks("internetGatewayId", igw).ks("vpcId", vpc).end()
	a.ec2Return().send()
	a.call(srcEC2, "CreateRouteTable", region)
	a.req.obj().ks("vpcId", vpc).end()
	a.resp.obj().ksb("requestId", a.e.reqID).k("routeTable").obj().ks("routeTableId", rtb).ks("vpcId", vpc).ks("ownerId", a.acct.id).end().end()
	a.send()
	a.call(srcEC2, "CreateRoute", region)
	a.req.obj().ks("routeTableId", rtb).ks("destinationCidrBlock", "0.0.0.0/0").ks("gatewayId", igw).end()
	a.ec2Return().send()
}

// cryptomining starts big GPU instances, untagged, in a region the
// organisation does not use.
func cryptomining(a *attack) {
	r := &a.r
	region := "ap-southeast-1"
	if len(a.w.offRegions) > 0 {
		region = a.w.offRegions[r.intn(min(3, len(a.w.offRegions)))]
	}
	a.call(srcEC2, "DescribeRegions", a.home).read().q(`{"regionSet":{}}`).send()
	key := "k" + r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 7)
	a.call(srcEC2, "ImportKeyPair", region)
	a.req.obj().ks("keyName", key).ks("publicKeyMaterial", "<sensitiveDataRemoved>").end()
	a.resp.obj().ksb("requestId", a.e.reqID).ks("keyName", key).ks("keyFingerprint", r.chars(hexDigits, 32)).ks("keyPairId", ec2ID(r, "key-")).end()
	a.send()
	n := 1 + r.intn(3)
	for range n {
		runInstances(a, region, "p4d.24xlarge", key, "", int64(1+r.intn(4)))
	}
}

// runInstances writes an untagged RunInstances call and its response.
func runInstances(a *attack, region, itype, key, profileArn string, count int64) {
	r := &a.r
	ami := ec2ID(r, "ami-")
	a.call(srcEC2, "RunInstances", region)
	w := &a.req
	w.obj().k("instancesSet").obj().k("items").arr().obj().ks("imageId", ami).ki("minCount", count).ki("maxCount", count)
	if key != "" {
		w.ks("keyName", key)
	}
	w.end().end().end().ks("instanceType", itype).kraw("blockDeviceMapping", "{}").k("monitoring").obj().kb("enabled", false).end().
		kb("disableApiTermination", false).kb("disableApiStop", false).ks("clientToken", r.uuid())
	if profileArn != "" {
		w.k("iamInstanceProfile").obj().ks("arn", profileArn).end()
	}
	w.end()
	resv := ec2ID(r, "r-")
	o := &a.resp
	o.obj().ksb("requestId", a.e.reqID).ks("reservationId", resv).ks("ownerId", a.acct.id).kraw("groupSet", "{}").
		k("instancesSet").obj().k("items").arr()
	for i := range count {
		o.obj().ks("instanceId", ec2ID(r, "i-")).ks("imageId", ami).k("instanceState").obj().ki("code", 0).ks("name", "pending").end().
			ks("privateDnsName", "ip-172-31-"+itoa(r.intn(256))+"-"+itoa(r.intn(256))+"."+region+".compute.internal").
			ki("amiLaunchIndex", i).kraw("productCodes", "{}").ks("instanceType", itype).ki("launchTime", a.t*1000).
			k("placement").obj().ks("availabilityZone", region+"a").ks("tenancy", "default").end().
			k("monitoring").obj().ks("state", "disabled").end().ks("architecture", "x86_64").ks("rootDeviceType", "ebs").
			ks("virtualizationType", "hvm").ks("hypervisor", "xen").kb("ebsOptimized", true).kb("enaSupport", true)
		if profileArn != "" {
			o.k("iamInstanceProfile").obj().ks("arn", profileArn).ks("id", "AIPA"+a.acct.code+r.chars(base32Chars, 9)).end()
		}
		o.end()
	}
	o.end().end().end()
	a.send()
}
