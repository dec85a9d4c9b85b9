package output

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
)

// sleepRecorder replaces the Dispatcher's sleep: it records each wait and
// returns at once, so retry tests take no wall-clock time.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// blockingSleep stands for a backoff longer than the test: it returns only
// when the Dispatcher is hard-stopped.
func blockingSleep(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// doneRecorder counts OnDone calls per finding id.
type doneRecorder struct {
	mu    sync.Mutex
	calls map[string]int
}

func newDoneRecorder() *doneRecorder { return &doneRecorder{calls: map[string]int{}} }

func (d *doneRecorder) onDone(f *finding.Finding) {
	d.mu.Lock()
	d.calls[f.ID]++
	d.mu.Unlock()
}

func (d *doneRecorder) snapshot() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.calls))
	for k, v := range d.calls {
		out[k] = v
	}
	return out
}

func openDeadLetter(t *testing.T) (*deadletter.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deadletter.jsonl")
	dl, err := deadletter.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Close() })
	return dl, path
}

func readDeadLetter(t *testing.T, path string) []deadletter.Entry {
	t.Helper()
	entries, err := deadletter.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestDispatcherRetries(t *testing.T) {
	const base = 500 * time.Millisecond
	between := func(lo, hi time.Duration) func(time.Duration) bool {
		return func(d time.Duration) bool { return d >= lo && d <= hi }
	}
	exactly := func(want time.Duration) func(time.Duration) bool {
		return func(d time.Duration) bool { return d == want }
	}
	tests := []struct {
		name         string
		script       []reply
		maxAttempts  int
		wantRequests int
		wantStats    RouteStats // Output is filled in
		wantSleeps   []func(time.Duration) bool
		wantDLError  string // "" when nothing is dead-lettered
	}{
		{
			name:         "500 twice then success",
			script:       []reply{{status: 500}, {status: 500}, {status: 200}},
			wantRequests: 3,
			wantStats:    RouteStats{Sent: 1, Retried: 2},
			// Jittered exponential backoff: [base/2, base], then [base, 2*base].
			wantSleeps: []func(time.Duration) bool{between(base/2, base), between(base, 2*base)},
		},
		{
			name:         "429 Retry-After seconds honoured",
			script:       []reply{{status: 429, header: map[string]string{"Retry-After": "7"}}, {status: 200}},
			wantRequests: 2,
			wantStats:    RouteStats{Sent: 1, Retried: 1},
			wantSleeps:   []func(time.Duration) bool{exactly(7 * time.Second)},
		},
		{
			name:         "503 Retry-After beyond the maximum is cut",
			script:       []reply{{status: 503, header: map[string]string{"Retry-After": "86400"}}, {status: 200}},
			wantRequests: 2,
			wantStats:    RouteStats{Sent: 1, Retried: 1},
			wantSleeps:   []func(time.Duration) bool{exactly(5 * time.Minute)},
		},
		{
			name:         "400 goes straight to the dead letter",
			script:       []reply{{status: 400, body: "schema mismatch"}},
			wantRequests: 1,
			wantStats:    RouteStats{DeadLettered: 1},
			wantDLError:  "HTTP 400 Bad Request: schema mismatch",
		},
		{
			name:         "max attempts exhausted",
			script:       []reply{{status: 502}},
			maxAttempts:  3,
			wantRequests: 3,
			wantStats:    RouteStats{Retried: 2, DeadLettered: 1},
			wantSleeps:   []func(time.Duration) bool{between(base/2, base), between(base, 2*base)},
			wantDLError:  "HTTP 502",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.script...)
			wh, err := NewWebhook(WebhookOptions{Name: "soar", URL: rcv.URL, Secret: "k"})
			if err != nil {
				t.Fatal(err)
			}
			dl, dlPath := openDeadLetter(t)
			sleeps := &sleepRecorder{}
			done := newDoneRecorder()
			d := NewDispatcher([]Route{{Output: wh, MaxAttempts: tt.maxAttempts}}, dl, nil, DispatchOptions{
				Sleep:  sleeps.sleep,
				OnDone: done.onDone,
				Now:    func() time.Time { return time.Date(2025, 5, 5, 0, 0, 0, 0, time.UTC) },
			})
			f := newFinding(1, finding.High)
			if err := d.Dispatch(t.Context(), []*finding.Finding{f}); err != nil {
				t.Fatal(err)
			}
			stats, err := d.Close(t.Context())
			if err != nil {
				t.Fatal(err)
			}

			tt.wantStats.Output = "soar"
			if diff := cmp.Diff(Stats{Routes: []RouteStats{tt.wantStats}}, stats); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			reqs := rcv.got()
			if len(reqs) != tt.wantRequests {
				t.Errorf("receiver saw %d requests, want %d", len(reqs), tt.wantRequests)
			}
			for i, r := range reqs {
				if id := r.header.Get(HeaderFindingID); id != f.ID {
					t.Errorf("request %d idempotency key = %q, want %q", i, id, f.ID)
				}
			}
			waits := sleeps.got()
			if len(waits) != len(tt.wantSleeps) {
				t.Fatalf("slept %v, want %d waits", waits, len(tt.wantSleeps))
			}
			for i, ok := range tt.wantSleeps {
				if !ok(waits[i]) {
					t.Errorf("wait %d = %v: outside what was expected", i, waits[i])
				}
			}
			if diff := cmp.Diff(map[string]int{f.ID: 1}, done.snapshot()); diff != "" {
				t.Errorf("OnDone calls (-want +got):\n%s", diff)
			}

			entries := readDeadLetter(t, dlPath)
			if tt.wantDLError == "" {
				if len(entries) != 0 {
					t.Errorf("dead letter holds %d entries, want none", len(entries))
				}
				return
			}
			if len(entries) != 1 {
				t.Fatalf("dead letter holds %d entries, want 1", len(entries))
			}
			e := entries[0]
			if e.Kind != deadletter.KindFinding || e.Output != "soar" || e.Attempts != tt.wantRequests ||
				e.Finding == nil || e.Finding.ID != f.ID || e.Origin != f.Origin || !e.Time.Equal(time.Date(2025, 5, 5, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("dead-letter entry = %+v", e)
			}
			if !strings.Contains(e.Error, tt.wantDLError) {
				t.Errorf("dead-letter error = %q, want it to contain %q", e.Error, tt.wantDLError)
			}
		})
	}
}

