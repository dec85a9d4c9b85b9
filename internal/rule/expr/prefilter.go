package expr

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/trailwarden/trailwarden/internal/event"
)

// Prefilter is a cheap necessary condition derived from an expression: when
// it returns false, the expression is false for that event, so the
// interpreter need not run. It never returns false when it cannot tell.
type Prefilter func(e *event.Event) bool

// maxPrefilterMemo bounds the values a pattern prefilter remembers.
const maxPrefilterMemo = 1 << 14

// pred evaluates one conjunct in Go: its value, and whether it could be
// decided (a field that is absent or not a string leaves it to CEL).
type pred func(e *event.Event) (val, known bool)

// Prefilter derives a Prefilter from the top-level conjuncts (a && b && ...)
// of the expression that compare record fields with constants or parameters:
// ==, !=, in, !, ||, startsWith, endsWith, contains (with a literal),
// globMatchAny and globMatchAnyFold over eventSource,
// eventName, awsRegion, errorCode, eventType, eventCategory, userAgent,
// sourceIPAddress, recipientAccountId and userIdentity.type. Because false &&
// anything is false in CEL (errors included), a conjunct found false decides
// the whole expression. It returns nil when no conjunct qualifies. params are
// the rule's parameters; a different set needs a new Prefilter.
func (p *Program) Prefilter(params map[string]any) Prefilter {
	if p.ast == nil {
		return nil
	}
	var preds []pred
	for _, c := range conjuncts(p.ast.NativeRep().Expr(), nil) {
		if pr := compilePred(c, params); pr != nil {
			preds = append(preds, pr)
		}
	}
	if len(preds) == 0 {
		return nil
	}
	return func(e *event.Event) bool {
		for _, pr := range preds {
			if v, known := pr(e); known && !v {
				return false
			}
		}
		return true
	}
}

func conjuncts(x celast.Expr, out []celast.Expr) []celast.Expr {
	if x.Kind() == celast.CallKind && x.AsCall().FunctionName() == operators.LogicalAnd {
		for _, a := range x.AsCall().Args() {
			out = conjuncts(a, out)
		}
		return out
	}
	return append(out, x)
}

func compilePred(x celast.Expr, params map[string]any) pred {
	if x.Kind() != celast.CallKind {
		return nil
	}
	call := x.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); {
	case fn == operators.LogicalNot && len(args) == 1:
		inner := compilePred(args[0], params)
		if inner == nil {
			return nil
		}
		return func(e *event.Event) (bool, bool) { v, k := inner(e); return !v, k }
	case fn == operators.LogicalOr && len(args) == 2:
		a, b := compilePred(args[0], params), compilePred(args[1], params)
		if a == nil || b == nil {
			return nil
		}
		return func(e *event.Event) (bool, bool) {
			va, ka := a(e)
			if ka && va {
				return true, true
			}
			vb, kb := b(e)
			if kb && vb {
				return true, true
			}
			return false, ka && kb
		}
	case (fn == operators.Equals || fn == operators.NotEquals) && len(args) == 2:
		get, lit := field(args[0]), stringLit(args[1])
		if get == nil {
			get, lit = field(args[1]), stringLit(args[0])
		}
		if get == nil || lit == nil {
			return nil
		}
		want, eq := *lit, fn == operators.Equals
		return func(e *event.Event) (bool, bool) {
			v, ok := get(e)
			if !ok {
				return false, false
			}
			return (v == want) == eq, true
		}
	case fn == operators.In && len(args) == 2:
		get := field(args[0])
		set, ok := stringSet(args[1], params)
		if get == nil || !ok {
			return nil
		}
		return func(e *event.Event) (bool, bool) {
			v, ok := get(e)
			if !ok {
				return false, false
			}
			_, in := set[v]
			return in, true
		}
	case (fn == "startsWith" || fn == "endsWith" || fn == "contains") && call.IsMemberFunction() && len(args) == 1:
		get, lit := field(call.Target()), stringLit(args[0])
		if get == nil || lit == nil {
			return nil
		}
		want := *lit
		test := strings.HasPrefix
		switch fn {
		case "endsWith":
			test = strings.HasSuffix
		case "contains":
			test = strings.Contains
		}
		return func(e *event.Event) (bool, bool) {
			v, ok := get(e)
			if !ok {
				return false, false
			}
			return test(v, want), true
		}
	case (fn == "globMatchAny" || fn == "globMatchAnyFold") && len(args) == 2 && !call.IsMemberFunction():
		get := field(args[1])
		pats, ok := stringList(args[0], params)
		if get == nil || !ok {
			return nil
		}
		fold := fn == "globMatchAnyFold"
		globs := make([]*glob, len(pats))
		for i, p := range pats {
			globs[i] = compileGlob(p, fold)
		}
		// Values such as user agents repeat across millions of events:
		// remember the answer for the values seen (bounded).
		var memo sync.Map // string → bool
		var memoLen atomic.Int64
		return func(e *event.Event) (bool, bool) {
			v, ok := get(e)
			if !ok {
				return false, false
			}
			if r, ok := memo.Load(v); ok {
				return r.(bool), true
			}
			orig := v
			var buf [512]byte
			if fold {
				v = lowerInto(buf[:], v)
			}
			hit := false
			for _, g := range globs {
				if g.match(v) {
					hit = true
					break
				}
			}
			if len(orig) <= 1024 && memoLen.Load() < maxPrefilterMemo {
				// The key is copied: v points into the record buffer.
				if _, loaded := memo.LoadOrStore(strings.Clone(orig), hit); !loaded {
					memoLen.Add(1)
				}
			}
			return hit, true
		}
	}
	return nil
}

