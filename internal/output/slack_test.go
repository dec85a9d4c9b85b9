package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// slackWire is the payload as Slack's server decodes it.
type slackWire struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type  string `json:"type"`
			Text  string `json:"text"`
			Emoji bool   `json:"emoji"`
		} `json:"text"`
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"elements"`
	} `json:"blocks"`
}

func TestSlackPayloadShape(t *testing.T) {
	rcv := newReceiver(t, reply{status: 200, body: "ok"})
	s, err := NewSlack(SlackOptions{Name: "sec-alerts", URL: rcv.URL + "/services/T000/B000/XXXX", Version: "0.9.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())

	f := newFinding(1, finding.Critical)
	f.Summary = "Root login from <!channel> & <https://evil.example|click me>"
	f.Actor.UserName = "" // the ARN is shown
	f.Runbook = "https://runbooks.example.com/root-login"
	if err := s.Send(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.got()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var msg slackWire
	if err := json.Unmarshal(reqs[0].body, &msg); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, reqs[0].body)
	}

	var types []string
	for _, b := range msg.Blocks {
		types = append(types, b.Type)
	}
	if diff := cmp.Diff([]string{"header", "section", "section", "context"}, types); diff != "" {
		t.Fatalf("block types (-want +got):\n%s", diff)
	}
	header := msg.Blocks[0].Text
	if header.Type != "plain_text" || header.Text != ":rotating_light: Root account console login" {
		t.Errorf("header = %+v", header)
	}
	summary := msg.Blocks[1].Text
	wantSummary := "Root login from &lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt;"
	if summary.Type != "mrkdwn" || summary.Text != wantSummary {
		t.Errorf("summary = %q, want %q (escaped: no mention, no forged link)", summary.Text, wantSummary)
	}
	var fields []string
	for _, fl := range msg.Blocks[2].Fields {
		fields = append(fields, fl.Text)
	}
	wantFields := []string{
		"*Severity*\nCRITICAL",
		"*Account*\n123456789012",
		"*Region*\nus-east-1",
		"*Actor*\narn:aws:iam::123456789012:root",
		"*Source IP*\n198.51.100.7",
		"*Event*\nConsoleLogin",
		"*Time*\n2025-03-04 05:06:07Z",
	}
	if diff := cmp.Diff(wantFields, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	ctxLine := msg.Blocks[3].Elements[0].Text
	for _, want := range []string{"`aws-iam-root-console-login`", "`" + f.ID + "`", "<https://runbooks.example.com/root-login|runbook>"} {
		if !strings.Contains(ctxLine, want) {
			t.Errorf("context %q lacks %q", ctxLine, want)
		}
	}
	if !strings.HasPrefix(msg.Text, "[CRITICAL] Root account console login: ") || strings.Contains(msg.Text, "<!channel>") {
		t.Errorf("fallback text = %q", msg.Text)
	}

	// Redelivery of the same finding is not posted twice.
	if err := s.Send(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.got()); n != 1 {
		t.Errorf("redelivery posted again: %d requests", n)
	}
}

func TestSlackPayloadLimits(t *testing.T) {
	f := newFinding(1, finding.Severity(42)) // unknown severity still renders
	f.RuleTitle = strings.Repeat("T", 500)
	f.Summary = strings.Repeat("s", 5000)
	f.Actor = finding.Actor{}
	f.SourceIP = ""
	f.Runbook = "javascript:alert(1)" // not linked
	msg := slackPayload(f)
	if n := len([]rune(msg.Blocks[0].Text.Text)); n > slackHeaderMax {
		t.Errorf("header is %d runes, limit %d", n, slackHeaderMax)
	}
	if n := len([]rune(msg.Blocks[1].Text.Text)); n > slackSectionMax {
		t.Errorf("section is %d runes, limit %d", n, slackSectionMax)
	}
	if got := msg.Blocks[2].Fields[4].Text; got != "*Source IP*\n-" {
		t.Errorf("empty field = %q", got)
	}
	if strings.Contains(msg.Blocks[3].Elements[0].Text, "javascript") {
		t.Errorf("non-https runbook linked: %q", msg.Blocks[3].Elements[0].Text)
	}
}

func TestSlackStatusClassification(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		permanent bool
		wait      time.Duration // -1: none
		body      string
	}{
		{name: "invalid_payload", reply: reply{status: 400, body: "invalid_payload"}, permanent: true, wait: -1, body: "invalid_payload"},
		{name: "channel_is_archived", reply: reply{status: 410, body: "channel_is_archived"}, permanent: true, wait: -1, body: "channel_is_archived"},
		{name: "no_service", reply: reply{status: 404, body: "no_service"}, permanent: true, wait: -1},
		{name: "rate limited", reply: reply{status: 429, body: "rate_limited", header: map[string]string{"Retry-After": "30"}}, wait: 30 * time.Second},
		{name: "server error", reply: reply{status: 500, body: "internal_error"}, wait: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.reply)
			s, err := NewSlack(SlackOptions{URL: rcv.URL + "/services/T/B/secretpart"})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(t.Context(), newFinding(1, finding.High))
			if err == nil {
				t.Fatal("Send = nil, want an error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v", err, !tt.permanent)
			}
			if wait, ok := retryAfter(err); (tt.wait < 0) == ok || (ok && wait != tt.wait) {
				t.Errorf("retryAfter(%v) = %v, %v; want %v", err, wait, ok, tt.wait)
			}
			if !strings.Contains(err.Error(), tt.body) {
				t.Errorf("error %q lacks the Slack error code %q", err, tt.body)
			}
			// A failed send is not remembered as delivered.
			if s.sent.has(newFinding(1, finding.High).ID) {
				t.Error("failed finding recorded as sent")
			}
		})
	}
}

func TestSlackURLNeverLeaks(t *testing.T) {
	rcv := newReceiver(t)
	base := rcv.URL
	rcv.Close() // connection refused: the HTTP client's error quotes the URL
	const token = "hooks-secret-2c9f1a77"
	opts := SlackOptions{URL: base + "/services/T0/B0/" + token}
	s, err := NewSlack(opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), newFinding(1, finding.High))
	if err == nil || IsPermanent(err) {
		t.Fatalf("Send = %v, want a retryable error", err)
	}
	for what, text := range map[string]string{
		"error":         err.Error(),
		"options %v":    fmt.Sprintf("%v", opts),
		"options %#v":   fmt.Sprintf("%#v", opts),
		"output %+v":    fmt.Sprintf("%+v", s),
		"output %#v":    fmt.Sprintf("%#v", s),
		"unwrapped err": fmt.Sprint(errors.Unwrap(err)),
	} {
		if strings.Contains(text, token) {
			t.Errorf("%s contains the webhook token: %s", what, text)
		}
	}
}

func TestRecentIDs(t *testing.T) {
	r := newRecentIDs(2)
	r.add("a")
	r.add("b")
	r.add("a") // already present: does not evict
	if !r.has("a") || !r.has("b") {
		t.Fatal("lost an id before the set was full")
	}
	r.add("c") // evicts the oldest, a
	if r.has("a") || !r.has("b") || !r.has("c") {
		t.Errorf("after eviction: a=%v b=%v c=%v", r.has("a"), r.has("b"), r.has("c"))
	}
}
