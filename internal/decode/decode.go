// Package decode turns a delivery's bytes into CloudTrail events, whatever
// shape they arrive in: a CloudTrail log file ({"Records":[...]}, plain or
// gzip), an EventBridge envelope, a CloudWatch Logs subscription payload
// (gzip, or base64 inside a Lambda "awslogs" event), JSON Lines of records or
// envelopes, or a JSON array of them. The format is detected from the bytes.
//
// Decoding streams through a sliding window, so memory is bounded by the
// largest record, not by the file. A bad record does not stop decoding: it goes
// to Handler.Reject as a *RecordError and decoding goes on with the next.
package decode

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwarden/trailwarden/internal/ctjson"
	"github.com/trailwarden/trailwarden/internal/event"
)

// Handler receives what a delivery holds.
type Handler interface {
	// Event receives one event. e, e.Raw and e.ID belong to the decoder and
	// are valid only until Event returns: keep e.Clone() if it must live
	// longer. Event
	// may block (backpressure); an error stops decoding.
	Event(ctx context.Context, e *event.Event) error
	// Reject receives a record that could not be decoded (quarantine). An
	// error stops decoding.
	Reject(ctx context.Context, err *RecordError) error
}

// RecordError is one unusable record: where it was and why.
type RecordError struct {
	Origin string // the delivery: file path, s3:// URL, message id
	Index  int    // the record's index in the delivery (0-based); -1 for the delivery as a whole
	Offset int64  // byte offset in the (uncompressed) payload
	Err    error
	// Excerpt is the start of the record, printable, for the operator.
	Excerpt string
	// Record is a copy of the whole record when it is at most
	// MaxQuarantineBytes long (nil otherwise, or when the record's extent is
	// unknown), so that it can be quarantined and examined later.
	Record []byte
}

// MaxQuarantineBytes bounds the copy of a rejected record kept in a
// RecordError (an excerpt is always kept).
const MaxQuarantineBytes = 256 << 10

func (e *RecordError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("%s: at byte %d: %v", e.Origin, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: record %d at byte %d: %v", e.Origin, e.Index, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// Errors a RecordError may wrap besides *ctjson.SyntaxError and *event.FieldError.
var (
	ErrRecordTooLarge = errors.New("record larger than the limit")
	ErrNotCloudTrail  = errors.New("not a CloudTrail record or envelope")
	ErrTruncated      = errors.New("payload ends inside a record")
	ErrDigest         = errors.New("a CloudTrail digest file, which holds no events (use integrity validation)")
)

// Format names a detected payload format.
type Format string

// The formats Decode recognises.
const (
	FormatLogFile     Format = "cloudtrail-log"
	FormatArray       Format = "json-array"
	FormatJSONLines   Format = "json-lines"
	FormatEventBridge Format = "eventbridge"
	FormatCWLogs      Format = "cloudwatch-logs"
	FormatRecord      Format = "record"
)

// Stats counts what one Decode saw.
type Stats struct {
	Format   Format
	Events   int
	Rejected int
	Gzip     bool
}

// Options bound decoding.
type Options struct {
	// MaxRecordBytes is the largest record accepted (default 4 MiB; CloudTrail's
	// own records stay under 256 KiB). Larger ones are stepped over and rejected.
	MaxRecordBytes int
	// ChunkBytes is the read size (default 256 KiB).
	ChunkBytes int
}

// Decoder decodes deliveries. It reuses its buffers from one delivery to the
// next; it is not safe for concurrent use (give each worker its own).
type Decoder struct {
	opts   Options
	parser *event.Parser
	ev     event.Event // reused for every record: handlers get it for the call only
	w      window
	gz     *gzip.Reader
	br     *bufio.Reader
}

// New returns a Decoder.
func New(opts Options) *Decoder {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 4 << 20
	}
	if opts.ChunkBytes <= 0 {
		opts.ChunkBytes = 256 << 10
	}
	return &Decoder{opts: opts, parser: event.NewParser(), br: bufio.NewReaderSize(nil, 64<<10)}
}

// run is the state of one Decode call.
type run struct {
	d      *Decoder
	ctx    context.Context
	origin string
	h      Handler
	st     Stats
	idx    int
	depth  int // envelope nesting (awslogs inside a payload)
}

// Decode reads one delivery from r. It returns an error when the payload as
// a whole is unusable (a corrupt gzip stream, bytes that are not JSON, a
// payload cut off mid-record) or when the handler fails; the records before
// the problem have been delivered, and the error is a *RecordError naming the
// origin and offset.
func (d *Decoder) Decode(ctx context.Context, origin string, r io.Reader, h Handler) (Stats, error) {
	rn := &run{d: d, ctx: ctx, origin: origin, h: h}
	err := rn.payload(r)
	return rn.st, err
}

func (rn *run) payload(r io.Reader) error {
	d := rn.d
	d.br.Reset(r)
	magic, _ := d.br.Peek(2)
	var src io.Reader = d.br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		rn.st.Gzip = true
		if d.gz == nil {
			gz, err := gzip.NewReader(d.br)
			if err != nil {
				return rn.fatal(0, fmt.Errorf("gzip: %w", err))
			}
			d.gz = gz
		} else if err := d.gz.Reset(d.br); err != nil {
			return rn.fatal(0, fmt.Errorf("gzip: %w", err))
		}
		src = d.gz
	}
	w := &d.w
	w.reset(src, d.opts.ChunkBytes)
	defer w.shrink()
	return rn.stream(w)
}

