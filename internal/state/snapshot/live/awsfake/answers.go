// The bodies of the fake's answers, in each service's wire format (see the
// package doc for the resources they describe).

package awsfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// assumeRoleXML answers credentials whose key names the role's account.
func assumeRoleXML(roleARN string) string {
	// arn:aws:iam::<account>:role/<name>
	parts := strings.Split(roleARN, ":")
	account := ""
	if len(parts) > 4 {
		account = parts[4]
	}
	return fmt.Sprintf(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIA%[1]s</AccessKeyId><SecretAccessKey>session-secret</SecretAccessKey><SessionToken>session-token-%[1]s</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROA:trailwarden-reconcile</AssumedRoleId><Arn>arn:aws:sts::%[1]s:assumed-role/audit/trailwarden-reconcile</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>`, account)
}

func callerIdentityXML(account string) string {
	return fmt.Sprintf(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:sts::%[1]s:assumed-role/audit/trailwarden-reconcile</Arn><UserId>AROA:trailwarden-reconcile</UserId><Account>%[1]s</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, account)
}

// instancesXML answers two pages: instance i-<region>-1 (with a profile,
// tags and a group) on the first, i-<region>-2 on the second.
func instancesXML(account, region, token string) string {
	n, next, profile := 1, "<nextToken>page2</nextToken>", `<iamInstanceProfile><arn>arn:aws:iam::`+account+`:instance-profile/web</arn><id>AIPA1</id></iamInstanceProfile>`
	if token == "page2" {
		n, next, profile = 2, "", ""
	}
	return fmt.Sprintf(`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId>
<reservationSet><item><reservationId>r-%[2]s-%[3]d</reservationId><ownerId>%[1]s</ownerId><groupSet/>
<instancesSet><item><instanceId>i-%[2]s-%[3]d</instanceId><imageId>ami-1</imageId><instanceType>t3.micro</instanceType>
<instanceState><code>16</code><name>running</name></instanceState>
<launchTime>2026-11-30T10:00:00.000Z</launchTime>
<placement><availabilityZone>%[2]sa</availabilityZone><tenancy>default</tenancy></placement>
%[4]s
<groupSet><item><groupId>sg-%[2]s-1</groupId><groupName>web</groupName></item></groupSet>
<tagSet><item><key>Name</key><value>web-%[3]d</value></item></tagSet>
<vpcId>vpc-%[2]s</vpcId></item></instancesSet></item></reservationSet>%[5]s</DescribeInstancesResponse>`,
		account, region, n, profile, next)
}

func securityGroupsXML(account, region, token string) string {
	n, next := 1, "<nextToken>sg-page2</nextToken>"
	if token == "sg-page2" {
		n, next = 2, ""
	}
	return fmt.Sprintf(`<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId>
<securityGroupInfo><item><ownerId>%[1]s</ownerId><groupId>sg-%[2]s-%[3]d</groupId><groupName>web-%[3]d</groupName><groupDescription>web</groupDescription><vpcId>vpc-%[2]s</vpcId>
<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>ssh</description></item></ipRanges><ipv6Ranges/><prefixListIds/></item></ipPermissions>
<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissionsEgress>
<tagSet><item><key>team</key><value>edge</value></item></tagSet></item></securityGroupInfo>%[4]s</DescribeSecurityGroupsResponse>`,
		account, region, n, next)
}

func vpcsXML(account, region string) string {
	return fmt.Sprintf(`<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId>
<vpcSet><item><vpcId>vpc-%[2]s</vpcId><ownerId>%[1]s</ownerId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><isDefault>true</isDefault>
<tagSet><item><key>Name</key><value>main</value></item></tagSet></item></vpcSet></DescribeVpcsResponse>`, account, region)
}

// Policy documents as IAM sends them: URL-encoded JSON.
var (
	trustPolicy  = url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	inlinePolicy = url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`)
	adminPolicy  = url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
)

