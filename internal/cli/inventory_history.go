package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/trailwarden/trailwarden/internal/state"
)

// InventoryHistoryCmd shows a resource's history.
type InventoryHistoryCmd struct {
	inventoryOpts `embed:""`

	ID string `arg:"" help:"The resource: its id (i-0abc, sg-1, a bucket or user name), its ARN, or its key account/region/type/id."`
}

// historyEvent is one event of inventory history: a revision, a failed
// call or a call that changed nothing.
type historyEvent struct {
	state.Provenance
	Revision int          `json:"revision,omitempty"` // 0: no revision
	Deleted  bool         `json:"deleted,omitempty"`
	Changes  []changeJSON `json:"changes,omitempty"`
}

// changeJSON is a FieldChange with its one-line rendering.
type changeJSON struct {
	state.FieldChange
	Field string `json:"field"`
	Text  string `json:"text"`
}

func changesJSON(cs []state.FieldChange) []changeJSON {
	out := make([]changeJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, changeJSON{FieldChange: c, Field: state.JoinPath(c.Path), Text: c.String()})
	}
	return out
}

// Run shows the history.
func (c *InventoryHistoryCmd) Run(g *Globals) error {
	return c.withStore(g, func(ctx context.Context, st state.Store) error {
		id, err := resolveResource(ctx, st, c.ID)
		if err != nil {
			return err
		}
		h, err := st.History(ctx, id)
		if err != nil {
			return err
		}
		evs := []historyEvent{}
		for _, te := range h.Timeline {
			ev := historyEvent{Provenance: te.Provenance, Revision: te.Revision}
			if te.Revision > 0 {
				r := &h.Revisions[te.Revision-1]
				ev.Deleted = r.Deleted
				ev.Changes = changesJSON(r.Diff)
			}
			evs = append(evs, ev)
		}
		if c.json() {
			return writeJSON(g.stdout, struct {
				Resource state.ResourceID `json:"resource"`
				Events   []historyEvent   `json:"events"`
			}{h.Resource, evs})
		}
		return writeHistory(textOut(g.stdout), h.Resource, evs)
	})
}

func writeHistory(w io.Writer, id state.ResourceID, evs []historyEvent) error {
	writeResourceHead(w, id)
	revs, failed := 0, 0
	for _, ev := range evs {
		var head string
		switch {
		case ev.ErrorCode != "":
			head = "failed"
			failed++
		case ev.Revision == 0:
			head = "no change"
		default:
			head = fmt.Sprintf("revision %d", ev.Revision)
			revs++
		}
		fmt.Fprintf(w, "\n%-12s %s  %s", head, stamp(ev.EventTime), ev.EventName)
		if ev.ErrorCode != "" {
			fmt.Fprintf(w, "  error %s", ev.ErrorCode)
		}
		fmt.Fprintln(w)
		writeWho(w, "  ", ev.Provenance)
		switch {
		case ev.Deleted:
			fmt.Fprintln(w, "  deleted")
		case len(ev.Changes) > 0:
			fmt.Fprintln(w, "  changes")
			for _, ch := range ev.Changes {
				fmt.Fprintf(w, "    %s\n", ch.Text)
			}
		}
	}
	_, err := fmt.Fprintf(w, "\nevents: %d, revisions: %d, failed calls: %d\n", len(evs), revs, failed)
	return err
}

// writeWho writes who made an event and from where, one field a line,
// leaving out what CloudTrail did not say.
func writeWho(w io.Writer, indent string, p state.Provenance) {
	for _, f := range [][2]string{
		{"actor", p.Actor}, {"issuer", p.Issuer}, {"source id", p.SourceIdentity},
		{"source ip", p.SourceIP}, {"user agent", p.UserAgent}, {"event id", p.EventID},
	} {
		if f[1] != "" {
			fmt.Fprintf(w, "%s%-11s %s\n", indent, f[0], f[1])
		}
	}
}

