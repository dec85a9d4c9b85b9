package rule

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule/expr"
)

// Error is a problem in a rule file, positioned at its line and column.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// Source is a named tree of rule files: the built-in pack or a user directory.
type Source struct {
	Name string // shown in positions, e.g. "builtin" or the directory
	FS   fs.FS
	// Verified marks rules whose inline tests already ran when the binary
	// was built (the embedded pack): Load does not run them again.
	Verified bool
}

// Overrides are the config file's say over rules.
type Overrides struct {
	// Params override, by name, the parameter of every rule that declares it.
	Params map[string]any `yaml:"params"`
	// Rules override single rules by id.
	Rules map[string]RuleOverride `yaml:"rules"`
	// Where, when set, returns the position ("file:line:col") of a key of a
	// section ("rules", "params") in the configuration, for error messages.
	Where func(section, key string) string `yaml:"-" json:"-"`
}

// configErr makes an error about a configuration key, positioned when the
// configuration knows where the key is.
func (o *Overrides) configErr(section, key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if o.Where != nil {
		if pos := o.Where(section, key); pos != "" {
			return fmt.Errorf("%s: %s", pos, msg)
		}
	}
	return fmt.Errorf("config: %s", msg)
}

// RuleOverride changes one rule.
type RuleOverride struct {
	Enabled  *bool          `yaml:"enabled"`
	Severity string         `yaml:"severity"`
	Params   map[string]any `yaml:"params"`
}

// Set is a loaded, compiled set of rules.
type Set struct {
	Rules []*CELRule
	// Fingerprint changes whenever a rule file or an override changes.
	Fingerprint string
	// Disabled counts rules turned off by configuration.
	Disabled int
}

// LoadOptions says what to load.
type LoadOptions struct {
	Sources   []Source
	Overrides Overrides
	// SkipTests loads rules without running their inline tests (the test
	// runner itself uses this to report failures one by one).
	SkipTests bool
	// Now is the clock for DetectedAt (default time.Now).
	Now func() time.Time
}

// Load reads every *.yaml / *.yml file of every source, compiles the rules,
// applies overrides and runs each rule's inline tests. Every problem is
// returned (joined), each as an *Error with its position; a rule with a
// problem is refused, never skipped silently.
func Load(opts LoadOptions) (*Set, error) {
	env, err := expr.NewEnv()
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	l := &loader{env: env, now: now, ov: opts.Overrides, ids: map[string]string{}, usedGlobal: map[string]bool{}}
	h := sha256.New()
	for _, src := range opts.Sources {
		var files []string
		err := fs.WalkDir(src.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list rules in %s: %w", src.Name, err)
		}
		sort.Strings(files)
		for _, p := range files {
			data, err := fs.ReadFile(src.FS, p)
			if err != nil {
				return nil, fmt.Errorf("read rule file: %w", err)
			}
			name := path.Join(src.Name, p)
			h.Write([]byte(name))
			h.Write([]byte{0})
			h.Write(data)
			l.verified = src.Verified
			l.file(name, data)
		}
	}
	ovJSON, _ := json.Marshal(opts.Overrides)
	h.Write(ovJSON)
	for _, id := range slices.Sorted(maps.Keys(opts.Overrides.Rules)) {
		if _, ok := l.ids[id]; !ok {
			l.errs = append(l.errs, l.ov.configErr("rules", id, "override for unknown rule %q", id))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Overrides.Params)) {
		if !l.usedGlobal[k] {
			l.errs = append(l.errs, l.ov.configErr("params", k, "parameter %q is not declared by any rule", k))
		}
	}
	if !opts.SkipTests {
		for _, r := range l.rules {
			if r.verified {
				continue
			}
			for _, res := range r.RunTests() {
				if !res.Pass {
					l.errs = append(l.errs, res.Error())
				}
			}
		}
	}
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	return &Set{Rules: l.rules, Fingerprint: hex.EncodeToString(h.Sum(nil)[:16]), Disabled: l.disabled}, nil
}