func TestDispatcherFailingRouteDoesNotBlockOthers(t *testing.T) {
	failing := newReceiver(t, reply{status: 503})
	healthy := newReceiver(t)
	bad, err := NewWebhook(WebhookOptions{Name: "down", URL: failing.URL})
	if err != nil {
		t.Fatal(err)
	}
	good, err := NewWebhook(WebhookOptions{Name: "up", URL: healthy.URL})
	if err != nil {
		t.Fatal(err)
	}
	dl, dlPath := openDeadLetter(t)
	done := newDoneRecorder()
	d := NewDispatcher([]Route{{Output: bad}, {Output: good}}, dl, nil, DispatchOptions{
		Sleep:  blockingSleep, // the failing route sits in a long backoff
		OnDone: done.onDone,
	})

	const n = 20
	var fs []*finding.Finding
	for i := range n {
		fs = append(fs, newFinding(i, finding.Medium))
	}
	dispatched := make(chan error, 1)
	go func() { dispatched <- d.Dispatch(t.Context(), fs) }()
	select {
	case err := <-dispatched:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Dispatch blocked behind the failing route")
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.Stats().Routes[1].Sent < n {
		if time.Now().After(deadline) {
			t.Fatalf("healthy route delivered %d of %d findings while the other failed", d.Stats().Routes[1].Sent, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := len(healthy.got()); got != n {
		t.Errorf("healthy receiver saw %d requests, want %d", got, n)
	}
	if s := d.Stats().Routes; s[0].Sent != 0 || s[1].Sent != n {
		t.Errorf("before Close: sent = %d and %d, want 0 and %d", s[0].Sent, s[1].Sent, n)
	}

	// The failing route is still backing off when Close's deadline passes:
	// what it holds is dead-lettered, not lost.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	stats, err := d.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want context.DeadlineExceeded", err)
	}
	want := []RouteStats{
		{Output: "down", Retried: 1, DeadLettered: n, Abandoned: n},
		{Output: "up", Sent: n},
	}
	if diff := cmp.Diff(want, stats.Routes); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	entries := readDeadLetter(t, dlPath)
	if len(entries) != n {
		t.Fatalf("dead letter holds %d entries, want %d", len(entries), n)
	}
	for _, e := range entries {
		if e.Output != "down" || !strings.Contains(e.Error, "abandoned at shutdown") {
			t.Errorf("entry = %s / %q", e.Output, e.Error)
		}
	}
	if e := entries[0]; e.Attempts != 1 || !strings.Contains(e.Error, "HTTP 503") {
		t.Errorf("the finding being retried: attempts %d, error %q; want 1 and its last error", e.Attempts, e.Error)
	}
	calls := done.snapshot()
	if len(calls) != n {
		t.Errorf("OnDone called for %d findings, want %d", len(calls), n)
	}
	for id, c := range calls {
		if c != 1 {
			t.Errorf("OnDone called %d times for %s", c, id)
		}
	}
}

func TestDispatcherMinSeverityRouting(t *testing.T) {
	var pagerBuf, archiveBuf bytes.Buffer
	pager, _ := NewStdout(&pagerBuf, StdoutOptions{Name: "pager", Format: FormatJSONL})
	archive, _ := NewStdout(&archiveBuf, StdoutOptions{Name: "archive", Format: FormatJSONL})
	done := newDoneRecorder()
	d := NewDispatcher([]Route{
		{Output: pager, MinSeverity: finding.High},
		{Output: archive, MinSeverity: finding.Low},
	}, nil, nil, DispatchOptions{OnDone: done.onDone})

	info := newFinding(0, finding.Info)
	fs := []*finding.Finding{info, newFinding(1, finding.Low), newFinding(2, finding.Medium), newFinding(3, finding.High), newFinding(4, finding.Critical)}
	if err := d.Dispatch(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	// No route wants the info finding: it is done before Dispatch returns.
	if got := done.snapshot()[info.ID]; got != 1 {
		t.Errorf("OnDone for an unrouted finding called %d times before Dispatch returned, want 1", got)
	}
	stats, err := d.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	ids := func(buf *bytes.Buffer) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var f finding.Finding
			if err := json.Unmarshal([]byte(l), &f); err != nil {
				t.Fatal(err)
			}
			out = append(out, f.ID)
		}
		return out
	}
	if diff := cmp.Diff([]string{fs[3].ID, fs[4].ID}, ids(&pagerBuf)); diff != "" {
		t.Errorf("pager (high+) received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fs[1].ID, fs[2].ID, fs[3].ID, fs[4].ID}, ids(&archiveBuf)); diff != "" {
		t.Errorf("archive (low+) received (-want +got):\n%s", diff)
	}
	if stats.Routes[0].Sent != 2 || stats.Routes[1].Sent != 4 {
		t.Errorf("stats = %+v", stats)
	}
	wantDone := map[string]int{}
	for _, f := range fs {
		wantDone[f.ID] = 1
	}
	if diff := cmp.Diff(wantDone, done.snapshot()); diff != "" {
		t.Errorf("OnDone calls (-want +got):\n%s", diff)
	}
}

func TestDispatcherBatchOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "findings.jsonl")
	fo, err := NewFile("archive", path)
	if err != nil {
		t.Fatal(err)
	}
	done := newDoneRecorder()
	d := NewDispatcher([]Route{{Output: fo}}, nil, nil, DispatchOptions{OnDone: done.onDone, MaxBatch: 16, QueueSize: 32})
	const n = 250
	var fs []*finding.Finding
	for i := range n {
		fs = append(fs, newFinding(i, finding.Low))
	}
	bad := newFinding(n, finding.Low)
	bad.Event = json.RawMessage(`{"unterminated":`)
	fs = append(fs, bad)
	if err := d.Dispatch(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	stats, err := d.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := readFindings(t, path)
	if len(got) != n {
		t.Fatalf("file holds %d findings, want %d", len(got), n)
	}
	for i, f := range got {
		if f.ID != fs[i].ID {
			t.Fatalf("finding %d out of order", i)
		}
	}
	// The unencodable finding failed alone, permanently; with no dead-letter
	// file it is counted and not reported done.
	want := RouteStats{Output: "archive", Sent: n, DeadLetterFailed: 1}
	if diff := cmp.Diff(want, stats.Routes[0]); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if calls := done.snapshot(); len(calls) != n || calls[bad.ID] != 0 {
		t.Errorf("OnDone called for %d findings (bad: %d), want %d and not the bad one", len(calls), calls[bad.ID], n)
	}
}

func TestDispatcherDeadLetterFailure(t *testing.T) {
	closedDL, _ := openDeadLetter(t)
	closedDL.Close()
	tests := []struct {
		name string
		dl   *deadletter.File
		want string
	}{
		{name: "dead-letter write fails", dl: closedDL, want: "dead-letter file closed"},
		{name: "no dead-letter file", dl: nil, want: "no dead-letter file configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, reply{status: 422, body: "unprocessable"})
			wh, err := NewWebhook(WebhookOptions{URL: rcv.URL})
			if err != nil {
				t.Fatal(err)
			}
			var logs logBuffer
			done := newDoneRecorder()
			d := NewDispatcher([]Route{{Output: wh}}, tt.dl, newLogger(&logs), DispatchOptions{OnDone: done.onDone})
			if err := d.Dispatch(t.Context(), []*finding.Finding{newFinding(1, finding.High)}); err != nil {
				t.Fatal(err)
			}
			stats, err := d.Close(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if s := stats.Routes[0]; s.DeadLetterFailed != 1 || s.DeadLettered != 0 {
				t.Errorf("stats = %+v, want one DeadLetterFailed", s)
			}
			if len(done.snapshot()) != 0 {
				t.Error("OnDone called for a finding that was neither delivered nor dead-lettered")
			}
			out := logs.String()
			if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, tt.want) || !strings.Contains(out, "unprocessable") {
				t.Errorf("log lacks an Error with both failures:\n%s", out)
			}
		})
	}
}

func TestDispatcherSecretsNotLogged(t *testing.T) {
	const (
		pathToken   = "pathtok-8d7c6b5a"
		secret      = "hmac-9a8b7c6d5e"
		headerToken = "hdr-1f2e3d4c"
		slackToken  = "slacktok-0f9e8d"
	)
	// Receivers that echo what they were sent into their error bodies.
	var mu sync.Mutex
	calls := map[string]int{}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls[r.URL.Path]++
		n := calls[r.URL.Path]
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		} else {
			w.WriteHeader(http.StatusForbidden)
		}
		fmt.Fprintf(w, "path=%s auth=%s", r.URL.Path, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	var logs logBuffer
	logger := newLogger(&logs)
	cfgs := []Config{
		{Type: "webhook", Name: "echo", URL: echo.URL + "/in/" + pathToken, Secret: secret, Headers: map[string]string{"Authorization": "Bearer " + headerToken}},
		{Type: "slack", Name: "slack-echo", URL: echo.URL + "/services/" + slackToken},
		{Type: "slack", Name: "slack-down", URL: deadURL + "/services/" + slackToken, MaxAttempts: 2},
	}
	for _, c := range cfgs {
		logger.Info("Output configured", "output", c)
	}
	routes, err := Build(cfgs, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		logger.Info("Route built", "output", r.Output)
	}
	dl, dlPath := openDeadLetter(t)
	d := NewDispatcher(routes, dl, logger, DispatchOptions{Sleep: (&sleepRecorder{}).sleep})
	if err := d.Dispatch(t.Context(), []*finding.Finding{newFinding(1, finding.High)}); err != nil {
		t.Fatal(err)
	}
	stats, err := d.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats.Routes {
		if s.DeadLettered != 1 || s.Retried != 1 {
			t.Errorf("%s: stats %+v, want a retry then a dead letter", s.Output, s)
		}
	}

	dlBytes, err := os.ReadFile(dlPath)
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "will retry") || !strings.Contains(out, "Finding dead-lettered") {
		t.Fatalf("expected retry and dead-letter logs, got:\n%s", out)
	}
	for _, s := range []string{pathToken, secret, headerToken, slackToken} {
		if strings.Contains(out, s) {
			t.Errorf("log output contains secret %q:\n%s", s, out)
		}
		if bytes.Contains(dlBytes, []byte(s)) {
			t.Errorf("dead-letter file contains secret %q", s)
		}
	}
}

