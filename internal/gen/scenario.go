package gen

import (
	"slices"
	"strings"
	"sync"
)

// scenario is one attack technique: a function that emits the records a
// real attacker's calls leave in CloudTrail, in order.
type scenario struct {
	name     string
	tactic   string // MITRE ATT&CK tactic
	headline bool   // a classic: small datasets show these first
	offHours bool   // happens at night, preferably on a Sunday
	as       personaKind
	run      func(a *attack)
}

// personaKind is who the attacker acts as.
type personaKind uint8

const (
	asAny      personaKind = iota // a stolen key or role session, at random
	asNew                         // a principal never seen acting before
	asRoot                        // the account's root user, with a key
	asConsole                     // signs in to the console first (scenario-driven)
	asKeyOwner                    // a stolen long-term IAM user key
	asRole                        // a stolen role session
)

// persona is the attacker's identity for one attack instance.
type persona struct {
	kind    idKind
	p       *principal
	session string
	akid    string
	created int64
	ip      string
	ua      string
	cli     bool // ua is an aws-cli one: " command/…" is appended per call
}

var attackerUAs = []struct {
	ua  string
	cli bool
}{
	{"aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off", true},
	{"aws-cli/1.29.62 Python/3.11.6 Linux/6.5.0-kali2-amd64 botocore/1.31.62", true},
	{"Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.62", false},
	{"aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64", false},
	{"Boto3/1.26.165 Python/3.10.6 Linux/5.19.0-46-generic Botocore/1.29.165", false},
}

// attack runs one scenario instance. Its randomness comes from its own
// stream, so the records are the same whether they are counted while
// planning or written into files.
type attack struct {
	w     *world
	acct  *account
	reg   *regional // resources in home
	home  string    // the region most calls go to
	r     rng
	t     int64
	who   persona
	e     event
	req   jw
	resp  jw
	extra jw
	res   jw
	buf   []byte
	out   func(region string, t int64, rec []byte)
}

// Services whose events are logged in us-east-1, wherever they are called.
var globalSources = []string{srcIAM, srcSignin, srcOrgs, srcFront, srcRoute53}

func newAttack(w *world, seed int64, k int, acct *account, home string, t0 int64, out func(string, int64, []byte)) *attack {
	a := &attack{w: w, acct: acct, home: home, t: t0, out: out}
	a.r.seed(seed, streamAttack+uint64(k))
	a.reg = acct.reg(home)
	if a.reg == nil {
		a.reg = acct.regs[0]
	}
	return a
}

// become sets the attacker's identity for the instance.
func (a *attack) become(kind personaKind) {
	r := &a.r
	acct := a.acct
	ua := pick(r, attackerUAs)
	a.who = persona{ip: attackerIP(r), ua: ua.ua, cli: ua.cli}
	if kind == asAny {
		kind = []personaKind{asKeyOwner, asKeyOwner, asKeyOwner, asNew, asRole}[r.intn(5)]
	}
	switch kind {
	case asKeyOwner:
		u := acct.ciUser
		if r.intn(3) > 0 {
			u = pick(r, acct.humans[:3]).user
		}
		a.who.kind, a.who.p, a.who.akid = idIAMUser, u, u.accessKey
	case asNew:
		u := pick(r, acct.dormant)
		a.who.kind, a.who.p, a.who.akid = idIAMUser, u, u.accessKey
	case asConsole:
		a.who.kind, a.who.p = idIAMUser, pick(r, acct.humans[:3]).user
	case asRoot:
		a.who.kind = idRoot
		a.who.akid = "AKIA" + acct.code + r.chars(base32Chars, 8)
	case asRole: // the CI role's session, stolen
		a.who.kind, a.who.p = idAssumedRole, acct.github
		a.who.session = "GitHubActions"
		a.who.akid = "ASIA" + acct.code + r.chars(base32Chars, 8)
		a.who.created = a.t - int64(60+r.intn(1800))
	}
}

// attackerIP returns an address from the documentation ranges the
// organisation never uses (198.51.100.0/24, 2001:db8::/32).
func attackerIP(r *rng) string {
	if r.intn(6) == 0 {
		return "2001:db8:" + r.chars(hexDigits, 4) + ":" + r.chars(hexDigits, 4) + "::" + r.chars(hexDigits, 3)
	}
	return "198.51.100." + itoa(1+r.intn(254))
}

