package integrity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/integrity/integritytest"
)

const (
	accountA, accountB     = "111122223333", "444455556666"
	regionEast, regionWest = "us-east-1", "eu-west-1"
)

var trailDay = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

func hourAt(hour int) time.Time { return trailDay.Add(time.Duration(hour) * time.Hour) }

// verdicts is the verdicts each key should get.
type verdicts map[string][]integrity.Verdict

func (e verdicts) set(key string, v ...integrity.Verdict) { e[key] = v }

// logsOf sets the verdict of every log file of an hour.
func (e verdicts) logsOf(tr *integritytest.Trail, account, region string, hour int, v integrity.Verdict) {
	for _, l := range tr.LogsAt(account, region, hour) {
		e.set(l.Key, v)
	}
}

// all expects every file of the trail to be valid.
func allValid(tr *integritytest.Trail) verdicts {
	e := verdicts{}
	for _, k := range tr.AllKeys() {
		e.set(k, integrity.Valid)
	}
	return e
}

func wantGap(account, region string, from, to int) integrity.Gap {
	return integrity.Gap{Account: account, Region: region, Start: hourAt(from), End: hourAt(to)}
}

// got collects a report's verdicts by key.
func verdictsOf(r *integrity.Report) verdicts {
	e := verdicts{}
	for _, f := range r.Files {
		e[f.Key] = append(e[f.Key], f.Verdict)
	}
	for _, v := range e {
		slices.Sort(v)
	}
	return e
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		build  integritytest.Options
		verify integrity.Options
		// attack tampers with the trail and returns the verdicts and gaps
		// expected.
		attack func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap)
	}{
		{
			name: "untouched trail",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				return allValid(tr), nil
			},
		},
		{
			name:   "org trail under a key prefix",
			build:  integritytest.Options{Prefix: "org/", OrgID: "o-abc123def4"},
			verify: integrity.Options{Prefix: "org/AWSLogs/"},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				return allValid(tr), nil
			},
		},
		{
			name:  "hour without log files",
			build: integritytest.Options{Empty: func(a, r string, h int) bool { return a == accountA && r == regionEast && h == 2 }},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				if n := len(tr.DigestAt(accountA, regionEast, 2).Digest.LogFiles); n != 0 {
					t.Fatalf("the empty hour's digest lists %d files", n)
				}
				return allValid(tr), nil
			},
		},
		{
			name: "a backfill digest for an hour already covered, with a late log file",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				orig := tr.DigestAt(accountA, regionEast, 2)
				late := tr.LogsAt(accountA, regionEast, 2)[0].Key
				late = late[:strings.Index(late, "_20240304T")] + "_20240304T0250Z_LATEbackfill0001.json.gz"
				data := []byte(`{"Records":[]}`)
				tr.WriteObject(t, late, integritytest.Gzip(t, data))
				sum := sha256.Sum256(data)
				d := *orig.Digest
				d.S3Object = strings.Replace(d.S3Object, "T030000Z", "T031512Z", 1)
				d.PreviousS3Bucket, d.PreviousS3Object, d.PreviousHashValue, d.PreviousHashAlgorithm, d.PreviousSignature = "", "", "", "", ""
				d.LogFiles = []integrity.LogFile{{S3Bucket: tr.Bucket, S3Object: late, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256"}}
				backfill := tr.AddDigest(t, &d, integritytest.TrailKey())
				e := allValid(tr)
				e.set(late, integrity.Valid)
				e.set(backfill.Key, integrity.Valid)
				return e, nil
			},
		},
		{
			name: "a byte changed in a log file",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.LogsAt(accountA, regionEast, 2)[0].Key
				tr.Rewrite(t, key, func(b []byte) []byte { return bytes.Replace(b, []byte("203.0.113."), []byte("203.0.114."), 1) })
				e := allValid(tr)
				e.set(key, integrity.Modified)
				return e, nil
			},
		},
		{
			name: "a byte flipped in a log file's gzip",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.LogsAt(accountB, regionWest, 4)[1].Key
				data := tr.ReadObject(t, key)
				data[len(data)/2] ^= 0x55
				tr.WriteObject(t, key, data)
				e := allValid(tr)
				e.set(key, integrity.Modified)
				return e, nil
			},
		},
		{
			name: "a log file deleted",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.LogsAt(accountB, regionEast, 0)[1].Key
				tr.Remove(t, key)
				e := allValid(tr)
				e.set(key, integrity.Deleted)
				return e, nil
			},
		},
		{
			name: "a digest deleted",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.DigestAt(accountA, regionEast, 2).Key
				tr.Remove(t, key)
				e := allValid(tr)
				e.set(key, integrity.DigestMissing)
				e.logsOf(tr, accountA, regionEast, 2, integrity.NotListed)
				return e, []integrity.Gap{wantGap(accountA, regionEast, 2, 3)}
			},
		},
		{
			name:  "logging stopped for 2 hours, then restarted",
			build: integritytest.Options{Stopped: func(a, r string, h int) bool { return a == accountB && r == regionWest && (h == 2 || h == 3) }},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				if tr.DigestAt(accountB, regionWest, 4).Digest.PreviousSignature != "" {
					t.Fatal("the digest after the restart is chained")
				}
				return allValid(tr), []integrity.Gap{wantGap(accountB, regionWest, 2, 4)}
			},
		},
		{
			name: "a digest copied to another key",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				from := tr.DigestAt(accountA, regionWest, 3).Key
				to := strings.Replace(from, "T040000Z", "T043000Z", 1)
				tr.Copy(t, from, to)
				other := strings.Replace(from, accountA, accountB, 1) // into another account's folder
				tr.Copy(t, from, other)
				e := allValid(tr)
				e.set(to, integrity.DigestMoved)
				e.set(other, integrity.DigestMoved)
				return e, nil
			},
		},
		{
			name: "a digest moved away, its place empty",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				from := tr.DigestAt(accountB, regionEast, 1).Key
				to := strings.Replace(from, "CloudTrail-Digest/", "CloudTrail-Digest/old/", 1)
				tr.Copy(t, from, to)
				tr.Remove(t, from)
				e := allValid(tr)
				e.set(from, integrity.DigestMissing)
				e.set(to, integrity.DigestMoved)
				e.logsOf(tr, accountB, regionEast, 1, integrity.NotListed)
				return e, []integrity.Gap{wantGap(accountB, regionEast, 1, 2)}
			},
		},
		{
			name: "a digest signed with a foreign key",
			build: integritytest.Options{SignWith: func(a, r string, h int) *integritytest.Key {
				if a == accountA && r == regionWest && h == 3 {
					return integritytest.ForeignKey()
				}
				return integritytest.TrailKey()
			}},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				e := allValid(tr)
				e.set(tr.DigestAt(accountA, regionWest, 3).Key, integrity.UnknownKey)
				e.logsOf(tr, accountA, regionWest, 3, integrity.Unverified)
				return e, nil
			},
		},
		{
			name: "a digest rewritten and signed with a foreign key",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				df := tr.DigestAt(accountB, regionWest, 2)
				d := *df.Digest
				d.LogFiles = d.LogFiles[:1] // hide the second log file
				d.PublicKeyFingerprint = integritytest.ForeignKey().Fingerprint
				file, err := d.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				tr.WriteObject(t, df.Key, integritytest.Gzip(t, file))
				tr.WriteSignature(t, df.Key, integritytest.ForeignKey().Sign(&d, file))
				e := allValid(tr)
				e.set(df.Key, integrity.Modified, integrity.UnknownKey)
				logs := tr.LogsAt(accountB, regionWest, 2)
				e.set(logs[0].Key, integrity.Unverified)
				e.set(logs[1].Key, integrity.NotListed)
				return e, nil
			},
		},
		{
			name: "a forged signature",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				df := tr.DigestAt(accountA, regionEast, 4)
				file := integritytest.Gunzip(t, tr.ReadObject(t, df.Key))
				tr.WriteSignature(t, df.Key, integritytest.ForeignKey().Sign(df.Digest, file))
				e := allValid(tr)
				e.set(df.Key, integrity.BadSignature)
				e.logsOf(tr, accountA, regionEast, 4, integrity.Unverified)
				return e, nil
			},
		},
		{
			name: "a signature that is not hex",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				df := tr.DigestAt(accountA, regionEast, 5) // the newest: nothing chains to it
				tr.WriteSignature(t, df.Key, "not-hex")
				e := allValid(tr)
				e.set(df.Key, integrity.BadSignature)
				e.logsOf(tr, accountA, regionEast, 5, integrity.Unverified)
				return e, nil
			},
		},
		{
			name: "a digest listing a log file of another account",
			build: integritytest.Options{Edit: func(a, r string, h int, d *integrity.Digest) {
				if a == accountB && r == regionEast && h == 3 {
					f := d.LogFiles[0]
					f.S3Object = strings.ReplaceAll(f.S3Object, accountB, accountA)
					d.LogFiles = append(d.LogFiles, f)
				}
			}},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				e := allValid(tr)
				e.set(tr.DigestAt(accountB, regionEast, 3).Key, integrity.WrongAccount)
				return e, nil
			},
		},
		{
			name: "a digest listing a log file of another region",
			build: integritytest.Options{Edit: func(a, r string, h int, d *integrity.Digest) {
				if a == accountA && r == regionWest && h == 1 {
					d.LogFiles[1].S3Object = strings.ReplaceAll(d.LogFiles[1].S3Object, regionWest, regionEast)
				}
			}},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				e := allValid(tr)
				e.set(tr.DigestAt(accountA, regionWest, 1).Key, integrity.WrongAccount)
				e.set(tr.LogsAt(accountA, regionWest, 1)[1].Key, integrity.NotListed) // its real entry was replaced
				return e, nil
			},
		},
		{
			name: "a digest of another account",
			build: integritytest.Options{Edit: func(a, r string, h int, d *integrity.Digest) {
				if a == accountA && r == regionEast && h == 1 {
					d.AccountID = accountB
				}
			}},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				e := allValid(tr)
				e.set(tr.DigestAt(accountA, regionEast, 1).Key, integrity.WrongAccount)
				e.logsOf(tr, accountA, regionEast, 1, integrity.Unverified)
				return e, nil
			},
		},
		{
			name: "an injected log file",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				real := tr.LogsAt(accountB, regionWest, 3)[0].Key
				key := real[:strings.LastIndexByte(real, '_')] + "_INJECTEDxxxxxxxx.json.gz"
				tr.WriteObject(t, key, tr.ReadObject(t, real))
				odd := strings.Replace(real, "/2024/03/04/", "/", 1) // off the layout, still under CloudTrail/
				tr.WriteObject(t, odd, []byte("anything"))
				e := allValid(tr)
				e.set(key, integrity.NotListed)
				e.set(odd, integrity.NotListed)
				return e, nil
			},
		},
		{
			name: "a digest with corrupt gzip",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.DigestAt(accountA, regionEast, 3).Key
				data := tr.ReadObject(t, key)
				tr.WriteObject(t, key, data[:len(data)/2])
				e := allValid(tr)
				e.set(key, integrity.Corrupt)
				e.logsOf(tr, accountA, regionEast, 3, integrity.NotListed)
				return e, []integrity.Gap{wantGap(accountA, regionEast, 3, 4)}
			},
		},
		{
			name: "a digest that is not JSON",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.DigestAt(accountB, regionWest, 2).Key
				tr.Rewrite(t, key, func([]byte) []byte { return []byte("<html>AccessDenied</html>") })
				e := allValid(tr)
				e.set(key, integrity.Corrupt, integrity.Modified)
				e.logsOf(tr, accountB, regionWest, 2, integrity.NotListed)
				return e, []integrity.Gap{wantGap(accountB, regionWest, 2, 3)}
			},
		},
		{
			name: "a digest without its signature",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				df := tr.DigestAt(accountB, regionEast, 3)
				tr.Remove(t, df.Key+integrity.SignatureSuffix)
				e := allValid(tr)
				e.set(df.Key, integrity.NoSignature)
				e.logsOf(tr, accountB, regionEast, 3, integrity.Unverified)
				return e, nil
			},
		},
		{
			name: "a log file that is not gzip",
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				key := tr.LogsAt(accountA, regionWest, 0)[0].Key
				tr.WriteObject(t, key, integritytest.Gunzip(t, tr.ReadObject(t, key)))
				e := allValid(tr)
				e.set(key, integrity.Modified)
				return e, nil
			},
		},
		{
			name:   "a digestEndTime window",
			verify: integrity.Options{Start: hourAt(2), End: hourAt(4)},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				tr.Remove(t, tr.DigestAt(accountA, regionEast, 0).Key) // outside: not seen
				e := verdicts{}
				for _, d := range tr.Digests {
					if d.Hour >= 1 && d.Hour <= 3 { // digests ending at 02:00, 03:00, 04:00
						e.set(d.Key, integrity.Valid)
						e.logsOf(tr, d.Account, d.Region, d.Hour, integrity.Valid)
					}
				}
				return e, nil
			},
		},
		{
			name:   "one account and region",
			verify: integrity.Options{Account: accountB, Region: regionEast},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				e := verdicts{}
				for _, k := range tr.AllKeys() {
					if strings.Contains(k, "/"+accountB+"/") && strings.Contains(k, "/"+regionEast+"/") {
						e.set(k, integrity.Valid)
					}
				}
				return e, nil
			},
		},
		{
			name:   "digests found in another bucket than theirs",
			verify: integrity.Options{Bucket: "some-other-bucket"},
			attack: func(t *testing.T, tr *integritytest.Trail) (verdicts, []integrity.Gap) {
				e := verdicts{}
				for _, d := range tr.Digests {
					e.set(d.Key, integrity.DigestMoved)
				}
				for _, l := range tr.Logs {
					e.set(l.Key, integrity.NotListed)
				}
				return e, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := integritytest.BuildTrail(t, t.TempDir(), tt.build)
			want, wantGaps := tt.attack(t, tr)
			r, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), tr.Keys, tt.verify)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("problems:\n%s", describeProblems(r))
			for _, v := range want {
				slices.Sort(v)
			}
			if diff := cmp.Diff(want, verdictsOf(r)); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s\nproblems:\n%s", diff, describeProblems(r))
			}
			if diff := cmp.Diff(wantGaps, r.Gaps, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(integrity.Gap{}, "Trail", "Detail")); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			wantOK := len(wantGaps) == 0
			for _, v := range want {
				wantOK = wantOK && slices.Equal(v, []integrity.Verdict{integrity.Valid})
			}
			if r.OK() != wantOK {
				t.Errorf("OK() = %v, want %v", r.OK(), wantOK)
			}
			for _, f := range r.Problems() {
				if f.Detail == "" {
					t.Errorf("%s %s: no detail", f.Key, f.Verdict)
				}
			}
		})
	}
}

