package reduce

import (
	"fmt"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
)

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
		{name: "TagUser without tags", source: iam, event: "TagUser", req: `{"userName":"u1"}`, wantErr: true},
		{name: "CreateUser with a permissions boundary", source: iam, event: "CreateUser",
			req:  `{"userName":"u2","permissionsBoundary":"arn:aws:iam::123837392027:policy/boundary"}`,
			resp: `{"user":{"path":"/","userName":"u2","userId":"AIDAEXAMPLE2","arn":"arn:aws:iam::123837392027:user/u2","createDate":"Jul 10, 2023 12:23:05 PM","permissionsBoundary":{"permissionsBoundaryType":"PermissionsPolicy","permissionsBoundaryArn":"arn:aws:iam::123837392027:policy/boundary"}}}`,
			want: `put global/AWS::IAM::User/u2 = {"arn":"arn:aws:iam::123837392027:user/u2","path":"/","permissionsBoundary":"arn:aws:iam::123837392027:policy/boundary","userId":"AIDAEXAMPLE2","userName":"u2"}`},
		{name: "AddUserToGroup", source: iam, event: "AddUserToGroup", req: `{"groupName":"administrators","userName":"alice"}`,
			want: `add global/AWS::IAM::User/alice groups.administrators = "administrators"`},
		{name: "RemoveUserFromGroup", source: iam, event: "RemoveUserFromGroup", req: `{"userName":"john.doe","groupName":"Developer"}`,
			want: `remove global/AWS::IAM::User/john.doe groups.Developer`},
		{name: "AddUserToGroup without group", source: iam, event: "AddUserToGroup", req: `{"userName":"alice"}`, wantErr: true},
		{name: "AddUserToGroup denied", source: iam, event: "AddUserToGroup", req: `{"groupName":"administrators","userName":"alice"}`, errorCode: "AccessDenied"},
		{name: "UpdateUser renames", source: iam, event: "UpdateUser", req: `{"userName":"u1","newUserName":"u1-renamed"}`,
			want: "delete global/AWS::IAM::User/u1\nput global/AWS::IAM::User/u1-renamed = {\"renamedFrom\":\"u1\",\"userName\":\"u1-renamed\"}"},
		{name: "UpdateUser renames and moves", source: iam, event: "UpdateUser", req: `{"userName":"u1","newUserName":"u2","newPath":"/ops/"}`,
			want: "delete global/AWS::IAM::User/u1\nput global/AWS::IAM::User/u2 = {\"path\":\"/ops/\",\"renamedFrom\":\"u1\",\"userName\":\"u2\"}"},
		{name: "UpdateUser moves", source: iam, event: "UpdateUser", req: `{"userName":"u1","newPath":"/ops/"}`,
			want: `set global/AWS::IAM::User/u1 path = "/ops/"`},
		{name: "UpdateUser without userName", source: iam, event: "UpdateUser", req: `{"newUserName":"u2"}`, wantErr: true},
		{name: "PutUserPermissionsBoundary", source: iam, event: "PutUserPermissionsBoundary",
			req:  `{"userName":"u1","permissionsBoundary":"arn:aws:iam::aws:policy/PowerUserAccess"}`,
			want: `set global/AWS::IAM::User/u1 permissionsBoundary = "arn:aws:iam::aws:policy/PowerUserAccess"`},
		{name: "PutUserPermissionsBoundary without boundary", source: iam, event: "PutUserPermissionsBoundary", req: `{"userName":"u1"}`, wantErr: true},
		{name: "DeleteUserPermissionsBoundary", source: iam, event: "DeleteUserPermissionsBoundary", req: `{"userName":"u1"}`,
			want: `unset global/AWS::IAM::User/u1 permissionsBoundary`},
	})
}

// rootRecord is a record of the root user calling IAM, as CloudTrail logs
// it (eventVersion 1.05).
func rootRecord(t *testing.T, name, req string) *event.Event {
	t.Helper()
	raw := fmt.Sprintf(`{"eventVersion":"1.05","userIdentity":{"type":"Root","principalId":"123837392027","arn":"arn:aws:iam::123837392027:root","accountId":"123837392027","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"mfaAuthenticated":"false","creationDate":"2020-10-13T21:05:40Z"}}},"eventTime":"2020-10-13T21:19:09Z","eventSource":"iam.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","userAgent":"Coral/Netty4","requestParameters":%s,"responseElements":null,"requestID":"r2","eventID":"ev-root","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123837392027"}`, name, req)
	e, err := event.NewParser().Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return e
}

// TestReduceIAMRootSkipped: the root user is not an IAM user, so calls on
// its own credentials and devices change no IAM resource.
func TestReduceIAMRootSkipped(t *testing.T) {
	for _, tc := range []struct{ name, req string }{
		{"EnableMFADevice", `{"userName":"AWS ROOT USER","serialNumber":"arn:aws:iam::123837392027:mfa/root-account-mfa-device"}`},
		{"DeactivateMFADevice", `{"userName":"AWS ROOT USER","serialNumber":"arn:aws:iam::123837392027:mfa/root-account-mfa-device"}`},
		{"CreateAccessKey", `{}`},
		{"DeleteAccessKey", `{"accessKeyId":"AKIAEXAMPLE"}`},
	} {
		cs, err := Reduce(rootRecord(t, tc.name, tc.req))
		if err != nil || len(cs) != 0 {
			t.Errorf("%s by root: %v %s", tc.name, err, summary(cs))
		}
	}
}

// TestIAMRenameHistories folds a user's creation, a policy attachment and
// a rename: the old name's history ends in a tombstone made by the rename,
// and the new name's history starts with it, pointing back.
func TestIAMRenameHistories(t *testing.T) {
	var steps []state.Step
	for i, r := range []struct{ name, req, resp string }{
		{"CreateUser", `{"userName":"u1","path":"/"}`, `{"user":{"path":"/","userName":"u1","userId":"AIDAEXAMPLE1","arn":"arn:aws:iam::123837392027:user/u1"}}`},
		{"AttachUserPolicy", `{"userName":"u1","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`, ``},
		{"UpdateUser", `{"userName":"u1","newUserName":"u2"}`, ``},
	} {
		s, err := Step(record(t, iam, r.name, r.req, r.resp, ""))
		if err != nil {
			t.Fatal(err)
		}
		s.Provenance.EventID = fmt.Sprintf("ev-%d", i)
		s.Provenance.EventTime = s.Provenance.EventTime.Add(time.Duration(i) * time.Second)
		steps = append(steps, s)
	}
	hs, err := state.FoldAll(steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].Resource.ID != "u1" || hs[1].Resource.ID != "u2" {
		t.Fatalf("histories: %+v", hs)
	}
	old, renamed := hs[0].Current(), hs[1].Current()
	if !old.Deleted || old.Provenance.EventName != "UpdateUser" || len(hs[0].Revisions) != 3 {
		t.Errorf("old name's last revision: %+v", old)
	}
	if renamed.Deleted || renamed.State["renamedFrom"] != "u1" || renamed.State["userName"] != "u2" || len(hs[1].Revisions) != 1 {
		t.Errorf("new name's revision: %+v", renamed)
	}
}
