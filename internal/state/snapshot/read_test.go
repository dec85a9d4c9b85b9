package snapshot

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var testTakenAt = time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)

// render writes documents and what Observe makes of them, one fact a line.
func render(t *testing.T, docs []Document) string {
	t.Helper()
	var b strings.Builder
	for _, d := range docs {
		fmt.Fprintf(&b, "document %s account=%s region=%s bucket=%s takenAt=%s source=%s\n",
			d.Kind, d.Account, d.Region, d.Bucket, d.TakenAt.Format(time.RFC3339), filepath.Base(d.Source))
		o, err := Observe(d)
		if err != nil {
			fmt.Fprintf(&b, "  error: %v\n", err)
			continue
		}
		for _, sc := range o.Complete {
			fmt.Fprintf(&b, "  complete %s %s/%s\n", sc.Type, sc.Account, sc.Region)
		}
		for _, r := range o.Resources {
			st, err := json.MarshalIndent(r.State, "    ", "  ")
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  resource %s arn=%s\n    covers: %s\n    %s\n", r.ID.Key(), r.ID.ARN, strings.Join(r.Covers, " "), st)
		}
	}
	return b.String()
}

func TestReadGolden(t *testing.T) {
	tests := []struct {
		file string
		opts ReadOptions
	}{
		{file: "describe-instances.json"},
		{file: "describe-security-groups.json", opts: ReadOptions{Region: "us-east-1"}},
		{file: "describe-vpcs.json", opts: ReadOptions{Region: "us-east-1"}},
		{file: "get-account-authorization-details.json"},
		{file: "list-buckets.json", opts: ReadOptions{Account: "111122223333"}},
		{file: "logs-bucket.get-bucket-policy.json", opts: ReadOptions{Account: "111122223333"}},
		{file: "logs-bucket.get-bucket-acl.json", opts: ReadOptions{Account: "111122223333"}},
		{file: "logs-bucket.get-public-access-block.json", opts: ReadOptions{Account: "111122223333"}},
		{file: "logs-bucket.get-bucket-encryption.json", opts: ReadOptions{Account: "111122223333"}},
		{file: "list-functions.json"},
		{file: "bundle.jsonl"},
		{file: "bundle-array.json"},
		{file: "bad/bucket-policy.json", opts: ReadOptions{Account: "111122223333", Bucket: "named-by-flag"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			tc.opts.TakenAt = testTakenAt
			docs, err := ReadFile(filepath.Join("testdata", tc.file), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, docs)
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(tc.file, "/", "_")+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		data      string // instead of a file
		opts      ReadOptions
		want      string // in the message
		line, col int
		is        error
	}{
		{name: "truncated JSON", file: "bad/truncated.json", opts: ReadOptions{Region: "us-east-1"},
			want: "truncated JSON", line: 23, col: 8},
		{name: "a CloudTrail log file", file: "bad/cloudtrail-log.json", want: "top-level keys [Records]", is: ErrUnknownKind},
		{name: "list-policies is not authorization details", file: "bad/list-policies.json", want: "list-policies", is: ErrUnknownKind},
		{name: "State as a string", file: "bad/wrong-shape.json",
			want: "ec2:DescribeInstances: Reservations[0].Instances[0].State: is a string, want an object"},
		{name: "per-bucket file without a bucket", file: "bad/bucket-policy.json", opts: ReadOptions{Account: "111122223333"},
			want: "name the file <bucket>.get-bucket-policy.json or give --bucket"},
		{name: "no region", file: "describe-vpcs.json", want: "the data names no region"},
		{name: "no account", file: "list-buckets.json", want: "the data names no account"},
		{name: "syntax error", data: "{\n  \"Vpcs\": [\n    {\"VpcId\": \"vpc-1\",}\n  ]\n}", want: "invalid character '}'", line: 3, col: 23},
		{name: "two raw values", data: `{"Vpcs": []} {"Vpcs": []}`, opts: ReadOptions{Region: "us-east-1", Account: "1"},
			want: "more than one JSON value", line: 1, col: 14},
		{name: "JSON Lines with a bad line", data: `{"kind":"ec2:DescribeVpcs","account":"1","region":"r","data":{"Vpcs":[]}}` + "\n" + `{"kind":`,
			want: "truncated JSON", line: 2, col: 9},
		{name: "bundle document without data", data: `[{"kind":"ec2:DescribeVpcs"}]`, want: `document 1: a ec2:DescribeVpcs document without "data"`},
		{name: "bundle document of a bad shape", data: `[{"kind":"ec2:DescribeVpcs","account":"1","region":"r","data":{"Vpcs":{}}}]`,
			want: "ec2:DescribeVpcs: .Vpcs: is an object, want a list"},
		{name: "bundle document with a misspelt key", data: `{"kind":"ec2:DescribeVpcs","account":"1","region":"r","taken_at":"2024-03-04T10:00:00Z","data":{"Vpcs":[]}}`,
			want: `document 1: json: unknown field "taken_at"`},
		{name: "empty file", data: "  \n", want: "empty file"},
		{name: "a number", data: "42", want: "not a JSON object or array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "inline.json"
			var docs []Document
			var err error
			if tc.file == "" {
				docs, err = Read(name, []byte(tc.data), tc.opts)
			} else {
				name = filepath.Join("testdata", tc.file)
				docs, err = ReadFile(name, tc.opts)
			}
			if err == nil {
				t.Fatalf("no error; documents %+v", docs)
			}
			if docs != nil {
				t.Errorf("documents %v with the error, want none", docs)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v, want a *FileError", err, err)
			}
			if fe.Path != name || !strings.HasPrefix(err.Error(), name) {
				t.Errorf("error %q does not start with the file %s", err, name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if fe.Line != tc.line || fe.Col != tc.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", fe.Line, fe.Col, tc.line, tc.col, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestReadTakenAt(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	docs, err := Read("x.json", []byte(`{"Vpcs":[]}`), ReadOptions{Account: "1", Region: "r", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if !docs[0].TakenAt.Equal(now) {
		t.Errorf("TakenAt %v, want now %v", docs[0].TakenAt, now)
	}
	// a bundle's own time wins over the option
	docs, err = ReadFile("testdata/bundle.jsonl", ReadOptions{TakenAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC); !docs[0].TakenAt.Equal(want) {
		t.Errorf("TakenAt %v, want the bundle's %v", docs[0].TakenAt, want)
	}
}
