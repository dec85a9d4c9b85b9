package gen

// Exposing data and resources: public or cross-account sharing, and
// destroying keys.

func exposureScenarios() []*scenario {
	return []*scenario{
		{name: "s3-acl-public", tactic: "exfiltration", run: s3ACLPublic},
		{name: "s3-policy-public", tactic: "exfiltration", headline: true, run: s3PolicyPublic},
		{name: "s3-delete-public-access-block", tactic: "defense-evasion", run: s3DeletePAB},
		{name: "s3-public-access-block-off", tactic: "defense-evasion", run: s3PABOff},
		{name: "s3-replication-external", tactic: "exfiltration", run: s3ReplicationExternal},
		{name: "lambda-permission-public", tactic: "persistence", run: func(a *attack) { lambdaPermission(a, "*") }},
		{name: "lambda-permission-external", tactic: "persistence", run: func(a *attack) { lambdaPermission(a, a.external()) }},
		{name: "ebs-snapshot-public", tactic: "exfiltration", headline: true, run: func(a *attack) { shareSnapshot(a, true) }},
		{name: "ebs-snapshot-external", tactic: "exfiltration", run: func(a *attack) { shareSnapshot(a, false) }},
		{name: "ami-share-external", tactic: "exfiltration", run: shareAMI},
		{name: "rds-snapshot-public", tactic: "exfiltration", run: func(a *attack) { shareDBSnapshot(a, "all") }},
		{name: "rds-snapshot-external", tactic: "exfiltration", run: func(a *attack) { shareDBSnapshot(a, a.external()) }},
		{name: "kms-schedule-key-deletion", tactic: "impact", run: kmsScheduleDeletion},
		{name: "kms-disable-key", tactic: "impact", run: kmsDisableKey},
		{name: "kms-key-policy-external", tactic: "persistence", run: kmsKeyPolicy},
	}
}

// s3Call starts an S3 call on bucket b in region.
func (a *attack) s3Call(name, b, region string) *attack {
	a.call(srcS3, name, region)
	e := &a.e
	e.hostBuf = append(append(append(append(e.hostBuf[:0], b...), ".s3."...), region...), ".amazonaws.com"...)
	e.host = e.hostBuf
	a.res.arr().obj().ks("accountId", a.acct.id).ks("type", "AWS::S3::Bucket").ks("ARN", "arn:aws:s3:::"+b).end().end()
	return a
}

// s3Extra writes S3's additionalEventData.
func (a *attack) s3Extra(in, out int64) *attack {
	a.extra.obj().ks("SignatureVersion", "SigV4").ks("CipherSuite", "ECDHE-RSA-AES128-GCM-SHA256").ki("bytesTransferredIn", in).
		ks("AuthenticationMethod", "AuthHeader").ks("x-amz-id-2", a.r.chars(base64Chars, 56)).ki("bytesTransferredOut", out).end()
	return a
}

func (a *attack) bucket() (string, string) {
	region := a.region()
	return pick(&a.r, a.acct.reg(region).buckets), region
}

func s3ACLPublic(a *attack) {
	b, region := a.bucket()
	a.s3Call("GetBucketAcl", b, region).read().s3Extra(0, 620)
	a.req.obj().ks("bucketName", b).ksb("Host", a.e.host).ks("acl", "").end()
	a.send()
	a.s3Call("PutBucketAcl", b, region).s3Extra(580, 0)
	grantee := func(w *jw) *jw {
		return w.k("Grantee").obj().ks("xsi:type", "CanonicalUser").ks("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance").ks("ID", a.acct.canonical).end()
	}
	w := &a.req
	w.obj().ks("bucketName", b).ksb("Host", a.e.host).ks("acl", "").k("AccessControlPolicy").obj().
		k("AccessControlList").obj().k("Grant").arr().obj()
	grantee(w).ks("Permission", "FULL_CONTROL").end().
		obj().k("Grantee").obj().ks("xsi:type", "Group").ks("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance").
		ks("URI", "http://acs.amazonaws.com/groups/global/AllUsers").end().ks("Permission", "READ").end().
		end().end().ks("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/").k("Owner").obj().ks("ID", a.acct.canonical).end().end().end()
	a.send()
}

