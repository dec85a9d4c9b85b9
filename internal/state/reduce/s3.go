package reduce

import (
	"fmt"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeBucket is the resource type of an S3 bucket. Bucket names are global,
// so a bucket's ResourceID has Region "global" (its own region is in the
// state): every event about it lands in one history, whichever region
// logged it.
const TypeBucket = "AWS::S3::Bucket"

func init() {
	set := func(field string, from ...string) reducer { return bucketSet(field, from) }
	register("s3.amazonaws.com", map[string]reducer{
		"CreateBucket":                    createBucket,
		"DeleteBucket":                    bucketOp(state.OpDelete, ""),
		"PutBucketPolicy":                 bucketPolicy,
		"DeleteBucketPolicy":              bucketOp(state.OpUnset, "policy"),
		"PutBucketPublicAccessBlock":      set("publicAccessBlock", "PublicAccessBlockConfiguration"),
		"DeleteBucketPublicAccessBlock":   bucketOp(state.OpUnset, "publicAccessBlock"),
		"PutBucketAcl":                    bucketACL,
		"PutBucketEncryption":             set("encryption", "ServerSideEncryptionConfiguration"),
		"DeleteBucketEncryption":          bucketOp(state.OpUnset, "encryption"),
		"PutBucketVersioning":             set("versioning", "VersioningConfiguration", "Status"),
		"PutBucketTagging":                bucketTags,
		"DeleteBucketTagging":             bucketOp(state.OpUnset, "tags"),
		"PutBucketLogging":                bucketLogging,
		"PutBucketReplication":            bucketReplication,
		"DeleteBucketReplication":         bucketOp(state.OpUnset, "replication"),
		"PutBucketOwnershipControls":      set("ownershipControls", "OwnershipControls", "Rule", "ObjectOwnership"),
		"DeleteBucketOwnershipControls":   bucketOp(state.OpUnset, "ownershipControls"),
		"PutBucketWebsite":                set("website", "WebsiteConfiguration"),
		"DeleteBucketWebsite":             bucketOp(state.OpUnset, "website"),
		"PutBucketLifecycle":              set("lifecycle", "LifecycleConfiguration"),
		"PutBucketLifecycleConfiguration": set("lifecycle", "LifecycleConfiguration"),
		"DeleteBucketLifecycle":           bucketOp(state.OpUnset, "lifecycle"),
	})
}

func bucket(c *call) (state.ResourceID, error) {
	name := str(c.req, "bucketName")
	if name == "" {
		return state.ResourceID{}, c.errorf("no requestParameters.bucketName")
	}
	r := c.id(TypeBucket, name)
	r.Region = "global"
	r.ARN = "arn:aws:s3:::" + name
	return r, nil
}

func createBucket(c *call) ([]state.Change, error) {
	r, err := bucket(c)
	if err != nil {
		return nil, err
	}
	region := str(c.req, "CreateBucketConfiguration", "LocationConstraint")
	if region == "" {
		region = strings.Clone(c.e.Region)
	}
	s := map[string]any{"name": r.ID, "region": region}
	setIf(s, "acl", str(c.req, "x-amz-acl"))
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

// bucketOp deletes the bucket (field "") or unsets one field.
func bucketOp(op state.Op, field string) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := bucket(c)
		if err != nil {
			return nil, err
		}
		ch := state.Change{Resource: r, Op: op}
		if field != "" {
			ch.Path = []string{field}
		}
		return []state.Change{ch}, nil
	}
}

// bucketSet sets field to the request value at path from.
func bucketSet(field string, from []string) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := bucket(c)
		if err != nil {
			return nil, err
		}
		v := get(c.req, from...)
		if v == nil {
			return nil, c.errorf("no requestParameters.%s", strings.Join(from, "."))
		}
		return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{field}, Value: stripXMLNS(v)}}, nil
	}
}

// bucketPolicy keeps the policy document as structured data.
func bucketPolicy(c *call) ([]state.Change, error) {
	r, err := bucket(c)
	if err != nil {
		return nil, err
	}
	v := c.req["bucketPolicy"]
	if v == nil {
		// older records carry the document as a string in "policy"
		if s := str(c.req, "policy"); s != "" {
			v = jsonDocument(s)
		}
	}
	if v == nil {
		return nil, c.errorf("no requestParameters.bucketPolicy")
	}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"policy"}, Value: v}}, nil
}

// bucketACL keeps either the canned ACL or the AccessControlPolicy grants.
func bucketACL(c *call) ([]state.Change, error) {
	r, err := bucket(c)
	if err != nil {
		return nil, err
	}
	var v any
	if canned := str(c.req, "x-amz-acl"); canned != "" {
		v = canned
	} else if p := c.req["AccessControlPolicy"]; p != nil {
		v = stripXMLNS(p)
	} else {
		return nil, c.errorf("no requestParameters.x-amz-acl or AccessControlPolicy")
	}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"acl"}, Value: v}}, nil
}

// bucketTags replaces the tag set: Tagging.TagSet.Tag is one object or a
// list, and values may come as non-strings.
func bucketTags(c *call) ([]state.Change, error) {
	r, err := bucket(c)
	if err != nil {
		return nil, err
	}
	if get(c.req, "Tagging") == nil {
		return nil, c.errorf("no requestParameters.Tagging")
	}
	tags := tagMap(items(c.req, "Tagging", "TagSet", "Tag"))
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"tags"}, Value: tags}}, nil
}

// bucketLogging keeps the server access logging target; an empty
// BucketLoggingStatus (no LoggingEnabled) turns logging off.
func bucketLogging(c *call) ([]state.Change, error) {
	r, err := bucket(c)
	if err != nil {
		return nil, err
	}
	st, ok := c.req["BucketLoggingStatus"]
	if !ok {
		return nil, c.errorf("no requestParameters.BucketLoggingStatus")
	}
	le, _ := get(c.req, "BucketLoggingStatus", "LoggingEnabled").(map[string]any)
	if le == nil {
		if _, isMap := st.(map[string]any); !isMap && st != nil && st != "" {
			return nil, c.errorf("requestParameters.BucketLoggingStatus is %T, want an object", st)
		}
		return []state.Change{{Resource: r, Op: state.OpUnset, Path: []string{"logging"}}}, nil
	}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"logging"}, Value: stripXMLNS(le)}}, nil
}

// bucketReplication keeps a summary of the replication configuration: the
// role and, per rule ID, its status and destination (bucket ARN, account).
// Where the objects go is what matters for exfiltration.
func bucketReplication(c *call) ([]state.Change, error) {
	r, err := bucket(c)
	if err != nil {
		return nil, err
	}
	cfg, ok := c.req["ReplicationConfiguration"].(map[string]any)
	if !ok {
		return nil, c.errorf("no requestParameters.ReplicationConfiguration object")
	}
	rules := map[string]any{}
	list := items(cfg, "Rule")
	if len(list) == 0 {
		list = items(cfg, "Rules")
	}
	for i, rule := range list {
		id := firstNonEmpty(str(rule, "ID"), str(rule, "Id"), fmt.Sprintf("rule-%d", i+1))
		v := map[string]any{}
		setIf(v, "status", str(rule, "Status"))
		setIf(v, "destinationBucket", str(rule, "Destination", "Bucket"))
		setIf(v, "destinationAccount", str(rule, "Destination", "Account"))
		if p, ok := rule["Priority"]; ok {
			v["priority"] = p
		}
		rules[id] = v
	}
	v := map[string]any{"rules": rules}
	setIf(v, "role", str(cfg, "Role"))
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"replication"}, Value: v}}, nil
}
