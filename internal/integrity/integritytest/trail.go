// Package integritytest builds CloudTrail trails for tests: gzip log files
// in AWS's key layout, hourly digests chained and signed with the test's own
// RSA key (with .sig sidecars), and the list-public-keys JSON that verifies
// them; and it tampers with them as an attacker would.
package integritytest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// Key is an RSA key pair digests are signed with.
type Key struct {
	Private     *rsa.PrivateKey
	Fingerprint string
}

func newKey() *Key {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der := x509.MarshalPKCS1PublicKey(&priv.PublicKey)
	sum := sha256.Sum256(der)
	return &Key{Private: priv, Fingerprint: hex.EncodeToString(sum[:16])}
}

var (
	trailKey   = sync.OnceValue(newKey)
	foreignKey = sync.OnceValue(newKey)
)

// TrailKey is the key trails are signed with (2048 bits, generated once per
// test binary); its public half is in every Trail's public-keys file.
func TrailKey() *Key { return trailKey() }

// ForeignKey is another key, in no public-keys file.
func ForeignKey() *Key { return foreignKey() }

// PublicKey returns the public half, as a KeySet holds it.
func (k *Key) PublicKey() *integrity.PublicKey {
	return &integrity.PublicKey{Fingerprint: k.Fingerprint, Key: &k.Private.PublicKey}
}

