package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/sqlitedb"
)

// openTest opens a store in a fresh directory and closes it with the test.
func openTest(t testing.TB) *SQLite {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "state", "trailwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newFinding returns a finding of rule for event, with its deterministic id.
func newFinding(rule, event string, sev finding.Severity, at time.Time, account string) *finding.Finding {
	return &finding.Finding{
		ID:          finding.ID(rule, event),
		RuleID:      rule,
		RuleTitle:   "Title of " + rule,
		Severity:    sev,
		Tags:        []string{"attack.persistence"},
		EventID:     event,
		EventName:   "CreateAccessKey",
		EventSource: "iam.amazonaws.com",
		EventTime:   at,
		DetectedAt:  at.Add(time.Minute),
		Account:     account,
		Region:      "eu-west-1",
		Actor:       finding.Actor{Type: "IAMUser", ARN: "arn:aws:iam::" + account + ":user/alice", MFA: true},
		SourceIP:    "198.51.100.7",
		Resources:   []string{"arn:aws:iam::" + account + ":user/bob"},
		Summary:     "alice created an access key for bob",
		Origin:      "/logs/a.json.gz",
		Event:       []byte(`{"eventID":"` + event + `","eventName":"CreateAccessKey"}`),
	}
}

// ids returns the ids of fs, in order; nil for none.
func ids(fs []*finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestOpen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "a", "b", "with ?#% chars.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err) // the name was taken as a path, not parsed as a URI
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode = %v, want 0600", mode)
	}
	for _, p := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
		{"temp_store", "2"}, // MEMORY
	} {
		for _, db := range []struct {
			name string
			q    func() (string, error)
		}{
			{"writer", func() (v string, err error) { return v, s.w.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&v) }},
			{"reader", func() (v string, err error) { return v, s.r.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&v) }},
		} {
			got, err := db.q()
			if err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("%s: PRAGMA %s = %q, want %q", db.name, p.pragma, got, p.want)
			}
		}
	}
	if _, err := s.r.ExecContext(ctx, "DELETE FROM findings"); err == nil {
		t.Error("the read pool accepted a write")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
	}{
		{"empty path", ""},
		{"parent is a file", filepath.Join(file, "x.db")},
		{"not a database", notDB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), "open store ") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "t.db")
	f := newFinding("r1", "e1", finding.High, t0, "111111111111")
	for i := range 3 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		if i == 0 {
			if _, err := s.AddFindings(ctx, []*finding.Finding{f}); err != nil {
				t.Fatal(err)
			}
		}
		var n, v int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		known, _ := sqlitedb.Versions(migrationFS())
		if n != known || v != known {
			t.Errorf("open #%d: %d migrations recorded up to version %d, want %d", i, n, v, known)
		}
		got, err := s.Findings(ctx, FindingQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*finding.Finding{f}, got); diff != "" {
			t.Errorf("open #%d: findings (-want +got):\n%s", i, diff)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (9999, 'from_the_future', 'x')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a newer schema")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("error %v does not wrap ErrSchemaTooNew", err)
	}
	known, _ := sqlitedb.Versions(migrationFS())
	for _, want := range []string{path, "9999", "from_the_future", fmt.Sprintf("%04d", known)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// appliedVersions reads schema_migrations past the runner.
func appliedVersions(t *testing.T, path string) []int {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// A rolled-back migration leaves no table behind either.
	if len(vs) == 1 {
		var n int
		if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Error("table b exists at version 1")
		}
	}
	return vs
}
