package output

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trailwarden/trailwarden/internal/finding"
)

func decodeOutputs(t *testing.T, doc string) []Config {
	t.Helper()
	var top struct {
		Outputs []Config `yaml:"outputs"`
	}
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&top); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return top.Outputs
}

func TestBuildFromYAML(t *testing.T) {
	t.Setenv("TW_TEST_SLACK_URL", "https://hooks.slack.com/services/T0/B0/abc123secret")
	t.Setenv("TW_TEST_SECRET", "s3cr3t$with$dollars")
	t.Setenv("TW_TEST_TOKEN", "tok-9f8e7d")
	dir := t.TempDir()
	doc := `
outputs:
  - type: stdout
    format: jsonl
  - type: slack
    min_severity: high
    url: ${TW_TEST_SLACK_URL}
    max_attempts: 3
  - type: webhook
    name: soar
    min_severity: Medium
    url: https://soar.example.com/hooks/trailwarden
    secret: ${TW_TEST_SECRET}
    headers:
      Authorization: "Bearer ${TW_TEST_TOKEN}"
    timeout: 5s
  - type: file
    path: ` + filepath.Join(dir, "sub", "findings.jsonl") + `
`
	cfgs := decodeOutputs(t, doc)
	if cfgs[2].Timeout != 5*time.Second {
		t.Errorf("timeout decoded as %v", cfgs[2].Timeout)
	}
	var stdout bytes.Buffer
	routes, err := Build(cfgs, &stdout, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range routes {
			r.Output.Close(t.Context())
		}
	}()
	type want struct {
		name     string
		min      finding.Severity
		attempts int
	}
	wants := []want{
		{"stdout", finding.Info, DefaultMaxAttempts},
		{"slack", finding.High, 3},
		{"soar", finding.Medium, DefaultMaxAttempts},
		{"file", finding.Info, DefaultMaxAttempts},
	}
	if len(routes) != len(wants) {
		t.Fatalf("got %d routes, want %d", len(routes), len(wants))
	}
	for i, w := range wants {
		r := routes[i]
		if r.Output.Name() != w.name || r.MinSeverity != w.min || r.MaxAttempts != w.attempts {
			t.Errorf("route %d = %s/%v/%d, want %s/%v/%d", i, r.Output.Name(), r.MinSeverity, r.MaxAttempts, w.name, w.min, w.attempts)
		}
	}
	wh := routes[2].Output.(*Webhook)
	if string(wh.secret) != "s3cr3t$with$dollars" {
		t.Error("secret not expanded from the environment (or $ mangled)")
	}
	if got := wh.headers.Get("Authorization"); got != "Bearer tok-9f8e7d" {
		t.Error("header value not expanded from the environment")
	}
	if wh.p.timeout != 5*time.Second {
		t.Errorf("timeout = %v", wh.p.timeout)
	}
	if sl := routes[1].Output.(*Slack); sl.p.url != "https://hooks.slack.com/services/T0/B0/abc123secret" || sl.p.timeout != DefaultTimeout {
		t.Error("slack url not expanded or timeout not defaulted")
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "findings.jsonl")); err != nil {
		t.Errorf("file output not created at build: %v", err)
	}
	if err := routes[0].Output.Send(t.Context(), newFinding(1, finding.Low)); err != nil || !strings.HasPrefix(stdout.String(), `{"id":`) {
		t.Errorf("stdout route does not write jsonl to the given writer: %v %q", err, stdout.String())
	}
}

