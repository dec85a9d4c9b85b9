package ctjson

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"reflect"
	"testing"
	"unicode/utf8"
)

var validCases = []string{
	`{}`, `[]`, `"x"`, `0`, `-0`, `1.5e10`, `-12.25E-3`, `true`, `false`, `null`,
	`{"a":[1,2,{"b":null}],"c":"\u00e9\n\"q\"","d":{"e":{}}}`,
	`[ 1 , "two" , [ ] , { } ]`, `"h\u00e9llo w\ud83d\ude00rld"`, "\"caf\xc3\xa9\"",
}

var invalidCases = []string{
	``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `"abc`, `"a\x"`, `"\u12g4"`,
	"\"a\x01b\"", "\"\xff\"", `01`, `1.`, `1e`, `-`, `tru`, `nul`, `{"a" 1}`, `{1:2}`, `[`, `]`,
}

func TestSkipAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range append(append([]string{}, validCases...), invalidCases...) {
		b := []byte(c)
		end, err := Skip(b, 0)
		ok := err == nil && SkipSpace(b, end) == len(b)
		if want := json.Valid(b) && utf8.Valid(b); ok != want {
			t.Errorf("Skip(%q): valid=%v, encoding/json says %v (err %v)", c, ok, want, err)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Skip(%q): error %T is not a *SyntaxError", c, err)
			}
		}
	}
}

func TestValueAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range validCases {
		got, err := Value([]byte(c))
		if err != nil {
			t.Fatalf("Value(%q): %v", c, err)
		}
		var want any
		if err := json.Unmarshal([]byte(c), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), want) {
			t.Errorf("Value(%q) = %#v, want %#v", c, got, want)
		}
	}
}

// normalize turns int64 into float64 as encoding/json produces.
func normalize(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	}
	return v
}

func TestFind(t *testing.T) {
	obj := []byte(`{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","n":{"x":1},"k\u0065y":"v"}`)
	for key, want := range map[string]string{"type": `"IAMUser"`, "n": `{"x":1}`, "key": `"v"`} {
		v, ok, err := Find(obj, key)
		if err != nil || !ok || string(v) != want {
			t.Errorf("Find(%s) = %s, %v, %v; want %s", key, v, ok, err, want)
		}
	}
	if _, ok, err := Find(obj, "missing"); ok || err != nil {
		t.Errorf("Find(missing) = %v, %v", ok, err)
	}
}

func TestNumberKinds(t *testing.T) {
	for raw, want := range map[string]any{"22": int64(22), "-3": int64(-3), "1.5": 1.5, "1e2": 100.0, "99999999999999999999": 1e20} {
		got, err := Number([]byte(raw))
		if err != nil || got != want {
			t.Errorf("Number(%s) = %#v, %v; want %#v", raw, got, err, want)
		}
	}
}

func FuzzSkip(f *testing.F) {
	for _, c := range append(append([]string{}, validCases...), invalidCases...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		start := SkipSpace(b, 0)
		end, err := Skip(b, start)
		ok := err == nil && SkipSpace(b, end) == len(b)
		// We are stricter than encoding/json on purpose: invalid UTF-8 is an error.
		if want := json.Valid(b) && utf8.Valid(b); ok != want {
			t.Fatalf("Skip(%q) valid=%v (err %v), encoding/json says %v", b, ok, err, want)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > int64(len(b)) {
				t.Fatalf("Skip(%q): bad error %#v", b, err)
			}
			return
		}
		if !ok {
			return
		}
		got, err := Value(b[start:end])
		var want any
		werr := json.Unmarshal(b, &want)
		if (err != nil) != (werr != nil) {
			// Both refuse numbers out of float64 range; nothing else may differ.
			t.Fatalf("Value(%q) err %v, encoding/json err %v", b, err, werr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(normalize(got), want) {
			// Large integers lose precision differently; compare via JSON text.
			gj, _ := json.Marshal(normalize(got))
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("Value(%q) = %s, encoding/json %s", b, gj, wj)
			}
		}
	})
}

func TestSpecialMaskFirst(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			for c2 := 0; c2 < 256; c2 += 7 { // a second byte after the first
				b := []byte("abcdefgh")
				b[pos] = byte(c)
				if pos < 7 {
					b[7] = byte(c2)
				}
				first := 8
				for i, x := range b {
					if !strSafe[x] {
						first = i
						break
					}
				}
				m := specialMask(binary.LittleEndian.Uint64(b))
				got := 8
				if m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != first {
					t.Fatalf("%q: first special at %d, mask says %d", b, first, got)
				}
			}
		}
	}
}

func TestSpecial8(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := !strSafe[byte(c)]
			if got := special8(binary.LittleEndian.Uint64(b)); got != want {
				t.Fatalf("byte 0x%02x at %d: special8 = %v, want %v", c, pos, got, want)
			}
		}
	}
}

func BenchmarkSkipRecord(b *testing.B) {
	rec := []byte(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:session","arn":"arn:aws:sts::111122223333:assumed-role/app-role/session","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/app-role","accountId":"111122223333","userName":"app-role"},"attributes":{"creationDate":"2024-03-04T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-03-04T01:02:03Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64","requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null,"requestID":"1b5c3e0f-4f5d-4a6b-8c7d-9e0f1a2b3c4d","eventID":"2c6d4f1a-5a6e-4b7c-9d8e-0f1a2b3c4d5e","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.us-east-1.amazonaws.com"}}`)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := Skip(rec, 0); err != nil {
			b.Fatal(err)
		}
	}
}
