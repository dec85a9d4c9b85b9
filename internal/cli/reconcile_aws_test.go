package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/state/reconcile"
	"github.com/trailwarden/trailwarden/internal/state/snapshot/live/awsfake"
)

// statePack loads only the built-in state-aware rules (rules/state.yaml):
// the rule on security groups of running instances is among them.
var statePack = []string{"--no-builtin", "--rules", filepath.Join("..", "..", "rules", "state.yaml")}

// sgRule is the built-in rule on security groups opened on an admin port
// while a running instance uses them.
const sgRule = "aws-state-sg-admin-port-open-on-running-instance"

// fakeAWSEnv starts the AWS fake and points the SDK's default
// configuration at it through the environment only, as a user would: its
// endpoint, static credentials, a region, and empty config and
// credentials files so that the developer's own are never read.
func fakeAWSEnv(t *testing.T) *awsfake.Server {
	t.Helper()
	f := awsfake.New(t)
	empty := writeFile(t, t.TempDir(), "empty", nil)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            f.URL,
		"AWS_ACCESS_KEY_ID":           awsfake.BaseKey,
		"AWS_SECRET_ACCESS_KEY":       awsfake.BaseSecret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return f
}

// inFakeAccount moves a record of cli_test.go's account into the fake's.
func inFakeAccount(rec string) string {
	return strings.ReplaceAll(rec, "123837392027", awsfake.BaseAccount)
}

// fakeGroupCreated creates the fake's group sg-us-east-1-1 with no ingress
// rule and no tags: the fake shows it with SSH open to the world and a tag.
func fakeGroupCreated(n int) string {
	return inFakeAccount(record{ID: eventID(n), Source: "ec2.amazonaws.com", Name: "CreateSecurityGroup",
		Params:   `{"groupName":"web-1","groupDescription":"web","vpcId":"vpc-us-east-1"}`,
		Response: `{"requestId":"r-1","_return":true,"groupId":"sg-us-east-1-1"}`}.String())
}

// fakeInstanceLaunched launches the fake's instance i-us-east-1-1 in that
// group as an m5.large: the fake shows it as a running t3.micro.
func fakeInstanceLaunched(n int) string {
	return inFakeAccount(record{ID: eventID(n), Source: "ec2.amazonaws.com", Name: "RunInstances",
		Params: `{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":1}]},"instanceType":"m5.large"}`,
		Response: `{"instancesSet":{"items":[{"instanceId":"i-us-east-1-1","imageId":"ami-1","instanceType":"m5.large",` +
			`"instanceState":{"code":0,"name":"pending"},"vpcId":"vpc-us-east-1","placement":{"availabilityZone":"us-east-1a"},` +
			`"iamInstanceProfile":{"arn":"arn:aws:iam::111111111111:instance-profile/web"},` +
			`"groupSet":{"items":[{"groupId":"sg-us-east-1-1","groupName":"web-1"}]},"tagSet":{"items":[{"key":"Name","value":"web-1"}]}}]}}`}.String())
}

// decodeReport decodes the JSON report of a run.
func decodeReport(t *testing.T, r result) *reconcile.Report {
	t.Helper()
	var rep reconcile.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, r.stdout)
	}
	return &rep
}

