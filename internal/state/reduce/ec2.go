package reduce

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeInstance is the resource type of an EC2 instance.
const TypeInstance = "AWS::EC2::Instance"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"RunInstances":            runInstances,
		"StartInstances":          instanceState("pending"),
		"StopInstances":           instanceState("stopping"),
		"TerminateInstances":      terminateInstances,
		"CreateTags":              createTags,
		"DeleteTags":              deleteTags,
		"ModifyInstanceAttribute": modifyInstanceAttribute,
	})
}

// runInstances creates every instance of the reservation.
func runInstances(c *call) ([]state.Change, error) {
	list := items(c.resp, "instancesSet")
	if len(list) == 0 {
		return nil, c.errorf("no responseElements.instancesSet.items: the instance ids are unknown")
	}
	// tags requested for instances, used when the response does not echo them
	reqTags := map[string]any{}
	for _, ts := range items(c.req, "tagSpecificationSet") {
		if str(ts, "resourceType") == "instance" {
			for k, v := range tagMap(items(ts, "tags")) {
				reqTags[k] = v
			}
		}
	}
	var out []state.Change
	for _, it := range list {
		id := str(it, "instanceId")
		if id == "" {
			return nil, c.errorf("an instancesSet item without instanceId")
		}
		s := map[string]any{
			"instanceId":   id,
			"instanceType": firstNonEmpty(str(it, "instanceType"), str(c.req, "instanceType")),
			"imageId":      str(it, "imageId"),
			"state":        firstNonEmpty(str(it, "instanceState", "name"), "pending"),
			"tags":         reqTags,
		}
		s["launchTime"] = launchTime(it["launchTime"], c.e.Time)
		setIf(s, "subnetId", str(it, "subnetId"))
		setIf(s, "vpcId", str(it, "vpcId"))
		setIf(s, "privateIpAddress", str(it, "privateIpAddress"))
		setIf(s, "availabilityZone", str(it, "placement", "availabilityZone"))
		setIf(s, "keyName", str(it, "keyName"))
		setIf(s, "instanceProfile", firstNonEmpty(str(it, "iamInstanceProfile", "arn"), str(c.req, "iamInstanceProfile", "arn"), str(c.req, "iamInstanceProfile", "name")))
		if t := items(it, "tagSet"); len(t) > 0 {
			s["tags"] = tagMap(t)
		}
		var groups []any
		for _, g := range items(it, "groupSet") {
			if gid := str(g, "groupId"); gid != "" {
				groups = append(groups, gid)
			}
		}
		if groups != nil {
			s["securityGroups"] = groups
		}
		got, _ := it["metadataOptions"].(map[string]any)
		asked, _ := c.req["metadataOptions"].(map[string]any)
		if mo := metadataOptions(got); mo != nil {
			s["metadataOptions"] = mo
		} else if mo := metadataOptions(asked); mo != nil {
			s["metadataOptions"] = mo
		}
		if _, ok := c.req["userData"]; ok {
			s["userData"], s["userDataChangedAt"] = userDataMarker, c.eventTime()
		}
		out = append(out, state.Change{Resource: c.id(TypeInstance, id), Op: state.OpPut, Value: s})
	}
	return out, nil
}

// instanceState sets the state the response reports for each instance, or
// fallback for the requested ones when there is no response.
func instanceState(fallback string) reducer {
	return func(c *call) ([]state.Change, error) {
		var out []state.Change
		if list := items(c.resp, "instancesSet"); len(list) > 0 {
			for _, it := range list {
				id := str(it, "instanceId")
				if id == "" {
					return nil, c.errorf("an instancesSet item without instanceId")
				}
				out = append(out, state.Change{Resource: c.id(TypeInstance, id), Op: state.OpSet, Path: []string{"state"},
					Value: firstNonEmpty(str(it, "currentState", "name"), fallback)})
			}
			return out, nil
		}
		ids, err := requestedInstances(c)
		for _, id := range ids {
			out = append(out, state.Change{Resource: c.id(TypeInstance, id), Op: state.OpSet, Path: []string{"state"}, Value: fallback})
		}
		return out, err
	}
}

// terminateInstances deletes the instances (a tombstone in their history).
func terminateInstances(c *call) ([]state.Change, error) {
	var ids []string
	for _, it := range items(c.resp, "instancesSet") {
		if id := str(it, "instanceId"); id != "" {
			ids = append(ids, id)
		}
	}
	if ids == nil {
		var err error
		if ids, err = requestedInstances(c); err != nil {
			return nil, err
		}
	}
	out := make([]state.Change, 0, len(ids))
	for _, id := range ids {
		out = append(out, state.Change{Resource: c.id(TypeInstance, id), Op: state.OpDelete})
	}
	return out, nil
}

func requestedInstances(c *call) ([]string, error) {
	var ids []string
	for _, it := range items(c.req, "instancesSet") {
		if id := str(it, "instanceId"); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, c.errorf("no instance ids in requestParameters.instancesSet or responseElements.instancesSet")
	}
	return ids, nil
}

