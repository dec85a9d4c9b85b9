package gen

import (
	"fmt"
	"slices"
	"strings"
)

// world is the simulated organisation: its accounts, the people and
// workloads acting in them, and their resources. It is derived from the
// seed alone, built once, and only read while files are generated.
type world struct {
	seed       int64
	accounts   []*account
	regions    []string // where the organisation runs things
	offRegions []string // regions it never uses
	mgmt       string   // the organisation's management account
	vendor     string   // the monitoring vendor's account
	external   []string // accounts the attacker controls
	orgID      string
	ciIPs      []string // CI runners' egress addresses
	vendorIPs  []string
	vendorRole string // principalId of the vendor's role that assumes ours
}

// account is one AWS account of the organisation.
type account struct {
	idx       int
	id        string
	alias     string
	code      string // the account-specific part of its IAM ids
	canonical string // S3 canonical user id
	humans    []*human
	ciUser    *principal // a legacy IAM user with a long-term key
	etlUser   *principal
	dormant   []*principal // IAM users that exist but never act
	github    *principal   // the CI role, assumed with web identity
	vendor    *principal   // assumed by the monitoring vendor
	orgAccess *principal   // OrganizationAccountAccessRole
	admin     *principal   // a privileged role (AdministratorAccess)
	config    *principal
	secHub    *principal
	asg       *principal
	backup    *principal
	node      *principal // EKS / EC2 instance role
	sso       [3]*principal
	apps      []*app
	groups    []string
	policies  []string // customer managed policy names
	trail     string
	regs      []*regional // indexed like world.regions
	oidc      string      // GitHub OIDC provider ARN
}

// human is a person working in the organisation.
type human struct {
	email   string
	user    *principal // their IAM user in this account, if any
	sso     int        // index into account.sso
	ip      string
	homeIP  string
	cliUA   string
	console float64 // share of their calls made from the console
}

type appKind uint8

const (
	appECS appKind = iota
	appLambda
)

// app is a workload calling AWS with its own role.
type app struct {
	name string
	kind appKind
	role *principal
	ua   string
}

// regional holds an account's resources in one region.
type regional struct {
	name         string
	azs          []string
	vpcs         []string
	subnets      []string
	sgs          []string
	instances    []string
	volumes      []string
	snapshots    []string
	amis         []string
	routeTables  []string
	nacls        []string
	buckets      []string
	purposes     []string // of the buckets, e.g. "data-lake"
	keys         []string // KMS key ids
	functions    []string
	dbs          []string
	dbSnapshots  []string
	secrets      []string // secret ARNs
	params       []string
	logGroups    []string
	tables       []string
	clusters     []string
	targetGroups []string
	alarms       []string
	asgs         []string
	detector     string
	flowLogs     []string
	vpceS3       string
	vpceKMS      string
	vpceSSM      string
	vpceSecrets  string
	natIP        string
	privIPs      []string // workloads' private addresses
}

var (
	defaultAliases = []string{"prod", "staging", "shared-services", "data", "sandbox", "security"}
	humanNames     = []string{"alice.nguyen", "bob.schmidt", "carol.diaz", "dmitri.ivanov", "emma.johansson",
		"farah.haddad", "george.okafor", "hana.sato", "ivan.petrov", "julia.costa", "kwame.mensah", "lena.muller"}
	dormantNames = []string{"old-contractor", "test-user", "backup-admin", "jenkins-legacy", "svc-migration"}
	cliUAs       = []string{
		"aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off",
		"aws-cli/2.15.17 Python/3.11.6 Darwin/23.2.0 exe/arm64 prompt/off",
		"aws-cli/2.13.33 Python/3.11.6 Linux/6.5.0-21-generic exe/x86_64.ubuntu.22 prompt/off",
		"aws-cli/2.15.24 Python/3.11.8 Windows/10 exe/AMD64 prompt/off",
		"aws-cli/1.32.58 Python/3.10.12 Linux/5.15.0-97-generic botocore/1.34.58",
	}
	offRegionPool = []string{"ap-southeast-1", "ap-northeast-2", "sa-east-1", "ap-south-1", "eu-north-1",
		"ca-central-1", "ap-southeast-2", "me-central-1", "af-south-1"}
	appDefs = []struct {
		name string
		kind appKind
		ua   string
	}{
		{"orders-api", appECS, "aws-sdk-java/2.21.42 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy"},
		{"payments-worker", appECS, "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.34.51"},
		{"image-resize", appLambda, "Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.209-218.812.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.42"},
		{"report-export", appLambda, "aws-sdk-js/3.525.0 ua/2.0 os/linux#5.10.209-218.812.amzn2.x86_64 lang/js md/nodejs#20.11.1 exec-env/AWS_Lambda_nodejs20.x api/s3#3.525.0"},
		{"notifier", appLambda, "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.7 md/GOOS#linux md/GOARCH#amd64 exec-env/AWS_Lambda_provided.al2023 api/secretsmanager#1.27.3"},
	}
)

