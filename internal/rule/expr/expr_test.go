package expr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/trailwarden/trailwarden/internal/event"
)

const rec = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice"},"eventTime":"2024-03-05T03:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","eventID":"e1","requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]},"policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::444455556666:root\",\"*\"]},\"Action\":\"s3:GetObject\"}]}"},"responseElements":null}`

func TestEval(t *testing.T) {
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.NewParser().Parse([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	params := Params(map[string]any{"ports": []any{22, 3389}, "regions": []any{"us-east-1"}})
	var a Activation
	a.Reset(e, params)
	cases := []struct {
		src  string
		want bool
		err  error
	}{
		{`event.requestParameters.ipPermissions.items.exists(p, p.fromPort <= 22 && p.toPort >= 22 && p.ipRanges.items.exists(r, isWorldCIDR(r.cidrIp)))`, true, nil},
		{`event.requestParameters.ipPermissions.items.exists(p, p.fromPort in params.ports)`, true, nil},
		{`!(event.awsRegion in params.regions)`, true, nil},
		{`event.userIdentity.type == "IAMUser" && actor == "arn:aws:iam::111122223333:user/alice"`, true, nil},
		{`timestamp(event.eventTime).getHours("UTC") < 8`, true, nil},
		{`policyAllowsPublic(event.requestParameters.policy)`, true, nil},
		{`policyPrincipalAccounts(parseJSON(event.requestParameters.policy)) == ["444455556666"]`, true, nil},
		{`has(event.requestParameters.missing)`, false, nil},
		{`event.?requestParameters.?missing.orValue("d") == "d"`, true, nil},
		{`event.requestParameters.missing == "x"`, false, ErrNoData},
		{`event.responseElements.x == "y"`, false, ErrNoData},
		{`globMatch("*Admin*", "MyAdminRole") && !globMatch("a?c", "abbc")`, true, nil},
		{`globMatchFold("*SQLMAP*", "python sqlmap/1.7") && !globMatchFold("a*", "b")`, true, nil},
		{`cel.bind(ua, event.userIdentity.userName.upperAscii(), ua == "ALICE")`, true, nil},
		{`globMatchAny(["sg-9", "sg-*"], event.requestParameters.groupId) && !globMatchAny([], "x") && globMatchAnyFold(["*SG-1"], "sg-1")`, true, nil},
		{`arnAccount("arn:aws:iam::444455556666:role/x") == "444455556666"`, true, nil},
		{`event.requestParameters == event.requestParameters`, true, nil},
		{`size(event.requestParameters) == 3`, true, nil},
	}
	for _, c := range cases {
		p, err := env.Compile(c.src, cel.BoolType)
		if err != nil {
			t.Fatalf("compile %s: %v", c.src, err)
		}
		got, err := p.EvalBool(&a)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err = %v, want %v", c.src, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.src, got, err, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	env, _ := NewEnv()
	for _, src := range []string{`event.eventName ==`, `undefinedVar == 1`, `1 + "a"`, `"not a bool"`,
		// Unbounded with event data: refused when loaded.
		`event.userAgent.replace("", event.userAgent) == ""`,
		`event.userAgent.replace(event.eventName, "x") == ""`,
		`event.requestParameters.a.distinct().size() > 1`,
		`event.userAgent.indexOf(event.eventName) > 0`,
		`event.userAgent.matches(event.eventName)`,
		`matches(event.userAgent, event.eventName)`,
		`sets.contains(event.requestParameters.a, event.requestParameters.b)`,
	} {
		_, err := env.Compile(src, cel.BoolType)
		var ce *CompileError
		if !errors.As(err, &ce) || len(ce.Issues) == 0 {
			t.Errorf("Compile(%q) err = %v, want a CompileError", src, err)
		}
	}
}

func TestBoundedAllowed(t *testing.T) {
	env, _ := NewEnv()
	for _, src := range []string{
		`event.userAgent.replace("a", "bb") != ""`,
		`event.userAgent.indexOf("boto") >= 0`,
		`event.userAgent.matches("^aws-cli/")`,
		`event.userAgent.matches(params.re)`,
		`sets.contains(event.requestParameters.a, ["x", "y"])`,
	} {
		if _, err := env.Compile(src, cel.BoolType); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

func TestCostLimit(t *testing.T) {
	env, _ := NewEnv()
	e, _ := event.NewParser().Parse([]byte(rec))
	var a Activation
	a.Reset(e, Params(nil))
	for _, src := range []string{
		`lists.range(2000).all(i, lists.range(2000).all(j, i + j >= 0))`,
		`size(lists.range(100000000)) > 0`,
	} {
		p, err := env.Compile(src, cel.BoolType)
		if err != nil {
			if !strings.Contains(err.Error(), "over the limit") {
				t.Fatalf("compile %s: %v", src, err)
			}
			continue // refused when loaded: fine
		}
		if _, err := p.EvalBool(&a); err == nil || errors.Is(err, ErrNoData) {
			t.Fatalf("expensive expression %s: err = %v, want cost limit error", src, err)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{{"*", "", true}, {"t3.*", "t3.micro", true}, {"t3.*", "t3a.micro", false}, {"a*b*c", "axxbyyc", true}, {"a*b", "ab", true}, {"?", "", false}, {"Describe*", "DescribeInstances", true}, {"*admin*", "x-Admin", false}} {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

// TestCompiledGlobAgrees checks the substring matcher against Glob.
func TestCompiledGlobAgrees(t *testing.T) {
	pats := []string{"*", "**", "a*", "*a", "*a*", "a*b", "a*b*c", "*kali*", "abc", "", "a**b", "*ab*ab*", "x?z", "t3.*"}
	strs := []string{"", "a", "b", "ab", "abc", "aXbYc", "ba", "kali", "xkalix", "abab", "aab", "xyz", "t3.micro", "acb"}
	for _, p := range pats {
		for _, s := range strs {
			if got, want := compileGlob(p, false).match(s), Glob(p, s); got != want {
				t.Errorf("compiled %q on %q = %v, Glob says %v", p, s, got, want)
			}
		}
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("*a*b", "xaxb")
	f.Fuzz(func(t *testing.T, p, s string) {
		if got, want := compileGlob(p, false).match(s), Glob(p, s); got != want {
			t.Fatalf("compiled %q on %q = %v, Glob says %v", p, s, got, want)
		}
	})
}

func TestGlobFold(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{{"*Kali*", "botocore kali-linux", true}, {"PACU*", "pacu/1.0", true}, {"a?C", "Abc", true}, {"x*", "y", false}} {
		var buf [512]byte
		if got := compileGlob(c.p, true).match(lowerInto(buf[:], c.s)); got != c.want {
			t.Errorf("folded glob %q on %q = %v", c.p, c.s, got)
		}
	}
}

func TestPolicyAllowsPublic(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want bool
	}{
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}`, true},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject"}]}`, false},
		{`%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22%2A%22%7D%5D%7D`, true},
	} {
		env, _ := NewEnv()
		e, _ := event.NewParser().Parse([]byte(rec))
		var a Activation
		a.Reset(e, Params(map[string]any{"doc": c.doc}))
		p, err := env.Compile(`policyAllowsPublic(params.doc)`, cel.BoolType)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := p.EvalBool(&a); err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.doc, got, err, c.want)
		}
	}
}

