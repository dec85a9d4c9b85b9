package snapshot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// bucketID is the ResourceID of a bucket: region "global", as the reducer
// has it (its own region is the state's "region").
func bucketID(account, name string) state.ResourceID {
	return state.ResourceID{Account: account, Region: "global", Type: typeBucket, ID: name, ARN: "arn:aws:s3:::" + name}
}

// observeBuckets reads aws s3api list-buckets: a complete listing of the
// account's buckets. It covers "region" only where the listing tells it
// (BucketRegion, printed by recent CLIs).
func observeBuckets(o *obs, top map[string]any) {
	o.complete(typeBucket, o.d.Account, "global")
	for i, b := range o.list(top, "", "Buckets") {
		p := fmt.Sprintf("Buckets[%d]", i)
		name := o.need(b, p, "Name")
		if name == "" {
			continue
		}
		s := map[string]any{"name": name}
		covers := []string{"name"}
		if _, ok := b["BucketRegion"]; ok {
			s["region"] = o.str(b, p, "BucketRegion")
			covers = append(covers, "region")
		}
		o.add(bucketID(o.d.Account, name), s, covers...)
	}
}

// The per-bucket kinds take null or {} data to mean that the bucket has
// none (what a collector writes for NoSuchBucketPolicy and the like): the
// key is covered and absent.

// observeBucketPolicy reads aws s3api get-bucket-policy: the policy is a
// string, kept as the decoded document.
func observeBucketPolicy(o *obs, top map[string]any) {
	s := map[string]any{"name": o.d.Bucket}
	if v, ok := top["Policy"]; ok && v != nil {
		ps, ok := v.(string)
		if !ok {
			o.fail("Policy", "is %s, want a string", jsonType(v))
			return
		}
		doc := document(ps)
		if _, ok := doc.(map[string]any); !ok {
			o.fail("Policy", "is not a JSON policy document")
			return
		}
		s["policy"] = doc
	}
	o.add(bucketID(o.d.Account, o.d.Bucket), s, "name", "policy")
}

// observeBucketPart reads a per-bucket call whose answer is one object at
// member, kept as it is under field.
func observeBucketPart(field, member string) func(*obs, map[string]any) {
	return func(o *obs, top map[string]any) {
		s := map[string]any{"name": o.d.Bucket}
		if v := o.obj(top, "", member); v != nil {
			s[field] = v
		}
		o.add(bucketID(o.d.Account, o.d.Bucket), s, "name", field)
	}
}

// observeBucketEncryption reads aws s3api get-bucket-encryption. CloudTrail
// logs PutBucketEncryption's XML body, where the rules are "Rule" (one
// object, or a list of several) rather than the CLI's "Rules" list: the
// state takes CloudTrail's form.
func observeBucketEncryption(o *obs, top map[string]any) {
	s := map[string]any{"name": o.d.Bucket}
	if c := o.obj(top, "", "ServerSideEncryptionConfiguration"); c != nil {
		rules := o.list(c, "ServerSideEncryptionConfiguration", "Rules")
		switch len(rules) {
		case 0:
		case 1:
			s["encryption"] = map[string]any{"Rule": rules[0]}
		default:
			l := make([]any, len(rules))
			for i, r := range rules {
				l[i] = r
			}
			s["encryption"] = map[string]any{"Rule": l}
		}
	}
	o.add(bucketID(o.d.Account, o.d.Bucket), s, "name", "encryption")
}

// observeBucketACL reads aws s3api get-bucket-acl. An ACL that a canned ACL
// makes is kept as its name ("private", "public-read", ...), as the reducer
// keeps PutBucketAcl's x-amz-acl; any other as CloudTrail logs an
// AccessControlPolicy: {"Owner": {"ID"}, "AccessControlList": {"Grant":
// [{"Grantee": {"xsi:type", "ID" or "URI"}, "Permission"}]}}.
func observeBucketACL(o *obs, top map[string]any) {
	s := map[string]any{"name": o.d.Bucket}
	owner := o.str(o.obj(top, "", "Owner"), "Owner", "ID")
	var grants []any
	for i, g := range o.list(top, "", "Grants") {
		p := fmt.Sprintf("Grants[%d]", i)
		ge := o.obj(g, p, "Grantee")
		gv := map[string]any{"xsi:type": o.str(ge, p+".Grantee", "Type")}
		for _, k := range []string{"ID", "URI", "EmailAddress"} {
			if v := o.str(ge, p+".Grantee", k); v != "" {
				gv[k] = v
			}
		}
		grants = append(grants, map[string]any{"Grantee": gv, "Permission": o.str(g, p, "Permission")})
	}
	acl := map[string]any{"Owner": map[string]any{"ID": owner}, "AccessControlList": map[string]any{"Grant": grants}}
	if canned := CannedACL(acl); canned != "" {
		s["acl"] = canned
	} else {
		s["acl"] = acl
	}
	o.add(bucketID(o.d.Account, o.d.Bucket), s, "name", "acl")
}

// canned maps the grants a canned ACL makes, sorted, to its name.
var canned = map[string]string{
	"owner:FULL_CONTROL":                                        "private",
	"AllUsers:READ owner:FULL_CONTROL":                          "public-read",
	"AllUsers:READ AllUsers:WRITE owner:FULL_CONTROL":           "public-read-write",
	"AuthenticatedUsers:READ owner:FULL_CONTROL":                "authenticated-read",
	"LogDelivery:READ_ACP LogDelivery:WRITE owner:FULL_CONTROL": "log-delivery-write",
}

// CannedACL returns the canned ACL an AccessControlPolicy (as CloudTrail
// logs it, or as observeBucketACL builds it) amounts to, or "" when none
// does; a string is returned as it is.
func CannedACL(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	grants := ACLGrants(v)
	if grants == nil {
		return ""
	}
	return canned[strings.Join(grants, " ")]
}

// ACLGrants returns the grants of an AccessControlPolicy as sorted
// "grantee:PERMISSION" strings, the owner's canonical id written "owner"
// and the S3 groups by their last path element (AllUsers, ...); nil when v
// is not one.
func ACLGrants(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	owner, _ := getPath(m, "Owner", "ID").(string)
	var list []any
	switch g := getPath(m, "AccessControlList", "Grant").(type) {
	case []any:
		list = g
	case map[string]any:
		list = []any{g}
	}
	out := []string{}
	for _, x := range list {
		g, _ := x.(map[string]any)
		ge, _ := g["Grantee"].(map[string]any)
		perm, _ := g["Permission"].(string)
		who := ""
		if id, _ := ge["ID"].(string); id != "" {
			who = id
			if id == owner {
				who = "owner"
			}
		} else if uri, _ := ge["URI"].(string); uri != "" {
			who = uri[strings.LastIndexByte(uri, '/')+1:]
		} else if e, _ := ge["EmailAddress"].(string); e != "" {
			who = e
		}
		out = append(out, who+":"+perm)
	}
	slices.Sort(out)
	return out
}

func getPath(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}
