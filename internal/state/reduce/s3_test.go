package reduce

import "testing"

const s3 = "s3.amazonaws.com"

func TestReduceS3Buckets(t *testing.T) {
	const b = `"bucketName":"ctes-bucket","Host":"ctes-bucket.s3.amazonaws.com"`
	runCases(t, []reduceCase{
		{name: "CreateBucket", source: s3, event: "CreateBucket", req: `{` + b + `,"x-amz-acl":"private"}`,
			want: `put global/AWS::S3::Bucket/ctes-bucket = {"acl":"private","name":"ctes-bucket","region":"us-east-1"}`},
		{name: "CreateBucket elsewhere", source: s3, event: "CreateBucket", req: `{` + b + `,"CreateBucketConfiguration":{"LocationConstraint":"eu-west-1","xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}}`,
			want: `put global/AWS::S3::Bucket/ctes-bucket = {"name":"ctes-bucket","region":"eu-west-1"}`},
		{name: "CreateBucket without name", source: s3, event: "CreateBucket", req: `{"Host":"s3.amazonaws.com"}`, wantErr: true},
		{name: "PutBucketPolicy", source: s3, event: "PutBucketPolicy",
			req:  `{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Action":"s3:GetBucketAcl","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Resource":"arn:aws:s3:::ctes-bucket","Sid":"AWSCloudTrailAclCheck"}]},` + b + `,"policy":""}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket policy = {"Statement":[{"Action":"s3:GetBucketAcl","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Resource":"arn:aws:s3:::ctes-bucket","Sid":"AWSCloudTrailAclCheck"}],"Version":"2012-10-17"}`},
		{name: "PutBucketPolicy as a string", source: s3, event: "PutBucketPolicy", req: `{` + b + `,"policy":"{\"Version\":\"2012-10-17\"}"}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket policy = {"Version":"2012-10-17"}`},
		{name: "PutBucketPolicy without policy", source: s3, event: "PutBucketPolicy", req: `{` + b + `}`, wantErr: true},
		{name: "DeleteBucketPolicy", source: s3, event: "DeleteBucketPolicy", req: `{` + b + `,"policy":""}`,
			want: `unset global/AWS::S3::Bucket/ctes-bucket policy`},
		{name: "PutBucketPublicAccessBlock", source: s3, event: "PutBucketPublicAccessBlock",
			req:  `{"publicAccessBlock":"","PublicAccessBlockConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","RestrictPublicBuckets":false,"BlockPublicPolicy":false,"BlockPublicAcls":false,"IgnorePublicAcls":false},` + b + `}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket publicAccessBlock = {"BlockPublicAcls":false,"BlockPublicPolicy":false,"IgnorePublicAcls":false,"RestrictPublicBuckets":false}`},
		{name: "PutBucketAcl canned", source: s3, event: "PutBucketAcl", req: `{` + b + `,"acl":"","x-amz-acl":"public-read"}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket acl = "public-read"`},
		{name: "PutBucketAcl grants", source: s3, event: "PutBucketAcl", req: `{` + b + `,"AccessControlPolicy":{"xmlns":"x","AccessControlList":{"Grant":{"Permission":"READ","Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"}}}}}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket acl = {"AccessControlList":{"Grant":{"Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}}}`},
		{name: "PutBucketEncryption", source: s3, event: "PutBucketEncryption", req: `{` + b + `,"ServerSideEncryptionConfiguration":{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}}}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket encryption = {"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}}`},
		{name: "PutBucketVersioning", source: s3, event: "PutBucketVersioning", req: `{` + b + `,"VersioningConfiguration":{"Status":"Enabled","xmlns":"x"}}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket versioning = "Enabled"`},
		{name: "PutBucketTagging one tag with a boolean value", source: s3, event: "PutBucketTagging",
			req:  `{"Tagging":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","TagSet":{"Tag":{"Value":true,"Key":"StratusRedTeam"}}},"tagging":"",` + b + `}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket tags = {"StratusRedTeam":"true"}`},
		{name: "PutBucketTagging list", source: s3, event: "PutBucketTagging",
			req:  `{"Tagging":{"TagSet":{"Tag":[{"Value":"a","Key":"k1"},{"Value":"b","Key":"k2"}]}},` + b + `}`,
			want: `set global/AWS::S3::Bucket/ctes-bucket tags = {"k1":"a","k2":"b"}`},
		{name: "DeleteBucket", source: s3, event: "DeleteBucket", req: `{` + b + `}`,
			want: `delete global/AWS::S3::Bucket/ctes-bucket`},
		{name: "DeleteBucket not empty", source: s3, event: "DeleteBucket", req: `{` + b + `}`, errorCode: "BucketNotEmpty"},
	})
}
