package cli

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/state/pgstate/pgtest"
)

// TestStateOnPostgres keeps the state of the invictus corpus in PostgreSQL
// (a schema of its own) and reads it back with inventory, as with SQLite:
// the backdoored role's six revisions, its trust policy opened to another
// account, its deletion; a second scan changes nothing.
func TestStateOnPostgres(t *testing.T) {
	isolate(t)
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.FreshSchema(t, dsn, "cli_test"))
	u.RawQuery = q.Encode()
	loc := u.String()
	corpus := filepath.Join("..", "..", "..", "shared", "corpora", "invictus-cloudtrail", "CloudTrail")

	r := runCLI(t, "scan", "--store", filepath.Join(t.TempDir(), "tw.db"), "--state", loc, "--format", "jsonl", "--fail-on", "never", corpus)
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stderr, "resource state: ") {
		t.Fatalf("no state kept:\n%s", r.stderr)
	}
	h := runCLI(t, "inventory", "history", "stratus-red-team-backdoor-r-role", "--state", loc, "--format", "json")
	h.wantCode(t, ExitOK)
	var hist struct {
		Events []struct {
			Revision  int    `json:"revision"`
			EventName string `json:"eventName"`
			Actor     string `json:"actor"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &hist); err != nil {
		t.Fatalf("%v:\n%s", err, h.stdout)
	}
	var names []string
	for _, e := range hist.Events {
		names = append(names, e.EventName)
		if e.Actor != "arn:aws:iam::123837392027:user/bert-jan" {
			t.Errorf("%s by %q", e.EventName, e.Actor)
		}
	}
	if len(names) < 3 || names[0] != "CreateRole" || names[len(names)-1] != "DeleteRole" || !strings.Contains(h.stdout, "UpdateAssumeRolePolicy") {
		t.Errorf("the role's history: %v", names)
	}
	l := runCLI(t, "inventory", "list", "--state", loc, "--type", "role", "--deleted")
	l.wantCode(t, ExitOK)
	if !strings.Contains(l.stdout, "stratus-red-team-backdoor-r-role") {
		t.Errorf("list --deleted lacks the role:\n%s", l.stdout)
	}
	// the same scan again changes nothing
	r = runCLI(t, "scan", "--no-store", "--state", loc, "--format", "jsonl", "--fail-on", "never", corpus)
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stderr, " 0 new revisions") {
		t.Errorf("a second scan made revisions:\n%s", r.stderr)
	}
}
