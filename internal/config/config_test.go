package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	c, err := Parse([]byte(`
rules_dirs: [my-rules]
params:
  allowed_regions: [eu-west-1]
rules:
  aws-root-usage: {severity: critical}
outputs:
  - {type: webhook, url: "https://example.com/hook", secret: "${HOOK_SECRET}", min_severity: medium}
store: state/tw.db
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules["aws-root-usage"].Severity != "critical" || c.Outputs[0].URL != "https://example.com/hook" || !c.Builtin() {
		t.Fatalf("config = %+v", c)
	}
	if _, err := Parse([]byte("outputs:\n  - {type: stdout, colour: true}\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("unknown key: err = %v", err)
	}
	if _, err := Parse([]byte("stroe: x\n")); err == nil {
		t.Fatal("typo accepted")
	}
	if c, err := Parse(nil); err != nil || c == nil {
		t.Fatalf("empty config: %v", err)
	}
}

func TestLoadResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tw.yaml")
	os.WriteFile(p, []byte("rules_dirs: [r]\nstore: s.db\ndead_letter: /abs/dl.jsonl\n"), 0o600)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.RulesDirs[0] != filepath.Join(dir, "r") || c.Store != filepath.Join(dir, "s.db") || c.DeadLetter != "/abs/dl.jsonl" {
		t.Fatalf("paths = %+v", c)
	}
}

func TestWhere(t *testing.T) {
	c, err := Parse([]byte("params:\n  allowed_regions: [x]\nrules:\n  aws-x: {enabled: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Where("rules", "aws-x"); got != "config:4:3" {
		t.Errorf("Where(rules, aws-x) = %q", got)
	}
	if got := c.Where("params", "allowed_regions"); got != "config:2:3" {
		t.Errorf("Where(params, allowed_regions) = %q", got)
	}
	if got := c.Where("rules", "nope"); got != "" {
		t.Errorf("Where(rules, nope) = %q", got)
	}
}

func TestCoverage(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       time.Duration
		err        string
	}{
		{name: "absent", yaml: "store: x.db\n"},
		{name: "two hours", yaml: "coverage: {silent_after: 2h}\n", want: 2 * time.Hour},
		{name: "block style", yaml: "store: x.db\ncoverage:\n  silent_after: 90m\n", want: 90 * time.Minute},
		{name: "negative", yaml: "store: x.db\ncoverage:\n  silent_after: -1h\n", err: "line 3: coverage.silent_after must not be negative"},
		{name: "not a duration", yaml: "coverage: {silent_after: soon}\n", err: "line 1"},
		{name: "unknown key", yaml: "coverage:\n  silent_afterr: 2h\n", err: "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Coverage.SilentAfter != tc.want {
				t.Errorf("silent_after = %s, want %s", c.Coverage.SilentAfter, tc.want)
			}
		})
	}
}