func TestBuildErrors(t *testing.T) {
	t.Setenv("TW_TEST_EMPTY", "")
	const leak = "leaky-secret-0a1b2c"
	dir := t.TempDir()
	tests := []struct {
		name string
		cfgs []Config
		want string // substring of the error
	}{
		{name: "unknown type", cfgs: []Config{{Type: "stdout"}, {Type: "pagerduty"}}, want: "outputs[1].type: unknown output type"},
		{name: "missing type", cfgs: []Config{{}}, want: "outputs[0].type"},
		{name: "webhook without url", cfgs: []Config{{Type: "webhook"}}, want: "outputs[0].url: missing"},
		{name: "slack without url", cfgs: []Config{{Type: "slack"}}, want: "outputs[0].url: missing"},
		{name: "file without path", cfgs: []Config{{Type: "file"}}, want: "outputs[0].path: missing"},
		{name: "bad severity", cfgs: []Config{{Type: "stdout", MinSeverity: "urgent"}}, want: "outputs[0].min_severity: unknown severity"},
		{name: "ftp scheme", cfgs: []Config{{Type: "webhook", URL: "ftp://example.com/" + leak}}, want: `outputs[0].url: scheme "ftp" is not http or https`},
		{name: "no scheme", cfgs: []Config{{Type: "slack", URL: "hooks.slack.com/services/" + leak}}, want: "outputs[0].url: scheme"},
		{name: "unparsable url", cfgs: []Config{{Type: "webhook", URL: "http://exa mple.com/%zz" + leak}}, want: "outputs[0].url: not a valid URL"},
		{name: "no host", cfgs: []Config{{Type: "webhook", URL: "https:///" + leak}}, want: "outputs[0].url: no host"},
		{name: "unset env var", cfgs: []Config{{Type: "slack", URL: "${TW_TEST_UNSET_VAR}"}}, want: "outputs[0].url: environment variable TW_TEST_UNSET_VAR is not set"},
		{name: "empty env var", cfgs: []Config{{Type: "webhook", URL: "https://x.example", Secret: "${TW_TEST_EMPTY}"}}, want: "outputs[0].secret: environment variable TW_TEST_EMPTY"},
		{name: "unset env in header", cfgs: []Config{{Type: "webhook", URL: "https://x.example", Headers: map[string]string{"Authorization": "Bearer ${TW_TEST_UNSET_TOKEN}"}}}, want: "outputs[0].headers.Authorization: environment variable TW_TEST_UNSET_TOKEN"},
		{name: "reserved header", cfgs: []Config{{Type: "webhook", URL: "https://x.example", Headers: map[string]string{"X-Trailwarden-Signature": leak}}}, want: "outputs[0].headers.X-Trailwarden-Signature: X-Trailwarden-Signature is set by trailwarden"},
		{name: "field of another type", cfgs: []Config{{Type: "stdout", URL: "https://x.example/" + leak}}, want: "outputs[0].url: not used by type stdout"},
		{name: "secret on slack", cfgs: []Config{{Type: "slack", URL: "https://x.example", Secret: leak}}, want: "outputs[0].secret: not used by type slack"},
		{name: "bad format", cfgs: []Config{{Type: "stdout", Format: "xml"}}, want: `outputs[0].format: "xml"`},
		{name: "negative attempts", cfgs: []Config{{Type: "stdout", MaxAttempts: -1}}, want: "outputs[0].max_attempts"},
		{name: "negative timeout", cfgs: []Config{{Type: "slack", URL: "https://x.example", Timeout: -time.Second}}, want: "outputs[0].timeout"},
		{name: "duplicate default name", cfgs: []Config{{Type: "stdout"}, {Type: "stdout"}}, want: `outputs[1].name: "stdout" is already used by outputs[0]`},
		{name: "duplicate file path", cfgs: []Config{
			{Type: "file", Name: "a", Path: filepath.Join(dir, "f.jsonl")},
			{Type: "file", Name: "b", Path: filepath.Join(dir, ".", "f.jsonl")},
		}, want: "outputs[1].path: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes, err := Build(tt.cfgs, &bytes.Buffer{}, "dev")
			if err == nil {
				t.Fatalf("Build succeeded with %d routes, want error containing %q", len(routes), tt.want)
			}
			if routes != nil {
				t.Errorf("Build returned routes with an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error leaks a secret: %q", err)
			}
		})
	}
}

func TestBuildUnknownYAMLField(t *testing.T) {
	var top struct {
		Outputs []Config `yaml:"outputs"`
	}
	dec := yaml.NewDecoder(strings.NewReader("outputs:\n  - type: slack\n    webhook_url: x\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&top); err == nil || !strings.Contains(err.Error(), "webhook_url") {
		t.Errorf("decode with an unknown field = %v, want an error naming it", err)
	}
}

func TestConfigRedaction(t *testing.T) {
	const (
		urlToken = "T00/B00/urltoken-77aa"
		secret   = "cfg-secret-55bb"
		header   = "hdr-token-33cc"
	)
	c := Config{
		Type: "webhook", Name: "soar", URL: "https://soar.example.com/" + urlToken,
		Secret: secret, Headers: map[string]string{"Authorization": header}, Timeout: time.Second,
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("Output configured", "config", c, "ptr", &c, "list", []Config{c})
	texts := map[string]string{
		"log": logs.String(),
		"%v":  fmt.Sprintf("%v", c),
		"%+v": fmt.Sprintf("%+v", c),
		"%#v": fmt.Sprintf("%#v", c),
		"%s":  fmt.Sprintf("%s", &c), //lint:ignore S1025 the %s verb is what is under test
	}
	for what, text := range texts {
		for _, s := range []string{urlToken, secret, header} {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q: %s", what, s, text)
			}
		}
		if what != "log" && !strings.Contains(text, "soar.example.com") {
			t.Errorf("%s lost the host, which is not secret: %s", what, text)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	t.Setenv("TW_A", "alpha")
	t.Setenv("TW_B", "b$eta")
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: "plain", want: "plain"},
		{in: "${TW_A}", want: "alpha"},
		{in: "x-${TW_A}-${TW_B}-y", want: "x-alpha-b$eta-y"},
		{in: "$TW_A and $$ and ${ not a ref", want: "$TW_A and $$ and ${ not a ref"},
		{in: "${TW_UNSET_XYZ}", err: true},
	}
	for _, tt := range tests {
		got, err := expandEnv(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestConfigMarshalRedacts(t *testing.T) {
	c := Config{Type: "slack", URL: "https://hooks.slack.com/services/T/B/literal-secret-1", MinSeverity: "high"}
	ref := Config{Type: "webhook", URL: "${HOOK_URL}", Secret: "${HOOK_SECRET}", Headers: map[string]string{"Authorization": "Bearer ${TOKEN}"}}
	out, err := yaml.Marshal([]Config{c, ref})
	if err != nil {
		t.Fatal(err)
	}
	want := `- type: slack
  min_severity: high
  url: https://hooks.slack.com/REDACTED
- type: webhook
  url: ${HOOK_URL}
  secret: ${HOOK_SECRET}
  headers:
    Authorization: REDACTED
`
	if string(out) != want {
		t.Errorf("yaml.Marshal =\n%s\nwant\n%s", out, want)
	}
}
