package reduce

import "testing"

func TestReduceIAMInstanceProfiles(t *testing.T) {
	const ip = "global/AWS::IAM::InstanceProfile/stratus-red-team-ec2-steal-credentials-instance"
	const pn = `"instanceProfileName":"stratus-red-team-ec2-steal-credentials-instance"`
	runCases(t, []reduceCase{
		{name: "CreateInstanceProfile", source: iam, event: "CreateInstanceProfile", req: `{` + pn + `,"path":"/","tags":[{"key":"StratusRedTeam","value":"true"}]}`,
			resp: `{"instanceProfile":{"path":"/",` + pn + `,"instanceProfileId":"AIPATFQR7NSCT5GZF5JGF","arn":"arn:aws:iam::123837392027:instance-profile/stratus-red-team-ec2-steal-credentials-instance","createDate":"Jul 10, 2023 11:55:10 AM","roles":[],"tags":[{"key":"StratusRedTeam","value":"true"}]}}`,
			want: `put ` + ip + ` = {"arn":"arn:aws:iam::123837392027:instance-profile/stratus-red-team-ec2-steal-credentials-instance","instanceProfileId":"AIPATFQR7NSCT5GZF5JGF","instanceProfileName":"stratus-red-team-ec2-steal-credentials-instance","path":"/","tags":{"StratusRedTeam":"true"}}`},
		{name: "CreateInstanceProfile without response", source: iam, event: "CreateInstanceProfile", req: `{` + pn + `}`,
			want: `put ` + ip + ` = {"instanceProfileName":"stratus-red-team-ec2-steal-credentials-instance","path":"/"}`},
		{name: "CreateInstanceProfile without name", source: iam, event: "CreateInstanceProfile", req: `{"path":"/"}`, wantErr: true},
		{name: "CreateInstanceProfile exists", source: iam, event: "CreateInstanceProfile", req: `{` + pn + `}`, errorCode: "EntityAlreadyExistsException"},
		{name: "TagInstanceProfile", source: iam, event: "TagInstanceProfile", req: `{` + pn + `,"tags":[{"key":"StratusRedTeam","value":"true"}]}`,
			want: `set ` + ip + ` tags.StratusRedTeam = "true"`},
		{name: "UntagInstanceProfile", source: iam, event: "UntagInstanceProfile", req: `{` + pn + `,"tagKeys":["StratusRedTeam"]}`,
			want: `unset ` + ip + ` tags.StratusRedTeam`},
		{name: "AddRoleToInstanceProfile", source: iam, event: "AddRoleToInstanceProfile", req: `{` + pn + `,"roleName":"stratus-red-team-ec2-steal-credentials-role"}`,
			want: `add ` + ip + ` roles.stratus-red-team-ec2-steal-credentials-role = "stratus-red-team-ec2-steal-credentials-role"`},
		{name: "AddRoleToInstanceProfile without role", source: iam, event: "AddRoleToInstanceProfile", req: `{` + pn + `}`, wantErr: true},
		{name: "RemoveRoleFromInstanceProfile", source: iam, event: "RemoveRoleFromInstanceProfile", req: `{"roleName":"stratus-red-team-ec2-steal-credentials-role",` + pn + `}`,
			want: `remove ` + ip + ` roles.stratus-red-team-ec2-steal-credentials-role`},
		{name: "DeleteInstanceProfile", source: iam, event: "DeleteInstanceProfile", req: `{` + pn + `}`, want: `delete ` + ip},
	})
}
