package expr

import (
	"errors"
	"reflect"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// StateReader gives expressions the state of resources (the resource state
// store) at a time: the event's. The JSON returned is a resource's state
// document. Implementations bound their own work (time, count).
type StateReader interface {
	// Resource returns the state at time at (zero: now) of the resource of
	// type typ and id in account and region; nil, nil when there is none or
	// it is deleted.
	Resource(account, region, typ, id string, at time.Time) ([]byte, error)
	// Resources returns the states at time at (zero: now) of the live
	// resources of type typ in account and region, at most MaxResources.
	Resources(account, region, typ string, at time.Time) ([][]byte, error)
}

var errNoConversion = errors.New("state has no native value")

// MaxResources bounds the list state.resources returns.
const MaxResources = 10_000

// stateType is the CEL type of the `state` variable.
var stateType = cel.ObjectType("trailwarden.State")

// stateVal is the value bound to `state` for one event: the reader and the
// event's account and region.
type stateVal struct {
	r       StateReader
	account string
	region  string
	at      time.Time // the event's time
	// lists caches state.resources per type for the event bound: an
	// expression that asks again (in a comprehension, say) reads once.
	lists map[string]ref.Val
}

func (s *stateVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, errNoConversion
}
func (s *stateVal) ConvertToType(t ref.Type) ref.Val {
	return types.NewErr("no conversion of state to %s", t)
}
func (s *stateVal) Equal(o ref.Val) ref.Val { return types.Bool(o == ref.Val(s)) }
func (s *stateVal) Type() ref.Type          { return types.NewObjectType("trailwarden.State") }
func (s *stateVal) Value() any              { return s }

// stateFunctions declares state.resource(type, id) and state.resources(type):
// the state of resources in the event's account and region (IAM and S3
// buckets are global: the reader resolves that) as of the event's time, so
// that an old event is judged against the state of its day and a change
// event against the state its own revision made.
func stateFunctions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Variable("state", stateType),
		cel.Function("resource", cel.MemberOverload("state_resource_string_string",
			[]*cel.Type{stateType, cel.StringType, cel.StringType}, cel.DynType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				s, ok := args[0].(*stateVal)
				if !ok || s.r == nil {
					return types.NewErr("state.resource: no resource state store (scan with state keeping on)")
				}
				b, err := s.r.Resource(s.account, s.region, string(args[1].(types.String)), string(args[2].(types.String)), s.at)
				if err != nil {
					return types.NewErr("state.resource: %v", err)
				}
				if b == nil {
					return types.NullValue
				}
				return jsonToVal(b)
			}))),
		cel.Function("resources", cel.MemberOverload("state_resources_string",
			[]*cel.Type{stateType, cel.StringType}, cel.ListType(cel.DynType),
			cel.BinaryBinding(func(sv, typ ref.Val) ref.Val {
				s, ok := sv.(*stateVal)
				if !ok || s.r == nil {
					return types.NewErr("state.resources: no resource state store (scan with state keeping on)")
				}
				t := string(typ.(types.String))
				if v, ok := s.lists[t]; ok {
					return v
				}
				list, err := s.r.Resources(s.account, s.region, t, s.at)
				if err != nil {
					return types.NewErr("state.resources: %v", err)
				}
				if len(list) > MaxResources {
					list = list[:MaxResources]
				}
				vals := make([]ref.Val, len(list))
				for i, b := range list {
					vals[i] = jsonToVal(b)
				}
				v := types.NewRefValList(types.DefaultTypeAdapter, vals)
				if s.lists == nil {
					s.lists = map[string]ref.Val{}
				}
				s.lists[t] = v
				return v
			}))),
	}
}
