package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/engine"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/pipeline"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/source"
	"github.com/trailwarden/trailwarden/rules"
)

// loggingEngine is an engine over the built-in logging rules
// (rules/logging.yaml), loaded once.
var loggingEngine = sync.OnceValues(func() (*engine.Engine, error) {
	data, err := rules.FS.ReadFile("logging.yaml")
	if err != nil {
		return nil, err
	}
	set, err := rule.Load(rule.LoadOptions{Sources: []rule.Source{{Name: "builtin", FS: fstest.MapFS{"logging.yaml": {Data: data}}, Verified: true}}})
	if err != nil {
		return nil, err
	}
	rs := make([]rule.Rule, len(set.Rules))
	for i, r := range set.Rules {
		rs[i] = r
	}
	return engine.New(rs), nil
})

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := loggingEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func eventID(n int) string { return fmt.Sprintf("%08d-705c-47f2-94d4-112a9527ab8b", n) }

// stopLogging is a successful StopLogging, shaped like the records of the
// invictus-cloudtrail corpus (shared/corpora): the built-in logging rules
// report it twice (logging stopped, trail configuration changed).
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

// writeLogs writes n log files of perFile StopLogging records each and
// returns the folder.
func writeLogs(t *testing.T, n, perFile int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		recs := make([]string, perFile)
		for j := range recs {
			recs[j] = stopLogging(i*perFile + j)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.json", i)), []byte(logFile(recs...)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func filesSource(t *testing.T, paths ...string) *source.Files {
	t.Helper()
	src, err := source.NewFiles(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// sink records results; the pipeline must call it from one goroutine at a time.
type sink struct {
	t       *testing.T
	mu      sync.Mutex
	results []*pipeline.Result
	active  atomic.Int32
	// fail, when set, is returned for the result with this 1-based number.
	failAt int
	err    error
	// onResult, when set, runs on every result.
	onResult func(n int)
}

func (s *sink) Result(ctx context.Context, r *pipeline.Result) error {
	if s.active.Add(1) != 1 {
		s.t.Error("Sink.Result called concurrently")
	}
	defer s.active.Add(-1)
	s.mu.Lock()
	s.results = append(s.results, r)
	n := len(s.results)
	s.mu.Unlock()
	if s.onResult != nil {
		s.onResult(n)
	}
	if n == s.failAt {
		return s.err
	}
	return nil
}

func (s *sink) got() []*pipeline.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.results)
}

// quarantine records rejected records, from any worker.
type quarantine struct {
	mu   sync.Mutex
	errs []*decode.RecordError
}

func (q *quarantine) Reject(_ context.Context, err *decode.RecordError) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.errs = append(q.errs, err)
	return nil
}

// noLeak fails the test if goroutines started after it was called are still
// running when check is called (Run joins every goroutine it starts).
func noLeak(t *testing.T) (check func()) {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		n := runtime.NumGoroutine()
		for n > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		if n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before Run, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	}
}

func TestRunProcessesEveryDelivery(t *testing.T) {
	const files, perFile = 12, 3
	dir := writeLogs(t, files, perFile)
	for _, workers := range []int{1, 3, 8, 0} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			eng := newEngine(t)
			check := noLeak(t)
			src := filesSource(t, dir)
			s := &sink{t: t}
			q := &quarantine{}
			var c pipeline.Counters
			stats, err := pipeline.Run(t.Context(), pipeline.Config{Source: src, Engine: eng, Sink: s, Quarantine: q, Workers: workers}, &c)
			if err != nil {
				t.Fatal(err)
			}
			check()

			results := s.got() // small deliveries: no partial results
			if len(results) != files {
				t.Fatalf("sink got %d results, want one per delivery (%d)", len(results), files)
			}
			seen := map[string]bool{}
			findings := 0
			for _, r := range results {
				o := r.Delivery.Origin
				if seen[o] {
					t.Errorf("%s delivered to the sink twice", o)
				}
				seen[o] = true
				if r.Err != nil || r.Skipped || r.Partial || r.RuleErrors != 0 {
					t.Errorf("%s: %+v", o, r)
				}
				if r.Decode.Events != perFile || r.Decode.Format != decode.FormatLogFile {
					t.Errorf("%s: decode stats %+v", o, r.Decode)
				}
				if len(r.Findings) != 2*perFile {
					t.Errorf("%s: %d findings, want %d", o, len(r.Findings), 2*perFile)
				}
				for _, f := range r.Findings {
					if f.Origin != o {
						t.Errorf("finding origin %q, want %q", f.Origin, o)
					}
					if !strings.Contains(string(f.Event), f.EventID) {
						t.Errorf("finding %s does not carry its own record: %s", f.ID, f.Event)
					}
				}
				findings += len(r.Findings)
			}
			if len(q.errs) != 0 {
				t.Errorf("rejects: %v", q.errs)
			}
			if c.Files.Load() != files || c.Events.Load() != files*perFile || c.Bytes.Load() != src.TotalBytes {
				t.Errorf("counters: files %d events %d bytes %d (total %d)", c.Files.Load(), c.Events.Load(), c.Bytes.Load(), src.TotalBytes)
			}
			if stats.Engine.Events != files*perFile || stats.Engine.Findings != int64(findings) || stats.Engine.Errors != 0 {
				t.Errorf("engine stats %+v, want %d events and %d findings", stats.Engine, files*perFile, findings)
			}
		})
	}
}

