package reduce

import (
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeFunction is the resource type of a Lambda function. Its ID is the
// function name (a qualified or partial ARN in a request is reduced to
// it); versions and aliases are not resources of their own.
//
// State: functionName, functionArn (unqualified), runtime, role, handler,
// timeout, memorySize, codeSha256, environmentKeys (the sorted variable
// names, never their values), layers (ARNs), vpcConfig {subnetIds,
// securityGroupIds}, permissions (statementId → {action, principal,
// sourceArn, sourceAccount, principalOrgID, functionUrlAuthType}),
// functionUrl {authType, url}, tags.
const TypeFunction = "AWS::Lambda::Function"

func init() {
	m := map[string]reducer{}
	// Lambda names its events after the API version; register each
	// variant seen in real logs, and the bare name.
	add := func(r reducer, names ...string) {
		for _, n := range names {
			m[n] = r
		}
	}
	add(createFunction, "CreateFunction", "CreateFunction20150331")
	add(updateFunctionConfiguration, "UpdateFunctionConfiguration", "UpdateFunctionConfiguration20150331", "UpdateFunctionConfiguration20150331v2")
	add(updateFunctionCode, "UpdateFunctionCode", "UpdateFunctionCode20150331", "UpdateFunctionCode20150331v2")
	add(functionPermission(state.OpAdd), "AddPermission", "AddPermission20150331", "AddPermission20150331v2")
	add(functionPermission(state.OpRemove), "RemovePermission", "RemovePermission20150331", "RemovePermission20150331v2")
	add(deleteFunction, "DeleteFunction", "DeleteFunction20150331")
	add(functionTags(true), "TagResource", "TagResource20170331", "TagResource20170331v2")
	add(functionTags(false), "UntagResource", "UntagResource20170331", "UntagResource20170331v2")
	add(functionURL(state.OpSet), "CreateFunctionUrlConfig", "CreateFunctionUrlConfig20211031")
	add(functionURL(state.OpSet), "UpdateFunctionUrlConfig", "UpdateFunctionUrlConfig20211031")
	add(functionURL(state.OpUnset), "DeleteFunctionUrlConfig", "DeleteFunctionUrlConfig20211031")
	register("lambda.amazonaws.com", m)
}

// functionName reduces a name, a partial ARN (123456789012:function:name)
// or a full ARN, possibly qualified (…:name:alias), to the name.
func functionName(s string) string {
	name, _ := splitFunction(s)
	return name
}

// splitFunction splits a function name, partial or full ARN into the name
// and the qualifier (version or alias; "" when absent).
func splitFunction(s string) (name, qualifier string) {
	if _, after, ok := strings.Cut(s, ":function:"); ok {
		s = after
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

// functionQualifier returns the version or alias a call is about: the
// qualifier parameter, else the one in functionName.
func functionQualifier(c *call) string {
	if q := str(c.req, "qualifier"); q != "" {
		return q
	}
	_, q := splitFunction(str(c.req, "functionName"))
	return q
}

// unqualifiedFunctionARN drops a version or alias from a function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]).
func unqualifiedFunctionARN(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return ""
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			if n++; n == 7 {
				return s[:i]
			}
		}
	}
	return s
}

// function returns the function a call is about: requestParameters.<key>
// (functionName, or resource for tagging), else the response's name. An
// ARN names the account and region of the function.
func function(c *call, key string) (state.ResourceID, error) {
	raw := str(c.req, key)
	name := functionName(raw)
	if name == "" {
		raw = firstNonEmpty(str(c.resp, "functionArn"), str(c.resp, "functionName"))
		name = functionName(raw)
	}
	if name == "" {
		return state.ResourceID{}, c.errorf("no requestParameters.%s", key)
	}
	r := c.id(TypeFunction, name)
	if region, account := arnRegionAccount(raw); region != "" && account != "" {
		r.Region, r.Account = region, account
	}
	r.ARN = firstNonEmpty(unqualifiedFunctionARN(str(c.resp, "functionArn")), unqualifiedFunctionARN(raw))
	return r, nil
}

// functionConfig reads the configuration fields of a create or update:
// the response (the function as it now is) first, the request where the
// response is missing.
func functionConfig(c *call, r state.ResourceID) map[string]any {
	s := map[string]any{}
	copyFields(s, c.req, "runtime", "role", "handler", "timeout", "memorySize")
	copyFields(s, c.resp, "runtime", "role", "handler", "timeout", "memorySize", "codeSha256")
	if r.ARN != "" {
		s["functionArn"] = r.ARN
	}
	if keys, ok := environmentKeys(c.req); ok {
		s["environmentKeys"] = keys
	} else if keys, ok := environmentKeys(c.resp); ok {
		s["environmentKeys"] = keys
	}
	if l, ok := functionLayers(c.resp); ok {
		s["layers"] = l
	} else if l, ok := functionLayers(c.req); ok {
		s["layers"] = l
	}
	if v, ok := vpcConfig(c.resp); ok {
		s["vpcConfig"] = v
	} else if v, ok := vpcConfig(c.req); ok {
		s["vpcConfig"] = v
	}
	return s
}

// environmentKeys returns the sorted names of environment.variables: the
// values may be secrets and are never kept. An environment without a
// readable variables map ("variables" redacted to a string) tells nothing.
func environmentKeys(m map[string]any) ([]any, bool) {
	env, ok := m["environment"].(map[string]any)
	if !ok {
		return nil, false
	}
	vars, ok := env["variables"]
	if !ok {
		// an empty environment: no variables
		return []any{}, len(env) == 0
	}
	vm, ok := vars.(map[string]any)
	if !ok {
		return nil, false
	}
	keys := make([]any, 0, len(vm))
	for _, k := range sortedKeys(vm) {
		keys = append(keys, k)
	}
	return keys, true
}

// functionLayers returns the layer ARNs: strings in a request, {arn,
// codeSize} objects in a response.
func functionLayers(m map[string]any) ([]any, bool) {
	l, ok := m["layers"].([]any)
	if !ok {
		return nil, false
	}
	out := make([]any, 0, len(l))
	for _, x := range l {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			if a := str(x, "arn"); a != "" {
				out = append(out, a)
			}
		}
	}
	return out, true
}

