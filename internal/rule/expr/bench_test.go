package expr

import (
	"testing"

	"cel.dev/cel-go/cel"

	"github.com/trailwarden/trailwarden/internal/event"
)

// BenchmarkCondition measures typical conditions of rules that see every
// event, on one decoded record.
func BenchmarkCondition(b *testing.B) {
	env, err := NewEnv()
	if err != nil {
		b.Fatal(err)
	}
	e, err := event.NewParser().Parse([]byte(rec))
	if err != nil {
		b.Fatal(err)
	}
	params := Params(map[string]any{"regions": []any{"us-east-1", "us-west-2", "eu-west-1"},
		"uas": []any{"*kali*", "*parrot*", "*pentoo*", "*blackarch*", "*pacu*", "*trufflehog*", "*cloudfox*", "*aws_consoler*", "*weirdaal*", "*enumerate-iam*", "*stratus-red-team*"}})
	for name, src := range map[string]string{
		"true":       `true`,
		"region-in":  `!(event.awsRegion in params.regions)`,
		"nested-opt": `event.userIdentity.type == "AssumedRole" && event.userIdentity.?sessionContext.?ec2RoleDelivery.orValue("") == "1.0"`,
		"ua-globs":   `globMatchAnyFold(params.uas, event.eventSource)`,
		"ua-exists":  `params.uas.exists(p, globMatchFold(p, event.eventSource))`,
	} {
		p, err := env.Compile(src, cel.BoolType)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var a Activation
			b.ReportAllocs()
			for b.Loop() {
				a.Reset(e, params)
				if _, err := p.EvalBool(&a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
