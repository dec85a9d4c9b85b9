package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// InventoryReportCmd groups the reports over the current resources.
type InventoryReportCmd struct {
	Tags InventoryTagReportCmd `cmd:"" help:"Check that the current resources carry the required tags, per account, team and environment; exit 1 when one does not."`
}

// InventoryTagReportCmd checks required tags.
type InventoryTagReportCmd struct {
	inventoryOpts `embed:""`

	Require []string `required:"" help:"Tags every resource must carry with a non-empty value (comma-separated or repeated), e.g. Owner,CostCenter."`
	Type    string   `help:"Only resources of this type: AWS::EC2::Instance, or its last parts (Instance, s3::bucket)."`
	Account string   `help:"Only resources in this account."`
	Region  string   `help:"Only resources in this region (global for IAM and S3)."`
	TeamTag []string `help:"Tags naming a resource's team; the first one present counts." default:"team,Team"`
	EnvTag  []string `help:"Tags naming a resource's environment; the first one present counts." default:"env,Environment"`
}

// tagTally counts the resources of one account, team or environment.
type tagTally struct {
	Key       string         `json:"key"` // the account, team or environment; "" for resources without the tag
	Total     int            `json:"total"`
	Compliant int            `json:"compliant"`
	Missing   map[string]int `json:"missing"` // per required tag, the resources without it
}

// untagged is one resource missing required tags.
type untagged struct {
	Resource    state.ResourceID `json:"resource"`
	Name        string           `json:"name,omitempty"`
	Team        string           `json:"team,omitempty"`
	Environment string           `json:"environment,omitempty"`
	Missing     []string         `json:"missing"`
	Updated     time.Time        `json:"updated"`
}

// tagReport is the result of inventory report tags.
type tagReport struct {
	Require      []string    `json:"require"`
	TeamTags     []string    `json:"teamTags"`
	EnvTags      []string    `json:"environmentTags"`
	Total        int         `json:"total"`
	Compliant    int         `json:"compliant"`
	Accounts     []*tagTally `json:"accounts"`
	Teams        []*tagTally `json:"teams"`
	Environments []*tagTally `json:"environments"`
	NonCompliant []untagged  `json:"nonCompliant"`
}

