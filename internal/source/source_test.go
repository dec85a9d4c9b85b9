package source

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLayout(t *testing.T) {
	cases := []struct {
		path string
		want *Layout
	}{
		{"/data/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/111122223333_CloudTrail_us-east-1_20240305T0000Z_abc.json.gz",
			&Layout{Account: "111122223333", Region: "us-east-1", Day: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)}},
		{"bucket/prefix/AWSLogs/o-abcdef1234/111122223333/CloudTrail/eu-west-1/2024/12/31/x.json.gz",
			&Layout{OrgID: "o-abcdef1234", Account: "111122223333", Region: "eu-west-1", Day: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)}},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-gov-west-1/2024/01/01/d.json.gz",
			&Layout{Account: "111122223333", Region: "us-gov-west-1", Day: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Kind: Digest}},
		{"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/01/i.json.gz",
			&Layout{Account: "111122223333", Region: "us-east-1", Day: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Kind: Insight}},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/01/x.json", nil},
		{"logs/x.json", nil},
	}
	for _, c := range cases {
		got, ok := ParseLayout(c.path)
		if c.want == nil {
			if ok {
				t.Errorf("%s: parsed %+v, want none", c.path, got)
			}
			continue
		}
		if !ok || *got != *c.want {
			t.Errorf("%s: got %+v, want %+v", c.path, got, c.want)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/b.json.gz", "b")
	write("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/a.json.gz", "a")
	write("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/05/d.json.gz", "d")
	write("notes/README.md", "not data")
	write(".hidden/x.json", "hidden")
	write("loose.jsonl", "l")
	f, err := NewFiles([]string{dir, filepath.Join(dir, "loose.jsonl"), "-"}, strings.NewReader("stdin"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		d, err := f.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rc, err := d.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		rel, _ := filepath.Rel(dir, d.Origin)
		if d.Origin == "-" {
			rel = "-"
		}
		got = append(got, rel+"="+string(body)+"/"+d.Kind.String())
	}
	want := "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/05/d.json.gz=d/digest," +
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/a.json.gz=a/log," +
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/05/b.json.gz=b/log,loose.jsonl=l/log,-=stdin/log"
	if strings.Join(got, ",") != want {
		t.Fatalf("deliveries:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	if len(f.Ignored) != 1 || !strings.HasSuffix(f.Ignored[0], "README.md") {
		t.Fatalf("ignored = %v", f.Ignored)
	}
	if _, err := NewFiles([]string{filepath.Join(dir, "missing")}, nil); err == nil {
		t.Fatal("missing path accepted")
	}
}
