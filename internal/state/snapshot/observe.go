package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reduce"
)

// Observed is one resource as a snapshot shows it, in the shape the
// reducers of package reduce give its state: camelCase keys, tags as a
// map, sets as maps keyed by identity, policy documents as objects.
type Observed struct {
	ID    state.ResourceID
	State map[string]any
	// Covers lists, sorted, the top-level keys the snapshot speaks for. A
	// key covered but absent from State is known to be absent (no
	// permissions boundary, no bucket policy). Keys not covered (an
	// instance's user data, a user's access keys) say nothing.
	Covers []string
}

// Scope is every resource of one type in one account and region
// ("global" for IAM and S3 buckets).
type Scope struct {
	Type    string `json:"type"`
	Account string `json:"account"`
	Region  string `json:"region"`
}

// Observation is what one Document shows.
type Observation struct {
	Resources []Observed
	// Complete lists the scopes the document lists in full: a resource of
	// one of them that is not in Resources did not exist when the snapshot
	// was taken. A terminated instance counts as absent.
	Complete []Scope
}

// ErrUnsupported is wrapped when a Document's kind has no normaliser yet
// (the collector may gather kinds, such as KMS keys, before trailwarden
// reduces them): reconciliation skips the document.
var ErrUnsupported = errors.New("snapshot kind not reconciled yet")

// The resource types, as the reducers name them.
const (
	typeInstance      = reduce.TypeInstance
	typeSecurityGroup = reduce.TypeSecurityGroup
	typeVPC           = reduce.TypeVPC
	typeUser          = reduce.TypeUser
	typeRole          = reduce.TypeRole
	typeGroup         = reduce.TypeGroup
	typePolicy        = reduce.TypePolicy
	typeBucket        = reduce.TypeBucket
	typeFunction      = reduce.TypeFunction
)

// Observe normalises d into state-shaped resources. A shape it cannot read
// is an error naming the member (Reservations[0].Instances[2]: ...).
func Observe(d Document) (*Observation, error) {
	f, ok := observers[d.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, d.Kind)
	}
	switch {
	case d.Account == "":
		return nil, fmt.Errorf("%s: no account (--account)", d.Kind)
	case d.Region == "" && !global(d.Kind):
		return nil, fmt.Errorf("%s: no region (--region)", d.Kind)
	case d.Bucket == "" && perBucket(d.Kind):
		return nil, fmt.Errorf("%s: no bucket (--bucket)", d.Kind)
	}
	var data any
	dec := json.NewDecoder(bytes.NewReader(d.Data))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("%s data: %w", d.Kind, err)
	}
	top, ok := data.(map[string]any)
	if !ok && data != nil {
		return nil, fmt.Errorf("%s data is %s, want an object", d.Kind, jsonType(data))
	}
	o := &obs{d: d, out: &Observation{}}
	f(o, top)
	if o.err != nil {
		return nil, fmt.Errorf("%s: %w", d.Kind, o.err)
	}
	for i := range o.out.Resources {
		r := &o.out.Resources[i]
		slices.Sort(r.Covers)
		for k, v := range r.State {
			if isZero(v) {
				delete(r.State, k)
			}
		}
	}
	return o.out, nil
}

var observers = map[Kind]func(*obs, map[string]any){
	EC2Instances:        observeInstances,
	EC2SecurityGroups:   observeSecurityGroups,
	EC2VPCs:             observeVPCs,
	IAMAuthorization:    observeIAM,
	S3Buckets:           observeBuckets,
	S3BucketPolicy:      observeBucketPolicy,
	S3BucketACL:         observeBucketACL,
	S3PublicAccessBlock: observeBucketPart("publicAccessBlock", "PublicAccessBlockConfiguration"),
	S3BucketEncryption:  observeBucketEncryption,
	LambdaFunctions:     observeFunctions,
}

// obs reads one document, keeping the first shape error.
type obs struct {
	d   Document
	out *Observation
	err error
}

func (o *obs) fail(path, format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
}

// add records a resource; covers lists the keys it speaks for.
func (o *obs) add(id state.ResourceID, s map[string]any, covers ...string) {
	o.out.Resources = append(o.out.Resources, Observed{ID: id, State: s, Covers: covers})
}

func (o *obs) complete(typ, account, region string) {
	o.out.Complete = append(o.out.Complete, Scope{Type: typ, Account: account, Region: region})
}

// list returns the objects of the list at m[key]; absent or null is empty.
func (o *obs) list(m map[string]any, path, key string) []map[string]any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		o.fail(path+"."+key, "is %s, want a list", jsonType(v))
		return nil
	}
	out := make([]map[string]any, 0, len(l))
	for i, x := range l {
		xm, ok := x.(map[string]any)
		if !ok {
			o.fail(fmt.Sprintf("%s.%s[%d]", path, key, i), "is %s, want an object", jsonType(x))
			return nil
		}
		out = append(out, xm)
	}
	return out
}

// strs returns the strings of the list at m[key].
func (o *obs) strs(m map[string]any, path, key string) []any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		o.fail(path+"."+key, "is %s, want a list", jsonType(v))
		return nil
	}
	for i, x := range l {
		if _, ok := x.(string); !ok {
			o.fail(fmt.Sprintf("%s.%s[%d]", path, key, i), "is %s, want a string", jsonType(x))
			return nil
		}
	}
	return l
}

// obj returns the object at m[key]; nil when absent or null.
func (o *obs) obj(m map[string]any, path, key string) map[string]any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	om, ok := v.(map[string]any)
	if !ok {
		o.fail(path+"."+key, "is %s, want an object", jsonType(v))
	}
	return om
}

// str returns the string at m[key]; "" when absent or null.
func (o *obs) str(m map[string]any, path, key string) string {
	v, ok := m[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		o.fail(path+"."+key, "is %s, want a string", jsonType(v))
	}
	return s
}

// need returns the string at m[key] and fails when it is empty.
func (o *obs) need(m map[string]any, path, key string) string {
	s := o.str(m, path, key)
	if s == "" {
		o.fail(path, "no %s", key)
	}
	return s
}

// tags turns [{Key, Value}] into a map.
func (o *obs) tags(m map[string]any, path, key string) map[string]any {
	out := map[string]any{}
	for i, t := range o.list(m, path, key) {
		k := o.str(t, fmt.Sprintf("%s.%s[%d]", path, key, i), "Key")
		if k != "" {
			out[k] = fmt.Sprint(orEmpty(t["Value"]))
		}
	}
	return out
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// document decodes a policy document: an object (the CLI decodes them), or
// a URL-encoded JSON string (the raw API, and SDK collectors).
func document(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if dec.Decode(&doc) == nil {
		return doc
	}
	return s
}

// isZero reports whether v says nothing: null, "", or an empty map or
// list. The reducers leave such keys out.
func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// arnParts returns the account and region of an ARN.
func arnParts(arn string) (account, region string) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return "", ""
	}
	return p[4], p[3]
}