// call starts a record of the attacker calling src's name in region
// (us-east-1 for global services). Fill a.req, a.resp, a.extra and a.res,
// then send.
func (a *attack) call(src, name, region string) *attack {
	if slices.Contains(globalSources, src) {
		region = "us-east-1"
	}
	e := &a.e
	e.reset(a.t, region, a.acct.id)
	e.source, e.name = src, name
	e.version = serviceVersions[src]
	if e.version == "" {
		e.version = "1.08"
	}
	a.req.reset()
	a.resp.reset()
	a.extra.reset()
	a.res.reset()
	w := a.who
	e.id = identity{kind: w.kind, p: w.p, accountID: a.acct.id}
	if w.akid != "" {
		e.akBuf = append(e.akBuf[:0], w.akid...)
		e.id.akid = e.akBuf
	}
	if w.kind == idAssumedRole {
		e.sessBuf = append(e.sessBuf[:0], w.session...)
		e.id.session = e.sessBuf
		e.id.created = w.created
		e.id.webFed = a.acct.oidc
	}
	if w.kind == idRoot && w.created != 0 {
		e.id.created = w.created
	}
	e.ip = w.ip
	if w.cli {
		e.setUA(w.ua + " command/" + cliName(src, name))
	} else {
		e.setUA(w.ua)
	}
	prefix := strings.TrimSuffix(src, ".amazonaws.com")
	if region == "us-east-1" && slices.Contains(globalSources, src) {
		e.setHost(prefix, "")
	} else {
		e.setHost(prefix, region)
	}
	e.tls13 = a.r.intn(2) == 0
	if src == srcS3 {
		e.newS3RequestID(&a.r)
	} else {
		e.newRequestID(&a.r)
	}
	return a
}

func cliName(src, name string) string {
	p := strings.TrimSuffix(src, ".amazonaws.com")
	if v, ok := iamPrefixes[p]; ok {
		p = v
	}
	if p == "s3" {
		p = "s3api"
	}
	return p + "." + kebab(apiName(name))
}

// read marks the call read-only.
func (a *attack) read() *attack { a.e.readOnly = true; return a }

// q sets constant request parameters.
func (a *attack) q(raw string) *attack { a.req.raw(raw); return a }

// ec2Return sets EC2's {"requestId":…,"_return":true} response.
func (a *attack) ec2Return() *attack {
	a.resp.obj().ksb("requestId", a.e.reqID).kb("_return", true).end()
	return a
}

// deny makes the call fail for lack of permissions.
func (a *attack) deny() *attack {
	e := &a.e
	action := strings.TrimSuffix(e.source, ".amazonaws.com")
	if v, ok := iamPrefixes[action]; ok {
		action = v
	}
	action += ":" + apiName(e.name)
	m := e.msgBuf[:0]
	switch e.source {
	case srcEC2:
		e.errCode = "Client.UnauthorizedOperation"
		m = append(m, "You are not authorized to perform this operation. User: "...)
		m = e.appendCallerARN(m)
		m = append(m, " is not authorized to perform: "+action+" because no identity-based policy allows the "+action+" action"...)
	case srcS3:
		e.errCode = "AccessDenied"
		m = append(m, "Access Denied"...)
	default:
		e.errCode = "AccessDenied"
		m = append(m, "User: "...)
		m = e.appendCallerARN(m)
		m = append(m, " is not authorized to perform: "+action+" on resource: * because no identity-based policy allows the "+action+" action"...)
	}
	e.msgBuf, e.errMsg = m, m
	a.resp.reset()
	return a
}

// fail makes the call fail with a service error.
func (a *attack) fail(code, msg string) *attack {
	e := &a.e
	e.errCode = code
	e.msgBuf = append(e.msgBuf[:0], msg...)
	e.errMsg = e.msgBuf
	a.resp.reset()
	return a
}

// send finishes the record, hands it out, and lets a few seconds pass.
func (a *attack) send() {
	e := &a.e
	e.time = a.t
	e.req = orNil(a.req.b, nil)
	e.resp = orNil(a.resp.b, nil)
	e.extra = orNil(a.extra.b, nil)
	e.resources = orNil(a.res.b, nil)
	a.buf = e.appendJSON(a.buf[:0], &a.r)
	a.out(e.region, e.time, a.buf)
	a.t += int64(1 + a.r.intn(6))
}

// wait lets lo to hi seconds pass.
func (a *attack) wait(lo, hi int) { a.t += int64(a.r.between(lo, hi)) }

// region picks a region of the organisation, favouring home.
func (a *attack) region() string {
	if a.r.intn(3) > 0 {
		return a.home
	}
	return pick(&a.r, a.w.regions)
}

// target returns another human's IAM user than the attacker's.
func (a *attack) target() *principal {
	for {
		u := a.acct.humans[a.r.intn(3)].user
		if u != a.who.p {
			return u
		}
	}
}

func (a *attack) resource(typ, arn string) {
	a.res.arr().obj().ks("accountId", a.acct.id).ks("type", typ).ks("ARN", arn).end().end()
}

func (a *attack) external() string { return pick(&a.r, a.w.external) }

// Policy documents as IAM receives them: JSON in a string.
const (
	adminPolicy    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	adminPolicyArn = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// scenarios is the catalogue, in a fixed order.
var scenarios = sync.OnceValue(func() []*scenario {
	var all []*scenario
	all = append(all, evasionScenarios()...)
	all = append(all, networkScenarios()...)
	all = append(all, iamScenarios()...)
	all = append(all, exposureScenarios()...)
	all = append(all, accessScenarios()...)
	return all
})

// ScenarioNames lists the names of the attack scenarios Generate can inject,
// in catalogue order. Stats.ByScenario is keyed by them.
func ScenarioNames() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

// run plays scenario s as instance k.
func (a *attack) run(s *scenario) {
	a.become(s.as)
	s.run(a)
}
