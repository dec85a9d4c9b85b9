package gen

// Initial access, credential access, discovery and impact.

func accessScenarios() []*scenario {
	return []*scenario{
		{name: "ec2-get-password-data", tactic: "credential-access", run: getPasswordData},
		{name: "secrets-bulk-read", tactic: "credential-access", headline: true, run: secretsBulkRead},
		{name: "ssm-bulk-decrypt", tactic: "credential-access", run: ssmBulkDecrypt},
		{name: "ec2-modify-user-data", tactic: "execution", run: modifyUserData},
		{name: "console-login-no-mfa", tactic: "initial-access", headline: true, as: asConsole, run: consoleNoMFA},
		{name: "console-login-failures", tactic: "credential-access", as: asConsole, run: consoleFailures},
		{name: "root-console-login", tactic: "privilege-escalation", headline: true, as: asConsole, run: rootConsoleLogin},
		{name: "root-api-calls", tactic: "privilege-escalation", as: asRoot, run: rootAPICalls},
		{name: "access-denied-burst", tactic: "discovery", headline: true, run: accessDeniedBurst},
		{name: "org-leave-organization", tactic: "defense-evasion", run: leaveOrganization},
		{name: "s3-mass-delete", tactic: "impact", run: massDeleteBuckets},
		{name: "discovery-burst", tactic: "discovery", as: asNew, run: discoveryBurst},
	}
}

func getPasswordData(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	a.call(srcEC2, "DescribeInstances", region).read().q(`{"instancesSet":{},"filterSet":{}}`).send()
	n := min(len(reg.instances), 6+a.r.intn(10))
	for i := range n {
		a.call(srcEC2, "GetPasswordData", region).read()
		a.req.obj().ks("instanceId", reg.instances[i]).end()
		if a.r.intn(4) == 0 {
			a.deny()
		}
		a.send()
	}
}

func secretsBulkRead(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	a.call(srcSecrets, "ListSecrets", region).read().q(`{"maxResults":100}`).send()
	for _, s := range reg.secrets {
		a.call(srcSecrets, "GetSecretValue", region).read()
		a.req.obj().ks("secretId", s).end()
		a.send()
	}
}

func ssmBulkDecrypt(a *attack) {
	region := a.region()
	reg := a.acct.reg(region)
	a.call(srcSSM, "DescribeParameters", region).read().q(`{"maxResults":50}`).send()
	for i := 0; i < len(reg.params); i += 5 {
		names := reg.params[i:min(i+5, len(reg.params))]
		a.call(srcSSM, "GetParameters", region).read()
		a.req.obj().k("names").arr()
		a.res.arr()
		for _, p := range names {
			a.req.s(p)
			a.res.obj().ks("accountId", a.acct.id).ks("ARN", "arn:aws:ssm:"+region+":"+a.acct.id+":parameter"+p).end()
		}
		a.req.end().kb("withDecryption", true).end()
		a.res.end()
		a.send()
	}
	a.call(srcSSM, "GetParametersByPath", region).read().q(`{"path":"/","recursive":true,"withDecryption":true}`).send()
}

func modifyUserData(a *attack) {
	region := a.region()
	inst := pick(&a.r, a.acct.reg(region).instances)
	change := func(name string, from, to int64, fromName, toName string) {
		a.call(srcEC2, name, region)
		a.req.obj().k("instancesSet").items("instanceId", inst).kb("force", false).end()
		a.resp.obj().ksb("requestId", a.e.reqID).k("instancesSet").obj().k("items").arr().obj().ks("instanceId", inst).
			k("currentState").obj().ki("code", to).ks("name", toName).end().
			k("previousState").obj().ki("code", from).ks("name", fromName).end().end().end().end().end()
		a.send()
	}
	change("StopInstances", 16, 64, "running", "stopping")
	a.wait(30, 120)
	a.call(srcEC2, "ModifyInstanceAttribute", region)
	a.req.obj().ks("instanceId", inst).ks("userData", "<sensitiveDataRemoved>").end()
	a.ec2Return().send()
	change("StartInstances", 80, 0, "stopped", "pending")
}