// InventoryBlameCmd shows who last set each field.
type InventoryBlameCmd struct {
	inventoryOpts `embed:""`

	ID    string `arg:"" help:"The resource: its id (i-0abc, sg-1, a bucket or user name), its ARN, or its key account/region/type/id."`
	Field string `arg:"" optional:"" help:"Only this field and what is under it, dotted: tags.Owner, ingress, state."`
	At    string `help:"Blame the state at this time: RFC 3339, or a date for the end of that day (UTC); default now. A deleted resource is blamed as it was before its deletion."`
}

// blameJSON is one line of inventory blame --format json.
type blameJSON struct {
	Field string `json:"field"`
	state.BlameLine
}

// Run blames.
func (c *InventoryBlameCmd) Run(g *Globals) error {
	at, err := parseWhen("--at", c.At)
	if err != nil {
		return err
	}
	return c.withStore(g, func(ctx context.Context, st state.Store) error {
		id, err := resolveResource(ctx, st, c.ID)
		if err != nil {
			return err
		}
		h, err := st.History(ctx, id)
		if err != nil {
			return err
		}
		rev := state.RevisionAt(h, at)
		if rev == nil {
			return &exitError{ExitError, fmt.Errorf("%s did not exist yet at %s", id.Key(), whenText(at))}
		}
		// A deleted resource has no fields: blame the state it had.
		var deletion *state.Revision
		n := rev.Number
		if rev.Deleted {
			deletion = rev
			for n > 0 && h.Revisions[n-1].Deleted {
				n--
			}
			if n == 0 {
				return &exitError{ExitError, fmt.Errorf("%s: only its deletion is known, no state to blame", id.Key())}
			}
		}
		upTo := &state.History{Resource: h.Resource, Revisions: h.Revisions[:n]}
		path, ok := state.ResolvePath(upTo.Current().State, c.Field)
		if !ok {
			return &exitError{ExitError, fmt.Errorf("%s has no field %q at revision %d", id.Key(), c.Field, n)}
		}
		lines := state.Blame(upTo, path)
		if c.json() {
			out := make([]blameJSON, 0, len(lines))
			for _, l := range lines {
				out = append(out, blameJSON{state.JoinPath(l.Path), l})
			}
			return writeJSON(g.stdout, struct {
				Resource  state.ResourceID  `json:"resource"`
				At        string            `json:"at"`
				Revision  int               `json:"revision"`
				DeletedBy *state.Provenance `json:"deletedBy,omitempty"`
				Fields    []blameJSON       `json:"fields"`
			}{h.Resource, whenText(at), n, provenanceOf(deletion), out})
		}
		return writeBlame(textOut(g.stdout), h.Resource, at, n, deletion, lines)
	})
}

func provenanceOf(r *state.Revision) *state.Provenance {
	if r == nil {
		return nil
	}
	return &r.Provenance
}

func writeBlame(w io.Writer, id state.ResourceID, at time.Time, n int, deletion *state.Revision, lines []state.BlameLine) error {
	writeResourceHead(w, id)
	fmt.Fprintf(w, "at        %s\n", whenText(at))
	fmt.Fprintf(w, "revision  %d\n", n)
	if deletion != nil {
		fmt.Fprintf(w, "deleted   revision %d, %s; blaming the state before\n", deletion.Number, provenanceLine(deletion.Provenance))
	}
	fmt.Fprintln(w)
	issuer := false
	for _, l := range lines {
		issuer = issuer || l.Provenance.Issuer != ""
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "FIELD\tVALUE\tREV\tTIME\tEVENT\tACTOR\t"
	if issuer {
		head += "ISSUER\t"
	}
	fmt.Fprintln(tw, head+"SOURCE IP\tUSER AGENT")
	for _, l := range lines {
		p := l.Provenance
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t", state.JoinPath(l.Path), clip(state.FormatValue(l.Value), 60),
			l.Revision, stamp(p.EventTime), p.EventName, dash(p.Actor))
		if issuer {
			fmt.Fprintf(tw, "%s\t", dash(p.Issuer))
		}
		fmt.Fprintf(tw, "%s\t%s\n", dash(p.SourceIP), dash(clip(p.UserAgent, 60)))
	}
	return tw.Flush()
}

