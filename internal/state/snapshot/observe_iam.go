package snapshot

import (
	"fmt"

	"github.com/trailwarden/trailwarden/internal/state"
)

// observeIAM reads aws iam get-account-authorization-details. Each list
// present (UserDetailList, RoleDetailList, GroupDetailList, Policies) is a
// complete listing of its type, so a file made with --filter covers only
// the types it holds. AWS-managed policies are skipped, as the reducer
// skips them: they are not the account's resources.
//
// Not covered, because the call does not tell them: a user's access keys,
// login profile and MFA devices; a role's description and maximum session
// duration (unless present, as an SDK collector may add them); tags of
// policies.
func observeIAM(o *obs, top map[string]any) {
	account := o.d.Account
	iamID := func(typ, name, arn string) state.ResourceID {
		a, _ := arnParts(arn)
		if !accountRE.MatchString(a) {
			a = account
		}
		return state.ResourceID{Account: a, Region: "global", Type: typ, ID: name, ARN: arn}
	}
	if _, ok := top["UserDetailList"]; ok {
		o.complete(typeUser, account, "global")
	}
	for i, u := range o.list(top, "", "UserDetailList") {
		p := fmt.Sprintf("UserDetailList[%d]", i)
		name := o.need(u, p, "UserName")
		if name == "" {
			continue
		}
		s := o.principal(u, p, "UserPolicyList")
		s["userName"] = name
		s["userId"] = o.str(u, p, "UserId")
		s["tags"] = o.tags(u, p, "Tags")
		s["permissionsBoundary"] = o.str(o.obj(u, p, "PermissionsBoundary"), p+".PermissionsBoundary", "PermissionsBoundaryArn")
		groups := map[string]any{}
		for _, g := range o.strs(u, p, "GroupList") {
			groups[g.(string)] = g
		}
		s["groups"] = groups
		o.add(iamID(typeUser, name, s["arn"].(string)), s, "userName", "userId", "arn", "path", "attachedPolicies",
			"inlinePolicies", "groups", "permissionsBoundary", "tags")
	}

	if _, ok := top["RoleDetailList"]; ok {
		o.complete(typeRole, account, "global")
	}
	for i, r := range o.list(top, "", "RoleDetailList") {
		p := fmt.Sprintf("RoleDetailList[%d]", i)
		name := o.need(r, p, "RoleName")
		if name == "" {
			continue
		}
		s := o.principal(r, p, "RolePolicyList")
		s["roleName"] = name
		s["roleId"] = o.str(r, p, "RoleId")
		s["assumeRolePolicyDocument"] = document(r["AssumeRolePolicyDocument"])
		s["tags"] = o.tags(r, p, "Tags")
		s["permissionsBoundary"] = o.str(o.obj(r, p, "PermissionsBoundary"), p+".PermissionsBoundary", "PermissionsBoundaryArn")
		covers := []string{"roleName", "roleId", "arn", "path", "attachedPolicies", "inlinePolicies",
			"assumeRolePolicyDocument", "permissionsBoundary", "tags"}
		if v, ok := r["Description"]; ok {
			s["description"] = v
			covers = append(covers, "description")
		}
		if v, ok := r["MaxSessionDuration"]; ok {
			s["maxSessionDuration"] = v
			covers = append(covers, "maxSessionDuration")
		}
		o.add(iamID(typeRole, name, s["arn"].(string)), s, covers...)
	}

	if _, ok := top["GroupDetailList"]; ok {
		o.complete(typeGroup, account, "global")
	}
	for i, g := range o.list(top, "", "GroupDetailList") {
		p := fmt.Sprintf("GroupDetailList[%d]", i)
		name := o.need(g, p, "GroupName")
		if name == "" {
			continue
		}
		s := o.principal(g, p, "GroupPolicyList")
		s["groupName"] = name
		s["groupId"] = o.str(g, p, "GroupId")
		o.add(iamID(typeGroup, name, s["arn"].(string)), s, "groupName", "groupId", "arn", "path", "attachedPolicies", "inlinePolicies")
	}

	if _, ok := top["Policies"]; ok {
		o.complete(typePolicy, account, "global")
	}
	for i, pol := range o.list(top, "", "Policies") {
		p := fmt.Sprintf("Policies[%d]", i)
		name, arn := o.need(pol, p, "PolicyName"), o.need(pol, p, "Arn")
		if a, _ := arnParts(arn); name == "" || a == "aws" {
			continue
		}
		def := o.str(pol, p, "DefaultVersionId")
		s := map[string]any{
			"policyName":       name,
			"policyId":         o.str(pol, p, "PolicyId"),
			"arn":              arn,
			"path":             o.str(pol, p, "Path"),
			"description":      o.str(pol, p, "Description"),
			"defaultVersionId": def,
		}
		versions := map[string]any{}
		for j, v := range o.list(pol, p, "PolicyVersionList") {
			id := o.need(v, fmt.Sprintf("%s.PolicyVersionList[%d]", p, j), "VersionId")
			doc := document(v["Document"])
			versions[id] = map[string]any{"document": doc}
			if id == def || v["IsDefaultVersion"] == true {
				s["document"] = doc
			}
		}
		s["versions"] = versions
		o.add(iamID(typePolicy, name, arn), s, "policyName", "policyId", "arn", "path", "description", "defaultVersionId", "document", "versions")
	}
}

// principal reads what users, roles and groups share: arn, path, the
// attached managed policies (ARN → ARN) and the inline policies (name →
// document) listed under inline.
func (o *obs) principal(m map[string]any, p, inline string) map[string]any {
	attached := map[string]any{}
	for j, a := range o.list(m, p, "AttachedManagedPolicies") {
		if arn := o.need(a, fmt.Sprintf("%s.AttachedManagedPolicies[%d]", p, j), "PolicyArn"); arn != "" {
			attached[arn] = arn
		}
	}
	inl := map[string]any{}
	for j, ip := range o.list(m, p, inline) {
		if name := o.need(ip, fmt.Sprintf("%s.%s[%d]", p, inline, j), "PolicyName"); name != "" {
			inl[name] = document(ip["PolicyDocument"])
		}
	}
	return map[string]any{
		"arn":              o.str(m, p, "Arn"),
		"path":             o.str(m, p, "Path"),
		"attachedPolicies": attached,
		"inlinePolicies":   inl,
	}
}
