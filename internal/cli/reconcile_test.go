package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reconcile"
	"github.com/trailwarden/trailwarden/internal/state/sqlitestate"
)

// snapshotFile reads a file of package snapshot's testdata.
func snapshotFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "state", "snapshot", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReconcile(t *testing.T) {
	home := isolate(t)
	dir := t.TempDir()
	for _, f := range []string{"describe-instances.json", "describe-security-groups.json", "list-buckets.json",
		"logs-bucket.get-bucket-policy.json", "list-functions.json"} {
		writeFile(t, dir, "snap/"+f, snapshotFile(t, f))
	}
	truncated := writeFile(t, dir, "bad/truncated.json", snapshotFile(t, "bad/truncated.json"))
	trail := writeFile(t, dir, "bad/trail.json", snapshotFile(t, "bad/cloudtrail-log.json"))
	db := filepath.Join(dir, "state.db")
	// no rules: loading the built-in pack costs a second or two a run under
	// -race; the rules on reconciled revisions are TestReconcileAWS's
	common := []string{"reconcile", "--no-builtin", "--state", db, "--account", "111122223333", "--region", "us-east-1"}

	// a dry run on no store leaves none behind
	r := runCLI(t, append(common, "--dry-run", "--taken-at", "2024-03-04T10:00:00Z", filepath.Join(dir, "snap"))...)
	r.wantCode(t, ExitOK)
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("dry run created the store: %v", err)
	}
	if !strings.Contains(r.stdout, "7 resources in 5 documents: 7 discovered, 0 drift, 0 refreshed, 0 deleted-unobserved, 0 unchanged; 7 steps would be recorded (dry run)") {
		t.Errorf("dry run stdout:\n%s", r.stdout)
	}
	if entries, _ := os.ReadDir(filepath.Join(home, "tmp")); len(entries) != 0 {
		t.Errorf("dry run left %d temporary entries", len(entries))
	}

	// the folder and two bad files: the good ones are recorded, the bad named
	r = runCLI(t, append(common, "--taken-at", "2024-03-04T10:00:00Z", filepath.Join(dir, "snap"), truncated, trail)...)
	r.wantCode(t, ExitError)
	for _, want := range []string{truncated + ":23:8 (byte 700): truncated JSON", trail + ": unknown snapshot kind: top-level keys [Records]",
		"2 snapshot file(s) or document(s) could not be read; the others were reconciled"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "discovered  AWS::EC2::Instance       111122223333/us-east-1  i-0598c7d356eba48d7") ||
		!strings.Contains(r.stdout, "7 discovered") || !strings.Contains(r.stdout, "7 steps recorded") {
		t.Errorf("stdout:\n%s", r.stdout)
	}

	// as JSON, the unreadable files are in the report too
	r = runCLI(t, append(common, "--taken-at", "2024-03-04T10:00:00Z", "--format", "json", trail)...)
	r.wantCode(t, ExitError)
	var withErrors reconcile.Report
	if err := json.Unmarshal([]byte(r.stdout), &withErrors); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if len(withErrors.Errors) != 1 || withErrors.Errors[0].Source != trail || !strings.Contains(withErrors.Errors[0].Error, "unknown snapshot kind") {
		t.Errorf("report errors %+v", withErrors.Errors)
	}

	// the same again, as JSON: nothing new
	r = runCLI(t, append(common, "--taken-at", "2024-03-04T10:00:00Z", "--format", "json", filepath.Join(dir, "snap"))...)
	r.wantCode(t, ExitOK)
	var rep reconcile.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if rep.Counts != (reconcile.Counts{Unchanged: 7}) || rep.Steps != 0 || len(rep.Findings) != 0 {
		t.Errorf("second run: %+v", rep)
	}

	// an hour later the instance type changed and a tag went: drift, exit 1
	later := strings.Replace(string(snapshotFile(t, "describe-instances.json")), `"InstanceType": "t3.micro"`, `"InstanceType": "m5.large"`, 1)
	later = strings.Replace(later, `"Value": "prod"`, `"Value": "dev"`, 1)
	changed := writeFile(t, dir, "later/describe-instances.json", []byte(later))
	r = runCLI(t, append(common, "--taken-at", "2024-03-04T11:00:00Z", "--drift-severity", "high", "--format", "json", changed)...)
	r.wantCode(t, ExitFindings)
	rep = reconcile.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Drift != 1 || len(rep.Findings) != 1 || rep.Findings[0].RuleID != "state-drift" || rep.Findings[0].Severity.String() != "high" {
		t.Errorf("drift report: %+v", rep)
	}
	r = runCLI(t, append(common, "--taken-at", "2024-03-04T11:00:00Z", "--dry-run", changed)...)
	r.wantCode(t, ExitOK) // recorded by the run before: nothing differs now
	r = runCLI(t, append(common, "--taken-at", "2024-03-04T12:00:00Z", "--dry-run", filepath.Join(dir, "snap", "describe-instances.json"))...)
	r.wantCode(t, ExitFindings)
	if !strings.Contains(r.stdout, `instanceType: "m5.large" → "t3.micro"; tags: {"Name":"web-1","env":"dev"} → {"Name":"web-1","env":"prod"}`) {
		t.Errorf("text drift line:\n%s", r.stdout)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reconcile", "--state", db}, "no snapshot files"},
		{append(common, "--taken-at", "yesterday", changed), "--taken-at"},
	} {
		r = runCLI(t, tc.args...)
		r.wantCode(t, ExitError)
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: stderr %q", tc.args, r.stderr)
		}
	}
}

