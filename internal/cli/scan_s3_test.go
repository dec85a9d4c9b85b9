package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/gen"
)

// TestScanS3 scans a trail straight from S3 (a fake, through the real SDK):
// the same findings as on disk, checkpoints by object URL, and the digest
// chain verified over S3 with the signatures from the object metadata.
func TestScanS3(t *testing.T) {
	isolate(t)
	f := newFakeS3(t, "", "trail")
	genTrail(t, f, "trail")
	awsTestEnv(t, f.URL, "us-east-1")

	// The same trail on disk, for the expected result and the public keys.
	disk := t.TempDir()
	if _, err := gen.Generate(t.Context(), gen.Options{Events: 400, Seed: 7, Out: disk, Digests: true, Bucket: "trail", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(disk, gen.DemoKeysFile)
	db := filepath.Join(t.TempDir(), "tw.db")

	// --no-store keeps no state unless told: keep it, as the S3 scan does
	want := runCLI(t, "scan", "--no-store", "--state", filepath.Join(t.TempDir(), "state.db"), "--format", "jsonl", "--fail-on", "never", disk)
	want.wantCode(t, ExitOK)
	r := runCLI(t, "scan", "--store", db, "--format", "jsonl", "--fail-on", "never", "--public-keys", keys, "s3://trail")
	r.wantCode(t, ExitOK)
	if got, exp := len(decodeFindings(t, r.stdout)), len(decodeFindings(t, want.stdout)); got != exp || got == 0 {
		t.Fatalf("S3 scan: %d findings, on disk %d\nstderr:\n%s", got, exp, r.stderr)
	}
	if !strings.Contains(r.stderr, "integrity of s3://trail/") || !strings.Contains(r.stderr, ": all valid") {
		t.Errorf("integrity over S3 not reported valid:\n%s", r.stderr)
	}
	for _, fnd := range decodeFindings(t, r.stdout) {
		if !strings.HasPrefix(fnd.Origin, "s3://trail/AWSLogs/") {
			t.Errorf("origin %q is not the object URL", fnd.Origin)
			break
		}
	}

	// Second run: every object checkpointed.
	r = runCLI(t, "scan", "--store", db, "--format", "jsonl", "--fail-on", "never", "s3://trail")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stderr, "scanned 0 files (") || r.stdout != "" {
		t.Errorf("second run read objects again:\n%s", r.stderr)
	}

	// A log object edited in the bucket is caught by the integrity check.
	var logKey string
	for k := range readTree(t, disk) {
		if strings.Contains(k, "/CloudTrail/") && strings.HasSuffix(k, ".json.gz") {
			logKey = k
			break
		}
	}
	body, err := os.ReadFile(filepath.Join(disk, filepath.FromSlash(logKey)))
	if err != nil {
		t.Fatal(err)
	}
	body[len(body)-9] ^= 0xff // the gzip trailer's CRC: content no longer what the digest lists
	f.put(t, "trail", logKey, body, nil)
	r = runCLI(t, "scan", "--no-store", "--format", "jsonl", "--fail-on", "high", "--public-keys", keys, "s3://trail")
	if !strings.Contains(r.stdout, "trailwarden-integrity-modified") {
		t.Errorf("edited object not reported:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}
