package gen

// caller is a class of benign identity. Each template says which classes
// make its call; setCaller turns the class into a concrete userIdentity,
// source address and user agent.
type caller uint8

const (
	cSSO     caller = iota // a person through an IAM Identity Center role
	cUser                  // a person with an IAM user (console with MFA, or CLI)
	cCIUser                // the legacy CI IAM user with a long-term key
	cCI                    // the GitHub Actions role (web identity)
	cVendor                // the monitoring vendor's cross-account role
	cConfig                // AWS Config's service-linked role
	cSecHub                // Security Hub's service-linked role
	cASG                   // EC2 Auto Scaling's service-linked role
	cBackup                // AWS Backup's service role
	cApp                   // a workload's role (ECS task, Lambda function)
	cNode                  // the EKS node role, on EC2 instances
	cService               // an AWS service itself (userIdentity AWSService)
)

const (
	terraformUA = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.7 md/GOOS#linux md/GOARCH#amd64 api/"
	ciCLIUA     = "aws-cli/2.15.17 Python/3.11.6 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off"
	vendorUA    = "aws-sdk-go/1.50.8 (go1.21.6; linux; amd64)"
	nodeUA      = "aws-sdk-go/1.44.302 (go1.20.12; linux; amd64) amazon-ssm-agent/3.3.40.0"
	s3ConsoleUA = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.638 Linux/5.10.210-178.855.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard]"
)

const (
	hour = int64(3600)
	day  = 24 * hour
)

// sessionAt returns the start of principal key pk's session that is active
// at t, and a hash naming it. Sessions last dur seconds; each principal's
// start at its own phase, so their keys rotate at different times.
func sessionAt(pk uint64, t, dur int64) (int64, uint64) {
	phase := int64(pk % uint64(dur))
	k := (t - phase) / dur
	if t-phase < 0 {
		k--
	}
	start := k*dur + phase
	return start, hashOf(pk, uint64(start))
}

// tempKey sets the identity's accessKeyId to a temporary (ASIA) key derived
// from session hash h.
func (g *fileGen) tempKey(code string, h uint64) {
	e := &g.e
	b := append(e.akBuf[:0], "ASIA"...)
	b = append(b, code...)
	b = appendHashChars(b, h, base32Chars, 8)
	e.akBuf, e.id.akid = b, b
}

// assumed sets an AssumedRole identity for role p, with a session of dur
// seconds named session; salt tells apart concurrent sessions of the role.
// keyed gives it a temporary access key.
func (g *fileGen) assumed(p *principal, dur int64, session string, keyed bool) uint64 {
	return g.assumedSalted(p, 0, dur, session, keyed)
}

func (g *fileGen) assumedSalted(p *principal, salt uint64, dur int64, session string, keyed bool) uint64 {
	e := &g.e
	start, h := sessionAt(p.key+salt, e.time, dur)
	e.id.kind = idAssumedRole
	e.id.p = p
	e.id.created = start
	e.sessBuf = append(e.sessBuf[:0], session...)
	e.id.session = e.sessBuf
	if keyed {
		g.tempKey(g.acct.code, h)
	}
	return h
}

func (g *fileGen) cliUA(prefix string, t *tmpl) {
	e := &g.e
	b := append(e.uaBuf[:0], prefix...)
	b = append(b, " command/"...)
	b = append(b, t.cli...)
	e.uaBuf, e.ua = b, b
}

func (g *fileGen) terraformUA(t *tmpl) {
	e := &g.e
	b := append(e.uaBuf[:0], terraformUA...)
	b = append(b, t.prefix...)
	b = append(b, "#1.149.1"...)
	e.uaBuf, e.ua = b, b
}

// serviceCall marks a call made by an AWS service: no TLS details, the
// service as address and agent.
func (g *fileGen) serviceCall(svc string) {
	e := &g.e
	e.ip = svc
	e.setUA(svc)
	e.id.invokedBy = svc
	e.host = nil
}

