package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/gen"
)

// genTrail writes a small signed trail with gen and uploads it to bucket as
// CloudTrail would: digests carry their signature as x-amz-meta-signature,
// no sidecars. It returns the generated folder, sidecars included.
func genTrail(t *testing.T, f *fakeS3, bucket string) map[string][]byte {
	t.Helper()
	src := t.TempDir()
	if _, err := gen.Generate(t.Context(), gen.Options{Events: 400, Seed: 7, Out: src, Digests: true, Bucket: bucket, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(src, gen.DemoKeysFile)); err != nil {
		t.Fatal(err)
	}
	f.uploadDir(t, bucket, src)
	return readTree(t, src)
}

func TestDownloadCmd(t *testing.T) {
	isolate(t)
	f := newFakeS3(t, "", "trail")
	tree := genTrail(t, f, "trail")
	awsTestEnv(t, f.URL, "us-east-1")
	files := 0
	for k := range tree {
		if !strings.HasSuffix(k, ".sig") {
			files++
		}
	}

	dir := filepath.Join(t.TempDir(), "copy")
	r := runCLI(t, "download", "s3://trail", dir)
	r.wantCode(t, ExitOK)
	if diff := cmp.Diff(tree, readTree(t, dir)); diff != "" {
		t.Errorf("downloaded folder differs from the generated trail (-want +got):\n%s", diff)
	}
	for _, want := range []string{"downloaded " + strconv.Itoa(files) + " files", "0 already present", "0 failed", "trailwarden verify " + dir} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}

	r = runCLI(t, "download", "s3://trail/", dir, "--parallel", "3")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "downloaded 0 files (0.0 MiB), "+strconv.Itoa(files)+" already present") {
		t.Errorf("rerun fetched again:\n%s", r.stdout)
	}

	t.Run("filters", func(t *testing.T) {
		var acct string
		for k := range tree {
			acct = strings.Split(k, "/")[1]
			break
		}
		dir := t.TempDir()
		runCLI(t, "download", "s3://trail", dir, "--account", acct, "--region", "eu-west-1,us-west-2",
			"--start", "2024-03-04", "--end", "2024-03-04T05:00:00Z").wantCode(t, ExitOK)
		got := readTree(t, dir)
		if len(got) == 0 {
			t.Fatal("nothing copied")
		}
		for k := range got {
			if !strings.HasPrefix(k, "AWSLogs/"+acct+"/") || !(strings.Contains(k, "/eu-west-1/") || strings.Contains(k, "/us-west-2/")) {
				t.Errorf("copied %s, outside the filters", k)
			}
		}
	})
	t.Run("hostile key", func(t *testing.T) {
		f.put(t, "trail", "AWSLogs/../../etc/x", []byte("pwned"), nil)
		defer f.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("trail"), Key: aws.String("AWSLogs/../../etc/x")})
		base := t.TempDir()
		dir := filepath.Join(base, "a", "b")
		r := runCLI(t, "download", "s3://trail", dir)
		r.wantCode(t, ExitError)
		if !strings.Contains(r.stderr, "AWSLogs/../../etc/x") || !strings.Contains(r.stderr, "not a safe relative path") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		if _, err := os.Stat(filepath.Join(base, "etc")); !os.IsNotExist(err) {
			t.Errorf("wrote outside the folder: %v", err)
		}
		if !strings.Contains(r.stdout, "1 failed") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not an S3 URL", []string{"download", "/tmp/trail", t.TempDir()}, "not an s3://bucket/prefix URL"},
		{"no such bucket", []string{"download", "s3://missing", t.TempDir()}, "no such bucket"},
		{"bad start", []string{"download", "s3://trail", t.TempDir(), "--start", "yesterday"}, "--start: \"yesterday\" is neither"},
		{"end before start", []string{"download", "s3://trail", t.TempDir(), "--start", "2024-03-05", "--end", "2024-03-04"}, "--end is before --start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.args...)
			r.wantCode(t, ExitError)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}
