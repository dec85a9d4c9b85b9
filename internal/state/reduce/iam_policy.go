package reduce

import (
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypePolicy is the resource type of a customer-managed IAM policy; its ID
// is the policy's name (unique in an account), its ARN the policyArn that
// later calls name it by, and its Region "global". AWS-managed policies
// (arn:aws:iam::aws:policy/...) are not resources of the account: calls on
// them are skipped.
//
// State: policyName, policyId, arn, path, description, tags,
// defaultVersionId, document (the default version's document, as an
// object) and the set versions (versionId → {document}).
//
// SetDefaultPolicyVersion does not log the version's document, and a
// reducer sees one event, not the state: it sets defaultVersionId and
// unsets document, which is then versions[defaultVersionId].document when
// that version's creation was seen.
const TypePolicy = "AWS::IAM::Policy"

func init() {
	register(iamSource, map[string]reducer{
		"CreatePolicy":            createPolicy,
		"CreatePolicyVersion":     iamOn(policyTarget, createPolicyVersion),
		"SetDefaultPolicyVersion": iamOn(policyTarget, setDefaultPolicyVersion),
		"DeletePolicyVersion":     iamOn(policyTarget, deletePolicyVersion),
		"DeletePolicy":            iamDelete(policyTarget),
		"TagPolicy":               iamTag(policyTarget),
		"UntagPolicy":             iamUntag(policyTarget),
	})
}

// policyTarget is the policy named by the request's policyArn.
func policyTarget(c *call) (state.ResourceID, bool, error) {
	arn, err := iamReq(c, "policyArn")
	if err != nil {
		return state.ResourceID{}, false, err
	}
	name, awsManaged, ok := iamPolicyName(arn)
	if !ok {
		return state.ResourceID{}, false, c.errorf("policyArn %q is not the ARN of an IAM policy", arn)
	}
	if awsManaged {
		return state.ResourceID{}, true, nil
	}
	r := iamID(c, TypePolicy, name)
	r.ARN = arn
	return r, false, nil
}

// iamPolicyName returns the name in a policy ARN
// (arn:partition:iam::account:policy/path/name) and whether AWS manages it.
func iamPolicyName(arn string) (name string, awsManaged, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "policy/") {
		return "", false, false
	}
	name = parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	return name, parts[4] == "aws", name != ""
}

func createPolicy(c *call) ([]state.Change, error) {
	name := firstNonEmpty(str(c.req, "policyName"), str(c.resp, "policy", "policyName"))
	if name == "" {
		return nil, c.errorf("no policyName in requestParameters or responseElements.policy")
	}
	r := iamID(c, TypePolicy, name)
	r.ARN = str(c.resp, "policy", "arn")
	// A new policy's only version is v1, its default.
	v := firstNonEmpty(str(c.resp, "policy", "defaultVersionId"), "v1")
	s := map[string]any{"policyName": name, "path": firstNonEmpty(str(c.req, "path"), str(c.resp, "policy", "path"), "/"), "defaultVersionId": v}
	setIf(s, "policyId", str(c.resp, "policy", "policyId"))
	setIf(s, "arn", r.ARN)
	setIf(s, "description", firstNonEmpty(str(c.req, "description"), str(c.resp, "policy", "description")))
	if doc := policyDocument(c.req["policyDocument"]); doc != nil {
		s["document"] = doc
		s["versions"] = map[string]any{v: map[string]any{"document": doc}}
	}
	if t := iamCreationTags(c, "policy"); t != nil {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

// createPolicyVersion adds the version and, when it becomes the default,
// moves defaultVersionId and document to it. Without a response the
// version id is unknown: a new default still replaces document (the fact
// that matters) and defaultVersionId is unset; a version that is not the
// default cannot be recorded, which is an unexpected shape.
func createPolicyVersion(c *call, r state.ResourceID) ([]state.Change, error) {
	doc := policyDocument(c.req["policyDocument"])
	if doc == nil {
		return nil, c.errorf("no requestParameters.policyDocument")
	}
	id := str(c.resp, "policyVersion", "versionId")
	def := iamTrue(c.req["setAsDefault"]) || iamTrue(get(c.resp, "policyVersion", "isDefaultVersion"))
	if id == "" && !def {
		return nil, c.errorf("no responseElements.policyVersion.versionId")
	}
	var out []state.Change
	if id != "" {
		out = append(out, state.Change{Resource: r, Op: state.OpAdd, Path: []string{"versions", id}, Value: map[string]any{"document": doc}})
	}
	if def {
		if id != "" {
			out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"defaultVersionId"}, Value: id})
		} else {
			out = append(out, state.Change{Resource: r, Op: state.OpUnset, Path: []string{"defaultVersionId"}})
		}
		out = append(out, state.Change{Resource: r, Op: state.OpSet, Path: []string{"document"}, Value: doc})
	}
	return out, nil
}

func setDefaultPolicyVersion(c *call, r state.ResourceID) ([]state.Change, error) {
	id, err := iamReq(c, "versionId")
	if err != nil {
		return nil, err
	}
	return []state.Change{
		{Resource: r, Op: state.OpSet, Path: []string{"defaultVersionId"}, Value: id},
		{Resource: r, Op: state.OpUnset, Path: []string{"document"}},
	}, nil
}

func deletePolicyVersion(c *call, r state.ResourceID) ([]state.Change, error) {
	id, err := iamReq(c, "versionId")
	if err != nil {
		return nil, err
	}
	return []state.Change{{Resource: r, Op: state.OpRemove, Path: []string{"versions", id}}}, nil
}

// iamTrue reads a boolean parameter, logged as true or as "true".
func iamTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}
