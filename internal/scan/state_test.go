package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/scan"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/sqlitestate"
	"github.com/trailwarden/trailwarden/internal/store"
	"github.com/trailwarden/trailwarden/rules"
)

// stateRules loads the built-in state-aware rules (rules/state.yaml).
func stateRules(t *testing.T) *rule.Set {
	t.Helper()
	data, err := rules.FS.ReadFile("state.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rule.Load(rule.LoadOptions{Sources: []rule.Source{{Name: "builtin", FS: fstest.MapFS{"state.yaml": {Data: data}}, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// apiCall is a successful management event by caller (an IAM user name) in
// account 111122223333, us-east-1.
func apiCall(n int, at, caller, source, name, req, resp string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA%04d","arn":"arn:aws:iam::111122223333:user/%s",`+
		`"accountId":"111122223333","accessKeyId":"AKIA%04d","userName":"%s"},"eventTime":%q,"eventSource":%q,"eventName":%q,`+
		`"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":%s,"responseElements":%s,`+
		`"requestID":"req-%d","eventID":%q,"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}`,
		n, caller, n, caller, at, source, name, req, resp, n, eventID(n))
}

// TestRunKeepsState scans a trail in which an instance is launched into a
// group that is then opened to the world on SSH, a console password and an
// access key are given to another user, and two days pass without tags: the
// state-aware rules fire on the change stream and the after-scan checks;
// a record of an unexpected shape is reported and dead-lettered and the
// rest kept; a rescan adds nothing.
func TestRunKeepsState(t *testing.T) {
	dir := t.TempDir()
	const ec2, iam = "ec2.amazonaws.com", "iam.amazonaws.com"
	trail := logFile(
		apiCall(1, "2024-03-01T00:00:00Z", "alice", ec2, "RunInstances",
			`{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":1}]},"instanceType":"t3.micro"}`,
			`{"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-1","instanceState":{"code":0,"name":"pending"},"instanceType":"t3.micro","launchTime":1709251200000,"groupSet":{"items":[{"groupId":"sg-1"}]}}]}}`),
		apiCall(2, "2024-03-01T01:00:00Z", "alice", ec2, "AuthorizeSecurityGroupIngress",
			`{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`,
			`{"_return":true}`),
		apiCall(3, "2024-03-01T01:10:00Z", "alice", iam, "CreateLoginProfile", `{"userName":"bob","passwordResetRequired":true}`,
			`{"loginProfile":{"userName":"bob","passwordResetRequired":true}}`),
		apiCall(4, "2024-03-01T01:20:00Z", "alice", iam, "CreateAccessKey", `{"userName":"bob"}`,
			`{"accessKey":{"accessKeyId":"AKIABOBNEW","status":"Active","userName":"bob"}}`),
		// the group's id is missing from the response: a shape error
		apiCall(5, "2024-03-01T01:30:00Z", "alice", ec2, "CreateSecurityGroup", `{"groupName":"x","groupDescription":"x"}`, `{"_return":true}`),
		// a second instance joins the group once it is open
		apiCall(7, "2024-03-01T02:00:00Z", "alice", ec2, "RunInstances",
			`{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":1}]},"instanceType":"t3.micro"}`,
			`{"instancesSet":{"items":[{"instanceId":"i-2","imageId":"ami-1","instanceState":{"code":0,"name":"pending"},"instanceType":"t3.micro","launchTime":1709258400000,"groupSet":{"items":[{"groupId":"sg-1"}]}}]}}`),
		apiCall(6, "2024-03-03T09:00:00Z", "alice", ec2, "DescribeInstances", `{}`, `null`),
	)
	writeFile(t, dir, "trail/a.json", []byte(trail))
	ss, err := sqlitestate.Open(t.Context(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	st := openStore(t)
	dl := openDeadLetter(t)
	run := func(rescan bool) (*scan.Summary, []*finding.Finding, string) {
		var out, errs bytes.Buffer
		sum, err := scan.Run(t.Context(), scan.Options{
			Paths: []string{filepath.Join(dir, "trail")}, Rules: stateRules(t), Store: st, State: ss, DeadLetter: dl,
			Routes: []output.Route{jsonlRoute(t, &out)}, Errors: &errs, Rescan: rescan,
		})
		if err != nil {
			t.Fatal(err)
		}
		var fs []*finding.Finding
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if line == "" {
				continue
			}
			var f finding.Finding
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			fs = append(fs, &f)
		}
		return sum, fs, errs.String()
	}
	sum, fs, errs := run(false)
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID)
		if f.Origin == "" || f.Account != "111122223333" {
			t.Errorf("finding %s: origin %q, account %q", f.RuleID, f.Origin, f.Account)
		}
	}
	slices.Sort(got)
	want := []string{"aws-state-iam-access-key-for-other-user", "aws-state-iam-console-user-without-mfa",
		"aws-state-instance-launched-into-open-admin-sg", "aws-state-instance-running-untagged",
		"aws-state-instance-running-untagged", "aws-state-sg-admin-port-open-on-running-instance"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for _, f := range fs {
		if f.RuleID == "aws-state-sg-admin-port-open-on-running-instance" && !strings.Contains(f.Summary, "i-1") {
			t.Errorf("the SG finding does not name the instance: %q", f.Summary)
		}
		if f.RuleID == "aws-state-iam-access-key-for-other-user" && !strings.Contains(f.Summary, "alice") {
			t.Errorf("the access key finding does not name the caller: %q", f.Summary)
		}
	}
	if sum.StateErrors != 1 || !strings.Contains(errs, eventID(5)) || !strings.Contains(errs, "CreateSecurityGroup") {
		t.Errorf("state errors %d, stderr %q: want the CreateSecurityGroup record named", sum.StateErrors, errs)
	}
	entries, err := deadletter.Read(dl.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !bytes.Contains(entries[0].Record, []byte(eventID(5))) {
		t.Errorf("dead letter %+v: want the CreateSecurityGroup record", entries)
	}
	if sum.StateSteps != 5 || sum.Revisions != 5 {
		t.Errorf("state steps %d, revisions %d: want 5 and 5", sum.StateSteps, sum.Revisions)
	}
	h, err := ss.History(t.Context(), state.ResourceID{Account: "111122223333", Region: "global", Type: "AWS::IAM::User", ID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Revisions) != 2 || h.Revisions[1].Provenance.Actor != "arn:aws:iam::111122223333:user/alice" || h.Revisions[1].Provenance.EventName != "CreateAccessKey" {
		t.Errorf("bob's history %+v", h.Revisions)
	}
	inst, err := ss.At(t.Context(), state.ResourceID{Account: "111122223333", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: "i-1"}, time.Time{})
	if err != nil || inst.State["launchTime"] != "2024-03-01T00:00:00Z" {
		t.Errorf("i-1: %+v, %v", inst, err)
	}

	sum, fs, _ = run(true)
	if sum.Revisions != 0 || sum.NewFindings != 0 || len(fs) != 0 {
		t.Errorf("rescan: %d revisions, %d new findings, %d delivered: want none", sum.Revisions, sum.NewFindings, len(fs))
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err != nil {
		t.Fatal(err)
	}
}

// failingChanges is a findings store that refuses the findings of
// resource changes: the disk filled up between the state's commit and
// theirs, say.
type failingChanges struct{ *store.SQLite }

func (f failingChanges) AddFindings(ctx context.Context, fs []*finding.Finding) ([]*finding.Finding, error) {
	for _, x := range fs {
		if strings.HasPrefix(x.RuleID, "aws-state-") {
			return nil, errors.New("disk full")
		}
	}
	return f.SQLite.AddFindings(ctx, fs)
}

// TestRunKeepsChangeFindings: when the findings of resource changes cannot
// be stored after the state committed their revisions (a second read would
// not make them again), they go to the dead-letter file and the scan fails.
func TestRunKeepsChangeFindings(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "trail/a.json", []byte(logFile(
		apiCall(3, "2024-03-01T01:10:00Z", "alice", "iam.amazonaws.com", "CreateLoginProfile", `{"userName":"bob"}`,
			`{"loginProfile":{"userName":"bob","passwordResetRequired":true}}`))))
	ss, err := sqlitestate.Open(t.Context(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	dl := openDeadLetter(t)
	var out, errs bytes.Buffer
	_, err = scan.Run(t.Context(), scan.Options{
		Paths: []string{filepath.Join(dir, "trail")}, Rules: stateRules(t), Store: failingChanges{openStore(t)}, State: ss,
		DeadLetter: dl, Routes: []output.Route{jsonlRoute(t, &out)}, Errors: &errs,
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("scan: %v, want the store's error", err)
	}
	entries, err := deadletter.Read(dl.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Kind != deadletter.KindFinding || entries[0].Finding.RuleID != "aws-state-iam-console-user-without-mfa" {
		t.Fatalf("dead letter %+v, want the MFA finding", entries)
	}
}
