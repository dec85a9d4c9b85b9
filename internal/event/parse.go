package event

import (
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/trailwarden/trailwarden/internal/ctjson"
)

// MaxRecordBytes is the largest record Parse accepts (offsets are 32-bit and
// CloudTrail's own limit is far lower).
const MaxRecordBytes = 1<<31 - 1

// Parser turns raw records into Events. It interns the few distinct values of
// routing fields (sources, names, regions, versions, accounts), so millions of
// events share their strings. A Parser is not safe for concurrent use; give
// each goroutine its own.
type Parser struct {
	intern map[string]string
}

// maxInterned bounds the interning table; values beyond it are not interned.
const (
	maxInterned    = 1 << 14
	maxInternedLen = 128
)

// NewParser returns a Parser.
func NewParser() *Parser { return &Parser{intern: make(map[string]string, 256)} }

func (p *Parser) internBytes(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < maxInterned && len(b) <= maxInternedLen {
		p.intern[s] = s
	}
	return s
}

// String modes of stringField.
const (
	copyStr   = iota // a new string
	internStr        // shared through the interning table
	aliasStr         // points into the record: valid while its buffer is
)

// stringField decodes a string field; absent → "", null → "".
func (p *Parser) stringField(raw []byte, f FieldID, mode int) (string, error) {
	if len(raw) == 0 || raw[0] == 'n' {
		return "", nil
	}
	if raw[0] != '"' {
		return "", &FieldError{Field: f.Name(), Err: fmt.Errorf("%w: want a string", ErrWrongType)}
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			return ctjson.String(raw)
		}
	}
	switch mode {
	case internStr:
		return p.internBytes(body), nil
	case aliasStr:
		return unsafe.String(unsafe.SliceData(body), len(body)), nil
	}
	return string(body), nil
}

// Parse validates raw as one JSON object and indexes it as a CloudTrail
// record. The Event keeps raw (it must not be modified afterwards). Errors are
// *ctjson.SyntaxError (offset relative to raw) or *FieldError.
func (p *Parser) Parse(raw []byte) (*Event, error) {
	if len(raw) > MaxRecordBytes {
		return nil, &FieldError{Field: "record", Err: fmt.Errorf("record of %d bytes is too large", len(raw))}
	}
	i := ctjson.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		if i < len(raw) {
			if _, err := ctjson.Skip(raw, i); err != nil {
				return nil, err
			}
		}
		return nil, &FieldError{Field: "record", Err: ErrNotAnObject}
	}
	e := &Event{Raw: raw}
	end, err := p.index(e, raw, i)
	if err != nil {
		return nil, err
	}
	if j := ctjson.SkipSpace(raw, end); j != len(raw) {
		return nil, &ctjson.SyntaxError{Offset: int64(j), Msg: "data after the record"}
	}
	if err := p.decodeRouting(e); err != nil {
		return nil, err
	}
	return e, nil
}

// ParsePrefix parses the record object that starts at b[0] == '{' and ends
// somewhere in b, in one pass (validation, index and routing fields). It
// returns the record's length: when the object is complete, end > 0 even if
// err is a *FieldError (the record is whole but unusable). A
// *ctjson.SyntaxError whose offset is len(b) means b ends inside the record.
func (p *Parser) ParsePrefix(b []byte) (e *Event, end int, err error) {
	return p.ParsePrefixInto(&Event{}, b)
}

// ParsePrefixInto is ParsePrefix filling e, which is reset first: a decoder
// reuses one Event for record after record.
func (p *Parser) ParsePrefixInto(e *Event, b []byte) (*Event, int, error) {
	*e = Event{}
	if len(b) == 0 || b[0] != '{' {
		return nil, 0, &FieldError{Field: "record", Err: ErrNotAnObject}
	}
	end, err := p.index(e, b, 0)
	if err != nil {
		return nil, end, err
	}
	if end > MaxRecordBytes {
		return nil, end, &FieldError{Field: "record", Err: fmt.Errorf("record of %d bytes is too large", end)}
	}
	e.Raw = b[:end:end]
	if err := p.decodeRouting(e); err != nil {
		return nil, end, err
	}
	return e, end, nil
}