// setCaller fills the event's identity, address, agent and TLS details
// for a call of template t by a caller of class c.
func (g *fileGen) setCaller(c caller, t *tmpl) {
	e := &g.e
	a := g.acct
	r := &g.r
	if t.global {
		e.setHost(t.prefix, "")
	} else {
		e.setHost(t.prefix, e.region)
	}
	e.tls13 = r.intn(3) == 0
	switch c {
	case cSSO:
		hi := r.intn(len(a.humans))
		h := a.humans[hi]
		g.assumed(a.sso[h.sso], 8*hour, h.email, true)
		g.humanIP(h)
		if r.chance(h.console) {
			g.consoleUA(t)
			e.console = true
		} else {
			g.cliUA(h.cliUA, t)
		}
	case cUser:
		h := a.humans[r.intn(3)]
		u := h.user
		e.id.kind, e.id.p = idIAMUser, u
		g.humanIP(h)
		if r.chance(h.console) {
			start, sh := sessionAt(u.key, e.time, 10*hour)
			e.id.created, e.id.mfa = start, true
			g.tempKey(a.code, sh)
			g.consoleUA(t)
			e.console = true
		} else {
			e.akBuf = append(e.akBuf[:0], u.accessKey...)
			e.id.akid = e.akBuf
			g.cliUA(h.cliUA, t)
		}
	case cCIUser:
		e.id.kind, e.id.p = idIAMUser, a.ciUser
		e.akBuf = append(e.akBuf[:0], a.ciUser.accessKey...)
		e.id.akid = e.akBuf
		_, h := sessionAt(a.ciUser.key, e.time, 1200)
		e.ip = g.w.ciIPs[h%uint64(len(g.w.ciIPs))]
		g.terraformUA(t)
	case cCI:
		h := g.assumed(a.github, hour, "GitHubActions", true)
		e.id.webFed = a.oidc
		e.ip = g.w.ciIPs[h%uint64(len(g.w.ciIPs))]
		if h&1 == 0 {
			g.terraformUA(t)
		} else {
			g.cliUA(ciCLIUA, t)
		}
	case cVendor:
		h := g.assumed(a.vendor, hour, "VendorIntegration", true)
		e.ip = g.w.vendorIPs[h%uint64(len(g.w.vendorIPs))]
		e.setUA(vendorUA)
	case cConfig:
		g.assumed(a.config, hour, "AWSConfig-Describe", false)
		g.serviceCall("config.amazonaws.com")
	case cSecHub:
		g.assumed(a.secHub, hour, "securityhub", false)
		g.serviceCall("securityhub.amazonaws.com")
	case cASG:
		g.assumed(a.asg, hour, "AutoScaling", false)
		g.serviceCall("autoscaling.amazonaws.com")
	case cBackup:
		g.assumed(a.backup, hour, "AWSBackup-AWSBackupDefaultServiceRole", false)
		g.serviceCall("backup.amazonaws.com")
	case cApp:
		ap := a.apps[r.intn(len(a.apps))]
		if ap.kind == appLambda {
			g.assumed(ap.role, 12*hour, a.alias+"-"+ap.name, true)
		} else {
			// An ECS task's session is named by its task id; a service runs a
			// few tasks at once.
			start, h := sessionAt(ap.role.key+uint64(1+r.intn(3)), e.time, 6*hour)
			e.id.kind, e.id.p, e.id.created = idAssumedRole, ap.role, start
			e.sessBuf = appendHashChars(e.sessBuf[:0], h, hexDigits, 32)
			e.id.session = e.sessBuf
			g.tempKey(a.code, h)
		}
		e.setUA(ap.ua)
		g.workloadNet(t)
	case cNode:
		i := r.intn(min(8, len(g.reg.instances)))
		g.assumedSalted(a.node, uint64(i+1), 6*hour, g.reg.instances[i], true)
		e.setUA(nodeUA)
		g.workloadNet(t)
	case cService:
		e.id.kind = idAWSService
		svc := t.svc
		if svc == "" {
			svc = "lambda.amazonaws.com"
		}
		g.serviceCall(svc)
	}
}

func (g *fileGen) humanIP(h *human) {
	if g.r.intn(8) == 0 {
		g.e.ip = h.homeIP
	} else {
		g.e.ip = h.ip
	}
}

func (g *fileGen) consoleUA(t *tmpl) {
	if t.src == "s3.amazonaws.com" {
		g.e.setUA(s3ConsoleUA)
	} else {
		g.e.setUA("AWS Internal")
	}
}

// workloadNet routes a workload's call: through the region's VPC endpoint
// for the services that have one, else through the NAT gateway.
func (g *fileGen) workloadNet(t *tmpl) {
	e := &g.e
	reg := g.reg
	switch t.src {
	case "s3.amazonaws.com":
		e.vpce = reg.vpceS3
	case "kms.amazonaws.com":
		e.vpce = reg.vpceKMS
	case "ssm.amazonaws.com":
		e.vpce = reg.vpceSSM
	case "secretsmanager.amazonaws.com":
		e.vpce = reg.vpceSecrets
	default:
		e.ip = reg.natIP
		return
	}
	e.ip = reg.privIPs[g.r.intn(len(reg.privIPs))]
}
