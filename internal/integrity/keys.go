package integrity

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// PublicKey is one CloudTrail public key: the key digests are signed with
// during its validity period, named by its fingerprint.
type PublicKey struct {
	Fingerprint   string
	Key           *rsa.PublicKey
	ValidityStart time.Time // zero when not given
	ValidityEnd   time.Time
}

// KeySet holds the public keys digests are verified with, by fingerprint.
// It is read-only once built and safe for concurrent use.
type KeySet struct {
	byFingerprint map[string]*PublicKey
}

// NewKeySet returns a set of keys; a later key replaces an earlier one with
// the same fingerprint.
func NewKeySet(keys ...*PublicKey) *KeySet {
	s := &KeySet{byFingerprint: make(map[string]*PublicKey, len(keys))}
	for _, k := range keys {
		s.byFingerprint[strings.ToLower(k.Fingerprint)] = k
	}
	return s
}

// Lookup returns the key with this fingerprint (hex, case-insensitive).
func (s *KeySet) Lookup(fingerprint string) (*PublicKey, bool) {
	if s == nil {
		return nil, false
	}
	k, ok := s.byFingerprint[strings.ToLower(fingerprint)]
	return k, ok
}

// Len is the number of keys in the set.
func (s *KeySet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byFingerprint)
}

// KeyError is a problem with one entry of a public-keys file: Index is its
// position in PublicKeyList, -1 for the file as a whole.
type KeyError struct {
	Index int
	Field string
	Err   error
}

// Error names the field and the problem.
func (e *KeyError) Error() string {
	if e.Index < 0 {
		return "public keys: " + e.Err.Error()
	}
	s := "public keys: PublicKeyList[" + strconv.Itoa(e.Index) + "]"
	if e.Field != "" {
		s += "." + e.Field
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the problem.
func (e *KeyError) Unwrap() error { return e.Err }

// LoadPublicKeys reads the output of `aws cloudtrail list-public-keys`:
//
//	{"PublicKeyList": [{"Value": "<base64 DER>", "ValidityStartTime": "...",
//	  "ValidityEndTime": "...", "Fingerprint": "<hex>"}]}
//
// Value is an RSA public key in DER, PKCS#1 (RSAPublicKey, as CloudTrail
// returns it) or PKIX (SubjectPublicKeyInfo). Validity times are RFC 3339
// strings or Unix seconds, and optional. Every error is a *KeyError.
func LoadPublicKeys(r io.Reader) (*KeySet, error) {
	var file struct {
		PublicKeyList *[]struct {
			Value             *string         `json:"Value"`
			Fingerprint       *string         `json:"Fingerprint"`
			ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
			ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
		} `json:"PublicKeyList"`
	}
	if err := json.NewDecoder(r).Decode(&file); err != nil {
		return nil, &KeyError{Index: -1, Err: fmt.Errorf("decode: %w", err)}
	}
	if file.PublicKeyList == nil {
		return nil, &KeyError{Index: -1, Err: errors.New("no PublicKeyList")}
	}
	set := NewKeySet()
	for i, e := range *file.PublicKeyList {
		if e.Fingerprint == nil || *e.Fingerprint == "" {
			return nil, &KeyError{Index: i, Field: "Fingerprint", Err: errMissing}
		}
		if e.Value == nil || *e.Value == "" {
			return nil, &KeyError{Index: i, Field: "Value", Err: errMissing}
		}
		der, err := base64.StdEncoding.DecodeString(*e.Value)
		if err != nil {
			return nil, &KeyError{Index: i, Field: "Value", Err: fmt.Errorf("not base64: %w", err)}
		}
		pub, err := ParsePublicKeyDER(der)
		if err != nil {
			return nil, &KeyError{Index: i, Field: "Value", Err: err}
		}
		k := &PublicKey{Fingerprint: *e.Fingerprint, Key: pub}
		if k.ValidityStart, err = keyTime(e.ValidityStartTime); err != nil {
			return nil, &KeyError{Index: i, Field: "ValidityStartTime", Err: err}
		}
		if k.ValidityEnd, err = keyTime(e.ValidityEndTime); err != nil {
			return nil, &KeyError{Index: i, Field: "ValidityEndTime", Err: err}
		}
		if old, dup := set.Lookup(k.Fingerprint); dup && !old.Key.Equal(pub) {
			return nil, &KeyError{Index: i, Field: "Fingerprint", Err: fmt.Errorf("%s names two different keys", k.Fingerprint)}
		}
		set.byFingerprint[strings.ToLower(k.Fingerprint)] = k
	}
	return set, nil
}

// ParsePublicKeyDER parses an RSA public key in DER: PKCS#1 or PKIX.
func ParsePublicKeyDER(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not an RSA public key in PKCS#1 or PKIX DER: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA public key", k)
	}
	return rk, nil
}

// keyTime reads a validity time: RFC 3339, Unix seconds, or absent/null.
func keyTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("not an RFC 3339 time: %w", err)
		}
		return t.UTC(), nil
	}
	var secs float64
	if err := json.Unmarshal(raw, &secs); err != nil {
		return time.Time{}, errors.New("neither an RFC 3339 string nor Unix seconds")
	}
	return time.UnixMilli(int64(secs * 1000)).UTC(), nil
}
