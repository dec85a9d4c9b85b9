package integrity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/integrity/integritytest"
)

// fakeS3 is gofakes3 (in memory) behind httptest, reached through the real
// SDK client, path-style, with static credentials.
type fakeS3 struct {
	URL    string
	Client *s3.Client
	Bucket string
	lists  atomic.Int64 // ListObjectsV2 requests served
	gets   atomic.Int64 // GetObject requests served
	heads  atomic.Int64 // HeadObject requests served
}

func newFakeS3(t *testing.T, bucket string) *fakeS3 {
	t.Helper()
	f := &fakeS3{Bucket: bucket}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	h := faker.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			f.heads.Add(1)
		}
		if r.Method == http.MethodGet {
			if r.URL.Query().Get("list-type") == "2" {
				f.lists.Add(1)
			} else {
				f.gets.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	f.Client = newS3Client(srv.URL)
	if _, err := f.Client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return f
}

func newS3Client(url string, opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
	}, opts...)
}

// put uploads body at key; meta becomes x-amz-meta-* headers.
func (f *fakeS3) put(t *testing.T, key string, body []byte, meta map[string]string) {
	t.Helper()
	_, err := f.Client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket:   aws.String(f.Bucket),
		Key:      aws.String(key),
		Body:     bytes.NewReader(body),
		Metadata: meta,
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// replace puts body at key without metadata. gofakes3 merges the old
// object's metadata into a new one (S3 does not), hence the delete first.
func (f *fakeS3) replace(t *testing.T, key string, body []byte) {
	t.Helper()
	f.delete(t, key)
	f.put(t, key, body, nil)
}

func (f *fakeS3) delete(t *testing.T, key string) {
	t.Helper()
	if _, err := f.Client.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

func (f *fakeS3) objects() integrity.Objects { return integrity.NewS3Objects(f.Client, f.Bucket) }

// listAll collects a listing.
func listAll(t *testing.T, objs integrity.Objects, prefix string) []integrity.ObjectInfo {
	t.Helper()
	var got []integrity.ObjectInfo
	if err := objs.List(t.Context(), prefix, func(o integrity.ObjectInfo) error {
		got = append(got, o)
		return nil
	}); err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return got
}

func TestS3ObjectsList(t *testing.T) {
	f := newFakeS3(t, "trail")
	keys := []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/02/b.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/02/a.json.gz",
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/01/02/d.json.gz",
		"AWSLogs/222222222222/CloudTrail/eu-west-1/2026/01/01/c.json.gz",
		"other/AWSLogs/111111111111/CloudTrail/x.json.gz",
		"AWSLogs.txt",
	}
	for i, k := range keys {
		f.put(t, k, bytes.Repeat([]byte("x"), i+1), nil)
	}
	size := func(k string) int64 { return int64(slices.Index(keys, k) + 1) }
	want := func(ks ...string) []integrity.ObjectInfo {
		ks = slices.Sorted(slices.Values(ks))
		var out []integrity.ObjectInfo
		for _, k := range ks {
			out = append(out, integrity.ObjectInfo{Key: k, Size: size(k)})
		}
		return out
	}
	for _, tc := range []struct {
		name, prefix string
		want         []integrity.ObjectInfo
	}{
		{"whole bucket in lexical order", "", want(keys...)},
		{"AWSLogs folder only", "AWSLogs/", want(keys[:4]...)},
		{"one account", "AWSLogs/111111111111/", want(keys[:3]...)},
		{"prefix is a key prefix, not a folder", "AWSLogs/111111111111/CloudTrail", want(keys[:3]...)},
		{"nested trail prefix", "other/", want(keys[4])},
		{"nothing matches", "nope/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, listAll(t, f.objects(), tc.prefix)); diff != "" {
				t.Errorf("List(%q) (-want +got):\n%s", tc.prefix, diff)
			}
		})
	}
}

