package gen

const (
	srcSTS     = "sts.amazonaws.com"
	srcIAM     = "iam.amazonaws.com"
	srcSignin  = "signin.amazonaws.com"
	srcOrgs    = "organizations.amazonaws.com"
	srcFront   = "cloudfront.amazonaws.com"
	srcRoute53 = "route53.amazonaws.com"

	browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
)

func identityTemplates() []*tmpl {
	return []*tmpl{
		newTmpl(srcSTS, "AssumeRole", 7, cService).withFill(fillServiceAssumeRole),
		newTmpl(srcSTS, "AssumeRole", 1, cVendor).failing(0.01).withFill(fillVendorAssumeRole),
		newTmpl(srcSTS, "AssumeRoleWithWebIdentity", 1.5, cCI).failing(0.005).withFill(fillWebIdentity),
		newTmpl(srcSTS, "GetCallerIdentity", 1.5, cCI, cCI, cSSO, cVendor, cCIUser),
		// Older SDKs call STS's global endpoint, logged in us-east-1.
		newTmpl(srcSTS, "GetCallerIdentity", 0.3, cCIUser, cVendor).globalSvc(),

		newTmpl(srcIAM, "GetRole", 0.6, cConfig, cSecHub, cCI, cVendor).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("roleName", g.anyRole().name).end()
		}),
		newTmpl(srcIAM, "GetUser", 0.3, cConfig, cSSO, cCI).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("userName", pick(&g.r, g.acct.humans[:3]).user.name).end()
		}),
		newTmpl(srcIAM, "ListRoles", 0.3, cConfig, cVendor, cCI).globalSvc().raw(`{"maxItems":1000}`),
		newTmpl(srcIAM, "ListUsers", 0.2, cConfig, cVendor, cSecHub).globalSvc().raw(`{"maxItems":1000}`),
		newTmpl(srcIAM, "ListPolicies", 0.2, cConfig, cCI).globalSvc().raw(`{"scope":"Local","onlyAttached":false,"maxItems":1000}`),
		newTmpl(srcIAM, "GetPolicy", 0.3, cConfig, cCI).globalSvc().withFill(fillPolicyArn),
		newTmpl(srcIAM, "GetPolicyVersion", 0.3, cConfig, cCI).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("policyArn", "arn:aws:iam::"+g.acct.id+":policy/"+pick(&g.r, g.acct.policies)).
				ks("versionId", "v"+itoa(1+g.r.intn(4))).end()
		}),
		newTmpl(srcIAM, "ListAttachedRolePolicies", 0.4, cConfig, cSecHub, cCI).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("roleName", g.anyRole().name).end()
		}),
		newTmpl(srcIAM, "ListRolePolicies", 0.3, cConfig, cCI).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("roleName", g.anyRole().name).end()
		}),
		newTmpl(srcIAM, "ListAttachedUserPolicies", 0.2, cConfig, cSecHub).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("userName", pick(&g.r, g.acct.humans[:3]).user.name).end()
		}),
		newTmpl(srcIAM, "ListAccessKeys", 0.15, cSecHub, cConfig, cSSO).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("userName", pick(&g.r, g.acct.humans[:3]).user.name).end()
		}),
		newTmpl(srcIAM, "ListMFADevices", 0.1, cSecHub, cConfig).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("userName", pick(&g.r, g.acct.humans[:3]).user.name).end()
		}),
		newTmpl(srcIAM, "GetAccountSummary", 0.1, cSecHub, cVendor).globalSvc(),
		newTmpl(srcIAM, "GenerateCredentialReport", 0.03, cSecHub).globalSvc(),
		newTmpl(srcIAM, "GetCredentialReport", 0.03, cSecHub).globalSvc(),
		newTmpl(srcIAM, "TagRole", 0.03, cCI).globalSvc().writes().withFill(func(g *fileGen) {
			g.req.obj().ks("roleName", pick(&g.r, g.acct.apps).role.name).k("tags").arr().
				obj().ks("key", "ManagedBy").ks("value", "terraform").end().end().end()
		}),

		newTmpl(srcSignin, "ConsoleLogin", 0.12, cUser).globalSvc().writes().ver("1.09").never().withFill(fillConsoleLogin),

		newTmpl(srcOrgs, "DescribeOrganization", 0.05, cVendor, cConfig).globalSvc(),
		newTmpl(srcFront, "ListDistributions", 0.05, cVendor, cConfig).globalSvc().ver("1.08"),
		newTmpl(srcRoute53, "ListHostedZones", 0.1, cVendor, cNode, cConfig).globalSvc(),
		newTmpl(srcRoute53, "ListResourceRecordSets", 0.1, cNode, cVendor).globalSvc().withFill(func(g *fileGen) {
			g.req.obj().ks("hostedZoneId", "Z0"+g.acct.code+"ABCDEF12").end()
		}),
		newTmpl(srcRoute53, "ChangeResourceRecordSets", 0.02, cNode).globalSvc().writes().withFill(func(g *fileGen) {
			g.req.obj().ks("hostedZoneId", "Z0"+g.acct.code+"ABCDEF12").k("changeBatch").obj().k("changes").arr().obj().
				ks("action", "UPSERT").k("resourceRecordSet").obj().ks("name", "orders."+g.acct.alias+".example.com").ks("type", "A").end().
				end().end().end().end()
		}),
	}
}

// anyRole picks one of the account's roles.
func (g *fileGen) anyRole() *principal {
	a := g.acct
	switch g.r.intn(4) {
	case 0:
		return a.github
	case 1:
		return a.node
	}
	return pick(&g.r, a.apps).role
}

