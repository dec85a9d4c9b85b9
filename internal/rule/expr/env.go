// Package expr is trailwarden's expression language: CEL (cel.dev/cel-go)
// over a lazily decoded CloudTrail record, with a few functions for AWS data
// and a cost limit on every evaluation.
//
// Expressions are compiled once, when rules load, and the resulting Programs
// are safe to share between goroutines. An Activation binds one event and is
// reused by one goroutine for event after event.
package expr

import (
	"errors"
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/trailwarden/trailwarden/internal/event"
)

// CostLimit bounds the work of one evaluation (CEL cost units: roughly one
// per operation and per element a comprehension visits). An expression that
// exceeds it fails for that event instead of running on.
const CostLimit = 1_000_000

// Env is a compiled CEL environment for rule expressions.
type Env struct{ env *cel.Env }

// NewEnv builds the environment: variables event, params, actor and state
// (see StateReader); the CEL
// standard library with optional types and the strings, lists, sets and
// encoders extensions; and trailwarden's functions (see functions.go).
func NewEnv() (*Env, error) {
	opts := []cel.EnvOption{
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("actor", cel.StringType),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(), ext.Lists(), ext.Sets(), ext.Encoders(), ext.Bindings(),
	}
	opts = append(opts, functions()...)
	opts = append(opts, stateFunctions()...)
	opts = append(opts, bucketFunctions()...)
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return &Env{env: env}, nil
}

// Issue is one compile problem, positioned in the expression's source
// (line 1-based, column 0-based in runes).
type Issue struct {
	Line, Column int
	Msg          string
}

// CompileError lists the problems of an expression.
type CompileError struct{ Issues []Issue }

func (e *CompileError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = fmt.Sprintf("%d:%d: %s", is.Line, is.Column+1, is.Msg)
	}
	return strings.Join(parts, "; ")
}

// Program is one compiled expression.
type Program struct {
	prg    cel.Program
	ast    *cel.Ast
	Source string
}

// Compile parses, type-checks and plans src. want is the result type the
// caller needs (cel.BoolType for conditions); dyn results are accepted too and
// checked at evaluation.
func (e *Env) Compile(src string, want *cel.Type) (*Program, error) {
	ast, iss := e.env.Compile(src)
	if iss != nil && iss.Err() != nil {
		ce := &CompileError{}
		for _, er := range iss.Errors() {
			ce.Issues = append(ce.Issues, Issue{Line: er.Location.Line(), Column: er.Location.Column(), Msg: er.Message})
		}
		return nil, ce
	}
	if out := ast.OutputType(); want != nil && !out.IsExactType(want) && !out.IsExactType(cel.DynType) {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Msg: fmt.Sprintf("expression has type %s, want %s", out, want)}}}
	}
	if issues := checkBounded(ast); len(issues) > 0 {
		return nil, &CompileError{Issues: issues}
	}
	est, err := e.env.EstimateCost(ast, sizeEstimator{})
	if err == nil && est.Min > CostLimit {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Msg: fmt.Sprintf("expression costs at least %d, over the limit of %d", est.Min, CostLimit)}}}
	}
	// Without comprehensions (and with the superlinear functions refused
	// above unless their arguments are constants) an expression does work
	// linear in its own size and its inputs' lengths, which the decoder
	// bounds: no metering needed. With comprehensions, every evaluation is
	// metered and stopped at CostLimit.
	popts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if hasComprehension(ast.NativeRep().Expr()) {
		popts = append(popts, cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(100))
	}
	prg, err := e.env.Program(ast, popts...)
	if err != nil {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Msg: err.Error()}}}
	}
	return &Program{prg: prg, ast: ast, Source: src}, nil
}

// hasComprehension reports whether e contains a comprehension (the macros
// all, exists, exists_one, map, filter, and the like) or a call that builds a
// value larger than its input (lists.range): the expressions whose cost is
// not bounded by their own size and their inputs' lengths.
func hasComprehension(e celast.Expr) bool {
	found := false
	visitor := celast.NewExprVisitor(func(x celast.Expr) {
		switch x.Kind() {
		case celast.ComprehensionKind:
			found = true
		case celast.CallKind:
			if fn := x.AsCall().FunctionName(); fn == "lists.range" || fn == "range" {
				found = true
			}
		}
	})
	celast.PostOrderVisit(e, visitor)
	return found
}