// resultOf returns the result of the resource with id.
func resultOf(t *testing.T, rep *reconcile.Report, id string) reconcile.Result {
	t.Helper()
	for _, r := range rep.Resources {
		if r.Resource.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return reconcile.Result{}
}

// TestReconcileAWS runs trailwarden reconcile --aws end to end against the
// AWS fake, through the SDK's default configuration: after a scan of
// CloudTrail events that created a group and launched an instance in it,
// the live snapshot shows the instance resized and SSH opened on the
// group. Drift is recorded and reported, the built-in state rule fires on
// the group's new revision, the saved bundle reconciles again to nothing,
// more regions add their resources, and a failed bucket call is reported
// while the rest is reconciled.
func TestReconcileAWS(t *testing.T) {
	isolate(t)
	f := fakeAWSEnv(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	logs := writeFile(t, dir, "logs/events.json", []byte(logFile(fakeGroupCreated(1), fakeInstanceLaunched(2))))
	r := runCLI(t, append(append([]string{"scan", "--no-store", "--state", db, "--format", "jsonl"}, loggingPack...), logs)...)
	r.wantCode(t, ExitOK)

	// the built-in rules (no rule flag): drift and the rule's finding
	bundle := filepath.Join(dir, "snapshot.jsonl")
	r = runCLI(t, "reconcile", "--aws", "--state", db, "--format", "json", "--save", bundle)
	r.wantCode(t, ExitFindings)
	rep := decodeReport(t, r)
	if !strings.Contains(r.stderr, "snapshot of live AWS: 18 documents") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if len(rep.Errors) != 0 || rep.Documents != 18 {
		t.Errorf("errors %+v, %d documents", rep.Errors, rep.Documents)
	}
	// 2 instances, 2 groups, the VPC, alice, admins, web (role), admin
	// (policy), 3 buckets, 2 functions: all but 2 unknown to the events
	if rep.Counts != (reconcile.Counts{Discovered: 12, Drift: 2}) {
		t.Errorf("counts %+v", rep.Counts)
	}
	inst := resultOf(t, rep, "i-us-east-1-1")
	wantInst := []reconcile.Field{
		{Key: "instanceType", Before: "m5.large", After: "t3.micro", Drift: true},
		{Key: "state", Before: "pending", After: "running"},
	}
	if inst.Outcome != reconcile.Drift || !cmp.Equal(wantInst, inst.Fields) {
		t.Errorf("instance: %s, fields (-want +got):\n%s", inst.Outcome, cmp.Diff(wantInst, inst.Fields))
	}
	group := resultOf(t, rep, "sg-us-east-1-1")
	var keys []string
	for _, fl := range group.Fields {
		keys = append(keys, fl.Key)
		if fl.Key == "ingress" && (!fl.Drift || fl.Before == nil || !strings.Contains(short(fl.After), "tcp:22-22:cidrIpv4:0.0.0.0/0")) {
			t.Errorf("group ingress field %+v", fl)
		}
	}
	if group.Outcome != reconcile.Drift || !slices.Equal(keys, []string{"ingress", "tags"}) {
		t.Errorf("group: %s, fields %q", group.Outcome, keys)
	}
	var sg []finding.Finding
	for _, fd := range rep.RuleFindings {
		if fd.RuleID == sgRule {
			sg = append(sg, fd)
		}
	}
	if len(sg) != 1 || sg[0].Severity != finding.High || !slices.Equal(sg[0].Resources, []string{"sg-us-east-1-1"}) ||
		!strings.Contains(sg[0].Summary, "opened sg-us-east-1-1 to the Internet on an admin port") || !strings.Contains(sg[0].Summary, "i-us-east-1-1") || sg[0].Origin != "aws:111111111111/us-east-1" ||
		sg[0].EventSource != "trailwarden.state" || sg[0].Account != awsfake.BaseAccount {
		t.Errorf("%s findings %+v", sgRule, sg)
	}
	if len(rep.RuleErrors) != 0 {
		t.Errorf("rule errors %q", rep.RuleErrors)
	}

	// the saved bundle is the same snapshot: nothing new, no finding
	r = runCLI(t, append([]string{"reconcile", "--state", db, "--format", "json", bundle}, statePack...)...)
	r.wantCode(t, ExitOK)
	rep = decodeReport(t, r)
	if rep.Documents != 18 || rep.Counts != (reconcile.Counts{Unchanged: 14}) || rep.Steps != 0 || rep.Revisions != 0 ||
		len(rep.Findings) != 0 || len(rep.RuleFindings) != 0 {
		t.Errorf("bundle again: %d documents, counts %+v, %d steps, %d revisions, %d findings, %d rule findings",
			rep.Documents, rep.Counts, rep.Steps, rep.Revisions, len(rep.Findings), len(rep.RuleFindings))
	}

	// two regions: eu-west-1's resources are new, us-east-1's unchanged
	before := len(f.Calls("ec2", "DescribeInstances"))
	r = runCLI(t, append([]string{"reconcile", "--aws", "--regions", "us-east-1,eu-west-1", "--state", db, "--format", "json"}, statePack...)...)
	rep = decodeReport(t, r)
	var discovered []string
	for _, res := range rep.Resources {
		if res.Outcome == reconcile.Discovered {
			discovered = append(discovered, res.Resource.Region+" "+res.Resource.ID)
		}
	}
	slices.Sort(discovered)
	wantNew := []string{"eu-west-1 fn-eu-west-1-1", "eu-west-1 fn-eu-west-1-2", "eu-west-1 i-eu-west-1-1", "eu-west-1 i-eu-west-1-2",
		"eu-west-1 sg-eu-west-1-1", "eu-west-1 sg-eu-west-1-2", "eu-west-1 vpc-eu-west-1"}
	if d := cmp.Diff(wantNew, discovered); d != "" || rep.Counts.Unchanged != 14 || rep.Counts.Drift != 0 {
		t.Errorf("two regions: counts %+v, discovered (-want +got):\n%s", rep.Counts, d)
	}
	perRegion := map[string]int{}
	for _, c := range f.Calls("ec2", "DescribeInstances")[before:] {
		perRegion[c.Region]++
	}
	if d := cmp.Diff(map[string]int{"us-east-1": 2, "eu-west-1": 2}, perRegion); d != "" { // two pages each
		t.Errorf("DescribeInstances per region (-want +got):\n%s", d)
	}
	// eu-west-1's sg-eu-west-1-1 is new, open to SSH, and its instances run
	if r.code != ExitFindings || len(rep.RuleFindings) != 1 || rep.RuleFindings[0].Resources[0] != "sg-eu-west-1-1" {
		t.Errorf("two regions: exit %d, rule findings %+v\nstderr:\n%s", r.code, rep.RuleFindings, r.stderr)
	}

	// a bucket call fails: reported, exit 2, the rest recorded (a new
	// store, so that there is something to record); as text
	f.Fail("s3:GetBucketAcl/broken-"+awsfake.BaseAccount, "AccessDenied")
	r = runCLI(t, append([]string{"reconcile", "--aws", "--state", filepath.Join(dir, "fresh.db")}, statePack...)...)
	r.wantCode(t, ExitError)
	for _, want := range []string{"s3:GetBucketAcl account 111111111111 region us-east-1 bucket broken-111111111111", "AccessDenied",
		"1 snapshot file(s) or document(s) could not be read; the others were reconciled"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, want := range []string{"14 resources in 17 documents: 14 discovered", "; 1 rule findings",
		"high      " + sgRule + "  sg-us-east-1-1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh.db")); err != nil {
		t.Errorf("the partial snapshot was not recorded: %v", err)
	}
}
