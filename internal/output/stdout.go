package output

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// The stdout formats.
const (
	FormatAuto  = ""      // text on a terminal, JSON Lines otherwise
	FormatText  = "text"  // one table row per finding, for people
	FormatJSONL = "jsonl" // one JSON finding per line, for programs
)

// StdoutOptions configures a Stdout output.
type StdoutOptions struct {
	// Name defaults to "stdout".
	Name string
	// Format is FormatAuto, FormatText or FormatJSONL.
	Format string
	// Color forces coloured text even when the writer is not a terminal (and
	// so, with FormatAuto, selects text). Without it, text is coloured only on
	// a terminal, and not when the NO_COLOR environment variable is set.
	Color bool
}

// Stdout writes findings to a writer, usually the process's standard output:
// a readable table row per finding on a terminal, JSON Lines otherwise. It is
// safe for concurrent use; each finding is written with one Write call. It
// does not close the writer.
type Stdout struct {
	name  string
	text  bool
	color bool
	// Text column widths in runes, fitted to the terminal once.
	ruleW, actorW, summaryW int

	mu         sync.Mutex
	w          io.Writer
	headerDone bool
	closed     bool
}

var _ Output = (*Stdout)(nil)

// NewStdout returns a Stdout writing to w.
func NewStdout(w io.Writer, o StdoutOptions) (*Stdout, error) {
	tty, width := false, 0
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			width = cols
		}
	}
	s := &Stdout{name: cmp.Or(o.Name, "stdout"), w: w}
	s.ruleW, s.actorW, s.summaryW = layout(cmp.Or(width, defaultWidth))
	switch o.Format {
	case FormatAuto:
		s.text = tty || o.Color
	case FormatText:
		s.text = true
	case FormatJSONL:
	default:
		return nil, fmt.Errorf("stdout: format %q is not %q or %q", o.Format, FormatText, FormatJSONL)
	}
	s.color = s.text && (o.Color || (tty && os.Getenv("NO_COLOR") == ""))
	return s, nil
}

// Name returns the output's name.
func (s *Stdout) Name() string { return s.name }

// Send writes f as one line.
func (s *Stdout) Send(_ context.Context, f *finding.Finding) error {
	var line []byte
	if !s.text {
		b, err := encodeJSON(f)
		if err != nil {
			return Permanent(fmt.Errorf("stdout: encode finding %s: %w", f.ID, err))
		}
		line = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Permanent(fmt.Errorf("stdout %s: %w", s.name, ErrClosed))
	}
	if s.text {
		var b strings.Builder
		if !s.headerDone {
			s.writeHeader(&b)
		}
		s.writeRow(&b, f)
		line = []byte(b.String())
	}
	if _, err := s.w.Write(line); err != nil {
		return fmt.Errorf("stdout: write: %w", err)
	}
	s.headerDone = true
	return nil
}

// Close stops the output; later Sends fail with ErrClosed.
func (s *Stdout) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// The table columns, in runes. The rule and actor columns shrink (down to
// colMin) on a narrow terminal; the summary takes what is left.
const (
	colSeverity  = 8
	colTime      = 20
	colRule      = 28
	colWhere     = 27 // 123456789012/ap-southeast-2
	colActor     = 24
	colGap       = 2
	colMin       = 16
	colMinText   = 24
	defaultWidth = 160 // when the writer is not a terminal
)

// layout fits the rule, actor and summary columns into width.
func layout(width int) (rule, actor, summary int) {
	rule, actor = colRule, colActor
	avail := width - (colSeverity + colTime + colWhere + 5*colGap)
	for rule+actor+colMinText > avail && (rule > colMin || actor > colMin) {
		if rule >= actor {
			rule--
		} else {
			actor--
		}
	}
	return rule, actor, max(avail-rule-actor, colMinText)
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var severityColor = map[finding.Severity]string{
	finding.Info:     "\x1b[2m",       // dim
	finding.Low:      "\x1b[36m",      // cyan
	finding.Medium:   "\x1b[33m",      // yellow
	finding.High:     "\x1b[31m",      // red
	finding.Critical: "\x1b[1;97;41m", // bold white on red
}

func (s *Stdout) writeHeader(b *strings.Builder) {
	cols := []string{
		pad("SEVERITY", colSeverity), pad("TIME", colTime), pad("RULE", s.ruleW),
		pad("ACCOUNT/REGION", colWhere), pad("ACTOR", s.actorW), "SUMMARY",
	}
	if s.color {
		b.WriteString(ansiBold)
	}
	b.WriteString(strings.Join(cols, strings.Repeat(" ", colGap)))
	if s.color {
		b.WriteString(ansiReset)
	}
	b.WriteByte('\n')
}

// writeRow writes one row. Every value from the record is sanitised first:
// a user name or summary must not be able to send escape sequences to the
// terminal.
func (s *Stdout) writeRow(b *strings.Builder, f *finding.Finding) {
	sev := pad(strings.ToUpper(f.Severity.String()), colSeverity)
	if s.color {
		sev = cmp.Or(severityColor[f.Severity], ansiBold) + sev + ansiReset
	}
	where := f.Account
	if f.Region != "" {
		where += "/" + f.Region
	}
	gap := strings.Repeat(" ", colGap)
	b.WriteString(sev)
	b.WriteString(gap)
	if s.color {
		b.WriteString(ansiDim + pad(formatTime(f.EventTime), colTime) + ansiReset)
	} else {
		b.WriteString(pad(formatTime(f.EventTime), colTime))
	}
	for _, c := range []string{
		pad(cmp.Or(sanitize(f.RuleID), "-"), s.ruleW),
		pad(cmp.Or(sanitize(where), "-"), colWhere),
		// The end of an actor (role/session) says the most: cut its start.
		pad(truncateLeft(cmp.Or(sanitize(actorName(f.Actor)), "-"), s.actorW), s.actorW),
	} {
		b.WriteString(gap)
		b.WriteString(c)
	}
	b.WriteString(gap)
	b.WriteString(truncate(sanitize(f.Summary), s.summaryW))
	b.WriteByte('\n')
}

// pad truncates s to n runes and pads it with spaces to n runes.
func pad(s string, n int) string {
	s = truncate(s, n)
	if k := n - len([]rune(s)); k > 0 {
		s += strings.Repeat(" ", k)
	}
	return s
}

// truncateLeft shortens s to at most n runes, starting with "…" when cut.
func truncateLeft(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n <= 1 {
		return truncate(s, n)
	}
	return "…" + string(r[len(r)-n+1:])
}

// actorName is the short form of who acted: the user name, else the part of
// the ARN after the account (root, assumed-role/Admin/alice), else the
// principal id or identity type.
func actorName(a finding.Actor) string {
	if a.UserName != "" {
		return a.UserName
	}
	if a.ARN != "" {
		if i := strings.LastIndexByte(a.ARN, ':'); i >= 0 && i < len(a.ARN)-1 {
			return a.ARN[i+1:]
		}
		return a.ARN
	}
	return cmp.Or(a.PrincipalID, a.Type)
}
