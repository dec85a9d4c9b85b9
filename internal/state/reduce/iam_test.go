package reduce

import "testing"

const iam = "iam.amazonaws.com"

func TestReduceIAMUsers(t *testing.T) {
	runCases(t, []reduceCase{
		{name: "CreateUser", source: iam, event: "CreateUser", req: `{"path":"/","userName":"u1","tags":[{"key":"team","value":"red"}]}`,
			resp: `{"user":{"path":"/","userName":"u1","userId":"AIDATFQR7NSCYG26CT6RI","arn":"arn:aws:iam::123837392027:user/u1","createDate":"Jul 10, 2023 12:23:05 PM"}}`,
			want: `put global/AWS::IAM::User/u1 = {"arn":"arn:aws:iam::123837392027:user/u1","path":"/","tags":{"team":"red"},"userId":"AIDATFQR7NSCYG26CT6RI","userName":"u1"}`},
		{name: "CreateUser without response", source: iam, event: "CreateUser", req: `{"userName":"u1"}`,
			want: `put global/AWS::IAM::User/u1 = {"path":"/","userName":"u1"}`},
		{name: "DeleteUser", source: iam, event: "DeleteUser", req: `{"userName":"u1"}`, want: `delete global/AWS::IAM::User/u1`},
		{name: "CreateAccessKey", source: iam, event: "CreateAccessKey", req: `{"userName":"u1"}`,
			resp: `{"accessKey":{"accessKeyId":"AKIATFQR7NSC3ZO6PKAZ","status":"Active","userName":"u1","createDate":"Jul 10, 2023 12:24:29 PM"}}`,
			want: `add global/AWS::IAM::User/u1 accessKeys.AKIATFQR7NSC3ZO6PKAZ = {"createDate":"Jul 10, 2023 12:24:29 PM","status":"Active"}`},
		{name: "CreateAccessKey for oneself", source: iam, event: "CreateAccessKey", req: `{}`,
			resp: `{"accessKey":{"accessKeyId":"AKIA2","status":"Active"}}`,
			want: `add global/AWS::IAM::User/bert-jan accessKeys.AKIA2 = {"status":"Active"}`},
		{name: "CreateAccessKey without response", source: iam, event: "CreateAccessKey", req: `{"userName":"u1"}`, wantErr: true},
		{name: "UpdateAccessKey", source: iam, event: "UpdateAccessKey", req: `{"userName":"u1","accessKeyId":"AKIA2","status":"Inactive"}`,
			want: `set global/AWS::IAM::User/u1 accessKeys.AKIA2.status = "Inactive"`},
		{name: "DeleteAccessKey", source: iam, event: "DeleteAccessKey", req: `{"userName":"u1","accessKeyId":"AKIA2"}`,
			want: `remove global/AWS::IAM::User/u1 accessKeys.AKIA2`},
		{name: "CreateLoginProfile", source: iam, event: "CreateLoginProfile", req: `{"passwordResetRequired":false,"userName":"u1"}`,
			resp: `{"loginProfile":{"passwordResetRequired":false,"userName":"u1","createDate":"Jul 10, 2023 12:25:04 PM"}}`,
			want: `set global/AWS::IAM::User/u1 loginProfile = {"passwordResetRequired":false}`},
		{name: "DeleteLoginProfile", source: iam, event: "DeleteLoginProfile", req: `{"userName":"u1"}`, want: `unset global/AWS::IAM::User/u1 loginProfile`},
		{name: "DeleteLoginProfile failed", source: iam, event: "DeleteLoginProfile", req: `{"userName":"u1"}`, errorCode: "NoSuchEntityException"},
		{name: "AttachUserPolicy", source: iam, event: "AttachUserPolicy", req: `{"userName":"u1","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`,
			want: `add global/AWS::IAM::User/u1 attachedPolicies.arn:aws:iam::aws:policy/AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"`},
		{name: "DetachUserPolicy", source: iam, event: "DetachUserPolicy", req: `{"userName":"u1","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`,
			want: `remove global/AWS::IAM::User/u1 attachedPolicies.arn:aws:iam::aws:policy/AdministratorAccess`},
		{name: "AttachUserPolicy without policy", source: iam, event: "AttachUserPolicy", req: `{"userName":"u1"}`, wantErr: true},
		{name: "PutUserPolicy url-encoded", source: iam, event: "PutUserPolicy", req: `{"userName":"u1","policyName":"p","policyDocument":"%7B%22Version%22%3A%222012-10-17%22%7D"}`,
			want: `add global/AWS::IAM::User/u1 inlinePolicies.p = {"Version":"2012-10-17"}`},
		{name: "DeleteUserPolicy", source: iam, event: "DeleteUserPolicy", req: `{"userName":"u1","policyName":"p"}`,
			want: `remove global/AWS::IAM::User/u1 inlinePolicies.p`},
		{name: "TagUser and UntagUser", source: iam, event: "TagUser", req: `{"userName":"u1","tags":[{"key":"a","value":"1"}]}`,
			want: `set global/AWS::IAM::User/u1 tags.a = "1"`},
		{name: "UntagUser", source: iam, event: "UntagUser", req: `{"userName":"u1","tagKeys":["a"]}`, want: `unset global/AWS::IAM::User/u1 tags.a`},
	})
}
