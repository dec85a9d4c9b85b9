package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// result is what one in-process run of the command line did.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in-process, as main would.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// wantCode fails the test when r did not exit with code, showing its output.
func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// isolate keeps every default path (state directory, temporary directory,
// config from the environment) inside the test's own temporary directory.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("HOME", home)
	t.Setenv("TMPDIR", filepath.Join(home, "tmp"))
	// Unset, not empty: kong resolves an empty path to the working directory.
	t.Setenv("TRAILWARDEN_CONFIG", "")
	os.Unsetenv("TRAILWARDEN_CONFIG")
	if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

// record is a CloudTrail management event, written the way CloudTrail
// writes it (key order, compact JSON). The shape follows the records of the
// invictus-cloudtrail corpus (shared/corpora), whose StopLogging calls failed
// with TrailNotFoundException; these succeed.
type record struct {
	ID, Source, Name, Region string
	// Params and Response are JSON values; empty means {} and null.
	Params, Response string
	// UserAgent defaults to an AWS CLI user agent.
	UserAgent string
	// ErrorCode, when set, makes the call a failed one.
	ErrorCode string
	ReadOnly  bool
}

// eventID returns a CloudTrail-style event id numbered n.
func eventID(n int) string { return fmt.Sprintf("%08d-705c-47f2-94d4-112a9527ab8b", n) }

func (r record) String() string {
	params, resp := r.Params, r.Response
	if params == "" {
		params = "{}"
	}
	if resp == "" {
		resp = "null"
	}
	region := r.Region
	if region == "" {
		region = "us-east-1"
	}
	ua := r.UserAgent
	if ua == "" {
		ua = "aws-cli/2.13.0 Python/3.11.4 Linux/6.2.0-1008-aws exe/x86_64.ubuntu.22 prompt/off command/cloudtrail.stop-logging"
	}
	errPart := ""
	if r.ErrorCode != "" {
		errPart = `"errorCode":"` + r.ErrorCode + `","errorMessage":"denied",`
	}
	return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDATFQR7NSC5AU2ZV3IE",` +
		`"arn":"arn:aws:iam::123837392027:user/bert-jan","accountId":"123837392027","accessKeyId":"AKIATFQR7NSC8Q4X20BJ","userName":"bert-jan"},` +
		`"eventTime":"2023-07-10T12:01:27Z","eventSource":"` + r.Source + `","eventName":"` + r.Name + `","awsRegion":"` + region + `",` +
		`"sourceIPAddress":"192.168.10.20","userAgent":"` + ua + `",` + errPart +
		`"requestParameters":` + params + `,"responseElements":` + resp + `,"requestID":"028c8f71-8342-435b-a295-ada7ea8b9f0f",` +
		`"eventID":"` + r.ID + `","readOnly":` + fmt.Sprint(r.ReadOnly) + `,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123837392027",` +
		`"eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"cloudtrail.us-east-1.amazonaws.com"}}`
}

// stopLogging is a successful StopLogging: aws-cloudtrail-logging-stopped
// (high) and aws-cloudtrail-config-change (info) match it.
func stopLogging(n int) string {
	return record{ID: eventID(n), Source: "cloudtrail.amazonaws.com", Name: "StopLogging",
		Params: `{"name":"arn:aws:cloudtrail:us-east-1:123837392027:trail/management-events"}`}.String()
}

// startLogging is a successful StartLogging: only aws-cloudtrail-config-change
// (info) matches it.
func startLogging(n int) string {
	return record{ID: eventID(n), Source: "cloudtrail.amazonaws.com", Name: "StartLogging",
		Params: `{"name":"arn:aws:cloudtrail:us-east-1:123837392027:trail/management-events"}`}.String()
}

// listBuckets is a read that no built-in rule reports.
func listBuckets(n int) string {
	return record{ID: eventID(n), Source: "s3.amazonaws.com", Name: "ListBuckets", ReadOnly: true,
		Params: `{"Host":"s3.us-east-1.amazonaws.com"}`, UserAgent: "aws-cli/2.13.0 Python/3.11.4 Linux/6.2.0-1008-aws exe/x86_64.ubuntu.22 prompt/off command/s3.ls"}.String()
}