type loader struct {
	env        *expr.Env
	now        func() time.Time
	ov         Overrides
	rules      []*CELRule
	ids        map[string]string // id → position of its definition
	usedGlobal map[string]bool
	errs       []error
	disabled   int

	// per file
	name     string
	lines    []string
	verified bool
}

func (l *loader) errAt(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	l.errs = append(l.errs, &Error{File: l.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) file(name string, data []byte) {
	l.name = name
	l.lines = strings.Split(string(data), "\n")
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.errs = append(l.errs, yamlError(name, err))
		return
	}
	if len(doc.Content) == 0 {
		l.errAt(&doc, "empty rule file")
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		l.errAt(root, "want a rule or a pack (a mapping with rules:)")
		return
	}
	if rulesNode := mapGet(root, "rules"); rulesNode != nil {
		for i := 0; i < len(root.Content); i += 2 {
			if k := root.Content[i]; k.Value != "rules" {
				l.errAt(k, "unknown key %q in a rule pack (want rules)", k.Value)
			}
		}
		if rulesNode.Kind != yaml.SequenceNode {
			l.errAt(rulesNode, "rules must be a list")
			return
		}
		for _, rn := range rulesNode.Content {
			l.rule(rn)
		}
		return
	}
	l.rule(root)
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &line)
	}
	return &Error{File: name, Line: line, Col: 1, Msg: "YAML: " + msg}
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

var ruleKeys = map[string]bool{
	"id": true, "title": true, "severity": true, "description": true, "references": true, "runbook": true,
	"tags": true, "match": true, "outcome": true, "params": true, "condition": true, "dedup": true,
	"summary": true, "resources": true, "tests": true, "enabled": true,
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

type ruleSpec struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Severity    string         `yaml:"severity"`
	Description string         `yaml:"description"`
	References  []string       `yaml:"references"`
	Runbook     string         `yaml:"runbook"`
	Tags        []string       `yaml:"tags"`
	Outcome     string         `yaml:"outcome"`
	Params      map[string]any `yaml:"params"`
	Condition   string         `yaml:"condition"`
	Dedup       string         `yaml:"dedup"`
	Summary     string         `yaml:"summary"`
	Resources   string         `yaml:"resources"`
	Enabled     *bool          `yaml:"enabled"`
}

