package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
)

const (
	ruleStopped = "aws-cloudtrail-logging-stopped"
	ruleChange  = "aws-cloudtrail-config-change"
	ruleRegion  = "aws-ec2-instance-launched-disallowed-region"
)

func gzipBytes(t *testing.T, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestScanExitCodes(t *testing.T) {
	isolate(t)
	failed := record{ID: eventID(1), Source: "cloudtrail.amazonaws.com", Name: "StopLogging", ErrorCode: "AccessDenied", Params: `{"name":"main"}`}.String()
	tests := []struct {
		name    string
		records []string
		args    []string
		all     bool // load the whole built-in pack, not only the logging rules
		want    int
	}{
		{"no finding from the whole pack", []string{listBuckets(1)}, []string{"--fail-on", "info"}, true, ExitOK},
		{"high finding reaches --fail-on high", []string{stopLogging(1)}, []string{"--fail-on", "high"}, false, ExitFindings},
		{"default --fail-on is high", []string{listBuckets(1), stopLogging(2)}, nil, false, ExitFindings},
		{"high finding below --fail-on critical", []string{stopLogging(1)}, []string{"--fail-on", "critical"}, false, ExitOK},
		{"info finding reaches --fail-on info", []string{startLogging(1)}, []string{"--fail-on", "info"}, false, ExitFindings},
		{"info finding below --fail-on low", []string{startLogging(1)}, []string{"--fail-on", "low"}, false, ExitOK},
		{"--fail-on never", []string{stopLogging(1)}, []string{"--fail-on", "never"}, false, ExitOK},
		{"refused StopLogging is below high", []string{failed}, []string{"--fail-on", "high"}, false, ExitOK},
		{"--min-severity does not change --fail-on", []string{stopLogging(1)}, []string{"--min-severity", "critical", "--fail-on", "high"}, false, ExitFindings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "logs/a.json", []byte(logFile(tt.records...)))
			args := []string{"scan", "--format", "jsonl", "--no-store", "--dead-letter", filepath.Join(dir, "dl.jsonl")}
			if !tt.all {
				args = append(args, loggingPack...)
			}
			args = append(args, tt.args...)
			r := runCLI(t, append(args, p)...)
			r.wantCode(t, tt.want)
			if tt.want == ExitOK && tt.all && r.stdout != "" {
				t.Errorf("findings on a benign record:\n%s", r.stdout)
			}
		})
	}
}