// fatal makes a delivery-level error.
func (rn *run) fatal(off int64, err error) error {
	return &RecordError{Origin: rn.origin, Index: -1, Offset: off, Err: err}
}

// readErr turns a read failure into a delivery-level error.
func (rn *run) readErr(w *window) error {
	if w.rerr != nil {
		return rn.fatal(w.offset(), fmt.Errorf("read: %w", w.rerr))
	}
	return nil
}

func (rn *run) reject(off int64, raw []byte, err error) error {
	var whole []byte
	if wholeRecord(err) {
		whole = raw
	}
	return rn.rejectRecord(off, raw, whole, err)
}

// rejectRecord reports a rejected record: start is its beginning (for the
// excerpt), whole all of it when its extent is known (nil otherwise).
func (rn *run) rejectRecord(off int64, start, whole []byte, err error) error {
	raw := start
	rn.st.Rejected++
	re := &RecordError{Origin: rn.origin, Index: rn.idx, Offset: off, Err: err, Excerpt: excerpt(raw)}
	if len(whole) > 0 && len(whole) <= MaxQuarantineBytes {
		re.Record = bytes.Clone(whole)
	}
	rn.idx++
	if herr := rn.h.Reject(rn.ctx, re); herr != nil {
		return herr
	}
	return nil
}

// stream decodes the top level: one or more JSON values.
func (rn *run) stream(w *window) error {
	c, ok := w.peek()
	if !ok {
		if err := rn.readErr(w); err != nil {
			return err
		}
		return rn.fatal(0, errors.New("empty payload"))
	}
	if c == '[' {
		if rn.st.Format == "" {
			rn.st.Format = FormatArray
		}
		w.pos++
		if err := rn.array(w); err != nil {
			return err
		}
		if c, ok := w.peek(); ok {
			return rn.fatal(w.offset(), fmt.Errorf("unexpected %q after the array", c))
		}
		return rn.readErr(w)
	}
	objects := 0
	for {
		if err := rn.ctx.Err(); err != nil {
			return err
		}
		c, ok := w.peek()
		if !ok {
			return rn.readErr(w)
		}
		if c != '{' {
			if objects == 0 {
				return rn.fatal(w.offset(), fmt.Errorf("%w: payload starts with %q, want a JSON object or array", ErrNotCloudTrail, c))
			}
			// Garbage between JSON Lines: reject the line, resynchronise.
			off := w.offset()
			w.ensure(80)
			raw := w.buf[w.pos:min(w.n, w.pos+80)]
			if err := rn.reject(off, raw, &ctjson.SyntaxError{Offset: 0, Msg: fmt.Sprintf("invalid character %q at the start of a line", c)}); err != nil {
				return err
			}
			if !w.skipLine() {
				return rn.readErr(w)
			}
			continue
		}
		objects++
		if objects == 2 && rn.st.Format != FormatLogFile {
			rn.st.Format = FormatJSONLines
		}
		if rn.startsWithRecords(w) {
			if err := rn.logFile(w); err != nil {
				return err
			}
			continue
		}
		off := w.offset()
		raw, err := w.value(4 * rn.d.opts.MaxRecordBytes)
		switch {
		case err == nil:
			if err := rn.element(raw, off, true); err != nil {
				return err
			}
		case errors.Is(err, errTooLarge):
			if err := rn.reject(off, w.buf[w.pos:min(w.n, w.pos+80)], fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, 4*rn.d.opts.MaxRecordBytes)); err != nil {
				return err
			}
			if err := rn.resync(w, 64<<10); err != nil {
				return err
			}
		default:
			// A broken object: reject it and go on with the next one.
			w.ensure(80)
			if err := rn.reject(off, w.buf[w.pos:min(w.n, w.pos+80)], relocate(err, off)); err != nil {
				return err
			}
			span := 64 << 10
			var se *ctjson.SyntaxError
			if errors.As(err, &se) {
				span = int(min(se.Offset+1, int64(span)))
			}
			if err := rn.resync(w, span); err != nil {
				return err
			}
		}
	}
}

