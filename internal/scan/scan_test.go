package scan_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/scan"
	"github.com/trailwarden/trailwarden/internal/store"
	"github.com/trailwarden/trailwarden/rules"
)

const (
	ruleStopped = "aws-cloudtrail-logging-stopped"
	ruleChange  = "aws-cloudtrail-config-change"
)

// loggingRules loads the built-in logging rules (rules/logging.yaml) once:
// real rules, StopLogging among them, without compiling the whole pack.
var loggingRules = sync.OnceValues(func() (*rule.Set, error) {
	data, err := rules.FS.ReadFile("logging.yaml")
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{"logging.yaml": {Data: data}}
	return rule.Load(rule.LoadOptions{Sources: []rule.Source{{Name: "builtin", FS: fsys, Verified: true}}})
})

func ruleSet(t *testing.T) *rule.Set {
	t.Helper()
	set, err := loggingRules()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func eventID(n int) string { return fmt.Sprintf("%08d-705c-47f2-94d4-112a9527ab8b", n) }

// stopLogging is a successful StopLogging, shaped like the records of the
// invictus-cloudtrail corpus (shared/corpora).
func stopLogging(n int) string {
	return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDATFQR7NSC5AU2ZV3IE",` +
		`"arn":"arn:aws:iam::123837392027:user/bert-jan","accountId":"123837392027","accessKeyId":"AKIATFQR7NSC8Q4X20BJ","userName":"bert-jan"},` +
		`"eventTime":"2023-07-10T12:01:27Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1",` +
		`"sourceIPAddress":"192.168.10.20","userAgent":"aws-cli/2.13.0 Python/3.11.4 Linux/6.2.0-1008-aws exe/x86_64.ubuntu.22",` +
		`"requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:123837392027:trail/management-events"},"responseElements":null,` +
		`"requestID":"028c8f71-8342-435b-a295-ada7ea8b9f0f","eventID":"` + eventID(n) + `","readOnly":false,"eventType":"AwsApiCall",` +
		`"managementEvent":true,"recipientAccountId":"123837392027","eventCategory":"Management"}`
}

func logFile(records ...string) string { return `{"Records":[` + strings.Join(records, ",") + "]}" }

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

func openStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "tw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openDeadLetter(t *testing.T) *deadletter.File {
	t.Helper()
	dl, err := deadletter.Open(filepath.Join(t.TempDir(), "dl.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Close() })
	return dl
}

// jsonlRoute is a stdout output writing JSON Lines to a buffer.
func jsonlRoute(t *testing.T, buf *bytes.Buffer) output.Route {
	t.Helper()
	out, err := output.NewStdout(buf, output.StdoutOptions{Format: output.FormatJSONL})
	if err != nil {
		t.Fatal(err)
	}
	return output.Route{Output: out}
}

// failingServer answers every request with 500 and counts them.
func failingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n.Add(1)
		http.Error(w, "unavailable", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func webhookRoute(t *testing.T, url string, maxAttempts int) output.Route {
	t.Helper()
	out, err := output.NewWebhook(output.WebhookOptions{Name: "soar", URL: url, Secret: "s3cr3t", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return output.Route{Output: out, MaxAttempts: maxAttempts}
}

// fastRetries keeps the dispatcher's backoff to milliseconds.
var fastRetries = output.DispatchOptions{BackoffBase: time.Millisecond, BackoffCap: 2 * time.Millisecond}

// earlierFindings are findings as an earlier run stored them.
func earlierFindings(n int) []*finding.Finding {
	fs := make([]*finding.Finding, n)
	for i := range fs {
		id := eventID(100 + i)
		fs[i] = &finding.Finding{
			ID: finding.ID(ruleStopped, id), RuleID: ruleStopped, RuleTitle: "CloudTrail logging stopped",
			Severity: finding.High, EventID: id, EventName: "StopLogging", EventSource: "cloudtrail.amazonaws.com",
			EventTime: time.Date(2023, 7, 10, 12, 1, 27, 0, time.UTC), DetectedAt: time.Now().UTC(),
			Account: "123837392027", Region: "us-east-1", Summary: "bert-jan stopped CloudTrail logging",
			Event: json.RawMessage(stopLogging(100 + i)),
		}
	}
	return fs
}

func ids(fs []*finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// TestRunRedeliversOutbox: findings an earlier run stored but did not
// deliver are delivered first, and are then no longer pending.
func TestRunRedeliversOutbox(t *testing.T) {
	tests := []struct {
		name        string
		failing     bool // the output answers 500
		deadLetter  bool
		wantPending int // after the run
		wantDL      int // dead-letter entries
	}{
		{name: "delivered", wantPending: 0},
		{name: "dead-lettered when the output keeps failing", failing: true, deadLetter: true, wantPending: 0, wantDL: 2},
		{name: "kept pending when it can be neither delivered nor dead-lettered", failing: true, wantPending: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			st := openStore(t)
			earlier := earlierFindings(3)
			if _, err := st.AddFindings(ctx, earlier); err != nil {
				t.Fatal(err)
			}
			// The third was delivered before the earlier run stopped.
			if err := st.MarkDelivered(ctx, []string{earlier[2].ID}); err != nil {
				t.Fatal(err)
			}
			want := ids(earlier[:2])

			var buf bytes.Buffer
			route := jsonlRoute(t, &buf)
			var attempts *atomic.Int64
			if tt.failing {
				var srv *httptest.Server
				srv, attempts = failingServer(t)
				route = webhookRoute(t, srv.URL, 3)
			}
			var dl *deadletter.File
			if tt.deadLetter {
				dl = openDeadLetter(t)
			}
			sum, err := scan.Run(ctx, scan.Options{
				Paths: []string{t.TempDir()}, Rules: ruleSet(t), Routes: []output.Route{route},
				Store: st, DeadLetter: dl, Dispatch: fastRetries,
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Redelivered != 2 {
				t.Errorf("Redelivered = %d, want 2", sum.Redelivered)
			}
			if sum.Files != 0 || sum.NewFindings != 0 || sum.AnyFinding {
				t.Errorf("summary of an empty scan: %+v", sum)
			}
			pend, err := st.Pending(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(pend) != tt.wantPending {
				t.Errorf("%d pending after the run, want %d", len(pend), tt.wantPending)
			}

			if !tt.failing {
				var got []string
				for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
					var f finding.Finding
					if err := json.Unmarshal([]byte(line), &f); err != nil {
						t.Fatalf("%v: %s", err, line)
					}
					got = append(got, f.ID)
					if string(f.Event) != stopLogging(100+len(got)-1) {
						t.Errorf("redelivered event is not the stored record: %s", f.Event)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("delivered %v, want the pending %v, oldest first", got, want)
				}
			} else {
				if n := attempts.Load(); n != 6 {
					t.Errorf("%d attempts, want 3 per finding", n)
				}
				rs := sum.Output.Routes[0]
				if rs.Sent != 0 || rs.Retried != 4 || rs.DeadLettered != int64(tt.wantDL) || rs.DeadLetterFailed != int64(tt.wantPending) {
					t.Errorf("route stats %+v", rs)
				}
			}
			if dl != nil {
				entries, err := deadletter.Read(dl.Path())
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != tt.wantDL {
					t.Errorf("%d dead-letter entries, want %d", len(entries), tt.wantDL)
				}
				for _, e := range entries {
					if e.Kind != deadletter.KindFinding || e.Output != "soar" || e.Attempts != 3 || e.Finding == nil {
						t.Errorf("dead-letter entry %+v", e)
					}
				}
			}

			// The next run with a working output has nothing left, or
			// delivers what is still pending.
			buf.Reset()
			sum, err = scan.Run(ctx, scan.Options{
				Paths: []string{t.TempDir()}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: st,
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Redelivered != tt.wantPending {
				t.Errorf("next run: Redelivered = %d, want %d", sum.Redelivered, tt.wantPending)
			}
			if pend, _ := st.Pending(ctx, 0); len(pend) != 0 {
				t.Errorf("next run: %d still pending", len(pend))
			}
		})
	}
}

// TestRunDeadLettersNewFindings drives the scan with a webhook that always
// fails: each new finding is tried MaxAttempts times, then dead-lettered,
// and leaves the outbox.
func TestRunDeadLettersNewFindings(t *testing.T) {
	ctx := t.Context()
	srv, attempts := failingServer(t)
	st := openStore(t)
	dl := openDeadLetter(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1), stopLogging(2))))

	opts := fastRetries
	opts.MaxAttempts = 4 // for routes that do not set their own
	sum, err := scan.Run(ctx, scan.Options{
		Paths: []string{dir}, Rules: ruleSet(t), Routes: []output.Route{webhookRoute(t, srv.URL, 0)},
		MinSeverity: finding.High, Store: st, DeadLetter: dl, Dispatch: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.NewFindings != 4 || sum.Findings[finding.High] != 2 || sum.Findings[finding.Info] != 2 {
		t.Errorf("summary %+v", sum)
	}
	if n := attempts.Load(); n != 8 {
		t.Errorf("%d attempts, want 4 for each of the 2 high findings", n)
	}
	if rs := sum.Output.Routes[0]; rs.Retried != 6 || rs.DeadLettered != 2 || rs.Sent != 0 {
		t.Errorf("route stats %+v", rs)
	}
	entries, err := deadletter.Read(dl.Path())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{finding.ID(ruleStopped, eventID(1)): true, finding.ID(ruleStopped, eventID(2)): true}
	for _, e := range entries {
		if e.Finding == nil || !want[e.Finding.ID] || e.Attempts != 4 || !strings.Contains(e.Error, "HTTP 500") {
			t.Errorf("dead-letter entry %+v", e)
		}
		delete(want, e.Finding.ID)
	}
	if len(want) != 0 || len(entries) != 2 {
		t.Errorf("%d entries; missing %v", len(entries), want)
	}
	if pend, _ := st.Pending(ctx, 0); len(pend) != 0 {
		t.Errorf("%d findings still pending", len(pend))
	}
}

// TestRunCheckpoints: a file read once is skipped by the next run; Rescan
// reads it again, and its findings are not new.
func TestRunCheckpoints(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1))))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, logFile(stopLogging(2), stopLogging(3)))
	zw.Close()
	writeFile(t, dir, "sub/b.json.gz", gz.Bytes())
	writeFile(t, dir, "README.md", []byte("not a log file"))
	// Digest and Insights files (by their AWS key layout) are not read.
	writeFile(t, dir, "AWSLogs/123837392027/CloudTrail-Digest/us-east-1/2023/07/10/123837392027_CloudTrail-Digest_us-east-1_trail_us-east-1_20230710T120000Z.json.gz",
		[]byte(`{"awsAccountId":"123837392027","digestPublicKeyFingerprint":"8bd5a4e1"}`))
	writeFile(t, dir, "AWSLogs/123837392027/CloudTrail-Insight/us-east-1/2023/07/10/123837392027_CloudTrail-Insight_us-east-1_20230710T1200Z_x.json.gz",
		[]byte(`{"Records":[]}`))

	tests := []struct {
		name                         string
		rescan                       bool
		files, skipped, events, new_ int
	}{
		{name: "first run", files: 2, events: 3, new_: 6},
		{name: "second run", skipped: 2},
		{name: "rescan", rescan: true, files: 2, events: 3},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		sum, err := scan.Run(ctx, scan.Options{
			Paths: []string{dir}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: st, Rescan: tt.rescan,
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if sum.Files != tt.files || sum.Skipped != tt.skipped || sum.Events != tt.events || sum.NewFindings != tt.new_ || sum.Ignored != 1 || sum.Digests != 2 || sum.InputErrors != 0 {
			t.Errorf("%s: summary %+v", tt.name, sum)
		}
		if got := strings.Count(buf.String(), "\n"); got != tt.new_ {
			t.Errorf("%s: %d findings output, want the %d new ones", tt.name, got, tt.new_)
		}
		wantHigh := 0
		if tt.files > 0 {
			wantHigh = 3
		}
		if sum.Findings[finding.High] != wantHigh || sum.AnyFinding != (wantHigh > 0) {
			t.Errorf("%s: findings %v", tt.name, sum.Findings)
		}
	}
}

// TestRunLargeDelivery: a file with more findings than the pipeline holds
// at once is stored and delivered whole, and checkpointed once.
func TestRunLargeDelivery(t *testing.T) {
	const events = 700 // 1400 findings: handed on in partial results
	recs := make([]string, events)
	for i := range recs {
		recs[i] = stopLogging(i)
	}
	dir := t.TempDir()
	writeFile(t, dir, "big.json", []byte(logFile(recs...)))
	st := openStore(t)
	for run := 1; run <= 2; run++ {
		var buf bytes.Buffer
		sum, err := scan.Run(t.Context(), scan.Options{
			Paths: []string{dir}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: st,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := scan.Summary{Files: 1, Events: events, NewFindings: 2 * events}
		if run == 2 {
			want = scan.Summary{Skipped: 1}
		}
		if sum.Files != want.Files || sum.Skipped != want.Skipped || sum.Events != want.Events || sum.NewFindings != want.NewFindings {
			t.Errorf("run %d: summary %+v", run, sum)
		}
		if got := strings.Count(buf.String(), "\n"); got != want.NewFindings {
			t.Errorf("run %d: %d findings output, want %d", run, got, want.NewFindings)
		}
	}
	if pend, _ := st.Pending(t.Context(), 0); len(pend) != 0 {
		t.Errorf("%d findings pending", len(pend))
	}
}

// TestRunDuplicateEvents: CloudTrail may deliver an event twice, in two
// files; its findings are reported once.
func TestRunDuplicateEvents(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1))))
	writeFile(t, dir, "b.json", []byte(logFile(stopLogging(2), stopLogging(1))))
	var buf bytes.Buffer
	sum, err := scan.Run(t.Context(), scan.Options{
		Paths: []string{dir}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: openStore(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 3 || sum.NewFindings != 4 || sum.Findings[finding.High] != 2 || sum.Findings[finding.Info] != 2 {
		t.Errorf("summary %+v", sum)
	}
	if got := strings.Count(buf.String(), "\n"); got != 4 {
		t.Errorf("%d findings output, want 4", got)
	}
}

// TestRunStdin reads "-" from Options.Stdin; stdin is never checkpointed.
func TestRunStdin(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	for run := 1; run <= 2; run++ {
		var buf bytes.Buffer
		sum, err := scan.Run(ctx, scan.Options{
			Paths: []string{"-"}, Stdin: strings.NewReader(logFile(stopLogging(1))),
			Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: st,
		})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Files != 1 || sum.Events != 1 || sum.Skipped != 0 || sum.Findings[finding.High] != 1 {
			t.Errorf("run %d: summary %+v", run, sum)
		}
		wantOut := 2
		if run == 2 {
			wantOut = 0 // stored by the first run
		}
		if got := strings.Count(buf.String(), "\n"); got != wantOut {
			t.Errorf("run %d: %d findings output, want %d", run, got, wantOut)
		}
		if strings.Count(buf.String(), `"origin":"-"`) != wantOut {
			t.Errorf("run %d: origin is not -:\n%s", run, buf.String())
		}
	}
}

// TestRunInputErrors counts and reports bad input without stopping.
func TestRunInputErrors(t *testing.T) {
	noSource := strings.Replace(stopLogging(2), `"eventSource":"cloudtrail.amazonaws.com",`, "", 1)
	tests := []struct {
		name                                 string
		data                                 string
		events, rejected, inputErrors, found int
		errors                               string // %s is the bad file
		deadLetters                          int
	}{
		{
			name: "rejected record", data: logFile(noSource, stopLogging(3)),
			events: 2, rejected: 1, inputErrors: 1, found: 4, deadLetters: 1,
			errors: "rejected: %s: record 0 at byte 12: field eventSource: missing required field\n",
		},
		{
			name: "unreadable file", data: logFile(stopLogging(4))[:100],
			events: 1, inputErrors: 1, found: 2, deadLetters: 1,
			errors: "error: %s: at byte 12: payload ends inside a record",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1))))
			bad := writeFile(t, dir, "b.json", []byte(tt.data))
			dl := openDeadLetter(t)
			var errs, buf bytes.Buffer
			sum, err := scan.Run(t.Context(), scan.Options{
				Paths: []string{dir}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)},
				Store: scan.NewMemStore(), DeadLetter: dl, Errors: &errs,
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Files != 2 || sum.Events != tt.events || sum.Rejected != tt.rejected || sum.InputErrors != tt.inputErrors || sum.NewFindings != tt.found {
				t.Errorf("summary %+v", sum)
			}
			if w := strings.ReplaceAll(tt.errors, "%s", bad); !strings.Contains(errs.String(), w) {
				t.Errorf("errors lack %q:\n%s", w, errs.String())
			}
			entries, err := deadletter.Read(dl.Path())
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != tt.deadLetters {
				t.Fatalf("%d dead-letter entries, want %d: %+v", len(entries), tt.deadLetters, entries)
			}
			for _, e := range entries {
				if e.Index == -1 {
					// An unreadable delivery: where it broke, and why.
					if e.Kind != deadletter.KindRecord || e.Origin != bad || e.Offset != 12 || !strings.Contains(e.Error, "payload ends inside a record") {
						t.Errorf("dead-letter entry %+v", e)
					}
					continue
				}
				if e.Kind != deadletter.KindRecord || e.Origin != bad || !strings.Contains(e.Error, "record 0 at byte 12") || e.Index != 0 || e.Offset != 12 {
					t.Errorf("dead-letter entry %+v", e)
				}
				// The whole record is kept, as it was, for a human to fix.
				if string(e.Record) != noSource {
					t.Errorf("quarantined record:\n got %s\nwant %s", e.Record, noSource)
				}
			}
		})
	}
}

// TestRunCorpus scans the real invictus-cloudtrail corpus: every record is
// read, none is rejected.
func TestRunCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpora", "invictus-cloudtrail", "CloudTrail")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the invictus-cloudtrail corpus is missing from %s (shared/corpora beside the checkout): %v", dir, err)
	}
	records := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var lf struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &lf); err != nil {
			t.Fatal(err)
		}
		records += len(lf.Records)
	}
	var progress []scan.Progress
	var mu sync.Mutex
	sum, err := scan.Run(t.Context(), scan.Options{
		Paths: []string{dir}, Rules: ruleSet(t), Store: scan.NewMemStore(), Workers: 3,
		Progress: func(p scan.Progress) { mu.Lock(); progress = append(progress, p); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != len(files) || sum.Events != records || sum.InputErrors != 0 || sum.RuleErrors != 0 {
		t.Errorf("summary %+v, want %d files and %d events without errors", sum, len(files), records)
	}
	if len(progress) == 0 {
		t.Fatal("Progress never called")
	}
	last := progress[len(progress)-1]
	if last.Files != len(files) || last.TotalFiles != len(files) || last.Events != int64(records) || last.Bytes != last.TotalBytes || last.TotalBytes == 0 {
		t.Errorf("final progress %+v", last)
	}
}

// TestRunCanceled returns the context's error.
func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1))))
	_, err := scan.Run(ctx, scan.Options{Paths: []string{dir}, Rules: ruleSet(t), Store: scan.NewMemStore()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