func vpcConfig(m map[string]any) (map[string]any, bool) {
	v, ok := m["vpcConfig"].(map[string]any)
	if !ok {
		return nil, false
	}
	return map[string]any{
		"subnetIds":        sortedStrings(v["subnetIds"]),
		"securityGroupIds": sortedStrings(v["securityGroupIds"]),
	}, true
}

func createFunction(c *call) ([]state.Change, error) {
	r, err := function(c, "functionName")
	if err != nil {
		return nil, err
	}
	s := functionConfig(c, r)
	s["functionName"] = r.ID
	if t := kvTags(c.req["tags"]); len(t) > 0 {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

func updateFunctionConfiguration(c *call) ([]state.Change, error) {
	r, err := function(c, "functionName")
	if err != nil {
		return nil, err
	}
	return setChanges(r, functionConfig(c, r)), nil
}

// updateFunctionCode records the new code's hash; without a response the
// hash is unknown, and the old one is dropped.
func updateFunctionCode(c *call) ([]state.Change, error) {
	r, err := function(c, "functionName")
	if err != nil {
		return nil, err
	}
	if sha := str(c.resp, "codeSha256"); sha != "" {
		return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"codeSha256"}, Value: sha}}, nil
	}
	return []state.Change{{Resource: r, Op: state.OpUnset, Path: []string{"codeSha256"}}}, nil
}

// deleteFunction deletes the function, or nothing when only a version
// (qualifier) is deleted.
func deleteFunction(c *call) ([]state.Change, error) {
	r, err := function(c, "functionName")
	if err != nil {
		return nil, err
	}
	if functionQualifier(c) != "" {
		return nil, nil
	}
	return []state.Change{{Resource: r, Op: state.OpDelete}}, nil
}
