package output

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// The output types Config accepts.
const (
	TypeStdout  = "stdout"
	TypeFile    = "file"
	TypeWebhook = "webhook"
	TypeSlack   = "slack"
)

// DefaultMaxAttempts is how many times a finding is tried on one output
// before it is dead-lettered, when the configuration does not say.
const DefaultMaxAttempts = 6

// Config is one entry of the outputs list in the YAML configuration:
//
//	outputs:
//	  - type: stdout
//	  - type: slack
//	    min_severity: high
//	    url: ${SLACK_WEBHOOK_URL}
//	  - type: webhook
//	    name: soar
//	    url: https://soar.example.com/hooks/trailwarden
//	    secret: ${SOAR_SECRET}
//	    headers: {Authorization: "Bearer ${SOAR_TOKEN}"}
//	    timeout: 5s
//
// References of the form ${NAME} in url, secret and header values are
// replaced by the environment variable NAME when Build runs; an unset or
// empty variable is an error. Other text, including a lone $, is kept as is.
// URL, Secret and header values are secrets: String and LogValue redact them.
type Config struct {
	// Type is stdout, file, webhook or slack.
	Type string `yaml:"type"`
	// Name identifies the output in logs, stats and dead-letter entries; it
	// defaults to Type and must be unique.
	Name string `yaml:"name,omitempty"`
	// MinSeverity is the lowest severity the output receives; default info.
	MinSeverity string `yaml:"min_severity,omitempty"`
	// URL is where webhook and slack post.
	URL string `yaml:"url,omitempty"`
	// Secret signs webhook requests.
	Secret string `yaml:"secret,omitempty"`
	// Headers are extra webhook request headers.
	Headers map[string]string `yaml:"headers,omitempty"`
	// Path is the file output's file.
	Path string `yaml:"path,omitempty"`
	// Format is the stdout format: text, jsonl, or empty for automatic.
	Format string `yaml:"format,omitempty"`
	// Timeout bounds one webhook or slack attempt; default 10s.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// MaxAttempts bounds the attempts per finding; default 6.
	MaxAttempts int `yaml:"max_attempts,omitempty"`
}

// LogValue shows c with its secrets redacted.
func (c Config) LogValue() slog.Value {
	v := c.redacted()
	attrs := []slog.Attr{slog.String("type", v.Type), slog.String("name", v.Name)}
	add := func(key, val string) {
		if val != "" {
			attrs = append(attrs, slog.String(key, val))
		}
	}
	add("min_severity", v.MinSeverity)
	add("url", v.URL)
	add("secret", v.Secret)
	if len(c.Headers) > 0 {
		attrs = append(attrs, slog.Any("headers", headerNames(c.Headers)))
	}
	add("path", v.Path)
	add("format", v.Format)
	add("timeout", v.Timeout)
	if v.MaxAttempts != 0 {
		attrs = append(attrs, slog.Int("max_attempts", v.MaxAttempts))
	}
	return slog.GroupValue(attrs...)
}

// String is like LogValue, for fmt.
func (c Config) String() string { return c.LogValue().String() }

// GoString keeps %#v from printing the secrets.
func (c Config) GoString() string { return "output.Config" + c.String() }

// MarshalJSON encodes c with its secrets redacted, so that logging or
// dumping a configuration that holds Config never shows them.
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.redacted()) }

// MarshalYAML encodes c with its secrets redacted; see MarshalJSON.
func (c Config) MarshalYAML() (any, error) { return c.redacted(), nil }

