package expr

import (
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// bucketFunctions declares bucketIsPublic(state): whether an S3 bucket's
// state (as the resource state keeps it: policy, acl, publicAccessBlock)
// grants access to anyone.
func bucketFunctions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("bucketIsPublic", cel.Overload("bucketIsPublic_dyn", []*cel.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				if v == types.NullValue {
					return types.False
				}
				st, err := policyDoc(v)
				if err != nil {
					return types.NewErr("invalid_argument: bucketIsPublic: %v", err)
				}
				return types.Bool(BucketIsPublic(st))
			}))),
	}
}

// publicGroups are the ACL grantees that mean everyone.
var publicGroups = []string{"/global/AllUsers", "/global/AuthenticatedUsers"}

// BucketIsPublic reports whether a bucket state grants public access: a
// policy that allows anyone (unless the public access block restricts or
// blocks public policies), or a public canned ACL or grant to everyone
// (unless the block ignores public ACLs). Account-level blocks are not in
// the bucket's state and are not considered.
func BucketIsPublic(st map[string]any) bool {
	pab, _ := st["publicAccessBlock"].(map[string]any)
	blocked := func(k string) bool {
		switch v := pab[k].(type) {
		case bool:
			return v
		case string:
			return strings.EqualFold(v, "true")
		}
		return false
	}
	if p, ok := st["policy"].(map[string]any); ok && PolicyAllowsPublic(p) && !blocked("RestrictPublicBuckets") && !blocked("BlockPublicPolicy") {
		return true
	}
	if blocked("IgnorePublicAcls") {
		return false
	}
	switch acl := st["acl"].(type) {
	case string:
		return acl == "public-read" || acl == "public-read-write" || acl == "authenticated-read"
	case map[string]any:
		return aclGrantsPublic(acl)
	}
	return false
}

// aclGrantsPublic walks an AccessControlPolicy for a grantee URI of a
// public group.
func aclGrantsPublic(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && strings.EqualFold(k, "URI") {
				for _, g := range publicGroups {
					if strings.HasSuffix(s, g) {
						return true
					}
				}
			}
			if aclGrantsPublic(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if aclGrantsPublic(x) {
				return true
			}
		}
	}
	return false
}