func newWorld(seed int64, accountIDs, regions []string) *world {
	r := newRNG(seed, streamWorld)
	w := &world{seed: seed, regions: regions}
	w.mgmt = accountID(r)
	w.vendor = accountID(r)
	for range 3 {
		w.external = append(w.external, accountID(r))
	}
	w.vendorRole = "AROA" + r.chars(base32Chars, 17) + ":vendor-poller"
	w.orgID = "o-" + r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 10)
	for range 24 {
		w.ciIPs = append(w.ciIPs, fmt.Sprintf("203.0.113.%d", 1+r.intn(126)))
	}
	for range 4 {
		w.vendorIPs = append(w.vendorIPs, fmt.Sprintf("203.0.113.%d", 130+r.intn(60)))
	}
	for _, reg := range offRegionPool {
		if !slices.Contains(regions, reg) {
			w.offRegions = append(w.offRegions, reg)
		}
	}
	people := slices.Clone(humanNames)
	for i := len(people) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		people[i], people[j] = people[j], people[i]
	}
	for i, id := range accountIDs {
		w.accounts = append(w.accounts, w.newAccount(r, i, id, people))
	}
	return w
}

// accountID returns a random 12-digit account id.
func accountID(r *rng) string {
	b := []byte{byte('1' + r.intn(9))}
	for range 11 {
		b = append(b, byte('0'+r.intn(10)))
	}
	return string(b)
}

