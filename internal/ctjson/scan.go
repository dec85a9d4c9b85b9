// Package ctjson is trailwarden's small, validating JSON scanner for the hot
// path. It finds value boundaries without building values, so the decoder can
// split log files into records and index a record's top-level fields in one
// pass, and rule expressions can read a single nested field without decoding
// the rest. Values are produced only on demand (String, Value).
//
// The scanner accepts exactly RFC 8259 JSON (fuzzed against encoding/json),
// limits nesting depth, and reports errors with the byte offset they occur at.
package ctjson

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects the scanner accepts.
const MaxDepth = 256

// SyntaxError is a JSON syntax problem at a byte offset of the scanned input.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("json syntax error at byte %d: %s", e.Offset, e.Msg)
}

// ErrUnexpectedEnd is wrapped by a SyntaxError when the input ends inside a value.
var ErrUnexpectedEnd = errors.New("unexpected end of input")

func synErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
}

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// SkipSpace returns the index of the first non-space byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// Skip validates the JSON value starting at b[i] (no leading space) and
// returns the index just after it.
func Skip(b []byte, i int) (int, error) { return skip(b, i, 0) }

func skip(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, synErr(i, "%v: want a value", ErrUnexpectedEnd)
	}
	switch c := b[i]; c {
	case '"':
		end, _, err := SkipString(b, i)
		return end, err
	case '{':
		return skipObject(b, i, depth+1)
	case '[':
		return skipArray(b, i, depth+1)
	case 't':
		return skipLit(b, i, "true")
	case 'f':
		return skipLit(b, i, "false")
	case 'n':
		return skipLit(b, i, "null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return SkipNumber(b, i)
		}
		return i, synErr(i, "invalid character %q looking for a value", c)
	}
}

func skipLit(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) {
		if string(b[i:]) == lit[:len(b)-i] {
			return len(b), synErr(len(b), "%v in literal %s", ErrUnexpectedEnd, lit)
		}
		return i, synErr(i, "invalid literal, want %s", lit)
	}
	if string(b[i:i+len(lit)]) != lit {
		return i, synErr(i, "invalid literal, want %s", lit)
	}
	return i + len(lit), nil
}

func skipObject(b []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, synErr(i, "nesting deeper than %d", MaxDepth)
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, synErr(i, "%v in object", ErrUnexpectedEnd)
		}
		if b[i] != '"' {
			return i, synErr(i, "invalid character %q, want an object key", b[i])
		}
		var err error
		if i, _, err = SkipString(b, i); err != nil {
			return i, err
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, synErr(i, "%v in object", ErrUnexpectedEnd)
		}
		if b[i] != ':' {
			return i, synErr(i, "invalid character %q after object key", b[i])
		}
		i = SkipSpace(b, i+1)
		if i, err = skip(b, i, depth); err != nil {
			return i, err
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, synErr(i, "%v in object", ErrUnexpectedEnd)
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, synErr(i, "invalid character %q after object value", b[i])
		}
	}
}

func skipArray(b []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, synErr(i, "nesting deeper than %d", MaxDepth)
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = skip(b, i, depth); err != nil {
			return i, err
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, synErr(i, "%v in array", ErrUnexpectedEnd)
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, synErr(i, "invalid character %q after array element", b[i])
		}
	}
}

// strSafe marks bytes that can be skipped inside a string without a closer
// look: not '"', not '\\', not a control character, not a non-ASCII byte.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// SkipString validates the string starting at b[i] == '"' and returns the
// index after its closing quote, and whether it contains escapes.
func SkipString(b []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	for {
		// Fast path: 8 bytes at a time; the first byte that needs a closer
		// look is found from the mask, without a byte loop.
		for j+8 <= len(b) {
			if m := specialMask(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				goto special
			}
			j += 8
		}
		for j < len(b) && strSafe[b[j]] {
			j++
		}
	special:
		if j >= len(b) {
			return j, escaped, synErr(j, "%v in string starting at byte %d", ErrUnexpectedEnd, i)
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			if j+1 >= len(b) {
				return j + 1, escaped, synErr(j+1, "%v in escape", ErrUnexpectedEnd)
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					return len(b), escaped, synErr(len(b), "%v in \\u escape", ErrUnexpectedEnd)
				}
				for k := j + 2; k < j+6; k++ {
					if !isHex(b[k]) {
						return k, escaped, synErr(k, "invalid character %q in \\u escape", b[k])
					}
				}
				j += 6
			default:
				return j + 1, escaped, synErr(j+1, "invalid escape character %q", b[j+1])
			}
		case c < 0x20:
			return j, escaped, synErr(j, "control character 0x%02x in string", c)
		default: // non-ASCII: must be valid UTF-8
			if !utf8.FullRune(b[j:]) {
				// Possibly a character cut by the end of the buffer: more
				// input decides (a stream reader reads on).
				return len(b), escaped, synErr(len(b), "%v in string starting at byte %d", ErrUnexpectedEnd, i)
			}
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size <= 1 {
				return j, escaped, synErr(j, "invalid UTF-8 in string")
			}
			j += size
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialMask marks, in the high bit of each byte, the bytes of x that are
// '"', '\\', a control character or non-ASCII (SWAR, after "Bit Twiddling
// Hacks" haszero/hasless). Marks above the first true one may be spurious
// (borrows propagate upwards); the lowest mark is always exact.
func specialMask(x uint64) uint64 {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	zeroQ := (q - ones) &^ q
	zeroBS := (bs - ones) &^ bs
	ctl := (x - ones*0x20) &^ x
	return (zeroQ | zeroBS | ctl | x) & highs
}

// special8 reports whether any of the 8 bytes in x needs a closer look.
func special8(x uint64) bool { return specialMask(x) != 0 }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// SkipNumber validates the number starting at b[i] and returns the index after it.
func SkipNumber(b []byte, i int) (int, error) {
	j := i
	if b[j] == '-' {
		j++
	}
	if j >= len(b) {
		return j, synErr(j, "%v in number", ErrUnexpectedEnd)
	}
	switch {
	case b[j] == '0':
		j++
	case b[j] >= '1' && b[j] <= '9':
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return j, synErr(j, "invalid character %q in number", b[j])
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return j, synErr(j, "want a digit after the decimal point")
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return j, synErr(j, "want a digit in the exponent")
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j, nil
}