// ec2Types maps EC2 resource id prefixes to resource types, for CreateTags
// and DeleteTags which take any taggable resource.
var ec2Types = map[string]string{
	"i":        TypeInstance,
	"sg":       TypeSecurityGroup,
	"vpc":      "AWS::EC2::VPC",
	"subnet":   "AWS::EC2::Subnet",
	"ami":      "AWS::EC2::Image",
	"vol":      "AWS::EC2::Volume",
	"snap":     "AWS::EC2::Snapshot",
	"eni":      "AWS::EC2::NetworkInterface",
	"igw":      "AWS::EC2::InternetGateway",
	"rtb":      "AWS::EC2::RouteTable",
	"acl":      "AWS::EC2::NetworkAcl",
	"eipalloc": "AWS::EC2::EIP",
	"nat":      "AWS::EC2::NatGateway",
	"lt":       "AWS::EC2::LaunchTemplate",
	"key":      "AWS::EC2::KeyPair",
	"pcx":      TypeVPCPeering,
}

// ec2Resource returns the ResourceID of an EC2 resource id such as
// "sg-0123": its type comes from the prefix ("AWS::EC2::Resource" when
// unknown).
func ec2Resource(c *call, id string) state.ResourceID {
	prefix, _, _ := strings.Cut(id, "-")
	typ, ok := ec2Types[prefix]
	if !ok {
		typ = "AWS::EC2::Resource"
	}
	return c.id(typ, id)
}

func tagTargets(c *call) ([]string, error) {
	var ids []string
	for _, r := range items(c.req, "resourcesSet") {
		if id := str(r, "resourceId"); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, c.errorf("no requestParameters.resourcesSet.items[].resourceId")
	}
	return ids, nil
}

// createTags sets the tags on every resource named.
func createTags(c *call) ([]state.Change, error) {
	ids, err := tagTargets(c)
	if err != nil {
		return nil, err
	}
	tags := tagMap(items(c.req, "tagSet"))
	var out []state.Change
	for _, id := range ids {
		for _, k := range sortedKeys(tags) {
			out = append(out, state.Change{Resource: ec2Resource(c, id), Op: state.OpSet, Path: []string{"tags", k}, Value: tags[k]})
		}
	}
	return out, nil
}

// deleteTags removes the named tags, or all tags when none are named.
func deleteTags(c *call) ([]state.Change, error) {
	ids, err := tagTargets(c)
	if err != nil {
		return nil, err
	}
	tags := tagMap(items(c.req, "tagSet"))
	var out []state.Change
	for _, id := range ids {
		if len(tags) == 0 {
			out = append(out, state.Change{Resource: ec2Resource(c, id), Op: state.OpUnset, Path: []string{"tags"}})
		}
		for _, k := range sortedKeys(tags) {
			out = append(out, state.Change{Resource: ec2Resource(c, id), Op: state.OpUnset, Path: []string{"tags", k}})
		}
	}
	return out, nil
}

// modifyInstanceAttribute sets the attribute changed. Both request shapes
// occur: {"attribute": "userData", "value": ...} and {"disableApiTermination":
// {"value": false}}; groupSet becomes securityGroups.
func modifyInstanceAttribute(c *call) ([]state.Change, error) {
	id := str(c.req, "instanceId")
	if id == "" {
		return nil, c.errorf("no requestParameters.instanceId")
	}
	r := c.id(TypeInstance, id)
	var out []state.Change
	if a := str(c.req, "attribute"); a == "userData" {
		out = append(out, userDataChanges(c, r)...)
	} else if a != "" {
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{a}, Value: c.req["value"]})
	}
	for _, k := range sortedKeys(c.req) {
		v := c.req[k]
		switch k {
		case "instanceId", "attribute", "value":
			continue
		case "userData":
			// never keep the user data itself: it may hold secrets
			out = append(out, userDataChanges(c, r)...)
			continue
		case "groupSet":
			var groups []any
			for _, g := range items(c.req, "groupSet") {
				if gid := str(g, "groupId"); gid != "" {
					groups = append(groups, gid)
				}
			}
			if groups == nil {
				return nil, c.errorf("requestParameters.groupSet names no groupId")
			}
			out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"securityGroups"}, Value: groups})
			continue
		}
		if m, ok := v.(map[string]any); ok {
			if x, ok := m["value"]; ok && len(m) == 1 {
				v = x
			}
		}
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{k}, Value: v})
	}
	return out, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// launchTime renders an instance's launch time as RFC3339: CloudTrail logs
// it in epoch milliseconds (recent records) or as a date string; without
// it, the event's time.
func launchTime(v any, fallback time.Time) string {
	var ms float64
	switch v := v.(type) {
	case float64:
		ms = v
	case int64:
		ms = float64(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return fallback.UTC().Format(time.RFC3339)
		}
		ms = f
	case string:
		for _, layout := range []string{time.RFC3339, "Jan 2, 2006 3:04:05 PM", "2006-01-02T15:04:05.000Z"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC().Format(time.RFC3339)
			}
		}
		return fallback.UTC().Format(time.RFC3339)
	default:
		return fallback.UTC().Format(time.RFC3339)
	}
	return time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339)
}
