package gen

import (
	"strconv"
	"time"
)

// jw appends JSON to a byte slice without reflection or allocation. It
// tracks only whether the next member needs a comma, and a small stack of
// open containers:
//
//	w.obj().ks("bucketName", b).k("items").arr().s("x").end().end()
//
// Keys are written as given (they are constants, never escaped).
type jw struct {
	b     []byte
	comma bool
	stack [24]byte
	depth int
}

func (w *jw) reset() *jw {
	w.b, w.comma, w.depth = w.b[:0], false, 0
	return w
}

// bytes returns the document written since the last reset.
func (w *jw) bytes() []byte { return w.b }

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jw) open(c, closer byte) *jw {
	w.sep()
	w.b = append(w.b, c)
	w.stack[w.depth] = closer
	w.depth++
	w.comma = false
	return w
}

func (w *jw) obj() *jw { return w.open('{', '}') }
func (w *jw) arr() *jw { return w.open('[', ']') }

// end closes the innermost open object or array.
func (w *jw) end() *jw {
	w.depth--
	w.b = append(w.b, w.stack[w.depth])
	w.comma = true
	return w
}

// k writes a key; the value follows.
func (w *jw) k(key string) *jw {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, key...)
	w.b = append(w.b, '"', ':')
	w.comma = false
	return w
}

func (w *jw) s(v string) *jw {
	w.sep()
	w.b = appendQuoted(w.b, v)
	w.comma = true
	return w
}

func (w *jw) sb(v []byte) *jw {
	w.sep()
	w.b = appendQuotedBytes(w.b, v)
	w.comma = true
	return w
}

func (w *jw) i(v int64) *jw {
	w.sep()
	w.b = strconv.AppendInt(w.b, v, 10)
	w.comma = true
	return w
}

func (w *jw) bl(v bool) *jw {
	w.sep()
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
	return w
}

// raw writes v, which must be valid JSON.
func (w *jw) raw(v string) *jw {
	w.sep()
	w.b = append(w.b, v...)
	w.comma = true
	return w
}

func (w *jw) null() *jw { return w.raw("null") }

// ts writes a time as CloudTrail does: "2006-01-02T15:04:05Z".
func (w *jw) ts(unix int64) *jw {
	w.sep()
	w.b = append(w.b, '"')
	w.b = appendTime(w.b, unix)
	w.b = append(w.b, '"')
	w.comma = true
	return w
}

// Key-value shorthands.
func (w *jw) ks(key, v string) *jw         { return w.k(key).s(v) }
func (w *jw) ksb(key string, v []byte) *jw { return w.k(key).sb(v) }
func (w *jw) ki(key string, v int64) *jw   { return w.k(key).i(v) }
func (w *jw) kb(key string, v bool) *jw    { return w.k(key).bl(v) }
func (w *jw) kraw(key, v string) *jw       { return w.k(key).raw(v) }
func (w *jw) kts(key string, v int64) *jw  { return w.k(key).ts(v) }

// items writes {"items":[{"<key>":v}...]}, EC2's shape for lists.
func (w *jw) items(key string, vs ...string) *jw {
	w.obj().k("items").arr()
	for _, v := range vs {
		w.obj().ks(key, v).end()
	}
	return w.end().end()
}

// noEscape marks the bytes that can be copied into a JSON string as is.
var noEscape = func() (t [256]bool) {
	for i := 0x20; i < 256; i++ {
		t[i] = i != '"' && i != '\\'
	}
	return t
}()

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if noEscape[s[i]] {
			continue
		}
		b = append(b, s[start:i]...)
		b = appendEscape(b, s[i])
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendQuotedBytes(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if noEscape[s[i]] {
			continue
		}
		b = append(b, s[start:i]...)
		b = appendEscape(b, s[i])
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
}

// appendTime appends unix seconds as 2006-01-02T15:04:05Z, fast.
func appendTime(b []byte, unix int64) []byte {
	days := unix / 86400
	secs := unix - days*86400
	if secs < 0 {
		secs += 86400
		days--
	}
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(secs/3600))
	b = append(b, ':')
	b = append2(b, int(secs/60%60))
	b = append(b, ':')
	b = append2(b, int(secs%60))
	return append(b, 'Z')
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// IAM and STS write dates in responses the Java way.
const (
	iamDateLayout = "Jan 2, 2006 3:04:05 PM"
	stsDateLayout = "Jan 2, 2006, 3:04:05 PM"
)

func javaDate(unix int64, layout string) string {
	return time.Unix(unix, 0).UTC().Format(layout)
}
