// Package config reads trailwarden's YAML configuration file, strictly: an
// unknown key or a value of the wrong type is an error naming its line.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/rule"
)

// Config is the whole configuration. Every part is optional.
type Config struct {
	// RulesDirs are directories of user rules, loaded after the built-in pack.
	RulesDirs []string `yaml:"rules_dirs"`
	// BuiltinRules turns the embedded pack on or off (default on).
	BuiltinRules *bool `yaml:"builtin_rules"`
	// Params override rule parameters by name (allowed_regions, required_tags...).
	Params map[string]any `yaml:"params"`
	// Rules override single rules by id: enabled, severity, params.
	Rules map[string]rule.RuleOverride `yaml:"rules"`
	// Outputs receive findings; default: stdout.
	Outputs []output.Config `yaml:"outputs"`
	// Store is the SQLite file for findings and checkpoints.
	Store string `yaml:"store"`
	// StateStore is the resource state and its history: a SQLite file
	// (default: state.db beside Store) or a postgres:// URL.
	StateStore string `yaml:"state_store"`
	// DeadLetter is the JSON Lines file for undeliverable findings and quarantined records.
	DeadLetter string `yaml:"dead_letter"`
	// Coverage tunes delivery coverage.
	Coverage Coverage `yaml:"coverage"`

	file string     // where the config was read from
	root *yaml.Node // the document, for positions
}

// Coverage tunes the delivery coverage of each account × region.
type Coverage struct {
	// SilentAfter is how long an account × region may go without events
	// before the silence is reported, as a Go duration ("90m", "2h"). Zero
	// or absent means the default (coverage.DefaultSilentAfter, 1h).
	SilentAfter time.Duration `yaml:"silent_after"`
}

// Overrides returns the rule overrides the config holds.
func (c *Config) Overrides() rule.Overrides {
	return rule.Overrides{Params: c.Params, Rules: c.Rules, Where: c.Where}
}

// Where returns "file:line:col" of key in the top-level section (rules,
// params, ...), or "" when unknown.
func (c *Config) Where(section, key string) string {
	k := c.key(section, key)
	if k == nil {
		return ""
	}
	name := c.file
	if name == "" {
		name = "config"
	}
	return fmt.Sprintf("%s:%d:%d", name, k.Line, k.Column)
}

// key returns the node of key in the top-level section, or nil.
func (c *Config) key(section, key string) *yaml.Node {
	if c.root == nil || len(c.root.Content) == 0 {
		return nil
	}
	doc := c.root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != section {
			continue
		}
		sec := doc.Content[i+1]
		for j := 0; j+1 < len(sec.Content); j += 2 {
			if k := sec.Content[j]; k.Value == key {
				return k
			}
		}
	}
	return nil
}

// Builtin reports whether the embedded rule pack is used.
func (c *Config) Builtin() bool { return c.BuiltinRules == nil || *c.BuiltinRules }

// Load reads and validates a config file. Relative paths in it are resolved
// against the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.file = path
	dir := filepath.Dir(path)
	for i, d := range c.RulesDirs {
		c.RulesDirs[i] = resolve(dir, d)
	}
	if c.StateStore != "" && !strings.Contains(c.StateStore, "://") {
		c.StateStore = resolve(dir, c.StateStore)
	}
	if c.Store != "" {
		c.Store = resolve(dir, c.Store)
	}
	if c.DeadLetter != "" {
		c.DeadLetter = resolve(dir, c.DeadLetter)
	}
	return c, nil
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// Parse decodes config YAML strictly.
func Parse(data []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, errEOF(err)) {
		return nil, fmt.Errorf("config: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		c.root = &root
	}
	if d := c.Coverage.SilentAfter; d < 0 {
		line := 0
		if k := c.key("coverage", "silent_after"); k != nil {
			line = k.Line
		}
		return nil, fmt.Errorf("config: line %d: coverage.silent_after must not be negative, got %s", line, d)
	}
	return c, nil
}

// errEOF returns err when it is the empty-document io.EOF, so an empty file is valid.
func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not eof")
}
