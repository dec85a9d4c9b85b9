package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// newFinding returns a realistic finding with the given severity.
func newFinding(n int, sev finding.Severity) *finding.Finding {
	eventID := fmt.Sprintf("3b5c2c3e-0000-4000-8000-%012d", n)
	return &finding.Finding{
		ID:          finding.ID("aws-iam-root-console-login", eventID),
		RuleID:      "aws-iam-root-console-login",
		RuleTitle:   "Root account console login",
		Severity:    sev,
		Tags:        []string{"iam", "root"},
		EventID:     eventID,
		EventName:   "ConsoleLogin",
		EventSource: "signin.amazonaws.com",
		EventTime:   time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		DetectedAt:  time.Date(2025, 3, 4, 5, 6, 9, 0, time.UTC),
		Account:     "123456789012",
		Region:      "us-east-1",
		Actor:       finding.Actor{Type: "Root", ARN: "arn:aws:iam::123456789012:root", PrincipalID: "123456789012"},
		SourceIP:    "198.51.100.7",
		Resources:   []string{},
		Summary:     "Root signed in to the console without MFA",
		Origin:      "s3://trail-bucket/AWSLogs/123456789012/x.json.gz",
		Event:       json.RawMessage(`{"eventID":"` + eventID + `","eventName":"ConsoleLogin"}`),
	}
}

// reply is one scripted HTTP response.
type reply struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
}

// request is what a receiver recorded.
type request struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server that answers from a script (the last reply
// repeats) and records every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	script   []reply
	requests []request
}

func newReceiver(t *testing.T, script ...reply) *receiver {
	t.Helper()
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.requests)
		r.requests = append(r.requests, request{header: req.Header.Clone(), body: body})
		rep := reply{status: http.StatusOK, body: "ok"}
		if len(r.script) > 0 {
			rep = r.script[min(n, len(r.script)-1)]
		}
		r.mu.Unlock()
		if rep.delay > 0 {
			select {
			case <-time.After(rep.delay):
			case <-req.Context().Done():
				return
			}
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

// logBuffer is a goroutine-safe buffer for captured logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestErrorClassification(t *testing.T) {
	base := errors.New("boom")
	ra := &RetryAfter{Wait: 3 * time.Second, Err: base}
	tests := []struct {
		name      string
		err       error
		permanent bool
		wait      time.Duration
		hasWait   bool
	}{
		{name: "plain", err: base},
		{name: "permanent", err: Permanent(base), permanent: true},
		{name: "wrapped permanent", err: fmt.Errorf("send: %w", Permanent(base)), permanent: true},
		{name: "retry after", err: ra, wait: 3 * time.Second, hasWait: true},
		{name: "wrapped retry after", err: fmt.Errorf("send: %w", ra), wait: 3 * time.Second, hasWait: true},
		{name: "batch with a permanent item", err: &BatchError{Errs: []error{nil, Permanent(base)}}, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			wait, ok := retryAfter(tt.err)
			if ok != tt.hasWait || wait != tt.wait {
				t.Errorf("retryAfter = %v, %v; want %v, %v", wait, ok, tt.wait, tt.hasWait)
			}
			if !errors.Is(tt.err, base) {
				t.Errorf("errors.Is(err, base) = false for %v", tt.err)
			}
		})
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if got := Permanent(base).Error(); got != "boom" {
		t.Errorf("Permanent(err).Error() = %q, want the message unchanged", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{in: "7", want: 7 * time.Second, ok: true},
		{in: " 0 ", want: 0, ok: true},
		{in: "Wed, 01 Jan 2025 00:00:30 GMT", want: 30 * time.Second, ok: true},
		{in: "Tue, 31 Dec 2024 23:00:00 GMT", want: 0, ok: true}, // in the past
		{in: "", ok: false},
		{in: "-5", ok: false},
		{in: "soon", ok: false},
		{in: "99999999999999999999", ok: false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTruncateAndSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{truncate("short", 10), "short"},
		{truncate("exactly-10", 10), "exactly-10"},
		{truncate("much-too-long", 8), "much-to…"},
		{truncate("héllo wörld", 5), "héll…"},
		{truncate("abc", 0), ""},
		{sanitize("a\x1b[2Jb\nc\td"), "a [2Jb c d"},
		{sanitize("a\u009bb"), "a b"},
		{sanitize("plain"), "plain"},
		{truncateLeft("assumed-role/Admin/alice", 10), "…min/alice"},
		{truncateLeft("short", 10), "short"},
	}
	for i, tt := range tests {
		if tt.in != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.in, tt.want)
		}
	}
}
