package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigOverrides(t *testing.T) {
	isolate(t)
	// The allowed_regions cases load the whole embedded pack, whose inline
	// tests (written for the default parameters) are not run at load time.
	launches := []string{runInstances(1, "ap-southeast-1"), runInstances(2, "eu-west-1")}
	tests := []struct {
		name    string
		pack    []string // nil: the whole built-in pack
		records []string
		config  string // empty: no config
		viaEnv  bool   // name the config with TRAILWARDEN_CONFIG rather than --config
		code    int
		want    []string // "<event number> <rule id>" that must be reported
		notWant []string // and must not
	}{
		{
			name: "default allowed regions", records: launches, code: ExitOK,
			want:    []string{"1 " + ruleRegion},
			notWant: []string{"2 " + ruleRegion},
		},
		{
			name: "params override allowed_regions", records: launches, code: ExitOK,
			config:  "params:\n  allowed_regions: [ap-southeast-1, us-east-1]\n",
			want:    []string{"2 " + ruleRegion},
			notWant: []string{"1 " + ruleRegion},
		},
		{
			name: "one rule's params", records: launches, code: ExitOK,
			config:  "rules:\n  " + ruleRegion + ":\n    params: {allowed_regions: [ap-southeast-1]}\n",
			want:    []string{"2 " + ruleRegion},
			notWant: []string{"1 " + ruleRegion},
		},
		{
			name: "rule enabled by default", pack: loggingPack, records: []string{stopLogging(1)}, code: ExitFindings,
			want: []string{"1 " + ruleStopped, "1 " + ruleChange},
		},
		{
			name: "rule disabled", pack: loggingPack, records: []string{stopLogging(1)}, code: ExitOK,
			config:  "rules:\n  " + ruleStopped + ": {enabled: false}\n",
			want:    []string{"1 " + ruleChange},
			notWant: []string{"1 " + ruleStopped},
		},
		{
			name: "rule disabled, config from the environment", pack: loggingPack, records: []string{stopLogging(1)}, code: ExitOK,
			config: "rules:\n  " + ruleStopped + ":\n    enabled: false\n", viaEnv: true,
			want:    []string{"1 " + ruleChange},
			notWant: []string{"1 " + ruleStopped},
		},
		{
			name: "severity raised", pack: loggingPack, records: []string{startLogging(1)}, code: ExitFindings,
			config: "rules:\n  " + ruleChange + ": {severity: high}\n",
			want:   []string{"1 " + ruleChange},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "logs/a.json", []byte(logFile(tt.records...)))
			args := []string{"scan", "--format", "jsonl", "--no-store", "--dead-letter", filepath.Join(dir, "dl.jsonl")}
			if tt.config != "" {
				cfg := writeFile(t, dir, "trailwarden.yaml", []byte(tt.config))
				if tt.viaEnv {
					t.Setenv("TRAILWARDEN_CONFIG", cfg)
				} else {
					args = append([]string{"--config", cfg}, args...)
				}
			}
			args = append(append(args, tt.pack...), p)
			r := runCLI(t, args...)
			r.wantCode(t, tt.code)
			got := map[string]bool{}
			for _, f := range decodeFindings(t, r.stdout) {
				got[strings.TrimLeft(f.EventID[:8], "0")+" "+f.RuleID] = true
				if f.RuleID == ruleChange && strings.Contains(tt.config, "severity: high") && f.Severity.String() != "high" {
					t.Errorf("%s has severity %s, want the configured high", f.RuleID, f.Severity)
				}
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("no finding %q; got %v", w, got)
				}
			}
			for _, w := range tt.notWant {
				if got[w] {
					t.Errorf("finding %q reported; got %v", w, got)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		name   string
		config string
		want   []string // on stderr; %s is the config's path
	}{
		{
			name:   "unknown top-level key",
			config: "store: tw.db\nstorage: other.db\n",
			want:   []string{"%s: config: ", "line 2: field storage not found"},
		},
		{
			name:   "unknown key in a rule override",
			config: "rules:\n  " + ruleStopped + ":\n    enable: false\n",
			want:   []string{"%s: config: ", "line 3: field enable not found"},
		},
		{
			name:   "unknown key in an output",
			config: "outputs:\n  - type: webhook\n    url: https://soar.example.com/hook\n    secrets: s3cr3t\n",
			want:   []string{"%s: config: ", "line 4: field secrets not found"},
		},
		{
			name:   "value of the wrong type",
			config: "store: tw.db\nbuiltin_rules: maybe\n",
			want:   []string{"%s: config: ", "line 2: cannot unmarshal"},
		},
		{
			name:   "parameter no rule declares",
			config: "params:\n  allowed_region: [us-east-1]\n",
			want:   []string{`parameter "allowed_region" is not declared by any rule`},
		},
		{
			name:   "override of an unknown rule",
			config: "rules:\n  aws-cloudtrail-logging-stoped: {enabled: false}\n",
			want:   []string{`override for unknown rule "aws-cloudtrail-logging-stoped"`},
		},
		{
			name:   "unknown output type",
			config: "outputs:\n  - type: email\n",
			want:   []string{`outputs[0].type: unknown output type "email"`},
		},
		{
			name:   "field another output type uses",
			config: "outputs:\n  - type: slack\n    url: https://hooks.slack.com/services/T0/B0/x\n    secret: s3cr3t\n",
			want:   []string{"outputs[0].secret: not used by type slack"},
		},
		{
			name:   "unset environment variable",
			config: "outputs:\n  - type: webhook\n    url: ${TW_TEST_UNSET_URL}\n",
			want:   []string{"outputs[0].url: environment variable TW_TEST_UNSET_URL is not set"},
		},
		{
			name:   "duplicate output names",
			config: "outputs:\n  - type: stdout\n  - type: stdout\n",
			want:   []string{`outputs[1].name: "stdout" is already used by outputs[0]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeFile(t, dir, "trailwarden.yaml", []byte(tt.config))
			p := writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1))))
			args := append([]string{"--config", cfg, "scan", "--no-store", "--dead-letter", filepath.Join(dir, "dl.jsonl")}, loggingPack...)
			r := runCLI(t, append(args, p)...)
			r.wantCode(t, ExitError)
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "%s", cfg); !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("findings reported despite the bad config:\n%s", r.stdout)
			}
		})
	}
}
