package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeTrail is the resource type of a CloudTrail trail. Its ID is the trail
// name; a request that names the trail by ARN is reduced to the name, in
// the ARN's region and account (the trail's home region).
//
// State: name, arn, s3BucketName, s3KeyPrefix, snsTopicName,
// isMultiRegionTrail, includeGlobalServiceEvents, isOrganizationTrail,
// logFileValidationEnabled, kmsKeyId, cloudWatchLogsLogGroupArn,
// cloudWatchLogsRoleArn, isLogging, eventSelectors or
// advancedEventSelectors, insightSelectors, tags.
const TypeTrail = "AWS::CloudTrail::Trail"

func init() {
	register("cloudtrail.amazonaws.com", map[string]reducer{
		"CreateTrail":         createTrail,
		"UpdateTrail":         updateTrail,
		"DeleteTrail":         trailOp(func(r state.ResourceID) state.Change { return state.Change{Resource: r, Op: state.OpDelete} }),
		"StartLogging":        trailOp(func(r state.ResourceID) state.Change { return trailSet(r, "isLogging", true) }),
		"StopLogging":         trailOp(func(r state.ResourceID) state.Change { return trailSet(r, "isLogging", false) }),
		"PutEventSelectors":   putEventSelectors,
		"PutInsightSelectors": putInsightSelectors,
		"AddTags":             trailTags(true),
		"RemoveTags":          trailTags(false),
	})
}

// trailFields are the configuration fields that CreateTrail and UpdateTrail
// requests and responses share.
var trailFields = []string{"s3BucketName", "s3KeyPrefix", "snsTopicName", "isMultiRegionTrail", "includeGlobalServiceEvents",
	"isOrganizationTrail", "kmsKeyId", "cloudWatchLogsLogGroupArn", "cloudWatchLogsRoleArn"}

// trail returns the trail named by requestParameters.<param> (a name or an
// ARN), else by the response.
func trail(c *call, param string) (state.ResourceID, error) {
	v := firstNonEmpty(str(c.req, param), str(c.resp, "trailARN"), str(c.resp, "name"))
	name := v
	if n, ok := arnResource(v, ":trail/"); ok {
		name = n
	}
	if name == "" {
		return state.ResourceID{}, c.errorf("no requestParameters.%s", param)
	}
	r := c.id(TypeTrail, name)
	if region, account := arnRegionAccount(v); region != "" && account != "" {
		r.Region, r.Account = region, account
	}
	r.ARN = str(c.resp, "trailARN")
	if _, ok := arnResource(v, ":trail/"); ok && r.ARN == "" {
		r.ARN = v
	}
	return r, nil
}

func trailSet(r state.ResourceID, field string, v any) state.Change {
	return state.Change{Resource: r, Op: state.OpSet, Path: []string{field}, Value: v}
}

func trailOp(change func(state.ResourceID) state.Change) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := trail(c, "name")
		if err != nil {
			return nil, err
		}
		return []state.Change{change(r)}, nil
	}
}

// trailConfig reads the configuration of a create or update: the response
// (the trail as it now is) over the request. A request field set to ""
// (kmsKeyId, s3KeyPrefix, ...) that the response does not hold is removed:
// it is in unset.
func trailConfig(c *call) (set map[string]any, unset []string) {
	set = map[string]any{}
	copyFields(set, c.req, trailFields...)
	if v, ok := c.req["enableLogFileValidation"]; ok && v != nil {
		set["logFileValidationEnabled"] = v
	}
	copyFields(set, c.resp, trailFields...)
	copyFields(set, c.resp, "logFileValidationEnabled")
	for _, k := range sortedKeys(set) {
		if set[k] == "" {
			delete(set, k)
			unset = append(unset, k)
		}
	}
	return set, unset
}

// createTrail records a trail that does not log yet: logging starts with
// StartLogging.
func createTrail(c *call) ([]state.Change, error) {
	r, err := trail(c, "name")
	if err != nil {
		return nil, err
	}
	s, _ := trailConfig(c)
	s["name"] = r.ID
	s["isLogging"] = false
	if r.ARN != "" {
		s["arn"] = r.ARN
	}
	if t := kvTags(c.req["tagsList"]); len(t) > 0 {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

func updateTrail(c *call) ([]state.Change, error) {
	r, err := trail(c, "name")
	if err != nil {
		return nil, err
	}
	s, unset := trailConfig(c)
	out := setChanges(r, s)
	for _, k := range unset {
		out = append(out, state.Change{Resource: r, Op: state.OpUnset, Path: []string{k}})
	}
	return out, nil
}

// putEventSelectors replaces the trail's selectors: basic and advanced
// selectors exclude each other, so setting one removes the other.
func putEventSelectors(c *call) ([]state.Change, error) {
	r, err := trail(c, "trailName")
	if err != nil {
		return nil, err
	}
	for _, f := range [2][2]string{{"eventSelectors", "advancedEventSelectors"}, {"advancedEventSelectors", "eventSelectors"}} {
		v := c.resp[f[0]]
		if v == nil {
			v = c.req[f[0]]
		}
		if v != nil {
			return []state.Change{
				{Resource: r, Op: state.OpSet, Path: []string{f[0]}, Value: v},
				{Resource: r, Op: state.OpUnset, Path: []string{f[1]}},
			}, nil
		}
	}
	return nil, c.errorf("no eventSelectors or advancedEventSelectors")
}

func putInsightSelectors(c *call) ([]state.Change, error) {
	r, err := trail(c, "trailName")
	if err != nil {
		return nil, err
	}
	v := c.resp["insightSelectors"]
	if v == nil {
		v = c.req["insightSelectors"]
	}
	if v == nil {
		return nil, c.errorf("no insightSelectors")
	}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"insightSelectors"}, Value: v}}, nil
}

// trailTags handles AddTags and RemoveTags, whose resourceId is the
// trail's ARN (other CloudTrail resources, such as event data stores, are
// not trails).
func trailTags(add bool) reducer {
	return func(c *call) ([]state.Change, error) {
		id := str(c.req, "resourceId")
		if id == "" {
			return nil, c.errorf("no requestParameters.resourceId")
		}
		if _, ok := arnResource(id, ":trail/"); !ok {
			return nil, nil
		}
		r, err := trail(c, "resourceId")
		if err != nil {
			return nil, err
		}
		tags := kvTags(c.req["tagsList"])
		if add {
			return tagChanges(r, tags), nil
		}
		keys := make([]any, 0, len(tags))
		for _, k := range sortedKeys(tags) {
			keys = append(keys, k)
		}
		return untagChanges(r, keys), nil
	}
}
