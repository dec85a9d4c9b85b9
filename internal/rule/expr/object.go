package expr

import (
	"bytes"
	"fmt"
	"reflect"
	"unsafe"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/trailwarden/trailwarden/internal/ctjson"
	"github.com/trailwarden/trailwarden/internal/event"
)

// object is a CEL map over a raw JSON object that decodes a member only when
// an expression selects it. Nested objects stay lazy; arrays and scalars are
// decoded on selection. The raw bytes must be valid JSON (records are
// validated when they are parsed).
type object struct {
	raw []byte
	ev  *event.Event // non-nil for the record itself: known fields come from its index
	// cache holds the record's top-level values already decoded for this
	// event (only for the record itself).
	cache *[event.NumFields]ref.Val
}

var _ traits.Mapper = (*object)(nil)

// jsonToVal converts one raw JSON value into a CEL value.
func jsonToVal(raw []byte) ref.Val {
	if len(raw) == 0 {
		return types.NullValue
	}
	switch raw[0] {
	case '{':
		return &object{raw: raw}
	case '"':
		// Strings without escapes point into the record (valid during the
		// evaluation; whatever keeps a value beyond it copies it).
		if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 {
			return types.String(unsafe.String(unsafe.SliceData(body), len(body)))
		}
		s, err := ctjson.String(raw)
		if err != nil {
			return types.NewErr("decode string: %v", err)
		}
		return types.String(s)
	case 't':
		return types.True
	case 'f':
		return types.False
	case 'n':
		return types.NullValue
	case '[':
		v, err := ctjson.Value(raw)
		if err != nil {
			return types.NewErr("decode array: %v", err)
		}
		return types.DefaultTypeAdapter.NativeToValue(v)
	default:
		n, err := ctjson.Number(raw)
		if err != nil {
			return types.NewErr("decode number: %v", err)
		}
		if i, ok := n.(int64); ok {
			return types.Int(i)
		}
		return types.Double(n.(float64))
	}
}

func (o *object) find(key string) ([]byte, bool) {
	if o.ev != nil {
		return o.ev.Lookup(key)
	}
	v, ok, err := ctjson.Find(o.raw, key)
	return v, ok && err == nil
}

// Find implements traits.Mapper.
func (o *object) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return nil, false
	}
	if o.cache != nil {
		if f, known := event.LookupField(string(k)); known {
			if v := o.cache[f]; v != nil {
				return v, true
			}
			raw := o.ev.Field(f)
			if raw == nil {
				return nil, false
			}
			v := jsonToVal(raw)
			o.cache[f] = v
			return v, true
		}
	}
	raw, found := o.find(string(k))
	if !found {
		return nil, false
	}
	return jsonToVal(raw), true
}

func (o *object) native() map[string]any {
	v, err := ctjson.Value(o.raw)
	if m, ok := v.(map[string]any); ok && err == nil {
		return m
	}
	return map[string]any{}
}

func (o *object) full() traits.Mapper {
	return types.DefaultTypeAdapter.NativeToValue(o.native()).(traits.Mapper)
}

// Contains implements traits.Container.
func (o *object) Contains(key ref.Val) ref.Val {
	_, found := o.Find(key)
	return types.Bool(found)
}

// Get implements traits.Indexer.
func (o *object) Get(key ref.Val) ref.Val {
	v, found := o.Find(key)
	if !found {
		return types.NewErr("no such key: %v", key)
	}
	return v
}

// Iterator implements traits.Iterable.
func (o *object) Iterator() traits.Iterator { return o.full().Iterator() }

// Size implements traits.Sizer.
func (o *object) Size() ref.Val {
	n := 0
	_ = ctjson.EachField(o.raw, func([]byte, bool, []byte) bool { n++; return true })
	return types.Int(n)
}

// ConvertToNative implements ref.Val.
func (o *object) ConvertToNative(t reflect.Type) (any, error) { return o.full().ConvertToNative(t) }

// ConvertToType implements ref.Val.
func (o *object) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return o
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %s", t)
}

// Equal implements ref.Val.
func (o *object) Equal(other ref.Val) ref.Val { return o.full().Equal(other) }

// Type implements ref.Val.
func (o *object) Type() ref.Type { return types.MapType }

// Value implements ref.Val.
func (o *object) Value() any { return o.native() }

func (o *object) String() string { return fmt.Sprintf("object(%d bytes)", len(o.raw)) }
