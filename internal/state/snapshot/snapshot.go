// Package snapshot holds what AWS said about resources at one time: the
// JSON a read-only call prints (aws ec2 describe-instances, aws iam
// get-account-authorization-details, ...), from a file or from live AWS.
// Reconciliation compares it with the state derived from events.
package snapshot

import (
	"encoding/json"
	"time"
)

// Kind names the call a Document holds the answer of, as
// "service:Operation".
type Kind string

// The kinds trailwarden reads.
const (
	EC2Instances          Kind = "ec2:DescribeInstances"
	EC2SecurityGroups     Kind = "ec2:DescribeSecurityGroups"
	EC2VPCs               Kind = "ec2:DescribeVpcs"
	IAMAuthorization      Kind = "iam:GetAccountAuthorizationDetails"
	S3Buckets             Kind = "s3:ListBuckets"
	S3BucketPolicy        Kind = "s3:GetBucketPolicy"
	S3BucketACL           Kind = "s3:GetBucketAcl"
	S3PublicAccessBlock   Kind = "s3:GetPublicAccessBlock"
	S3BucketEncryption    Kind = "s3:GetBucketEncryption"
	LambdaFunctions       Kind = "lambda:ListFunctions"
	EC2Snapshots          Kind = "ec2:DescribeSnapshots"
	CloudTrailTrails      Kind = "cloudtrail:DescribeTrails"
	KMSKeys               Kind = "kms:ListKeys"
	RDSDBInstances        Kind = "rds:DescribeDBInstances"
	EC2Subnets            Kind = "ec2:DescribeSubnets"
	EC2RouteTables        Kind = "ec2:DescribeRouteTables"
	EC2InternetGateways   Kind = "ec2:DescribeInternetGateways"
	EC2NetworkACLs        Kind = "ec2:DescribeNetworkAcls"
	EC2PeeringConnections Kind = "ec2:DescribeVpcPeeringConnections"
)

// Document is the answer of one call for one account and region, all its
// pages merged.
type Document struct {
	Kind    Kind   `json:"kind"`
	Account string `json:"account"`
	// Region is the region asked; "" for global services (IAM, the S3
	// bucket list).
	Region string `json:"region,omitempty"`
	// Bucket names the bucket of a per-bucket call (policy, ACL, public
	// access block, encryption).
	Bucket  string    `json:"bucket,omitempty"`
	TakenAt time.Time `json:"takenAt"`
	// Source says where the document came from: a file path, or
	// "aws:<account>/<region>" for a live call.
	Source string `json:"source"`
	// Data is exactly what the AWS CLI prints for the call, in its
	// PascalCase shape ({"Reservations": [...]}, {"SecurityGroups": [...]},
	// ...), the pages merged. Absent members may be null.
	Data json.RawMessage `json:"data"`
}
