package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ruleDir returns the absolute path of a rule directory under testdata/rules
// (paths flags are resolved to absolute paths, and so are the positions).
func ruleDir(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "rules", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRulesTest(t *testing.T) {
	isolate(t)
	tests := []struct {
		name   string
		dir    string // under testdata/rules; empty: the built-in pack
		code   int
		stdout []string
		stderr []string
	}{
		{
			name:   "built-in pack",
			code:   ExitOK,
			stdout: []string{" 0 failed, 0 rules lacking a positive or negative case"},
		},
		{
			name:   "passing user rules",
			dir:    "good",
			code:   ExitOK,
			stdout: []string{"1 rules, 2 cases, 2 passed, 0 failed"},
		},
		{
			name:   "a single rule file",
			dir:    "good/trail.yaml",
			code:   ExitOK,
			stdout: []string{"1 rules, 2 cases, 2 passed, 0 failed"},
		},
		{
			name: "failing test case",
			dir:  "failing",
			code: ExitFindings,
			stdout: []string{
				`FAIL %s/trail.yaml:14:9: rule test-trail-stopped, test "scratch trail is reported": want match, got no match`,
				"1 rules, 3 cases, 2 passed, 1 failed",
			},
		},
		{
			name:   "rule without a negative case",
			dir:    "uncovered",
			code:   ExitFindings,
			stdout: []string{"MISSING %s/trail.yaml:3: rule test-trail-stopped has no ", "1 rules lacking a positive or negative case"},
		},
		{
			name:   "unknown key",
			dir:    "unknown_key",
			code:   ExitError,
			stderr: []string{`%s/trail.yaml:7:1: unknown key "conditon" in rule`},
		},
		{
			name:   "CEL type error",
			dir:    "type_error",
			code:   ExitError,
			stderr: []string{`%s/trail.yaml:10:11: found no matching overload for '_+_' applied to '(int, string)'`},
		},
		{
			name:   "YAML syntax error",
			dir:    "yaml_error",
			code:   ExitError,
			stderr: []string{"%s/trail.yaml:", "YAML: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"rules", "test"}
			dir := ""
			if tt.dir != "" {
				dir = ruleDir(t, tt.dir)
				args = append(args, dir)
			}
			r := runCLI(t, args...)
			r.wantCode(t, tt.code)
			for _, w := range tt.stdout {
				if w = strings.ReplaceAll(w, "%s", dir); !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.stderr {
				if w = strings.ReplaceAll(w, "%s", dir); !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

// TestRulesTestVerbose prints every case.
func TestRulesTestVerbose(t *testing.T) {
	isolate(t)
	r := runCLI(t, "rules", "test", "-v", ruleDir(t, "good"))
	r.wantCode(t, ExitOK)
	for _, w := range []string{"ok   test-trail-stopped: stopped\n", "ok   test-trail-stopped: ignored trail\n"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
}

var rulesCountRE = regexp.MustCompile(`(?m)^(\d+) rules`)

func TestRulesList(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	disable := writeFile(t, dir, "disable.yaml", []byte("rules:\n  aws-cloudtrail-logging-stopped:\n    enabled: false\n"))
	tests := []struct {
		name     string
		args     []string
		min, max int
		want     []string
		notWant  []string
	}{
		{
			name: "built-in pack",
			args: []string{"rules", "list"},
			min:  60, max: 1000,
			want: []string{"ID", "SEVERITY", ruleStopped + "  ", "cloudtrail.amazonaws.com", ruleRegion},
		},
		{
			name: "user rules only",
			args: []string{"rules", "list", "--no-builtin", "--rules", ruleDir(t, "good")},
			min:  1, max: 1,
			want:    []string{"test-trail-stopped", "high", "StopLogging", "Trail stopped by a user"},
			notWant: []string{ruleStopped},
		},
		{
			name: "one built-in file plus user rules",
			args: append(append([]string{"rules", "list"}, loggingPack...), "--rules", ruleDir(t, "good")),
			min:  25, max: 25,
			want: []string{"test-trail-stopped", ruleStopped},
		},
		{
			name: "rule disabled by config",
			args: append([]string{"--config", disable, "rules", "list"}, loggingPack...),
			min:  23, max: 23,
			want:    []string{"(1 disabled by config)"},
			notWant: []string{ruleStopped + " "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			r.wantCode(t, ExitOK)
			m := rulesCountRE.FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("no rule count:\n%s", r.stdout)
			}
			n, _ := strconv.Atoi(m[1])
			if n < tt.min || n > tt.max {
				t.Errorf("%d rules, want %d to %d", n, tt.min, tt.max)
			}
			// One line per rule, between the header and the count.
			if rows := strings.Count(r.stdout, "\n") - 2; rows != n {
				t.Errorf("%d rows for %d rules:\n%s", rows, n, r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.stdout, w) {
					t.Errorf("stdout has %q", w)
				}
			}
		})
	}
}

// TestRulesListBroken refuses a broken rule with its position.
func TestRulesListBroken(t *testing.T) {
	isolate(t)
	dir := ruleDir(t, "type_error")
	r := runCLI(t, "rules", "list", "--no-builtin", "--rules", dir)
	r.wantCode(t, ExitError)
	if w := fmt.Sprintf("%s/trail.yaml:10:11: ", dir); !strings.Contains(r.stderr, w) {
		t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
	}
}