func TestS3ObjectsListPaginates(t *testing.T) {
	f := newFakeS3(t, "trail")
	const n = 1205 // two pages at S3's default of 1000 keys
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/02/%05d.json.gz", i))
	}
	f.put(t, "AWSLogs/000000000000/before", nil, nil)
	f.put(t, "AWSLogs/999999999999/after", nil, nil)
	for _, i := range rand.Perm(n) {
		f.put(t, want[i], []byte("{}"), nil)
	}
	prefix := "AWSLogs/111111111111/"

	t.Run("default page size", func(t *testing.T) {
		f.lists.Store(0)
		var got []string
		for _, o := range listAll(t, f.objects(), prefix) {
			got = append(got, o.Key)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
		if l := f.lists.Load(); l < 2 {
			t.Errorf("%d ListObjectsV2 requests for %d keys, want at least 2 pages", l, n)
		}
	})
	t.Run("small pages", func(t *testing.T) {
		// The fake honours MaxKeys; force 100-key pages through the SDK.
		small := integrity.NewS3Objects(newS3Client(f.URL, s3.WithAPIOptions(maxKeys(100))), f.Bucket)
		f.lists.Store(0)
		got := listAll(t, small, prefix)
		if len(got) != n || got[0].Key != want[0] || got[n-1].Key != want[n-1] {
			t.Fatalf("got %d keys, want %d", len(got), n)
		}
		if l := f.lists.Load(); l < n/100 {
			t.Errorf("%d ListObjectsV2 requests, want at least %d", l, n/100)
		}
	})
	t.Run("fn error stops the listing", func(t *testing.T) {
		stop := errors.New("stop")
		seen := 0
		err := f.objects().List(t.Context(), prefix, func(integrity.ObjectInfo) error {
			seen++
			if seen == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || seen != 3 {
			t.Errorf("err %v after %d objects, want stop after 3", err, seen)
		}
	})
}

func TestS3ObjectsOpenAndSignature(t *testing.T) {
	f := newFakeS3(t, "trail")
	const digest = "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/01/02/d.json.gz"
	const stripped = "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/01/02/copied.json.gz"
	const missing = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/02/gone.json.gz"
	body := []byte("digest body \x00\xff")
	f.put(t, digest, body, map[string]string{"signature": "ab12cd", "signature-algorithm": "SHA256withRSA"})
	f.put(t, stripped, body, nil)
	objs := f.objects()

	t.Run("open returns the exact bytes", func(t *testing.T) {
		rc, err := objs.Open(t.Context(), digest)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("read %q, %v; want %q", got, err, body)
		}
	})
	for _, tc := range []struct {
		name    string
		call    func() error
		wantIs  error
		wantMsg string
	}{
		{"open missing key", func() error { _, err := objs.Open(t.Context(), missing); return err },
			fs.ErrNotExist, "open s3://trail/" + missing},
		{"signature of missing key", func() error { _, err := objs.Signature(t.Context(), missing); return err },
			fs.ErrNotExist, "signature s3://trail/" + missing},
		{"signature metadata stripped", func() error { _, err := objs.Signature(t.Context(), stripped); return err },
			integrity.ErrNoSignature, "signature s3://trail/" + stripped},
		{"open in missing bucket is not a missing object", func() error {
			_, err := integrity.NewS3Objects(f.Client, "no-such-bucket").Open(t.Context(), digest)
			return err
		}, nil, "open s3://no-such-bucket/" + digest},
		{"list missing bucket", func() error {
			return integrity.NewS3Objects(f.Client, "no-such-bucket").List(t.Context(), "AWSLogs/", func(integrity.ObjectInfo) error { return nil })
		}, nil, "list s3://no-such-bucket/AWSLogs/"},
		{"cancelled context", func() error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := objs.Open(ctx, digest)
			return err
		}, context.Canceled, "open s3://trail/" + digest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			if tc.wantIs == nil && errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v must not read as a missing object", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
	t.Run("signature from metadata", func(t *testing.T) {
		f.heads.Store(0)
		sig, err := f.objects().Signature(t.Context(), digest)
		if err != nil || sig != "ab12cd" || f.heads.Load() != 1 {
			t.Errorf("Signature = %q, %v after %d HEADs; want ab12cd after 1", sig, err, f.heads.Load())
		}
	})
	t.Run("signature held from open", func(t *testing.T) {
		objs := f.objects()
		rc, err := objs.Open(t.Context(), digest)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		f.heads.Store(0)
		for i, wantHeads := range []int64{0, 1} { // taken once, then asked again
			sig, err := objs.Signature(t.Context(), digest)
			if err != nil || sig != "ab12cd" || f.heads.Load() != wantHeads {
				t.Errorf("call %d: Signature = %q, %v after %d HEADs; want ab12cd after %d", i, sig, err, f.heads.Load(), wantHeads)
			}
		}
	})
}

// maxKeys sets MaxKeys on every ListObjectsV2 the client sends.
func maxKeys(n int32) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("maxKeys",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if p, ok := in.Parameters.(*s3.ListObjectsV2Input); ok {
					p.MaxKeys = aws.Int32(n)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

// uploadFolder puts every file of dir into the fake's bucket as CloudTrail
// would: a digest's .sig sidecar becomes its x-amz-meta-signature.
func (f *fakeS3) uploadFolder(t *testing.T, dir string) {
	t.Helper()
	files := readDir(t, dir)
	for key, body := range files {
		if strings.HasSuffix(key, integrity.SignatureSuffix) {
			continue
		}
		var meta map[string]string
		if sig, ok := files[key+integrity.SignatureSuffix]; ok {
			meta = map[string]string{"signature": strings.TrimSpace(sig), "signature-algorithm": "SHA256withRSA"}
		}
		f.put(t, key, []byte(body), meta)
	}
}

// verifyBoth verifies the folder and the bucket and fails unless the
// reports agree.
func verifyBoth(t *testing.T, folder, bucket integrity.Objects, keys *integrity.KeySet, opts integrity.Options) *integrity.Report {
	t.Helper()
	fromFolder, err := integrity.Verify(t.Context(), folder, keys, opts)
	if err != nil {
		t.Fatalf("verify folder: %v", err)
	}
	fromS3, err := integrity.Verify(t.Context(), bucket, keys, opts)
	if err != nil {
		t.Fatalf("verify S3: %v", err)
	}
	if diff := cmp.Diff(fromFolder, fromS3, cmpopts.IgnoreFields(integrity.Report{}, "Elapsed")); diff != "" {
		t.Errorf("S3 and folder reports differ (-folder +S3):\n%s", diff)
	}
	return fromS3
}

func TestS3ObjectsVerifyLikeFolder(t *testing.T) {
	// An organization trail under a prefix, with logging stopped for an
	// hour in one pair: a gap both ways.
	tr := integritytest.BuildTrail(t, t.TempDir(), integritytest.Options{
		Bucket: "trail", Prefix: "org/", OrgID: "o-abcdefghij",
		Stopped: func(account, region string, hour int) bool { return region == "eu-west-1" && hour == 3 },
	})
	f := newFakeS3(t, "trail")
	f.uploadFolder(t, tr.Dir)
	opts := integrity.Options{Bucket: "trail", Prefix: "org/"}

	t.Run("untouched trail", func(t *testing.T) {
		f.heads.Store(0)
		r := verifyBoth(t, integrity.NewFolder(tr.Dir), f.objects(), tr.Keys, opts)
		if n := f.heads.Load(); n != 0 {
			t.Errorf("%d HeadObject requests: signatures should come with GetObject", n)
		}
		if len(r.Problems()) != 0 || len(r.Gaps) != 2 || r.Digests != len(tr.Digests) {
			t.Errorf("problems %+v, gaps %+v, %d digests; want the two stopped hours only", r.Problems(), r.Gaps, r.Digests)
		}
	})

	// Tamper with the folder and the bucket alike.
	deleted, modified := tr.Logs[0].Key, tr.Logs[1].Key
	injected := strings.Replace(tr.Logs[2].Key, ".json.gz", "X.json.gz", 1)
	stripped := tr.Digests[2].Key
	os.Remove(tr.Path(deleted))
	f.delete(t, deleted)
	tr.Rewrite(t, modified, func(b []byte) []byte { return bytes.Replace(b, []byte(`"eventName":"`), []byte(`"eventName":"x`), 1) })
	f.replace(t, modified, tr.ReadObject(t, modified))
	tr.WriteObject(t, injected, tr.ReadObject(t, tr.Logs[3].Key))
	f.put(t, injected, tr.ReadObject(t, injected), nil)
	os.Remove(tr.Path(stripped + integrity.SignatureSuffix))
	f.replace(t, stripped, tr.ReadObject(t, stripped)) // a copy without metadata

	r := verifyBoth(t, integrity.NewFolder(tr.Dir), f.objects(), tr.Keys, opts)
	verdicts := map[string][]integrity.Verdict{}
	for _, p := range r.Problems() {
		verdicts[p.Key] = append(verdicts[p.Key], p.Verdict)
	}
	for key, want := range map[string]integrity.Verdict{
		deleted: integrity.Deleted, modified: integrity.Modified, injected: integrity.NotListed, stripped: integrity.NoSignature,
	} {
		if !slices.Contains(verdicts[key], want) {
			t.Errorf("%s: verdicts %v, want %s", key, verdicts[key], want)
		}
	}
}