func TestPrefilter(t *testing.T) {
	env, _ := NewEnv()
	e, _ := event.NewParser().Parse([]byte(rec)) // eu-west-1, IAMUser, AuthorizeSecurityGroupIngress
	params := map[string]any{"regions": []any{"us-east-1", "eu-west-1"}, "tools": []any{"*KALI*"}, "mixed": []any{"a", 1}}
	cases := []struct {
		src     string
		derived bool // a prefilter exists
		pass    bool // and it lets this event through
	}{
		{`event.awsRegion in params.regions && has(event.x)`, true, true},
		{`!(event.awsRegion in params.regions) && has(event.x)`, true, false},
		{`event.userIdentity.type == "Root"`, true, false},
		{`event.userIdentity.type != "Root" && event.eventName == "AuthorizeSecurityGroupIngress"`, true, true},
		{`(event.eventSource == "s3.amazonaws.com" || event.eventSource == "ec2.amazonaws.com")`, true, true},
		{`(event.eventSource == "s3.amazonaws.com" || event.eventSource == "iam.amazonaws.com")`, true, false},
		{`globMatchAnyFold(params.tools, event.userAgent)`, true, true}, // no userAgent: undecided
		{`globMatchAnyFold(params.tools, event.eventName)`, true, false},
		{`event.eventName.startsWith("Authorize") && event.awsRegion.endsWith("-1")`, true, true},
		{`(event.errorCode.startsWith("AccessDenied") || event.eventName.contains("Revoke"))`, true, true}, // no errorCode: undecided
		{`event.eventName.endsWith("Egress")`, true, false},
		{`event.awsRegion in params.mixed`, false, true}, // not only strings: left to CEL
		{`has(event.awsRegion) || event.awsRegion == "x"`, false, true},
		{`event.requestParameters.groupId == "sg-1"`, false, true}, // not a prefilter field
	}
	for _, c := range cases {
		p, err := env.Compile(c.src, cel.BoolType)
		if err != nil {
			t.Fatalf("compile %s: %v", c.src, err)
		}
		pf := p.Prefilter(params)
		if (pf != nil) != c.derived {
			t.Errorf("%s: prefilter derived = %v, want %v", c.src, pf != nil, c.derived)
			continue
		}
		if pf != nil && pf(e) != c.pass {
			t.Errorf("%s: prefilter = %v, want %v", c.src, pf(e), c.pass)
		}
	}
}

