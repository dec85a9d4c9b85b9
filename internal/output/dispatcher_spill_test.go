package output

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
)

// TestDispatchSpillsWhenAnOutputFallsBehind: an output that never answers
// in time must not hold back another: past SpillAfter its findings go to the
// dead letter and the healthy output gets everything promptly.
func TestDispatchSpillsWhenAnOutputFallsBehind(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(500)
	}))
	defer stuck.Close()
	defer close(release)
	var got atomic.Int64
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(200)
	}))
	defer healthy.Close()
	slow, err := NewWebhook(WebhookOptions{Name: "stuck", URL: stuck.URL, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := NewWebhook(WebhookOptions{Name: "healthy", URL: healthy.URL})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := deadletter.Open(filepath.Join(t.TempDir(), "dl.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	var done atomic.Int64
	d := NewDispatcher([]Route{{Output: slow}, {Output: fast}}, dl, nil, DispatchOptions{
		QueueSize: 2, SpillAfter: 20 * time.Millisecond, OnDone: func(*finding.Finding) { done.Add(1) },
	})
	var fs []*finding.Finding
	for i := range 30 {
		fs = append(fs, &finding.Finding{ID: string(rune('a' + i)), RuleID: "r", Severity: finding.High})
	}
	start := time.Now()
	if err := d.Dispatch(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("Dispatch took %s with one output stuck", el)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st, err := d.Close(ctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if got.Load() != 30 {
		t.Fatalf("healthy output got %d of 30", got.Load())
	}
	var stuckStats RouteStats
	for _, r := range st.Routes {
		if r.Output == "stuck" {
			stuckStats = r
		}
	}
	if stuckStats.Spilled == 0 || stuckStats.DeadLettered < stuckStats.Spilled {
		t.Fatalf("stuck route stats %+v: want spilled findings dead-lettered", stuckStats)
	}
	entries, err := deadletter.Read(dl.Path())
	if err != nil || int64(len(entries)) != stuckStats.DeadLettered {
		t.Fatalf("dead letter has %d entries (%v), stats say %d", len(entries), err, stuckStats.DeadLettered)
	}
	if done.Load() != 30 {
		t.Fatalf("OnDone for %d of 30 (every finding is delivered or dead-lettered on each route)", done.Load())
	}
}
