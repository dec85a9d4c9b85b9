package gen

import "strings"

const (
	srcS3      = "s3.amazonaws.com"
	srcKMS     = "kms.amazonaws.com"
	srcSSM     = "ssm.amazonaws.com"
	srcSecrets = "secretsmanager.amazonaws.com"
)

// kmsInvokers are the services that call KMS as themselves.
var kmsInvokers = []string{"logs.amazonaws.com", "rds.amazonaws.com", "dynamodb.amazonaws.com", "ec2.amazonaws.com"}

func dataTemplates() []*tmpl {
	return []*tmpl{
		newTmpl(srcS3, "GetObject", 7, cApp, cApp, cApp, cApp, cNode, cSSO).dataEvent().ver("1.10").withFill(fillObject),
		newTmpl(srcS3, "PutObject", 3.5, cApp, cApp, cApp, cCI, cCIUser).dataEvent().ver("1.10").writes().withFill(fillObject),
		newTmpl(srcS3, "HeadObject", 1.5, cApp, cNode).dataEvent().ver("1.10").withFill(fillObject),
		newTmpl(srcS3, "DeleteObject", 0.2, cApp).dataEvent().ver("1.10").writes().withFill(fillObject),
		newTmpl(srcS3, "ListObjects", 1.2, cApp, cCI, cSSO).dataEvent().ver("1.10").withFill(fillListObjects),
		newTmpl(srcS3, "GetBucketAcl", 0.5, cConfig, cSecHub, cVendor).withFill(bucketSub("acl", "", "")),
		newTmpl(srcS3, "GetBucketPolicy", 0.4, cConfig, cSecHub, cVendor, cCI).withFill(bucketSub("policy", "NoSuchBucketPolicy", "The bucket policy does not exist")),
		newTmpl(srcS3, "GetBucketLocation", 0.6, cApp, cVendor, cCI).withFill(bucketSub("location", "", "")),
		newTmpl(srcS3, "GetBucketVersioning", 0.3, cConfig, cCI).withFill(bucketSub("versioning", "", "")),
		newTmpl(srcS3, "GetBucketEncryption", 0.3, cConfig, cSecHub, cCI).withFill(bucketSub("encryption", "", "")),
		newTmpl(srcS3, "GetBucketTagging", 0.3, cConfig, cVendor, cCI).withFill(bucketSub("tagging", "NoSuchTagSet", "The TagSet does not exist")),
		newTmpl(srcS3, "GetBucketPublicAccessBlock", 0.3, cConfig, cSecHub).withFill(bucketSub("publicAccessBlock", "", "")),
		newTmpl(srcS3, "GetBucketLogging", 0.2, cConfig, cSecHub).withFill(bucketSub("logging", "", "")),
		newTmpl(srcS3, "ListBuckets", 0.5, cVendor, cSSO, cCI, cConfig).globalSvc().withFill(func(g *fileGen) {
			g.e.setHost("s3", "")
			g.req.obj().ks("Host", "s3.amazonaws.com").end()
			g.e.newS3RequestID(&g.r)
			g.s3Extra(0, int64(g.r.between(2000, 9000)))
		}),
		newTmpl(srcS3, "PutBucketTagging", 0.05, cCI).writes().withFill(func(g *fileGen) {
			b, _ := g.s3Bucket()
			g.req.obj().ks("bucketName", b).ksb("Host", g.e.host).ks("tagging", "").
				k("Tagging").obj().ks("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/").k("TagSet").obj().k("Tag").arr().
				obj().ks("Value", "platform").ks("Key", "CostCenter").end().
				obj().ks("Value", "terraform").ks("Key", "ManagedBy").end().end().end().end().end()
			g.s3Extra(180, 0)
			g.res.arr()
			g.bucketResource(b)
			g.res.end()
		}),
		newTmpl(srcS3, "PutBucketPolicy", 0.02, cCI).writes().withFill(fillBenignBucketPolicy),

		newTmpl(srcKMS, "Decrypt", 9, cService, cService, cService, cApp, cApp, cApp, cNode).invokedBy("logs.amazonaws.com").withFill(fillKMS),
		newTmpl(srcKMS, "GenerateDataKey", 5, cService, cService, cService, cApp, cApp).invokedBy("cloudtrail.amazonaws.com").withFill(fillKMS),
		newTmpl(srcKMS, "Encrypt", 0.3, cApp).withFill(fillKMS),
		newTmpl(srcKMS, "DescribeKey", 0.3, cConfig, cVendor, cCI).withFill(func(g *fileGen) {
			g.req.obj().k("keyId").sb(g.kmsKeyARN()).end()
		}),
		newTmpl(srcKMS, "ListAliases", 0.2, cConfig, cVendor).raw(`{"limit":100}`),

		newTmpl(srcSSM, "UpdateInstanceInformation", 2.5, cNode).writes().withFill(fillUpdateInstanceInformation),
		newTmpl(srcSSM, "ListInstanceAssociations", 1.0, cNode).withFill(func(g *fileGen) {
			g.req.obj().ksb("instanceId", g.e.id.session).ki("maxResults", 20).end()
		}),
		newTmpl(srcSSM, "GetParameter", 1.5, cApp, cApp, cCI, cNode).withFill(func(g *fileGen) {
			g.req.obj().ks("name", pick(&g.r, g.reg.params)).kb("withDecryption", g.r.intn(2) == 0).end()
			if g.r.intn(60) == 0 {
				g.fail("ParameterNotFound", "")
			}
		}),
		newTmpl(srcSSM, "GetParameters", 0.3, cApp).withFill(func(g *fileGen) {
			n := 1 + g.r.intn(3)
			g.req.obj().k("names").arr()
			for i := range n {
				g.req.s(g.reg.params[(g.r.intn(len(g.reg.params))+i)%len(g.reg.params)])
			}
			g.req.end().kb("withDecryption", true).end()
		}),
		newTmpl(srcSSM, "GetParametersByPath", 0.2, cApp).withFill(func(g *fileGen) {
			g.req.obj().ks("path", "/"+g.acct.alias+"/orders/").kb("recursive", true).kb("withDecryption", true).end()
		}),
		newTmpl(srcSSM, "DescribeInstanceInformation", 0.3, cSSO, cVendor, cConfig).raw(`{"maxResults":50}`),

		newTmpl(srcSecrets, "GetSecretValue", 1.5, cApp).withFill(func(g *fileGen) {
			g.req.obj().ks("secretId", pick(&g.r, g.reg.secrets)).end()
		}),
		newTmpl(srcSecrets, "DescribeSecret", 0.4, cApp, cCI, cConfig).withFill(func(g *fileGen) {
			g.req.obj().ks("secretId", pick(&g.r, g.reg.secrets)).end()
		}),
		newTmpl(srcSecrets, "ListSecrets", 0.1, cConfig, cSecHub).raw(`{"maxResults":100}`),
	}
}

