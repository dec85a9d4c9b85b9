package live

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// describeInstances reads every page of DescribeInstances into
// {"Reservations": [...]}.
func describeInstances(ctx context.Context, client *ec2.Client) (json.RawMessage, error) {
	all := ec2.DescribeInstancesOutput{Reservations: []types.Reservation{}}
	p := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Reservations = append(all.Reservations, page.Reservations...)
	}
	return cliJSON(&all)
}

// describeSecurityGroups reads every page of DescribeSecurityGroups into
// {"SecurityGroups": [...]}.
func describeSecurityGroups(ctx context.Context, client *ec2.Client) (json.RawMessage, error) {
	all := ec2.DescribeSecurityGroupsOutput{SecurityGroups: []types.SecurityGroup{}}
	p := ec2.NewDescribeSecurityGroupsPaginator(client, &ec2.DescribeSecurityGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.SecurityGroups = append(all.SecurityGroups, page.SecurityGroups...)
	}
	return cliJSON(&all)
}

// describeVpcs reads every page of DescribeVpcs into {"Vpcs": [...]}.
func describeVpcs(ctx context.Context, client *ec2.Client) (json.RawMessage, error) {
	all := ec2.DescribeVpcsOutput{Vpcs: []types.Vpc{}}
	p := ec2.NewDescribeVpcsPaginator(client, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Vpcs = append(all.Vpcs, page.Vpcs...)
	}
	return cliJSON(&all)
}
