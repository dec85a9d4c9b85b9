package snapshot

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Difference is how a stored value and an observed one differ.
type Difference int

const (
	// Same: no difference worth a change (the same value, possibly in
	// another representation: 3600 and 3600.0, {} and absent).
	Same Difference = iota
	// Refresh: the snapshot tells more, or later, than the events could: an
	// id or ARN the events did not log, a transition AWS makes by itself
	// (an instance pending → running), or a default AWS applies without a
	// call (a new bucket's SSE-S3 encryption). It is recorded, not reported.
	Refresh
	// Drift: the resource changed without an event trailwarden has seen.
	Drift
)

// informational keys only identify a resource, or tell what no event may
// have set: learning them (the store has none) is no drift.
var informational = map[string]bool{
	"userId": true, "roleId": true, "groupId": true, "policyId": true, "arn": true, "functionArn": true,
	"region": true, "availabilityZone": true, "privateIpAddress": true, "name": true,
	// what the events may predate: the launch's metadata options, a VPC's
	// first CIDR association
	"metadataOptions": true, "cidrBlockAssociations": true,
	// what a reducer leaves unknown when the response is missing, or unsets
	// because the event does not tell it (SetDefaultPolicyVersion does not
	// log the version's document)
	"dhcpOptionsId": true, "document": true, "defaultVersionId": true, "codeSha256": true,
}

// unordered keys hold lists whose order means nothing (a set of ids).
var unordered = map[string]bool{
	typeInstance + "/securityGroups": true,
	typeFunction + "/vpcConfig":      true,
}

// sortLists sorts, in place, every list of strings in v.
func sortLists(v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			sortLists(x)
		}
	case []any:
		slices.SortFunc(v, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	}
}

// transitions AWS makes without a logged call, per type and key.
var transitions = map[string]map[string]string{
	typeInstance + "/state": {"pending": "running", "stopping": "stopped"},
	typeVPC + "/state":      {"pending": "available"},
}

// Compare classifies the difference between the value of top-level key of
// a resource of type typ in the store (stored) and in a snapshot
// (observed); nil means absent.
func Compare(typ, key string, stored, observed any) Difference {
	s, o := Canonical(stored), Canonical(observed)
	if typ == typeBucket && key == "acl" {
		s, o = aclCanon(s), aclCanon(o)
	}
	if unordered[typ+"/"+key] {
		sortLists(s)
		sortLists(o)
	}
	if reflect.DeepEqual(s, o) {
		return Same
	}
	if s == nil && informational[key] {
		return Refresh
	}
	if s == nil && isDefault(typ, key, o) {
		return Refresh
	}
	if t := transitions[typ+"/"+key]; t != nil {
		if ss, ok := s.(string); ok && t[ss] == o {
			return Refresh
		}
	}
	return Drift
}

// isDefault reports whether v is what AWS gives a resource that no call
// configured, where the reducer leaves the key out.
func isDefault(typ, key string, v any) bool {
	switch typ {
	case typeVPC:
		return key == "isDefault" && v == false
	case typeFunction: // Lambda's defaults when CreateFunction does not say
		return key == "timeout" && v == 3.0 || key == "memorySize" && v == 128.0
	case typeBucket:
	default:
		return false
	}
	switch key {
	case "acl":
		return v == "private"
	case "encryption": // SSE-S3 on every bucket since January 2023
		return reflect.DeepEqual(v, map[string]any{"Rule": map[string]any{
			"ApplyServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}}) ||
			reflect.DeepEqual(v, map[string]any{"Rule": map[string]any{
				"ApplyServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}})
	case "publicAccessBlock": // all four on for buckets created since April 2023
		return reflect.DeepEqual(v, map[string]any{"BlockPublicAcls": true, "IgnorePublicAcls": true,
			"BlockPublicPolicy": true, "RestrictPublicBuckets": true})
	}
	return false
}

// aclCanon compares ACLs by the grants they make.
func aclCanon(v any) any {
	if v == nil {
		return nil
	}
	if c := CannedACL(v); c != "" {
		return c
	}
	if g := ACLGrants(v); g != nil {
		return strings.Join(g, " ")
	}
	return v
}

// Canonical returns v in one representation for comparison: numbers as
// float64, "true" and "false" as booleans (CloudTrail logs some XML
// booleans as strings), members that say nothing (null, "", {}, [])
// dropped from maps, and nil for a value that says nothing.
func Canonical(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var g any
	if json.Unmarshal(b, &g) != nil {
		return v
	}
	return canon(g)
}

func canon(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if c := canon(x); c == nil {
				delete(v, k)
			} else {
				v[k] = c
			}
		}
		if len(v) == 0 {
			return nil
		}
		return v
	case []any:
		if len(v) == 0 {
			return nil
		}
		for i, x := range v {
			v[i] = canon(x)
		}
		return v
	case string:
		switch v {
		case "":
			return nil
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}
