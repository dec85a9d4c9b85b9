package integrity_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// apiKey is one PublicKey as ListPublicKeys returns it on the wire (AWS
// JSON 1.1: blobs in base64, timestamps in epoch seconds).
type apiKey struct {
	Value             string  `json:"Value,omitempty"`
	ValidityStartTime float64 `json:"ValidityStartTime,omitempty"`
	ValidityEndTime   float64 `json:"ValidityEndTime,omitempty"`
	Fingerprint       string  `json:"Fingerprint,omitempty"`
}

// listKeysRequest is a ListPublicKeys request as the fake saw it.
type listKeysRequest struct {
	Region             string
	StartTime, EndTime *float64
	NextToken          *string
}

var scopeRegion = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/cloudtrail/`)

// fakeCloudTrail serves ListPublicKeys over AWS JSON 1.1: pages[region] are
// the pages of keys a region returns, chained by NextToken.
func fakeCloudTrail(t *testing.T, pages map[string][][]apiKey) (*cloudtrail.Client, func() []listKeysRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen []listKeysRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(code int, typ, msg string) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
		}
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.ListPublicKeys" ||
			r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			fail(400, "UnknownOperationException", r.Method+" "+r.Header.Get("X-Amz-Target"))
			return
		}
		var req listKeysRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(400, "SerializationException", err.Error())
			return
		}
		if m := scopeRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			req.Region = m[1]
		}
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		ps, ok := pages[req.Region]
		if !ok {
			fail(400, "UnrecognizedClientException", "no keys for region "+req.Region)
			return
		}
		i := 0
		if req.NextToken != nil {
			fmt.Sscanf(*req.NextToken, "page-%d", &i)
		}
		out := map[string]any{"PublicKeyList": ps[i]}
		if i+1 < len(ps) {
			out["NextToken"] = fmt.Sprintf("page-%d", i+1)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	client := cloudtrail.New(cloudtrail.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
		RetryMaxAttempts: 1,
	})
	return client, func() []listKeysRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]listKeysRequest(nil), seen...)
	}
}

func newRSAKey(t *testing.T) *rsa.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}

// wireKey is k on the wire; a zero time is left out.
func wireKey(fp string, k *rsa.PublicKey, start, end time.Time) apiKey {
	secs := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.Unix())
	}
	return apiKey{
		Value:             base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(k)),
		Fingerprint:       fp,
		ValidityStartTime: secs(start),
		ValidityEndTime:   secs(end),
	}
}

func TestAWSKeysFetch(t *testing.T) {
	k1, k2, k3 := newRSAKey(t), newRSAKey(t), newRSAKey(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1, t2 := t0.AddDate(0, 3, 0), t0.AddDate(0, 6, 0)
	start, end := t0.Add(time.Hour), t2.Add(-time.Hour)
	f64 := func(t time.Time) *float64 { v := float64(t.Unix()); return &v }
	str := func(s string) *string { return &s }

	t.Run("every page", func(t *testing.T) {
		client, seen := fakeCloudTrail(t, map[string][][]apiKey{"us-east-1": {
			{wireKey("aa01", k1, t0, t1), wireKey("BB02", k2, t1, t2)},
			{wireKey("cc03", k3, t2, time.Time{})},
		}})
		set, err := integrity.FetchPublicKeys(t.Context(), client, start, end)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]*integrity.PublicKey{
			"aa01": {Fingerprint: "aa01", Key: k1, ValidityStart: t0, ValidityEnd: t1},
			"bb02": {Fingerprint: "BB02", Key: k2, ValidityStart: t1, ValidityEnd: t2},
			"cc03": {Fingerprint: "cc03", Key: k3, ValidityStart: t2},
		}
		if set.Len() != len(want) {
			t.Errorf("%d keys, want %d", set.Len(), len(want))
		}
		for fp, w := range want {
			got, ok := set.Lookup(fp)
			if !ok {
				t.Errorf("no key %s", fp)
				continue
			}
			if !got.Key.Equal(w.Key) || got.Fingerprint != w.Fingerprint ||
				!got.ValidityStart.Equal(w.ValidityStart) || !got.ValidityEnd.Equal(w.ValidityEnd) {
				t.Errorf("key %s = %+v, want %+v", fp, got, w)
			}
		}
		wantReqs := []listKeysRequest{
			{Region: "us-east-1", StartTime: f64(start), EndTime: f64(end)},
			{Region: "us-east-1", StartTime: f64(start), EndTime: f64(end), NextToken: str("page-1")},
		}
		if diff := cmp.Diff(wantReqs, seen()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
	t.Run("each region", func(t *testing.T) {
		client, seen := fakeCloudTrail(t, map[string][][]apiKey{
			"eu-west-1":  {{wireKey("aa01", k1, t0, t1)}},
			"ap-south-1": {{wireKey("bb02", k2, t0, t1)}, {wireKey("cc03", k3, t1, t2)}},
		})
		set, err := integrity.FetchPublicKeys(t.Context(), client, time.Time{}, time.Time{}, "eu-west-1", "ap-south-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, fp := range []string{"aa01", "bb02", "cc03"} {
			if _, ok := set.Lookup(fp); !ok {
				t.Errorf("no key %s", fp)
			}
		}
		wantReqs := []listKeysRequest{{Region: "eu-west-1"}, {Region: "ap-south-1"}, {Region: "ap-south-1", NextToken: str("page-1")}}
		if diff := cmp.Diff(wantReqs, seen()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})

	for _, tc := range []struct {
		name  string
		pages [][]apiKey
		want  string
		field string // the *KeyError's Field, when it is one
	}{
		{name: "value not a key", pages: [][]apiKey{{{Value: base64.StdEncoding.EncodeToString([]byte("junk")), Fingerprint: "aa01"}}},
			want: "PublicKeyList[0].Value", field: "Value"},
		{name: "no fingerprint", pages: [][]apiKey{{wireKey("aa01", k1, t0, t1)}, {wireKey("", k2, t0, t1)}},
			want: "PublicKeyList[1].Fingerprint", field: "Fingerprint"},
		{name: "no value", pages: [][]apiKey{{{Fingerprint: "aa01"}}},
			want: "PublicKeyList[0].Value", field: "Value"},
		{name: "one fingerprint, two keys", pages: [][]apiKey{{wireKey("aa01", k1, t0, t1)}, {wireKey("AA01", k2, t1, t2)}},
			want: "PublicKeyList[1].Fingerprint: AA01 names two different keys", field: "Fingerprint"},
		{name: "API error", want: "list CloudTrail public keys in us-east-1: operation error CloudTrail: ListPublicKeys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages := map[string][][]apiKey{}
			if tc.pages != nil {
				pages["us-east-1"] = tc.pages
			}
			client, _ := fakeCloudTrail(t, pages)
			_, err := integrity.FetchPublicKeys(t.Context(), client, start, end)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			var ke *integrity.KeyError
			if tc.field != "" && (!errors.As(err, &ke) || ke.Field != tc.field) {
				t.Errorf("err %v is not a *KeyError on %s", err, tc.field)
			}
		})
	}
	t.Run("same key twice is one key", func(t *testing.T) {
		client, _ := fakeCloudTrail(t, map[string][][]apiKey{"us-east-1": {{wireKey("aa01", k1, t0, t1)}, {wireKey("aa01", k1, t0, t1)}}})
		set, err := integrity.FetchPublicKeys(t.Context(), client, start, end)
		if err != nil || set.Len() != 1 {
			t.Errorf("%d keys, %v; want 1", set.Len(), err)
		}
	})
}