// field recognises event.<name> for the fields a prefilter may read, and
// returns a getter that reports false when the field is absent or not a
// string without escapes (CEL then decides).
func field(x celast.Expr) func(*event.Event) (string, bool) {
	if x.Kind() != celast.SelectKind {
		return nil
	}
	sel := x.AsSelect()
	if sel.IsTestOnly() {
		return nil
	}
	op := sel.Operand()
	if op.Kind() == celast.IdentKind && op.AsIdent() == "event" {
		f, ok := event.LookupField(sel.FieldName())
		if !ok {
			return nil
		}
		switch f {
		case event.FEventSource, event.FEventName, event.FAWSRegion, event.FErrorCode, event.FEventType,
			event.FEventCategory, event.FUserAgent, event.FSourceIPAddress, event.FRecipientAccountID:
		default:
			return nil
		}
		return func(e *event.Event) (string, bool) { return rawString(e.Field(f)) }
	}
	// event.userIdentity.type
	if sel.FieldName() == "type" && op.Kind() == celast.SelectKind {
		inner := op.AsSelect()
		if !inner.IsTestOnly() && inner.FieldName() == "userIdentity" && inner.Operand().Kind() == celast.IdentKind && inner.Operand().AsIdent() == "event" {
			return func(e *event.Event) (string, bool) {
				t := e.IdentityType()
				return t, t != ""
			}
		}
	}
	return nil
}

// rawString returns a JSON string value without escapes, aliasing raw.
func rawString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') >= 0 {
		return "", false
	}
	return unsafe.String(unsafe.SliceData(body), len(body)), true
}

func stringLit(x celast.Expr) *string {
	if x.Kind() != celast.LiteralKind {
		return nil
	}
	if s, ok := x.AsLiteral().(types.String); ok {
		v := string(s)
		return &v
	}
	return nil
}

// stringList resolves a list literal of strings or params.<name> holding
// only strings.
func stringList(x celast.Expr, params map[string]any) ([]string, bool) {
	switch x.Kind() {
	case celast.ListKind:
		var out []string
		for _, el := range x.AsList().Elements() {
			s := stringLit(el)
			if s == nil {
				return nil, false
			}
			out = append(out, *s)
		}
		return out, true
	case celast.SelectKind:
		sel := x.AsSelect()
		if sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "params" {
			return nil, false
		}
		list, ok := params[sel.FieldName()].([]any)
		if !ok {
			return nil, false
		}
		out := make([]string, 0, len(list))
		for _, v := range list {
			s, ok := v.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func stringSet(x celast.Expr, params map[string]any) (map[string]struct{}, bool) {
	list, ok := stringList(x, params)
	if !ok {
		return nil, false
	}
	set := make(map[string]struct{}, len(list))
	for _, s := range list {
		set[s] = struct{}{}
	}
	return set, true
}