// TestScanInputErrors puts one bad file beside a good one: the scan exits 2,
// names the bad file and where in it the problem is, and still reports the
// findings of the good file and of the good records of the bad one.
func TestScanInputErrors(t *testing.T) {
	isolate(t)
	noSource := strings.Replace(stopLogging(10), `"eventSource":"cloudtrail.amazonaws.com",`, "", 1)
	numSource := strings.Replace(stopLogging(11), `"eventSource":"cloudtrail.amazonaws.com"`, `"eventSource":42`, 1)
	huge := record{ID: eventID(11), Source: "cloudtrail.amazonaws.com", Name: "StopLogging",
		Params: `{"name":"main","padding":"` + strings.Repeat("A", 10<<20) + `"}`}.String()
	badUTF8 := record{ID: eventID(11), Source: "cloudtrail.amazonaws.com", Name: "StopLogging",
		Params: `{"name":"main"}`, UserAgent: "aws-cli/2.13.0 \xff\xfe\xfd"}.String()

	twoStops := logFile(stopLogging(10), stopLogging(11))
	gz := gzipBytes(t, twoStops)

	type want struct {
		stderr    []string // substrings; %s is replaced by the bad file's path
		survivors []int    // events of the bad file whose findings are reported
		rejected  int      // records quarantined (0: the file as a whole is unreadable)
		record    string   // the quarantined record as kept in the dead-letter file
	}
	tests := []struct {
		name  string
		file  string
		data  []byte
		named bool // named on the command line rather than found in the folder
		want  want
	}{
		{
			name: "corrupt gzip header",
			file: "corrupt.json.gz",
			data: []byte{0x1f, 0x8b, 0x09, 0x00, 0, 0, 0, 0, 0, 0xff, 'g', 'a', 'r', 'b', 'a', 'g', 'e'},
			want: want{stderr: []string{"error: %s: at byte 0: gzip"}},
		},
		{
			name: "corrupt gzip stream",
			file: "damaged.json.gz",
			data: append(append(slices.Clone(gz[:12]), bytes.Repeat([]byte{0xff}, 16)...), gz[28:]...),
			want: want{stderr: []string{"error: %s: at byte "}},
		},
		{
			name: "gzip cut short",
			file: "cut.json.gz",
			data: gz[:len(gz)/2],
			want: want{stderr: []string{"error: %s: at byte ", "unexpected EOF"}},
		},
		{
			name: "log file cut mid-record",
			file: "truncated.json",
			data: []byte(twoStops[:offsetOf([]string{stopLogging(10), stopLogging(11)}, 1)+300]),
			want: want{
				stderr:    []string{fmt.Sprintf("error: %%s: at byte %d: payload ends inside a record", offsetOf([]string{stopLogging(10), stopLogging(11)}, 1))},
				survivors: []int{10},
			},
		},
		{
			name: "JSON object without Records",
			file: "status.json",
			data: []byte(`{"IsLogging":true,"LatestDeliveryTime":"2023-07-10T12:05:00Z","StartLoggingTime":"2023-07-01T00:00:00Z"}`),
			want: want{stderr: []string{"rejected: %s: record 0 at byte 0: field eventSource: missing required field"}, rejected: 1,
				record: `{"IsLogging":true,"LatestDeliveryTime":"2023-07-10T12:05:00Z","StartLoggingTime":"2023-07-01T00:00:00Z"}`},
		},
		{
			name: "plain text",
			file: "notes.json",
			data: []byte("2023-07-10 12:01:27 bert-jan stopped the trail\n"),
			want: want{stderr: []string{"error: %s: at byte 0: not a CloudTrail record or envelope"}},
		},
		{
			name:  "plain text named on the command line whatever its extension",
			file:  "notes.txt",
			data:  []byte("not json at all\n"),
			named: true,
			want:  want{stderr: []string{"error: %s: at byte 0: not a CloudTrail record or envelope"}},
		},
		{
			name: "record without eventSource",
			file: "nosource.json",
			data: []byte(logFile(noSource, stopLogging(11))),
			want: want{
				stderr:    []string{fmt.Sprintf("rejected: %%s: record 0 at byte %d: field eventSource: missing required field", len(logPrefix))},
				survivors: []int{11}, rejected: 1, record: noSource,
			},
		},
		{
			name: "eventSource is a number",
			file: "numsource.json",
			data: []byte(logFile(stopLogging(10), numSource, stopLogging(12))),
			want: want{
				stderr:    []string{fmt.Sprintf("rejected: %%s: record 1 at byte %d: field eventSource: wrong type", offsetOf([]string{stopLogging(10), numSource}, 1))},
				survivors: []int{10, 12}, rejected: 1, record: numSource,
			},
		},
		{
			name: "10 MB record",
			file: "huge.json",
			data: []byte(logFile(stopLogging(10), huge, stopLogging(12))),
			want: want{
				stderr:    []string{fmt.Sprintf("rejected: %%s: record 1 at byte %d: record larger than the limit", offsetOf([]string{stopLogging(10), huge}, 1))},
				survivors: []int{10, 12}, rejected: 1,
			},
		},
		{
			name: "invalid UTF-8 in a record",
			file: "utf8.json",
			data: []byte(logFile(stopLogging(10), badUTF8, stopLogging(12))),
			want: want{
				stderr:    []string{fmt.Sprintf("rejected: %%s: record 1 at byte %d: ", offsetOf([]string{stopLogging(10), badUTF8}, 1)), "invalid UTF-8"},
				survivors: []int{10, 12}, rejected: 1,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logs := filepath.Join(dir, "logs")
			writeFile(t, logs, "good.json", []byte(logFile(stopLogging(1))))
			args := append([]string{"scan", "--format", "jsonl", "--store", filepath.Join(dir, "tw.db")}, loggingPack...)
			args = append(args, logs)
			var bad string
			if tt.named {
				bad = writeFile(t, filepath.Join(dir, "other"), tt.file, tt.data)
				args = append(args, bad)
			} else {
				bad = writeFile(t, logs, tt.file, tt.data)
			}

			r := runCLI(t, args...)
			r.wantCode(t, ExitError)
			for _, w := range tt.want.stderr {
				if w = strings.ReplaceAll(w, "%s", bad); !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "input errors: ") {
				t.Errorf("summary does not count input errors:\n%s", r.stderr)
			}
			got := keys(decodeFindings(t, r.stdout))
			for _, n := range append([]int{1}, tt.want.survivors...) {
				for _, rule := range []string{ruleStopped, ruleChange} {
					if k := eventID(n) + " " + rule; !got[k] {
						t.Errorf("no finding %s; got %v", k, got)
					}
				}
			}
			if want := 2 * (1 + len(tt.want.survivors)); len(got) != want {
				t.Errorf("%d findings, want %d: %v", len(got), want, got)
			}

			// Quarantined records are kept, with their origin, in the
			// dead-letter file beside the store.
			entries, err := deadletter.Read(filepath.Join(dir, "deadletter.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			records := 0
			for _, e := range entries {
				if e.Kind == deadletter.KindRecord {
					records++
					if e.Origin != bad {
						t.Errorf("dead-letter entry origin %q, want %q", e.Origin, bad)
					}
					// The whole record is kept, byte for byte (as JSON, or
					// raw when it is not valid JSON).
					if kept := string(e.Record) + string(e.RecordBytes); tt.want.record != "" && kept != tt.want.record {
						t.Errorf("quarantined record:\n got %q\nwant %q", kept, tt.want.record)
					}
				}
			}
			if tt.want.rejected > 0 && records != tt.want.rejected {
				t.Errorf("%d quarantined records in the dead-letter file, want %d", records, tt.want.rejected)
			}

			// The next run skips what was read. A file that could not be
			// read to its end is not checkpointed: it is read, and its
			// problem reported, again.
			r = runCLI(t, args...)
			if tt.want.rejected > 0 {
				r.wantCode(t, ExitOK)
				if !strings.Contains(r.stderr, "(2 skipped as already read") {
					t.Errorf("second run did not skip both files:\n%s", r.stderr)
				}
			} else {
				r.wantCode(t, ExitError)
				if !strings.Contains(r.stderr, "(1 skipped as already read") || !strings.Contains(r.stderr, bad) {
					t.Errorf("second run should skip the good file and report %s again:\n%s", bad, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("second run repeated findings:\n%s", r.stdout)
			}
		})
	}
}

// TestScanJSONL checks the finding shape on stdout and that the raw event is
// the input record, byte for byte.
func TestScanJSONL(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	rec := stopLogging(1)
	p := writeFile(t, dir, "a.json", []byte(logFile(listBuckets(2), rec)))
	before := time.Now()
	r := runCLI(t, "scan", "--format", "jsonl", "--no-store", p)
	r.wantCode(t, ExitFindings)

	lines := strings.SplitAfter(r.stdout, "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("stdout does not end with a newline: %q", r.stdout)
	}
	lines = lines[:len(lines)-1]
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per finding (2):\n%s", len(lines), r.stdout)
	}
	var stopped map[string]json.RawMessage
	for _, line := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line is not one JSON object: %v\n%s", err, line)
		}
		for _, k := range []string{"id", "rule_id", "rule_title", "severity", "tags", "event_id", "event_name", "event_source",
			"event_time", "detected_at", "account", "region", "actor", "source_ip", "user_agent", "resources", "summary", "runbook", "event"} {
			if _, ok := m[k]; !ok {
				t.Errorf("finding lacks %q: %s", k, line)
			}
		}
		if !bytes.Equal(m["event"], []byte(rec)) {
			t.Errorf("event is not the input record byte for byte:\n got %s\nwant %s", m["event"], rec)
		}
		if string(m["rule_id"]) == `"`+ruleStopped+`"` {
			stopped = m
		}
	}
	if stopped == nil {
		t.Fatalf("no %s finding:\n%s", ruleStopped, r.stdout)
	}
	var f struct {
		ID          string         `json:"id"`
		RuleTitle   string         `json:"rule_title"`
		Severity    string         `json:"severity"`
		Tags        []string       `json:"tags"`
		EventID     string         `json:"event_id"`
		EventName   string         `json:"event_name"`
		EventSource string         `json:"event_source"`
		EventTime   time.Time      `json:"event_time"`
		DetectedAt  time.Time      `json:"detected_at"`
		Account     string         `json:"account"`
		Region      string         `json:"region"`
		SourceIP    string         `json:"source_ip"`
		UserAgent   string         `json:"user_agent"`
		Resources   []string       `json:"resources"`
		Summary     string         `json:"summary"`
		Runbook     string         `json:"runbook"`
		Actor       map[string]any `json:"actor"`
	}
	raw, _ := json.Marshal(stopped)
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if want := finding.ID(ruleStopped, eventID(1)); f.ID != want {
		t.Errorf("id %q, want %q (rule id + event id)", f.ID, want)
	}
	checks := []struct{ field, got, want string }{
		{"rule_title", f.RuleTitle, "CloudTrail logging stopped"},
		{"severity", f.Severity, "high"},
		{"event_id", f.EventID, eventID(1)},
		{"event_name", f.EventName, "StopLogging"},
		{"event_source", f.EventSource, "cloudtrail.amazonaws.com"},
		{"event_time", f.EventTime.UTC().Format(time.RFC3339), "2023-07-10T12:01:27Z"},
		{"account", f.Account, "123837392027"},
		{"region", f.Region, "us-east-1"},
		{"source_ip", f.SourceIP, "192.168.10.20"},
		{"actor.type", fmt.Sprint(f.Actor["type"]), "IAMUser"},
		{"actor.arn", fmt.Sprint(f.Actor["arn"]), "arn:aws:iam::123837392027:user/bert-jan"},
		{"actor.user_name", fmt.Sprint(f.Actor["user_name"]), "bert-jan"},
		{"actor.access_key_id", fmt.Sprint(f.Actor["access_key_id"]), "AKIATFQR7NSC8Q4X20BJ"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !strings.HasPrefix(f.UserAgent, "aws-cli/2.13.0") {
		t.Errorf("user_agent = %q", f.UserAgent)
	}
	if !slices.Contains(f.Tags, "attack.t1562.008") {
		t.Errorf("tags %v lack attack.t1562.008", f.Tags)
	}
	if !strings.Contains(f.Summary, "stopped CloudTrail logging on arn:aws:cloudtrail:us-east-1:123837392027:trail/management-events") {
		t.Errorf("summary %q", f.Summary)
	}
	if !strings.Contains(f.Runbook, "Restart logging") {
		t.Errorf("runbook %q", f.Runbook)
	}
	if f.DetectedAt.Before(before.Add(-time.Second)) || f.DetectedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("detected_at %v is not the time of the scan", f.DetectedAt)
	}
	if f.Resources == nil {
		t.Errorf("resources is not an array: %s", stopped["resources"])
	}
}

// TestScanJSONLRawEvent: the event of a finding is the input record as it
// was, only compacted onto one line when it spanned several.
func TestScanJSONLRawEvent(t *testing.T) {
	isolate(t)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(stopLogging(1)), "\t\t", "  "); err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(pretty.String(), "\n", "\r\n")
	tests := []struct {
		name string
		rec  string // the record as written in the log file
		file func(rec string) string
	}{
		{"compact", stopLogging(1), func(rec string) string { return logFile(rec) }},
		{"escapes and HTML characters kept as written", strings.Replace(stopLogging(1), `"management-events"`, `"caf\u00e9 <b>&amp;</b> \u2028 \"q\" \/ é"`, 1),
			func(rec string) string { return logFile(rec) }},
		{"pretty-printed", pretty.String(), func(rec string) string { return "{\n\t\"Records\": [\n\t\t" + rec + "\n\t]\n}\n" }},
		{"pretty-printed with CRLF", crlf, func(rec string) string { return "{\r\n\"Records\": [\r\n" + rec + "\r\n]\r\n}\r\n" }},
		{"JSON Lines of records", stopLogging(1), func(rec string) string { return rec + "\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "a.json", []byte(tt.file(tt.rec)))
			args := append([]string{"scan", "--format", "jsonl", "--no-store", "--fail-on", "never"}, loggingPack...)
			r := runCLI(t, append(args, p)...)
			r.wantCode(t, ExitOK)
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(tt.rec)); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d lines, want one per finding (2):\n%s", len(lines), r.stdout)
			}
			for _, line := range lines {
				var m struct{ Event json.RawMessage }
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				if !bytes.Equal(m.Event, want.Bytes()) {
					t.Errorf("event:\n got %s\nwant %s", m.Event, want.Bytes())
				}
			}
		})
	}
}

