package integrity_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/integrity/integritytest"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

func logKey(prefix, acct, region, day, name string) string {
	return fmt.Sprintf("%sAWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s.json.gz", prefix, acct, region, day, acct, region, name)
}

func digestKey(prefix, acct, region, day, stamp string) string {
	return fmt.Sprintf("%sAWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_trail_%s_%s.json.gz", prefix, acct, region, day, acct, region, region, stamp)
}

// trailBucket is a small trail under prefix "logs/": what Download copies,
// with the signature of each digest.
type trailBucket struct {
	files map[string]string // key → body, every file Download should copy
	sigs  map[string]string // digest key → signature
}

func uploadTrail(t *testing.T, f *fakeS3) trailBucket {
	t.Helper()
	tb := trailBucket{files: map[string]string{}, sigs: map[string]string{}}
	add := func(key, body, sig string) {
		var meta map[string]string
		if sig != "" {
			meta = map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}
			tb.sigs[key] = sig
		}
		f.put(t, key, []byte(body), meta)
		tb.files[key] = body
	}
	add(logKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T0100Z_a"), "log a", "")
	add(logKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T0105Z_b"), "log b, longer", "")
	add(logKey("logs/", acctA, "eu-west-1", "2026/01/05", "20260105T1000Z_c"), "log c", "")
	add(logKey("logs/", acctB, "us-east-1", "2026/01/02", "20260102T0100Z_d"), "log d", "")
	add("logs/AWSLogs/o-abcdef1234/"+acctB+"/CloudTrail/us-east-1/2026/01/02/org.json.gz", "org log", "")
	add("logs/AWSLogs/"+acctA+"/CloudTrail-Insight/us-east-1/2026/01/02/insight.json.gz", "insight", "")
	add(digestKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T020000Z"), "digest 1", "0a1b")
	add(digestKey("logs/", acctA, "us-east-1", "2026/01/03", "20260103T000000Z"), "digest 2", "2c3d")
	add(digestKey("logs/", acctB, "us-east-1", "2026/01/02", "20260102T020000Z"), "digest 3", "4e5f")
	// Verify counts anything under CloudTrail/<region>/ as a log file (it
	// would be not_listed), so a copy keeps it.
	add("logs/AWSLogs/"+acctA+"/CloudTrail/us-east-1/2026/01/02/notes.txt", "notes", "")
	// Not copied: outside the prefix, not a trail file, a folder marker.
	f.put(t, logKey("", acctA, "us-east-1", "2026/01/02", "20260102T0100Z_root"), []byte("other trail"), nil)
	f.put(t, "logs/AWSLogs/"+acctA+"/Config/us-east-1/2026/01/02/config.json.gz", []byte("config"), nil)
	f.put(t, "logs/AWSLogs/", nil, nil)
	return tb
}

// readDir returns every file under dir by slash key.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantDir is what dir holds after copying files and sigs.
func wantDir(files, sigs map[string]string, keep func(string) bool) map[string]string {
	want := map[string]string{}
	for k, v := range files {
		if keep == nil || keep(k) {
			want[k] = v
			if s, ok := sigs[k]; ok {
				want[k+".sig"] = s + "\n"
			}
		}
	}
	return want
}

func TestDownload(t *testing.T) {
	f := newFakeS3(t, "trail")
	tb := uploadTrail(t, f)
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }

	for _, tc := range []struct {
		name string
		opts integrity.DownloadOptions
		keep func(key string) bool
	}{
		{name: "everything", opts: integrity.DownloadOptions{Parallel: 3}},
		{name: "one account", opts: integrity.DownloadOptions{Accounts: []string{acctB}},
			keep: func(k string) bool { return strings.Contains(k, "/"+acctB+"/") }},
		{name: "one region", opts: integrity.DownloadOptions{Regions: []string{"eu-west-1"}},
			keep: func(k string) bool { return strings.Contains(k, "/eu-west-1/") }},
		{name: "end widened by a day", opts: integrity.DownloadOptions{End: day("2026-01-02").Add(5 * time.Hour)},
			keep: func(k string) bool { return !strings.Contains(k, "/2026/01/05/") }},
		{name: "start widened by a day", opts: integrity.DownloadOptions{Start: day("2026-01-04").Add(time.Hour)},
			keep: func(k string) bool { return strings.Contains(k, "/2026/01/05/") || strings.Contains(k, "/2026/01/03/") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f.heads.Store(0)
			st, err := integrity.Download(t.Context(), f.objects(), "logs/", dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := f.heads.Load(); n != 0 {
				t.Errorf("%d HeadObject requests: signatures come with GetObject", n)
			}
			want := wantDir(tb.files, tb.sigs, tc.keep)
			if diff := cmp.Diff(want, readDir(t, dir)); diff != "" {
				t.Errorf("folder (-want +got):\n%s", diff)
			}
			copied := 0
			for k := range want {
				if !strings.HasSuffix(k, ".sig") {
					copied++
				}
			}
			if st.Downloaded != copied || st.Listed != 12 || st.Ignored != 12-copied || st.Skipped+st.Failed+st.NoSignature != 0 {
				t.Errorf("stats %+v, want %d downloaded of 12 listed", st, copied)
			}
		})
	}
}

func TestDownloadResumes(t *testing.T) {
	f := newFakeS3(t, "trail")
	tb := uploadTrail(t, f)
	dir := t.TempDir()
	if _, err := integrity.Download(t.Context(), f.objects(), "logs/", dir, integrity.DownloadOptions{}); err != nil {
		t.Fatal(err)
	}
	want := wantDir(tb.files, tb.sigs, nil)

	// A rerun fetches nothing.
	f.gets.Store(0)
	st, err := integrity.Download(t.Context(), f.objects(), "logs/", dir, integrity.DownloadOptions{})
	if err != nil || st.Skipped != len(tb.files) || st.Downloaded != 0 || f.gets.Load() != 0 {
		t.Fatalf("rerun: %+v, %v, %d GETs; want all %d skipped", st, err, f.gets.Load(), len(tb.files))
	}

	// Damage: a file cut short (an interrupted copy outside Download), one
	// deleted, a signature deleted, a symlink in place of a file.
	logA := logKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T0100Z_a")
	logB := logKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T0105Z_b")
	logC := logKey("logs/", acctA, "eu-west-1", "2026/01/05", "20260105T1000Z_c")
	dig := digestKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T020000Z")
	at := func(k string) string { return filepath.Join(dir, filepath.FromSlash(k)) }
	if err := os.WriteFile(at(logA), []byte("log"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(at(logB))
	os.Remove(at(dig + ".sig"))
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte("log c"), 0o644) // same size as log c
	os.Remove(at(logC))
	if err := os.Symlink(outside, at(logC)); err != nil {
		t.Fatal(err)
	}

	f.gets.Store(0)
	st, err = integrity.Download(t.Context(), f.objects(), "logs/", dir, integrity.DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Downloaded != 4 || st.Skipped != len(tb.files)-4 || f.gets.Load() != 3 {
		t.Errorf("repair: %+v with %d GETs; want 4 downloaded (3 bodies, 1 signature)", st, f.gets.Load())
	}
	if diff := cmp.Diff(want, readDir(t, dir)); diff != "" {
		t.Errorf("folder (-want +got):\n%s", diff)
	}
	if fi, err := os.Lstat(at(logC)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("symlink not replaced by a file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "log c" {
		t.Errorf("wrote through the symlink: %q", b)
	}
}

func TestDownloadNoSignature(t *testing.T) {
	f := newFakeS3(t, "trail")
	stripped := digestKey("", acctA, "us-east-1", "2026/01/02", "20260102T020000Z")
	signed := digestKey("", acctA, "us-east-1", "2026/01/02", "20260102T030000Z")
	f.put(t, stripped, []byte("digest"), nil)
	f.put(t, signed, []byte("digest"), map[string]string{"signature": "ff"})
	dir := t.TempDir()
	st, err := integrity.Download(t.Context(), f.objects(), "", dir, integrity.DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{stripped: "digest", signed: "digest", signed + ".sig": "ff\n"}
	if diff := cmp.Diff(want, readDir(t, dir)); diff != "" {
		t.Errorf("folder (-want +got):\n%s", diff)
	}
	if st.NoSignature != 1 || st.Downloaded != 2 {
		t.Errorf("stats %+v, want 2 downloaded, 1 without signature", st)
	}
}

func TestDownloadStaysInDir(t *testing.T) {
	good := logKey("", acctA, "us-east-1", "2026/01/02", "20260102T0100Z_a")
	t.Run("hostile keys in S3", func(t *testing.T) {
		f := newFakeS3(t, "trail")
		hostile := []string{
			"AWSLogs/../../etc/x",
			"AWSLogs/" + acctA + "/CloudTrail/us-east-1/2026/01/02/../../../../../../../x.json.gz",
			"AWSLogs//" + acctA + "/CloudTrail/us-east-1/2026/01/02/y.json.gz",
			"AWSLogs/" + acctA + "/CloudTrail/us-east-1/2026/01/02/..\\..\\z.json.gz",
		}
		for _, k := range hostile {
			f.put(t, k, []byte("pwned"), nil)
		}
		f.put(t, good, []byte("log"), nil)
		// The fake must store the keys as sent, or this tests nothing.
		var listed []string
		for _, o := range listAll(t, f.objects(), "") {
			listed = append(listed, o.Key)
		}
		for _, k := range hostile {
			if !slices.Contains(listed, k) {
				t.Fatalf("fake did not keep key %q (has %q)", k, listed)
			}
		}
		base := t.TempDir()
		dir := filepath.Join(base, "a", "b", "out")
		st, err := integrity.Download(t.Context(), f.objects(), "", dir, integrity.DownloadOptions{})
		if !errors.Is(err, integrity.ErrUnsafeKey) {
			t.Fatalf("err %v, want ErrUnsafeKey", err)
		}
		for _, k := range hostile {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("error does not name %q:\n%v", k, err)
			}
		}
		if st.Failed != len(hostile) || st.Downloaded != 1 {
			t.Errorf("stats %+v, want %d refused and the good file copied", st, len(hostile))
		}
		want := map[string]string{filepath.ToSlash(filepath.Join("a", "b", "out", good)): "log"}
		if diff := cmp.Diff(want, readDir(t, base)); diff != "" {
			t.Errorf("files under the test's folder (-want +got):\n%s", diff)
		}
	})
	t.Run("symlinked folder leading out", func(t *testing.T) {
		f := newFakeS3(t, "trail")
		f.put(t, good, []byte("log"), nil)
		dir, outside := t.TempDir(), t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dir, "AWSLogs")); err != nil {
			t.Fatal(err)
		}
		st, err := integrity.Download(t.Context(), f.objects(), "", dir, integrity.DownloadOptions{})
		if err == nil || st.Failed != 1 {
			t.Fatalf("stats %+v, err %v; want the file refused", st, err)
		}
		if got := readDir(t, outside); len(got) != 0 {
			t.Errorf("wrote outside the folder: %v", got)
		}
	})
}

// failingObjects fails to open one key, and breaks the body of another.
type failingObjects struct {
	integrity.Objects
	badOpen, badRead string
}

func (o failingObjects) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	switch key {
	case o.badOpen:
		return nil, &fs.PathError{Op: "open", Path: key, Err: errors.New("access denied")}
	case o.badRead:
		return io.NopCloser(io.MultiReader(strings.NewReader("lo"), iotest.ErrReader(errors.New("connection reset")))), nil
	}
	return o.Objects.Open(ctx, key)
}

func TestDownloadFailures(t *testing.T) {
	f := newFakeS3(t, "trail")
	tb := uploadTrail(t, f)
	badOpen := logKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T0100Z_a")
	badRead := logKey("logs/", acctA, "us-east-1", "2026/01/02", "20260102T0105Z_b")

	t.Run("objects fail, the others are copied", func(t *testing.T) {
		dir := t.TempDir()
		st, err := integrity.Download(t.Context(), failingObjects{f.objects(), badOpen, badRead}, "logs/", dir, integrity.DownloadOptions{})
		for _, want := range []string{"access denied", badOpen, "connection reset", badRead} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err %v, want %q in it", err, want)
			}
		}
		if st.Failed != 2 || st.Downloaded != len(tb.files)-2 {
			t.Errorf("stats %+v", st)
		}
		got := readDir(t, dir)
		if len(got) != len(wantDir(tb.files, tb.sigs, nil))-2 {
			t.Errorf("folder holds %d files", len(got))
		}
		for _, k := range []string{badOpen, badRead} {
			if _, ok := got[k]; ok {
				t.Errorf("%s written", k)
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "logs" {
				t.Errorf("left in the folder: %s", e.Name())
			}
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := integrity.Download(ctx, f.objects(), "logs/", t.TempDir(), integrity.DownloadOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})
}

func TestDownloadThenVerify(t *testing.T) {
	// 30 hours from 2024-03-04T00:00Z: two day folders, under a prefix.
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{Bucket: "trail", Prefix: "logs/", Hours: 30, FilesPerHour: 1})
	f := newFakeS3(t, "trail")
	f.uploadFolder(t, tr.Dir)
	// The last digest of a pair (ending 2024-03-05T06:00Z) loses its
	// signature metadata.
	stripped := tr.DigestAt(tr.Digests[0].Account, tr.Digests[0].Region, 29).Key
	f.replace(t, stripped, tr.ReadObject(t, stripped))

	day2 := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		start, end   time.Time
		wantStripped bool // the stripped digest is in range
	}{
		{name: "whole trail", wantStripped: true},
		{name: "a window on the first day", start: day2.Add(-14 * time.Hour), end: day2.Add(-10 * time.Hour)},
		{name: "a window over midnight", start: day2.Add(-2 * time.Hour), end: day2.Add(2 * time.Hour)},
		{name: "the stripped digest's hour", start: day2.Add(5 * time.Hour), end: day2.Add(6 * time.Hour), wantStripped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := integrity.Download(t.Context(), f.objects(), "logs/", dir, integrity.DownloadOptions{Start: tc.start, End: tc.end})
			if err != nil {
				t.Fatal(err)
			}
			if st.Downloaded == 0 || (st.NoSignature == 1) != tc.wantStripped && tc.start.IsZero() {
				t.Fatalf("stats %+v", st)
			}
			r := verifyBoth(t, integrity.NewFolder(dir), f.objects(), tr.Keys, integrity.Options{Bucket: "trail", Prefix: "logs/", Start: tc.start, End: tc.end})
			if r.Digests == 0 {
				t.Fatal("no digest in range")
			}
			sawStripped := false
			for _, p := range r.Problems() {
				switch {
				case p.Key == stripped && p.Verdict == integrity.NoSignature:
					sawStripped = true
				case p.Verdict == integrity.Unverified: // listed only by the stripped digest
				default:
					t.Errorf("unexpected problem %+v", p)
				}
			}
			if sawStripped != tc.wantStripped {
				t.Errorf("stripped digest reported: %v, want %v", sawStripped, tc.wantStripped)
			}
		})
	}
}
