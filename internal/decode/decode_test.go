package decode

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwarden/trailwarden/internal/ctjson"
	"github.com/trailwarden/trailwarden/internal/event"
)

type collect struct {
	ids     []string
	rejects []*RecordError
}

func (c *collect) Event(_ context.Context, e *event.Event) error {
	c.ids = append(c.ids, strings.Clone(e.ID)) // e.ID points into the decoder buffer
	return nil
}

func (c *collect) Reject(_ context.Context, err *RecordError) error {
	c.rejects = append(c.rejects, err)
	return nil
}

func rec(id string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"u"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":%q,"requestParameters":{"note":"caf\u00e9 \\\"q\\\""}}`, id)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func logFile(ids ...string) []byte {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = rec(id)
	}
	return []byte(`{"Records":[` + strings.Join(parts, ",\n") + `]}`)
}

func eventBridge(id string) string {
	return `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"1","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":` + rec(id) + `}`
}

func cwl(ids ...string) []byte {
	var evs []string
	for i, id := range ids {
		m, _ := json.Marshal(rec(id))
		evs = append(evs, fmt.Sprintf(`{"id":"%d","timestamp":1,"message":%s}`, i, m))
	}
	return []byte(`{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"ct","logStream":"s","subscriptionFilters":["f"],"logEvents":[` + strings.Join(evs, ",") + `]}`)
}

func decodeAll(t *testing.T, payload []byte, opts Options) (*collect, Stats, error) {
	t.Helper()
	c := &collect{}
	st, err := New(opts).Decode(context.Background(), "test://p", bytes.NewReader(payload), c)
	for _, r := range c.rejects {
		if r.Origin == "" {
			t.Errorf("reject without origin: %v", r)
		}
	}
	return c, st, err
}

func TestFormats(t *testing.T) {
	big := strings.Repeat("x", 5<<20)
	huge := `{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X","eventID":"huge","requestParameters":{"blob":"` + big + `"}}`
	cases := []struct {
		name    string
		payload []byte
		format  Format
		ids     string // events, in order
		rejects int
		fatal   error // nil, or what the delivery-level error wraps
	}{
		{"log file", logFile("a", "b", "c"), FormatLogFile, "a,b,c", 0, nil},
		{"log file gzip", gz(logFile("a", "b")), FormatLogFile, "a,b", 0, nil},
		{"empty log file", []byte(`{"Records":[]}`), FormatLogFile, "", 0, nil},
		{"json array", []byte("[" + rec("a") + "," + rec("b") + "]"), FormatArray, "a,b", 0, nil},
		{"json lines", []byte(rec("a") + "\n" + rec("b") + "\n\n" + rec("c") + "\n"), FormatJSONLines, "a,b,c", 0, nil},
		{"single record", []byte(rec("a")), FormatRecord, "a", 0, nil},
		{"eventbridge", []byte(eventBridge("a")), FormatEventBridge, "a", 0, nil},
		{"eventbridge lines", []byte(eventBridge("a") + "\n" + eventBridge("b")), FormatJSONLines, "a,b", 0, nil},
		{"eventbridge other detail-type", []byte(`{"detail-type":"EC2 Instance State-change Notification","detail":{}}`), "", "", 1, nil},
		{"cloudwatch logs gzip", gz(cwl("a", "b")), FormatCWLogs, "a,b", 0, nil},
		{"cloudwatch control", gz([]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination"}]}`)), FormatCWLogs, "", 0, nil},
		{"lambda awslogs", []byte(`{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gz(cwl("a"))) + `"}}`), FormatCWLogs, "a", 0, nil},
		{"corrupt awslogs", []byte(`{"awslogs":{"data":"bm90IGd6aXA="}}`), FormatCWLogs, "", 1, nil},
		{"wrong shape record", logFile("a")[:0:0], "", "", 0, nil},
		{"record missing fields", []byte(`{"Records":[` + rec("a") + `,{"eventName":"X"},` + rec("b") + `]}`), FormatLogFile, "a,b", 1, nil},
		{"record not an object", []byte(`{"Records":[` + rec("a") + `,42,"s",` + rec("b") + `]}`), FormatLogFile, "a,b", 2, nil},
		{"unknown event version", []byte(`{"Records":[` + strings.Replace(rec("a"), `"1.08"`, `"2.0"`, 1) + `,` + rec("b") + `]}`), FormatLogFile, "b", 1, nil},
		{"multibyte utf8 across reads", []byte(`{"Records":[` + strings.Replace(rec("a"), "caf", "日本語 ça", 1) + `,` + strings.Replace(rec("b"), "caf", "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€", 1) + `]}`), FormatLogFile, "a,b", 0, nil},
		{"invalid utf8 in record", []byte(`{"Records":[` + rec("a") + `,` + strings.Replace(rec("x"), "caf", "ca\xff", 1) + `,` + rec("b") + `]}`), FormatLogFile, "a,b", 1, nil},
		{"bad escape in record", []byte(`{"Records":[` + strings.Replace(rec("x"), `\u00e9`, `\u00zz`, 1) + `,` + rec("b") + `]}`), FormatLogFile, "b", 1, nil},
		{"huge record", []byte(`{"Records":[` + rec("a") + `,` + huge + `,` + rec("b") + `]}`), FormatLogFile, "a,b", 1, nil},
		{"truncated json", logFile("a", "b")[:len(logFile("a", "b"))-40], FormatLogFile, "a", 0, ErrTruncated},
		{"truncated gzip", gz(logFile("a", "b", "c"))[:60], "", "", 0, errAny},
		{"corrupt gzip", append([]byte{0x1f, 0x8b}, []byte("definitely not deflate data at all")...), "", "", 0, errAny},
		{"not json", []byte("hello world"), "", "", 0, ErrNotCloudTrail},
		{"not cloudtrail", []byte(`{"foo":1}`), "", "", 1, nil},
		{"digest file", []byte(`{"awsAccountId":"1","digestPublicKeyFingerprint":"ab","logFiles":[]}`), "", "", 1, nil},
		{"huge json line", []byte(rec("a") + "\n" + huge + "\n" + rec("b") + "\n"), FormatJSONLines, "a,b", 1, nil},
		{"huge truncated json line", []byte(rec("a") + "\n" + huge[:len(huge)-100] + "\n" + rec("b") + "\n" + rec("c") + "\n"), FormatJSONLines, "a,b,c", 1, nil},
		{"pretty printed stream with a bad record", []byte(pretty(rec("a")) + "\n" + pretty(`{"eventSource": "s", "x": tru, "y": [1,
2]}`) + "\n" + pretty(rec("b"))), FormatJSONLines, "a,b", 1, nil},
		{"bad json line", []byte(rec("a") + "\n{\"eventSource\": oops}\n" + rec("b") + "\n"), FormatJSONLines, "a,b", 1, nil},
		{"garbage line", []byte(rec("a") + "\nnot json\n" + rec("b") + "\n"), FormatJSONLines, "a,b", 1, nil},
		{"empty", []byte("  \n"), "", "", 0, errAny},
	}
	for _, c := range cases {
		if c.payload == nil || len(c.payload) == 0 && c.name == "wrong shape record" {
			continue
		}
		for _, chunk := range []int{0, 64} {
			t.Run(fmt.Sprintf("%s/chunk%d", c.name, chunk), func(t *testing.T) {
				got, st, err := decodeAll(t, c.payload, Options{ChunkBytes: chunk})
				switch {
				case c.fatal == nil && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case c.fatal != nil && err == nil:
					t.Fatalf("want an error wrapping %v", c.fatal)
				case c.fatal != nil && c.fatal != errAny && !errors.Is(err, c.fatal):
					t.Fatalf("error %v does not wrap %v", err, c.fatal)
				}
				if err != nil {
					var re *RecordError
					if !errors.As(err, &re) || re.Origin != "test://p" {
						t.Fatalf("delivery error %T %v is not a *RecordError with the origin", err, err)
					}
				}
				if ids := strings.Join(got.ids, ","); ids != c.ids {
					t.Errorf("events = %q, want %q", ids, c.ids)
				}
				if len(got.rejects) != c.rejects || st.Rejected != c.rejects {
					t.Errorf("rejects = %v (stats %d), want %d", got.rejects, st.Rejected, c.rejects)
				}
				if c.format != "" && st.Format != c.format {
					t.Errorf("format = %s, want %s", st.Format, c.format)
				}
			})
		}
	}
}

var errAny = errors.New("any error")

// pretty re-indents a JSON document over several lines.
func pretty(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return strings.ReplaceAll(s, ",", ",\n  ")
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestRejectPositions(t *testing.T) {
	payload := []byte(`{"Records":[` + rec("a") + `,{"eventName":"X"},` + rec("b") + `]}`)
	got, _, err := decodeAll(t, payload, Options{})
	if err != nil || len(got.rejects) != 1 {
		t.Fatalf("err %v rejects %v", err, got.rejects)
	}
	r := got.rejects[0]
	wantOff := int64(bytes.Index(payload, []byte(`{"eventName":"X"}`)))
	if r.Index != 1 || r.Offset != wantOff || !strings.Contains(r.Error(), "test://p: record 1 at byte") || r.Excerpt != `{"eventName":"X"}` {
		t.Fatalf("reject = %+v (%v), want index 1 offset %d", r, r, wantOff)
	}
	if string(r.Record) != `{"eventName":"X"}` {
		t.Fatalf("reject does not keep the whole record: %q", r.Record)
	}
	var fe *event.FieldError
	if !errors.As(r, &fe) || fe.Field != "eventSource" {
		t.Fatalf("reject does not name the field: %v", r)
	}
	// A syntax error's offset is absolute in the payload.
	payload = []byte(`{"Records":[` + rec("a") + `,{"eventSource":"s","x":tru},` + rec("b") + `]}`)
	got, _, _ = decodeAll(t, payload, Options{ChunkBytes: 64})
	var se *ctjson.SyntaxError
	if len(got.rejects) != 1 || !errors.As(got.rejects[0], &se) || se.Offset != int64(bytes.Index(payload, []byte("tru}"))) {
		t.Fatalf("syntax reject = %v", got.rejects)
	}
	// With the whole file in one read, the broken record is kept whole.
	got, _, _ = decodeAll(t, payload, Options{})
	if len(got.rejects) != 1 || string(got.rejects[0].Record) != `{"eventSource":"s","x":tru}` {
		t.Fatalf("broken record not kept whole: %q", got.rejects[0].Record)
	}
}

func TestRealCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		t.Fatal("shared corpus missing")
	}
	d := New(Options{})
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := &collect{}
		st, err := d.Decode(context.Background(), f, bytes.NewReader(gz(b)), c)
		if err != nil || st.Rejected != 0 || st.Format != FormatLogFile {
			t.Fatalf("%s: %v %+v", f, err, st)
		}
		total += st.Events
	}
	if total != 2900 {
		t.Fatalf("decoded %d events, the corpus holds 2,900", total)
	}
	// The Logstash-reshaped corpus: JSON Lines with @timestamp.
	b, err := os.ReadFile("../../../shared/corpora/otrf-s3-exfiltration/ec2_proxy_s3_exfiltration_2020-09-14011940.json")
	if err != nil {
		t.Fatal(err)
	}
	c := &collect{}
	st, err := d.Decode(context.Background(), "otrf", bytes.NewReader(b), c)
	if err != nil || st.Rejected != 0 || st.Events != 103 {
		t.Fatalf("otrf: %v %+v %v", err, st, c.rejects)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(logFile("a", "b"))
	f.Add(gz(logFile("a")))
	f.Add([]byte(eventBridge("a") + "\n" + rec("b")))
	f.Add(gz(cwl("a", "b")))
	f.Add([]byte("[" + rec("a") + "]"))
	f.Add([]byte(`{"Records":[{"eventName":"X"},42]}`))
	f.Add([]byte(`{"Records":[` + strings.Replace(rec("a"), "caf", "日本語 café", 1) + `]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Invariants: no panic; every problem is a *RecordError naming the
		// origin; the result does not depend on how the stream is chunked;
		// every event's raw bytes are a valid record.
		var runs [2]*collect
		var errs [2]error
		for i, chunk := range []int{0, 7} {
			c := &collect{}
			d := New(Options{ChunkBytes: chunk, MaxRecordBytes: 1 << 16})
			p := event.NewParser()
			h := &checkHandler{t: t, c: c, p: p}
			_, errs[i] = d.Decode(context.Background(), "fuzz", bytes.NewReader(b), h)
			runs[i] = c
			if errs[i] != nil {
				var re *RecordError
				if !errors.As(errs[i], &re) || re.Origin != "fuzz" && !strings.HasPrefix(re.Origin, "fuzz#") {
					t.Fatalf("error %T %v is not a *RecordError", errs[i], errs[i])
				}
			}
		}
		if strings.Join(runs[0].ids, ",") != strings.Join(runs[1].ids, ",") || len(runs[0].rejects) != len(runs[1].rejects) || (errs[0] == nil) != (errs[1] == nil) {
			t.Fatalf("chunking changed the result: %v/%v/%v vs %v/%v/%v", runs[0].ids, len(runs[0].rejects), errs[0], runs[1].ids, len(runs[1].rejects), errs[1])
		}
	})
}

type checkHandler struct {
	t *testing.T
	c *collect
	p *event.Parser
}

func (h *checkHandler) Event(ctx context.Context, e *event.Event) error {
	if _, err := h.p.Parse(e.Clone().Raw); err != nil {
		h.t.Fatalf("event raw does not re-parse: %v", err)
	}
	return h.c.Event(ctx, e)
}

func (h *checkHandler) Reject(ctx context.Context, err *RecordError) error {
	if err.Origin == "" || err.Err == nil {
		h.t.Fatalf("reject without origin or cause: %+v", err)
	}
	return h.c.Reject(ctx, err)
}