// TestRunPartialResults: a delivery with many findings hands them on in
// partial results before its last, complete one.
func TestRunPartialResults(t *testing.T) {
	const events = 700 // two findings each: more than one partial result holds
	dir := writeLogs(t, 1, events)
	eng := newEngine(t)
	s := &sink{t: t}
	var c pipeline.Counters
	if _, err := pipeline.Run(t.Context(), pipeline.Config{Source: filesSource(t, dir), Engine: eng, Sink: s, Quarantine: &quarantine{}, Workers: 2}, &c); err != nil {
		t.Fatal(err)
	}
	results := s.got()
	if len(results) < 2 {
		t.Fatalf("%d results, want partial ones before the last", len(results))
	}
	ids := map[string]bool{}
	for i, r := range results {
		last := i == len(results)-1
		if r.Partial == last {
			t.Errorf("result %d of %d: Partial = %v", i+1, len(results), r.Partial)
		}
		if !last && (r.Decode != (decode.Stats{}) || r.Err != nil || len(r.Findings) == 0) {
			t.Errorf("partial result %d carries %+v, err %v, %d findings", i+1, r.Decode, r.Err, len(r.Findings))
		}
		for _, f := range r.Findings {
			if ids[f.ID] {
				t.Errorf("finding %s handed on twice", f.ID)
			}
			ids[f.ID] = true
		}
	}
	if last := results[len(results)-1]; last.Decode.Events != events || last.Err != nil {
		t.Errorf("last result: %+v, err %v", last.Decode, last.Err)
	}
	if len(ids) != 2*events {
		t.Errorf("%d findings, want %d", len(ids), 2*events)
	}
	if c.Files.Load() != 1 || c.Events.Load() != events {
		t.Errorf("counters: %d files, %d events", c.Files.Load(), c.Events.Load())
	}
}

// TestRunEventTimes: the last result of a delivery spans its events'
// times, whatever their order; a delivery without events has zero times.
func TestRunEventTimes(t *testing.T) {
	at := func(n int, ts string) string {
		return strings.Replace(stopLogging(n), `"eventTime":"2023-07-10T12:01:27Z"`, `"eventTime":"`+ts+`"`, 1)
	}
	many := make([]string, 700) // two findings each: partial results come first
	for i := range many {
		many[i] = at(100+i, fmt.Sprintf("2023-07-10T13:%02d:%02dZ", i/60%60, i%60))
	}
	tests := []struct {
		name           string
		records        []string
		oldest, newest string // "" for the zero time
	}{
		{name: "out of order", records: []string{at(1, "2023-07-10T12:05:00Z"), at(2, "2023-07-10T12:01:00Z"), at(3, "2023-07-10T12:09:30Z"), at(4, "2023-07-10T12:02:00Z")},
			oldest: "2023-07-10T12:01:00Z", newest: "2023-07-10T12:09:30Z"},
		{name: "one event", records: []string{at(5, "2023-07-10T12:03:00Z")}, oldest: "2023-07-10T12:03:00Z", newest: "2023-07-10T12:03:00Z"},
		{name: "no events"},
		{name: "partial results", records: many, oldest: "2023-07-10T13:00:00Z", newest: "2023-07-10T13:11:39Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(logFile(tt.records...)), 0o644); err != nil {
				t.Fatal(err)
			}
			s := &sink{t: t}
			if _, err := pipeline.Run(t.Context(), pipeline.Config{Source: filesSource(t, dir), Engine: newEngine(t), Sink: s, Quarantine: &quarantine{}, Workers: 1}, nil); err != nil {
				t.Fatal(err)
			}
			results := s.got()
			last := results[len(results)-1]
			parse := func(s string) time.Time {
				if s == "" {
					return time.Time{}
				}
				v, err := time.Parse(time.RFC3339, s)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			if !last.Oldest.Equal(parse(tt.oldest)) || !last.Newest.Equal(parse(tt.newest)) {
				t.Errorf("span [%v, %v], want [%s, %s]", last.Oldest, last.Newest, tt.oldest, tt.newest)
			}
		})
	}
}