func TestBucketIsPublic(t *testing.T) {
	pub := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}}
	grant := map[string]any{"AccessControlList": map[string]any{"Grant": []any{
		map[string]any{"Grantee": map[string]any{"ID": "abc"}, "Permission": "FULL_CONTROL"},
		map[string]any{"Grantee": map[string]any{"URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"},
	}}}
	for _, tc := range []struct {
		name string
		st   map[string]any
		want bool
	}{
		{"empty", map[string]any{"name": "b"}, false},
		{"public policy", map[string]any{"policy": pub}, true},
		{"public policy, blocked", map[string]any{"policy": pub, "publicAccessBlock": map[string]any{"BlockPublicPolicy": true}}, false},
		{"public policy, restricted", map[string]any{"policy": pub, "publicAccessBlock": map[string]any{"RestrictPublicBuckets": "true"}}, false},
		{"canned public-read", map[string]any{"acl": "public-read"}, true},
		{"canned private", map[string]any{"acl": "private"}, false},
		{"grant to AllUsers", map[string]any{"acl": grant}, true},
		{"grant ignored", map[string]any{"acl": grant, "publicAccessBlock": map[string]any{"IgnorePublicAcls": true}}, false},
	} {
		if got := BucketIsPublic(tc.st); got != tc.want {
			t.Errorf("%s: BucketIsPublic = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// countingState serves two instances in eu-west-1 and counts reads.
type countingState struct{ lists, gets int }

func (c *countingState) Resource(account, region, typ, id string, _ time.Time) ([]byte, error) {
	c.gets++
	if region == "eu-west-1" && typ == "AWS::EC2::Instance" && id == "i-1" {
		return []byte(`{"instanceId":"i-1","state":"running","securityGroups":["sg-1"]}`), nil
	}
	return nil, nil
}

func (c *countingState) Resources(account, region, typ string, _ time.Time) ([][]byte, error) {
	c.lists++
	if region != "eu-west-1" || typ != "AWS::EC2::Instance" {
		return nil, nil
	}
	return [][]byte{[]byte(`{"instanceId":"i-1","state":"running","securityGroups":["sg-1"]}`), []byte(`{"instanceId":"i-2","state":"stopped"}`)}, nil
}

// TestStateFunctions: state.resource and state.resources read the event's
// account and region; a list is read once per event however often the
// expression asks; without a store they fail instead of answering empty.
func TestStateFunctions(t *testing.T) {
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.NewParser().Parse([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	st := &countingState{}
	var a Activation
	a.SetState(st)
	a.Reset(e, Params(nil))
	for _, src := range []string{
		`state.resource("AWS::EC2::Instance", "i-1").state == "running"`,
		`state.resource("AWS::EC2::Instance", "i-9") == null`,
		`state.resources("AWS::EC2::Instance").exists(i, i.?state.orValue("") == "running" && "sg-1" in i.?securityGroups.orValue([]))`,
		`[1, 2, 3].all(n, state.resources("AWS::EC2::Instance").size() == 2)`,
	} {
		p, err := env.Compile(src, nil)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got, err := p.EvalBool(&a); err != nil || !got {
			t.Errorf("%s = %v, %v", src, got, err)
		}
	}
	if st.lists != 1 {
		t.Errorf("%d list reads for one event, want 1", st.lists)
	}
	a.Reset(e, Params(nil)) // the next event reads again
	p, _ := env.Compile(`state.resources("AWS::EC2::Instance").size() == 2`, nil)
	if got, err := p.EvalBool(&a); err != nil || !got || st.lists != 2 {
		t.Errorf("after Reset: %v, %v, %d reads", got, err, st.lists)
	}
	a.SetState(nil)
	if _, err := p.EvalBool(&a); err == nil {
		t.Error("state.resources without a store succeeded")
	}
}
