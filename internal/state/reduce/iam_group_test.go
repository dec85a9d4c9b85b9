package reduce

import "testing"

func TestReduceIAMGroups(t *testing.T) {
	const g = "global/AWS::IAM::Group/administrators"
	const gn = `"groupName":"administrators"`
	runCases(t, []reduceCase{
		{name: "CreateGroup", source: iam, event: "CreateGroup", req: `{` + gn + `,"path":"/"}`,
			resp: `{"group":{"path":"/",` + gn + `,"groupId":"AGPAEXAMPLEGROUPID","arn":"arn:aws:iam::123837392027:group/administrators","createDate":"Jul 10, 2023 12:10:01 PM"}}`,
			want: `put ` + g + ` = {"arn":"arn:aws:iam::123837392027:group/administrators","groupId":"AGPAEXAMPLEGROUPID","groupName":"administrators","path":"/"}`},
		{name: "CreateGroup without response", source: iam, event: "CreateGroup", req: `{` + gn + `}`,
			want: `put ` + g + ` = {"groupName":"administrators","path":"/"}`},
		{name: "CreateGroup without name", source: iam, event: "CreateGroup", req: `{"path":"/"}`, wantErr: true},
		{name: "CreateGroup denied", source: iam, event: "CreateGroup", req: `{` + gn + `}`, errorCode: "AccessDenied"},
		{name: "AttachGroupPolicy", source: iam, event: "AttachGroupPolicy", req: `{` + gn + `,"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`,
			want: `add ` + g + ` attachedPolicies.arn:aws:iam::aws:policy/AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"`},
		{name: "DetachGroupPolicy", source: iam, event: "DetachGroupPolicy", req: `{` + gn + `,"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`,
			want: `remove ` + g + ` attachedPolicies.arn:aws:iam::aws:policy/AdministratorAccess`},
		{name: "AttachGroupPolicy without group", source: iam, event: "AttachGroupPolicy", req: `{"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, wantErr: true},
		{name: "PutGroupPolicy", source: iam, event: "PutGroupPolicy", req: `{` + gn + `,"policyName":"all","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}`,
			want: `add ` + g + ` inlinePolicies.all = {"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`},
		{name: "DeleteGroupPolicy", source: iam, event: "DeleteGroupPolicy", req: `{` + gn + `,"policyName":"all"}`,
			want: `remove ` + g + ` inlinePolicies.all`},
		{name: "UpdateGroup renames", source: iam, event: "UpdateGroup", req: `{` + gn + `,"newGroupName":"admins"}`,
			want: `delete ` + g + `
put global/AWS::IAM::Group/admins = {"groupName":"admins","renamedFrom":"administrators"}`},
		{name: "UpdateGroup moves", source: iam, event: "UpdateGroup", req: `{` + gn + `,"newPath":"/ops/"}`,
			want: `set ` + g + ` path = "/ops/"`},
		{name: "UpdateGroup without change", source: iam, event: "UpdateGroup", req: `{` + gn + `}`},
		{name: "DeleteGroup", source: iam, event: "DeleteGroup", req: `{` + gn + `}`, want: `delete ` + g},
		{name: "DeleteGroup with members", source: iam, event: "DeleteGroup", req: `{` + gn + `}`, errorCode: "DeleteConflictException"},
	})
}