const loginTo = "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_"

// consoleLogin writes a ConsoleLogin record for the current persona.
func (a *attack) consoleLogin(ok bool, mfa bool) {
	a.call(srcSignin, "ConsoleLogin", "")
	e := &a.e
	e.version, e.eventType, e.reqID = "1.09", "AwsConsoleSignIn", nil
	e.hostBuf = append(e.hostBuf[:0], "signin.aws.amazon.com"...)
	e.host, e.tls13 = e.hostBuf, true
	e.setUA(browserUA)
	e.id.akid = nil
	if a.who.kind == idRoot || !ok {
		e.id.akid = []byte{} // written as "accessKeyId": ""
	}
	e.id.created = 0
	w := a.extra.obj().ks("LoginTo", loginTo+a.r.chars(hexDigits, 16)).ks("MobileVersion", "No")
	if mfa {
		w.ks("MFAIdentifier", a.who.p.mfa).ks("MFAUsed", "Yes")
	} else {
		w.ks("MFAUsed", "No")
	}
	w.end()
	if ok {
		a.resp.obj().ks("ConsoleLogin", "Success").end()
	} else {
		a.resp.obj().ks("ConsoleLogin", "Failure").end()
		e.msgBuf = append(e.msgBuf[:0], "Failed authentication"...)
		e.errMsg = e.msgBuf
	}
	a.send()
}

// consoleSession makes the persona's following calls come from a console
// session that started now.
func (a *attack) consoleSession() {
	a.who.akid = "ASIA" + a.acct.code + a.r.chars(base32Chars, 8)
	a.who.created = a.t
	a.who.ua, a.who.cli = "AWS Internal", false
}

func (a *attack) consoleCall(src, name, region, req string) {
	a.call(src, name, region).read().q(req)
	a.e.console = true
	if a.who.kind == idIAMUser {
		a.e.id.created = a.who.created
	}
	a.send()
}

func consoleNoMFA(a *attack) {
	u := pick(&a.r, a.acct.humans[:3]).user
	a.who.kind, a.who.p = idIAMUser, u
	a.consoleLogin(true, false)
	a.consoleSession()
	a.wait(5, 40)
	a.consoleCall(srcEC2, "DescribeInstances", a.home, `{"instancesSet":{},"filterSet":{}}`)
	a.consoleCall(srcIAM, "ListUsers", "", `{"maxItems":100}`)
	a.consoleCall(srcSecrets, "ListSecrets", a.home, `{"maxResults":100}`)
}

func consoleFailures(a *attack) {
	n := 5 + a.r.intn(15)
	for range n {
		if a.r.intn(4) == 0 {
			a.who.kind, a.who.p = idIAMUser, &principal{name: "HIDDEN_DUE_TO_SECURITY_REASONS", account: a.acct.id}
		} else {
			a.who.kind, a.who.p = idIAMUser, a.acct.humans[a.r.intn(3)].user
		}
		a.consoleLogin(false, false)
		a.wait(0, 20)
	}
}

func rootConsoleLogin(a *attack) {
	a.who.kind = idRoot
	a.consoleLogin(true, false)
	a.consoleSession()
	a.wait(5, 60)
	a.consoleCall(srcIAM, "GetAccountSummary", "", "null")
	a.consoleCall(srcIAM, "ListUsers", "", `{"maxItems":100}`)
	a.consoleCall(srcIAM, "ListAccessKeys", "", "null")
}

func rootAPICalls(a *attack) {
	a.call(srcSTS, "GetCallerIdentity", a.home).read().send()
	a.call(srcS3, "ListBuckets", "us-east-1").read().q(`{"Host":"s3.amazonaws.com"}`).s3Extra(0, int64(3000+a.r.intn(4000))).send()
	a.call(srcEC2, "DescribeInstances", a.region()).read().q(`{"instancesSet":{},"filterSet":{}}`).send()
	a.call(srcIAM, "ListUsers", "").read().q(`{"maxItems":100}`).send()
}

