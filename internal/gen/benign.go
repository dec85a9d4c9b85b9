package gen

import (
	"strings"
	"sync"
	"unicode"
)

// tmpl is one kind of benign call: who makes it, how often, and how its
// request and response look. The catalogue lives in benign_*.go.
type tmpl struct {
	src     string
	name    string
	weight  float64
	global  bool // a global service: logged in us-east-1 only
	write   bool
	data    bool   // a data event
	version string // eventVersion; default per service
	svc     string // invokedBy for cService callers
	fail    float64
	callers []caller
	fill    func(g *fileGen)

	prefix string // host and IAM action prefix, e.g. "ec2"
	action string // e.g. "lambda:GetFunction", for AccessDenied messages
	cli    string // e.g. "ec2.describe-instances", for CLI user agents
}

func newTmpl(src, name string, weight float64, callers ...caller) *tmpl {
	return &tmpl{src: src, name: name, weight: weight, callers: callers}
}

func (t *tmpl) withFill(f func(g *fileGen)) *tmpl { t.fill = f; return t }
func (t *tmpl) writes() *tmpl                     { t.write = true; return t }
func (t *tmpl) globalSvc() *tmpl                  { t.global = true; return t }
func (t *tmpl) dataEvent() *tmpl                  { t.data = true; return t }
func (t *tmpl) ver(v string) *tmpl                { t.version = v; return t }
func (t *tmpl) invokedBy(s string) *tmpl          { t.svc = s; return t }
func (t *tmpl) failing(p float64) *tmpl           { t.fail = p; return t }
func (t *tmpl) never() *tmpl                      { t.fail = -1; return t }

// raw makes the request parameters a constant document.
func (t *tmpl) raw(req string) *tmpl {
	t.fill = func(g *fileGen) { g.req.raw(req) }
	return t
}

var serviceVersions = map[string]string{
	"ec2.amazonaws.com": "1.09", "s3.amazonaws.com": "1.09", "signin.amazonaws.com": "1.09",
	"cloudtrail.amazonaws.com": "1.11", "autoscaling.amazonaws.com": "1.05",
	"elasticloadbalancing.amazonaws.com": "1.05", "ecr.amazonaws.com": "1.09", "ecs.amazonaws.com": "1.09",
	"dynamodb.amazonaws.com": "1.09", "guardduty.amazonaws.com": "1.10",
}

// iamPrefixes maps the services whose IAM action prefix is not their host's.
var iamPrefixes = map[string]string{"monitoring": "cloudwatch", "signin": "signin"}

func (t *tmpl) init() {
	t.prefix = strings.TrimSuffix(t.src, ".amazonaws.com")
	if t.version == "" {
		t.version = serviceVersions[t.src]
		if t.version == "" {
			t.version = "1.08"
		}
	}
	p := t.prefix
	if v, ok := iamPrefixes[p]; ok {
		p = v
	}
	t.action = p + ":" + apiName(t.name)
	t.cli = p + "." + kebab(apiName(t.name))
	if t.fill == nil {
		t.fill = func(*fileGen) {}
	}
}

// apiName strips the API version Lambda appends to its event names.
func apiName(name string) string {
	return strings.TrimRightFunc(strings.TrimRight(name, "0123456789v"), unicode.IsDigit)
}

