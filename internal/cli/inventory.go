package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/trailwarden/trailwarden/internal/state"
)

// InventoryCmd groups the commands that read the resource state store:
// the resources CloudTrail events created and changed, their history and
// who changed what.
type InventoryCmd struct {
	List    InventoryListCmd    `cmd:"" help:"List the resources as they are now."`
	Show    InventoryShowCmd    `cmd:"" help:"Show a resource's state at a time and the revision that made it."`
	History InventoryHistoryCmd `cmd:"" help:"Show each event that concerned a resource: when, who, from where, what it changed; failed calls too."`
	Blame   InventoryBlameCmd   `cmd:"" help:"Show who last set each field of a resource, when and from where."`
	Diff    InventoryDiffCmd    `cmd:"" help:"Show the field changes of a resource between two times."`
	Report  InventoryReportCmd  `cmd:"" help:"Compliance reports over the current resources."`
}

// inventoryOpts are the flags every inventory command takes.
type inventoryOpts struct {
	State  string `help:"Resource state store: a SQLite file or a postgres:// URL (default: the config's state_store, else state.db beside the findings store)."`
	Format string `help:"Output: text (aligned) or json." default:"text" enum:"text,json"`
}

// withStore opens the state store for reading, runs fn and closes the
// store. Errors exit 2 unless fn returns an *exitError of its own.
func (o *inventoryOpts) withStore(g *Globals, fn func(ctx context.Context, st state.Store) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := loadConfig(g)
	if err != nil {
		return &exitError{ExitError, err}
	}
	path := stateStorePath(o.State, cfg)
	// Reading must not leave an empty store behind where none was.
	if err := stateStoreExists(path); err != nil {
		return &exitError{ExitError, err}
	}
	st, err := openStateStore(ctx, path)
	if err != nil {
		return &exitError{ExitError, err}
	}
	err = fn(ctx, st)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		err = &exitError{ExitError, err}
	}
	return err
}

func (o *inventoryOpts) json() bool { return o.Format == "json" }