// s3Bucket picks a bucket and points the TLS host at it. It returns the
// bucket and its purpose.
func (g *fileGen) s3Bucket() (string, string) {
	i := g.r.intn(len(g.reg.buckets))
	b := g.reg.buckets[i]
	e := &g.e
	h := append(e.hostBuf[:0], b...)
	h = append(h, ".s3."...)
	h = append(h, g.region...)
	h = append(h, ".amazonaws.com"...)
	e.hostBuf, e.host = h, h
	e.newS3RequestID(&g.r)
	return b, g.reg.purposes[i]
}

// s3Extra writes S3's additionalEventData.
func (g *fileGen) s3Extra(in, out int64) {
	w := &g.extra
	w.obj().ks("SignatureVersion", "SigV4")
	if g.e.tls13 {
		w.ks("CipherSuite", "TLS_AES_128_GCM_SHA256")
	} else {
		w.ks("CipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
	}
	w.ki("bytesTransferredIn", in)
	if g.e.data && g.e.name != "ListObjects" {
		w.ks("SSEApplied", "Default_SSE_S3")
	}
	w.ks("AuthenticationMethod", "AuthHeader").k("x-amz-id-2")
	w.b = append(w.b, '"')
	w.b = g.r.appendChars(w.b, base64Chars, 56)
	w.b = append(w.b, '"')
	w.comma = true
	w.ki("bytesTransferredOut", out).end()
}

// s3Key appends a plausible object key for a bucket of the purpose.
func (g *fileGen) s3Key(dst []byte, purpose string) []byte {
	r := &g.r
	y, m, d := civil(g.e.time / day)
	date := func(dst []byte, sep byte) []byte {
		dst = append4(dst, y)
		dst = append(dst, sep)
		dst = append2(dst, m)
		dst = append(dst, sep)
		return append2(dst, d)
	}
	switch purpose {
	case "assets":
		dst = append(dst, "images/products/"...)
		dst = r.appendChars(dst, "0123456789", 6)
		return append(dst, ".webp"...)
	case "uploads":
		dst = append(dst, "uploads/"...)
		dst = date(dst, '/')
		dst = append(dst, '/')
		dst = r.appendUUID(dst)
		return append(dst, ".jpg"...)
	case "data-lake":
		dst = append(dst, "events/dt="...)
		dst = date(dst, '-')
		dst = append(dst, "/part-000"...)
		dst = r.appendChars(dst, "0123456789", 2)
		dst = append(dst, '-')
		dst = r.appendUUID(dst)
		return append(dst, ".c000.snappy.parquet"...)
	case "backups":
		dst = append(dst, "pg_dump/orders/"...)
		dst = date(dst, '-')
		return append(dst, ".sql.gz"...)
	case "logs":
		dst = append(dst, "AWSLogs/"...)
		dst = append(dst, g.acct.id...)
		dst = append(dst, "/elasticloadbalancing/"...)
		dst = append(dst, g.region...)
		dst = append(dst, '/')
		dst = date(dst, '/')
		dst = append(dst, '/')
		dst = r.appendChars(dst, hexDigits, 12)
		return append(dst, ".log.gz"...)
	case "artifacts":
		dst = append(dst, "builds/orders-api/"...)
		dst = r.appendChars(dst, hexDigits, 40)
		return append(dst, ".zip"...)
	}
	dst = append(dst, "reports/"...)
	dst = date(dst, '-')
	dst = append(dst, "/orders-"...)
	dst = r.appendChars(dst, "0123456789", 5)
	return append(dst, ".csv"...)
}

func fillObject(g *fileGen) {
	b, purpose := g.s3Bucket()
	key := g.s3Key(g.buf[:0], purpose)
	g.buf = key
	g.req.obj().ks("bucketName", b).ksb("Host", g.e.host).ksb("key", key).end()
	var in, out int64
	switch g.e.name {
	case "GetObject":
		out = int64(200 + g.r.intn(2_000_000))
	case "PutObject":
		in = int64(200 + g.r.intn(2_000_000))
	}
	g.s3Extra(in, out)
	w := &g.res
	w.arr().obj().ks("type", "AWS::S3::Object").k("ARN")
	w.b = append(w.b, `"arn:aws:s3:::`...)
	w.b = append(w.b, b...)
	w.b = append(w.b, '/')
	w.b = append(w.b, key...)
	w.b = append(w.b, '"')
	w.comma = true
	w.end()
	g.bucketResource(b)
	w.end()
	if g.e.name == "HeadObject" && g.r.intn(12) == 0 {
		g.fail("NoSuchKey", "The specified key does not exist.")
	}
}

func (g *fileGen) bucketResource(b string) {
	w := &g.res
	w.obj().ks("accountId", g.acct.id).ks("type", "AWS::S3::Bucket").k("ARN")
	w.b = append(w.b, `"arn:aws:s3:::`...)
	w.b = append(w.b, b...)
	w.b = append(w.b, '"')
	w.comma = true
	w.end()
}

func fillListObjects(g *fileGen) {
	b, purpose := g.s3Bucket()
	g.req.obj().ks("list-type", "2").ks("bucketName", b).ks("encoding-type", "url").ks("max-keys", "1000").
		ks("prefix", purpose+"/").ks("delimiter", "/").ksb("Host", g.e.host).end()
	g.s3Extra(0, int64(g.r.between(400, 60000)))
	g.res.arr()
	g.bucketResource(b)
	g.res.end()
}

// bucketSub is a GetBucket<Sub> management read; errCode, when set, is the
// answer for buckets that lack the configuration.
func bucketSub(sub, errCode, errMsg string) func(g *fileGen) {
	return func(g *fileGen) {
		b, _ := g.s3Bucket()
		g.req.obj().ks("bucketName", b).ksb("Host", g.e.host).ks(sub, "").end()
		g.s3Extra(0, int64(g.r.between(200, 1500)))
		g.res.arr()
		g.bucketResource(b)
		g.res.end()
		if errCode != "" && g.r.intn(3) == 0 {
			g.fail(errCode, errMsg)
		}
	}
}

func fillBenignBucketPolicy(g *fileGen) {
	// A near miss for public-bucket rules: CloudFront, narrowed by SourceArn.
	b, _ := g.s3Bucket()
	g.req.obj().k("bucketPolicy").obj().ks("Version", "2012-10-17").k("Statement").arr().obj().
		ks("Sid", "AllowCloudFrontServicePrincipal").ks("Effect", "Allow").
		k("Principal").obj().ks("Service", "cloudfront.amazonaws.com").end().
		ks("Action", "s3:GetObject").ks("Resource", "arn:aws:s3:::"+b+"/*").
		k("Condition").obj().k("StringEquals").obj().ks("AWS:SourceArn", "arn:aws:cloudfront::"+g.acct.id+":distribution/E"+g.r.chars(upperAlnum, 13)).end().end().
		end().end().end().
		ks("bucketName", b).ksb("Host", g.e.host).ks("policy", "").end()
	g.s3Extra(int64(g.r.between(300, 600)), 0)
	g.res.arr()
	g.bucketResource(b)
	g.res.end()
}

// kmsKeyARN returns the ARN of a random key of the region (in g.buf).
func (g *fileGen) kmsKeyARN() []byte {
	b := append(g.buf[:0], "arn:aws:kms:"...)
	b = append(b, g.region...)
	b = append(b, ':')
	b = append(b, g.acct.id...)
	b = append(b, ":key/"...)
	b = append(b, pick(&g.r, g.reg.keys)...)
	g.buf = b
	return b
}

func fillKMS(g *fileGen) {
	e := &g.e
	r := &g.r
	key := g.kmsKeyARN()
	via := ""
	switch {
	case e.id.kind == idAWSService:
		via = pick(r, kmsInvokers)
		if e.name == "GenerateDataKey" && r.intn(2) == 0 {
			via = "cloudtrail.amazonaws.com" // log file encryption
		}
		g.serviceCall(via)
	case e.id.kind == idAssumedRole && r.intn(2) == 0:
		via = pick(r, []string{"s3.amazonaws.com", "secretsmanager.amazonaws.com", "ssm.amazonaws.com"})
		g.serviceCall(via)
		e.vpce = ""
	}
	w := &g.req
	w.obj()
	if e.name != "Decrypt" || via == "" {
		w.k("keyId").sb(key)
	}
	if e.name == "GenerateDataKey" {
		w.ks("keySpec", "AES_256")
	} else {
		w.ks("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
	}
	w.k("encryptionContext").obj()
	reg := g.reg
	switch via {
	case "cloudtrail.amazonaws.com":
		w.ks("aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:"+g.acct.id+":trail/"+g.acct.trail)
	case "logs.amazonaws.com":
		w.ks("aws:logs:arn", "arn:aws:logs:"+g.region+":"+g.acct.id+":log-group:"+pick(r, reg.logGroups))
	case "rds.amazonaws.com":
		w.ks("aws:rds:db-id", "db-"+r.chars(base32Chars, 26))
	case "dynamodb.amazonaws.com":
		w.ks("aws:dynamodb:tableName", pick(r, reg.tables)).ks("aws:dynamodb:subscriberId", g.acct.id)
	case "ec2.amazonaws.com":
		w.ks("aws:ebs:id", pick(r, reg.volumes))
	case "secretsmanager.amazonaws.com":
		w.ks("SecretARN", pick(r, reg.secrets)).ks("SecretVersionId", r.uuid())
	case "ssm.amazonaws.com":
		w.ks("PARAMETER_ARN", "arn:aws:ssm:"+g.region+":"+g.acct.id+":parameter"+pick(r, reg.params))
	default:
		bi := r.intn(len(reg.buckets))
		w.k("aws:s3:arn")
		w.b = append(w.b, `"arn:aws:s3:::`...)
		w.b = append(w.b, reg.buckets[bi]...)
		if e.name == "Decrypt" {
			w.b = append(w.b, '/')
			w.b = g.s3Key(w.b, reg.purposes[bi])
		}
		w.b = append(w.b, '"')
		w.comma = true
	}
	w.end().end()
	g.res.arr().obj().ks("accountId", g.acct.id).ks("type", "AWS::KMS::Key").k("ARN").sb(key).end().end()
}

func fillUpdateInstanceInformation(g *fileGen) {
	e := &g.e
	w := &g.req
	ip := pick(&g.r, g.reg.privIPs)
	w.obj().ksb("instanceId", e.id.session).ks("agentVersion", "3.3.40.0").ks("agentStatus", "Active").
		ks("platformType", "Linux").ks("platformName", "Amazon Linux").ks("platformVersion", "2023").
		ks("iPAddress", ip).ks("computerName", "ip-"+strings.ReplaceAll(ip, ".", "-")+".ec2.internal").
		ks("agentName", "amazon-ssm-agent").ks("availabilityZone", g.reg.azs[0]).
		ks("ssmConnectionChannel", "ssmmessages").end()
}
