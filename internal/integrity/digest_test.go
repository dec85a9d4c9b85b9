package integrity_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

func readDigestSeed(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "digests", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseDigest(t *testing.T) {
	d, err := integrity.ParseDigest(readDigestSeed(t, "first.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &integrity.Digest{
		AccountID:   "444455556666",
		StartTime:   time.Date(2024, 3, 4, 5, 0, 0, 0, time.UTC),
		EndTime:     time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC),
		EndTimeText: "2024-03-04T06:00:00+00:00",
		S3Bucket:    "trail-bucket",
		S3Object: "org/AWSLogs/o-abc123def4/444455556666/CloudTrail-Digest/eu-west-1/2024/03/04/" +
			"444455556666_CloudTrail-Digest_eu-west-1_org_trail_us-east-1_20240304T060000Z.json.gz",
		PublicKeyFingerprint: "57b8a3dfc6dd371c2ba786ec8138fa27",
		SignatureAlgorithm:   "SHA256withRSA",
		LogFiles:             []integrity.LogFile{},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("first.json (-want +got):\n%s", diff)
	}
	// The end time is signed as written, and a first digest signs "null".
	wantSign := "2024-03-04T06:00:00+00:00\ntrail-bucket/" + want.S3Object + "\nabc\nnull"
	if got := d.SigningString("abc"); got != wantSign {
		t.Errorf("SigningString:\n%q\nwant\n%q", got, wantSign)
	}

	d, err = integrity.ParseDigest(readDigestSeed(t, "chained.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.LogFiles) != 2 || d.LogFiles[1].NewestEventTime != time.Date(2024, 3, 4, 1, 58, 12, 5e8, time.UTC) ||
		d.PreviousSignature != "0a1b2c3d4e5f60718293a4b5c6d7e8f9" || d.PreviousHashAlgorithm != "SHA-256" {
		t.Errorf("chained.json: %+v", d)
	}
	if got := d.SigningString("abc"); !strings.HasPrefix(got, "2024-03-04T02:00:00Z\ntrail-bucket/AWSLogs/") ||
		!strings.HasSuffix(got, "\nabc\n0a1b2c3d4e5f60718293a4b5c6d7e8f9") {
		t.Errorf("SigningString: %q", got)
	}
}

// TestParseDigestErrors edits chained.json one field at a time.
func TestParseDigestErrors(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(m map[string]any)
		raw       string // instead of an edit
		wantField string
		wantErr   string
	}{
		{name: "not JSON", raw: "<html>", wantErr: "not a JSON object"},
		{name: "JSON array", raw: "[]", wantErr: "not a JSON object"},
		{name: "JSON null", raw: "null", wantErr: "not a JSON object"},
		{name: "truncated", raw: `{"awsAccountId":"1111`, wantErr: "not a JSON object"},
		{name: "trailing data", raw: `{} {}`, wantErr: "not a JSON object"},
		{name: "account missing", edit: func(m map[string]any) { delete(m, "awsAccountId") }, wantField: "awsAccountId", wantErr: "missing"},
		{name: "account a number", edit: func(m map[string]any) { m["awsAccountId"] = 111122223333 }, wantField: "awsAccountId", wantErr: "not a string"},
		{name: "account short", edit: func(m map[string]any) { m["awsAccountId"] = "1111" }, wantField: "awsAccountId", wantErr: "12-digit"},
		{name: "start null", edit: func(m map[string]any) { m["digestStartTime"] = nil }, wantField: "digestStartTime", wantErr: "null"},
		{name: "start not a time", edit: func(m map[string]any) { m["digestStartTime"] = "yesterday" }, wantField: "digestStartTime", wantErr: "RFC 3339"},
		{name: "end not UTC", edit: func(m map[string]any) { m["digestEndTime"] = "2024-03-04T03:00:00+01:00" }, wantField: "digestEndTime", wantErr: "not UTC"},
		{name: "end before start", edit: func(m map[string]any) { m["digestEndTime"] = "2024-03-04T00:00:00Z" }, wantField: "digestEndTime", wantErr: "before"},
		{name: "bucket empty", edit: func(m map[string]any) { m["digestS3Bucket"] = "" }, wantField: "digestS3Bucket", wantErr: "empty"},
		{name: "object an object", edit: func(m map[string]any) { m["digestS3Object"] = map[string]any{} }, wantField: "digestS3Object", wantErr: "not a string"},
		{name: "fingerprint missing", edit: func(m map[string]any) { delete(m, "digestPublicKeyFingerprint") }, wantField: "digestPublicKeyFingerprint", wantErr: "missing"},
		{name: "other algorithm", edit: func(m map[string]any) { m["digestSignatureAlgorithm"] = "SHA1withRSA" }, wantField: "digestSignatureAlgorithm", wantErr: "unsupported"},
		{name: "newest event time a number", edit: func(m map[string]any) { m["newestEventTime"] = 1 }, wantField: "newestEventTime", wantErr: "not a string"},
		{name: "previous signature not hex", edit: func(m map[string]any) { m["previousDigestSignature"] = "xyz" }, wantField: "previousDigestSignature", wantErr: "not hex"},
		{name: "previous object missing in a link", edit: func(m map[string]any) { delete(m, "previousDigestS3Object") }, wantField: "previousDigestS3Object", wantErr: "missing"},
		{name: "previous hash short", edit: func(m map[string]any) { m["previousDigestHashValue"] = "abcd" }, wantField: "previousDigestHashValue", wantErr: "2 bytes, want 32"},
		{name: "previous hash algorithm", edit: func(m map[string]any) { m["previousDigestHashAlgorithm"] = "MD5" }, wantField: "previousDigestHashAlgorithm", wantErr: "unsupported"},
		{name: "log files missing", edit: func(m map[string]any) { delete(m, "logFiles") }, wantField: "logFiles", wantErr: "missing"},
		{name: "log files an object", edit: func(m map[string]any) { m["logFiles"] = map[string]any{} }, wantField: "logFiles", wantErr: "not an array"},
		{name: "log file a string", edit: func(m map[string]any) { m["logFiles"] = []any{"x"} }, wantField: "logFiles[0]", wantErr: "not an object"},
		{name: "log file hash missing", edit: func(m map[string]any) { delete(logFile(m, 1), "hashValue") }, wantField: "logFiles[1].hashValue", wantErr: "missing"},
		{name: "log file hash not hex", edit: func(m map[string]any) { logFile(m, 0)["hashValue"] = strings.Repeat("g", 64) }, wantField: "logFiles[0].hashValue", wantErr: "not hex"},
		{name: "log file object null", edit: func(m map[string]any) { logFile(m, 1)["s3Object"] = nil }, wantField: "logFiles[1].s3Object", wantErr: "null"},
		{name: "log file algorithm", edit: func(m map[string]any) { logFile(m, 0)["hashAlgorithm"] = "SHA-1" }, wantField: "logFiles[0].hashAlgorithm", wantErr: "unsupported"},
		{name: "log file time", edit: func(m map[string]any) { logFile(m, 0)["oldestEventTime"] = "2024-03-04" }, wantField: "logFiles[0].oldestEventTime", wantErr: "RFC 3339"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.raw)
			if tt.edit != nil {
				var m map[string]any
				if err := json.Unmarshal(readDigestSeed(t, "chained.json"), &m); err != nil {
					t.Fatal(err)
				}
				tt.edit(m)
				var err error
				if data, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			d, err := integrity.ParseDigest(data)
			var de *integrity.DigestError
			if !errors.As(err, &de) {
				t.Fatalf("ParseDigest = %+v, %v; want a *DigestError", d, err)
			}
			if de.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q (field %q), want field %q and %q", err, de.Field, tt.wantField, tt.wantErr)
			}
		})
	}
}

