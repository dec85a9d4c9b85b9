package statetest

import (
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// Resources of the fixtures.
var (
	SG   = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}
	SG2  = state.ResourceID{Account: "111111111111", Region: "eu-west-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-2"}
	Inst = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: "i-1"}
	User = state.ResourceID{Account: "222222222222", Region: "global", Type: "AWS::IAM::User", ID: "bob", ARN: "arn:aws:iam::222222222222:user/bob"}
)

// T0 is the time of the first fixture step.
var T0 = time.Date(2023, 7, 10, 12, 0, 0, 0, time.UTC)

func mk(id string, sec int, cs ...state.Change) state.Step {
	return state.Step{Provenance: state.Provenance{EventID: id, EventName: "E" + id, EventTime: T0.Add(time.Duration(sec) * time.Second), Actor: "arn:aws:iam::111111111111:user/alice"}, Changes: cs}
}

// Steps returns the fixture: a security group created, changed, touched by
// a failed call, changed without effect and deleted; a second group; an
// instance; a user created and deleted; and a step changing two resources.
func Steps() []state.Step {
	return []state.Step{
		mk("a", 0, state.Change{Resource: SG, Op: state.OpPut, Value: map[string]any{"name": "web", "n": 1, "egress": map[string]any{"all": map[string]any{"cidr": "0.0.0.0/0"}}}}),
		mk("b", 5, state.Change{Resource: SG, Op: state.OpAdd, Path: []string{"ingress", "tcp:22"}, Value: map[string]any{"cidr": "0.0.0.0/0", "from": 22}}),
		mk("c", 5, state.Change{Resource: SG, Op: state.OpSet, Path: []string{"tags", "env"}, Value: "prod"}),
		{Provenance: state.Provenance{EventID: "d", EventName: "RevokeSecurityGroupIngress", EventTime: T0.Add(10 * time.Second), ErrorCode: "Client.InvalidPermission.NotFound"}, Targets: []state.ResourceID{SG}},
		mk("e", 20, state.Change{Resource: SG, Op: state.OpRemove, Path: []string{"ingress", "tcp:22"}}),
		mk("f", 30, state.Change{Resource: SG, Op: state.OpSet, Path: []string{"tags", "env"}, Value: "prod"}),
		mk("g", 40, state.Change{Resource: SG, Op: state.OpDelete}),
		mk("h", 3, state.Change{Resource: SG2, Op: state.OpPut, Value: map[string]any{"name": "db", "big": int64(1) << 60, "f": 1.5}}),
		mk("i", 7, state.Change{Resource: Inst, Op: state.OpPut, Value: map[string]any{"type": "t3.micro", "groups": []any{"sg-1", "sg-2"}}},
			state.Change{Resource: SG2, Op: state.OpSet, Path: []string{"attached", "i-1"}, Value: true}),
		mk("j", 1, state.Change{Resource: User, Op: state.OpPut, Value: map[string]any{"name": "bob"}}),
		mk("k", 50, state.Change{Resource: User, Op: state.OpDelete}),
	}
}