// Run reports. It exits 1 when a resource lacks a required tag.
func (c *InventoryTagReportCmd) Run(g *Globals) error {
	var require []string
	for _, t := range c.Require {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(require, t) {
			require = append(require, t)
		}
	}
	if len(require) == 0 {
		return &exitError{ExitError, fmt.Errorf("--require: name at least one tag")}
	}
	var rep *tagReport
	err := c.withStore(g, func(ctx context.Context, st state.Store) error {
		f := state.Filter{Account: c.Account, Region: c.Region}
		if strings.HasPrefix(c.Type, "AWS::") {
			f.Type = c.Type
		}
		sums, err := st.List(ctx, f)
		if err != nil {
			return err
		}
		tb := newTagTallies(require)
		for _, s := range sums {
			if !matchType(c.Type, s.Resource.Type) {
				continue
			}
			rev, err := st.At(ctx, s.Resource, time.Time{})
			if err != nil {
				return err
			}
			tb.add(s, tagsOf(rev.State), c.TeamTag, c.EnvTag)
		}
		rep = tb.report(c.TeamTag, c.EnvTag)
		if c.json() {
			return writeJSON(g.stdout, rep)
		}
		return writeTagReport(textOut(g.stdout), rep)
	})
	if err != nil {
		return err
	}
	if len(rep.NonCompliant) > 0 {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// tagTallies accumulates a tagReport.
type tagTallies struct {
	require               []string
	total, compliant      int
	accounts, teams, envs map[string]*tagTally
	bad                   []untagged
}

func newTagTallies(require []string) *tagTallies {
	return &tagTallies{require: require, accounts: map[string]*tagTally{}, teams: map[string]*tagTally{}, envs: map[string]*tagTally{}}
}

// firstTag returns the value of the first of names that tags holds.
func firstTag(tags map[string]string, names []string) string {
	for _, n := range names {
		if v := tags[n]; v != "" {
			return v
		}
	}
	return ""
}

func (tb *tagTallies) tally(m map[string]*tagTally, key string) *tagTally {
	t := m[key]
	if t == nil {
		t = &tagTally{Key: key, Missing: map[string]int{}}
		for _, r := range tb.require {
			t.Missing[r] = 0
		}
		m[key] = t
	}
	return t
}

func (tb *tagTallies) add(s state.ResourceSummary, tags map[string]string, teamTags, envTags []string) {
	var missing []string
	for _, r := range tb.require {
		if strings.TrimSpace(tags[r]) == "" {
			missing = append(missing, r)
		}
	}
	team, env := firstTag(tags, teamTags), firstTag(tags, envTags)
	tb.total++
	if len(missing) == 0 {
		tb.compliant++
	} else {
		tb.bad = append(tb.bad, untagged{Resource: s.Resource, Name: tags["Name"], Team: team, Environment: env, Missing: missing, Updated: s.Updated})
	}
	for _, t := range []*tagTally{tb.tally(tb.accounts, s.Resource.Account), tb.tally(tb.teams, team), tb.tally(tb.envs, env)} {
		t.Total++
		if len(missing) == 0 {
			t.Compliant++
		}
		for _, m := range missing {
			t.Missing[m]++
		}
	}
}

func (tb *tagTallies) report(teamTags, envTags []string) *tagReport {
	sorted := func(m map[string]*tagTally) []*tagTally {
		out := make([]*tagTally, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, m[k])
		}
		return out
	}
	slices.SortFunc(tb.bad, func(a, b untagged) int { return cmp.Compare(a.Resource.Key(), b.Resource.Key()) })
	return &tagReport{
		Require: tb.require, TeamTags: teamTags, EnvTags: envTags,
		Total: tb.total, Compliant: tb.compliant,
		Accounts: sorted(tb.accounts), Teams: sorted(tb.teams), Environments: sorted(tb.envs),
		NonCompliant: revsOrEmpty(tb.bad),
	}
}

func percent(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(of))
}

func writeTagReport(w io.Writer, rep *tagReport) error {
	fmt.Fprintf(w, "Required tags: %s (team from %s, environment from %s)\n",
		strings.Join(rep.Require, ", "), strings.Join(rep.TeamTags, "|"), strings.Join(rep.EnvTags, "|"))
	if rep.Total == 0 {
		_, err := fmt.Fprintln(w, "No resources match.")
		return err
	}
	fmt.Fprintf(w, "resources: %d, compliant: %d (%s), not compliant: %d\n", rep.Total, rep.Compliant, percent(rep.Compliant, rep.Total), rep.Total-rep.Compliant)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, sec := range []struct {
		title string
		rows  []*tagTally
	}{{"ACCOUNT", rep.Accounts}, {"TEAM", rep.Teams}, {"ENVIRONMENT", rep.Environments}} {
		fmt.Fprintln(w)
		fmt.Fprintf(tw, "%s\tRESOURCES\tCOMPLIANT\t%%", sec.title)
		for _, r := range rep.Require {
			fmt.Fprintf(tw, "\tNO %s", r)
		}
		fmt.Fprintln(tw)
		for _, t := range sec.rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s", cmp.Or(t.Key, "(untagged)"), t.Total, t.Compliant, percent(t.Compliant, t.Total))
			for _, r := range rep.Require {
				fmt.Fprintf(tw, "\t%d", t.Missing[r])
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.NonCompliant) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nNot compliant: %d\n", len(rep.NonCompliant))
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tTYPE\tID\tNAME\tTEAM\tENVIRONMENT\tMISSING")
	for _, u := range rep.NonCompliant {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Resource.Account, u.Resource.Region, u.Resource.Type, u.Resource.ID,
			dash(u.Name), dash(u.Team), dash(u.Environment), strings.Join(u.Missing, ","))
	}
	return tw.Flush()
}
