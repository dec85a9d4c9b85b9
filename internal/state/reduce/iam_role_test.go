package reduce

import "testing"

func TestReduceIAMRoles(t *testing.T) {
	const role = "global/AWS::IAM::Role/stratus-red-team-ec2-steal-credentials-role"
	const rn = `"roleName":"stratus-red-team-ec2-steal-credentials-role"`
	runCases(t, []reduceCase{
		// CloudTrail logs the request's trust policy as JSON text and the
		// response's URL-encoded.
		{name: "CreateRole", source: iam, event: "CreateRole",
			req:  `{"path":"/",` + rn + `,"assumeRolePolicyDocument":"{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Action\": \"sts:AssumeRole\",\n            \"Principal\": {\n               \"Service\": \"ec2.amazonaws.com\"\n            },\n            \"Effect\": \"Allow\",\n            \"Sid\": \"\"\n        }\n    ]\n}\n","maxSessionDuration":3600,"tags":[{"key":"StratusRedTeam","value":"true"}]}`,
			resp: `{"role":{"path":"/",` + rn + `,"roleId":"AROATFQR7NSC6Q6YRQ2Q7","arn":"arn:aws:iam::123837392027:role/stratus-red-team-ec2-steal-credentials-role","createDate":"Jul 10, 2023 11:55:08 AM","assumeRolePolicyDocument":"%7B%0A%20%20%20%20%22Version%22%3A%20%222012-10-17%22%7D%0A","tags":[{"key":"StratusRedTeam","value":"true"}]}}`,
			want: `put ` + role + ` = {"arn":"arn:aws:iam::123837392027:role/stratus-red-team-ec2-steal-credentials-role","assumeRolePolicyDocument":{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Sid":""}],"Version":"2012-10-17"},"maxSessionDuration":3600,"path":"/","roleId":"AROATFQR7NSC6Q6YRQ2Q7","roleName":"stratus-red-team-ec2-steal-credentials-role","tags":{"StratusRedTeam":"true"}}`},
		// eventVersion 1.0 (2014): no maxSessionDuration, region us-east-2.
		{name: "CreateRole from the response only", source: iam, event: "CreateRole", req: `{"roleName":"TestRole"}`,
			resp: `{"role":{"assumeRolePolicyDocument":"%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%0A%20%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%22Principal%22%3A%20%7B%22AWS%22%3A%20%22arn%3Aaws%3Aiam%3A%3A210987654321%3Aroot%22%7D%2C%22Action%22%3A%20%22sts%3AAssumeRole%22%7D%5D%0A%7D","roleName":"TestRole","roleId":"AROAIUU2EOWSWPGX2UJUO","arn":"arn:aws:iam::123456789012:role/TestRole","createDate":"Mar 25, 2014 8:17:37 PM","path":"/"}}`,
			want: `put global/AWS::IAM::Role/TestRole = {"arn":"arn:aws:iam::123456789012:role/TestRole","assumeRolePolicyDocument":{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"}}],"Version":"2012-10-17"},"maxSessionDuration":3600,"path":"/","roleId":"AROAIUU2EOWSWPGX2UJUO","roleName":"TestRole"}`},
		{name: "CreateRole without response", source: iam, event: "CreateRole",
			req:  `{"roleName":"r1","description":"ops","maxSessionDuration":7200,"permissionsBoundary":"arn:aws:iam::123837392027:policy/boundary","assumeRolePolicyDocument":"{\"Version\":\"2012-10-17\"}"}`,
			want: `put global/AWS::IAM::Role/r1 = {"assumeRolePolicyDocument":{"Version":"2012-10-17"},"description":"ops","maxSessionDuration":7200,"path":"/","permissionsBoundary":"arn:aws:iam::123837392027:policy/boundary","roleName":"r1"}`},
		{name: "CreateRole without name", source: iam, event: "CreateRole", req: `{"path":"/"}`, wantErr: true},
		{name: "CreateRole denied", source: iam, event: "CreateRole", req: `{` + rn + `}`, errorCode: "AccessDenied"},
		{name: "CreateServiceLinkedRole", source: iam, event: "CreateServiceLinkedRole", req: `{"aWSServiceName":"elasticbeanstalk.amazonaws.com"}`,
			resp: `{"role":{"path":"/aws-service-role/elasticbeanstalk.amazonaws.com/","roleName":"AWSServiceRoleForElasticBeanstalk","roleId":"AROAEXAMPLESLR","arn":"arn:aws:iam::123837392027:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk","createDate":"Jul 10, 2023 12:00:00 PM","assumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%7D"}}`,
			want: `put global/AWS::IAM::Role/AWSServiceRoleForElasticBeanstalk = {"arn":"arn:aws:iam::123837392027:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk","assumeRolePolicyDocument":{"Version":"2012-10-17"},"maxSessionDuration":3600,"path":"/aws-service-role/elasticbeanstalk.amazonaws.com/","roleId":"AROAEXAMPLESLR","roleName":"AWSServiceRoleForElasticBeanstalk"}`},
		{name: "CreateServiceLinkedRole without response", source: iam, event: "CreateServiceLinkedRole", req: `{"aWSServiceName":"elasticbeanstalk.amazonaws.com"}`, wantErr: true},
		{name: "DeleteRole", source: iam, event: "DeleteRole", req: `{` + rn + `}`, want: `delete ` + role},
		{name: "DeleteRole in use", source: iam, event: "DeleteRole", req: `{` + rn + `}`, errorCode: "DeleteConflictException"},
		{name: "UpdateRole", source: iam, event: "UpdateRole", req: `{` + rn + `,"description":"","maxSessionDuration":43200}`,
			want: `set ` + role + ` description = ""
set ` + role + ` maxSessionDuration = 43200`},
		{name: "UpdateRoleDescription", source: iam, event: "UpdateRoleDescription", req: `{` + rn + `,"description":"steals"}`,
			want: `set ` + role + ` description = "steals"`},
		{name: "UpdateAssumeRolePolicy", source: iam, event: "UpdateAssumeRolePolicy",
			req:  `{` + rn + `,"policyDocument":"{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::193672423079:root\"}}],\"Version\":\"2012-10-17\"}"}`,
			want: `set ` + role + ` assumeRolePolicyDocument = {"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"}}],"Version":"2012-10-17"}`},
		{name: "UpdateAssumeRolePolicy without document", source: iam, event: "UpdateAssumeRolePolicy", req: `{` + rn + `}`, wantErr: true},
		{name: "AttachRolePolicy", source: iam, event: "AttachRolePolicy", req: `{` + rn + `,"policyArn":"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}`,
			want: `add ` + role + ` attachedPolicies.arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"`},
		{name: "DetachRolePolicy", source: iam, event: "DetachRolePolicy", req: `{` + rn + `,"policyArn":"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}`,
			want: `remove ` + role + ` attachedPolicies.arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`},
		{name: "PutRolePolicy", source: iam, event: "PutRolePolicy",
			req:  `{` + rn + `,"policyDocument":"{\"Statement\":[{\"Action\":[\"ec2:Describe*\"],\"Effect\":\"Allow\",\"Resource\":\"*\"}],\"Version\":\"2012-10-17\"}","policyName":"inline-policy"}`,
			want: `add ` + role + ` inlinePolicies.inline-policy = {"Statement":[{"Action":["ec2:Describe*"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`},
		{name: "PutRolePolicy without document", source: iam, event: "PutRolePolicy", req: `{` + rn + `,"policyName":"inline-policy"}`, wantErr: true},
		{name: "DeleteRolePolicy", source: iam, event: "DeleteRolePolicy", req: `{"policyName":"inline-policy",` + rn + `}`,
			want: `remove ` + role + ` inlinePolicies.inline-policy`},
		{name: "PutRolePermissionsBoundary", source: iam, event: "PutRolePermissionsBoundary", req: `{` + rn + `,"permissionsBoundary":"arn:aws:iam::123837392027:policy/boundary"}`,
			want: `set ` + role + ` permissionsBoundary = "arn:aws:iam::123837392027:policy/boundary"`},
		{name: "DeleteRolePermissionsBoundary", source: iam, event: "DeleteRolePermissionsBoundary", req: `{` + rn + `}`,
			want: `unset ` + role + ` permissionsBoundary`},
		{name: "TagRole", source: iam, event: "TagRole", req: `{` + rn + `,"tags":[{"key":"b","value":"2"},{"key":"a","value":"1"}]}`,
			want: `set ` + role + ` tags.a = "1"
set ` + role + ` tags.b = "2"`},
		{name: "UntagRole", source: iam, event: "UntagRole", req: `{` + rn + `,"tagKeys":["a","b"]}`,
			want: `unset ` + role + ` tags.a
unset ` + role + ` tags.b`},
		{name: "UntagRole without keys", source: iam, event: "UntagRole", req: `{` + rn + `}`, wantErr: true},
	})
}
