package ctjson

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Find returns the raw value of key in the object that starts at obj[0]. The
// object must already be valid JSON (it is re-checked only as far as needed).
func Find(obj []byte, key string) (val []byte, ok bool, err error) {
	err = EachField(obj, func(k []byte, escaped bool, v []byte) bool {
		if keyEquals(k, escaped, key) {
			val, ok = v, true
			return false
		}
		return true
	})
	return val, ok, err
}

func keyEquals(k []byte, escaped bool, key string) bool {
	if !escaped {
		return string(k) == key
	}
	s, err := unquoteBody(k)
	return err == nil && s == key
}

// EachField calls fn with each member of the object obj (obj[0] must be '{'):
// the key's bytes without quotes (escaped tells whether they hold escapes) and
// the raw value. fn returns false to stop.
func EachField(obj []byte, fn func(key []byte, escaped bool, val []byte) bool) error {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return synErr(i, "want an object")
	}
	i = SkipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return synErr(i, "want an object key")
		}
		ke, esc, err := SkipString(obj, i)
		if err != nil {
			return err
		}
		key := obj[i+1 : ke-1]
		i = SkipSpace(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return synErr(i, "want ':' after object key")
		}
		vs := SkipSpace(obj, i+1)
		ve, err := Skip(obj, vs)
		if err != nil {
			return err
		}
		if !fn(key, esc, obj[vs:ve]) {
			return nil
		}
		i = SkipSpace(obj, ve)
		if i >= len(obj) {
			return synErr(i, "%v in object", ErrUnexpectedEnd)
		}
		switch obj[i] {
		case ',':
			i = SkipSpace(obj, i+1)
		case '}':
			return nil
		default:
			return synErr(i, "invalid character %q after object value", obj[i])
		}
	}
}

// EachElement calls fn with each raw element of the array arr (arr[0] must be '[').
func EachElement(arr []byte, fn func(val []byte) bool) error {
	i := SkipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return synErr(i, "want an array")
	}
	i = SkipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for {
		ve, err := Skip(arr, i)
		if err != nil {
			return err
		}
		if !fn(arr[i:ve]) {
			return nil
		}
		i = SkipSpace(arr, ve)
		if i >= len(arr) {
			return synErr(i, "%v in array", ErrUnexpectedEnd)
		}
		switch arr[i] {
		case ',':
			i = SkipSpace(arr, i+1)
		case ']':
			return nil
		default:
			return synErr(i, "invalid character %q after array element", arr[i])
		}
	}
}

// String decodes a raw JSON string value (with its quotes).
func String(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", synErr(0, "want a string")
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			return unquoteBody(body)
		}
	}
	return string(body), nil
}

// unquoteBody decodes the escapes of a string body (without quotes).
func unquoteBody(b []byte) (string, error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return "", synErr(i, "truncated escape")
		}
		switch b[i+1] {
		case '"', '\\', '/':
			out = append(out, b[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n, err := decodeU(b, i)
			if err != nil {
				return "", err
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		default:
			return "", synErr(i+1, "invalid escape")
		}
		i += 2
	}
	return string(out), nil
}

// decodeU decodes \uXXXX (and a following low surrogate) at b[i]; it returns
// the rune and the number of bytes consumed. Lone surrogates become U+FFFD, as
// encoding/json does.
func decodeU(b []byte, i int) (rune, int, error) {
	r, ok := hex4(b, i+2)
	if !ok {
		return 0, 0, synErr(i, "invalid \\u escape")
	}
	if utf16.IsSurrogate(r) {
		if i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
			if r2, ok := hex4(b, i+8); ok {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return dec, 12, nil
				}
			}
		}
		return utf8.RuneError, 6, nil
	}
	return r, 6, nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Number decodes a raw JSON number: an int64 when it has no fraction or
// exponent and fits, else a float64.
func Number(raw []byte) (any, error) {
	integral := true
	for _, c := range raw {
		if c == '.' || c == 'e' || c == 'E' {
			integral = false
			break
		}
	}
	if integral {
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return nil, synErr(0, "invalid number %q", raw)
	}
	return f, nil
}

// Value decodes a raw JSON value into Go values: map[string]any, []any,
// string, int64, float64, bool or nil.
func Value(raw []byte) (any, error) {
	i := SkipSpace(raw, 0)
	if i >= len(raw) {
		return nil, synErr(i, "%v: want a value", ErrUnexpectedEnd)
	}
	raw = raw[i:]
	switch raw[0] {
	case '"':
		return String(raw)
	case '{':
		m := map[string]any{}
		var ferr error
		err := EachField(raw, func(k []byte, esc bool, v []byte) bool {
			key := string(k)
			if esc {
				if key, ferr = unquoteBody(k); ferr != nil {
					return false
				}
			}
			var val any
			if val, ferr = Value(v); ferr != nil {
				return false
			}
			m[key] = val
			return true
		})
		if err == nil {
			err = ferr
		}
		return m, err
	case '[':
		l := []any{}
		var ferr error
		err := EachElement(raw, func(v []byte) bool {
			var val any
			if val, ferr = Value(v); ferr != nil {
				return false
			}
			l = append(l, val)
			return true
		})
		if err == nil {
			err = ferr
		}
		return l, err
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	default:
		end, err := SkipNumber(raw, 0)
		if err != nil {
			return nil, err
		}
		return Number(raw[:end])
	}
}