func s3PolicyPublic(a *attack) {
	b, region := a.bucket()
	a.s3Call("GetBucketPolicy", b, region).read().s3Extra(0, 0)
	a.req.obj().ks("bucketName", b).ksb("Host", a.e.host).ks("policy", "").end()
	a.fail("NoSuchBucketPolicy", "The bucket policy does not exist").send()
	a.s3Call("PutBucketPolicy", b, region).s3Extra(int64(200+a.r.intn(100)), 0)
	a.req.obj().k("bucketPolicy").obj().ks("Version", "2012-10-17").k("Statement").arr().obj().
		ks("Sid", "PublicRead").ks("Effect", "Allow").ks("Principal", "*").k("Action").arr().s("s3:GetObject").s("s3:ListBucket").end().
		k("Resource").arr().s("arn:aws:s3:::"+b).s("arn:aws:s3:::"+b+"/*").end().end().end().end().
		ks("bucketName", b).ksb("Host", a.e.host).ks("policy", "").end()
	a.send()
}

func s3DeletePAB(a *attack) {
	b, region := a.bucket()
	a.s3Call("DeletePublicAccessBlock", b, region).s3Extra(0, 0)
	a.req.obj().ks("publicAccessBlock", "").ks("bucketName", b).ksb("Host", a.e.host).end()
	a.send()
}

func s3PABOff(a *attack) {
	b, region := a.bucket()
	a.s3Call("GetBucketPublicAccessBlock", b, region).read().s3Extra(0, 340)
	a.req.obj().ks("publicAccessBlock", "").ks("bucketName", b).ksb("Host", a.e.host).end()
	a.send()
	a.s3Call("PutPublicAccessBlock", b, region).s3Extra(260, 0)
	a.req.obj().ks("publicAccessBlock", "").ks("bucketName", b).ksb("Host", a.e.host).
		k("PublicAccessBlockConfiguration").obj().ks("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/").
		kb("RestrictPublicBuckets", false).kb("BlockPublicPolicy", false).kb("BlockPublicAcls", false).kb("IgnorePublicAcls", false).end().end()
	a.send()
}

func s3ReplicationExternal(a *attack) {
	b, region := a.bucket()
	ext := a.external()
	dest := "backup-" + a.r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 12)
	a.s3Call("PutBucketVersioning", b, region).s3Extra(120, 0)
	a.req.obj().ks("bucketName", b).ksb("Host", a.e.host).ks("versioning", "").
		k("VersioningConfiguration").obj().ks("Status", "Enabled").ks("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/").end().end()
	a.send()
	a.s3Call("PutBucketReplication", b, region).s3Extra(int64(400+a.r.intn(100)), 0)
	a.req.obj().ks("replication", "").ks("bucketName", b).ksb("Host", a.e.host).k("ReplicationConfiguration").obj().
		ks("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/").ks("Role", a.acct.admin.arn).k("Rule").obj().
		ks("ID", "backup").ki("Priority", 1).k("Filter").obj().ks("Prefix", "").end().ks("Status", "Enabled").
		k("DeleteMarkerReplication").obj().ks("Status", "Disabled").end().
		k("Destination").obj().ks("Bucket", "arn:aws:s3:::"+dest).ks("Account", ext).
		k("AccessControlTranslation").obj().ks("Owner", "Destination").end().end().end().end().end()
	a.send()
}

func lambdaPermission(a *attack, principal string) {
	region := a.region()
	fn := pick(&a.r, a.acct.reg(region).functions)
	arn := "arn:aws:lambda:" + region + ":" + a.acct.id + ":function:" + fn
	a.call(srcLambda, "GetPolicy20150331v2", region).read()
	a.req.obj().ks("functionName", fn).end()
	a.fail("ResourceNotFoundException", "The resource you requested does not exist.").send()
	sid := pick(&a.r, []string{"invoke", "allow-all", "support", "external-trigger"})
	a.call(srcLambda, "AddPermission20150331v2", region)
	a.req.obj().ks("functionName", fn).ks("statementId", sid).ks("action", "lambda:InvokeFunction").ks("principal", principal).end()
	p := `"*"`
	if principal != "*" {
		p = `{"AWS":"arn:aws:iam::` + principal + `:root"}`
	}
	a.resp.obj().ks("statement", `{"Sid":"`+sid+`","Effect":"Allow","Principal":`+p+`,"Action":"lambda:InvokeFunction","Resource":"`+arn+`"}`).end()
	a.send()
}