func logFile(m map[string]any, i int) map[string]any {
	return m["logFiles"].([]any)[i].(map[string]any)
}

func TestDigestMarshalJSON(t *testing.T) {
	for _, name := range []string{"first.json", "chained.json"} {
		d, err := integrity.ParseDigest(readDigestSeed(t, name))
		if err != nil {
			t.Fatal(err)
		}
		data, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := integrity.ParseDigest(data)
		if err != nil {
			t.Fatalf("%s: written back, it does not parse: %v\n%s", name, err, data)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Errorf("%s: written and read back (-first +again):\n%s", name, diff)
		}
	}
	// CloudTrail's field order, and null for a first digest's link.
	d, _ := integrity.ParseDigest(readDigestSeed(t, "first.json"))
	data, _ := d.MarshalJSON()
	if !strings.HasPrefix(string(data), `{"awsAccountId":"444455556666","digestStartTime":"2024-03-04T05:00:00Z",`) ||
		!strings.Contains(string(data), `"previousDigestSignature":null,"logFiles":[]}`) {
		t.Errorf("MarshalJSON: %s", data)
	}
}

// FuzzParseDigest checks that ParseDigest never panics, that every error is
// a *DigestError, and that an accepted digest written back parses to the
// same Digest.
func FuzzParseDigest(f *testing.F) {
	for _, name := range []string{"first.json", "chained.json"} {
		f.Add(readDigestSeed(f, name))
	}
	f.Add([]byte(`{"logFiles":[{}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"awsAccountId":"111122223333","digestStartTime":"0000-01-01T00:00:00Z","digestEndTime":"9999-12-31T23:59:59.999999999Z",` +
		`"digestS3Bucket":"\u00e9","digestS3Object":"\ud800","digestPublicKeyFingerprint":"x","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := integrity.ParseDigest(data)
		if err != nil {
			if _, ok := err.(*integrity.DigestError); !ok {
				t.Fatalf("error %T %v, want a *DigestError", err, err)
			}
			if d != nil {
				t.Fatal("a Digest with an error")
			}
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := integrity.ParseDigest(out)
		if err != nil {
			t.Fatalf("written back, it does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("written and read back (-first +again):\n%s", diff)
		}
	})
}