// TestScanJSONLCorpus scans the real invictus-cloudtrail corpus: every
// finding's event is the record of the log file, byte for byte.
func TestScanJSONLCorpus(t *testing.T) {
	isolate(t)
	dir := filepath.Join("..", "..", "..", "shared", "corpora", "invictus-cloudtrail", "CloudTrail")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the invictus-cloudtrail corpus is missing from %s (shared/corpora beside the checkout): %v", dir, err)
	}
	records := map[string][]json.RawMessage{} // eventID → raw records
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var lf struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &lf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, rec := range lf.Records {
			var id struct{ EventID string }
			if err := json.Unmarshal(rec, &id); err != nil {
				t.Fatal(err)
			}
			records[id.EventID] = append(records[id.EventID], rec)
			total++
		}
	}

	r := runCLI(t, "scan", "--format", "jsonl", "--no-store", "--fail-on", "never", dir)
	r.wantCode(t, ExitOK)
	if want := fmt.Sprintf("scanned %d files (0 skipped as already read, 0 digest/insight, 0 ignored), %d events", len(files), total); !strings.Contains(r.stderr, want) {
		t.Errorf("summary lacks %q:\n%s", want, r.stderr)
	}
	fs := decodeFindings(t, r.stdout)
	if len(fs) == 0 {
		t.Fatal("no finding on the corpus")
	}
	ids := map[string]bool{}
	for _, f := range fs {
		if ids[f.ID] {
			t.Errorf("finding %s reported twice", f.ID)
		}
		ids[f.ID] = true
		recs := records[f.EventID]
		if !slices.ContainsFunc(recs, func(rec json.RawMessage) bool { return bytes.Equal(rec, f.Event) }) {
			t.Errorf("finding %s (%s): event is not the corpus record %s byte for byte", f.ID, f.RuleID, f.EventID)
		}
		if !strings.HasPrefix(f.Origin, dir) {
			t.Errorf("finding %s: origin %q is not a corpus file", f.ID, f.Origin)
		}
	}
}

