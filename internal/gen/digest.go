package gen

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/klauspost/compress/gzip"
)

// demoKeyPEM is the private key gen signs digests with. It is published on
// purpose: it only makes synthetic trails verifiable; never trust it for
// anything else. Signatures are PKCS#1 v1.5, hence reproducible.
const demoKeyPEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAqIwIHFWZ/HtTq3L4ys2RmeMGBm7Pz7pPwkJ8v5NfAi5MTSCh
NG44WTt6j5uWF+QgciFAb2NTtDBlXT/tmaJAmv0gymQ2vEOwXlJYDL+ukPNxvQME
trQWTHDaf1HoqRIvignVhPFZqQQW89ksBBBbcIvW/pBa06kIiEYHMnCV5q1BI4k0
lCbEMzTohw2geCb5E/dMVs0balqIZAKiaAwBS1Hne6FID8AUzDd7CG87rNk5Mc1c
obYltgEHeMuhy6KxCKQ5M+soikYdAUzAthjFCAMHw79+YaDRPS/rLYS0kceDJCD0
7+KbgVKeQ+V8gNHtbxxcIIvnlYMfYl5MzwaSrwIDAQABAoIBAE4nFFGzHaJVuy/K
MXO0S1nMS4xrEIA1V2tvsfGRD6JuvmGbCjTKEOXLbyKs1bWBScwx//NGXtc0A6Rw
EqfE9OkJC43dVwYH6v1peDt9HCBJScmHX0WqjpZmU+JqpBPVg2ah9bhdwyHcbBoo
7sB5pzSyGwBSBlOT0wmBUy//xXo+xi96E/ZhAavbersKdfaCNIYAQ2T3YXG/lpuT
6gqdDldUC+2aCTjYV6TH2QIufJ1mVRCKqtwR0EJvj9Hwr6Um1myAy/4BAQ5OQ1Yb
QkO08c16Uyz7A/hdrUJVldwzk3sOU8AcVf7byfmaerS2c0Abl8PXtNmTMwYoJ4Z4
UbH7Ot0CgYEA1wcR0jONY4e/MZ/ycNJUVDujSOQjlASylaRSfLYRNCSd96l2+TNq
D8KIRRdwoiedUoeafByZunZv6A0xoafTqA17M5qOlYc4uToTq5fLdj0C9P9/8nqn
ryk3lz1o/z4HJGx7GPaPcTq7BZWX6fR6Dw2h/omk+p9adkr5f5jBRCsCgYEAyKmp
rXEfoDkvCd93z4PJmJTxyafa0eMo+8hJ/nE3sB0iRnvsI35jaySNuM/Lbakc/zw1
vOZ5At2cgHE4cWNnSSVJuqEVHGZ1uQdFjBgc1JZffCWkueqbZC7T67+scZHj57Iv
HVCdS67Xr3eBmL5mwWBs2fq6l5zSjgkwBbk1lY0CgYEAs5YM9UDnEjxam4iZhE61
7Y/NhOA9Mq9ls4ME/XFWFvWKFUEsw16Ec1smUoYMJPHu+/GTPZrpbYjjV6xFSl0P
ceiof+XSteG0p0ZxDTv+yuaT5KjLZGm6SJmk+yRn390fO/V6LdQm4wuJDVXuBZCQ
rKfXJu4woryaYfemP0IGD/cCgYBxid5iLvHwHKsK8RC/sBfvZ8dvjLR5sgjMfkWv
3Kvf0HxGWXQBmU/zndk6ywiV4exwVscpPVcXUgFtg6KmNdKJRrnzCZYCXc8ahIzL
ehFGEFeyzTHpqF+ITh7G88tE74F+5glWkviNjD6qH/qKTKGjpUWyCPZvNuLET1qG
wocZOQKBgQDEsBK0ZmRsRZxPZzYZ0ZFe3x0RCKxTK2VJVm0rlFD1FrOjl/BsKUTG
/gGnThk1fs2CKnN+fCck0TUMz9DLaOiSfWIc6/ZqvJh4/KT3boiUHUhF7emWipS9
WT/oGym8G1N9kuXS9KRkIP5Al/hcyjJAZGDox+KbVkXIlGaQCjzyJg==
-----END RSA PRIVATE KEY-----
`

// DemoKeysFile is the name of the public-keys file gen writes beside AWSLogs/
// when it writes digests (shaped like "aws cloudtrail list-public-keys"). It
// is hidden so that scanning the folder does not read it as a log file.
const DemoKeysFile = ".trailwarden-demo-public-keys.json"

// DefaultBucket is the bucket name digests record when Options.Bucket is empty.
const DefaultBucket = "trailwarden-demo-trail"

// digestTrail is the trail name in digest file names.
const digestTrail = "org-trail"

// logEntry is what a digest needs to know of one written log file.
type logEntry struct {
	key            string // relative to Out, with '/'
	sha            [32]byte
	oldest, newest int64
	delivery       int64
	acct, region   string
	written        bool
}

func demoKey() (*rsa.PrivateKey, []byte, string) {
	blk, _ := pem.Decode([]byte(demoKeyPEM))
	k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		panic("gen: demo key: " + err.Error())
	}
	der := x509.MarshalPKCS1PublicKey(&k.PublicKey)
	sum := sha256.Sum256(der)
	return k, der, hex.EncodeToString(sum[:16])
}

// writeDigests writes, for every account and region, one digest per hour of
// the dataset's span (empty hours too, as CloudTrail does), chained and
// signed, with a "<digest>.sig" sidecar holding the hex signature (as
// "aws s3 sync" drops the S3 metadata that carries it), and the public-keys
// file. It returns the number of digest files.
func writeDigests(o *Options, entries []logEntry, start, end int64) (int, error) {
	key, der, fp := demoKey()
	bucket := o.Bucket
	if bucket == "" {
		bucket = DefaultBucket
	}
	type cell struct{ acct, region string }
	byCell := map[cell][]logEntry{}
	for _, e := range entries {
		if e.written {
			c := cell{e.acct, e.region}
			byCell[c] = append(byCell[c], e)
		}
	}
	cells := make([]cell, 0, len(byCell))
	for c := range byCell {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].acct != cells[j].acct {
			return cells[i].acct < cells[j].acct
		}
		return cells[i].region < cells[j].region
	})
	first := start - start%3600
	last := end - end%3600 + 3600
	files := 0
	for _, c := range cells {
		logs := byCell[c]
		sort.Slice(logs, func(i, j int) bool {
			if logs[i].delivery != logs[j].delivery {
				return logs[i].delivery < logs[j].delivery
			}
			return logs[i].key < logs[j].key
		})
		var prevKey, prevSig string
		var prevHash [32]byte
		li := 0
		for h := first; h < last; h += 3600 {
			var list []map[string]any
			var oldest, newest int64 = -1, -1
			for ; li < len(logs) && logs[li].delivery < h+3600; li++ {
				l := logs[li]
				list = append(list, map[string]any{
					"s3Bucket": bucket, "s3Object": l.key, "hashValue": hex.EncodeToString(l.sha[:]),
					"hashAlgorithm": "SHA-256", "newestEventTime": stamp(l.newest), "oldestEventTime": stamp(l.oldest),
				})
				if oldest < 0 || l.oldest < oldest {
					oldest = l.oldest
				}
				if l.newest > newest {
					newest = l.newest
				}
			}
			endT := h + 3600
			dir, name := digestPath(c.acct, c.region, endT)
			dkey := dir + "/" + name
			d := digestDoc{
				AWSAccountID: c.acct, DigestStartTime: stamp(h), DigestEndTime: stamp(endT),
				DigestS3Bucket: bucket, DigestS3Object: dkey, DigestPublicKeyFingerprint: fp,
				DigestSignatureAlgorithm: "SHA256withRSA", LogFiles: list,
			}
			if d.LogFiles == nil {
				d.LogFiles = []map[string]any{}
			}
			if oldest >= 0 {
				o1, n1 := stamp(oldest), stamp(newest)
				d.OldestEventTime, d.NewestEventTime = &o1, &n1
			}
			if prevKey != "" {
				b, ph, ps := bucket, hex.EncodeToString(prevHash[:]), prevSig
				alg := "SHA-256"
				d.PreviousDigestS3Bucket, d.PreviousDigestS3Object = &b, &prevKey
				d.PreviousDigestHashValue, d.PreviousDigestHashAlgorithm, d.PreviousDigestSignature = &ph, &alg, &ps
			}
			raw, err := json.Marshal(&d)
			if err != nil {
				return files, fmt.Errorf("digest: %w", err)
			}
			sum := sha256.Sum256(raw)
			prevSigText := "null"
			if prevKey != "" {
				prevSigText = prevSig
			}
			signing := d.DigestEndTime + "\n" + bucket + "/" + dkey + "\n" + hex.EncodeToString(sum[:]) + "\n" + prevSigText
			hashed := sha256.Sum256([]byte(signing))
			sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, hashed[:])
			if err != nil {
				return files, fmt.Errorf("sign digest: %w", err)
			}
			sigHex := hex.EncodeToString(sig)
			var zb bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&zb, gzip.DefaultCompression)
			zw.Write(raw)
			if err := zw.Close(); err != nil {
				return files, fmt.Errorf("compress digest: %w", err)
			}
			full := filepath.Join(o.Out, filepath.FromSlash(dir))
			if err := os.MkdirAll(full, 0o755); err != nil {
				return files, fmt.Errorf("create directory: %w", err)
			}
			if err := os.WriteFile(filepath.Join(full, name), zb.Bytes(), 0o644); err != nil {
				return files, fmt.Errorf("write digest: %w", err)
			}
			if err := os.WriteFile(filepath.Join(full, name+".sig"), []byte(sigHex+"\n"), 0o644); err != nil {
				return files, fmt.Errorf("write signature: %w", err)
			}
			files++
			prevKey, prevSig, prevHash = dkey, sigHex, sum
		}
	}
	keys := map[string]any{"PublicKeyList": []map[string]any{{
		"Value": base64.StdEncoding.EncodeToString(der), "Fingerprint": fp,
		"ValidityStartTime": "2020-01-01T00:00:00Z", "ValidityEndTime": "2035-01-01T00:00:00Z",
	}}}
	kb, _ := json.MarshalIndent(keys, "", "  ")
	if err := os.WriteFile(filepath.Join(o.Out, DemoKeysFile), append(kb, '\n'), 0o644); err != nil {
		return files, fmt.Errorf("write public keys: %w", err)
	}
	return files, nil
}

// digestDoc is a CloudTrail digest file, fields in CloudTrail's order.
type digestDoc struct {
	AWSAccountID                string           `json:"awsAccountId"`
	DigestStartTime             string           `json:"digestStartTime"`
	DigestEndTime               string           `json:"digestEndTime"`
	DigestS3Bucket              string           `json:"digestS3Bucket"`
	DigestS3Object              string           `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string           `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string           `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string          `json:"newestEventTime"`
	OldestEventTime             *string          `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string          `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string          `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string          `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string          `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string          `json:"previousDigestSignature"`
	LogFiles                    []map[string]any `json:"logFiles"`
}

func stamp(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05Z") }

// digestPath returns the key directory and the file name of the digest
// ending at end (unix seconds).
func digestPath(acct, region string, end int64) (string, string) {
	t := time.Unix(end, 0).UTC()
	dir := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%04d/%02d/%02d", acct, region, t.Year(), t.Month(), t.Day())
	name := fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", acct, region, digestTrail, region, t.Format("20060102T150405Z"))
	return dir, name
}