// clip shortens s to n runes, marking the cut with an ellipsis, and keeps
// it in one table cell.
func clip(s string, n int) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// InventoryDiffCmd compares a resource at two times.
type InventoryDiffCmd struct {
	inventoryOpts `embed:""`

	ID   string `arg:"" help:"The resource: its id (i-0abc, sg-1, a bucket or user name), its ARN, or its key account/region/type/id."`
	From string `required:"" help:"The first time: RFC 3339, or a date for the end of that day (UTC)."`
	To   string `help:"The second time, likewise; default now."`
}

// Run compares.
func (c *InventoryDiffCmd) Run(g *Globals) error {
	from, err := parseWhen("--from", c.From)
	if err != nil {
		return err
	}
	to, err := parseWhen("--to", c.To)
	if err != nil {
		return err
	}
	return c.withStore(g, func(ctx context.Context, st state.Store) error {
		id, err := resolveResource(ctx, st, c.ID)
		if err != nil {
			return err
		}
		h, err := st.History(ctx, id)
		if err != nil {
			return err
		}
		cmp := state.Compare(h, from, to)
		if cmp.From == nil && cmp.To == nil {
			return &exitError{ExitError, errors.New(id.Key() + " did not exist yet at either time")}
		}
		if c.json() {
			type revJSON struct {
				Number  int  `json:"number"`
				Deleted bool `json:"deleted,omitempty"`
				state.Provenance
			}
			var revs []revJSON
			for _, r := range cmp.Revisions {
				revs = append(revs, revJSON{r.Number, r.Deleted, r.Provenance})
			}
			return writeJSON(g.stdout, struct {
				Resource  state.ResourceID `json:"resource"`
				From      string           `json:"from"`
				To        string           `json:"to"`
				FromRev   int              `json:"fromRevision"` // 0: did not exist yet
				ToRev     int              `json:"toRevision"`
				Revisions []revJSON        `json:"revisions"`
				Changes   []changeJSON     `json:"changes"`
			}{h.Resource, whenText(from), whenText(to), revNumber(cmp.From), revNumber(cmp.To), revsOrEmpty(revs), changesJSON(cmp.Changes)})
		}
		return writeDiff(textOut(g.stdout), h.Resource, from, to, cmp)
	})
}

func revNumber(r *state.Revision) int {
	if r == nil {
		return 0
	}
	return r.Number
}

func revsOrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// revisionText says which revision is in force: "revision 3 (2023-07-10T12:10:05Z AuthorizeSecurityGroupIngress)",
// "revision 7 (... DeleteSecurityGroup, deleted)", "nothing (not created yet)".
func revisionText(r *state.Revision) string {
	if r == nil {
		return "nothing (not created yet)"
	}
	s := fmt.Sprintf("revision %d (%s %s", r.Number, stamp(r.Provenance.EventTime), r.Provenance.EventName)
	if r.Deleted {
		s += ", deleted"
	}
	return s + ")"
}

func writeDiff(w io.Writer, id state.ResourceID, from, to time.Time, cmp state.Comparison) error {
	writeResourceHead(w, id)
	fmt.Fprintf(w, "from      %s: %s\n", whenText(from), revisionText(cmp.From))
	fmt.Fprintf(w, "to        %s: %s\n", whenText(to), revisionText(cmp.To))
	if len(cmp.Revisions) > 0 {
		fmt.Fprintln(w, "\nRevisions between:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range cmp.Revisions {
			ev := r.Provenance.EventName
			if r.Deleted {
				ev += " (deleted)"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", r.Number, stamp(r.Provenance.EventTime), ev, dash(r.Provenance.Actor), dash(r.Provenance.SourceIP))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(cmp.Changes) == 0 {
		_, err := fmt.Fprintln(w, "\nNo field changed.")
		return err
	}
	fmt.Fprintln(w, "\nChanges:")
	for _, ch := range cmp.Changes {
		fmt.Fprintf(w, "  %s\n", ch.String())
	}
	return nil
}