// TestScanStdin reads "-" from standard input.
func TestScanStdin(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"json", []byte(logFile(listBuckets(2), stopLogging(1)))},
		{"gzip", gzipBytes(t, logFile(listBuckets(2), stopLogging(1)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			dir := t.TempDir()
			in, err := os.Open(writeFile(t, dir, "stdin", tt.data))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			old := os.Stdin
			os.Stdin = in
			defer func() { os.Stdin = old }()

			args := append([]string{"scan", "--format", "jsonl", "--store", filepath.Join(dir, "tw.db")}, loggingPack...)
			r := runCLI(t, append(args, "-")...)
			r.wantCode(t, ExitFindings)
			got := keys(decodeFindings(t, r.stdout))
			if !got[eventID(1)+" "+ruleStopped] || len(got) != 2 {
				t.Errorf("findings %v, want the StopLogging ones", got)
			}
			if !strings.Contains(r.stderr, "scanned 1 files (0 skipped as already read") {
				t.Errorf("summary:\n%s", r.stderr)
			}
		})
	}
}

// TestScanCheckpoints runs scans one after another on the same folder and store.
func TestScanCheckpoints(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	a := writeFile(t, logs, "a.json", []byte(logFile(stopLogging(1))))
	writeFile(t, logs, "b.json.gz", gzipBytes(t, logFile(listBuckets(2), stopLogging(3))))
	db := filepath.Join(dir, "tw.db")
	scan := func(extra ...string) result {
		args := append([]string{"scan", "--format", "jsonl", "--store", db}, loggingPack...)
		args = append(args, extra...)
		return runCLI(t, append(args, logs)...)
	}

	r := scan()
	r.wantCode(t, ExitFindings)
	first := keys(decodeFindings(t, r.stdout))
	if len(first) != 4 {
		t.Fatalf("first run: %d findings, want 4: %v", len(first), first)
	}
	if !strings.Contains(r.stderr, "scanned 2 files (0 skipped as already read") || !strings.Contains(r.stderr, "; 4 new") {
		t.Errorf("first run summary:\n%s", r.stderr)
	}

	t.Run("the same files written another way are skipped too", func(t *testing.T) {
		rel, err := filepath.Rel(mustGetwd(t), logs)
		if err != nil {
			t.Skip("no relative path from the working directory")
		}
		args := append([]string{"scan", "--format", "jsonl", "--store", db}, loggingPack...)
		r := runCLI(t, append(args, rel+string(filepath.Separator)+".")...)
		r.wantCode(t, ExitOK)
		if !strings.Contains(r.stderr, "scanned 0 files (2 skipped as already read") {
			t.Errorf("summary:\n%s", r.stderr)
		}
	})

	t.Run("second run skips the files", func(t *testing.T) {
		r := scan()
		r.wantCode(t, ExitOK)
		if r.stdout != "" {
			t.Errorf("findings output again:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "scanned 0 files (2 skipped as already read") || !strings.Contains(r.stderr, "findings: none") {
			t.Errorf("summary:\n%s", r.stderr)
		}
	})

	t.Run("rescan reads again without duplicates", func(t *testing.T) {
		r := scan("--rescan")
		r.wantCode(t, ExitFindings) // the findings are detected again
		if r.stdout != "" {
			t.Errorf("findings output again:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "scanned 2 files (0 skipped as already read") || !strings.Contains(r.stderr, "findings: 4 (2 high, 2 info); 0 new") {
			t.Errorf("summary:\n%s", r.stderr)
		}
	})

	t.Run("only a modified file is read again", func(t *testing.T) {
		writeFile(t, logs, "a.json", []byte(logFile(stopLogging(1), stopLogging(4))))
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(a, later, later); err != nil {
			t.Fatal(err)
		}
		r := scan()
		r.wantCode(t, ExitFindings)
		got := keys(decodeFindings(t, r.stdout))
		want := map[string]bool{eventID(4) + " " + ruleStopped: true, eventID(4) + " " + ruleChange: true}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("findings %v, want only the new record's %v", got, want)
		}
		if !strings.Contains(r.stderr, "scanned 1 files (1 skipped as already read") || !strings.Contains(r.stderr, "; 2 new") {
			t.Errorf("summary:\n%s", r.stderr)
		}
	})

	t.Run("touched file is read again, nothing new", func(t *testing.T) {
		later := time.Now().Add(2 * time.Hour)
		if err := os.Chtimes(a, later, later); err != nil {
			t.Fatal(err)
		}
		r := scan()
		r.wantCode(t, ExitFindings)
		if r.stdout != "" {
			t.Errorf("findings output again:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "scanned 1 files (1 skipped as already read") {
			t.Errorf("summary:\n%s", r.stderr)
		}
	})

	t.Run("other rules read every file again", func(t *testing.T) {
		r := scan("--rules", ruleDir(t, "good"))
		r.wantCode(t, ExitFindings)
		got := keys(decodeFindings(t, r.stdout))
		if len(got) != 3 || !got[eventID(1)+" test-trail-stopped"] {
			t.Errorf("findings %v, want only the new rule's (3)", got)
		}
		if !strings.Contains(r.stderr, "scanned 2 files (0 skipped as already read") {
			t.Errorf("summary:\n%s", r.stderr)
		}
		r = scan("--rules", ruleDir(t, "good"))
		if !strings.Contains(r.stderr, "scanned 0 files (2 skipped as already read") {
			t.Errorf("same rules again:\n%s", r.stderr)
		}
	})
}

func TestScanMinSeverityAndNoStore(t *testing.T) {
	home := isolate(t)
	dir := t.TempDir()
	p := writeFile(t, dir, "a.json", []byte(logFile(stopLogging(1), startLogging(2))))
	args := append([]string{"scan", "--format", "jsonl", "--no-store", "--min-severity", "high"}, loggingPack...)

	for run := 1; run <= 2; run++ { // nothing kept: the second run reports the same
		r := runCLI(t, append(args, p)...)
		r.wantCode(t, ExitFindings)
		fs := decodeFindings(t, r.stdout)
		if len(fs) != 1 || fs[0].RuleID != ruleStopped {
			t.Errorf("run %d: stdout has %v, want only the high finding", run, keys(fs))
		}
		// The summary counts every finding, whatever is output.
		if !strings.Contains(r.stderr, "findings: 3 (1 high, 2 info); 3 new") {
			t.Errorf("run %d: summary:\n%s", run, r.stderr)
		}
	}

	// --no-store keeps no database anywhere.
	for _, d := range []string{home, dir} {
		err := filepath.WalkDir(d, func(p string, _ os.DirEntry, err error) error {
			if err == nil && strings.Contains(filepath.Base(p), ".db") {
				t.Errorf("--no-store created %s", p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanTextFormat(t *testing.T) {
	isolate(t)
	p := writeFile(t, t.TempDir(), "a.json", []byte(logFile(stopLogging(1))))
	args := append([]string{"scan", "--format", "text", "--no-store"}, loggingPack...)
	r := runCLI(t, append(args, p)...)
	r.wantCode(t, ExitFindings)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SEVERITY") {
		t.Fatalf("want a header and two rows:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "HIGH") || !strings.Contains(r.stdout, "aws-cloudtrail-logging-stop") || !strings.Contains(r.stdout, "123837392027/us-east-1") {
		t.Errorf("table lacks the high finding:\n%s", r.stdout)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestScanStdinTwice(t *testing.T) {
	isolate(t)
	r := runCLI(t, "scan", "--no-store", "-", "-")
	r.wantCode(t, ExitError)
	if !strings.Contains(r.stderr, "given more than once") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestEmptyConfigVariable(t *testing.T) {
	isolate(t)
	t.Setenv("TRAILWARDEN_CONFIG", "")
	r := runCLI(t, "rules", "list")
	r.wantCode(t, ExitOK)
}