func (w *world) newAccount(r *rng, idx int, id string, people []string) *account {
	a := &account{idx: idx, id: id}
	a.alias = defaultAliases[idx%len(defaultAliases)]
	if idx >= len(defaultAliases) {
		a.alias += fmt.Sprint(idx / len(defaultAliases))
	}
	a.code = r.chars(base32Chars, 8)
	a.canonical = r.chars(hexDigits, 64)
	a.trail = "management-events"
	a.oidc = "arn:aws:iam::" + id + ":oidc-provider/token.actions.githubusercontent.com"

	a.sso = [3]*principal{
		a.role(r, "/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_AdministratorAccess_"+r.chars(hexDigits, 16)),
		a.role(r, "/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_PowerUserAccess_"+r.chars(hexDigits, 16)),
		a.role(r, "/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_ReadOnlyAccess_"+r.chars(hexDigits, 16)),
	}
	n := 5 + r.intn(4)
	for i := range n {
		name := people[(idx*3+i)%len(people)]
		h := &human{
			email:   name + "@example.com",
			sso:     []int{0, 1, 1, 1, 2}[r.intn(5)],
			ip:      fmt.Sprintf("192.0.2.%d", 10+r.intn(20)),
			homeIP:  fmt.Sprintf("192.0.2.%d", 40+r.intn(80)),
			cliUA:   pick(r, cliUAs),
			console: 0.3 + 0.5*r.float(),
		}
		if i < 3 {
			h.user = a.user(r, "/", name)
			h.user.mfa = "arn:aws:iam::" + id + ":mfa/" + name
		}
		a.humans = append(a.humans, h)
	}
	a.ciUser = a.user(r, "/service/", "ci-deployer")
	a.etlUser = a.user(r, "/service/", "reporting-etl")
	for _, name := range dormantNames {
		a.dormant = append(a.dormant, a.user(r, "/", name))
	}
	a.github = a.role(r, "/", "github-actions-deploy")
	a.vendor = a.role(r, "/", "monitoring-vendor-integration")
	a.orgAccess = a.role(r, "/", "OrganizationAccountAccessRole")
	a.admin = a.role(r, "/", "platform-admin")
	a.config = a.role(r, "/aws-service-role/config.amazonaws.com/", "AWSServiceRoleForConfig")
	a.secHub = a.role(r, "/aws-service-role/securityhub.amazonaws.com/", "AWSServiceRoleForSecurityHub")
	a.asg = a.role(r, "/aws-service-role/autoscaling.amazonaws.com/", "AWSServiceRoleForAutoScaling")
	a.backup = a.role(r, "/service-role/", "AWSBackupDefaultServiceRole")
	a.node = a.role(r, "/", "eks-node-group-role")
	for _, d := range appDefs {
		a.apps = append(a.apps, &app{name: d.name, kind: d.kind, ua: d.ua, role: a.role(r, "/", a.alias+"-"+d.name+"-role")})
	}
	a.groups = []string{"developers", "admins", "read-only", "billing"}
	a.policies = []string{"ci-deploy-policy", "developer-boundary", "s3-data-access", "lambda-deploy"}
	for ri, reg := range w.regions {
		a.regs = append(a.regs, a.newRegional(r, ri, reg))
	}
	return a
}

// iamID returns an IAM unique id: a 4-letter prefix, the account's code and
// random characters, as AWS writes them (AIDA…, AROA…, AKIA…).
func (a *account) iamID(r *rng, prefix string, n int) string {
	return prefix + a.code + r.chars(base32Chars, n)
}

func (a *account) user(r *rng, path, name string) *principal {
	arn := "arn:aws:iam::" + a.id + ":user" + path + name
	return &principal{
		name: name, id: a.iamID(r, "AIDA", 9), account: a.id, arn: arn,
		accessKey: a.iamID(r, "AKIA", 8), key: hashString(arn),
	}
}

func (a *account) role(r *rng, path, name string) *principal {
	arn := "arn:aws:iam::" + a.id + ":role" + path + name
	return &principal{name: name, id: a.iamID(r, "AROA", 9), account: a.id, arn: arn, key: hashString(arn)}
}

func ec2ID(r *rng, prefix string) string { return prefix + r.chars(hexDigits, 17) }

func ec2IDs(r *rng, prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ec2ID(r, prefix)
	}
	return ids
}

// regionShort turns us-east-1 into use1.
func regionShort(region string) string {
	parts := strings.Split(region, "-")
	var b strings.Builder
	for i, p := range parts {
		if i == len(parts)-1 || p == "" {
			b.WriteString(p)
			continue
		}
		b.WriteByte(p[0])
		if i == 0 && len(p) > 1 {
			b.WriteByte(p[1])
		}
	}
	return b.String()
}

