package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
)

func TestAddFindings(t *testing.T) {
	a := newFinding("r1", "e1", finding.High, t0, "111111111111")
	b := newFinding("r1", "e2", finding.Low, t0.Add(time.Second), "111111111111")
	c := newFinding("r2", "e1", finding.Medium, t0.Add(2*time.Second), "222222222222")
	aAgain := *a // the same event read a second time
	aAgain.Origin = "/logs/copy-of-a.json.gz"

	type call struct {
		add, wantFresh []*finding.Finding
	}
	for _, tc := range []struct {
		name  string
		calls []call
	}{
		{"all new", []call{
			{[]*finding.Finding{a, b}, []*finding.Finding{a, b}},
		}},
		{"empty", []call{
			{nil, nil},
		}},
		{"second call with overlapping ids", []call{
			{[]*finding.Finding{a, b}, []*finding.Finding{a, b}},
			{[]*finding.Finding{b, &aAgain, c}, []*finding.Finding{c}},
			{[]*finding.Finding{c, b, a}, nil},
		}},
		{"duplicates within one batch count once", []call{
			{[]*finding.Finding{a, b, &aAgain, b}, []*finding.Finding{a, b}},
			{[]*finding.Finding{c, c}, []*finding.Finding{c}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			for i, c := range tc.calls {
				fresh, err := s.AddFindings(t.Context(), c.add)
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if diff := cmp.Diff(ids(c.wantFresh), ids(fresh)); diff != "" {
					t.Errorf("call %d: fresh ids (-want +got):\n%s", i, diff)
				}
				for j, f := range fresh {
					if f != c.wantFresh[j] {
						t.Errorf("call %d: fresh[%d] is a copy, want the element of the input", i, j)
					}
				}
			}
			// Every stored finding is queued once, as first stored.
			var stored []*finding.Finding
			for _, c := range tc.calls {
				stored = append(stored, c.wantFresh...)
			}
			pending, err := s.Pending(t.Context(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stored, pending); diff != "" {
				t.Errorf("pending (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddFindingsInvalid(t *testing.T) {
	good := newFinding("r1", "e1", finding.High, t0, "111111111111")
	noID := newFinding("r1", "e2", finding.High, t0, "111111111111")
	noID.ID = ""
	badSeverity := newFinding("r1", "e3", finding.Critical+1, t0, "111111111111")
	badEvent := newFinding("r1", "e4", finding.High, t0, "111111111111")
	badEvent.Event = json.RawMessage(`{"truncated":`)
	badTime := newFinding("r1", "e5", finding.High, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "111111111111")

	for _, tc := range []struct {
		name string
		add  []*finding.Finding
		want string
	}{
		{"nil finding", []*finding.Finding{good, nil}, "add findings: finding 1: nil finding"},
		{"empty id", []*finding.Finding{good, noID}, "add findings: finding 1: empty id"},
		{"severity out of range", []*finding.Finding{good, badSeverity}, "severity(5) out of range"},
		{"raw event not JSON", []*finding.Finding{good, badEvent}, "add findings: finding 1: " + badEvent.ID},
		{"time not encodable", []*finding.Finding{good, badTime}, "add findings: finding 1: " + badTime.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			fresh, err := s.AddFindings(t.Context(), tc.add)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if fresh != nil {
				t.Errorf("fresh = %v, want nil", ids(fresh))
			}
			assertEmpty(t, s)
		})
	}

	t.Run("canceled context", func(t *testing.T) {
		s := openTest(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.AddFindings(ctx, []*finding.Finding{good}); err == nil {
			t.Fatal("AddFindings succeeded with a canceled context")
		}
		assertEmpty(t, s)
	})
}

// assertEmpty checks that nothing was stored or queued.
func assertEmpty(t *testing.T, s *SQLite) {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT (SELECT count(*) FROM findings) + (SELECT count(*) FROM outbox)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows written, want none", n)
	}
}

func TestOutbox(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var fs []*finding.Finding
	for i := range 1234 {
		fs = append(fs, newFinding("r1", fmt.Sprint("e", i), finding.Medium, t0.Add(time.Duration(i)*time.Second), "111111111111"))
	}
	if _, err := s.AddFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	checkPending := func(s *SQLite, limit int, want []*finding.Finding) {
		t.Helper()
		got, err := s.Pending(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
			t.Errorf("Pending(%d) ids (-want +got):\n%s", limit, diff)
		}
	}
	checkPending(s, 0, fs[:DefaultLimit])
	checkPending(s, 3, fs[:3])

	// Deliver 0..1099 except 5, plus ids that are not queued: both ignored.
	delivered := append(ids(fs[:5]), ids(fs[6:1100])...)
	delivered = append(delivered, "no-such-id", fs[0].ID)
	if err := s.MarkDelivered(ctx, delivered); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rest := append([]*finding.Finding{fs[5]}, fs[1100:]...)
	checkPending(s, 1000, rest)

	// The crash case, tamed: close and reopen, and the outbox is still there.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkPending(s, 1000, rest)
	got, err := s.Pending(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fs[5:6], got); diff != "" {
		t.Errorf("pending finding after reopen (-want +got):\n%s", diff)
	}
	// Delivered findings stay stored.
	if all, err := s.Findings(ctx, FindingQuery{Limit: 10000}); err != nil || len(all) != len(fs) {
		t.Errorf("Findings: %d, %v; want %d stored", len(all), err, len(fs))
	}
	if _, err := s.Pending(ctx, -1); err == nil {
		t.Error("Pending(-1) succeeded")
	}
}

// crashEnv names the file the child process of TestOutboxSurvivesCrash writes.
const crashEnv = "TRAILWARDEN_STORE_CRASH_DB"

// TestOutboxSurvivesCrash stores findings in a child process that exits
// without closing the store, then finds them pending in a new one.
func TestOutboxSurvivesCrash(t *testing.T) {
	fs := []*finding.Finding{
		newFinding("r1", "e1", finding.High, t0, "111111111111"),
		newFinding("r1", "e2", finding.High, t0, "111111111111"),
		newFinding("r1", "e3", finding.High, t0, "111111111111"),
	}
	if path := os.Getenv(crashEnv); path != "" {
		s, err := Open(context.Background(), path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if _, err := s.AddFindings(context.Background(), fs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := s.MarkDelivered(context.Background(), []string{fs[1].ID}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(7) // no Close: the process dies with the WAL unmerged
	}

	path := filepath.Join(t.TempDir(), "t.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestOutboxSurvivesCrash$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Pending(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*finding.Finding{fs[0], fs[2]}, got); diff != "" {
		t.Errorf("pending after crash (-want +got):\n%s", diff)
	}
}

// TestConcurrentAddFindings has writers add overlapping batches while
// readers query: every id must come back fresh exactly once.
func TestConcurrentAddFindings(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	const (
		writers = 8
		perG    = 200 // each writer adds ids [g*100, g*100+200): half shared with the next
		batch   = 25
	)
	var (
		mu    sync.Mutex
		fresh = map[string]int{}
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for g := range writers {
		wg.Go(func() {
			for lo := g * perG / 2; lo < g*perG/2+perG; lo += batch {
				var fs []*finding.Finding
				for i := lo; i < lo+batch; i++ {
					fs = append(fs, newFinding("r1", fmt.Sprint("e", i), finding.Severity(i%5), t0.Add(time.Duration(i)*time.Second), "111111111111"))
				}
				got, err := s.AddFindings(ctx, fs)
				if err != nil {
					t.Error(err)
					return
				}
				if err := s.Checkpoint(ctx, fmt.Sprint("/logs/", g), Stamp{Size: int64(lo)}, len(fs)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, f := range got {
					fresh[f.ID]++
				}
				mu.Unlock()
			}
		})
	}
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Findings(ctx, FindingQuery{MinSeverity: finding.Medium}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Pending(ctx, 50); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.CountBySeverity(ctx); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Done(ctx, "/logs/0", Stamp{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	unique := (writers-1)*perG/2 + perG
	if len(fresh) != unique {
		t.Errorf("%d distinct fresh ids, want %d", len(fresh), unique)
	}
	for id, n := range fresh {
		if n != 1 {
			t.Errorf("id %s returned fresh %d times", id, n)
		}
	}
	counts, err := s.CountBySeverity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	pending, err := s.Pending(ctx, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if total != unique || len(pending) != unique {
		t.Errorf("%d stored, %d pending; want %d each", total, len(pending), unique)
	}
}

// BenchmarkAddFindings measures storing batches of new findings, each with a
// raw event of about 1.4 KB, as a scan does, into a growing file. Besides
// findings/s it reports findings per CPU second of the whole process, which a
// busy machine disturbs less.
func BenchmarkAddFindings(b *testing.B) {
	raw, err := json.Marshal(map[string]any{
		"eventVersion": "1.09", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
		"awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": strings.Repeat("aws-cli/2.15.0 ", 8),
		"requestParameters":   map[string]string{"userName": "bob"},
		"responseElements":    map[string]any{"accessKey": map[string]string{"accessKeyId": "AKIAEXAMPLE", "status": "Active", "userName": "bob"}},
		"userIdentity":        map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/alice", "accountId": "111111111111"},
		"additionalEventData": strings.Repeat("x", 800),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprint("batch=", size), func(b *testing.B) {
			s := openTest(b)
			ctx := b.Context()
			n := 0
			fs := make([]*finding.Finding, size)
			b.ReportAllocs()
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				for i := range fs {
					f := newFinding(fmt.Sprint("rule-", n%50), fmt.Sprint("event-", n), finding.Severity(n%5), t0.Add(time.Duration(n)*time.Millisecond), "111111111111")
					f.Event = raw
					fs[i] = f
					n++
				}
				fresh, err := s.AddFindings(ctx, fs)
				if err != nil {
					b.Fatal(err)
				}
				if len(fresh) != size {
					b.Fatalf("%d fresh, want %d", len(fresh), size)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "findings/s")
			if cpu1, ok := cpuTime(); cpuOK && ok && cpu1 > cpu0 {
				b.ReportMetric(float64(n)/(cpu1-cpu0).Seconds(), "findings/cpu-s")
			}
		})
	}
}