func (l *loader) rule(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "a rule must be a mapping")
		return
	}
	errsBefore := len(l.errs)
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !ruleKeys[k.Value] {
			l.errAt(k, "unknown key %q in rule", k.Value)
		}
	}
	var spec ruleSpec
	// Decode field by field so a type error names its field's position.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "match" || k.Value == "tests" || !ruleKeys[k.Value] {
			continue
		}
		one := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, v}}
		if err := one.Decode(&spec); err != nil {
			l.errAt(v, "%s: %v", k.Value, strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "))
		}
	}
	if len(l.errs) > errsBefore {
		return
	}
	r := &CELRule{now: l.now, verified: l.verified}
	m := &r.meta
	m.File, m.Line = l.name, n.Line
	m.ID, m.Title, m.Description, m.Runbook = spec.ID, strings.TrimSpace(spec.Title), strings.TrimSpace(spec.Description), strings.TrimSpace(spec.Runbook)
	m.References, m.Tags = spec.References, spec.Tags
	switch {
	case spec.ID == "":
		l.errAt(n, "rule has no id")
		return
	case !idRE.MatchString(spec.ID):
		l.errAt(mapGet(n, "id"), "rule id %q: use lowercase letters, digits, '.', '_' and '-'", spec.ID)
	}
	if prev, dup := l.ids[spec.ID]; dup {
		l.errAt(mapGet(n, "id"), "duplicate rule id %q (first defined at %s)", spec.ID, prev)
		return
	}
	l.ids[spec.ID] = fmt.Sprintf("%s:%d", l.name, n.Line)
	if m.Title == "" {
		l.errAt(n, "rule %s has no title", spec.ID)
	}
	ov := l.ov.Rules[spec.ID]
	sev := spec.Severity
	if ov.Severity != "" {
		sev = ov.Severity
	}
	var err error
	if m.Severity, err = finding.ParseSeverity(sev); err != nil {
		l.errAt(nodeOr(mapGet(n, "severity"), n), "%v", err)
	}
	if m.Outcome, err = ParseOutcome(spec.Outcome); err != nil {
		l.errAt(mapGet(n, "outcome"), "%v", err)
	}
	l.match(r, n)
	r.defaults = spec.Params
	r.params = l.params(spec, ov, n)
	r.paramsVal = expr.Params(r.params)
	if spec.Condition != "" {
		r.cond = l.compile(mapGet(n, "condition"), spec.Condition, cel.BoolType)
		if r.cond != nil {
			r.prefilter = r.cond.Prefilter(r.params)
		}
	}
	if spec.Dedup != "" {
		r.dedup = l.compile(mapGet(n, "dedup"), spec.Dedup, nil)
	}
	if spec.Resources != "" {
		r.resources = l.compile(mapGet(n, "resources"), spec.Resources, nil)
	}
	if spec.Summary != "" {
		r.summary = l.summary(mapGet(n, "summary"), spec.Summary)
	}
	if tn := mapGet(n, "tests"); tn != nil {
		r.tests = l.tests(r, tn)
	}
	if len(l.errs) > errsBefore {
		return
	}
	enabled := spec.Enabled == nil || *spec.Enabled
	if ov.Enabled != nil {
		enabled = *ov.Enabled
	}
	if !enabled {
		l.disabled++
		return
	}
	l.rules = append(l.rules, r)
}