// resolveResource finds the resource name names: its key, its ARN, or its
// bare id. A bare id (or an ARN the store does not hold) may match several
// resources, in several accounts or regions: that is an error listing
// them. Resources with only failed calls are not listed by the store and
// are found by their key only.
func resolveResource(ctx context.Context, st state.Store, name string) (state.ResourceID, error) {
	all, err := st.List(ctx, state.Filter{IncludeDeleted: true})
	if err != nil {
		return state.ResourceID{}, err
	}
	arnAccount, arnRegion, arnID, isARN := splitARN(name)
	var match []state.ResourceID
	for _, s := range all {
		id := s.Resource
		switch {
		case id.Key() == name || (id.ARN != "" && id.ARN == name):
			return id, nil
		case id.ID == name:
			match = append(match, id)
		case isARN && id.ID == arnID && (arnAccount == "" || id.Account == arnAccount) &&
			(arnRegion == "" || id.Region == arnRegion || id.Region == "global"):
			match = append(match, id)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		if p := strings.SplitN(name, "/", 4); len(p) == 4 && strings.HasPrefix(p[2], "AWS::") {
			id := state.ResourceID{Account: p[0], Region: p[1], Type: p[2], ID: p[3]}
			h, err := st.History(ctx, id)
			if err == nil {
				return h.Resource, nil
			}
			if !errors.Is(err, state.ErrNotFound) {
				return state.ResourceID{}, err
			}
		}
		return state.ResourceID{}, &exitError{ExitError, fmt.Errorf("no resource %q in the state store (try `trailwarden inventory list --deleted`)", name)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q names %d resources; name one by its key:", name, len(match))
	for _, id := range match {
		b.WriteString("\n  " + id.Key())
	}
	return state.ResourceID{}, &exitError{ExitError, errors.New(b.String())}
}

// splitARN returns the account, region and last resource segment of an
// ARN ("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1" gives
// sg-1; "arn:aws:s3:::bucket" gives bucket).
func splitARN(s string) (account, region, id string, ok bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return "", "", "", false
	}
	res := p[5]
	if i := strings.LastIndexAny(res, "/:"); i >= 0 {
		res = res[i+1:]
	}
	return p[4], p[3], res, res != ""
}

// parseWhen reads a time flag: RFC 3339 ("2023-07-10T12:10:00Z"), a time
// without a zone (UTC), or a date, which means the end of that day in UTC
// (the state as that day left it). Empty or "now" is the zero time: now.
func parseWhen(flag, s string) (time.Time, error) {
	if s == "" || s == "now" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Time{}, &exitError{ExitError, fmt.Errorf("%s: %q is not a time: use RFC 3339 (2023-07-10T12:10:00Z) or a date (2023-07-10)", flag, s)}
}

// whenText renders a time flag's value for people.
func whenText(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// textOut returns w with the control characters that data from CloudTrail
// may carry (an escape sequence in a tag value, say) replaced by '?', so
// that text output cannot drive the terminal it is read on. Newlines and
// tabs pass. JSON output needs no filter: encoding/json escapes them.
func textOut(w io.Writer) io.Writer { return controlFilter{w} }

type controlFilter struct{ w io.Writer }

func (f controlFilter) Write(p []byte) (int, error) {
	clean := bytes.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return '?'
	}, p)
	if _, err := f.w.Write(clean); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeJSON writes v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// tagsOf returns the tags of a state ("tags", a map of strings).
func tagsOf(st map[string]any) map[string]string {
	m, _ := st["tags"].(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = state.FormatValue(v)
	}
	return out
}

// matchType reports whether typ is what the --type flag asked for: the
// full type, or its last parts, case-insensitively (SecurityGroup,
// ec2::instance).
func matchType(flag, typ string) bool {
	if flag == "" || flag == typ {
		return true
	}
	f, t := strings.ToLower(flag), strings.ToLower(typ)
	return f == t || strings.HasSuffix(t, "::"+f)
}

// InventoryListCmd lists the current resources.
type InventoryListCmd struct {
	inventoryOpts `embed:""`

	Type    string   `help:"Only resources of this type: AWS::EC2::SecurityGroup, or its last parts (SecurityGroup, iam::user)."`
	Account string   `help:"Only resources in this account."`
	Region  string   `help:"Only resources in this region (global for IAM and S3)."`
	Tag     []string `help:"Only resources with this tag now: key=value, or key for any value (repeatable: all must match)." sep:"none"`
	Deleted bool     `help:"Include deleted resources."`
}

// listedResource is one row of inventory list.
type listedResource struct {
	Resource state.ResourceID  `json:"resource"`
	Revision int               `json:"revision"`
	Updated  time.Time         `json:"updated"`
	Deleted  bool              `json:"deleted"`
	Name     string            `json:"name,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// Run lists.
func (c *InventoryListCmd) Run(g *Globals) error {
	type tagWant struct {
		key, value string
		any        bool
	}
	var want []tagWant
	for _, t := range c.Tag {
		k, v, ok := strings.Cut(t, "=")
		if k == "" {
			return &exitError{ExitError, fmt.Errorf("--tag %q: want key=value or key", t)}
		}
		want = append(want, tagWant{k, v, !ok})
	}
	return c.withStore(g, func(ctx context.Context, st state.Store) error {
		f := state.Filter{Account: c.Account, Region: c.Region, IncludeDeleted: c.Deleted}
		if strings.HasPrefix(c.Type, "AWS::") {
			f.Type = c.Type
		}
		sums, err := st.List(ctx, f)
		if err != nil {
			return err
		}
		rows := []listedResource{}
	next:
		for _, s := range sums {
			if !matchType(c.Type, s.Resource.Type) {
				continue
			}
			row := listedResource{Resource: s.Resource, Revision: s.Revision, Updated: s.Updated, Deleted: s.Deleted}
			if !s.Deleted {
				rev, err := st.At(ctx, s.Resource, time.Time{})
				if err != nil {
					return err
				}
				row.Tags = tagsOf(rev.State)
				row.Name = row.Tags["Name"]
			}
			for _, w := range want {
				v, ok := row.Tags[w.key]
				if !ok || (!w.any && v != w.value) {
					continue next
				}
			}
			rows = append(rows, row)
		}
		if c.json() {
			return writeJSON(g.stdout, struct {
				Resources []listedResource `json:"resources"`
			}{rows})
		}
		return writeList(textOut(g.stdout), rows)
	})
}

func writeList(w io.Writer, rows []listedResource) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No resources match.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tTYPE\tID\tNAME\tREV\tUPDATED\tDELETED")
	deleted := 0
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Resource.Account, r.Resource.Region, r.Resource.Type, r.Resource.ID,
			dash(r.Name), r.Revision, stamp(r.Updated), yesNo(r.Deleted))
		if r.Deleted {
			deleted++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nresources: %d, deleted: %d\n", len(rows), deleted)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// InventoryShowCmd shows one resource's state.
type InventoryShowCmd struct {
	inventoryOpts `embed:""`

	ID string `arg:"" help:"The resource: its id (i-0abc, sg-1, a bucket or user name), its ARN, or its key account/region/type/id."`
	At string `help:"The time: RFC 3339, or a date for the end of that day (UTC); default now."`
}

// Run shows.
func (c *InventoryShowCmd) Run(g *Globals) error {
	at, err := parseWhen("--at", c.At)
	if err != nil {
		return err
	}
	return c.withStore(g, func(ctx context.Context, st state.Store) error {
		id, err := resolveResource(ctx, st, c.ID)
		if err != nil {
			return err
		}
		rev, err := st.At(ctx, id, at)
		if errors.Is(err, state.ErrNotFound) {
			return &exitError{ExitError, fmt.Errorf("%s did not exist yet at %s", id.Key(), whenText(at))}
		}
		if err != nil {
			return err
		}
		if c.json() {
			return writeJSON(g.stdout, struct {
				Resource state.ResourceID `json:"resource"`
				At       string           `json:"at"`
				Revision *state.Revision  `json:"revision"`
			}{id, whenText(at), rev})
		}
		return writeShow(textOut(g.stdout), id, at, rev)
	})
}

func writeShow(w io.Writer, id state.ResourceID, at time.Time, rev *state.Revision) error {
	writeResourceHead(w, id)
	fmt.Fprintf(w, "at        %s\n", whenText(at))
	fmt.Fprintf(w, "revision  %d, %s\n", rev.Number, provenanceLine(rev.Provenance))
	if rev.Deleted {
		_, err := fmt.Fprintln(w, "\nDeleted.")
		return err
	}
	b, err := json.MarshalIndent(rev.State, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\n%s\n", b)
	return err
}

// writeResourceHead names the resource on the first lines of a text output.
func writeResourceHead(w io.Writer, id state.ResourceID) {
	fmt.Fprintf(w, "resource  %s\n", id.Key())
	if id.ARN != "" {
		fmt.Fprintf(w, "arn       %s\n", id.ARN)
	}
}

// provenanceLine says on one line what event made a revision:
// "2023-07-10T12:10:01Z CreateSecurityGroup by arn:... from 1.2.3.4".
func provenanceLine(p state.Provenance) string {
	s := stamp(p.EventTime) + " " + p.EventName + " by " + dash(p.Actor)
	if p.SourceIP != "" {
		s += " from " + p.SourceIP
	}
	return s
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
