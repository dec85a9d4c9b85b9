package reconcile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// TestReconcileMatchesReducers checks that the state the reducers derive
// from the events that made each resource equals what a snapshot of it
// shows: the VPC, the IAM users, role, group and policy, and the function
// come out unchanged (or merely refreshed), not drifted.
func TestReconcileMatchesReducers(t *testing.T) {
	s := openStore(t)
	t0 := time.Date(2024, 3, 4, 8, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Second)
	const (
		ec2 = "ec2.amazonaws.com"
		iam = "iam.amazonaws.com"
		lam = "lambda.amazonaws.com"
	)
	record(t, s, "e1", ec2, "CreateVpc", t0, `{"cidrBlock":"10.0.0.0/16","instanceTenancy":"default","tagSpecificationSet":{"items":[{"resourceType":"vpc","tags":[{"key":"Name","value":"prod"}]}]}}`,
		`{"vpc":{"vpcId":"vpc-1a2b3c4d","state":"pending","ownerId":"111122223333","cidrBlock":"10.0.0.0/16","cidrBlockAssociationSet":{"items":[{"cidrBlock":"10.0.0.0/16","associationId":"vpc-cidr-assoc-062c64cfafEXAMPLE","cidrBlockState":{"state":"associated"}}]},"ipv6CidrBlockAssociationSet":{},"dhcpOptionsId":"dopt-19edf471","instanceTenancy":"default","tagSet":{"items":[{"key":"Name","value":"prod"}]},"isDefault":false}}`)

	trust := `{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}`
	record(t, s, "e2", iam, "CreateRole", t0, `{"roleName":"app-role","assumeRolePolicyDocument":"`+trust+`"}`,
		`{"role":{"path":"/","roleName":"app-role","roleId":"AROA4EXAMPLEAPPROLE1","arn":"arn:aws:iam::111122223333:role/app-role","createDate":"Feb 11, 2024 4:40:12 PM","assumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%7D"}}`)
	record(t, s, "e3", iam, "PutRolePolicy", t1, `{"roleName":"app-role","policyName":"queue-access","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}]}"}`, `null`)

	v1 := `{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:UpdateService\",\"Resource\":\"*\"}]}`
	v2 := `{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ecs:UpdateService\",\"ecs:DescribeServices\"],\"Resource\":\"*\"}]}`
	record(t, s, "e4", iam, "CreatePolicy", t0, `{"policyName":"deploy-policy","policyDocument":"`+v1+`"}`,
		`{"policy":{"policyName":"deploy-policy","policyId":"ANPA4EXAMPLEDEPLOY01","arn":"arn:aws:iam::111122223333:policy/deploy-policy","path":"/","defaultVersionId":"v1","attachmentCount":0,"isAttachable":true}}`)
	record(t, s, "e5", iam, "CreatePolicyVersion", t1, `{"policyArn":"arn:aws:iam::111122223333:policy/deploy-policy","policyDocument":"`+v2+`","setAsDefault":true}`,
		`{"policyVersion":{"versionId":"v2","isDefaultVersion":true}}`)

	record(t, s, "e6", iam, "CreateGroup", t0, `{"groupName":"admins"}`, `{"group":{"path":"/","groupName":"admins","groupId":"AGPA4EXAMPLEADMINS01","arn":"arn:aws:iam::111122223333:group/admins"}}`)
	record(t, s, "e7", iam, "AttachGroupPolicy", t1, `{"groupName":"admins","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, `null`)

	record(t, s, "e8", iam, "CreateUser", t0, `{"userName":"alice","tags":[{"key":"team","value":"security"}]}`,
		`{"user":{"path":"/","userName":"alice","userId":"AIDA4EXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice"}}`)
	record(t, s, "e9", iam, "AddUserToGroup", t1, `{"groupName":"admins","userName":"alice"}`, `null`)
	record(t, s, "e10", iam, "AttachUserPolicy", t1, `{"userName":"alice","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`, `null`)
	record(t, s, "e11", iam, "PutUserPolicy", t1, `{"userName":"alice","policyName":"read-logs","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::logs-bucket/*\"}]}"}`, `null`)
	record(t, s, "e12", iam, "CreateUser", t0, `{"userName":"ci-deployer","path":"/service/","permissionsBoundary":"arn:aws:iam::111122223333:policy/boundary"}`,
		`{"user":{"path":"/service/","userName":"ci-deployer","userId":"AIDA4EXAMPLECIDEPL002","arn":"arn:aws:iam::111122223333:user/service/ci-deployer","permissionsBoundary":{"permissionsBoundaryType":"Policy","permissionsBoundaryArn":"arn:aws:iam::111122223333:policy/boundary"}}}`)
	record(t, s, "e13", iam, "AttachUserPolicy", t1, `{"userName":"ci-deployer","policyArn":"arn:aws:iam::111122223333:policy/deploy-policy"}`, `null`)

	fn := "arn:aws:lambda:us-east-1:111122223333:function:thumbnailer"
	record(t, s, "e14", lam, "CreateFunction20150331", t0,
		`{"functionName":"thumbnailer","runtime":"python3.12","role":"arn:aws:iam::111122223333:role/service-role/thumbnailer-role","handler":"app.handler","code":{},"timeout":30,"memorySize":512,"layers":["arn:aws:lambda:us-east-1:111122223333:layer:pillow:3"],"vpcConfig":{"subnetIds":["subnet-04a636d18e83cfacb"],"securityGroupIds":["sg-0b0384b66d7d692f9"]},"environment":{"variables":{"TABLE":"images","API_TOKEN":"x"}}}`,
		`{"functionName":"thumbnailer","functionArn":"`+fn+`","runtime":"python3.12","role":"arn:aws:iam::111122223333:role/service-role/thumbnailer-role","handler":"app.handler","timeout":30,"memorySize":512,"codeSha256":"YFgDgEKG3ugvF1+pX64gV6tu9qNuIYNUdgJm8nCxsm4=","version":"$LATEST","vpcConfig":{"subnetIds":["subnet-04a636d18e83cfacb"],"securityGroupIds":["sg-0b0384b66d7d692f9"],"vpcId":"vpc-1a2b3c4d"},"environment":{"variables":{"TABLE":"images","API_TOKEN":"x"}},"layers":[{"arn":"arn:aws:lambda:us-east-1:111122223333:layer:pillow:3","codeSize":3021122}]}`)

	docs := testdata(t, snapshot.ReadOptions{Region: region}, "describe-vpcs.json", "get-account-authorization-details.json", "list-functions.json")
	rep, err := Reconcile(t.Context(), s, docs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"refreshed 111122223333/us-east-1/AWS::EC2::VPC/vpc-1a2b3c4d ~state", // pending → available
		"discovered 111122223333/us-east-1/AWS::EC2::VPC/vpc-0e9801d129EXAMPLE cidrBlock,cidrBlockAssociations,dhcpOptionsId,instanceTenancy,isDefault,state,vpcId",
		"unchanged 111122223333/global/AWS::IAM::User/alice",
		"unchanged 111122223333/global/AWS::IAM::User/ci-deployer",
		"unchanged 111122223333/global/AWS::IAM::Role/app-role",
		"unchanged 111122223333/global/AWS::IAM::Group/admins",
		"unchanged 111122223333/global/AWS::IAM::Policy/deploy-policy",
		"unchanged 111122223333/us-east-1/AWS::Lambda::Function/thumbnailer",
		"discovered 111122223333/us-east-1/AWS::Lambda::Function/hello codeSha256,functionArn,functionName,handler,memorySize,role,runtime,timeout",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}
