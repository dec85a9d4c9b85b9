package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/integrity/integritytest"
)

// fakeS3 is gofakes3 behind httptest. When region is set, it acts like S3
// for a bucket living there: a request signed for another region gets a 301
// naming the right one in x-amz-bucket-region, and HeadBucket names it too.
type fakeS3 struct {
	URL      string
	Client   *s3.Client // signed for the fake's region, path-style
	region   string
	wrongReg atomic.Int64 // requests refused for their signing region
}

var credentialRegion = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/s3/`)

func newFakeS3(t *testing.T, region string, buckets ...string) *fakeS3 {
	t.Helper()
	f := &fakeS3{region: region}
	h := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.region != "" {
			w.Header().Set("X-Amz-Bucket-Region", f.region)
			m := credentialRegion.FindStringSubmatch(r.Header.Get("Authorization"))
			if m == nil || m[1] != f.region {
				f.wrongReg.Add(1)
				w.WriteHeader(http.StatusMovedPermanently)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	signing := region
	if signing == "" {
		signing = "us-east-1"
	}
	f.Client = s3.New(s3.Options{
		Region:       signing,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
	})
	for _, b := range buckets {
		if _, err := f.Client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return f
}

func (f *fakeS3) put(t *testing.T, bucket, key string, body []byte, meta map[string]string) {
	t.Helper()
	if _, err := f.Client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta,
	}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// awsTestEnv points the default AWS configuration chain at static
// credentials, region and the fake endpoint, away from the host's files and
// instance metadata.
func awsTestEnv(t *testing.T, endpoint, region string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":       "SECRETTEST",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
		s3EndpointEnv:                 endpoint,
	} {
		t.Setenv(k, v)
	}
}

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, prefix, err string
	}{
		{in: "s3://trail", bucket: "trail"},
		{in: "s3://trail/", bucket: "trail"},
		{in: "S3://trail/logs", bucket: "trail", prefix: "logs/"},
		{in: "s3://trail/logs/", bucket: "trail", prefix: "logs/"},
		{in: "s3://trail/a/b", bucket: "trail", prefix: "a/b/"},
		{in: "s3://trail/AWSLogs/", bucket: "trail"},
		{in: "s3://trail/AWSLogs/111111111111/CloudTrail-Digest/", bucket: "trail"},
		{in: "s3://trail/logs/AWSLogs", bucket: "trail", prefix: "logs/"},
		{in: "s3://trail/logs/AWSLogs/o-abc/111111111111/", bucket: "trail", prefix: "logs/"},
		{in: "s3://trail/AWSLogsArchive", bucket: "trail", prefix: "AWSLogsArchive/"},
		{in: "s3://trail/with space/100%", bucket: "trail", prefix: "with space/100%/"},
		{in: "trail/logs", err: "not an s3://bucket/prefix URL"},
		{in: "s3:/trail", err: "not an s3://bucket/prefix URL"},
		{in: "https://trail.s3.amazonaws.com/", err: "not an s3://bucket/prefix URL"},
		{in: "s3://", err: "bad bucket name"},
		{in: "s3:///logs", err: "bad bucket name"},
		{in: "s3://tr ail/logs", err: "bad bucket name"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			bucket, prefix, err := parseS3URL(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || bucket != tc.bucket || prefix != tc.prefix {
				t.Errorf("= %q, %q, %v; want %q, %q", bucket, prefix, err, tc.bucket, tc.prefix)
			}
		})
	}
}

func TestNewS3Objects(t *testing.T) {
	const key = "logs/AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/01/02/d.json.gz"
	list := func(t *testing.T, objs integrity.Objects, prefix string) []string {
		t.Helper()
		var keys []string
		if err := objs.List(t.Context(), prefix, func(o integrity.ObjectInfo) error {
			keys = append(keys, o.Key)
			return nil
		}); err != nil {
			t.Fatalf("list: %v", err)
		}
		return keys
	}

	t.Run("endpoint override", func(t *testing.T) {
		f := newFakeS3(t, "", "trail")
		f.put(t, "trail", key, []byte("{}"), map[string]string{"signature": "00ff"})
		f.put(t, "trail", "logs2/AWSLogs/x", []byte("{}"), nil)
		awsTestEnv(t, f.URL, "us-east-1")
		objs, prefix, err := newS3Objects(t.Context(), "s3://trail/logs")
		if err != nil {
			t.Fatal(err)
		}
		if prefix != "logs/" {
			t.Errorf("prefix %q, want logs/", prefix)
		}
		if got := list(t, objs, prefix); len(got) != 1 || got[0] != key {
			t.Errorf("listed %q, want [%s]", got, key)
		}
		if sig, err := objs.Signature(t.Context(), key); err != nil || sig != "00ff" {
			t.Errorf("Signature = %q, %v", sig, err)
		}
	})
	for _, configured := range []string{"us-west-2", ""} {
		t.Run("bucket in another region than configured "+configured, func(t *testing.T) {
			f := newFakeS3(t, "eu-west-3", "trail")
			f.put(t, "trail", key, []byte("{}"), nil)
			awsTestEnv(t, f.URL, configured)
			f.wrongReg.Store(0)
			objs, prefix, err := newS3Objects(t.Context(), "s3://trail/logs/")
			if err != nil {
				t.Fatal(err)
			}
			if got := list(t, objs, prefix); len(got) != 1 {
				t.Errorf("listed %q, want [%s]", got, key)
			}
			if n := f.wrongReg.Load(); n != 1 {
				t.Errorf("%d requests signed for the wrong region, want the one HeadBucket", n)
			}
		})
	}
	t.Run("no such bucket", func(t *testing.T) {
		f := newFakeS3(t, "", "trail")
		awsTestEnv(t, f.URL, "us-east-1")
		_, _, err := newS3Objects(t.Context(), "s3://missing/logs")
		if err == nil || !strings.Contains(err.Error(), "s3://missing: no such bucket") {
			t.Errorf("err %v, want no such bucket", err)
		}
	})
	t.Run("bad URL", func(t *testing.T) {
		if _, _, err := newS3Objects(t.Context(), "/tmp/trail"); err == nil {
			t.Error("no error for a path")
		}
	})
}

func TestCloudTrailPublicKeys(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	var targets, scopes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targets = append(targets, r.Header.Get("X-Amz-Target"))
		m := regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/cloudtrail/`).FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		scopes = append(scopes, m[1])
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"PublicKeyList":[{"Fingerprint":"fp-%s","Value":%q,"ValidityStartTime":1.7e9}]}`,
			m[1], base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&priv.PublicKey)))
	}))
	t.Cleanup(srv.Close)
	awsTestEnv(t, "", "eu-central-1")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", srv.URL)

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		regions []string
		want    []string
	}{
		{"configured region", nil, []string{"eu-central-1"}},
		{"named regions", []string{"us-east-1", "ap-south-1"}, []string{"us-east-1", "ap-south-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			targets, scopes = nil, nil
			keys, err := cloudTrailPublicKeys(t.Context(), start, start.Add(time.Hour), tc.regions)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(scopes, tc.want) || keys.Len() != len(tc.want) {
				t.Errorf("asked %v for %d keys, want %v", scopes, keys.Len(), tc.want)
			}
			for _, r := range tc.want {
				if k, ok := keys.Lookup("fp-" + r); !ok || !k.Key.Equal(&priv.PublicKey) {
					t.Errorf("no key fp-%s", r)
				}
			}
			for _, tg := range targets {
				if tg != "CloudTrail_20131101.ListPublicKeys" {
					t.Errorf("X-Amz-Target %q", tg)
				}
			}
		})
	}
}

// uploadDir puts every file of dir into bucket as CloudTrail would: a
// digest's .sig sidecar becomes its x-amz-meta-signature.
func (f *fakeS3) uploadDir(t *testing.T, bucket, dir string) {
	t.Helper()
	tree := readTree(t, dir)
	for key, body := range tree {
		if strings.HasSuffix(key, integrity.SignatureSuffix) {
			continue
		}
		var meta map[string]string
		if sig, ok := tree[key+integrity.SignatureSuffix]; ok {
			meta = map[string]string{"signature": strings.TrimSpace(string(sig)), "signature-algorithm": "SHA256withRSA"}
		}
		f.put(t, bucket, key, body, meta)
	}
}

// verifyReport runs verify --format json and returns the report, its
// timing zeroed.
func verifyReport(t *testing.T, wantCode int, args ...string) *integrity.Report {
	t.Helper()
	r := runCLI(t, append([]string{"verify", "--format", "json"}, args...)...)
	r.wantCode(t, wantCode)
	var rep integrity.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, r.stdout)
	}
	rep.Elapsed = 0
	return &rep
}

// TestVerifyS3Cmd verifies a trail in S3 (a fake, through the real SDK and
// the default AWS configuration chain), downloads it, and verifies the copy:
// the three reports agree, with the keys from a file or from ListPublicKeys.
func TestVerifyS3Cmd(t *testing.T) {
	isolate(t)
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{Bucket: "trail", Prefix: "logs/"})
	f := newFakeS3(t, "", "trail")
	f.uploadDir(t, "trail", tr.Dir)
	awsTestEnv(t, f.URL, "us-east-1")

	// CloudTrail's ListPublicKeys, answering with the trail's key.
	pub := integritytest.TrailKey().PublicKey()
	ct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"PublicKeyList":[{"Fingerprint":%q,"Value":%q}]}`,
			pub.Fingerprint, base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(pub.Key)))
	}))
	t.Cleanup(ct.Close)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", ct.URL)

	want := verifyReport(t, ExitOK, "--public-keys", tr.PublicKeys, tr.Dir)
	if want.Digests != len(tr.Digests) || want.LogFiles != len(tr.Logs) {
		t.Fatalf("folder report: %d digests, %d log files", want.Digests, want.LogFiles)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"S3, keys from a file", []string{"--public-keys", tr.PublicKeys, "s3://trail/logs/"}},
		{"S3, keys from CloudTrail", []string{"s3://trail/logs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(want, verifyReport(t, ExitOK, tc.args...)); diff != "" {
				t.Errorf("report (-folder +S3):\n%s", diff)
			}
		})
	}

	// A digest copied without its metadata, in S3 and on disk alike.
	stripped := tr.Digests[1].Key
	if _, err := f.Client.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String("trail"), Key: aws.String(stripped)}); err != nil {
		t.Fatal(err)
	}
	f.put(t, "trail", stripped, tr.ReadObject(t, stripped), nil)
	if err := os.Remove(tr.Path(stripped) + integrity.SignatureSuffix); err != nil {
		t.Fatal(err)
	}
	want = verifyReport(t, ExitFindings, "--public-keys", tr.PublicKeys, tr.Dir)
	if want.Counts[integrity.NoSignature] != 1 {
		t.Fatalf("folder report counts %v, want one no_signature", want.Counts)
	}
	if diff := cmp.Diff(want, verifyReport(t, ExitFindings, "--public-keys", tr.PublicKeys, "s3://trail/logs")); diff != "" {
		t.Errorf("report (-folder +S3):\n%s", diff)
	}
	copyDir := filepath.Join(t.TempDir(), "copy")
	runCLI(t, "download", "s3://trail/logs", copyDir).wantCode(t, ExitOK)
	if diff := cmp.Diff(want, verifyReport(t, ExitFindings, "--public-keys", tr.PublicKeys, copyDir)); diff != "" {
		t.Errorf("report (-folder +downloaded copy):\n%s", diff)
	}
	text := runCLI(t, "verify", "--public-keys", tr.PublicKeys, "s3://trail/logs")
	text.wantCode(t, ExitFindings)
	if !strings.Contains(text.stdout, "no_signature    "+stripped+": ") {
		t.Errorf("stdout:\n%s", text.stdout)
	}
}