// resync steps over a bad top-level value: by structure when it is a
// pretty-printed document (it spans lines within its first span bytes), else
// to the end of its line, as JSON Lines are framed. It returns an error only
// when the payload ends or cannot be read.
func (rn *run) resync(w *window, span int) error {
	if w.multiline(span) {
		if !w.skipStructural() {
			return rn.fatal(w.offset(), ErrTruncated)
		}
		return nil
	}
	if !w.skipLine() {
		return rn.readErr(w)
	}
	return nil
}

// startsWithRecords reports whether the object at pos starts with the key
// "Records", as every CloudTrail log file does.
func (rn *run) startsWithRecords(w *window) bool {
	w.ensure(64)
	b := w.buf[w.pos:w.n]
	i := ctjson.SkipSpace(b, 1)
	return bytes.HasPrefix(b[i:], []byte(`"Records"`))
}

// logFile streams {"Records":[...], other keys...}.
func (rn *run) logFile(w *window) error {
	rn.st.Format = FormatLogFile
	w.pos++ // '{'
	first := true
	for {
		if !first {
			c, ok := w.peek()
			if !ok {
				return rn.fatal(w.offset(), ErrTruncated)
			}
			w.pos++
			if c == '}' {
				return nil
			}
			if c != ',' {
				return rn.fatal(w.offset()-1, fmt.Errorf("invalid character %q in the log file object", c))
			}
		}
		first = false
		if c, _ := w.peek(); c != '"' {
			return rn.fatal(w.offset(), errors.New("want an object key in the log file object"))
		}
		keyRaw, err := w.value(1 << 10)
		if err != nil {
			return rn.fatal(w.offset(), fmt.Errorf("log file object key: %w", err))
		}
		key, _ := ctjson.String(keyRaw)
		if !w.consume(':') {
			return rn.fatal(w.offset(), errors.New("want ':' in the log file object"))
		}
		if key == "Records" {
			if !w.consume('[') {
				return rn.fatal(w.offset(), errors.New("the Records key is not an array"))
			}
			if err := rn.array(w); err != nil {
				return err
			}
			continue
		}
		// Other keys (none in CloudTrail's own files) are stepped over.
		if _, ok := w.peek(); !ok || !w.skipStructural() {
			return rn.fatal(w.offset(), ErrTruncated)
		}
	}
}

// array streams the elements of an array whose '[' has been consumed.
func (rn *run) array(w *window) error {
	if w.consume(']') {
		return nil
	}
	limit := rn.d.opts.MaxRecordBytes
	for {
		if err := rn.ctx.Err(); err != nil {
			return err
		}
		if _, ok := w.peek(); !ok {
			if err := rn.readErr(w); err != nil {
				return err
			}
			return rn.fatal(w.offset(), ErrTruncated)
		}
		off := w.offset()
		var raw []byte
		var err error
		if w.buf[w.pos] == '{' {
			var e *event.Event
			var perr error
			raw, e, perr, err = w.record(limit, rn.d.parser, &rn.d.ev)
			if err == nil {
				if err := rn.parsed(raw, e, perr, off, false); err != nil {
					return err
				}
			}
		} else if raw, err = w.value(limit); err == nil {
			if err := rn.element(raw, off, false); err != nil {
				return err
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, errTooLarge):
			if err := rn.reject(off, w.buf[w.pos:min(w.n, w.pos+80)], fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, limit)); err != nil {
				return err
			}
			if !w.skipStructural() {
				return rn.fatal(w.offset(), ErrTruncated)
			}
		default:
			var se *ctjson.SyntaxError
			if !errors.As(err, &se) {
				if rerr := rn.readErr(w); rerr != nil {
					return rerr
				}
				return rn.fatal(off, fmt.Errorf("%w: %v", ErrTruncated, err))
			}
			ex := w.buf[w.pos:min(w.n, w.pos+80)]
			exCopy := append([]byte(nil), ex...)
			base, start := w.base, w.pos
			if !w.skipStructural() {
				// The structure itself is broken: nothing after it can be trusted.
				return rn.fatal(off, fmt.Errorf("%w: record %d: %v", ErrTruncated, rn.idx, relocate(err, off)))
			}
			var whole []byte
			if w.base == base { // still in the buffer: keep the record whole
				whole = w.buf[start:w.pos]
			}
			if err := rn.rejectRecord(off, exCopy, whole, relocate(err, off)); err != nil {
				return err
			}
		}
		c, ok := w.peek()
		if !ok {
			if err := rn.readErr(w); err != nil {
				return err
			}
			return rn.fatal(w.offset(), ErrTruncated)
		}
		w.pos++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return rn.fatal(w.offset()-1, fmt.Errorf("invalid character %q between records", c))
		}
	}
}