// sizeEstimator leaves every size unknown; the static check only refuses
// expressions whose cheapest path is over the limit, the runtime limit
// bounds the rest.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(cost.AstNode) *cost.SizeEstimate { return nil }
func (sizeEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// Activation binds the variables of one evaluation. Reuse one per goroutine
// with Reset; it is not safe for concurrent use.
type Activation struct {
	ev     *event.Event
	obj    object
	cache  [event.NumFields]ref.Val
	params ref.Val
	actor  string
	hasAct bool
	state  stateVal
}

var _ interpreter.Activation = (*Activation)(nil)

// Reset binds a new event e, and params (a value made by Params). Values
// decoded for the previous event are forgotten.
func (a *Activation) Reset(e *event.Event, params ref.Val) {
	a.ev, a.params, a.hasAct = e, params, false
	a.cache = [event.NumFields]ref.Val{}
	a.obj = object{raw: e.Raw, ev: e, cache: &a.cache}
	a.state.account, a.state.region, a.state.at = e.Account, e.Region, e.Time
	clear(a.state.lists)
}

// SetState binds the resource state store that state.resource and
// state.resources read (nil: none; they fail).
func (a *Activation) SetState(r StateReader) { a.state.r = r }

// SetParams rebinds params and keeps the event and what was decoded of it:
// the next rule on the same event.
func (a *Activation) SetParams(params ref.Val) { a.params = params }

// ResolveName implements interpreter.Activation.
func (a *Activation) ResolveName(name string) (any, bool) {
	switch name {
	case "event":
		return &a.obj, true
	case "params":
		return a.params, true
	case "state":
		return &a.state, true
	case "actor":
		if !a.hasAct {
			a.actor, a.hasAct = ActorName(a.ev), true
		}
		return types.String(a.actor), true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *Activation) Parent() interpreter.Activation { return nil }

// ActorName returns a readable name of the event's caller.
func ActorName(e *event.Event) string { return e.ActorName() }

// Params converts a parameter map to the CEL value bound to `params`. Lists
// and maps are converted to CEL values once, here, so evaluations do not
// convert their elements again and again.
func Params(p map[string]any) ref.Val {
	if p == nil {
		p = map[string]any{}
	}
	return toVal(normalizeParams(p))
}

func toVal(v any) ref.Val {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[ref.Val]ref.Val, len(x))
		for k, e := range x {
			m[types.String(k)] = toVal(e)
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
	case []any:
		l := make([]ref.Val, len(x))
		for i, e := range x {
			l[i] = toVal(e)
		}
		return &paramList{types.NewRefValList(types.DefaultTypeAdapter, l)}
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}

// paramList marks a list that comes from a rule's parameters: it lives as
// long as the rule, so work derived from it (compiled patterns) is cached.
type paramList struct{ traits.Lister }

// normalizeParams turns YAML-decoded values (int, map[string]any, []any) into
// the kinds CEL adapts natively.
func normalizeParams(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalizeParams(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = normalizeParams(e)
		}
		return l
	}
	return v
}

// ErrNoData marks an evaluation that failed because the event lacks a field
// the expression reads, or holds it in another shape: the rule does not apply
// to this event. Callers treat it as "no match", not as a rule failure.
var ErrNoData = errors.New("event lacks the data the expression reads")

// Eval evaluates p against the bound activation.
func (p *Program) Eval(a *Activation) (ref.Val, error) {
	v, _, err := p.prg.Eval(a)
	if err != nil {
		if isDataMismatch(err.Error()) {
			return nil, fmt.Errorf("%w: %v", ErrNoData, err)
		}
		return nil, err
	}
	return v, nil
}

// EvalBool evaluates a condition. A non-bool result is an error.
func (p *Program) EvalBool(a *Activation) (bool, error) {
	v, err := p.Eval(a)
	if err != nil {
		return false, err
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("condition returned %s, want bool", v.Type())
	}
	return bool(b), nil
}

// EvalString evaluates to a string; other scalar results are formatted.
func (p *Program) EvalString(a *Activation) (string, error) {
	v, err := p.Eval(a)
	if err != nil {
		return "", err
	}
	return Format(v), nil
}

// EvalStrings evaluates to a list of strings (a lone string counts as a list
// of one); empty strings and nulls are dropped.
func (p *Program) EvalStrings(a *Activation) ([]string, error) {
	v, err := p.Eval(a)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(types.String); ok {
		return []string{string(s)}, nil
	}
	native, err := v.ConvertToNative(reflectAnySlice)
	if err != nil {
		return nil, fmt.Errorf("want a list of strings, got %s", v.Type())
	}
	var out []string
	for _, x := range native.([]any) {
		if s := Format(types.DefaultTypeAdapter.NativeToValue(x)); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// Format renders a CEL value for a human: strings as they are, null as "",
// everything else in CEL's literal style.
func Format(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Null:
		return ""
	}
	if v.Type() == types.MapType {
		if o, ok := v.(*object); ok {
			return string(o.raw)
		}
	}
	return fmt.Sprint(v.Value())
}

func isDataMismatch(msg string) bool {
	return strings.HasPrefix(msg, "no such key") || strings.HasPrefix(msg, "no such attribute") ||
		strings.HasPrefix(msg, "no such overload") || strings.Contains(msg, "index out of bounds") ||
		strings.HasPrefix(msg, "invalid_argument") || strings.HasPrefix(msg, "unsupported index type")
}