// TestReconcileAfterScan: scan derives an instance from its RunInstances
// event, then a snapshot shows it resized: its history is the event's
// revision, then the drift's.
func TestReconcileAfterScan(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	logs := writeFile(t, dir, "logs/events.json", []byte(logFile(runInstances(1, "us-east-1"))))
	r := runCLI(t, append(append([]string{"scan", "--no-store", "--state", db, "--format", "jsonl"}, loggingPack...), logs)...)
	r.wantCode(t, ExitOK)

	snap := `{"Reservations":[{"OwnerId":"123837392027","ReservationId":"r-1","Instances":[{"InstanceId":"i-0dbc91f429e48eeed",
	  "InstanceType":"m5.large","ImageId":"ami-029eb80bc237bec6f","State":{"Code":16,"Name":"running"},
	  "Placement":{"AvailabilityZone":"us-east-1c"},"SecurityGroups":[],"Tags":[]}]}]}`
	file := writeFile(t, dir, "snap/describe-instances.json", []byte(snap))
	// the drift finding goes to the configured outputs, once
	out := filepath.Join(dir, "findings.jsonl")
	cfg := writeFile(t, dir, "tw.yaml", []byte("outputs:\n  - {type: file, path: "+out+"}\n  - {type: stdout}\n"))
	r = runCLI(t, "--config", cfg, "reconcile", "--no-builtin", "--state", db, "--taken-at", "2023-07-11T00:00:00Z", file)
	r.wantCode(t, ExitFindings)
	if !strings.Contains(r.stdout, `instanceType: "t3.micro" → "m5.large"`) || !strings.Contains(r.stdout, `state: "pending" → "running" (refresh)`) {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	sent, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(sent), "\n"); n != 1 || !strings.Contains(string(sent), `"rule_id":"state-drift"`) || !strings.Contains(string(sent), "i-0dbc91f429e48eeed") {
		t.Errorf("the file output got %d lines:\n%s", n, sent)
	}
	r = runCLI(t, "--config", cfg, "reconcile", "--no-builtin", "--state", db, "--taken-at", "2023-07-11T00:00:00Z", file)
	r.wantCode(t, ExitOK)
	if again, _ := os.ReadFile(out); string(again) != string(sent) {
		t.Errorf("a second reconcile sent findings again:\n%s", again)
	}

	st, err := sqlitestate.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := st.History(t.Context(), state.ResourceID{Account: "123837392027", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: "i-0dbc91f429e48eeed"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, rev := range h.Revisions {
		names = append(names, rev.Provenance.EventName)
	}
	if strings.Join(names, ",") != "RunInstances,SnapshotDrift" || h.Current().State["instanceType"] != "m5.large" {
		t.Errorf("history %q, state %v", names, h.Current().State)
	}
}

// TestReconcileRules checks how the rules on the change stream count in
// reconcile's exit code: a finding of high severity exits 1 without any
// drift, a rule error exits 2, a rule set that does not load stops before
// anything is recorded, and a snapshot reconciled again shows the rules
// nothing.
func TestReconcileRules(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	functions := writeFile(t, dir, "snap/list-functions.json", snapshotFile(t, "list-functions.json"))
	const newFunction = `
  - id: test-new-function
    title: A function appeared
    severity: high
    match: {eventSource: trailwarden.state, eventName: "AWS::Lambda::Function"}
    condition: event.change.operation == "create"
    summary: 'new function ${event.change.resource.id}'
    resources: '[event.change.resource.id]'
`
	const failing = `
  - id: test-failing
    title: Reads a function name as a number
    severity: low
    match: {eventSource: trailwarden.state, eventName: "AWS::Lambda::Function"}
    condition: int(event.change.resource.id) > 0
`
	for _, tc := range []struct {
		name      string
		rules     string
		code      int
		findings  []string // rule id and resource of each rule finding
		errors    int
		recorded  bool
		stderrHas string
	}{
		{name: "a high finding exits 1 with no drift", rules: newFunction, code: ExitFindings,
			findings: []string{"test-new-function hello", "test-new-function thumbnailer"}, recorded: true},
		{name: "a rule error exits 2 and the findings are kept", rules: newFunction + failing, code: ExitError,
			findings: []string{"test-new-function hello", "test-new-function thumbnailer"}, errors: 2, recorded: true,
			stderrHas: "rule error on the change of 111122223333/us-east-1/AWS::Lambda::Function/hello by SnapshotDiscovered"},
		{name: "rules that do not load stop before recording", rules: "\n  - id: [", code: ExitError, stderrHas: "load rules"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "state.db")
			rules := writeFile(t, t.TempDir(), "rules.yaml", []byte("rules:"+tc.rules))
			args := []string{"reconcile", "--no-builtin", "--rules", rules, "--state", db, "--account", "111122223333",
				"--taken-at", "2024-03-04T10:00:00Z", "--format", "json", functions}
			r := runCLI(t, args...)
			r.wantCode(t, tc.code)
			if !strings.Contains(r.stderr, tc.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderrHas, r.stderr)
			}
			if _, err := os.Stat(db); !tc.recorded {
				if !os.IsNotExist(err) {
					t.Errorf("the store was opened: %v", err)
				}
				return
			}
			var rep reconcile.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("%v:\n%s", err, r.stdout)
			}
			var got []string
			for _, f := range rep.RuleFindings {
				got = append(got, f.RuleID+" "+strings.Join(f.Resources, ","))
			}
			if strings.Join(got, "|") != strings.Join(tc.findings, "|") || len(rep.RuleErrors) != tc.errors || rep.Counts.Drift != 0 {
				t.Errorf("rule findings %q, rule errors %q, counts %+v", got, rep.RuleErrors, rep.Counts)
			}
			// again: nothing recorded, nothing for the rules
			r = runCLI(t, args...)
			r.wantCode(t, ExitOK)
		})
	}
}
