package decode

import (
	"bytes"
	"errors"
	"io"

	"github.com/trailwarden/trailwarden/internal/ctjson"
	"github.com/trailwarden/trailwarden/internal/event"
)

// window is a sliding buffer over a stream: values are located in place and
// handed out as slices of it, so memory is bounded by the largest value kept
// plus one read chunk, whatever the stream's size.
type window struct {
	r     io.Reader
	buf   []byte
	pos   int   // next unread byte
	n     int   // valid bytes in buf
	base  int64 // stream offset of buf[0]
	eof   bool
	rerr  error // read error other than io.EOF
	chunk int
}

func (w *window) reset(r io.Reader, chunk int) {
	w.r, w.pos, w.n, w.base, w.eof, w.rerr, w.chunk = r, 0, 0, 0, false, nil, chunk
	if cap(w.buf) < chunk {
		w.buf = make([]byte, chunk)
	}
	w.buf = w.buf[:cap(w.buf)]
}

// offset is the stream offset of the next unread byte.
func (w *window) offset() int64 { return w.base + int64(w.pos) }

// fill reads more data, first moving the unread part (from pos) to the front
// of the buffer, growing it when it is more than half full. It returns false
// when nothing more can be read.
func (w *window) fill() bool {
	if w.eof || w.rerr != nil {
		return false
	}
	if w.pos > 0 {
		copy(w.buf, w.buf[w.pos:w.n])
		w.base += int64(w.pos)
		w.n -= w.pos
		w.pos = 0
	}
	if len(w.buf)-w.n < w.chunk/2 {
		nb := make([]byte, len(w.buf)*2)
		copy(nb, w.buf[:w.n])
		w.buf = nb
	}
	for {
		m, err := w.r.Read(w.buf[w.n:])
		w.n += m
		if err == io.EOF {
			w.eof = true
			return m > 0
		}
		if err != nil {
			w.rerr = err
			return m > 0
		}
		if m > 0 {
			return true
		}
	}
}

// shrink drops an oversized buffer once it is no longer needed.
func (w *window) shrink() {
	if len(w.buf) > 4*w.chunk && w.n-w.pos < w.chunk {
		nb := make([]byte, 2*w.chunk)
		w.n = copy(nb, w.buf[w.pos:w.n])
		w.base += int64(w.pos)
		w.pos = 0
		w.buf = nb
	}
}

// peek skips white space and returns the next byte without consuming it.
func (w *window) peek() (byte, bool) {
	for {
		for w.pos < w.n {
			if c := w.buf[w.pos]; !ctjson.IsSpace(c) {
				return c, true
			}
			w.pos++
		}
		if !w.fill() {
			return 0, false
		}
	}
}

// ensure makes at least k unread bytes available if the stream has them.
func (w *window) ensure(k int) {
	for w.n-w.pos < k && w.fill() {
	}
}

var errTooLarge = errors.New("value too large")

// value returns the complete JSON value at pos (after peek) and consumes it.
// A value longer than limit yields errTooLarge without consuming anything. A
// value that is invalid yields its *ctjson.SyntaxError (offset relative to
// the value's start) without consuming anything.
func (w *window) value(limit int) ([]byte, error) {
	for {
		avail := w.buf[w.pos:w.n]
		end, err := ctjson.Skip(avail, 0)
		complete := err == nil && (end < len(avail) || w.eof || w.rerr != nil)
		if err != nil {
			var se *ctjson.SyntaxError
			if errors.As(err, &se) && se.Offset < int64(len(avail)) {
				return nil, err // a real syntax error, not just the end of the buffer
			}
		}
		if complete {
			if end > limit {
				return nil, errTooLarge
			}
			v := avail[:end]
			w.pos += end
			return v, nil
		}
		if len(avail) > limit {
			return nil, errTooLarge
		}
		if !w.more(len(avail)) {
			if w.rerr != nil {
				return nil, w.rerr
			}
			if err == nil {
				continue // the stream ended right after the value: it is complete
			}
			return nil, err // truncated
		}
	}
}

// more reads until the unread part is at least twice had (so a large value
// is re-scanned a logarithmic number of times, not once per read), or the
// stream ends. It reports whether anything was read.
func (w *window) more(had int) bool {
	if !w.fill() {
		return false
	}
	for w.n-w.pos < 2*had && w.fill() {
	}
	return true
}

// record is value for an object at pos, parsed as a CloudTrail record in
// the same pass that finds its end (records are the bulk of every payload).
// On success the object is consumed and returned with the event, or with the
// *event.FieldError that makes it unusable. Errors are those of value.
func (w *window) record(limit int, p *event.Parser, into *event.Event) ([]byte, *event.Event, error, error) {
	for {
		avail := w.buf[w.pos:w.n]
		e, end, perr := p.ParsePrefixInto(into, avail)
		if end > 0 {
			if end > limit {
				return nil, nil, nil, errTooLarge
			}
			w.pos += end
			return avail[:end], e, perr, nil
		}
		var se *ctjson.SyntaxError
		if errors.As(perr, &se) && se.Offset < int64(len(avail)) {
			return nil, nil, nil, perr // a real syntax error
		}
		if len(avail) > limit {
			return nil, nil, nil, errTooLarge
		}
		if !w.more(len(avail)) {
			if w.rerr != nil {
				return nil, nil, nil, w.rerr
			}
			return nil, nil, nil, perr // truncated
		}
	}
}

// skipStructural consumes the value at pos by structure alone (brackets,
// strings, escapes), without validating it or keeping it in memory. It is how
// the decoder steps over an oversized or malformed record to reach the next.
// It returns false when the stream ends first.
func (w *window) skipStructural() bool {
	depth := 0
	inStr, esc := false, false
	started := false
	for {
		for w.pos < w.n {
			c := w.buf[w.pos]
			switch {
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if depth == 0 {
						w.pos++
						return true
					}
				}
			case c == '"':
				inStr, started = true, true
			case c == '{' || c == '[':
				depth++
				started = true
			case c == '}' || c == ']':
				if depth == 0 {
					return started // end of the enclosing container
				}
				depth--
				if depth == 0 {
					w.pos++
					return true
				}
			case c == ',' && depth == 0 && started:
				return true
			case !ctjson.IsSpace(c):
				if depth == 0 && c == ',' {
					return true
				}
				started = true
			}
			w.pos++
		}
		// Discard what was stepped over: nothing of it is kept.
		w.base += int64(w.pos)
		w.pos, w.n = 0, 0
		if !w.fill() {
			return false
		}
	}
}

// multiline reports whether the value at pos spans lines within its first
// n bytes (a pretty-printed document rather than a JSON Lines record).
func (w *window) multiline(n int) bool {
	w.ensure(n)
	end := min(w.n, w.pos+n)
	return bytes.IndexByte(w.buf[w.pos:end], '\n') >= 0
}

// skipLine consumes up to and including the next newline.
func (w *window) skipLine() bool {
	for {
		for w.pos < w.n {
			c := w.buf[w.pos]
			w.pos++
			if c == '\n' {
				return true
			}
		}
		w.base += int64(w.pos)
		w.pos, w.n = 0, 0
		if !w.fill() {
			return false
		}
	}
}

// consume consumes byte c after white space, reporting whether it was there.
func (w *window) consume(c byte) bool {
	if b, ok := w.peek(); ok && b == c {
		w.pos++
		return true
	}
	return false
}
