package live

import (
	"encoding/json"
	"net/url"
	"reflect"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// cliJSON renders an SDK output struct in the shape the AWS CLI prints:
// the exported fields under their Go names (which are the API model's
// member names for the operations collected here), times in RFC 3339 UTC,
// unset members (nil pointers, slices and maps; empty enums) left out, and
// ResultMetadata and unexported fields dropped. drop names top-level
// members to leave out as well, such as pagination flags.
func cliJSON(out any, drop ...string) (json.RawMessage, error) {
	return json.Marshal(cliTree(out, drop...))
}

// cliTree is cliJSON before the final marshalling, for callers that
// rewrite members (IAM's policy documents).
func cliTree(out any, drop ...string) any {
	v := cliValue(reflect.ValueOf(out))
	if m, ok := v.(map[string]any); ok {
		for _, k := range drop {
			delete(m, k)
		}
	}
	return v
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	metadataType = reflect.TypeFor[middleware.Metadata]()
)

// cliValue converts v into plain JSON values (maps, slices, strings,
// numbers, bools, nil).
func cliValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return cliValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
		}
		m := make(map[string]any)
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Type == metadataType || unset(v.Field(i)) {
				continue
			}
			m[f.Name] = cliValue(v.Field(i))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes() // base64, as the CLI prints blobs
		}
		s := make([]any, v.Len())
		for i := range s {
			s[i] = cliValue(v.Index(i))
		}
		return s
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = cliValue(it.Value())
		}
		return m
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	default:
		return nil
	}
}

// unset reports whether a struct field holds no value: a nil pointer,
// slice, map or interface, or the empty string of an enum (the SDK's
// enums are plain string types, never pointers).
func unset(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return v.IsNil()
	case reflect.String:
		return v.Len() == 0
	}
	return false
}

// policyMembers are the IAM members holding a policy document. The API
// sends them URL-encoded; the CLI prints them decoded, as JSON objects.
var policyMembers = map[string]bool{
	"AssumeRolePolicyDocument": true,
	"PolicyDocument":           true,
	"Document":                 true,
}

// decodePolicies replaces, anywhere in v, each policy member's
// URL-encoded string with the JSON value it encodes. A string that does
// not decode is kept as it is.
func decodePolicies(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && policyMembers[k] {
				if doc, ok := decodePolicy(s); ok {
					v[k] = doc
				}
				continue
			}
			decodePolicies(x)
		}
	case []any:
		for _, x := range v {
			decodePolicies(x)
		}
	}
}

func decodePolicy(s string) (any, bool) {
	plain, err := url.PathUnescape(s)
	if err != nil {
		plain = s
	}
	var doc any
	if err := json.Unmarshal([]byte(plain), &doc); err != nil {
		return nil, false
	}
	return doc, true
}
