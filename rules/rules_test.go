package rules_test

import (
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/rules"
)

// TestBuiltinRules runs every built-in rule's inline tests, the same runner
// as `trailwarden rules test`.
func TestBuiltinRules(t *testing.T) {
	set, err := rule.Load(rule.LoadOptions{Sources: []rule.Source{{Name: "rules", FS: rules.FS}}, SkipTests: true})
	if err != nil {
		t.Fatalf("load built-in rules:\n%v", err)
	}
	if n := len(set.Rules); n < 60 {
		t.Errorf("built-in pack has %d rules, want at least 60", n)
	}
	bySeverity := map[finding.Severity]int{}
	for _, r := range set.Rules {
		m := r.Meta()
		bySeverity[m.Severity]++
		pos, neg := r.Coverage()
		if !pos || !neg {
			t.Errorf("%s:%d: rule %s lacks a positive or a negative test case", m.File, m.Line, m.ID)
		}
		if m.Description == "" || m.Runbook == "" {
			t.Errorf("%s:%d: rule %s lacks a description or a runbook", m.File, m.Line, m.ID)
		}
		if !strings.HasPrefix(m.ID, "aws-") {
			t.Errorf("%s:%d: rule id %s does not start with aws-", m.File, m.Line, m.ID)
		}
		for _, res := range r.RunTests() {
			if !res.Pass {
				t.Error(res.Error())
			}
		}
	}
	t.Logf("%d rules by severity: %v", len(set.Rules), bySeverity)
}