// kebab turns DescribeInstances into describe-instances.
func kebab(s string) string {
	var b strings.Builder
	for i, c := range s {
		if unicode.IsUpper(c) {
			if i > 0 && !(i+1 < len(s) && unicode.IsUpper(rune(s[i+1])) && unicode.IsUpper(rune(s[i-1]))) {
				b.WriteByte('-')
			}
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// table is a weighted choice of templates.
type table struct {
	tmpls []*tmpl
	cum   []float64
}

var tables = sync.OnceValue(func() [2]*table {
	all := benignCatalogue()
	var regional, home table
	var rw, hw []float64
	for _, t := range all {
		t.init()
		home.tmpls = append(home.tmpls, t)
		hw = append(hw, t.weight)
		if !t.global {
			regional.tmpls = append(regional.tmpls, t)
			rw = append(rw, t.weight)
		}
	}
	regional.cum, home.cum = cumulative(rw), cumulative(hw)
	return [2]*table{&regional, &home}
})

func benignCatalogue() []*tmpl {
	var all []*tmpl
	all = append(all, computeTemplates()...)
	all = append(all, dataTemplates()...)
	all = append(all, identityTemplates()...)
	all = append(all, opsTemplates()...)
	return all
}

// fileGen generates the records of one file. One per worker, reused.
type fileGen struct {
	w      *world
	acct   *account
	reg    *regional // nil where the organisation runs nothing
	region string
	tbl    *table
	r      rng
	e      event
	req    jw
	resp   jw
	extra  jw
	res    jw
	buf    []byte // scratch for keys and names
}

// Failure rates by caller: people and CI hit missing permissions more
// often than workloads; AWS services never do.
var failRates = [...]float64{
	cSSO: 0.09, cUser: 0.09, cCIUser: 0.06, cCI: 0.07, cVendor: 0.10, cConfig: 0.015, cSecHub: 0.015,
	cASG: 0.005, cBackup: 0.005, cApp: 0.025, cNode: 0.025, cService: 0,
}

// benign appends one benign record at time t.
func (g *fileGen) benign(b []byte, t int64) []byte {
	r := &g.r
	tp := g.tbl.tmpls[r.weighted(g.tbl.cum)]
	c := tp.callers[r.intn(len(tp.callers))]
	// People work office hours (European and American ones between them);
	// at night and at weekends their share drops, machines carry on.
	if (c == cSSO || c == cUser) && !r.chance(humanActivity(t)) {
		for c == cSSO || c == cUser {
			tp = g.tbl.tmpls[r.weighted(g.tbl.cum)]
			c = tp.callers[r.intn(len(tp.callers))]
		}
	}
	e := &g.e
	e.reset(t, g.region, g.acct.id)
	e.source, e.name, e.version = tp.src, tp.name, tp.version
	e.readOnly, e.data = !tp.write, tp.data
	g.setCaller(c, tp)
	e.newRequestID(r)
	g.req.reset()
	g.resp.reset()
	g.extra.reset()
	g.res.reset()
	tp.fill(g)
	e.req = orNil(g.req.b, e.req)
	e.resp = orNil(g.resp.b, e.resp)
	e.extra = orNil(g.extra.b, e.extra)
	e.resources = orNil(g.res.b, e.resources)
	p := tp.fail
	if p == 0 {
		p = failRates[c]
	}
	if e.errCode == "" && r.chance(p) {
		g.deny(tp)
	}
	return e.appendJSON(b, r)
}

func orNil(b, dflt []byte) []byte {
	if len(b) == 0 {
		return dflt
	}
	return b
}

// deny turns the event into the AccessDenied (or, for EC2,
// Client.UnauthorizedOperation) its caller would get.
func (g *fileGen) deny(tp *tmpl) {
	e := &g.e
	e.resp = nil
	m := e.msgBuf[:0]
	switch tp.prefix {
	case "ec2":
		e.errCode = "Client.UnauthorizedOperation"
		m = append(m, "You are not authorized to perform this operation. "...)
		if tp.write {
			m = append(m, "Encoded authorization failure message: "...)
			m = g.r.appendChars(m, alnumChars+"-_", 180)
			break
		}
		m = append(m, "User: "...)
		m = e.appendCallerARN(m)
		m = append(m, " is not authorized to perform: "...)
		m = append(m, tp.action...)
		m = append(m, " because no identity-based policy allows the "...)
		m = append(m, tp.action...)
		m = append(m, " action"...)
	case "s3":
		e.errCode = "AccessDenied"
		m = append(m, "Access Denied"...)
	default:
		e.errCode = "AccessDenied"
		m = append(m, "User: "...)
		m = e.appendCallerARN(m)
		m = append(m, " is not authorized to perform: "...)
		m = append(m, tp.action...)
		m = append(m, " on resource: "...)
		if tp.global {
			m = append(m, "arn:aws:"...)
			m = append(m, tp.prefix...)
			m = append(m, "::"...)
		} else {
			m = append(m, "arn:aws:"...)
			m = append(m, tp.prefix...)
			m = append(m, ':')
			m = append(m, e.region...)
			m = append(m, ':')
		}
		m = append(m, e.recipient...)
		m = append(m, ":*"...)
		m = append(m, " because no identity-based policy allows the "...)
		m = append(m, tp.action...)
		m = append(m, " action"...)
	}
	e.msgBuf, e.errMsg = m, m
}

// fail sets a service-specific error (not a permissions one).
func (g *fileGen) fail(code, msg string) {
	e := &g.e
	e.errCode = code
	e.errMsg = nil
	if msg != "" {
		e.msgBuf = append(e.msgBuf[:0], msg...)
		e.errMsg = e.msgBuf
	}
	g.resp.reset()
}

// humanActivity is how busy people are at unix time t, from 0 to 1:
// weekdays from 06:00 to 22:00 UTC, much less at night and at weekends.
func humanActivity(t int64) float64 {
	f := 1.0
	if h := t % day / hour; h < 6 || h >= 22 {
		f = 0.2
	}
	if wd := (t/day + 4) % 7; wd == 0 || wd == 6 {
		f *= 0.3
	}
	return f
}