// index validates the object at raw[i] and records its fields; it returns
// the index just after the object.
//
// A duplicated known key is reported as a *FieldError with the end of the
// object (the record is whole but ambiguous); syntax errors return 0.
func (p *Parser) index(e *Event, raw []byte, i int) (int, error) {
	var dup error
	i = ctjson.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		i++
	} else {
		for {
			if i >= len(raw) {
				return 0, &ctjson.SyntaxError{Offset: int64(i), Msg: "unexpected end of input in record"}
			}
			if raw[i] != '"' {
				return 0, &ctjson.SyntaxError{Offset: int64(i), Msg: fmt.Sprintf("invalid character %q, want an object key", raw[i])}
			}
			ke, esc, err := ctjson.SkipString(raw, i)
			if err != nil {
				return 0, err
			}
			key := raw[i+1 : ke-1]
			i = ctjson.SkipSpace(raw, ke)
			if i >= len(raw) || raw[i] != ':' {
				return 0, &ctjson.SyntaxError{Offset: int64(i), Msg: "want ':' after object key"}
			}
			vs := ctjson.SkipSpace(raw, i+1)
			ve, err := ctjson.Skip(raw, vs)
			if err != nil {
				return 0, err
			}
			if !esc {
				if f, ok := fieldByName(key); ok {
					if e.spans[f].end != 0 && dup == nil {
						dup = &FieldError{Field: f.Name(), Err: ErrDuplicateKey}
					}
					e.spans[f] = span{uint32(vs), uint32(ve)}
				}
			}
			i = ctjson.SkipSpace(raw, ve)
			if i >= len(raw) {
				return 0, &ctjson.SyntaxError{Offset: int64(i), Msg: "unexpected end of input in record"}
			}
			if raw[i] == ',' {
				i = ctjson.SkipSpace(raw, i+1)
				continue
			}
			if raw[i] == '}' {
				i++
				break
			}
			return 0, &ctjson.SyntaxError{Offset: int64(i), Msg: fmt.Sprintf("invalid character %q after object value", raw[i])}
		}
	}
	return i, dup
}

func (p *Parser) decodeRouting(e *Event) error {
	var err error
	if e.Source, err = p.stringField(e.Field(FEventSource), FEventSource, internStr); err != nil {
		return err
	}
	if e.Source == "" {
		return &FieldError{Field: "eventSource", Err: ErrMissing}
	}
	if e.Name, err = p.stringField(e.Field(FEventName), FEventName, internStr); err != nil {
		return err
	}
	if e.Name == "" {
		return &FieldError{Field: "eventName", Err: ErrMissing}
	}
	if e.Version, err = p.stringField(e.Field(FEventVersion), FEventVersion, internStr); err != nil {
		return err
	}
	if e.Version != "" && !supportedVersion(e.Version) {
		return &FieldError{Field: "eventVersion", Err: fmt.Errorf("%w %q (this build reads 1.x)", ErrBadVersion, e.Version)}
	}
	if e.Region, err = p.stringField(e.Field(FAWSRegion), FAWSRegion, internStr); err != nil {
		return err
	}
	if e.ErrorCode, err = p.stringField(e.Field(FErrorCode), FErrorCode, internStr); err != nil {
		return err
	}
	if e.Account, err = p.stringField(e.Field(FRecipientAccountID), FRecipientAccountID, internStr); err != nil {
		return err
	}
	if e.Account == "" {
		if ui := e.Field(FUserIdentity); len(ui) > 0 && ui[0] == '{' {
			if v, ok, _ := ctjson.Find(ui, "accountId"); ok && len(v) > 0 && v[0] == '"' {
				e.Account, _ = ctjson.String(v)
			}
		}
	}
	tf := FEventTime
	if !e.Has(FEventTime) {
		tf = FTimestamp
	}
	ts, err := p.stringField(e.Field(tf), tf, aliasStr)
	if err != nil {
		return err
	}
	if ts == "" {
		return &FieldError{Field: "eventTime", Err: ErrMissing}
	}
	if e.Time, err = ParseTime(ts); err != nil {
		return &FieldError{Field: tf.Name(), Err: fmt.Errorf("%w %q", ErrBadTime, strings.Clone(ts))}
	}
	if e.ID, err = p.stringField(e.Field(FEventID), FEventID, aliasStr); err != nil {
		return err
	}
	if e.ID == "" {
		e.ID = contentID(e.Raw)
	}
	return nil
}

// supportedVersion accepts every 1.x eventVersion, including minor versions
// newer than those known today (CloudTrail only adds fields within 1.x).
func supportedVersion(v string) bool {
	return len(v) >= 3 && v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '9'
}

// ParseTime parses a CloudTrail timestamp. The usual "2006-01-02T15:04:05Z"
// form is parsed without allocating; anything else RFC 3339 also works.
func ParseTime(s string) (time.Time, error) {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		y, ok1 := atoi(s[0:4])
		mo, ok2 := atoi(s[5:7])
		d, ok3 := atoi(s[8:10])
		h, ok4 := atoi(s[11:13])
		mi, ok5 := atoi(s[14:16])
		se, ok6 := atoi(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 {
			t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
			if t.Day() == d { // rejects Feb 30 and the like
				return t, nil
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
