package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/trailwarden/trailwarden/internal/config"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/rules"
)

// RulesCmd groups the rule commands.
type RulesCmd struct {
	List RulesListCmd `cmd:"" help:"List the loaded rules."`
	Test RulesTestCmd `cmd:"" help:"Run every rule's inline tests; exit 1 on any failure."`
}

// RulesListCmd lists rules.
type RulesListCmd struct {
	Rules     []string `help:"Extra rule directory or file (repeatable)." type:"path"`
	NoBuiltin bool     `help:"Leave out the built-in rules."`
}

// RulesTestCmd runs rule tests.
type RulesTestCmd struct {
	Paths   []string `arg:"" optional:"" help:"Rule directories or files to test (default: the built-in pack)." type:"path"`
	Verbose bool     `short:"v" help:"Print every case, not only failures."`
}

// loadConfig reads the --config file, or returns an empty config.
func loadConfig(g *Globals) (*config.Config, error) {
	if g.Config == "" {
		return &config.Config{}, nil
	}
	return config.Load(g.Config)
}

// ruleSources returns the built-in pack (unless excluded) and the given paths
// (directories, or single files) as rule sources.
func ruleSources(builtin bool, paths []string) ([]rule.Source, error) {
	var srcs []rule.Source
	if builtin {
		srcs = append(srcs, rule.Source{Name: "builtin", FS: rules.FS, Verified: true})
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if st.IsDir() {
			srcs = append(srcs, rule.Source{Name: p, FS: os.DirFS(p)})
			continue
		}
		dir, file := filepath.Split(p)
		if dir == "" {
			dir = "."
		}
		srcs = append(srcs, rule.Source{Name: filepath.Clean(dir), FS: singleFileFS{os.DirFS(dir), file}})
	}
	return srcs, nil
}

// Run lists rules.
func (c *RulesListCmd) Run(g *Globals) error {
	cfg, err := loadConfig(g)
	if err != nil {
		return &exitError{ExitError, err}
	}
	srcs, err := ruleSources(cfg.Builtin() && !c.NoBuiltin, append(cfg.RulesDirs, c.Rules...))
	if err != nil {
		return &exitError{ExitError, err}
	}
	set, err := rule.Load(rule.LoadOptions{Sources: srcs, Overrides: cfg.Overrides()})
	if err != nil {
		return &exitError{ExitError, fmt.Errorf("load rules:\n%w", err)}
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tSOURCE\tEVENTS\tTITLE")
	for _, r := range set.Rules {
		m := r.Meta()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Severity, strings.Join(m.Match.Sources, ","), abbreviate(m.Match.Names, 3), m.Title)
	}
	tw.Flush()
	fmt.Fprintf(g.stdout, "%d rules", len(set.Rules))
	if set.Disabled > 0 {
		fmt.Fprintf(g.stdout, " (%d disabled by config)", set.Disabled)
	}
	fmt.Fprintln(g.stdout)
	return nil
}

func abbreviate(names []string, n int) string {
	if len(names) == 0 {
		return "*"
	}
	if len(names) <= n {
		return strings.Join(names, ",")
	}
	return strings.Join(names[:n], ",") + fmt.Sprintf(",+%d", len(names)-n)
}

// Run tests rules.
func (c *RulesTestCmd) Run(g *Globals) error {
	cfg, err := loadConfig(g)
	if err != nil {
		return &exitError{ExitError, err}
	}
	srcs, err := ruleSources(len(c.Paths) == 0, c.Paths)
	if err != nil {
		return &exitError{ExitError, err}
	}
	set, err := rule.Load(rule.LoadOptions{Sources: srcs, Overrides: cfg.Overrides(), SkipTests: true})
	if err != nil {
		return &exitError{ExitError, fmt.Errorf("load rules:\n%w", err)}
	}
	cases, failed := 0, 0
	var lacking []string
	for _, r := range set.Rules {
		for _, res := range r.RunTests() {
			cases++
			if !res.Pass {
				failed++
				fmt.Fprintf(g.stdout, "FAIL %v\n", res.Error())
			} else if c.Verbose {
				fmt.Fprintf(g.stdout, "ok   %s: %s\n", r.Meta().ID, res.Case.Name)
			}
		}
		if pos, neg := r.Coverage(); !pos || !neg {
			m := r.Meta()
			what := "no positive (match: true) test case"
			if pos {
				what = "no negative (match: false) test case"
			} else if !neg {
				what = "no test case"
			}
			lacking = append(lacking, fmt.Sprintf("%s:%d: rule %s has %s", m.File, m.Line, m.ID, what))
		}
	}
	slices.Sort(lacking)
	for _, l := range lacking {
		fmt.Fprintln(g.stdout, "MISSING", l)
	}
	fmt.Fprintf(g.stdout, "%d rules, %d cases, %d passed, %d failed, %d rules lacking a positive or negative case\n",
		len(set.Rules), cases, cases-failed, failed, len(lacking))
	if failed > 0 || len(lacking) > 0 {
		return &exitError{code: ExitFindings}
	}
	return nil
}