func nodeOr(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func (l *loader) match(r *CELRule, n *yaml.Node) {
	mn := mapGet(n, "match")
	if mn == nil {
		l.errAt(n, "rule %s has no match (eventSource / eventName)", r.meta.ID)
		return
	}
	if mn.Kind != yaml.MappingNode {
		l.errAt(mn, "match must be a mapping of eventSource and eventName")
		return
	}
	for i := 0; i+1 < len(mn.Content); i += 2 {
		k, v := mn.Content[i], mn.Content[i+1]
		if k.Value == "readOnly" {
			var ro bool
			if err := v.Decode(&ro); err != nil || ro {
				l.errAt(v, "readOnly: only false is supported (drop records that say readOnly: true)")
				continue
			}
			r.meta.Match.WritesOnly = true
			continue
		}
		var list []string
		switch v.Kind {
		case yaml.ScalarNode:
			list = []string{v.Value}
		case yaml.SequenceNode:
			if err := v.Decode(&list); err != nil {
				l.errAt(v, "%s: want a string or a list of strings", k.Value)
				continue
			}
		default:
			l.errAt(v, "%s: want a string or a list of strings", k.Value)
			continue
		}
		for _, p := range list {
			if p == "" {
				l.errAt(v, "%s: empty pattern", k.Value)
			}
		}
		switch k.Value {
		case "eventSource":
			r.meta.Match.Sources = list
		case "eventName":
			r.meta.Match.Names = list
		case "identityType":
			r.meta.Match.IdentityTypes = list
		case "contains":
			for _, c := range list {
				r.meta.Match.Contains = append(r.meta.Match.Contains, NewNeedle(c))
			}
		default:
			l.errAt(k, "unknown key %q in match (want eventSource, eventName, identityType, readOnly, contains)", k.Value)
		}
	}
	if len(r.meta.Match.Sources) == 0 {
		l.errAt(mn, "match needs an eventSource (use \"*\" for every service)")
	}
}

func (l *loader) params(spec ruleSpec, ov RuleOverride, n *yaml.Node) map[string]any {
	p := map[string]any{}
	maps.Copy(p, spec.Params)
	for k, def := range spec.Params {
		if v, ok := l.ov.Params[k]; ok {
			l.usedGlobal[k] = true
			if kindOf(v) != kindOf(def) {
				l.errs = append(l.errs, l.ov.configErr("params", k, "parameter %q must be a %s, like the default of rule %s (%s:%d), not a %s",
					k, kindOf(def), spec.ID, l.name, n.Line, kindOf(v)))
				continue
			}
			p[k] = v
		}
	}
	for k, v := range ov.Params {
		def, ok := spec.Params[k]
		if !ok {
			l.errs = append(l.errs, l.ov.configErr("rules", spec.ID, "rule %s (%s:%d) has no parameter %q", spec.ID, l.name, n.Line, k))
			continue
		}
		if kindOf(v) != kindOf(def) {
			l.errs = append(l.errs, l.ov.configErr("rules", spec.ID, "rule %s parameter %q must be a %s like its default, not a %s", spec.ID, k, kindOf(def), kindOf(v)))
			continue
		}
		p[k] = v
	}
	return p
}

// kindOf names the shape of a YAML value, for checking parameter overrides
// against defaults (a string where a list is expected would silently make a
// rule never match).
func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	case string:
		return "string"
	case int, int64, float64, uint64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// compile compiles a CEL expression held by node n, mapping issue positions
// back into the YAML file.
func (l *loader) compile(n *yaml.Node, src string, want *cel.Type) *expr.Program {
	prg, err := l.env.Compile(src, want)
	if err == nil {
		return prg
	}
	var ce *expr.CompileError
	if !errors.As(err, &ce) {
		l.errAt(n, "%v", err)
		return nil
	}
	for _, is := range ce.Issues {
		line, col := l.exprPos(n, is.Line, is.Column)
		l.errs = append(l.errs, &Error{File: l.name, Line: line, Col: col, Msg: is.Msg})
	}
	return nil
}

// exprPos maps (line, col) inside an expression to its file position.
func (l *loader) exprPos(n *yaml.Node, line, col int) (int, int) {
	if n == nil {
		return 0, 0
	}
	if line < 1 {
		line = 1
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// Block scalar: content starts on the next line at its indentation.
		first := n.Line // 0-based index of the first content line
		for first < len(l.lines) && strings.TrimSpace(l.lines[first]) == "" {
			first++
		}
		indent := 0
		if first < len(l.lines) {
			indent = len(l.lines[first]) - len(strings.TrimLeft(l.lines[first], " "))
		}
		if n.Style&yaml.FoldedStyle != 0 {
			return first + 1, indent + 1
		}
		return first + line, indent + col + 1
	}
	quote := 0
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		quote = 1
	}
	if line == 1 {
		return n.Line, n.Column + quote + col
	}
	return n.Line + line - 1, col + 1
}

// summary splits a template into literal text and ${CEL} parts.
func (l *loader) summary(n *yaml.Node, tmpl string) []summaryPart {
	var parts []summaryPart
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			if tmpl != "" {
				parts = append(parts, summaryPart{text: tmpl})
			}
			return parts
		}
		if i > 0 {
			parts = append(parts, summaryPart{text: tmpl[:i]})
		}
		depth, end := 0, -1
		for j := i + 2; j < len(tmpl); j++ {
			switch tmpl[j] {
			case '{':
				depth++
			case '}':
				if depth == 0 {
					end = j
				}
				depth--
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			l.errAt(n, "summary: unclosed ${")
			return nil
		}
		src := tmpl[i+2 : end]
		prg, err := l.env.Compile(src, nil)
		if err != nil {
			l.errAt(n, "summary ${%s}: %v", src, err)
			return nil
		}
		parts = append(parts, summaryPart{text: "${" + src + "}", prg: prg})
		tmpl = tmpl[end+1:]
	}
}
