package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/trailwarden/trailwarden/internal/finding"
)

func TestStdoutFormats(t *testing.T) {
	hostile := newFinding(2, finding.Medium)
	hostile.Summary = "evil\x1b[2J\x1b]0;pwned\x07 summary\nsecond line"
	hostile.Actor = finding.Actor{UserName: "mallory\x1b[31m"}
	long := newFinding(3, finding.Info)
	long.RuleID = "aws-a-very-long-rule-identifier-that-does-not-fit"
	long.Summary = strings.Repeat("word ", 100)
	long.Actor = finding.Actor{ARN: "arn:aws:sts::123456789012:assumed-role/OrganizationAccountAccessRole/alice@example.com"}

	tests := []struct {
		name  string
		opts  StdoutOptions
		check func(t *testing.T, out string)
	}{
		{
			name: "auto on a non-terminal is jsonl",
			opts: StdoutOptions{},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				if len(lines) != 3 {
					t.Fatalf("got %d lines, want 3:\n%s", len(lines), out)
				}
				for i, l := range lines {
					var f finding.Finding
					if err := json.Unmarshal([]byte(l), &f); err != nil {
						t.Fatalf("line %d is not a finding: %v", i+1, err)
					}
				}
				var f finding.Finding
				json.Unmarshal([]byte(lines[1]), &f)
				if f.Summary != hostile.Summary {
					t.Errorf("jsonl altered the summary: %q", f.Summary)
				}
				if strings.Contains(out, `\u003c`) {
					t.Error("jsonl escapes HTML")
				}
			},
		},
		{
			name: "forced jsonl",
			opts: StdoutOptions{Format: FormatJSONL, Color: true},
			check: func(t *testing.T, out string) {
				if strings.Count(out, "\n") != 3 || !strings.HasPrefix(out, `{"id":`) {
					t.Errorf("not jsonl:\n%s", out)
				}
			},
		},
		{
			name: "forced text without colour",
			opts: StdoutOptions{Format: FormatText},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				if len(lines) != 4 {
					t.Fatalf("got %d lines, want a header and 3 rows:\n%s", len(lines), out)
				}
				if !strings.HasPrefix(lines[0], "SEVERITY") || !strings.Contains(lines[0], "SUMMARY") {
					t.Errorf("header = %q", lines[0])
				}
				for _, want := range []string{"HIGH", "2025-03-04 05:06:07Z", "aws-iam-root-console-login", "123456789012/us-east-1", "root", "Root signed in to the console without MFA"} {
					if !strings.Contains(lines[1], want) {
						t.Errorf("row %q lacks %q", lines[1], want)
					}
				}
				if strings.ContainsRune(out, '\x1b') || strings.ContainsRune(out, '\x07') {
					t.Errorf("text output carries control characters: %q", out)
				}
				if !strings.Contains(lines[2], "mallory") || !strings.Contains(lines[2], "second line") {
					t.Errorf("sanitised row lost its text: %q", lines[2])
				}
				if !strings.Contains(lines[3], "aws-a-very-long-rule-identi…") {
					t.Errorf("long rule id not truncated to its column: %q", lines[3])
				}
				if !strings.Contains(lines[3], "…sRole/alice@example.com") {
					t.Errorf("long actor not cut from the left: %q", lines[3])
				}
				if n := len([]rune(lines[3])); n > defaultWidth {
					t.Errorf("row is %d runes wide, want at most %d", n, defaultWidth)
				}
				// Columns line up: the rule id starts at the same offset in every row.
				col := strings.Index(lines[0], "RULE")
				for _, l := range lines[1:] {
					if !strings.HasPrefix(l[col:], "aws-") {
						t.Errorf("column misaligned in %q", l)
					}
				}
			},
		},
		{
			name: "colour forces text on auto",
			opts: StdoutOptions{Color: true},
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, "\x1b[31mHIGH") || !strings.Contains(out, "\x1b[33mMEDIUM") || !strings.Contains(out, ansiReset) {
					t.Errorf("severities not coloured: %q", out)
				}
				if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x1b]0") {
					t.Errorf("record text reached the terminal as escapes: %q", out)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			s, err := NewStdout(&buf, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []*finding.Finding{newFinding(1, finding.High), hostile, long} {
				if err := s.Send(t.Context(), f); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			tt.check(t, buf.String())
		})
	}
}

func TestStdoutErrors(t *testing.T) {
	if _, err := NewStdout(&bytes.Buffer{}, StdoutOptions{Format: "yaml"}); err == nil {
		t.Error("NewStdout accepted format yaml")
	}
	s, err := NewStdout(&bytes.Buffer{}, StdoutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := newFinding(1, finding.High)
	bad.Event = json.RawMessage(`{not json`)
	if err := s.Send(t.Context(), bad); !IsPermanent(err) {
		t.Errorf("Send of an unencodable finding = %v, want a permanent error", err)
	}
	s.Close(t.Context())
	if err := s.Send(t.Context(), newFinding(1, finding.High)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestStdoutConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	s, err := NewStdout(&buf, StdoutOptions{Format: FormatJSONL})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if err := s.Send(t.Context(), newFinding(g*100+i, finding.Low)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 200 {
		t.Fatalf("got %d lines, want 200", len(lines))
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is torn: %.80s", i+1, l)
		}
	}
}

func TestLayout(t *testing.T) {
	fixed := colSeverity + colTime + colWhere + 5*colGap
	for _, width := range []int{40, 80, 100, 120, 160, 240} {
		rule, actor, summary := layout(width)
		if rule < colMin || actor < colMin || summary < colMinText {
			t.Errorf("layout(%d) = %d, %d, %d: below the minimums", width, rule, actor, summary)
		}
		if total := fixed + rule + actor + summary; total > width && (rule > colMin || actor > colMin) {
			t.Errorf("layout(%d) = %d wide while columns could still shrink", width, total)
		}
		if width >= 160 && (rule != colRule || actor != colActor) {
			t.Errorf("layout(%d) shrank columns on a wide terminal: %d, %d", width, rule, actor)
		}
	}
}

func TestActorName(t *testing.T) {
	tests := []struct {
		a    finding.Actor
		want string
	}{
		{finding.Actor{UserName: "alice", ARN: "arn:aws:iam::1:user/alice"}, "alice"},
		{finding.Actor{ARN: "arn:aws:sts::1:assumed-role/Admin/bob"}, "assumed-role/Admin/bob"},
		{finding.Actor{ARN: "arn:aws:iam::1:root"}, "root"},
		{finding.Actor{PrincipalID: "AIDAEXAMPLE"}, "AIDAEXAMPLE"},
		{finding.Actor{Type: "AWSService"}, "AWSService"},
		{finding.Actor{}, ""},
	}
	for _, tt := range tests {
		if got := actorName(tt.a); got != tt.want {
			t.Errorf("actorName(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}
