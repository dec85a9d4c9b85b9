package snapshot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// observeFunctions reads aws lambda list-functions. Environment variables
// are kept by name only (their values may be secrets); tags are not
// covered (list-functions does not print them).
func observeFunctions(o *obs, top map[string]any) {
	o.complete(typeFunction, o.d.Account, o.d.Region)
	for i, f := range o.list(top, "", "Functions") {
		p := fmt.Sprintf("Functions[%d]", i)
		name := o.need(f, p, "FunctionName")
		if name == "" {
			continue
		}
		arn := o.str(f, p, "FunctionArn")
		account, region := arnParts(arn)
		s := map[string]any{
			"functionName": name,
			"functionArn":  arn,
			"runtime":      o.str(f, p, "Runtime"),
			"role":         o.str(f, p, "Role"),
			"handler":      o.str(f, p, "Handler"),
			"timeout":      f["Timeout"],
			"memorySize":   f["MemorySize"],
			"codeSha256":   o.str(f, p, "CodeSha256"),
		}
		var keys []string
		if env := o.obj(f, p, "Environment"); env != nil {
			for k := range o.obj(env, p+".Environment", "Variables") {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		envKeys := make([]any, len(keys))
		for i, k := range keys {
			envKeys[i] = k
		}
		s["environmentKeys"] = envKeys
		var layers []any
		for j, l := range o.list(f, p, "Layers") {
			layers = append(layers, o.need(l, fmt.Sprintf("%s.Layers[%d]", p, j), "Arn"))
		}
		s["layers"] = layers
		if vc := o.obj(f, p, "VpcConfig"); vc != nil {
			subnets, groups := o.strs(vc, p+".VpcConfig", "SubnetIds"), o.strs(vc, p+".VpcConfig", "SecurityGroupIds")
			if len(subnets)+len(groups) > 0 {
				s["vpcConfig"] = map[string]any{"subnetIds": sortedList(subnets), "securityGroupIds": sortedList(groups)}
			}
		}
		rid := state.ResourceID{Account: firstOf(account, o.d.Account), Region: firstOf(region, o.d.Region), Type: typeFunction, ID: name, ARN: arn}
		o.add(rid, s, "functionName", "functionArn", "runtime", "role", "handler", "timeout", "memorySize",
			"codeSha256", "environmentKeys", "layers", "vpcConfig")
	}
}

// sortedList returns a sorted copy of a list of strings, as the reducer
// keeps a function's subnets and security groups.
func sortedList(l []any) []any {
	out := make([]any, len(l))
	copy(out, l)
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return out
}
