package expr

import (
	"fmt"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
)

// superlinear lists the functions whose cost or output can grow faster than
// their inputs when every argument comes from the event: replace("", x)
// multiplies the string, indexOf and the list/set comparisons are O(n·m),
// distinct is O(n²), a regular expression built from event data is compiled
// on every call. They are allowed only with the arguments named here being
// constants (literals, lists of literals, or params): then they stay linear
// in the record, whose size the decoder bounds. The value is which
// arguments (0-based, the member target excluded) must be constant; nil
// refuses the function outright.
var superlinear = map[string][]int{
	"replace":         {0, 1},
	"indexOf":         {0},
	"lastIndexOf":     {0},
	"matches":         {0},
	"sets.contains":   {1},
	"sets.intersects": {1},
	"sets.equivalent": {1},
	"hasAll":          {0},
	"hasAny":          {0},
	"hasExactly":      {0},
	"hasOnly":         {0},
	"distinct":        nil,
}

// checkBounded refuses calls to superlinear functions with non-constant
// arguments, with the position of each call.
func checkBounded(ast *cel.Ast) []Issue {
	var issues []Issue
	info := ast.NativeRep().SourceInfo()
	visitor := celast.NewExprVisitor(func(x celast.Expr) {
		if x.Kind() != celast.CallKind {
			return
		}
		call := x.AsCall()
		name := call.FunctionName()
		need, ok := superlinear[name]
		if !ok {
			return
		}
		args := call.Args()
		if !call.IsMemberFunction() && name == "matches" && len(args) == 2 {
			args = args[1:] // matches(string, regex)
		}
		msg := ""
		if need == nil {
			msg = fmt.Sprintf("%s() is quadratic in its input and is not allowed in rules", name)
		} else {
			for _, i := range need {
				if i < len(args) && !isConstant(args[i]) {
					msg = fmt.Sprintf("%s(): argument %d must be a literal or a params value (with event data it can run or allocate without bound)", name, i+1)
					break
				}
			}
			if msg == "" && name == "replace" && len(args) > 0 && args[0].Kind() == celast.LiteralKind {
				if s := stringLit(args[0]); s != nil && *s == "" {
					msg = `replace(""): an empty search string multiplies the input and is not allowed`
				}
			}
		}
		if msg != "" {
			loc := info.GetStartLocation(x.ID())
			issues = append(issues, Issue{Line: loc.Line(), Column: loc.Column(), Msg: msg})
		}
	})
	celast.PostOrderVisit(ast.NativeRep().Expr(), visitor)
	return issues
}

// isConstant reports whether x is a literal, a list of constants or a
// params value.
func isConstant(x celast.Expr) bool {
	switch x.Kind() {
	case celast.LiteralKind:
		return true
	case celast.ListKind:
		for _, el := range x.AsList().Elements() {
			if !isConstant(el) {
				return false
			}
		}
		return true
	case celast.SelectKind:
		sel := x.AsSelect()
		return !sel.IsTestOnly() && sel.Operand().Kind() == celast.IdentKind && sel.Operand().AsIdent() == "params"
	}
	return false
}