// TestRunQuarantine: rejected records go to Quarantine, the rest of the
// delivery is processed; an unreadable delivery is a Result.Err.
func TestRunQuarantine(t *testing.T) {
	eng := newEngine(t)
	dir := t.TempDir()
	noSource := strings.Replace(stopLogging(2), `"eventSource":"cloudtrail.amazonaws.com",`, "", 1)
	recs := []string{stopLogging(1), noSource, stopLogging(3)}
	bad := filepath.Join(dir, "a.json")
	cut := filepath.Join(dir, "b.json")
	if err := os.WriteFile(bad, []byte(logFile(recs...)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, []byte(logFile(stopLogging(4))[:100]), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &sink{t: t}
	q := &quarantine{}
	if _, err := pipeline.Run(t.Context(), pipeline.Config{Source: filesSource(t, dir), Engine: eng, Sink: s, Quarantine: q, Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if len(q.errs) != 1 {
		t.Fatalf("%d rejects, want 1: %v", len(q.errs), q.errs)
	}
	if re := q.errs[0]; re.Origin != bad || re.Index != 1 || re.Offset != int64(len(`{"Records":[`)+len(recs[0])+1) || !errors.Is(re, event.ErrMissing) {
		t.Errorf("reject %+v (%v)", re, re)
	}
	byOrigin := map[string]*pipeline.Result{}
	for _, r := range s.got() {
		byOrigin[r.Delivery.Origin] = r
	}
	if r := byOrigin[bad]; r == nil || r.Err != nil || r.Decode.Events != 2 || r.Decode.Rejected != 1 || len(r.Findings) != 4 {
		t.Errorf("result of the file with a bad record: %+v", r)
	}
	r := byOrigin[cut]
	if r == nil {
		t.Fatal("no result for the cut file")
	}
	var re *decode.RecordError
	if !errors.As(r.Err, &re) || re.Origin != cut || re.Index != -1 || !errors.Is(r.Err, decode.ErrTruncated) {
		t.Errorf("result of the cut file: err %v", r.Err)
	}
}

// TestRunFilter: a filtered delivery reaches the sink as Skipped, unread; a
// filter error is the delivery's error.
func TestRunFilter(t *testing.T) {
	eng := newEngine(t)
	dir := writeLogs(t, 4, 1)
	errCheckpoint := errors.New("checkpoint store unavailable")
	filter := func(_ context.Context, d *source.Delivery) (bool, error) {
		switch filepath.Base(d.Origin) {
		case "000.json", "001.json":
			return true, nil
		case "002.json":
			return false, errCheckpoint
		}
		return false, nil
	}
	s := &sink{t: t}
	var c pipeline.Counters
	if _, err := pipeline.Run(t.Context(), pipeline.Config{Source: filesSource(t, dir), Engine: eng, Sink: s, Quarantine: &quarantine{}, Filter: filter, Workers: 2}, &c); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range s.got() {
		state := "read"
		switch {
		case r.Skipped:
			state = "skipped"
		case errors.Is(r.Err, errCheckpoint):
			state = "error"
		case r.Err != nil:
			state = r.Err.Error()
		}
		if state != "read" && (len(r.Findings) != 0 || r.Decode.Events != 0) {
			t.Errorf("%s was %s but read: %+v", r.Delivery.Origin, state, r)
		}
		got[filepath.Base(r.Delivery.Origin)] = state
	}
	want := map[string]string{"000.json": "skipped", "001.json": "skipped", "002.json": "error", "003.json": "read"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results %v, want %v", got, want)
	}
	if c.Events.Load() != 1 || c.Files.Load() != 4 {
		t.Errorf("counters: %d events, %d files", c.Events.Load(), c.Files.Load())
	}
}

// TestRunOpenError: a delivery that cannot be opened is a Result.Err naming it.
func TestRunOpenError(t *testing.T) {
	eng := newEngine(t)
	dir := writeLogs(t, 2, 1)
	src := filesSource(t, dir)
	gone := filepath.Join(dir, "000.json")
	if err := os.Remove(gone); err != nil { // listed, then removed before it is read
		t.Fatal(err)
	}
	s := &sink{t: t}
	if _, err := pipeline.Run(t.Context(), pipeline.Config{Source: src, Engine: eng, Sink: s, Quarantine: &quarantine{}, Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	results := s.got()
	if len(results) != 2 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.Delivery.Origin != gone {
			continue
		}
		var re *decode.RecordError
		if !errors.As(r.Err, &re) || re.Origin != gone || re.Index != -1 || !errors.Is(r.Err, os.ErrNotExist) {
			t.Errorf("err %v, want a RecordError for %s wrapping ErrNotExist", r.Err, gone)
		}
	}
}

// endless yields the same log file forever, under new origins.
type endless struct {
	data []byte
	n    atomic.Int64
}

func (s *endless) Next(ctx context.Context) (*source.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := s.n.Add(1)
	return &source.Delivery{Origin: fmt.Sprintf("mem://%d", n), Kind: source.LogFile, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(s.data)), nil
	}}, nil
}

func (s *endless) Close(context.Context) error { return nil }

// blocking never yields: Next waits for ctx.
type blocking struct{}

func (blocking) Next(ctx context.Context) (*source.Delivery, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (blocking) Close(context.Context) error { return nil }

// failing yields n deliveries of endless, then an error.
type failing struct {
	endless
	n   int64
	err error
}

func (s *failing) Next(ctx context.Context) (*source.Delivery, error) {
	if s.endless.n.Load() >= s.n {
		return nil, s.err
	}
	return s.endless.Next(ctx)
}

// TestRunStops: a sink error, a source error and ctx ending each stop Run,
// which returns the cause after every goroutine it started has stopped.
func TestRunStops(t *testing.T) {
	errSink := errors.New("store is full")
	errSource := errors.New("list bucket: access denied")
	data := []byte(logFile(stopLogging(1), stopLogging(2)))
	tests := []struct {
		name    string
		src     source.Source
		failAt  int  // the sink fails on this result
		cancel  int  // ctx is cancelled on this result (0: never)
		timeout bool // ctx has a deadline instead
		wantErr error
		minRes  int
	}{
		{name: "sink error", src: &endless{data: data}, failAt: 3, wantErr: errSink, minRes: 3},
		{name: "source error", src: &failing{endless: endless{data: data}, n: 5, err: errSource}, wantErr: errSource},
		{name: "cancel while delivering", src: &endless{data: data}, cancel: 5, wantErr: context.Canceled, minRes: 5},
		{name: "cancel while the source waits", src: blocking{}, timeout: true, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t)
			check := noLeak(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.timeout {
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}
			var afterStop atomic.Int32
			var stopped atomic.Bool
			s := &sink{t: t, failAt: tt.failAt, err: errSink, onResult: func(n int) {
				if stopped.Load() {
					afterStop.Add(1)
				}
				if n == tt.cancel {
					cancel()
				}
				if n == tt.failAt {
					stopped.Store(true)
				}
			}}
			done := make(chan error, 1)
			go func() {
				_, err := pipeline.Run(ctx, pipeline.Config{Source: tt.src, Engine: eng, Sink: s, Quarantine: &quarantine{}, Workers: 3}, nil)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run returned %v, want %v", err, tt.wantErr)
			}
			if n := len(s.got()); n < tt.minRes {
				t.Errorf("sink got %d results, want at least %d", n, tt.minRes)
			}
			if n := afterStop.Load(); n != 0 {
				t.Errorf("sink called %d times after it failed", n)
			}
			check()
		})
	}
}

func TestRunRequiresStages(t *testing.T) {
	eng := newEngine(t)
	full := pipeline.Config{Source: blocking{}, Engine: eng, Sink: &sink{t: t}, Quarantine: &quarantine{}}
	tests := []struct {
		name string
		edit func(*pipeline.Config)
	}{
		{"no source", func(c *pipeline.Config) { c.Source = nil }},
		{"no engine", func(c *pipeline.Config) { c.Engine = nil }},
		{"no sink", func(c *pipeline.Config) { c.Sink = nil }},
		{"no quarantine", func(c *pipeline.Config) { c.Quarantine = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full
			tt.edit(&cfg)
			if _, err := pipeline.Run(t.Context(), cfg, nil); err == nil {
				t.Error("Run accepted a missing stage")
			}
		})
	}
}