func describeProblems(r *integrity.Report) string {
	var b strings.Builder
	for _, f := range r.Problems() {
		fmt.Fprintf(&b, "  %s %s: %s\n", f.Verdict, f.Key, f.Detail)
	}
	for _, g := range r.Gaps {
		fmt.Fprintf(&b, "  gap %s %s %s → %s: %s\n", g.Account, g.Region, g.Start, g.End, g.Detail)
	}
	return b.String()
}

func TestVerifyReport(t *testing.T) {
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{})
	r, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), tr.Keys, integrity.Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("not OK:\n%s", describeProblems(r))
	}
	wantCounts := map[integrity.Verdict]int{integrity.Valid: len(tr.Digests) + len(tr.Logs)}
	if diff := cmp.Diff(wantCounts, r.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if r.Digests != 24 || r.LogFiles != 48 || r.HashedFiles != 48 || r.HashedBytes != tr.Bytes || r.ReadBytes == 0 {
		t.Errorf("digests %d, log files %d, hashed %d files %d bytes (want %d) from %d", r.Digests, r.LogFiles,
			r.HashedFiles, r.HashedBytes, tr.Bytes, r.ReadBytes)
	}
	if !slices.IsSortedFunc(r.Files, func(a, b integrity.FileResult) int { return strings.Compare(a.Key, b.Key) }) {
		t.Error("files not sorted by key")
	}
	// The same trail verifies to the same report (but for the time taken).
	r2, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), tr.Keys, integrity.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, r2, cmpopts.IgnoreFields(integrity.Report{}, "Elapsed")); diff != "" {
		t.Errorf("second run (-first +second):\n%s", diff)
	}

	// Nothing in range: no digest, so not OK.
	r, err = integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), tr.Keys, integrity.Options{Start: hourAt(100)})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || r.Digests != 0 || len(r.Files) != 0 {
		t.Errorf("empty range: OK %v, %d digests, %d files", r.OK(), r.Digests, len(r.Files))
	}
}

