package gen

// Persistence and privilege escalation through IAM.

func iamScenarios() []*scenario {
	return []*scenario{
		{name: "iam-access-key-other-user", tactic: "persistence", headline: true, run: accessKeyOtherUser},
		{name: "iam-login-profile-create", tactic: "persistence", run: createLoginProfile},
		{name: "iam-login-profile-update", tactic: "persistence", run: updateLoginProfile},
		{name: "iam-trust-external-account", tactic: "persistence", run: trustExternal},
		{name: "iam-create-user-off-hours", tactic: "persistence", offHours: true, run: createUserOffHours},
		{name: "iam-attach-admin-user", tactic: "privilege-escalation", headline: true, run: attachAdminUser},
		{name: "iam-attach-admin-role", tactic: "privilege-escalation", run: attachAdminRole},
		{name: "iam-attach-admin-group", tactic: "privilege-escalation", run: attachAdminGroup},
		{name: "iam-policy-version-admin", tactic: "privilege-escalation", run: policyVersionAdmin},
		{name: "iam-inline-admin-user", tactic: "privilege-escalation", run: inlineAdminUser},
		{name: "iam-inline-admin-role", tactic: "privilege-escalation", run: inlineAdminRole},
		{name: "iam-instance-profile-admin", tactic: "privilege-escalation", run: instanceProfileAdmin},
		{name: "iam-passrole-lambda", tactic: "privilege-escalation", run: passRoleLambda},
		{name: "iam-passrole-ec2", tactic: "privilege-escalation", run: passRoleEC2},
	}
}

func (a *attack) iamDate() string { return javaDate(a.t, iamDateLayout) }

// selfOrTarget is the IAM user an attacker grants rights to: itself when
// it is a user, else a user it can use.
func (a *attack) selfOrTarget() string {
	if a.who.kind == idIAMUser {
		return a.who.p.name
	}
	return pick(&a.r, a.acct.dormant).name
}

func (a *attack) createAccessKey(user string) {
	a.call(srcIAM, "CreateAccessKey", "")
	a.req.obj().ks("userName", user).end()
	a.resp.obj().k("accessKey").obj().ks("accessKeyId", "AKIA"+a.acct.code+a.r.chars(base32Chars, 8)).
		ks("status", "Active").ks("userName", user).ks("createDate", a.iamDate()).end().end()
	a.send()
}

func accessKeyOtherUser(a *attack) {
	a.call(srcIAM, "ListUsers", "").read().q(`{"maxItems":100}`).send()
	t := a.target().name
	a.call(srcIAM, "ListAccessKeys", "").read()
	a.req.obj().ks("userName", t).end()
	a.send()
	a.createAccessKey(t)
}

func createLoginProfile(a *attack) {
	u := pick(&a.r, a.acct.dormant)
	for u == a.who.p {
		u = pick(&a.r, a.acct.dormant)
	}
	t := u.name
	a.call(srcIAM, "GetLoginProfile", "").read()
	a.req.obj().ks("userName", t).end()
	a.fail("NoSuchEntityException", "Login Profile for User "+t+" cannot be found.").send()
	a.call(srcIAM, "CreateLoginProfile", "")
	a.req.obj().kb("passwordResetRequired", false).ks("userName", t).end()
	a.resp.obj().k("loginProfile").obj().kb("passwordResetRequired", false).ks("userName", t).ks("createDate", a.iamDate()).end().end()
	a.send()
}

func updateLoginProfile(a *attack) {
	t := a.target().name
	a.call(srcIAM, "UpdateLoginProfile", "")
	a.req.obj().ks("userName", t).kb("passwordResetRequired", false).end()
	a.send()
}

func trustExternal(a *attack) {
	role := a.acct.admin
	a.call(srcIAM, "GetRole", "").read()
	a.req.obj().ks("roleName", role.name).end()
	a.send()
	a.call(srcIAM, "UpdateAssumeRolePolicy", "")
	a.req.obj().ks("policyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+
		a.external()+`:root"},"Action":"sts:AssumeRole"}]}`).ks("roleName", role.name).end()
	a.send()
}

func createUserOffHours(a *attack) {
	name := pick(&a.r, []string{"support-admin", "aws-backup-svc", "devops2", "sysadmin-temp", "cloudwatch-agent"})
	a.call(srcIAM, "CreateUser", "")
	a.req.obj().ks("path", "/").ks("userName", name).end()
	a.resp.obj().k("user").obj().ks("path", "/").ks("userName", name).ks("userId", "AIDA"+a.acct.code+a.r.chars(base32Chars, 9)).
		ks("arn", "arn:aws:iam::"+a.acct.id+":user/"+name).ks("createDate", a.iamDate()).end().end()
	a.send()
	a.createAccessKey(name)
	a.call(srcIAM, "AddUserToGroup", "")
	a.req.obj().ks("groupName", "admins").ks("userName", name).end()
	a.send()
}