// relocate makes a value-relative syntax error offset absolute.
func relocate(err error, base int64) error {
	var se *ctjson.SyntaxError
	if errors.As(err, &se) {
		return &ctjson.SyntaxError{Offset: base + se.Offset, Msg: se.Msg}
	}
	return err
}

// element handles one complete, valid JSON value: a record or an envelope.
func (rn *run) element(raw []byte, off int64, topLevel bool) error {
	if len(raw) == 0 || raw[0] != '{' {
		return rn.reject(off, raw, fmt.Errorf("%w: a JSON %s", ErrNotCloudTrail, kindOf(raw)))
	}
	e, err := rn.d.parser.Parse(raw)
	return rn.parsed(raw, e, err, off, topLevel)
}

// parsed handles a complete object: a record (e), or, when err says it has no
// eventSource, maybe an envelope; anything else is rejected.
func (rn *run) parsed(raw []byte, e *event.Event, err error, off int64, topLevel bool) error {
	if err == nil && len(raw) > rn.d.opts.MaxRecordBytes {
		return rn.reject(off, raw, fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, rn.d.opts.MaxRecordBytes))
	}
	if err == nil {
		if topLevel && rn.st.Format == "" {
			rn.st.Format = FormatRecord
		}
		return rn.event(e)
	}
	var fe *event.FieldError
	if errors.As(err, &fe) && errors.Is(err, event.ErrMissing) && fe.Field == "eventSource" {
		if handled, herr := rn.envelope(raw, off); handled {
			return herr
		}
	}
	if len(raw) > rn.d.opts.MaxRecordBytes {
		err = fmt.Errorf("%w (%d bytes)", ErrRecordTooLarge, rn.d.opts.MaxRecordBytes)
	}
	return rn.reject(off, raw, err)
}

func (rn *run) event(e *event.Event) error {
	rn.st.Events++
	rn.idx++
	return rn.h.Event(rn.ctx, e)
}

