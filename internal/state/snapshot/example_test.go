package snapshot_test

import (
	"fmt"
	"time"

	"github.com/trailwarden/trailwarden/internal/state/snapshot"
)

// Read detects the call from the file's top-level keys; Observe gives the
// resources in the reducers' state shape.
func ExampleRead() {
	out := `{"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web", "Description": "web tier", "OwnerId": "111122223333",
	  "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
	  "IpPermissionsEgress": []}]}`
	docs, err := snapshot.Read("sgs.json", []byte(out), snapshot.ReadOptions{Region: "eu-west-1", TakenAt: time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	o, err := snapshot.Observe(docs[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(docs[0].Kind, docs[0].Account, docs[0].Region)
	for _, r := range o.Resources {
		fmt.Println(r.ID.Key(), r.State["ingress"])
	}
	fmt.Println("complete:", o.Complete)
	// Output:
	// ec2:DescribeSecurityGroups 111122223333 eu-west-1
	// 111122223333/eu-west-1/AWS::EC2::SecurityGroup/sg-1 map[tcp:22-22:cidrIpv4:0.0.0.0/0:map[cidrIpv4:0.0.0.0/0 fromPort:22 protocol:tcp toPort:22]]
	// complete: [{AWS::EC2::SecurityGroup 111122223333 eu-west-1}]
}
