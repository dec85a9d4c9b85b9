package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/store"
)

// receiver is an HTTP endpoint that records what it is sent and answers
// with a status that the test can change.
type receiver struct {
	*httptest.Server
	status atomic.Int32

	mu   sync.Mutex
	reqs []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.status.Store(int32(status))
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		code := int(rc.status.Load())
		w.WriteHeader(code)
		if code >= 300 {
			io.WriteString(w, "upstream unavailable")
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// verifyWebhook checks one webhook request as a receiver would: the
// signature is the HMAC-SHA256 of timestamp + "." + body under secret, the
// timestamp is fresh, and the finding id header names the body's finding.
func verifyWebhook(t *testing.T, req received, secret string) *finding.Finding {
	t.Helper()
	ts := req.header.Get("X-Trailwarden-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	if d := time.Since(time.Unix(sec, 0)); d < -time.Minute || d > 5*time.Minute {
		t.Errorf("timestamp %s is %v old", ts, d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(req.body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := req.header.Get("X-Trailwarden-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("signature %q, want %q", got, want)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if ua := req.header.Get("User-Agent"); ua != "trailwarden/"+Version {
		t.Errorf("User-Agent %q", ua)
	}
	f := new(finding.Finding)
	if err := json.Unmarshal(req.body, f); err != nil {
		t.Fatalf("body is not a finding: %v\n%s", err, req.body)
	}
	if id := req.header.Get("X-Trailwarden-Finding-Id"); id != f.ID || id == "" {
		t.Errorf("finding id header %q, body id %q", id, f.ID)
	}
	return f
}

// pendingFindings opens the store after a run and lists its outbox.
func pendingFindings(t *testing.T, path string) []*finding.Finding {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, err := st.Pending(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestWebhookOutput(t *testing.T) {
	isolate(t)
	rc := newReceiver(t, http.StatusAccepted)
	t.Setenv("TW_TEST_WEBHOOK_URL", rc.URL+"/hooks/trailwarden")
	t.Setenv("TW_TEST_WEBHOOK_SECRET", "s3cr3t-$hmac")
	t.Setenv("TW_TEST_TOKEN", "t0ken")
	dir := t.TempDir()
	cfg := writeFile(t, dir, "conf/trailwarden.yaml", []byte(`
store: state/tw.db
outputs:
  - type: webhook
    name: soar
    url: ${TW_TEST_WEBHOOK_URL}
    secret: ${TW_TEST_WEBHOOK_SECRET}
    headers: {Authorization: "Bearer ${TW_TEST_TOKEN}"}
    timeout: 5s
`))
	rec := stopLogging(1)
	p := writeFile(t, dir, "logs/a.json", []byte(logFile(listBuckets(2), rec)))

	args := append([]string{"--config", cfg, "scan", "--format", "jsonl"}, loggingPack...)
	r := runCLI(t, append(args, p)...)
	r.wantCode(t, ExitFindings)
	if r.stdout != "" {
		t.Errorf("stdout is not an output when the config names others:\n%s", r.stdout)
	}

	reqs := rc.requests()
	got := map[string]bool{}
	for _, req := range reqs {
		f := verifyWebhook(t, req, "s3cr3t-$hmac")
		got[f.RuleID] = true
		if string(f.Event) != rec {
			t.Errorf("event in the webhook body is not the record:\n%s", f.Event)
		}
		if a := req.header.Get("Authorization"); a != "Bearer t0ken" {
			t.Errorf("Authorization %q", a)
		}
	}
	if len(reqs) != 2 || !got[ruleStopped] || !got[ruleChange] {
		t.Errorf("webhook received %d requests for %v, want the 2 StopLogging findings", len(reqs), got)
	}

	// The store named by the config, relative to it, has them all delivered.
	if fs := pendingFindings(t, filepath.Join(dir, "conf", "state", "tw.db")); len(fs) != 0 {
		t.Errorf("%d findings still in the outbox", len(fs))
	}

	// A second run has nothing new to send.
	r = runCLI(t, append(args, p)...)
	r.wantCode(t, ExitOK)
	if n := len(rc.requests()); n != 2 {
		t.Errorf("%d requests after the second run, want still 2", n)
	}
}

func TestSlackOutput(t *testing.T) {
	isolate(t)
	rc := newReceiver(t, http.StatusOK)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "trailwarden.yaml", []byte(`
outputs:
  - type: slack
    url: `+rc.URL+`/services/T000/B000/XXXX
    min_severity: high
  - type: stdout
    format: jsonl
`))
	p := writeFile(t, dir, "logs/a.json", []byte(logFile(stopLogging(1))))
	args := append([]string{"--config", cfg, "scan", "--no-store", "--dead-letter", filepath.Join(dir, "dl.jsonl")}, loggingPack...)
	r := runCLI(t, append(args, p)...)
	r.wantCode(t, ExitFindings)

	if fs := decodeFindings(t, r.stdout); len(fs) != 2 {
		t.Errorf("stdout output has %d findings, want 2", len(fs))
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("slack received %d messages, want 1 (the high finding)", len(reqs))
	}
	var msg struct {
		Text   string
		Blocks []struct{ Type string }
	}
	if err := json.Unmarshal(reqs[0].body, &msg); err != nil {
		t.Fatalf("not a Slack message: %v\n%s", err, reqs[0].body)
	}
	if !strings.HasPrefix(msg.Text, "[HIGH] CloudTrail logging stopped: ") || len(msg.Blocks) == 0 || msg.Blocks[0].Type != "header" {
		t.Errorf("message: %s", reqs[0].body)
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestWebhookDeadLetterReplay: a webhook that keeps failing leaves the
// finding in the dead-letter file; replay sends it once the receiver is
// healthy, and empties the file.
func TestWebhookDeadLetterReplay(t *testing.T) {
	isolate(t)
	const secret = "replay-secret"
	down := newReceiver(t, http.StatusInternalServerError)
	t.Setenv("TW_TEST_WEBHOOK_URL", down.URL)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "trailwarden.yaml", []byte(`
store: tw.db
dead_letter: dl.jsonl
outputs:
  - type: webhook
    name: soar
    url: ${TW_TEST_WEBHOOK_URL}
    secret: `+secret+`
    min_severity: high
    max_attempts: 2
`))
	dl := filepath.Join(dir, "dl.jsonl")
	p := writeFile(t, dir, "logs/a.json", []byte(logFile(stopLogging(1))))
	args := append([]string{"--config", cfg, "scan"}, loggingPack...)
	r := runCLI(t, append(args, p)...)
	r.wantCode(t, ExitFindings)
	if !strings.Contains(r.stderr, "output soar: 0 sent, 1 retried, 1 dead-lettered") {
		t.Errorf("summary does not report the dead letter:\n%s", r.stderr)
	}
	if n := len(down.requests()); n != 2 {
		t.Errorf("%d attempts, want max_attempts (2)", n)
	}
	for _, req := range down.requests() {
		verifyWebhook(t, req, secret)
	}
	entries, err := deadletter.Read(dl)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d dead-letter entries, want 1", len(entries))
	}
	e := entries[0]
	id := finding.ID(ruleStopped, eventID(1))
	if e.Kind != deadletter.KindFinding || e.Output != "soar" || e.Attempts != 2 || e.Finding == nil || e.Finding.ID != id || !strings.Contains(e.Error, "HTTP 500") {
		t.Errorf("dead-letter entry %+v", e)
	}
	// Dead-lettered is handled: the outbox does not send it again.
	if fs := pendingFindings(t, filepath.Join(dir, "tw.db")); len(fs) != 0 {
		t.Errorf("%d findings still in the outbox", len(fs))
	}

	t.Run("list", func(t *testing.T) {
		for _, args := range [][]string{{"deadletter", "list", dl}, {"--config", cfg, "deadletter", "list"}} {
			r := runCLI(t, args...)
			r.wantCode(t, ExitOK)
			for _, w := range []string{"TIME", "KIND", "finding", "soar", id + " " + ruleStopped, "HTTP 500", "1 entries in " + dl} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("%v: stdout lacks %q:\n%s", args, w, r.stdout)
				}
			}
		}
	})

	t.Run("replay while the receiver still fails", func(t *testing.T) {
		r := runCLI(t, "--config", cfg, "deadletter", "replay")
		r.wantCode(t, ExitFindings)
		if !strings.Contains(r.stdout, "replayed 0 findings; 1 entries remain in "+dl) {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		entries, err := deadletter.Read(dl)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Attempts != 3 {
			t.Errorf("entries %+v, want the one entry with one more attempt", entries)
		}
	})

	t.Run("replay to a healthy receiver", func(t *testing.T) {
		up := newReceiver(t, http.StatusOK)
		t.Setenv("TW_TEST_WEBHOOK_URL", up.URL)
		r := runCLI(t, "--config", cfg, "deadletter", "replay")
		r.wantCode(t, ExitOK)
		if !strings.Contains(r.stdout, "replayed 1 findings; 0 entries remain in "+dl) {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		reqs := up.requests()
		if len(reqs) != 1 {
			t.Fatalf("receiver got %d requests, want 1", len(reqs))
		}
		if f := verifyWebhook(t, reqs[0], secret); f.ID != id || string(f.Event) != stopLogging(1) {
			t.Errorf("replayed finding %s with event %s", f.ID, f.Event)
		}
		entries, err := deadletter.Read(dl)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("%d entries left after a successful replay", len(entries))
		}
		r = runCLI(t, "deadletter", "list", dl)
		r.wantCode(t, ExitOK)
		if !strings.Contains(r.stdout, "0 entries in "+dl) {
			t.Errorf("list after replay:\n%s", r.stdout)
		}
	})
}

// TestDeadLetterReplayKeepsRecords: quarantined records are for a human and
// stay; a finding for an output that is not configured stays too.
func TestDeadLetterReplayKeepsRecords(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	dl := filepath.Join(dir, "dl.jsonl")
	bad := strings.Replace(stopLogging(2), `"eventSource":"cloudtrail.amazonaws.com",`, "", 1)
	p := writeFile(t, dir, "logs/a.json", []byte(logFile(stopLogging(1), bad)))
	args := append([]string{"scan", "--store", filepath.Join(dir, "tw.db"), "--dead-letter", dl}, loggingPack...)
	runCLI(t, append(args, p)...).wantCode(t, ExitError)

	f := &finding.Finding{ID: finding.ID(ruleStopped, eventID(1)), RuleID: ruleStopped, Severity: finding.High, EventID: eventID(1), Event: json.RawMessage(stopLogging(1))}
	w, err := deadletter.Open(dl)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), deadletter.Entry{Kind: deadletter.KindFinding, Output: "pagerduty", Error: "HTTP 503", Attempts: 6, Finding: f}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, "deadletter", "list", dl)
	r.wantCode(t, ExitOK)
	for _, w := range []string{"record", p, "field eventSource: missing required field", "pagerduty", "2 entries in"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("list lacks %q:\n%s", w, r.stdout)
		}
	}

	r = runCLI(t, "deadletter", "replay", dl)
	r.wantCode(t, ExitFindings)
	if !strings.Contains(r.stderr, `output "pagerduty" is not configured; kept`) || !strings.Contains(r.stdout, "replayed 0 findings; 2 entries remain") {
		t.Errorf("replay:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	entries, err := deadletter.Read(dl)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Kind != deadletter.KindRecord || entries[1].Kind != deadletter.KindFinding {
		t.Errorf("entries after replay: %+v", entries)
	}
}
