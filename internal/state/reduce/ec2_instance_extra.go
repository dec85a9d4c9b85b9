package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// The instance calls beyond its lifecycle: reboots, instance profiles and
// metadata options. The instance's state keys they write:
//
//	lastRebootTime               the last RebootInstances, RFC 3339
//	instanceProfile              the profile's ARN (its name when only that is known)
//	instanceProfileAssociationId the association DisassociateIamInstanceProfile
//	                             and ReplaceIamInstanceProfileAssociation name
//	metadataOptions              {httpTokens, httpEndpoint, httpPutResponseHopLimit, ...}
//	userData, userDataChangedAt  a marker and when it was set: never the data itself

// userDataMarker stands for an instance's user data, which may hold
// secrets (CloudTrail mostly removes it anyway). No angle brackets: JSON
// encoders escape them.
const userDataMarker = "(redacted)"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"RebootInstances":                      rebootInstances,
		"AssociateIamInstanceProfile":          associateInstanceProfile,
		"ReplaceIamInstanceProfileAssociation": replaceInstanceProfile,
		"DisassociateIamInstanceProfile":       disassociateInstanceProfile,
		"ModifyInstanceMetadataOptions":        modifyMetadataOptions,
	})
}

// rebootInstances records the time of the reboot on each instance.
func rebootInstances(c *call) ([]state.Change, error) {
	ids, err := requestedInstances(c)
	if err != nil {
		return nil, err
	}
	out := make([]state.Change, 0, len(ids))
	for _, id := range ids {
		out = append(out, c.set(TypeInstance, id, c.eventTime(), "lastRebootTime"))
	}
	return out, nil
}

// profileAssociation returns the association a profile call's response
// reports (nil when there is no response).
func profileAssociation(c *call, wrapper string) map[string]any {
	a, _ := fget(body(c.resp, wrapper), "iamInstanceProfileAssociation").(map[string]any)
	return a
}

// profileChanges sets the instance's profile and association id.
func profileChanges(c *call, instance, profile, assoc string) []state.Change {
	out := []state.Change{c.set(TypeInstance, instance, profile, "instanceProfile")}
	if assoc != "" {
		out = append(out, c.set(TypeInstance, instance, assoc, "instanceProfileAssociationId"))
	}
	return out
}

// requestedProfile is the profile a request names: its ARN, else its name.
func requestedProfile(req map[string]any) string {
	return firstNonEmpty(fstr(req, "iamInstanceProfile", "arn"), fstr(req, "iamInstanceProfile", "Arn"), fstr(req, "iamInstanceProfile", "name"), fstr(req, "iamInstanceProfile", "Name"))
}

func associateInstanceProfile(c *call) ([]state.Change, error) {
	req := body(c.req, "AssociateIamInstanceProfileRequest")
	a := profileAssociation(c, "AssociateIamInstanceProfileResponse")
	instance := firstNonEmpty(fstr(a, "instanceId"), fstr(req, "instanceId"))
	profile := firstNonEmpty(fstr(a, "iamInstanceProfile", "arn"), requestedProfile(req))
	if instance == "" || profile == "" {
		return nil, c.errorf("no instanceId and iamInstanceProfile in the request or responseElements.iamInstanceProfileAssociation")
	}
	return profileChanges(c, instance, profile, fstr(a, "associationId")), nil
}

// replaceInstanceProfile: the request names the association only; the
// response tells the instance and the new association id.
func replaceInstanceProfile(c *call) ([]state.Change, error) {
	req := body(c.req, "ReplaceIamInstanceProfileAssociationRequest")
	a := profileAssociation(c, "ReplaceIamInstanceProfileAssociationResponse")
	instance := fstr(a, "instanceId")
	profile := firstNonEmpty(fstr(a, "iamInstanceProfile", "arn"), requestedProfile(req))
	if instance == "" || profile == "" {
		return nil, c.errorf("no responseElements.iamInstanceProfileAssociation.instanceId or no profile: the instance is unknown")
	}
	return profileChanges(c, instance, profile, fstr(a, "associationId")), nil
}

func disassociateInstanceProfile(c *call) ([]state.Change, error) {
	instance := fstr(profileAssociation(c, "DisassociateIamInstanceProfileResponse"), "instanceId")
	if instance == "" {
		return nil, c.errorf("no responseElements.iamInstanceProfileAssociation.instanceId: the instance is unknown")
	}
	r := c.id(TypeInstance, instance)
	return []state.Change{
		{Resource: r, Op: state.OpUnset, Path: []string{"instanceProfile"}},
		{Resource: r, Op: state.OpUnset, Path: []string{"instanceProfileAssociationId"}},
	}, nil
}

// metadataKeys are the instance metadata options, as the response spells
// them.
var metadataKeys = []string{"httpTokens", "httpEndpoint", "httpPutResponseHopLimit", "httpProtocolIpv6", "instanceMetadataTags"}

// metadataOptions returns the options m holds (either spelling); nil when
// none.
func metadataOptions(m map[string]any) map[string]any {
	var out map[string]any
	for _, k := range metadataKeys {
		if v := scalar(fget(m, k)); v != nil {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// modifyMetadataOptions sets the options the response reports (all of
// them), else those requested.
func modifyMetadataOptions(c *call) ([]state.Change, error) {
	req := body(c.req, "ModifyInstanceMetadataOptionsRequest")
	res := body(c.resp, "ModifyInstanceMetadataOptionsResponse")
	instance := firstNonEmpty(fstr(res, "instanceId"), fstr(req, "instanceId"))
	if instance == "" {
		return nil, c.errorf("no instanceId in the request or the response")
	}
	got, _ := fget(res, "instanceMetadataOptions").(map[string]any)
	opts := metadataOptions(got)
	if opts == nil {
		opts = metadataOptions(req)
	}
	if opts == nil {
		return nil, c.errorf("no metadata options in the request or the response")
	}
	out := make([]state.Change, 0, len(opts))
	for _, k := range sortedKeys(opts) {
		out = append(out, c.set(TypeInstance, instance, opts[k], "metadataOptions", k))
	}
	return out, nil
}

// userDataChanges marks an instance's user data as set at the event's
// time, without keeping it.
func userDataChanges(c *call, r state.ResourceID) []state.Change {
	return []state.Change{
		{Resource: r, Op: state.OpSet, Path: []string{"userData"}, Value: userDataMarker},
		{Resource: r, Op: state.OpSet, Path: []string{"userDataChangedAt"}, Value: c.eventTime()},
	}
}
