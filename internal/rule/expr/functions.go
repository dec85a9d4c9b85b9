package expr

import (
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/trailwarden/trailwarden/internal/ctjson"
)

var reflectAnySlice = reflect.TypeOf([]any{})
var reflectAnyMap = reflect.TypeOf(map[string]any{})

// functions returns trailwarden's CEL functions. Each is pure and bounded by
// the size of its input.
func functions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("parseJSON", cel.Overload("parseJSON_string", []*cel.Type{cel.StringType}, cel.DynType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				b := []byte(v.(types.String))
				i := ctjson.SkipSpace(b, 0)
				end, err := ctjson.Skip(b, i)
				if err != nil || ctjson.SkipSpace(b, end) != len(b) {
					return types.NewErr("invalid_argument: parseJSON: not a JSON document")
				}
				return jsonToVal(b[i:end])
			}))),
		cel.Function("urlDecode", cel.Overload("urlDecode_string", []*cel.Type{cel.StringType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, err := url.QueryUnescape(string(v.(types.String)))
				if err != nil {
					return types.NewErr("invalid_argument: urlDecode: %v", err)
				}
				return types.String(s)
			}))),
		cel.Function("globMatch", cel.Overload("globMatch_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(p, s ref.Val) ref.Val {
				return types.Bool(compileGlob(string(p.(types.String)), false).match(string(s.(types.String))))
			}))),
		cel.Function("globMatchFold", cel.Overload("globMatchFold_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(p, s ref.Val) ref.Val {
				var buf [512]byte
				return types.Bool(compileGlob(string(p.(types.String)), true).match(lowerInto(buf[:], string(s.(types.String)))))
			}))),
		cel.Function("globMatchAny", cel.Overload("globMatchAny_list_string", []*cel.Type{cel.ListType(cel.DynType), cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(l, s ref.Val) ref.Val { return globAny(l, s, false) }))),
		cel.Function("globMatchAnyFold", cel.Overload("globMatchAnyFold_list_string", []*cel.Type{cel.ListType(cel.DynType), cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(l, s ref.Val) ref.Val { return globAny(l, s, true) }))),
		cel.Function("arnAccount", cel.Overload("arnAccount_string", []*cel.Type{cel.StringType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.String(ARNAccount(string(v.(types.String)))) }))),
		cel.Function("isWorldCIDR", cel.Overload("isWorldCIDR_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s := strings.TrimSpace(string(v.(types.String)))
				return types.Bool(s == "0.0.0.0/0" || s == "::/0" || s == "0::0/0")
			}))),
		cel.Function("policyAllowsPublic", cel.Overload("policyAllowsPublic_dyn", []*cel.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				doc, err := policyDoc(v)
				if err != nil {
					return types.NewErr("invalid_argument: policyAllowsPublic: %v", err)
				}
				return types.Bool(PolicyAllowsPublic(doc))
			}))),
		cel.Function("policyPrincipalAccounts", cel.Overload("policyPrincipalAccounts_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				doc, err := policyDoc(v)
				if err != nil {
					return types.NewErr("invalid_argument: policyPrincipalAccounts: %v", err)
				}
				return types.DefaultTypeAdapter.NativeToValue(PolicyPrincipalAccounts(doc))
			}))),
	}
}