func (a *account) newRegional(r *rng, ri int, region string) *regional {
	g := &regional{name: region}
	for range 16 {
		g.privIPs = append(g.privIPs, fmt.Sprintf("10.%d.%d.%d", 16+a.idx*8+ri, r.intn(48), 4+r.intn(250)))
	}
	for _, z := range "abc" {
		g.azs = append(g.azs, region+string(z))
	}
	short := regionShort(region)
	size := 1.0 / float64(ri+1)
	count := func(n int) int { return max(2, int(float64(n)*size)) }
	g.vpcs = ec2IDs(r, "vpc-", 2)
	g.subnets = ec2IDs(r, "subnet-", 6)
	g.sgs = ec2IDs(r, "sg-", count(12))
	g.instances = ec2IDs(r, "i-", count(40))
	g.volumes = ec2IDs(r, "vol-", count(40))
	g.snapshots = ec2IDs(r, "snap-", count(20))
	g.amis = ec2IDs(r, "ami-", count(6))
	g.routeTables = ec2IDs(r, "rtb-", 4)
	g.nacls = ec2IDs(r, "acl-", 2)
	g.flowLogs = ec2IDs(r, "fl-", 2)
	for _, purpose := range []string{"assets", "uploads", "data-lake", "backups", "logs", "artifacts", "exports"}[:count(7)] {
		g.purposes = append(g.purposes, purpose)
		g.buckets = append(g.buckets, fmt.Sprintf("acme-%s-%s-%s-%s", a.alias, purpose, short, r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 6)))
	}
	for range count(5) {
		g.keys = append(g.keys, r.uuid())
	}
	for _, d := range appDefs {
		if d.kind == appLambda {
			g.functions = append(g.functions, a.alias+"-"+d.name)
		}
	}
	g.functions = append(g.functions, a.alias+"-cost-report", a.alias+"-slack-alerts", a.alias+"-instance-scheduler")
	for _, db := range []string{"orders", "payments", "analytics"}[:count(3)] {
		g.dbs = append(g.dbs, a.alias+"-"+db+"-db")
		g.dbSnapshots = append(g.dbSnapshots, "rds:"+a.alias+"-"+db+"-db-2024-03-0"+fmt.Sprint(1+r.intn(3))+"-03-10")
	}
	for _, s := range []string{"orders/db", "payments/db", "payments/stripe-api-key", "slack/webhook", "github/deploy-token",
		"analytics/warehouse", "orders/jwt-signing-key", "datadog/api-key", "smtp/credentials", "partner/sftp"}[:count(10)] {
		g.secrets = append(g.secrets, "arn:aws:secretsmanager:"+region+":"+a.id+":secret:"+a.alias+"/"+s+"-"+r.chars(alnumChars, 6))
	}
	for _, p := range []string{"/orders/db/host", "/orders/db/password", "/payments/api/key", "/shared/feature-flags",
		"/eks/cluster/endpoint", "/app/config/log-level", "/payments/db/password", "/report-export/bucket"}[:count(8)] {
		g.params = append(g.params, "/"+a.alias+p)
	}
	g.logGroups = []string{"/aws/lambda/" + a.alias + "-image-resize", "/aws/lambda/" + a.alias + "-report-export",
		"/ecs/" + a.alias + "-orders-api", "/aws/eks/" + a.alias + "/cluster", "/" + a.alias + "/vpc-flow-logs"}
	g.tables = []string{a.alias + "-sessions", a.alias + "-orders", a.alias + "-idempotency"}
	g.clusters = []string{a.alias + "-apps"}
	for _, tg := range []string{"orders-api", "payments-worker"} {
		g.targetGroups = append(g.targetGroups, "arn:aws:elasticloadbalancing:"+region+":"+a.id+":targetgroup/"+a.alias+"-"+tg+"/"+r.chars(hexDigits, 16))
	}
	g.alarms = []string{a.alias + "-orders-api-5xx", a.alias + "-rds-cpu-high", a.alias + "-lambda-errors", a.alias + "-billing-estimate"}
	g.asgs = []string{"eks-" + a.alias + "-general-" + r.uuid()[:8], "eks-" + a.alias + "-spot-" + r.uuid()[:8]}
	g.detector = r.chars(hexDigits, 32)
	g.vpceS3 = ec2ID(r, "vpce-")
	g.vpceKMS = ec2ID(r, "vpce-")
	g.vpceSSM = ec2ID(r, "vpce-")
	g.vpceSecrets = ec2ID(r, "vpce-")
	g.natIP = fmt.Sprintf("192.0.2.%d", 200+r.intn(50))
	return g
}

// reg returns the account's resources in region, or nil when the
// organisation does not use the region.
func (a *account) reg(region string) *regional {
	for _, g := range a.regs {
		if g.name == region {
			return g
		}
	}
	return nil
}