// configView is Config as it may be shown.
type configView struct {
	Type        string            `json:"type" yaml:"type"`
	Name        string            `json:"name,omitempty" yaml:"name,omitempty"`
	MinSeverity string            `json:"min_severity,omitempty" yaml:"min_severity,omitempty"`
	URL         string            `json:"url,omitempty" yaml:"url,omitempty"`
	Secret      string            `json:"secret,omitempty" yaml:"secret,omitempty"`
	Headers     map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	Path        string            `json:"path,omitempty" yaml:"path,omitempty"`
	Format      string            `json:"format,omitempty" yaml:"format,omitempty"`
	Timeout     string            `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	MaxAttempts int               `json:"max_attempts,omitempty" yaml:"max_attempts,omitempty"`
}

func (c Config) redacted() configView {
	v := configView{
		Type: c.Type, Name: c.Name, MinSeverity: c.MinSeverity, Path: c.Path,
		Format: c.Format, MaxAttempts: c.MaxAttempts,
		URL: redactURL(c.URL), Secret: redactValue(c.Secret),
	}
	if c.Timeout != 0 {
		v.Timeout = c.Timeout.String()
	}
	if len(c.Headers) > 0 {
		v.Headers = make(map[string]string, len(c.Headers))
		for k, val := range c.Headers {
			v.Headers[k] = redactValue(val)
		}
	}
	return v
}

// redactValue hides a secret unless it is only ${VAR} references, which
// name where the secret is rather than what it is.
func redactValue(s string) string {
	if s == "" || envRef.ReplaceAllString(s, "") == "" {
		return s
	}
	return redacted
}

// redactURL keeps the scheme and host of a URL (or a bare ${VAR}).
func redactURL(s string) string {
	if s == "" || envRef.ReplaceAllString(s, "") == "" {
		return s
	}
	if safe, err := checkURL(s); err == nil {
		return safe + "/" + redacted
	}
	return redacted
}

// Route is one output and what it receives.
type Route struct {
	Output Output
	// MinSeverity is the lowest severity sent to Output.
	MinSeverity finding.Severity
	// MaxAttempts bounds the attempts per finding; zero means the
	// Dispatcher's default.
	MaxAttempts int
}

// Build validates cfgs and constructs their outputs, in order. stdout is the
// writer stdout outputs write to, version goes into HTTP User-Agents. An
// error names the output by index and field ("outputs[2].url: ...") and never
// contains a secret. On error, outputs already opened are closed.
func Build(cfgs []Config, stdout io.Writer, version string) (routes []Route, err error) {
	defer func() {
		if err != nil {
			for _, r := range routes {
				_ = r.Output.Close(context.Background())
			}
			routes = nil
		}
	}()
	names := map[string]int{}
	paths := map[string]int{}
	for i, c := range cfgs {
		r, err := build(i, c, stdout, version)
		if err != nil {
			return routes, err
		}
		name := r.Output.Name()
		if j, dup := names[name]; dup {
			_ = r.Output.Close(context.Background())
			return routes, fmt.Errorf("outputs[%d].name: %q is already used by outputs[%d]", i, name, j)
		}
		names[name] = i
		if c.Type == TypeFile {
			abs, _ := filepath.Abs(c.Path)
			if j, dup := paths[abs]; dup {
				_ = r.Output.Close(context.Background())
				return routes, fmt.Errorf("outputs[%d].path: %s is already written by outputs[%d]", i, c.Path, j)
			}
			paths[abs] = i
		}
		routes = append(routes, r)
	}
	return routes, nil
}

// fieldError names the offending field of outputs[index].
func fieldError(index int, field string, err error) error {
	return fmt.Errorf("outputs[%d].%s: %w", index, field, err)
}

func build(i int, c Config, stdout io.Writer, version string) (Route, error) {
	sev := finding.Info
	if c.MinSeverity != "" {
		s, err := finding.ParseSeverity(c.MinSeverity)
		if err != nil {
			return Route{}, fieldError(i, "min_severity", err)
		}
		sev = s
	}
	if c.MaxAttempts < 0 {
		return Route{}, fieldError(i, "max_attempts", fmt.Errorf("%d is negative", c.MaxAttempts))
	}
	if c.Timeout < 0 {
		return Route{}, fieldError(i, "timeout", fmt.Errorf("%v is negative", c.Timeout))
	}
	// Fields each type uses; any other field set is a mistake worth reporting.
	uses := map[string][]string{
		TypeStdout:  {"format"},
		TypeFile:    {"path"},
		TypeWebhook: {"url", "secret", "headers", "timeout"},
		TypeSlack:   {"url", "timeout"},
	}
	used, ok := uses[c.Type]
	if !ok {
		return Route{}, fieldError(i, "type", fmt.Errorf("unknown output type %q (want stdout, file, webhook or slack)", c.Type))
	}
	set := map[string]bool{
		"format": c.Format != "", "path": c.Path != "", "url": c.URL != "",
		"secret": c.Secret != "", "headers": len(c.Headers) > 0, "timeout": c.Timeout != 0,
	}
	for _, field := range []string{"url", "secret", "headers", "path", "format", "timeout"} {
		if set[field] && !slices.Contains(used, field) {
			return Route{}, fieldError(i, field, fmt.Errorf("not used by type %s", c.Type))
		}
	}

	name := cmp.Or(c.Name, c.Type)
	out, err := construct(i, c, name, stdout, version)
	if err != nil {
		return Route{}, err
	}
	return Route{Output: out, MinSeverity: sev, MaxAttempts: cmp.Or(c.MaxAttempts, DefaultMaxAttempts)}, nil
}

// construct builds the output of a validated c.
func construct(i int, c Config, name string, stdout io.Writer, version string) (Output, error) {
	switch c.Type {
	case TypeStdout:
		if c.Format != FormatAuto && c.Format != FormatText && c.Format != FormatJSONL {
			return nil, fieldError(i, "format", fmt.Errorf("%q is not %q or %q", c.Format, FormatText, FormatJSONL))
		}
		if stdout == nil {
			stdout = os.Stdout
		}
		out, err := NewStdout(stdout, StdoutOptions{Name: name, Format: c.Format})
		if err != nil {
			return nil, fieldError(i, "format", err)
		}
		return out, nil
	case TypeFile:
		if c.Path == "" {
			return nil, fieldError(i, "path", errors.New("missing"))
		}
		out, err := NewFile(name, c.Path)
		if err != nil {
			return nil, fieldError(i, "path", err)
		}
		return out, nil
	}

	// webhook and slack
	u, err := expandEnv(c.URL)
	if err != nil {
		return nil, fieldError(i, "url", err)
	}
	if _, err := checkURL(u); err != nil {
		return nil, fieldError(i, "url", err)
	}
	if c.Type == TypeSlack {
		out, err := NewSlack(SlackOptions{Name: name, URL: u, Timeout: c.Timeout, Version: version})
		if err != nil {
			return nil, fmt.Errorf("outputs[%d]: %w", i, err)
		}
		return out, nil
	}
	secret, err := expandEnv(c.Secret)
	if err != nil {
		return nil, fieldError(i, "secret", err)
	}
	headers := make(map[string]string, len(c.Headers))
	for _, k := range headerNames(c.Headers) { // sorted: the first error is always the same
		ev, err := expandEnv(c.Headers[k])
		if err != nil {
			return nil, fieldError(i, "headers."+k, err)
		}
		if err := checkHeader(k, ev); err != nil {
			return nil, fieldError(i, "headers."+k, err)
		}
		headers[k] = ev
	}
	out, err := NewWebhook(WebhookOptions{Name: name, URL: u, Secret: secret, Headers: headers, Timeout: c.Timeout, Version: version})
	if err != nil {
		return nil, fmt.Errorf("outputs[%d]: %w", i, err)
	}
	return out, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces each ${NAME} in s with the environment variable NAME. It
// fails on an unset or empty variable, naming the variable (never its value).
// Unlike os.ExpandEnv it leaves $NAME and other text alone, so a secret may
// contain a $.
func expandEnv(s string) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", missing[0])
	}
	return out, nil
}