func fillPolicyArn(g *fileGen) {
	g.req.obj().ks("policyArn", "arn:aws:iam::"+g.acct.id+":policy/"+pick(&g.r, g.acct.policies)).end()
}

// appendSessionToken appends an STS session token: a fixed prefix and
// random base64, shorter than real ones.
func appendSessionToken(b []byte, r *rng) []byte {
	b = append(b, `"IQoJb3JpZ2luX2VjE`...)
	b = r.appendChars(b, base64Chars, 220)
	return append(b, `="`...)
}

// credentials writes STS's credentials object for a session of dur seconds.
func (g *fileGen) credentials(dur int64) {
	w := &g.resp
	w.k("credentials").obj().k("accessKeyId")
	w.b = append(w.b, `"ASIA`...)
	w.b = append(w.b, g.acct.code...)
	w.b = g.r.appendChars(w.b, base32Chars, 8)
	w.b = append(w.b, '"')
	w.comma = true
	w.k("sessionToken")
	w.b = appendSessionToken(w.b, &g.r)
	w.comma = true
	w.ks("expiration", javaDate(g.e.time+dur, stsDateLayout)).end()
}

func (g *fileGen) assumedRoleUser(role *principal, session string) {
	g.resp.k("assumedRoleUser").obj().ks("assumedRoleId", role.id+":"+session).
		ks("arn", "arn:aws:sts::"+role.account+":assumed-role/"+role.name+"/"+session).end()
}

func (g *fileGen) roleResource(role *principal) {
	g.res.arr().obj().ks("accountId", role.account).ks("type", "AWS::IAM::Role").ks("ARN", role.arn).end().end()
}

func fillServiceAssumeRole(g *fileGen) {
	a := g.acct
	r := &g.r
	var role *principal
	var svc, session string
	switch r.intn(10) {
	case 0, 1, 2:
		ap := a.apps[2+r.intn(3)]
		role, svc, session = ap.role, "lambda.amazonaws.com", a.alias+"-"+ap.name
	case 3, 4, 5:
		role, svc, session = a.apps[r.intn(2)].role, "ecs-tasks.amazonaws.com", r.chars(hexDigits, 32)
	case 6, 7:
		role, svc, session = a.node, "ec2.amazonaws.com", pick(r, g.reg.instances)
	case 8:
		role, svc, session = a.config, "config.amazonaws.com", "AWSConfig-Describe"
	default:
		role, svc, session = a.backup, "backup.amazonaws.com", "AWSBackup-AWSBackupDefaultServiceRole"
	}
	g.serviceCall(svc)
	g.e.shared = true
	g.req.obj().ks("roleArn", role.arn).ks("roleSessionName", session).ki("durationSeconds", 3600).end()
	g.resp.obj()
	g.credentials(3600)
	g.assumedRoleUser(role, session)
	g.resp.end()
	g.roleResource(role)
}

func fillVendorAssumeRole(g *fileGen) {
	e := &g.e
	e.id = identity{kind: idAWSAccount, principalID: g.w.vendorRole, accountID: g.w.vendor}
	e.shared = true
	role := g.acct.vendor
	g.req.obj().ks("roleArn", role.arn).ks("roleSessionName", "VendorIntegration").
		ks("externalId", g.acct.canonical[:32]).ki("durationSeconds", 3600).end()
	g.resp.obj()
	g.credentials(3600)
	g.assumedRoleUser(role, "VendorIntegration")
	g.resp.end()
	g.roleResource(role)
}

func fillWebIdentity(g *fileGen) {
	e := &g.e
	a := g.acct
	r := &g.r
	var role *principal
	var provider, subject, session, audience string
	if r.intn(2) == 0 {
		role, provider, session, audience = a.github, a.oidc, "GitHubActions", "sts.amazonaws.com"
		subject = "repo:acme/" + pick(r, []string{"infrastructure", "orders-api", "payments", "data-platform"}) + ":ref:refs/heads/main"
	} else {
		ap := a.apps[r.intn(2)]
		role = ap.role
		provider = "arn:aws:iam::" + a.id + ":oidc-provider/oidc.eks." + g.region + ".amazonaws.com/id/" + a.canonical[:32]
		subject = "system:serviceaccount:" + ap.name + ":" + ap.name
		session = "botocore-session-" + itoa(int(e.time)-r.intn(3000))
		audience = "sts.amazonaws.com"
		e.setUA(ap.ua)
		e.ip = g.reg.natIP
	}
	e.id = identity{kind: idWebIdentity, principalID: provider + ":" + audience + ":" + subject, userName: subject, idp: provider}
	g.req.obj().ks("roleArn", role.arn).ks("roleSessionName", session).ki("durationSeconds", 3600).end()
	g.resp.obj()
	g.credentials(3600)
	g.resp.ks("subjectFromWebIdentityToken", subject)
	g.assumedRoleUser(role, session)
	g.resp.ks("provider", provider).ks("audience", audience).end()
	g.extra.obj().ks("identityProviderConnectionVerificationMethod", "IAMTrustStore").end()
	g.roleResource(role)
}

func fillConsoleLogin(g *fileGen) {
	e := &g.e
	u := e.id.p
	e.id = identity{kind: idIAMUser, p: u}
	e.eventType = "AwsConsoleSignIn"
	e.reqID = nil
	e.console = false
	e.setUA(browserUA)
	e.hostBuf = append(e.hostBuf[:0], "signin.aws.amazon.com"...)
	e.host = e.hostBuf
	e.tls13 = true
	g.resp.obj().ks("ConsoleLogin", "Success").end()
	g.extra.obj().ks("LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_"+g.r.chars(hexDigits, 16)).
		ks("MobileVersion", "No").ks("MFAIdentifier", u.mfa).ks("MFAUsed", "Yes").end()
}