// policyDoc turns a policy given as a JSON string or a map into Go values.
func policyDoc(v ref.Val) (map[string]any, error) {
	if s, ok := v.(types.String); ok {
		str := strings.TrimSpace(string(s))
		if strings.HasPrefix(str, "%7B") || strings.HasPrefix(str, "%7b") {
			if dec, err := url.QueryUnescape(str); err == nil {
				str = dec
			}
		}
		x, err := ctjson.Value([]byte(str))
		if err != nil {
			return nil, err
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil, errNotObject
		}
		return m, nil
	}
	if o, ok := v.(*object); ok {
		return o.native(), nil
	}
	n, err := v.ConvertToNative(reflectAnyMap)
	if err != nil {
		return nil, err
	}
	return n.(map[string]any), nil
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errNotObject = constErr("policy is not a JSON object")

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' any one character.
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// globAny reports whether s matches any pattern of the CEL list l.
func globAny(l, s ref.Val, fold bool) ref.Val {
	list, ok := l.(traits.Lister)
	if !ok {
		return types.NewErr("invalid_argument: want a list of patterns")
	}
	str := string(s.(types.String))
	var buf [512]byte
	if fold {
		str = lowerInto(buf[:], str)
	}
	globs, err := compileGlobList(list, fold)
	if err != nil {
		return types.NewErr("invalid_argument: %v", err)
	}
	for _, g := range globs {
		if g.match(str) {
			return types.True
		}
	}
	return types.False
}

// globLists caches compiled pattern lists by list value: parameter lists and
// literal lists are the same value at every evaluation. [0] case-sensitive,
// [1] folded.
var globLists [2]sync.Map

var globListsCached atomic.Int64

func compileGlobList(list traits.Lister, fold bool) ([]*glob, error) {
	cache := &globLists[0]
	if fold {
		cache = &globLists[1]
	}
	// Only parameter lists live long enough to be worth caching (and to be
	// safe keys: lists built from event data point into the record buffer).
	_, cacheable := list.(*paramList)
	if cacheable {
		if g, ok := cache.Load(list); ok {
			return g.([]*glob), nil
		}
	}
	n := int(list.Size().(types.Int))
	out := make([]*glob, 0, n)
	for i := 0; i < n; i++ {
		p, ok := list.Get(types.Int(i)).(types.String)
		if !ok {
			return nil, constErr("a pattern is not a string")
		}
		out = append(out, compileGlob(string(p), fold))
	}
	if cacheable && globListsCached.Load() < maxGlobCache {
		if _, loaded := cache.LoadOrStore(list, out); !loaded {
			globListsCached.Add(1)
		}
	}
	return out, nil
}

// glob is a compiled pattern. Patterns made only of literals and '*' are
// matched with substring searches; others fall back to Glob.
type glob struct {
	raw      string
	segs     []string // literal parts between '*'
	anchorL  bool     // no leading '*'
	anchorR  bool     // no trailing '*'
	fallback bool     // has '?': use Glob
}

// globCache holds compiled patterns: [0] case-sensitive, [1] folded.
var globCache [2]sync.Map

// maxGlobCache bounds the compiled pattern cache.
const maxGlobCache = 4096

var globCached atomic.Int64

func compileGlob(p string, fold bool) *glob {
	cache := &globCache[0]
	if fold {
		cache = &globCache[1]
	}
	if g, ok := cache.Load(p); ok {
		return g.(*glob)
	}
	key := strings.Clone(p) // p may point into a record's buffer
	if fold {
		p = strings.Map(func(r rune) rune {
			if r < 0x80 {
				return rune(lowerASCII(byte(r)))
			}
			return r
		}, p)
	}
	p = strings.Clone(p)
	g := &glob{raw: p, fallback: strings.Contains(p, "?")}
	if !g.fallback {
		g.segs = strings.Split(p, "*")
		g.anchorL = !strings.HasPrefix(p, "*")
		g.anchorR = !strings.HasSuffix(p, "*")
	}
	if globCached.Load() < maxGlobCache {
		if _, loaded := cache.LoadOrStore(key, g); !loaded {
			globCached.Add(1)
		}
	}
	return g
}

func (g *glob) match(s string) bool {
	if g.fallback {
		return Glob(g.raw, s)
	}
	if len(g.segs) == 1 { // no '*'
		return s == g.raw
	}
	first, last := g.segs[0], g.segs[len(g.segs)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, seg := range g.segs[1 : len(g.segs)-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return strings.HasSuffix(s, last)
}

// lowerInto lowers the ASCII letters of s, in buf when it fits (no
// allocation); the result is valid while buf is.
func lowerInto(buf []byte, s string) string {
	if len(s) > len(buf) {
		return strings.ToLower(s)
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		b[i] = lowerASCII(s[i])
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// ARNAccount returns the account id field of an ARN, or "".
func ARNAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

// narrowingConditionKeys are condition keys that restrict who can use a
// statement with principal "*" to a known set (lowercase).
var narrowingConditionKeys = map[string]bool{
	"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceowner": true, "aws:principalorgid": true,
	"aws:principalorgpaths": true, "aws:principalaccount": true, "aws:principalarn": true, "aws:sourcevpc": true,
	"aws:sourcevpce": true, "aws:sourceip": true, "aws:userid": true, "aws:username": true,
	"aws:sourceorgid": true, "aws:sourceorgpaths": true, "kms:calleraccount": true, "lambda:functionurlauthtype": false,
}

func statements(doc map[string]any) []map[string]any {
	var out []map[string]any
	switch s := doc["Statement"].(type) {
	case map[string]any:
		out = append(out, s)
	case []any:
		for _, x := range s {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// principals returns the AWS principals of a statement ("*" for a bare "*").
func principals(st map[string]any) []string {
	switch p := st["Principal"].(type) {
	case string:
		return []string{p}
	case map[string]any:
		return asStrings(p["AWS"])
	}
	return nil
}

func narrowed(st map[string]any) bool {
	cond, ok := st["Condition"].(map[string]any)
	if !ok {
		return false
	}
	for _, ops := range cond {
		m, ok := ops.(map[string]any)
		if !ok {
			continue
		}
		for key := range m {
			if narrowingConditionKeys[strings.ToLower(key)] {
				return true
			}
		}
	}
	return false
}

// PolicyAllowsPublic reports whether a resource policy has an Allow statement
// for everyone ("*" or {"AWS": "*"}) that no source condition narrows.
func PolicyAllowsPublic(doc map[string]any) bool {
	for _, st := range statements(doc) {
		if eff, _ := st["Effect"].(string); !strings.EqualFold(eff, "Allow") {
			continue
		}
		for _, p := range principals(st) {
			if p == "*" && !narrowed(st) {
				return true
			}
		}
	}
	return false
}

// PolicyPrincipalAccounts returns the distinct account ids that Allow
// statements name as AWS principals (plain ids or in ARNs), in order.
func PolicyPrincipalAccounts(doc map[string]any) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, st := range statements(doc) {
		if eff, _ := st["Effect"].(string); !strings.EqualFold(eff, "Allow") {
			continue
		}
		for _, p := range principals(st) {
			acct := p
			if strings.HasPrefix(p, "arn:") {
				acct = ARNAccount(p)
			}
			if accountRE.MatchString(acct) && !seen[acct] {
				seen[acct] = true
				out = append(out, acct)
			}
		}
	}
	return out
}