// authorizationXML answers two pages: a user and a group on the first, a
// role and a managed policy on the second.
func authorizationXML(account, marker string) string {
	var result string
	if marker == "" {
		result = fmt.Sprintf(`<IsTruncated>true</IsTruncated><Marker>iam-page2</Marker>
<UserDetailList><member><Path>/</Path><UserName>alice</UserName><UserId>AIDA1</UserId><Arn>arn:aws:iam::%[1]s:user/alice</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate>
<UserPolicyList><member><PolicyName>read-logs</PolicyName><PolicyDocument>%[2]s</PolicyDocument></member></UserPolicyList>
<GroupList><member>admins</member></GroupList><AttachedManagedPolicies/><Tags><member><Key>team</Key><Value>sec</Value></member></Tags></member></UserDetailList>
<GroupDetailList><member><Path>/</Path><GroupName>admins</GroupName><GroupId>AGPA1</GroupId><Arn>arn:aws:iam::%[1]s:group/admins</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate>
<GroupPolicyList/><AttachedManagedPolicies><member><PolicyName>admin</PolicyName><PolicyArn>arn:aws:iam::%[1]s:policy/admin</PolicyArn></member></AttachedManagedPolicies></member></GroupDetailList>
<RoleDetailList/><Policies/>`, account, inlinePolicy)
	} else {
		result = fmt.Sprintf(`<IsTruncated>false</IsTruncated><UserDetailList/><GroupDetailList/>
<RoleDetailList><member><Path>/</Path><RoleName>web</RoleName><RoleId>AROA1</RoleId><Arn>arn:aws:iam::%[1]s:role/web</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate>
<AssumeRolePolicyDocument>%[2]s</AssumeRolePolicyDocument>
<InstanceProfileList><member><Path>/</Path><InstanceProfileName>web</InstanceProfileName><InstanceProfileId>AIPA1</InstanceProfileId><Arn>arn:aws:iam::%[1]s:instance-profile/web</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate><Roles/></member></InstanceProfileList>
<RolePolicyList/><AttachedManagedPolicies/><Tags/><RoleLastUsed><LastUsedDate>2026-11-29T08:00:00Z</LastUsedDate><Region>us-east-1</Region></RoleLastUsed></member></RoleDetailList>
<Policies><member><PolicyName>admin</PolicyName><PolicyId>ANPA1</PolicyId><Arn>arn:aws:iam::%[1]s:policy/admin</Arn><Path>/</Path><DefaultVersionId>v2</DefaultVersionId><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable>
<CreateDate>2026-01-02T03:04:05Z</CreateDate><UpdateDate>2026-02-02T03:04:05Z</UpdateDate>
<PolicyVersionList><member><Document>%[3]s</Document><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion><CreateDate>2026-02-02T03:04:05Z</CreateDate></member></PolicyVersionList></member></Policies>`,
			account, trustPolicy, adminPolicy)
	}
	return `<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountAuthorizationDetailsResult>` +
		result + `</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>`
}

// bucketsXML answers two pages: "logs-<account>" and "site-<account>" (in
// eu-west-1) on the first, "broken-<account>" on the second.
func bucketsXML(account, token string) string {
	buckets := fmt.Sprintf(`<Bucket><Name>logs-%[1]s</Name><CreationDate>2025-05-05T05:05:05.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>
<Bucket><Name>site-%[1]s</Name><CreationDate>2025-06-06T06:06:06.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>`, account)
	next := "<ContinuationToken>buckets-page2</ContinuationToken>"
	if token == "buckets-page2" {
		buckets = fmt.Sprintf(`<Bucket><Name>broken-%[1]s</Name><CreationDate>2025-07-07T07:07:07.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>`, account)
		next = ""
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>owner-%[1]s</ID><DisplayName>ops</DisplayName></Owner>
<Buckets>%[2]s</Buckets>%[3]s</ListAllMyBucketsResult>`, account, buckets, next)
}

// BucketPolicy is the policy the fake answers for bucket: public read of
// its objects.
func BucketPolicy(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

func bucketACLXML(account string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>owner-%[1]s</ID><DisplayName>ops</DisplayName></Owner>
<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>owner-%[1]s</ID><DisplayName>ops</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`, account)
}

const publicAccessBlockXML = `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`

func encryptionXML(account string) string {
	return `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:` + account + `:key/k1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`
}

// functionsJSON answers two pages: fn-<region>-1, then fn-<region>-2.
func functionsJSON(account, region, marker string) string {
	n, next := 1, "fn-page2"
	if marker == "fn-page2" {
		n, next = 2, ""
	}
	fn := map[string]any{
		"FunctionName":  fmt.Sprintf("fn-%s-%d", region, n),
		"FunctionArn":   fmt.Sprintf("arn:aws:lambda:%s:%s:function:fn-%s-%d", region, account, region, n),
		"Runtime":       "python3.13",
		"Role":          fmt.Sprintf("arn:aws:iam::%s:role/web", account),
		"Handler":       "app.handler",
		"CodeSize":      1234,
		"Timeout":       30,
		"MemorySize":    256,
		"LastModified":  "2026-11-01T12:00:00.000+0000",
		"Environment":   map[string]any{"Variables": map[string]string{"STAGE": "prod"}},
		"VpcConfig":     map[string]any{"SubnetIds": []string{"subnet-1"}, "SecurityGroupIds": []string{"sg-" + region + "-1"}, "VpcId": "vpc-" + region},
		"Architectures": []string{"arm64"},
		"PackageType":   "Zip",
	}
	page := map[string]any{"Functions": []any{fn}}
	if next != "" {
		page["NextMarker"] = next
	}
	b, _ := json.Marshal(page)
	return string(b)
}
