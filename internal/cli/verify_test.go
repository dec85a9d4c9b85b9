package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/integrity/integritytest"
)

func TestVerifyCmd(t *testing.T) {
	const acct1, acct2 = "111122223333", "444455556666"
	tests := []struct {
		name  string
		build integritytest.Options
		// args returns the arguments after "verify"; it may tamper with tr.
		args       func(t *testing.T, tr *integritytest.Trail) []string
		wantCode   int
		wantStdout []string // substrings
		wantStderr []string
	}{
		{
			name: "valid trail",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, tr.Dir}
			},
			wantCode: ExitOK,
			wantStdout: []string{"verified 24 digests and 48 log files in 2 accounts × 2 regions: 72 valid\n", "gaps: none\n",
				"hashed 48 log files: ", " MB/s\n", "OK: every file in range is valid\n"},
		},
		{
			name: "a modified log file",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				tr.Rewrite(t, tr.LogsAt(acct1, "us-east-1", 2)[0].Key, func(b []byte) []byte { return append(b, ' ') })
				return []string{"--public-keys", tr.PublicKeys, tr.Dir}
			},
			wantCode: ExitFindings,
			wantStdout: []string{"modified        AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/04/111122223333_CloudTrail_us-east-1_20240304T0205Z_",
				": SHA-256 ", "71 valid, 1 modified\n"},
		},
		{
			name:  "logging stopped: a gap",
			build: integritytest.Options{Stopped: func(a, r string, h int) bool { return a == acct2 && r == "eu-west-1" && (h == 2 || h == 3) }},
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, tr.Dir}
			},
			wantCode: ExitFindings,
			wantStdout: []string{"gap             444455556666 eu-west-1 trail management-events: 2024-03-04T02:00:00Z → 2024-03-04T04:00:00Z (2h0m0s): logging stopped",
				"gaps: 1, 2h0m0s uncovered\n"},
		},
		{
			name: "a window, one account and region",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "--start", "2024-03-04T02:00:00Z", "--end", "2024-03-04T04:00:00Z",
					"--account", acct2, "--region", "eu-west-1", tr.Dir}
			},
			wantCode:   ExitOK,
			wantStdout: []string{"verified 3 digests and 6 log files in 1 accounts × 1 regions: 9 valid\n"},
		},
		{
			name: "a folder inside the bucket",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, filepath.Join(tr.Dir, "AWSLogs", acct1, "CloudTrail", "eu-west-1")}
			},
			wantCode:   ExitOK,
			wantStdout: []string{"verified 12 digests and 24 log files in 1 accounts × 2 regions: 36 valid\n"},
		},
		{
			name:  "an organization trail under a prefix, from its AWSLogs folder",
			build: integritytest.Options{Prefix: "logs/org/", OrgID: "o-abc123def4"},
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "--bucket", tr.Bucket, filepath.Join(tr.Dir, "logs", "org", "AWSLogs")}
			},
			wantCode:   ExitOK,
			wantStdout: []string{"72 valid\n"},
		},
		{
			name: "the wrong bucket",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "--bucket", "other", "--account", acct1, "--region", "us-east-1", tr.Dir}
			},
			wantCode:   ExitFindings,
			wantStdout: []string{"12 not_listed, 6 digest_moved\n"},
		},
		{
			name: "nothing in range",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "--start", "2030-01-01", tr.Dir}
			},
			wantCode:   ExitFindings,
			wantStdout: []string{"verified 0 digests and 0 log files in 0 accounts × 0 regions: nothing\n"},
			wantStderr: []string{"no digest file in range under ", "nothing was verified"},
		},
		{
			name: "a missing folder",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, filepath.Join(tr.Dir, "nope")}
			},
			wantCode:   ExitError,
			wantStderr: []string{"no such file or directory"},
		},
		{
			name: "a file, not a folder",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, tr.PublicKeys}
			},
			wantCode:   ExitError,
			wantStderr: []string{"is not a folder"},
		},
		{
			name: "a missing public-keys file",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys + ".nope", tr.Dir}
			},
			wantCode: ExitError,
		},
		{
			name: "a broken public-keys file",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				if err := os.WriteFile(tr.PublicKeys, []byte(`{"PublicKeyList":[{"Fingerprint":"a1","Value":"AAAA"}]}`), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"--public-keys", tr.PublicKeys, tr.Dir}
			},
			wantCode:   ExitError,
			wantStderr: []string{"PublicKeyList[0].Value: not an RSA public key"},
		},
		{
			name: "a bad time",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "--start", "yesterday", tr.Dir}
			},
			wantCode:   ExitError,
			wantStderr: []string{"--start: "},
		},
		{
			name: "end before start",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "--start", "2024-03-05", "--end", "2024-03-04", tr.Dir}
			},
			wantCode:   ExitError,
			wantStderr: []string{"--end is before --start"},
		},
		{
			name: "an s3 URL with a bad bucket",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				return []string{"--public-keys", tr.PublicKeys, "s3://"}
			},
			wantCode:   ExitError,
			wantStderr: []string{"bad bucket name"},
		},
		{
			name: "no public keys, and CloudTrail unreachable",
			args: func(t *testing.T, tr *integritytest.Trail) []string {
				t.Setenv("AWS_REGION", "us-east-1")
				t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRETTEST")
				t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", "http://127.0.0.1:1")
				t.Setenv("AWS_MAX_ATTEMPTS", "1")
				return []string{tr.Dir}
			},
			wantCode:   ExitError,
			wantStderr: []string{"public keys: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			tr := integritytest.BuildTrail(t, t.TempDir(), tt.build)
			r := runCLI(t, append([]string{"verify"}, tt.args(t, tr)...)...)
			r.wantCode(t, tt.wantCode)
			for _, s := range tt.wantStdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestVerifyCmdJSON(t *testing.T) {
	isolate(t)
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{})
	r := runCLI(t, "verify", "--format", "json", "--public-keys", tr.PublicKeys, tr.Dir)
	r.wantCode(t, ExitOK)
	var rep integrity.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if !rep.OK() || rep.Digests != 24 || rep.LogFiles != 48 || len(rep.Files) != 72 || rep.Counts[integrity.Valid] != 72 || rep.HashedBytes != tr.Bytes {
		t.Errorf("report: OK %v, %d digests, %d log files, %d entries, counts %v", rep.OK(), rep.Digests, rep.LogFiles, len(rep.Files), rep.Counts)
	}

	// A deleted digest: the problems, and a gap, in the JSON.
	key := tr.DigestAt("111122223333", "us-east-1", 2).Key
	tr.Remove(t, key)
	r = runCLI(t, "verify", "--format", "json", "--public-keys", tr.PublicKeys, tr.Dir)
	r.wantCode(t, ExitFindings)
	rep = integrity.Report{}
	dec := json.NewDecoder(bytes.NewReader([]byte(r.stdout)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counts[integrity.DigestMissing] != 1 || rep.Counts[integrity.NotListed] != 2 || len(rep.Gaps) != 1 ||
		rep.Gaps[0].Start.Format("15:04") != "02:00" || rep.Gaps[0].End.Format("15:04") != "03:00" {
		t.Errorf("counts %v, gaps %+v", rep.Counts, rep.Gaps)
	}
	for _, want := range []string{`"verdict": "digest_missing"`, `"key": "` + key + `"`, `"kind": "digest"`, `"hashed_bytes": `} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}