func shareSnapshot(a *attack, public bool) {
	region := a.region()
	r := &a.r
	vol := pick(r, a.acct.reg(region).volumes)
	snap := ec2ID(r, "snap-")
	a.call(srcEC2, "CreateSnapshot", region)
	a.req.obj().ks("volumeId", vol).end()
	a.resp.obj().ksb("requestId", a.e.reqID).ks("snapshotId", snap).ks("volumeId", vol).ks("status", "pending").
		ki("startTime", a.t*1000).ks("ownerId", a.acct.id).ks("volumeSize", "100").kb("encrypted", false).end()
	a.send()
	a.wait(60, 600)
	a.call(srcEC2, "ModifySnapshotAttribute", region)
	w := &a.req
	w.obj().ks("snapshotId", snap).k("createVolumePermission").obj().k("add").obj().k("items").arr().obj()
	if public {
		w.ks("group", "all")
	} else {
		w.ks("userId", a.external())
	}
	w.end().end().end().end().ks("attributeType", "CREATE_VOLUME_PERMISSION").end()
	a.ec2Return().send()
}

func shareAMI(a *attack) {
	region := a.region()
	ami := pick(&a.r, a.acct.reg(region).amis)
	a.call(srcEC2, "ModifyImageAttribute", region)
	a.req.obj().ks("imageId", ami).k("launchPermission").obj().k("add").obj().k("items").arr().obj().ks("userId", a.external()).
		end().end().end().end().ks("attributeType", "launchPermission").end()
	a.ec2Return().send()
}

func shareDBSnapshot(a *attack, to string) {
	region := a.region()
	db := pick(&a.r, a.acct.reg(region).dbs)
	snap := db + "-" + a.r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 6)
	a.call(srcRDS, "CreateDBSnapshot", region)
	a.req.obj().ks("dBSnapshotIdentifier", snap).ks("dBInstanceIdentifier", db).end()
	a.resp.obj().ks("dBSnapshotIdentifier", snap).ks("dBInstanceIdentifier", db).ks("engine", "postgres").
		ks("status", "creating").ks("snapshotType", "manual").kb("encrypted", false).end()
	a.send()
	a.wait(120, 900)
	a.call(srcRDS, "ModifyDBSnapshotAttribute", region)
	a.req.obj().ks("dBSnapshotIdentifier", snap).ks("attributeName", "restore").k("valuesToAdd").arr().s(to).end().end()
	a.resp.obj().ks("dBSnapshotIdentifier", snap).k("dBSnapshotAttributes").arr().obj().ks("attributeName", "restore").
		k("attributeValues").arr().s(to).end().end().end().end()
	a.send()
}

func (a *attack) kmsKey() (string, string) {
	region := a.region()
	return "arn:aws:kms:" + region + ":" + a.acct.id + ":key/" + pick(&a.r, a.acct.reg(region).keys), region
}

func kmsScheduleDeletion(a *attack) {
	key, region := a.kmsKey()
	a.call(srcKMS, "ScheduleKeyDeletion", region)
	a.req.obj().ks("keyId", key).ki("pendingWindowInDays", 7).end()
	a.resp.obj().ks("keyId", key).ks("deletionDate", javaDate(a.t+7*day, stsDateLayout)).ks("keyState", "PendingDeletion").
		ki("pendingWindowInDays", 7).end()
	a.resource("AWS::KMS::Key", key)
	a.send()
}

func kmsDisableKey(a *attack) {
	key, region := a.kmsKey()
	a.call(srcKMS, "DisableKey", region)
	a.req.obj().ks("keyId", key).end()
	a.resource("AWS::KMS::Key", key)
	a.send()
}

func kmsKeyPolicy(a *attack) {
	key, region := a.kmsKey()
	a.call(srcKMS, "GetKeyPolicy", region).read()
	a.req.obj().ks("keyId", key).ks("policyName", "default").end()
	a.resource("AWS::KMS::Key", key)
	a.send()
	a.call(srcKMS, "PutKeyPolicy", region)
	a.req.obj().ks("keyId", key).ks("policyName", "default").ks("policy", `{"Version":"2012-10-17","Id":"key-default-1","Statement":[`+
		`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+a.acct.id+`:root"},"Action":"kms:*","Resource":"*"},`+
		`{"Sid":"Allow use of the key","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+a.external()+`:root"},"Action":"kms:*","Resource":"*"}]}`).
		kb("bypassPolicyLockoutSafetyCheck", false).end()
	a.resource("AWS::KMS::Key", key)
	a.send()
}