func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// envelope handles EventBridge events, CloudWatch Logs payloads, Lambda
// awslogs events and digest files. It reports whether raw was one of them.
func (rn *run) envelope(raw []byte, off int64) (bool, error) {
	if dt, ok, _ := ctjson.Find(raw, "detail-type"); ok {
		detail, hasDetail, _ := ctjson.Find(raw, "detail")
		typ, _ := ctjson.String(dt)
		if !hasDetail || !strings.HasSuffix(typ, "via CloudTrail") {
			return true, rn.reject(off, raw, fmt.Errorf("%w: EventBridge detail-type %q", ErrNotCloudTrail, typ))
		}
		if strings.HasPrefix(typ, "AWS Insight") {
			return true, rn.reject(off, raw, fmt.Errorf("%w: CloudTrail Insights event", ErrNotCloudTrail))
		}
		if rn.st.Format == "" || rn.st.Format == FormatRecord {
			rn.st.Format = FormatEventBridge
		}
		if len(detail) > rn.d.opts.MaxRecordBytes {
			return true, rn.reject(off, detail, fmt.Errorf("EventBridge detail: %w (%d bytes)", ErrRecordTooLarge, rn.d.opts.MaxRecordBytes))
		}
		e, err := rn.d.parser.Parse(detail)
		if err != nil {
			return true, rn.reject(off, detail, fmt.Errorf("EventBridge detail: %w", err))
		}
		return true, rn.event(e)
	}
	if mt, ok, _ := ctjson.Find(raw, "messageType"); ok {
		typ, _ := ctjson.String(mt)
		if rn.st.Format == "" || rn.st.Format == FormatRecord {
			rn.st.Format = FormatCWLogs
		}
		switch typ {
		case "CONTROL_MESSAGE":
			rn.idx++
			return true, nil
		case "DATA_MESSAGE":
		default:
			return true, rn.reject(off, raw, fmt.Errorf("%w: CloudWatch Logs messageType %q", ErrNotCloudTrail, typ))
		}
		events, ok, _ := ctjson.Find(raw, "logEvents")
		if !ok || len(events) == 0 || events[0] != '[' {
			return true, rn.reject(off, raw, fmt.Errorf("%w: CloudWatch Logs DATA_MESSAGE without logEvents", ErrNotCloudTrail))
		}
		var herr error
		_ = ctjson.EachElement(events, func(le []byte) bool {
			msg, ok, _ := ctjson.Find(le, "message")
			if !ok || len(msg) == 0 || msg[0] != '"' {
				herr = rn.reject(off, le, fmt.Errorf("%w: log event without a message", ErrNotCloudTrail))
				return herr == nil
			}
			s, err := ctjson.String(msg)
			if err != nil {
				herr = rn.reject(off, le, err)
				return herr == nil
			}
			herr = rn.message([]byte(s), off)
			return herr == nil
		})
		return true, herr
	}
	if aw, ok, _ := ctjson.Find(raw, "awslogs"); ok && len(aw) > 0 && aw[0] == '{' {
		data, ok, _ := ctjson.Find(aw, "data")
		s, err := ctjson.String(data)
		if !ok || err != nil {
			return true, rn.reject(off, raw, fmt.Errorf("%w: awslogs without data", ErrNotCloudTrail))
		}
		if rn.depth > 0 {
			return true, rn.reject(off, raw, fmt.Errorf("%w: nested awslogs payload", ErrNotCloudTrail))
		}
		gz, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return true, rn.reject(off, raw, fmt.Errorf("awslogs data: %w", err))
		}
		// Decode the inner payload with a decoder of its own (the outer one's
		// buffers are in use), then account for it here.
		inner := New(rn.d.opts)
		sub := &run{d: inner, ctx: rn.ctx, origin: rn.origin + "#awslogs", h: rn.h, depth: rn.depth + 1}
		err = sub.payload(bytes.NewReader(gz))
		rn.st.Events += sub.st.Events
		rn.st.Rejected += sub.st.Rejected
		rn.idx += sub.idx
		if rn.st.Format == "" || rn.st.Format == FormatRecord {
			rn.st.Format = FormatCWLogs
		}
		if err != nil {
			var re *RecordError
			if errors.As(err, &re) {
				return true, rn.reject(off, raw, fmt.Errorf("awslogs payload: %w", re.Err))
			}
			return true, err
		}
		return true, nil
	}
	if _, ok, _ := ctjson.Find(raw, "digestPublicKeyFingerprint"); ok {
		return true, rn.reject(off, raw, ErrDigest)
	}
	return false, nil
}

// message decodes one CloudWatch Logs message: a record as text. The bytes
// are its own (a copy), so the event may alias them.
func (rn *run) message(b []byte, off int64) error {
	if len(b) > rn.d.opts.MaxRecordBytes {
		return rn.reject(off, b, fmt.Errorf("log event message: %w (%d bytes)", ErrRecordTooLarge, rn.d.opts.MaxRecordBytes))
	}
	i := ctjson.SkipSpace(b, 0)
	end, err := ctjson.Skip(b, i)
	if err == nil && ctjson.SkipSpace(b, end) != len(b) {
		err = &ctjson.SyntaxError{Offset: int64(end), Msg: "data after the record"}
	}
	if err != nil {
		return rn.reject(off, b, fmt.Errorf("log event message: %w", err))
	}
	e, err := rn.d.parser.Parse(b[i:end])
	if err != nil {
		return rn.reject(off, b, fmt.Errorf("log event message: %w", err))
	}
	return rn.event(e)
}

// wholeRecord reports whether the bytes given with a rejection are the whole
// record (and not just the first bytes of a broken or oversized one).
func wholeRecord(err error) bool {
	var se *ctjson.SyntaxError
	return !errors.As(err, &se) && !errors.Is(err, ErrRecordTooLarge)
}

// excerpt renders the start of a record for an error message.
func excerpt(raw []byte) string {
	const max = 80
	if len(raw) > max {
		raw = raw[:max]
	}
	var sb strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		switch {
		case r == utf8.RuneError && size <= 1:
			sb.WriteString(`\x`)
			sb.WriteString(fmt.Sprintf("%02x", raw[0]))
		case r < 0x20 || r == 0x7f:
			sb.WriteString(fmt.Sprintf(`\x%02x`, r))
		default:
			sb.WriteRune(r)
		}
		raw = raw[size:]
	}
	return sb.String()
}