func accessDeniedBurst(a *attack) {
	calls := []struct{ src, name, req string }{
		{srcIAM, "ListUsers", `{"maxItems":100}`},
		{srcIAM, "ListRoles", `{"maxItems":100}`},
		{srcIAM, "GetAccountAuthorizationDetails", "null"},
		{srcIAM, "ListPolicies", `{"scope":"Local"}`},
		{srcEC2, "DescribeInstances", `{"instancesSet":{},"filterSet":{}}`},
		{srcEC2, "DescribeSnapshots", `{"snapshotSet":{},"ownersSet":{"items":[{"owner":"self"}]},"sharedUsersSet":{},"filterSet":{}}`},
		{srcEC2, "DescribeVolumes", `{"volumeSet":{},"filterSet":{}}`},
		{srcSecrets, "ListSecrets", `{"maxResults":100}`},
		{srcRDS, "DescribeDBInstances", "null"},
		{srcLambda, "ListFunctions20150331", "null"},
		{srcTrail, "DescribeTrails", `{"trailNameList":[],"includeShadowTrails":true}`},
		{srcGuard, "ListDetectors", "null"},
		{srcKMS, "ListKeys", `{"limit":1000}`},
		{srcDDB, "ListTables", "null"},
	}
	a.call(srcSTS, "GetCallerIdentity", a.home).read().send()
	n := 12 + a.r.intn(18)
	for range n {
		c := pick(&a.r, calls)
		a.call(c.src, c.name, a.region()).read().q(c.req).deny().send()
	}
}

func leaveOrganization(a *attack) {
	a.call(srcOrgs, "DescribeOrganization", "").read().send()
	a.call(srcOrgs, "LeaveOrganization", "").send()
}

func massDeleteBuckets(a *attack) {
	a.call(srcS3, "ListBuckets", "us-east-1").read().q(`{"Host":"s3.amazonaws.com"}`).s3Extra(0, int64(3000+a.r.intn(4000))).send()
	for _, region := range a.w.regions {
		reg := a.acct.reg(region)
		for _, b := range reg.buckets {
			if a.r.intn(3) == 0 {
				continue
			}
			a.s3Call("DeleteBucket", b, region).s3Extra(0, 0)
			a.req.obj().ks("bucketName", b).ksb("Host", a.e.host).end()
			if a.r.intn(4) == 0 {
				a.fail("BucketNotEmpty", "The bucket you tried to delete is not empty")
			}
			a.send()
		}
	}
}

func discoveryBurst(a *attack) {
	a.call(srcSTS, "GetCallerIdentity", a.home).read().send()
	a.call(srcIAM, "GetAccountAuthorizationDetails", "").read().q(`{"filter":["User","Role","Group","LocalManagedPolicy"]}`).send()
	a.call(srcIAM, "ListUsers", "").read().q(`{"maxItems":1000}`).send()
	a.call(srcIAM, "ListRoles", "").read().q(`{"maxItems":1000}`).send()
	a.call(srcIAM, "ListGroups", "").read().q(`{"maxItems":1000}`).send()
	a.call(srcS3, "ListBuckets", "us-east-1").read().q(`{"Host":"s3.amazonaws.com"}`).s3Extra(0, int64(3000+a.r.intn(4000))).send()
	for _, region := range a.w.regions {
		a.call(srcEC2, "DescribeInstances", region).read().q(`{"instancesSet":{},"filterSet":{}}`).send()
		a.call(srcEC2, "DescribeSecurityGroups", region).read().q(`{"securityGroupSet":{},"securityGroupIdSet":{},"filterSet":{}}`).send()
	}
	a.call(srcSecrets, "ListSecrets", a.home).read().q(`{"maxResults":100}`).send()
	a.call(srcRDS, "DescribeDBInstances", a.home).read().send()
	a.call(srcLambda, "ListFunctions20150331", a.home).read().send()
}