func TestDispatcherBackpressureAndClose(t *testing.T) {
	rcv := newReceiver(t, reply{status: 500})
	wh, err := NewWebhook(WebhookOptions{Name: "stuck", URL: rcv.URL})
	if err != nil {
		t.Fatal(err)
	}
	dl, dlPath := openDeadLetter(t)
	d := NewDispatcher([]Route{{Output: wh}}, dl, nil, DispatchOptions{QueueSize: 1, Sleep: blockingSleep})
	var fs []*finding.Finding
	for i := range 5 {
		fs = append(fs, newFinding(i, finding.High))
	}

	// One finding in the route's retry loop, one in its queue: the third
	// blocks Dispatch until the caller gives up. Nothing is dropped.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	err = d.Dispatch(ctx, fs)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "finding 3 of 5") {
		t.Fatalf("Dispatch into a full queue = %v, want a deadline error at finding 3", err)
	}

	// A Dispatch blocked on the full queue is released by Close.
	blocked := make(chan error, 1)
	go func() { blocked <- d.Dispatch(t.Context(), fs[2:]) }()
	time.Sleep(20 * time.Millisecond)
	closeCtx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	stats, err := d.Close(closeCtx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want context.DeadlineExceeded", err)
	}
	select {
	case err := <-blocked:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("blocked Dispatch = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release a blocked Dispatch")
	}
	if s := stats.Routes[0]; s.DeadLettered != 2 || s.Abandoned != 2 {
		t.Errorf("stats = %+v, want the 2 accepted findings dead-lettered", s)
	}
	if n := len(readDeadLetter(t, dlPath)); n != 2 {
		t.Errorf("dead letter holds %d entries, want 2", n)
	}

	if err := d.Dispatch(t.Context(), fs); !errors.Is(err, ErrClosed) {
		t.Errorf("Dispatch after Close = %v, want ErrClosed", err)
	}
	if _, err := d.Close(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := wh.Send(t.Context(), fs[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("output not closed by the Dispatcher: Send = %v", err)
	}
}

func TestDispatcherBackoff(t *testing.T) {
	d := &Dispatcher{opts: DispatchOptions{BackoffBase: time.Second, BackoffCap: 10 * time.Second}}
	tests := []struct {
		attempt int
		full    time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second},
		{5, 10 * time.Second}, {50, 10 * time.Second},
	}
	for _, tt := range tests {
		for range 20 {
			got := d.backoff(tt.attempt)
			if got < tt.full/2 || got > tt.full {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.attempt, got, tt.full/2, tt.full)
			}
		}
	}
}