// runInstances launches one instance in region.
func runInstances(n int, region string) string {
	return record{ID: eventID(n), Source: "ec2.amazonaws.com", Name: "RunInstances", Region: region,
		Params:   `{"instancesSet":{"items":[{"imageId":"ami-029eb80bc237bec6f","minCount":1,"maxCount":1}]},"instanceType":"t3.micro"}`,
		Response: `{"instancesSet":{"items":[{"instanceId":"i-0dbc91f429e48eeed","instanceType":"t3.micro"}]}}`}.String()
}

// loggingPack loads only the built-in logging rules (rules/logging.yaml, 24
// real rules, StopLogging among them) instead of the whole pack: the scans
// that test the command's mechanics stay fast, since compiling all the CEL
// rules takes about a second under -race.
var loggingPack = []string{"--no-builtin", "--rules", filepath.Join("..", "..", "rules", "logging.yaml")}

const logPrefix = `{"Records":[`

// logFile is a CloudTrail log file holding records.
func logFile(records ...string) string {
	return logPrefix + strings.Join(records, ",") + "]}"
}

// offsetOf returns the byte offset of record i in logFile(records...).
func offsetOf(records []string, i int) int {
	off := len(logPrefix)
	for _, r := range records[:i] {
		off += len(r) + 1
	}
	return off
}

// writeFile writes data to dir/name, creating directories, and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeFindings parses JSON Lines findings, one per line.
func decodeFindings(t *testing.T, out string) []*finding.Finding {
	t.Helper()
	var fs []*finding.Finding
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := new(finding.Finding)
		if err := json.Unmarshal([]byte(line), f); err != nil {
			t.Fatalf("stdout line %d is not a JSON finding: %v\n%s", i+1, err, line)
		}
		fs = append(fs, f)
	}
	return fs
}

// keys returns "eventID rule" for each finding, for comparisons.
func keys(fs []*finding.Finding) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f.EventID+" "+f.RuleID] = true
	}
	return m
}

func TestVersion(t *testing.T) {
	isolate(t)
	r := runCLI(t, "version")
	r.wantCode(t, ExitOK)
	if want := "trailwarden " + Version + "\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
}

func TestHelp(t *testing.T) {
	isolate(t)
	tests := []struct {
		name string
		args []string
		want []string // in the help text
	}{
		{"root", []string{"--help"}, []string{"Usage: trailwarden", "scan", "rules list", "rules test", "gen", "demo", "deadletter list", "deadletter replay", "version"}},
		{"root short", []string{"-h"}, []string{"Usage: trailwarden"}},
		{"scan", []string{"scan", "--help"}, []string{"Usage: trailwarden scan", "--format", "--fail-on", "--min-severity", "--store", "--no-store", "--rescan"}},
		{"rules", []string{"rules", "--help"}, []string{"Usage: trailwarden rules", "list", "test"}},
		{"rules list", []string{"rules", "list", "--help"}, []string{"Usage: trailwarden rules list", "--no-builtin"}},
		{"rules test", []string{"rules", "test", "--help"}, []string{"Usage: trailwarden rules test", "--verbose"}},
		{"gen", []string{"gen", "--help"}, []string{"Usage: trailwarden gen", "--events", "--seed", "--out"}},
		{"demo", []string{"demo", "--help"}, []string{"Usage: trailwarden demo", "--events"}},
		{"deadletter", []string{"deadletter", "--help"}, []string{"Usage: trailwarden deadletter", "list", "replay"}},
		{"deadletter list", []string{"deadletter", "list", "--help"}, []string{"Usage: trailwarden deadletter list"}},
		{"deadletter replay", []string{"deadletter", "replay", "--help"}, []string{"Usage: trailwarden deadletter replay"}},
		{"version", []string{"version", "--help"}, []string{"Usage: trailwarden version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			r.wantCode(t, ExitOK)
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("help lacks %q:\n%s", w, r.stdout)
				}
			}
			if r.stderr != "" {
				t.Errorf("stderr not empty: %s", r.stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"unknown command", []string{"nosuch"}, "unexpected argument nosuch"},
		{"scan without a path", []string{"scan"}, "expected \"<path> ...\""},
		{"bad enum", []string{"scan", "--format", "xml", "x.json"}, "--format"},
		{"gen without --out", []string{"gen"}, "--out"},
		{"missing input", append(append([]string{"scan", "--no-store"}, loggingPack...), "does-not-exist.json"), "does-not-exist.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			r.wantCode(t, ExitError)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
		})
	}
}