func TestVerifyErrors(t *testing.T) {
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{Accounts: []string{accountA}, Regions: []string{regionEast}, Hours: 2})
	if _, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), nil, integrity.Options{}); err == nil {
		t.Error("no keys: no error")
	}
	if _, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir+"/missing"), tr.Keys, integrity.Options{}); err == nil {
		t.Error("missing folder: no error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := integrity.Verify(ctx, integrity.NewFolder(tr.Dir), tr.Keys, integrity.Options{}); err == nil {
		t.Error("cancelled: no error")
	}
}

func TestVerifyFetchesKeys(t *testing.T) {
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{})
	var calls int
	var gotRegions []string
	var gotStart, gotEnd time.Time
	opts := integrity.Options{Start: hourAt(2), End: hourAt(3), PublicKeys: func(ctx context.Context, regions []string, start, end time.Time) (*integrity.KeySet, error) {
		calls++
		gotRegions, gotStart, gotEnd = regions, start, end
		return tr.Keys, nil
	}}
	r, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || calls != 1 {
		t.Fatalf("OK %v after %d calls:\n%s", r.OK(), calls, describeProblems(r))
	}
	// The digests read: those named 00:00 to 05:00 (the window padded by 2
	// hours), and an hour more on each side.
	if !slices.Equal(gotRegions, []string{regionWest, regionEast}) || !gotStart.Equal(hourAt(0)) || !gotEnd.Equal(hourAt(6)) {
		t.Errorf("PublicKeys(%v, %v, %v)", gotRegions, gotStart, gotEnd)
	}

	opts.PublicKeys = func(context.Context, []string, time.Time, time.Time) (*integrity.KeySet, error) {
		return nil, errors.New("no credentials")
	}
	if _, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), nil, opts); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("a failing PublicKeys: %v", err)
	}
	// Given keys, PublicKeys is not called.
	if _, err := integrity.Verify(t.Context(), integrity.NewFolder(tr.Dir), tr.Keys, opts); err != nil {
		t.Error(err)
	}
}

func BenchmarkVerify(b *testing.B) {
	tr := integritytest.BuildTrail(b, b.TempDir(), integritytest.Options{Hours: 4, FilesPerHour: 3, RecordsPerFile: 2000})
	objs := integrity.NewFolder(tr.Dir)
	b.SetBytes(tr.Bytes)
	b.ReportAllocs()
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := integrity.Verify(b.Context(), objs, tr.Keys, integrity.Options{})
		if err != nil || !r.OK() {
			b.Fatalf("err %v, OK %v", err, r != nil && r.OK())
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(tr.Bytes)*float64(b.N)/elapsed.Seconds()/1e6, "MB/s_uncompressed")
}