// Sign returns the hex signature of d, given the uncompressed digest file.
func (k *Key) Sign(d *integrity.Digest, file []byte) string {
	sum := sha256.Sum256(file)
	h := sha256.Sum256([]byte(d.SigningString(hex.EncodeToString(sum[:]))))
	sig, err := rsa.SignPKCS1v15(nil, k.Private, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(sig)
}

// Options shapes a trail. The zero value gives 2 accounts × 2 regions × 6
// hours with 2 log files an hour.
type Options struct {
	Bucket   string   // default "trailwarden-test-trail"
	Prefix   string   // key prefix before AWSLogs/, e.g. "org/"
	OrgID    string   // an organization trail's o-xxxxxxxxxx folder
	Accounts []string // default 111122223333 and 444455556666
	Regions  []string // default us-east-1 (the home region) and eu-west-1
	Trail    string   // default "management-events"
	// Start is the first digest's start (default 2024-03-04T00:00:00Z).
	Start          time.Time
	Hours          int // default 6
	FilesPerHour   int // default 2
	RecordsPerFile int // default 4
	// Stopped hours have logging off: no log file, no digest; the next
	// digest starts a new chain (previousDigestSignature null).
	Stopped func(account, region string, hour int) bool
	// Empty hours have logging on but no log file: the digest lists none.
	Empty func(account, region string, hour int) bool
	// Edit changes a digest before it is written and signed, as if
	// CloudTrail had written it so (the chain stays consistent).
	Edit func(account, region string, hour int, d *integrity.Digest)
	// SignWith chooses the key of a digest (default TrailKey); its
	// fingerprint is written in the digest.
	SignWith func(account, region string, hour int) *Key
}

// Trail is a trail written under Dir, the folder standing for the bucket.
type Trail struct {
	Dir        string
	Bucket     string
	PublicKeys string // the list-public-keys JSON file, outside Dir
	Keys       *integrity.KeySet
	Start, End time.Time // the first digestStartTime, the last digestEndTime
	Digests    []*DigestFile
	Logs       []*LogFile
	Bytes      int64 // uncompressed bytes of every log file
}

// DigestFile is one digest of a trail.
type DigestFile struct {
	Key, Account, Region string
	Hour                 int
	Digest               *integrity.Digest
	Signature            string
}

// LogFile is one log file of a trail.
type LogFile struct {
	Key, Account, Region string
	Hour                 int
	Size                 int64 // uncompressed
}

// BuildTrail writes a trail under dir.
func BuildTrail(t testing.TB, dir string, opts Options) *Trail {
	t.Helper()
	if opts.Bucket == "" {
		opts.Bucket = "trailwarden-test-trail"
	}
	if len(opts.Accounts) == 0 {
		opts.Accounts = []string{"111122223333", "444455556666"}
	}
	if len(opts.Regions) == 0 {
		opts.Regions = []string{"us-east-1", "eu-west-1"}
	}
	if opts.Trail == "" {
		opts.Trail = "management-events"
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	}
	if opts.Hours == 0 {
		opts.Hours = 6
	}
	if opts.FilesPerHour == 0 {
		opts.FilesPerHour = 2
	}
	if opts.RecordsPerFile == 0 {
		opts.RecordsPerFile = 4
	}
	tr := &Trail{Dir: dir, Bucket: opts.Bucket, Start: opts.Start, End: opts.Start.Add(time.Duration(opts.Hours) * time.Hour)}
	for _, account := range opts.Accounts {
		for _, region := range opts.Regions {
			tr.buildChain(t, &opts, account, region)
		}
	}
	tr.writePublicKeys(t)
	return tr
}

// base is the key prefix of an account's folders.
func base(opts *Options, account string) string {
	b := opts.Prefix + "AWSLogs/"
	if opts.OrgID != "" {
		b += opts.OrgID + "/"
	}
	return b + account + "/"
}

// buildChain writes the log files and digests of one account × region.
func (tr *Trail) buildChain(t testing.TB, opts *Options, account, region string) {
	t.Helper()
	var prev *DigestFile
	var prevFile []byte
	for h := range opts.Hours {
		if opts.Stopped != nil && opts.Stopped(account, region, h) {
			prev = nil
			continue
		}
		start := opts.Start.Add(time.Duration(h) * time.Hour)
		end := start.Add(time.Hour)
		d := &integrity.Digest{
			AccountID:          account,
			StartTime:          start,
			EndTime:            end,
			S3Bucket:           opts.Bucket,
			SignatureAlgorithm: integrity.SignatureAlgorithm,
			LogFiles:           []integrity.LogFile{},
		}
		d.S3Object = fmt.Sprintf("%sCloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
			base(opts, account), region, end.Format("2006/01/02"), account, region, opts.Trail, opts.Regions[0],
			end.Format("20060102T150405Z"))
		if prev != nil {
			sum := sha256.Sum256(prevFile)
			d.PreviousS3Bucket = opts.Bucket
			d.PreviousS3Object = prev.Key
			d.PreviousHashValue = hex.EncodeToString(sum[:])
			d.PreviousHashAlgorithm = integrity.HashAlgorithm
			d.PreviousSignature = prev.Signature
		}
		if opts.Empty == nil || !opts.Empty(account, region, h) {
			for i := range opts.FilesPerHour {
				lf, entry := tr.writeLog(t, opts, account, region, h, i)
				d.LogFiles = append(d.LogFiles, entry)
				tr.Logs = append(tr.Logs, lf)
				if d.OldestEventTime.IsZero() || entry.OldestEventTime.Before(d.OldestEventTime) {
					d.OldestEventTime = entry.OldestEventTime
				}
				if entry.NewestEventTime.After(d.NewestEventTime) {
					d.NewestEventTime = entry.NewestEventTime
				}
			}
		}
		key := TrailKey()
		if opts.SignWith != nil {
			key = opts.SignWith(account, region, h)
		}
		d.PublicKeyFingerprint = key.Fingerprint
		if opts.Edit != nil {
			opts.Edit(account, region, h, d)
		}
		file, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		df := &DigestFile{Key: d.S3Object, Account: account, Region: region, Hour: h, Digest: d, Signature: key.Sign(d, file)}
		tr.WriteObject(t, df.Key, Gzip(t, file))
		tr.WriteSignature(t, df.Key, df.Signature)
		tr.Digests = append(tr.Digests, df)
		prev, prevFile = df, file
	}
}

// writeLog writes the i-th log file of an hour.
func (tr *Trail) writeLog(t testing.TB, opts *Options, account, region string, h, i int) (*LogFile, integrity.LogFile) {
	t.Helper()
	hour := opts.Start.Add(time.Duration(h) * time.Hour)
	at := hour.Add(5*time.Minute + time.Duration(i)*50*time.Minute/time.Duration(opts.FilesPerHour))
	rng := mrand.New(mrand.NewPCG(uint64(h)<<32|uint64(i), seed(account+region)))
	id := make([]byte, 16)
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for j := range id {
		id[j] = alnum[rng.IntN(len(alnum))]
	}
	key := fmt.Sprintf("%sCloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		base(opts, account), region, at.Format("2006/01/02"), account, region, at.Format("20060102T1504Z"), id)
	data, oldest, newest := records(rng, account, region, at.Add(-4*time.Minute), opts.RecordsPerFile)
	tr.WriteObject(t, key, Gzip(t, data))
	sum := sha256.Sum256(data)
	tr.Bytes += int64(len(data))
	return &LogFile{Key: key, Account: account, Region: region, Hour: h, Size: int64(len(data))},
		integrity.LogFile{S3Bucket: opts.Bucket, S3Object: key, HashValue: hex.EncodeToString(sum[:]),
			HashAlgorithm: integrity.HashAlgorithm, NewestEventTime: newest, OldestEventTime: oldest}
}

func seed(s string) uint64 {
	sum := sha256.Sum256([]byte(s))
	var n uint64
	for _, b := range sum[:8] {
		n = n<<8 | uint64(b)
	}
	return n
}

var eventNames = []struct{ source, name string }{
	{"ec2.amazonaws.com", "DescribeInstances"}, {"s3.amazonaws.com", "ListBuckets"},
	{"iam.amazonaws.com", "GetUser"}, {"sts.amazonaws.com", "AssumeRole"},
	{"kms.amazonaws.com", "Decrypt"}, {"lambda.amazonaws.com", "ListFunctions20150331"},
}

// records returns a CloudTrail log file of n management events spread over
// the 3 minutes after from.
func records(rng *mrand.Rand, account, region string, from time.Time, n int) (data []byte, oldest, newest time.Time) {
	buf := []byte(`{"Records":[`)
	for i := range n {
		at := from.Add(time.Duration(i) * 3 * time.Minute / time.Duration(max(n, 1))).Truncate(time.Second)
		if i == 0 {
			oldest = at
		}
		newest = at
		ev := eventNames[rng.IntN(len(eventNames))]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = fmt.Appendf(buf, `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA%016X:session-%d",`+
			`"arn":"arn:aws:sts::%s:assumed-role/Admin/session-%d","accountId":"%s","accessKeyId":"ASIA%016X"},`+
			`"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"%s","sourceIPAddress":"203.0.113.%d",`+
			`"userAgent":"aws-cli/2.15.%d","requestParameters":{"maxResults":%d},"responseElements":null,`+
			`"requestID":"%016x-%04x","eventID":"%016x-%04x","readOnly":true,"eventType":"AwsApiCall",`+
			`"managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management"}`,
			rng.Uint64(), rng.IntN(100), account, rng.IntN(100), account, rng.Uint64(),
			at.Format(time.RFC3339), ev.source, ev.name, region, rng.IntN(256),
			rng.IntN(40), rng.IntN(1000), rng.Uint64(), rng.IntN(1<<16), rng.Uint64(), rng.IntN(1<<16), account)
	}
	return append(buf, "]}"...), oldest, newest
}

// writePublicKeys writes the list-public-keys JSON with TrailKey.
func (tr *Trail) writePublicKeys(t testing.TB) {
	t.Helper()
	k := TrailKey()
	type entry struct {
		Value             string
		ValidityStartTime string
		ValidityEndTime   string
		Fingerprint       string
	}
	list := struct{ PublicKeyList []entry }{[]entry{{
		Value:             base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&k.Private.PublicKey)),
		ValidityStartTime: tr.Start.Add(-24 * time.Hour).Format(time.RFC3339),
		ValidityEndTime:   tr.End.Add(24 * time.Hour).Format(time.RFC3339),
		Fingerprint:       k.Fingerprint,
	}}}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	tr.PublicKeys = filepath.Join(t.TempDir(), "public-keys.json")
	if err := os.WriteFile(tr.PublicKeys, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tr.Keys = integrity.NewKeySet(k.PublicKey())
}

// AddDigest writes d at its own key (d.S3Object), signed with key (with
// its fingerprint set in d), as CloudTrail would write a backfill digest.
func (tr *Trail) AddDigest(t testing.TB, d *integrity.Digest, key *Key) *DigestFile {
	t.Helper()
	d.PublicKeyFingerprint = key.Fingerprint
	file, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	df := &DigestFile{Key: d.S3Object, Account: d.AccountID, Hour: -1, Digest: d, Signature: key.Sign(d, file)}
	tr.WriteObject(t, df.Key, Gzip(t, file))
	tr.WriteSignature(t, df.Key, df.Signature)
	return df
}

// Path is the file of key.
func (tr *Trail) Path(key string) string { return filepath.Join(tr.Dir, filepath.FromSlash(key)) }

// DigestAt returns the digest of an account × region for an hour (counted
// from Start), or nil when there is none.
func (tr *Trail) DigestAt(account, region string, hour int) *DigestFile {
	for _, d := range tr.Digests {
		if d.Account == account && d.Region == region && d.Hour == hour {
			return d
		}
	}
	return nil
}

// LogsAt returns the log files of an account × region for an hour.
func (tr *Trail) LogsAt(account, region string, hour int) []*LogFile {
	var out []*LogFile
	for _, l := range tr.Logs {
		if l.Account == account && l.Region == region && l.Hour == hour {
			out = append(out, l)
		}
	}
	return out
}

// AllKeys returns every key of the trail: its digests, then its log files.
func (tr *Trail) AllKeys() []string {
	var out []string
	for _, d := range tr.Digests {
		out = append(out, d.Key)
	}
	for _, l := range tr.Logs {
		out = append(out, l.Key)
	}
	return out
}

// WriteObject writes data at key.
func (tr *Trail) WriteObject(t testing.TB, key string, data []byte) {
	t.Helper()
	p := tr.Path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteSignature writes the .sig sidecar of the digest at key.
func (tr *Trail) WriteSignature(t testing.TB, key, sig string) {
	t.Helper()
	tr.WriteObject(t, key+integrity.SignatureSuffix, []byte(sig+"\n"))
}

// ReadObject returns the bytes at key.
func (tr *Trail) ReadObject(t testing.TB, key string) []byte {
	t.Helper()
	data, err := os.ReadFile(tr.Path(key))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Rewrite replaces the uncompressed content of the gzip object at key with
// edit's result, gzipped again.
func (tr *Trail) Rewrite(t testing.TB, key string, edit func([]byte) []byte) {
	t.Helper()
	tr.WriteObject(t, key, Gzip(t, edit(Gunzip(t, tr.ReadObject(t, key)))))
}

// Remove deletes the object at key and its signature sidecar.
func (tr *Trail) Remove(t testing.TB, key string) {
	t.Helper()
	if err := os.Remove(tr.Path(key)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(tr.Path(key + integrity.SignatureSuffix)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// Copy copies the object at from, and its signature sidecar if any, to to.
func (tr *Trail) Copy(t testing.TB, from, to string) {
	t.Helper()
	tr.WriteObject(t, to, tr.ReadObject(t, from))
	if sig, err := os.ReadFile(tr.Path(from + integrity.SignatureSuffix)); err == nil {
		tr.WriteObject(t, to+integrity.SignatureSuffix, sig)
	}
}

// Gzip compresses data.
func Gzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gunzip decompresses data.
func Gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
