package output

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// SlackOptions configures a Slack output. URL is a secret (whoever has it can
// post to the channel): String and LogValue redact it.
type SlackOptions struct {
	// Name defaults to "slack".
	Name string
	// URL is the incoming-webhook URL, https://hooks.slack.com/services/...
	URL string
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Version goes into the User-Agent: trailwarden/<Version>.
	Version string
	// Client sends the requests; nil means a default client.
	Client *http.Client
}

// LogValue shows the options with the URL path redacted.
func (o SlackOptions) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", o.Name),
		slog.String("url", redactURL(o.URL)),
		slog.Duration("timeout", o.Timeout),
	)
}

// String is like LogValue, for fmt.
func (o SlackOptions) String() string { return o.LogValue().String() }

// GoString keeps %#v from printing the URL.
func (o SlackOptions) GoString() string { return "output.SlackOptions" + o.String() }

// Slack posts each finding to a Slack incoming webhook as a Block Kit
// message. It is safe for concurrent use.
//
// Incoming webhooks take no idempotency key, so Slack remembers the ids it has
// recently delivered and skips them on redelivery; a retry after a timeout
// that Slack did act on can still post twice.
type Slack struct {
	name   string
	p      *poster
	ua     string
	sent   *recentIDs
	closed atomic.Bool
}

var _ Output = (*Slack)(nil)

// NewSlack validates o and returns a Slack output. Its errors never contain
// the URL.
func NewSlack(o SlackOptions) (*Slack, error) {
	p, err := newPoster("slack", o.URL, o.Client, o.Timeout)
	if err != nil {
		return nil, fmt.Errorf("slack: url: %w", err)
	}
	return &Slack{
		name: cmp.Or(o.Name, "slack"),
		p:    p,
		ua:   userAgent(o.Version),
		sent: newRecentIDs(4096),
	}, nil
}

// Name returns the output's name.
func (s *Slack) Name() string { return s.name }

// Send posts f. Slack answers 200 "ok"; 4xx answers (invalid_payload,
// channel_not_found, ...) are Permanent; 429 carries Retry-After; 5xx and
// network errors are retryable.
func (s *Slack) Send(ctx context.Context, f *finding.Finding) error {
	if s.closed.Load() {
		return Permanent(fmt.Errorf("slack %s: %w", s.name, ErrClosed))
	}
	if s.sent.has(f.ID) {
		return nil
	}
	body, err := encodeJSON(slackPayload(f))
	if err != nil {
		return Permanent(fmt.Errorf("slack: encode finding %s: %w", f.ID, err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", s.ua)
	if err := s.p.post(ctx, bytes.TrimSuffix(body, []byte("\n")), h); err != nil {
		return err
	}
	s.sent.add(f.ID)
	return nil
}

// Close releases idle connections. Later Sends fail with ErrClosed.
func (s *Slack) Close(context.Context) error {
	s.closed.Store(true)
	s.p.close()
	return nil
}

// LogValue describes the output without its URL.
func (s *Slack) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", s.name), slog.String("url", s.p.displayURL()))
}

// String describes the output without its URL.
func (s *Slack) String() string { return "slack " + s.name + " " + s.p.displayURL() }

// GoString keeps %#v from printing the URL.
func (s *Slack) GoString() string { return "&output.Slack{" + s.String() + "}" }

// The Block Kit shapes Slack accepts; limits from api.slack.com/reference/block-kit.
type (
	slackMessage struct {
		Text   string       `json:"text"`
		Blocks []slackBlock `json:"blocks"`
	}
	slackBlock struct {
		Type     string      `json:"type"`
		Text     *slackText  `json:"text,omitempty"`
		Fields   []slackText `json:"fields,omitempty"`
		Elements []slackText `json:"elements,omitempty"`
	}
	slackText struct {
		Type  string `json:"type"`
		Text  string `json:"text"`
		Emoji bool   `json:"emoji,omitempty"`
	}
)

const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
)

var slackEmoji = map[finding.Severity]string{
	finding.Info:     ":large_blue_circle:",
	finding.Low:      ":large_yellow_circle:",
	finding.Medium:   ":large_orange_circle:",
	finding.High:     ":red_circle:",
	finding.Critical: ":rotating_light:",
}

// slackPayload builds the message for f. Text from the CloudTrail record is
// escaped so that it cannot mention @channel or forge links.
func slackPayload(f *finding.Finding) slackMessage {
	title := cmp.Or(f.RuleTitle, f.RuleID)
	emoji := cmp.Or(slackEmoji[f.Severity], ":white_circle:")
	sev := strings.ToUpper(f.Severity.String())

	field := func(label, value string) slackText {
		return slackText{Type: "mrkdwn", Text: truncate("*"+label+"*\n"+mrkdwn(cmp.Or(sanitize(value), "-")), slackFieldMax)}
	}
	actor := f.Actor.ARN
	if actor == "" {
		actor = actorName(f.Actor)
	}
	ctxLine := "rule " + code(f.RuleID) + " · finding " + code(f.ID)
	if rb := f.Runbook; strings.HasPrefix(rb, "https://") && !strings.ContainsAny(rb, "<>| \n") {
		ctxLine += " · <" + rb + "|runbook>"
	}
	return slackMessage{
		Text: truncate(mrkdwn(sanitize(fmt.Sprintf("[%s] %s: %s", sev, title, f.Summary))), slackSectionMax),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(emoji+" "+sanitize(title), slackHeaderMax), Emoji: true}},
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(mrkdwn(cmp.Or(sanitizeKeepNewlines(f.Summary), "(no summary)")), slackSectionMax)}},
			{Type: "section", Fields: []slackText{
				field("Severity", sev),
				field("Account", f.Account),
				field("Region", f.Region),
				field("Actor", actor),
				field("Source IP", f.SourceIP),
				field("Event", f.EventName),
				field("Time", formatTime(f.EventTime)),
			}},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: truncate(ctxLine, slackFieldMax)}}},
		},
	}
}

// mrkdwn escapes the three characters Slack's mrkdwn treats as control.
var mrkdwn = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// code formats s as inline code.
func code(s string) string {
	return "`" + mrkdwn(strings.ReplaceAll(sanitize(s), "`", "'")) + "`"
}

func sanitizeKeepNewlines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, "\n")
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// recentIDs is a bounded set of the last n ids added.
type recentIDs struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recentIDs) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[id]
	return ok
}

func (r *recentIDs) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[id]; ok {
		return
	}
	delete(r.set, r.ring[r.next])
	r.ring[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
