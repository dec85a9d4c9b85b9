package integrity_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/integrity/integritytest"
)

func TestLoadPublicKeys(t *testing.T) {
	k := integritytest.TrailKey()
	pkcs1 := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&k.Private.PublicKey))
	pkixDER, err := x509.MarshalPKIXPublicKey(&k.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkix := base64.StdEncoding.EncodeToString(pkixDER)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecKey := base64.StdEncoding.EncodeToString(ecDER)
	other := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&integritytest.ForeignKey().Private.PublicKey))

	entry := func(value, fp, extra string) string {
		return fmt.Sprintf(`{"Value":%q,"Fingerprint":%q%s}`, value, fp, extra)
	}
	tests := []struct {
		name      string
		json      string
		wantLen   int
		wantStart time.Time
		wantIndex int    // of the *KeyError, when an error is wanted
		wantErr   string // "" for success
	}{
		{name: "PKCS#1 with RFC 3339 validity", wantLen: 1, wantStart: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			json: `{"PublicKeyList":[` + entry(pkcs1, "ABC123", `,"ValidityStartTime":"2024-01-01T01:00:00+01:00","ValidityEndTime":"2025-01-01T00:00:00Z"`) + `]}`},
		{name: "PKIX with Unix-seconds validity", wantLen: 1, wantStart: time.Unix(1704067200, 0).UTC(),
			json: `{"PublicKeyList":[` + entry(pkix, "abc123", `,"ValidityStartTime":1704067200,"ValidityEndTime":null`) + `]}`},
		{name: "two keys, the same one twice", wantLen: 2,
			json: `{"PublicKeyList":[` + entry(pkcs1, "a1", "") + "," + entry(other, "b2", "") + "," + entry(pkix, "A1", "") + `]}`},
		{name: "empty list", json: `{"PublicKeyList":[]}`},
		{name: "not JSON", json: `PublicKeyList`, wantIndex: -1, wantErr: "decode"},
		{name: "no list", json: `{"Keys":[]}`, wantIndex: -1, wantErr: "no PublicKeyList"},
		{name: "no fingerprint", json: `{"PublicKeyList":[{"Value":"` + pkcs1 + `"}]}`, wantErr: "Fingerprint: missing"},
		{name: "no value", json: `{"PublicKeyList":[{"Fingerprint":"a1"}]}`, wantErr: "Value: missing"},
		{name: "not base64", json: `{"PublicKeyList":[` + entry("%%%", "a1", "") + `]}`, wantErr: "not base64"},
		{name: "not DER", json: `{"PublicKeyList":[` + entry("AAAA", "a1", "") + `]}`, wantErr: "not an RSA public key"},
		{name: "not RSA", json: `{"PublicKeyList":[` + entry(ecKey, "a1", "") + `]}`, wantErr: "not an RSA public key"},
		{name: "bad time", json: `{"PublicKeyList":[` + entry(pkcs1, "a1", `,"ValidityStartTime":"soon"`) + `]}`, wantErr: "ValidityStartTime"},
		{name: "one fingerprint, two keys", wantIndex: 1, wantErr: "two different keys",
			json: `{"PublicKeyList":[` + entry(pkcs1, "a1", "") + "," + entry(other, "A1", "") + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := integrity.LoadPublicKeys(strings.NewReader(tt.json))
			if tt.wantErr != "" {
				var ke *integrity.KeyError
				if !errors.As(err, &ke) || !strings.Contains(err.Error(), tt.wantErr) || ke.Index != tt.wantIndex {
					t.Fatalf("error %v, want a *KeyError at %d with %q", err, tt.wantIndex, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.Len() != tt.wantLen {
				t.Errorf("%d keys, want %d", set.Len(), tt.wantLen)
			}
			if tt.wantLen == 0 {
				return
			}
			pk, ok := set.Lookup("Abc123")
			if tt.name == "two keys, the same one twice" {
				pk, ok = set.Lookup("A1")
			}
			if !ok || !pk.Key.Equal(&k.Private.PublicKey) || !pk.ValidityStart.Equal(tt.wantStart) {
				t.Errorf("Lookup = %+v, %v", pk, ok)
			}
			if _, ok := set.Lookup("nope"); ok {
				t.Error("Lookup of an unknown fingerprint succeeded")
			}
		})
	}
}
