package event

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/ctjson"
)

const sample = `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:bob","arn":"arn:aws:sts::111122223333:assumed-role/Admin/bob","accountId":"111122223333","accessKeyId":"ASIA1","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Admin","userName":"Admin"},"attributes":{"creationDate":"2023-07-10T11:00:00Z","mfaAuthenticated":"true"},"sourceIdentity":"bob@example.com"}},"eventTime":"2023-07-10T11:42:36Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","requestParameters":{"name":"main"},"responseElements":null,"requestID":"r1","eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3"},"x-unknown":{"a":1}}`

func TestParseIndexesFields(t *testing.T) {
	e, err := NewParser().Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if e.Source != "cloudtrail.amazonaws.com" || e.Name != "StopLogging" || e.ID != "e-1" || e.Region != "us-east-1" ||
		e.Account != "111122223333" || e.Version != "1.08" || !e.Time.Equal(time.Date(2023, 7, 10, 11, 42, 36, 0, time.UTC)) {
		t.Fatalf("routing fields wrong: %+v", e)
	}
	if got := string(e.Field(FRequestParameters)); got != `{"name":"main"}` {
		t.Errorf("requestParameters = %s", got)
	}
	if got := e.String(FSourceIPAddress); got != "203.0.113.9" {
		t.Errorf("sourceIPAddress = %q", got)
	}
	if ro, known := e.ReadOnly(); ro || !known {
		t.Errorf("ReadOnly = %v, %v", ro, known)
	}
	if e.IdentityType() != "AssumedRole" {
		t.Errorf("IdentityType = %q", e.IdentityType())
	}
	if got := e.ActorName(); got != "arn:aws:sts::111122223333:assumed-role/Admin/bob" {
		t.Errorf("ActorName = %q", got)
	}
	if v, ok := e.Lookup("x-unknown"); !ok || string(v) != `{"a":1}` {
		t.Errorf("Lookup(x-unknown) = %s, %v", v, ok)
	}
	id, err := e.Identity()
	if err != nil || !id.MFA() || id.SessionContext.SessionIssuer.ARN != "arn:aws:iam::111122223333:role/Admin" || id.SessionContext.SourceIdentity != "bob@example.com" {
		t.Errorf("Identity = %+v, %v", id, err)
	}
	d, err := e.Detail()
	if err != nil || d.EventName != "StopLogging" || d.TLSDetails.TLSVersion != "TLSv1.3" || !bool(d.ManagementEvent) {
		t.Errorf("Detail = %+v, %v", d, err)
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, rec string
		want      error
	}{
		{"not an object", `[1,2]`, ErrNotAnObject},
		{"missing eventSource", `{"eventName":"X","eventTime":"2023-01-01T00:00:00Z"}`, ErrMissing},
		{"missing time", `{"eventSource":"s","eventName":"X"}`, ErrMissing},
		{"bad time", `{"eventSource":"s","eventName":"X","eventTime":"yesterday"}`, ErrBadTime},
		{"feb 30", `{"eventSource":"s","eventName":"X","eventTime":"2023-02-30T00:00:00Z"}`, ErrBadTime},
		{"unknown major version", `{"eventVersion":"2.0","eventSource":"s","eventName":"X","eventTime":"2023-01-01T00:00:00Z"}`, ErrBadVersion},
		{"wrong type", `{"eventSource":5,"eventName":"X","eventTime":"2023-01-01T00:00:00Z"}`, ErrWrongType},
		{"duplicate key", `{"eventSource":"a","eventSource":"b","eventName":"X","eventTime":"2023-01-01T00:00:00Z"}`, ErrDuplicateKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewParser().Parse([]byte(c.rec))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err %T is not a *FieldError", err)
			}
		})
	}
	_, err := NewParser().Parse([]byte(`{"eventSource":"s","eventName":"X","eventTime":"2023-01-01T00:00:00Z"`))
	var se *ctjson.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("truncated record: err = %v, want a SyntaxError", err)
	}
}

func TestParseDefaults(t *testing.T) {
	// Logstash-shipped record: @timestamp instead of eventTime, no eventID, no recipientAccountId.
	rec := `{"@timestamp":"2020-09-14T01:19:40.123Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"IAMUser","accountId":"123456789012"}}`
	e, err := NewParser().Parse([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if e.Account != "123456789012" || e.ID[:7] != "sha256:" || e.Time.Year() != 2020 {
		t.Fatalf("defaults wrong: %+v", e)
	}
	e2, _ := NewParser().Parse([]byte(rec))
	if e2.ID != e.ID {
		t.Fatal("content id not deterministic")
	}
}

// TestParseRealCorpus parses every record of the shared real CloudTrail corpus.
func TestParseRealCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		t.Fatal("shared corpus not found at ../shared/corpora")
	}
	p := NewParser()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for i, r := range doc.Records {
			e, err := p.Parse(r)
			if err != nil {
				t.Fatalf("%s record %d: %v", f, i, err)
			}
			var m map[string]any
			_ = json.Unmarshal(r, &m)
			if e.Name != m["eventName"] || e.ID != m["eventID"] {
				t.Fatalf("%s record %d: got %s/%s", f, i, e.Name, e.ID)
			}
			d, err := e.Detail()
			if err != nil {
				t.Fatalf("%s record %d: %v", f, i, err)
			}
			// The reflection-free Identity agrees with encoding/json.
			id, err := e.Identity()
			if err != nil {
				t.Fatalf("%s record %d: %v", f, i, err)
			}
			want := d.UserIdentity
			if want.SessionContext != nil && len(want.SessionContext.WebIDFederationData) == 0 {
				want.SessionContext.WebIDFederationData = nil
			}
			gotJ, _ := json.Marshal(id)
			wantJ, _ := json.Marshal(&want)
			if string(gotJ) != string(wantJ) {
				t.Fatalf("%s record %d: Identity\n got %s\nwant %s", f, i, gotJ, wantJ)
			}
			n++
		}
	}
	if n < 2000 {
		t.Fatalf("parsed only %d records", n)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"eventSource":"s","eventName":"X","eventTime":"2023-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"eventSource":"s\u0041","eventName":"X","eventTime":"2023-01-01T00:00:00+02:00","eventID":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := NewParser().Parse(b)
		if err != nil {
			var se *ctjson.SyntaxError
			var fe *FieldError
			if !errors.As(err, &se) && !errors.As(err, &fe) {
				t.Fatalf("error %T %v is neither SyntaxError nor FieldError", err, err)
			}
			return
		}
		// An accepted record is valid JSON whose routing fields agree with encoding/json.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("accepted invalid JSON %q: %v", b, err)
		}
		if m["eventSource"] != e.Source || m["eventName"] != e.Name {
			t.Fatalf("routing fields disagree: %q/%q vs %v/%v", e.Source, e.Name, m["eventSource"], m["eventName"])
		}
		if id, ok := m["eventID"].(string); ok && id != "" && id != e.ID {
			t.Fatalf("eventID %q vs %q", e.ID, id)
		}
		if e.Time.IsZero() {
			t.Fatal("accepted record without a time")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	rec := []byte(sample)
	p := NewParser()
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.ParsePrefix(rec); err != nil {
			b.Fatal(err)
		}
	}
}