func attachAdminUser(a *attack) {
	u := a.selfOrTarget()
	a.call(srcIAM, "ListAttachedUserPolicies", "").read()
	a.req.obj().ks("userName", u).end()
	a.send()
	a.call(srcIAM, "AttachUserPolicy", "")
	a.req.obj().ks("userName", u).ks("policyArn", adminPolicyArn).end()
	a.send()
}

func attachAdminRole(a *attack) {
	role := pick(&a.r, a.acct.apps).role.name
	a.call(srcIAM, "AttachRolePolicy", "")
	a.req.obj().ks("roleName", role).ks("policyArn", adminPolicyArn).end()
	a.send()
}

func attachAdminGroup(a *attack) {
	a.call(srcIAM, "ListGroups", "").read().q(`{"maxItems":100}`).send()
	a.call(srcIAM, "AttachGroupPolicy", "")
	a.req.obj().ks("groupName", a.acct.groups[0]).ks("policyArn", adminPolicyArn).end()
	a.send()
}

func policyVersionAdmin(a *attack) {
	arn := "arn:aws:iam::" + a.acct.id + ":policy/" + pick(&a.r, a.acct.policies)
	a.call(srcIAM, "ListPolicyVersions", "").read()
	a.req.obj().ks("policyArn", arn).end()
	a.send()
	a.call(srcIAM, "CreatePolicyVersion", "")
	a.req.obj().ks("policyArn", arn).ks("policyDocument", adminPolicy).kb("setAsDefault", true).end()
	a.resp.obj().k("policyVersion").obj().ks("versionId", "v"+itoa(2+a.r.intn(4))).kb("isDefaultVersion", true).
		ks("createDate", a.iamDate()).end().end()
	a.send()
}

func inlineAdminUser(a *attack) {
	a.call(srcIAM, "PutUserPolicy", "")
	a.req.obj().ks("userName", a.selfOrTarget()).ks("policyName", pick(&a.r, []string{"backup-access", "s3-sync", "support"})).
		ks("policyDocument", adminPolicy).end()
	a.send()
}

func inlineAdminRole(a *attack) {
	a.call(srcIAM, "PutRolePolicy", "")
	a.req.obj().ks("roleName", pick(&a.r, a.acct.apps).role.name).ks("policyName", pick(&a.r, []string{"debug", "temp-access", "ops"})).
		ks("policyDocument", adminPolicy).end()
	a.send()
}

func instanceProfileAdmin(a *attack) {
	name := "ec2-" + a.r.chars("abcdefghijklmnopqrstuvwxyz", 6)
	a.call(srcIAM, "CreateInstanceProfile", "")
	a.req.obj().ks("instanceProfileName", name).end()
	a.resp.obj().k("instanceProfile").obj().ks("path", "/").ks("instanceProfileName", name).
		ks("instanceProfileId", "AIPA"+a.acct.code+a.r.chars(base32Chars, 9)).
		ks("arn", "arn:aws:iam::"+a.acct.id+":instance-profile/"+name).ks("createDate", a.iamDate()).k("roles").arr().end().end().end()
	a.send()
	a.call(srcIAM, "AddRoleToInstanceProfile", "")
	a.req.obj().ks("instanceProfileName", name).ks("roleName", a.acct.admin.name).end()
	a.send()
}

func passRoleLambda(a *attack) {
	region := a.region()
	a.call(srcIAM, "ListRoles", "").read().q(`{"maxItems":1000}`).send()
	fn := pick(&a.r, []string{"update-checker", "log-shipper", "cleanup-task"})
	arn := "arn:aws:lambda:" + region + ":" + a.acct.id + ":function:" + fn
	a.call(srcLambda, "CreateFunction20150331", region)
	a.req.obj().ks("functionName", fn).ks("runtime", "python3.12").ks("role", a.acct.admin.arn).ks("handler", "index.handler").
		k("code").obj().end().ki("timeout", 300).ki("memorySize", 128).kb("publish", true).ks("packageType", "Zip").end()
	a.resp.obj().ks("functionName", fn).ks("functionArn", arn).ks("runtime", "python3.12").ks("role", a.acct.admin.arn).
		ks("handler", "index.handler").ki("codeSize", int64(300+a.r.intn(2000))).ki("timeout", 300).ki("memorySize", 128).
		ks("version", "1").ks("state", "Pending").ks("stateReasonCode", "Creating").ks("packageType", "Zip").end()
	a.send()
	a.call(srcLambda, "Invoke", region)
	a.e.data, a.e.readOnly, a.e.version = true, false, "1.08"
	a.req.obj().ks("functionName", arn).end()
	a.extra.obj().ks("functionVersion", arn+":$LATEST").end()
	a.res.arr().obj().ks("accountId", a.acct.id).ks("type", "AWS::Lambda::Function").ks("ARN", arn).end().end()
	a.send()
}

func passRoleEC2(a *attack) {
	a.call(srcIAM, "ListInstanceProfiles", "").read().q(`{"maxItems":1000}`).send()
	profile := "arn:aws:iam::" + a.acct.id + ":instance-profile/" + a.acct.admin.name
	runInstances(a, a.region(), "t3.micro", "", profile, 1)
}
