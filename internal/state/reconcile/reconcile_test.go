package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reduce"
	"github.com/trailwarden/trailwarden/internal/state/snapshot"
	"github.com/trailwarden/trailwarden/internal/state/sqlitestate"
)

const (
	acct   = "111122223333"
	region = "us-east-1"
)

// takenAt is when the test snapshots were taken: after the test events.
var takenAt = time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *sqlitestate.Store {
	t.Helper()
	s, err := sqlitestate.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testdata reads snapshot files of package snapshot's testdata.
func testdata(t *testing.T, o snapshot.ReadOptions, files ...string) []snapshot.Document {
	t.Helper()
	o.TakenAt = takenAt
	var docs []snapshot.Document
	for _, f := range files {
		d, err := snapshot.ReadFile(filepath.Join("..", "snapshot", "testdata", f), o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d...)
	}
	return docs
}

// record applies the step of one CloudTrail event at time at.
func record(t *testing.T, s state.Store, id, source, name string, at time.Time, req, resp string) {
	t.Helper()
	raw := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::%[1]s:user/ops","accountId":"%[1]s","userName":"ops"},"eventTime":%[2]q,"eventSource":%[3]q,"eventName":%[4]q,"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","requestParameters":%[5]s,"responseElements":%[6]s,"requestID":"r-%[7]s","eventID":%[7]q,"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management"}`,
		acct, at.Format(time.RFC3339), source, name, req, resp, id)
	e, err := event.NewParser().Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	step, err := reduce.Step(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(t.Context(), []state.Step{step}); err != nil {
		t.Fatal(err)
	}
}

func runInstance(t *testing.T, s state.Store, evID, instance string, at time.Time) {
	t.Helper()
	record(t, s, evID, "ec2.amazonaws.com", "RunInstances", at,
		`{"instanceType":"t3.micro","instancesSet":{"items":[{"imageId":"ami-0c02fb55956c7d316","minCount":1,"maxCount":1}]}}`,
		`{"instancesSet":{"items":[{"instanceId":"`+instance+`","imageId":"ami-0c02fb55956c7d316","instanceType":"t2.micro","instanceState":{"code":0,"name":"pending"},"subnetId":"subnet-04a636d18e83cfacb","vpcId":"vpc-1a2b3c4d","privateIpAddress":"10.0.1.15","placement":{"availabilityZone":"us-east-1a"},"keyName":"ops-2024","iamInstanceProfile":{"arn":"arn:aws:iam::111122223333:instance-profile/web-profile"},"groupSet":{"items":[{"groupId":"sg-0b0384b66d7d692f9","groupName":"web"}]},"tagSet":{"items":[{"key":"Name","value":"web-1"}]}}]}}`)
}

func instanceID(id string) state.ResourceID {
	return state.ResourceID{Account: acct, Region: region, Type: reduce.TypeInstance, ID: id}
}

// outcomes renders a report's results one a line: "outcome key fields".
func outcomes(rep *Report) []string {
	var out []string
	for _, r := range rep.Resources {
		var fs []string
		for _, f := range r.Fields {
			if r.Outcome == Discovered {
				fs = append(fs, f.Key)
				continue
			}
			mark := ""
			if !f.Drift {
				mark = "~"
			}
			fs = append(fs, mark+f.Key)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", r.Outcome, r.Resource.Key(), strings.Join(fs, ","))))
	}
	return out
}

var allFiles = []string{"describe-instances.json", "describe-security-groups.json", "describe-vpcs.json",
	"get-account-authorization-details.json", "list-buckets.json", "logs-bucket.get-bucket-policy.json",
	"logs-bucket.get-bucket-acl.json", "logs-bucket.get-public-access-block.json", "logs-bucket.get-bucket-encryption.json",
	"list-functions.json"}

func TestReconcileDiscoversAndIsIdempotent(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	docs := testdata(t, snapshot.ReadOptions{Account: acct, Region: region}, allFiles...)
	rep, err := Reconcile(ctx, s, docs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"discovered 111122223333/us-east-1/AWS::EC2::Instance/i-0598c7d356eba48d7 availabilityZone,imageId,instanceId,instanceProfile,instanceType,keyName,metadataOptions,privateIpAddress,securityGroups,state,subnetId,tags,vpcId",
		"discovered 111122223333/us-east-1/AWS::EC2::SecurityGroup/sg-0b0384b66d7d692f9 description,egress,groupName,ingress,tags,vpcId",
		"discovered 111122223333/us-east-1/AWS::EC2::SecurityGroup/sg-0c1d2e3f4a5b6c7d8 description,egress,groupName,ingress,vpcId",
		"discovered 111122223333/us-east-1/AWS::EC2::VPC/vpc-1a2b3c4d cidrBlock,cidrBlockAssociations,dhcpOptionsId,instanceTenancy,isDefault,state,tags,vpcId",
		"discovered 111122223333/us-east-1/AWS::EC2::VPC/vpc-0e9801d129EXAMPLE cidrBlock,cidrBlockAssociations,dhcpOptionsId,instanceTenancy,isDefault,state,vpcId",
		"discovered 111122223333/global/AWS::IAM::User/alice arn,attachedPolicies,groups,inlinePolicies,path,tags,userId,userName",
		"discovered 111122223333/global/AWS::IAM::User/ci-deployer arn,attachedPolicies,path,permissionsBoundary,userId,userName",
		"discovered 111122223333/global/AWS::IAM::Role/app-role arn,assumeRolePolicyDocument,inlinePolicies,path,roleId,roleName",
		"discovered 111122223333/global/AWS::IAM::Group/admins arn,attachedPolicies,groupId,groupName,path",
		"discovered 111122223333/global/AWS::IAM::Policy/deploy-policy arn,defaultVersionId,document,path,policyId,policyName,versions",
		"discovered 111122223333/global/AWS::S3::Bucket/logs-bucket acl,encryption,name,policy,publicAccessBlock,region",
		"discovered 111122223333/global/AWS::S3::Bucket/data.example.com name,region",
		"discovered 111122223333/us-east-1/AWS::Lambda::Function/thumbnailer codeSha256,environmentKeys,functionArn,functionName,handler,layers,memorySize,role,runtime,timeout,vpcConfig",
		"discovered 111122223333/us-east-1/AWS::Lambda::Function/hello codeSha256,functionArn,functionName,handler,memorySize,role,runtime,timeout",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if rep.Counts != (Counts{Discovered: 14}) || rep.Steps != 14 || rep.Revisions != 14 || len(rep.Findings) != 14 {
		t.Errorf("counts %+v, steps %d, revisions %d, findings %d", rep.Counts, rep.Steps, rep.Revisions, len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if f.RuleID != RuleDiscovered || f.Severity != finding.Info || !strings.HasPrefix(f.EventID, "reconcile:") {
			t.Errorf("finding %+v", f)
		}
	}

	// the bucket's state merges the list and the four per-bucket calls
	rev, err := s.At(ctx, state.ResourceID{Account: acct, Region: "global", Type: reduce.TypeBucket, ID: "logs-bucket"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rev.Provenance.EventName != EventDiscovered || rev.Provenance.EventSource != EventSource ||
		rev.Provenance.Actor != Actor || !rev.Provenance.EventTime.Equal(takenAt) {
		t.Errorf("provenance %+v", rev.Provenance)
	}
	if rev.State["acl"] != "public-read" || rev.State["region"] != "us-east-1" {
		t.Errorf("bucket state %v", rev.State)
	}

	// the same snapshot again changes nothing
	again, err := Reconcile(ctx, s, docs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if again.Counts != (Counts{Unchanged: 14}) || again.Steps != 0 || again.Revisions != 0 || len(again.Findings) != 0 {
		t.Errorf("second run: counts %+v, steps %d, findings %d: %q", again.Counts, again.Steps, len(again.Findings), outcomes(again))
	}
	for _, r := range rep.Resources {
		h, err := s.History(ctx, r.Resource)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Revisions) != 1 {
			t.Errorf("%s: %d revisions after two runs, want 1", r.Resource, len(h.Revisions))
		}
	}
}

func TestReconcileDriftAfterEvents(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	t0 := time.Date(2024, 3, 4, 9, 12, 44, 0, time.UTC)
	runInstance(t, s, "ev-run", "i-0598c7d356eba48d7", t0)
	record(t, s, "ev-sg", "ec2.amazonaws.com", "CreateSecurityGroup", t0.Add(-time.Hour),
		`{"groupName":"web","groupDescription":"web tier","vpcId":"vpc-1a2b3c4d"}`, `{"_return":true,"groupId":"sg-0b0384b66d7d692f9"}`)
	record(t, s, "ev-auth", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", t0.Add(-time.Hour+time.Minute),
		`{"groupId":"sg-0b0384b66d7d692f9","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0","description":"HTTPS from anywhere"}]}}]}}`,
		`{"_return":true,"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0443","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"0.0.0.0/0"}]}}`)
	record(t, s, "ev-bucket", "s3.amazonaws.com", "CreateBucket", t0, `{"bucketName":"logs-bucket","Host":"logs-bucket.s3.amazonaws.com"}`, `null`)
	record(t, s, "ev-iam", "iam.amazonaws.com", "CreateUser", t0, `{"userName":"alice"}`,
		`{"user":{"userName":"alice","path":"/","arn":"arn:aws:iam::111122223333:user/alice","userId":"AIDA4EXAMPLEALICE0001","createDate":"Mar 4, 2024 9:12:44 AM"}}`)
	record(t, s, "ev-attach", "iam.amazonaws.com", "AttachUserPolicy", t0.Add(time.Second),
		`{"userName":"alice","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, `null`)

	docs := testdata(t, snapshot.ReadOptions{Account: acct, Region: region}, "describe-instances.json", "describe-security-groups.json",
		"list-buckets.json", "logs-bucket.get-bucket-acl.json", "logs-bucket.get-bucket-encryption.json")
	opts := DefaultOptions()
	opts.DriftSeverity = finding.High
	rep, err := Reconcile(ctx, s, docs, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		// t2.micro in the event, t3.micro now; pending → running is AWS's own
		"drift 111122223333/us-east-1/AWS::EC2::Instance/i-0598c7d356eba48d7 instanceType,~metadataOptions,~state,tags",
		// a new IPv6 rule, a rule from the bastion and a tag; the IPv4 rule is the same
		"drift 111122223333/us-east-1/AWS::EC2::SecurityGroup/sg-0b0384b66d7d692f9 ingress,tags",
		"discovered 111122223333/us-east-1/AWS::EC2::SecurityGroup/sg-0c1d2e3f4a5b6c7d8 description,egress,groupName,ingress,vpcId",
		// the ACL became public-read; SSE-KMS is no default
		"drift 111122223333/global/AWS::S3::Bucket/logs-bucket acl,encryption",
		"discovered 111122223333/global/AWS::S3::Bucket/data.example.com name,region",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	var drift []string
	for _, f := range rep.Findings {
		if f.RuleID == RuleDrift {
			drift = append(drift, f.Summary)
			if f.Severity != finding.High || f.ID != finding.ID(RuleDrift, f.EventID) {
				t.Errorf("drift finding %+v", f)
			}
		}
	}
	if len(drift) != 3 || !strings.Contains(drift[0], "i-0598c7d356eba48d7 (111122223333/us-east-1) differs from its event-derived state in instanceType, tags") {
		t.Errorf("drift findings %q", drift)
	}

	// history: the event's revision, then the drift's
	h, err := s.History(ctx, instanceID("i-0598c7d356eba48d7"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range h.Revisions {
		names = append(names, r.Provenance.EventName)
	}
	if diff := cmp.Diff([]string{"RunInstances", EventDrift}, names); diff != "" {
		t.Fatalf("revisions (-want +got):\n%s", diff)
	}
	cur := h.Current().State
	if cur["instanceType"] != "t3.micro" || cur["state"] != "running" || fmt.Sprint(cur["tags"]) != "map[Name:web-1 env:prod]" {
		t.Errorf("state after drift %v", cur)
	}

	// the rule id learnt from the Authorize response survives the rewrite of ingress
	rev, err := s.At(ctx, state.ResourceID{Account: acct, Region: region, Type: reduce.TypeSecurityGroup, ID: "sg-0b0384b66d7d692f9"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ing, _ := json.Marshal(rev.State["ingress"])
	if !strings.Contains(string(ing), `"tcp:443-443:cidrIpv4:0.0.0.0/0":{"cidrIpv4":"0.0.0.0/0","description":"HTTPS from anywhere","fromPort":443,"protocol":"tcp","ruleId":"sgr-0443","toPort":443}`) {
		t.Errorf("ingress after drift %s", ing)
	}
	// alice was not in these documents: the IAM listing was not given
	if rev, err := s.At(ctx, state.ResourceID{Account: acct, Region: "global", Type: reduce.TypeUser, ID: "alice"}, time.Time{}); err != nil || rev.Provenance.EventName != "AttachUserPolicy" {
		t.Errorf("alice: %v %v", rev, err)
	}

	// now the IAM listing: alice's admin policy was swapped for ReadOnlyAccess
	// outside CloudTrail; ids learnt are a refresh
	rep, err = Reconcile(ctx, s, testdata(t, snapshot.ReadOptions{}, "get-account-authorization-details.json"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep)[0]; got != "drift 111122223333/global/AWS::IAM::User/alice attachedPolicies,groups,inlinePolicies,tags" {
		t.Errorf("alice: %s", got)
	}
	if f := rep.Resources[0].Fields[0]; fmt.Sprint(f.Before) != "map[arn:aws:iam::aws:policy/AdministratorAccess:arn:aws:iam::aws:policy/AdministratorAccess]" ||
		fmt.Sprint(f.After) != "map[arn:aws:iam::aws:policy/ReadOnlyAccess:arn:aws:iam::aws:policy/ReadOnlyAccess]" {
		t.Errorf("attachedPolicies before %v after %v", f.Before, f.After)
	}
}

func TestReconcileDeletedUnobserved(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	t0 := time.Date(2024, 3, 4, 7, 0, 0, 0, time.UTC)
	runInstance(t, s, "ev-1", "i-0598c7d356eba48d7", t0)
	runInstance(t, s, "ev-2", "i-0fd6a8a0b3b4c5d6e", t0) // terminated in the snapshot
	runInstance(t, s, "ev-3", "i-0gone", t0)             // not in the snapshot at all
	runInstance(t, s, "ev-4", "i-0later", takenAt.Add(time.Hour))
	// another region: not covered
	other := state.ResourceID{Account: acct, Region: "eu-west-1", Type: reduce.TypeInstance, ID: "i-0eu"}
	if _, err := s.Apply(ctx, []state.Step{{Provenance: state.Provenance{EventID: "ev-eu", EventName: "RunInstances", EventTime: t0},
		Changes: []state.Change{{Resource: other, Op: state.OpPut, Value: map[string]any{"state": "running"}}}}}); err != nil {
		t.Fatal(err)
	}
	docs := testdata(t, snapshot.ReadOptions{}, "describe-instances.json")

	partial := DefaultOptions()
	partial.Partial, partial.DryRun = true, true
	rep, err := Reconcile(ctx, s, docs, partial)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.DeletedUnobserved != 0 {
		t.Errorf("partial: %q", outcomes(rep))
	}

	dry := DefaultOptions()
	dry.DryRun = true
	rep, err = Reconcile(ctx, s, docs, dry)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"drift 111122223333/us-east-1/AWS::EC2::Instance/i-0598c7d356eba48d7 instanceType,~metadataOptions,~state,tags",
		"deleted-unobserved 111122223333/us-east-1/AWS::EC2::Instance/i-0fd6a8a0b3b4c5d6e",
		"deleted-unobserved 111122223333/us-east-1/AWS::EC2::Instance/i-0gone",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if !rep.DryRun || rep.Steps != 3 {
		t.Errorf("dry run: steps %d", rep.Steps)
	}
	if h, _ := s.History(ctx, instanceID("i-0gone")); len(h.Revisions) != 1 {
		t.Errorf("dry run recorded: %+v", h.Revisions)
	}

	rep, err = Reconcile(ctx, s, docs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	var low int
	for _, f := range rep.Findings {
		if f.RuleID == RuleDeletedUnobserved && f.Severity == finding.Low {
			low++
		}
	}
	if low != 2 {
		t.Errorf("findings %+v", rep.Findings)
	}
	h, err := s.History(ctx, instanceID("i-0gone"))
	if err != nil {
		t.Fatal(err)
	}
	if cur := h.Current(); !cur.Deleted || cur.Provenance.EventName != EventDeletedUnobserved || !cur.Provenance.EventTime.Equal(takenAt) {
		t.Errorf("i-0gone: %+v", cur)
	}
	for _, id := range []state.ResourceID{instanceID("i-0later"), other} {
		if rev, err := s.At(ctx, id, time.Time{}); err != nil || rev.Deleted {
			t.Errorf("%s: %+v %v", id, rev, err)
		}
	}
	// again: nothing new
	rep, err = Reconcile(ctx, s, docs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps != 0 {
		t.Errorf("second run: %q", outcomes(rep))
	}
}

func TestReconcileBadDocument(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	docs := []snapshot.Document{
		{Kind: snapshot.EC2VPCs, Account: acct, Region: region, TakenAt: takenAt, Source: "bad.json", Data: json.RawMessage(`{"Vpcs":[{"VpcId":42}]}`)},
		{Kind: snapshot.KMSKeys, Account: acct, Region: region, TakenAt: takenAt, Source: "kms.json", Data: json.RawMessage(`{"Keys":[]}`)},
	}
	docs = append(docs, testdata(t, snapshot.ReadOptions{}, "list-functions.json")...)
	rep, err := Reconcile(ctx, s, docs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Source != "bad.json" || !strings.Contains(rep.Errors[0].Error, "Vpcs[0].VpcId: is a number, want a string") {
		t.Errorf("errors %+v", rep.Errors)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Kind != snapshot.KMSKeys {
		t.Errorf("skipped %+v", rep.Skipped)
	}
	if rep.Counts.Discovered != 2 {
		t.Errorf("the good document was not reconciled: %q", outcomes(rep))
	}
}

func TestReconcileCancelled(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Reconcile(ctx, s, testdata(t, snapshot.ReadOptions{}, "list-functions.json"), DefaultOptions()); err == nil {
		t.Fatal("no error with a cancelled context")
	}
}

// TestReconcileOnApplied checks that the revisions of each Apply reach
// OnApplied, with the document that made them, and that its error stops
// reconciliation before the next document is recorded.
func TestReconcileOnApplied(t *testing.T) {
	ctx := t.Context()
	files := []string{"describe-instances.json", "describe-security-groups.json", "list-functions.json"}
	docs := testdata(t, snapshot.ReadOptions{Account: acct, Region: region}, files...)

	type call struct {
		Source    string
		Resources []string // key and change operation of each revision
	}
	var calls []call
	collect := func(_ context.Context, source string, applied []state.Applied) error {
		c := call{Source: filepath.Base(source)}
		for _, a := range applied {
			c.Resources = append(c.Resources, a.Resource.ID+" "+a.Operation()+" by "+a.After.Provenance.EventName)
		}
		calls = append(calls, c)
		return nil
	}

	t.Run("one call per document that made revisions", func(t *testing.T) {
		s := openStore(t)
		opts := DefaultOptions()
		opts.OnApplied = collect
		calls = nil
		// the dry run records nothing, so nothing is applied
		opts.DryRun = true
		if _, err := Reconcile(ctx, s, docs, opts); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 0 {
			t.Fatalf("dry run: OnApplied called %d times", len(calls))
		}
		opts.DryRun = false
		rep, err := Reconcile(ctx, s, docs, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := []call{
			{"describe-instances.json", []string{"i-0598c7d356eba48d7 create by " + EventDiscovered}},
			{"describe-security-groups.json", []string{
				"sg-0b0384b66d7d692f9 create by " + EventDiscovered,
				"sg-0c1d2e3f4a5b6c7d8 create by " + EventDiscovered,
			}},
			{"list-functions.json", []string{"hello create by " + EventDiscovered, "thumbnailer create by " + EventDiscovered}},
		}
		if d := cmp.Diff(want, calls); d != "" {
			t.Errorf("OnApplied calls (-want +got):\n%s", d)
		}
		if rep.Revisions != 5 {
			t.Errorf("%d revisions, want 5", rep.Revisions)
		}
		// the same snapshot again makes no revision: no call
		calls = nil
		if _, err := Reconcile(ctx, s, docs, opts); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 0 {
			t.Errorf("second run: OnApplied calls %+v", calls)
		}
	})

	t.Run("an error stops before the next document", func(t *testing.T) {
		s := openStore(t)
		opts := DefaultOptions()
		boom := errors.New("rules unavailable")
		opts.OnApplied = func(context.Context, string, []state.Applied) error { return boom }
		rep, err := Reconcile(ctx, s, docs, opts)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "describe-instances.json") {
			t.Fatalf("error %v, want it to wrap %v and name the document", err, boom)
		}
		if rep.Revisions != 1 {
			t.Errorf("%d revisions recorded, want 1 (the first document's)", rep.Revisions)
		}
		list, err := s.List(ctx, state.Filter{Type: reduce.TypeSecurityGroup})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 0 {
			t.Errorf("%d security groups recorded after the error, want none", len(list))
		}
	})
}
