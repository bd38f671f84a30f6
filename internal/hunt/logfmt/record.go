package logfmt

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Field identifies a well-known field name, so that hot code can look a
// value up with [Record.Field] without comparing strings. Resolve names
// once with [FieldByName].
type Field uint8

// The well-known fields. Their names (see [Field.String]) are Sigma's
// webserver taxonomy names, plus date and time (IIS's own columns) and
// timestamp (the raw time of an NCSA or JSON line).
const (
	// FieldOther is not a well-known field: a name that only
	// [Record.Get] finds.
	FieldOther         Field = iota
	FieldClientIP            // c-ip
	FieldUsername            // cs-username
	FieldMethod              // cs-method
	FieldURIStem             // cs-uri-stem
	FieldURIQuery            // cs-uri-query
	FieldStatus              // sc-status
	FieldBytesSent           // sc-bytes
	FieldBytesReceived       // cs-bytes
	FieldHost                // cs-host
	FieldUserAgent           // cs-user-agent
	FieldReferer             // cs-referer
	FieldCookie              // cs-cookie
	FieldContentType         // cs-content-type
	FieldServerIP            // s-ip
	FieldServerPort          // s-port
	FieldTimeTaken           // time-taken
	FieldVersion             // cs-version
	FieldSubstatus           // sc-substatus
	FieldWin32Status         // sc-win32-status
	FieldSiteName            // s-sitename
	FieldComputerName        // s-computername
	FieldDate                // date (IIS, yyyy-mm-dd, UTC)
	FieldTime                // time (IIS, hh:mm:ss, UTC)
	FieldTimestamp           // timestamp (NCSA bracketed time, or a JSON time value)
	numFields
)

var fieldNames = [numFields]string{
	FieldOther:         "",
	FieldClientIP:      "c-ip",
	FieldUsername:      "cs-username",
	FieldMethod:        "cs-method",
	FieldURIStem:       "cs-uri-stem",
	FieldURIQuery:      "cs-uri-query",
	FieldStatus:        "sc-status",
	FieldBytesSent:     "sc-bytes",
	FieldBytesReceived: "cs-bytes",
	FieldHost:          "cs-host",
	FieldUserAgent:     "cs-user-agent",
	FieldReferer:       "cs-referer",
	FieldCookie:        "cs-cookie",
	FieldContentType:   "cs-content-type",
	FieldServerIP:      "s-ip",
	FieldServerPort:    "s-port",
	FieldTimeTaken:     "time-taken",
	FieldVersion:       "cs-version",
	FieldSubstatus:     "sc-substatus",
	FieldWin32Status:   "sc-win32-status",
	FieldSiteName:      "s-sitename",
	FieldComputerName:  "s-computername",
	FieldDate:          "date",
	FieldTime:          "time",
	FieldTimestamp:     "timestamp",
}

// String returns the field's name, or "" for FieldOther and unknown values.
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return ""
}

// FieldByName returns the well-known field with that exact name, or
// FieldOther and false.
func FieldByName(name string) (Field, bool) {
	switch name {
	case "c-ip":
		return FieldClientIP, true
	case "cs-username":
		return FieldUsername, true
	case "cs-method":
		return FieldMethod, true
	case "cs-uri-stem":
		return FieldURIStem, true
	case "cs-uri-query":
		return FieldURIQuery, true
	case "sc-status":
		return FieldStatus, true
	case "sc-bytes":
		return FieldBytesSent, true
	case "cs-bytes":
		return FieldBytesReceived, true
	case "cs-host":
		return FieldHost, true
	case "cs-user-agent":
		return FieldUserAgent, true
	case "cs-referer":
		return FieldReferer, true
	case "cs-cookie":
		return FieldCookie, true
	case "cs-content-type":
		return FieldContentType, true
	case "s-ip":
		return FieldServerIP, true
	case "s-port":
		return FieldServerPort, true
	case "time-taken":
		return FieldTimeTaken, true
	case "cs-version":
		return FieldVersion, true
	case "sc-substatus":
		return FieldSubstatus, true
	case "sc-win32-status":
		return FieldWin32Status, true
	case "s-sitename":
		return FieldSiteName, true
	case "s-computername":
		return FieldComputerName, true
	case "date":
		return FieldDate, true
	case "time":
		return FieldTime, true
	case "timestamp":
		return FieldTimestamp, true
	}
	return FieldOther, false
}

// decoding says how a raw value becomes the value Get returns.
type decoding uint8

const (
	decNone      decoding = iota
	decPlus               // IIS header fields: '+' stands for a space
	decBackslash          // NCSA quoted fields: \" \\ \xhh ...
	decJSON               // JSON string escapes
	decDrop               // a column whose values are ignored (a repeated IIS name)
)

// schema names the positions of a record's values: an IIS layout's
// columns, NCSA's fixed fields, or the keys of one JSON line.
type schema struct {
	names []string
	ids   []Field
	decs  []decoding
	idx   [numFields]int32 // 1-based position of each well-known field; 0 when none
	// Other names, for de-duplication once there are many (a linear
	// scan would make hostile lines with thousands of keys quadratic).
	seen    map[string]struct{}
	useSeen bool
}

// seenLimit is the number of names above which add de-duplicates other
// names with a map.
const seenLimit = 32

// add appends a position. A well-known field already present keeps its
// first position, and so does a repeated name when dedupe is set; add
// then returns -1.
func (s *schema) add(name string, id Field, d decoding, dedupe bool) int {
	if id != FieldOther {
		if s.idx[id] != 0 {
			return -1
		}
	} else if dedupe {
		if !s.useSeen && len(s.names) >= seenLimit {
			if s.seen == nil {
				s.seen = make(map[string]struct{})
			}
			for i, n := range s.names {
				if s.ids[i] == FieldOther {
					s.seen[n] = struct{}{}
				}
			}
			s.useSeen = true
		}
		if s.useSeen {
			if _, dup := s.seen[name]; dup {
				return -1
			}
			s.seen[name] = struct{}{}
		} else {
			for i, n := range s.names {
				if s.ids[i] == FieldOther && n == name {
					return -1
				}
			}
		}
	}
	s.names = append(s.names, name)
	s.ids = append(s.ids, id)
	s.decs = append(s.decs, d)
	if id != FieldOther {
		s.idx[id] = int32(len(s.names))
	}
	return len(s.names) - 1
}

func (s *schema) reset() {
	for _, id := range s.ids {
		s.idx[id] = 0
	}
	s.names, s.ids, s.decs = s.names[:0], s.ids[:0], s.decs[:0]
	if s.useSeen {
		clear(s.seen)
		s.useSeen = false
	}
}

// Record holds the fields of one parsed line. Values alias the line given
// to the parser (or, once decoded, the record's scratch buffer): they are
// valid until the line's buffer changes or the Record is reset or reused.
// A Record is reused across lines to avoid allocation; the zero value is
// ready to use. Get, Field and Each may decode into the record, so a Record
// must not be read from several goroutines at once, and it must not be
// copied once used.
//
// A field whose log value is "-" or empty is absent: Get reports false and
// Each skips it.
type Record struct {
	line    []byte
	sch     *schema  // nil: dyn
	vals    [][]byte // raw values by schema position; nil when absent
	decoded [][]byte // decoded values of positions with their decMask bit set
	decMask uint64
	scratch []byte
	dyn     schema            // the schema of the current JSON line
	names   map[string]string // interned unmapped JSON key names
}

func (r *Record) schema() *schema {
	if r.sch == nil {
		return &r.dyn
	}
	return r.sch
}

// Reset empties the record, keeping its memory for the next line.
func (r *Record) Reset() {
	if r.sch == nil && len(r.dyn.names) > 0 {
		r.dyn.reset()
	}
	r.sch = nil
	r.vals = r.vals[:0]
	r.decMask = 0
	r.scratch = r.scratch[:0]
	r.line = nil
}

// Line returns the line the record was parsed from, without its line
// terminator (for keyword rules matched against the whole line).
func (r *Record) Line() []byte { return r.line }

// Len returns the number of fields present.
func (r *Record) Len() int {
	n := 0
	for _, v := range r.vals {
		if v != nil {
			n++
		}
	}
	return n
}

// pos returns the position of the named field's value, or -1.
func (r *Record) pos(name string) int {
	if id, ok := FieldByName(name); ok {
		return r.fieldPos(id)
	}
	s := r.schema()
	for i, n := range s.names {
		if i < len(r.vals) && r.vals[i] != nil && s.ids[i] == FieldOther && n == name {
			return i
		}
	}
	return -1
}

func (r *Record) fieldPos(f Field) int {
	if f == FieldOther || f >= numFields {
		return -1
	}
	i := int(r.schema().idx[f]) - 1
	if i < 0 || i >= len(r.vals) || r.vals[i] == nil {
		return -1
	}
	return i
}

// Get returns the value of the named field, decoded ('+' as space in IIS
// header fields, escapes resolved in NCSA quoted fields and JSON strings),
// and whether it is present.
func (r *Record) Get(name string) ([]byte, bool) {
	if i := r.pos(name); i >= 0 {
		return r.value(i), true
	}
	return nil, false
}

// Field is Get for a well-known field, without a string comparison.
func (r *Record) Field(f Field) ([]byte, bool) {
	if i := r.fieldPos(f); i >= 0 {
		return r.value(i), true
	}
	return nil, false
}

// Raw returns the named field's value exactly as the line has it, always a
// sub-slice of the line: '+' not turned into spaces, escapes not resolved.
func (r *Record) Raw(name string) ([]byte, bool) {
	if i := r.pos(name); i >= 0 {
		return r.vals[i], true
	}
	return nil, false
}

// Each calls fn with every present field, in line order, decoded as Get
// decodes it. value is only valid until the record is reused; copy it to
// keep it.
func (r *Record) Each(fn func(name string, value []byte)) {
	s := r.schema()
	for i, v := range r.vals {
		if v != nil {
			fn(s.names[i], r.value(i))
		}
	}
}

// value returns the decoded value at position i, decoding it once.
func (r *Record) value(i int) []byte {
	raw := r.vals[i]
	d := r.schema().decs[i]
	if d == decNone {
		return raw
	}
	if i < 64 && r.decMask&(1<<i) != 0 {
		return r.decoded[i]
	}
	v := r.decode(raw, d)
	if i < 64 {
		for len(r.decoded) <= i {
			r.decoded = append(r.decoded, nil)
		}
		r.decoded[i] = v
		r.decMask |= 1 << i
	}
	return v
}

// decode returns raw decoded; raw itself when there is nothing to decode,
// otherwise a capacity-limited slice of the scratch buffer.
func (r *Record) decode(raw []byte, d decoding) []byte {
	start := len(r.scratch)
	switch d {
	case decPlus:
		if bytes.IndexByte(raw, '+') < 0 {
			return raw
		}
		r.scratch = append(r.scratch, raw...)
		for b := r.scratch[start:]; ; {
			i := bytes.IndexByte(b, '+')
			if i < 0 {
				break
			}
			b[i] = ' '
			b = b[i+1:]
		}
	case decBackslash:
		if bytes.IndexByte(raw, '\\') < 0 {
			return raw
		}
		r.scratch = unescapeBackslash(r.scratch, raw)
	case decJSON:
		if bytes.IndexByte(raw, '\\') < 0 {
			return raw
		}
		r.scratch = unescapeJSON(r.scratch, raw)
	default:
		return raw
	}
	return r.scratch[start:len(r.scratch):len(r.scratch)]
}

// orNil returns v, or nil when v is absent ("-" or empty).
func orNil(v []byte) []byte {
	if len(v) == 0 || (len(v) == 1 && v[0] == '-') {
		return nil
	}
	return v
}

func absent(v []byte) bool {
	return len(v) == 0 || (len(v) == 1 && v[0] == '-')
}

// splitRequest splits an HTTP request line ("GET /a?b HTTP/1.1") into
// method, URI and version; a request without a space is all URI.
func splitRequest(req []byte) (method, uri, version []byte) {
	sp := bytes.IndexByte(req, ' ')
	if sp < 0 {
		return nil, req, nil
	}
	method, uri = req[:sp], req[sp+1:]
	if last := bytes.LastIndexByte(uri, ' '); last >= 0 && bytes.HasPrefix(uri[last+1:], []byte("HTTP/")) {
		uri, version = uri[:last], uri[last+1:]
	}
	return method, uri, version
}

// splitURI splits a request URI at its first '?' into stem and query.
func splitURI(uri []byte) (stem, query []byte) {
	if q := bytes.IndexByte(uri, '?'); q >= 0 {
		return uri[:q], uri[q+1:]
	}
	return uri, nil
}

// Time returns the time of the line in UTC: the timestamp field (NCSA's
// bracketed time, or a JSON time value: RFC 3339, NCSA style, or Unix
// seconds or milliseconds) if present and valid, otherwise IIS's date and
// time fields, which IIS writes in UTC. It reports false when the line has no
// time or it does not parse.
func (r *Record) Time() (time.Time, bool) {
	if v, ok := r.Field(FieldTimestamp); ok {
		if t, ok := parseTimestamp(v); ok {
			return t, true
		}
	}
	d, ok1 := r.Field(FieldDate)
	t, ok2 := r.Field(FieldTime)
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	return parseDateTime(d, t)
}

// LineError is a malformed line: why it did not parse and, when known, its
// 1-based physical line number (the line parsers leave Line 0; a Reader
// fills it in; the hunt engine adds the file).
type LineError struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// Error returns "line N: reason", or the reason alone when Line is 0.
func (e *LineError) Error() string {
	if e.Line > 0 {
		return "line " + strconv.FormatInt(e.Line, 10) + ": " + e.Reason
	}
	return e.Reason
}

func lineErr(reason string) error { return &LineError{Reason: reason} }

// trimEOL removes a trailing "\n" or "\r\n" (and stray trailing "\r").
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	for n := len(line); n > 0 && line[n-1] == '\r'; n-- {
		line = line[:n-1]
	}
	return line
}

// unescapeBackslash appends src with the escapes Apache and nginx write
// resolved: \" \\ \b \n \r \t \v, and \xhh for the bytes they escape that
// way (control bytes, bytes from 0x7f, the quote and the backslash).
// Anything else is kept as written, backslash included: neither server
// writes "\x2f" or "\/" for '/', so such text is what was logged, and a
// field can hold a printable byte only where the raw line has it (which
// the hunt engine's literal prefilter relies on, sigma.EscapeLine).
func unescapeBackslash(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 == len(src) {
			dst = append(dst, c)
			continue
		}
		i++
		switch e := src[i]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'v':
			dst = append(dst, '\v')
		case 'x':
			if i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2]) {
				if v := unhex(src[i+1])<<4 | unhex(src[i+2]); v < 0x20 || v >= 0x7f || v == '"' || v == '\\' {
					dst = append(dst, v)
					i += 2
					continue
				}
			}
			dst = append(dst, '\\', 'x')
		case '"', '\\':
			dst = append(dst, e)
		default:
			dst = append(dst, '\\', e)
		}
	}
	return dst
}

// unescapeJSON appends the contents of a JSON string (without its quotes)
// with escapes resolved. Invalid escapes are kept as written.
func unescapeJSON(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 == len(src) {
			dst = append(dst, c)
			continue
		}
		i++
		switch e := src[i]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r1, ok := hex4(src[i+1:])
			if !ok {
				dst = append(dst, '\\', 'u')
				continue
			}
			i += 4
			if utf16.IsSurrogate(r1) {
				if i+6 < len(src) && src[i+1] == '\\' && src[i+2] == 'u' {
					if r2, ok := hex4(src[i+3:]); ok {
						if d := utf16.DecodeRune(r1, r2); d != utf8.RuneError {
							dst = utf8.AppendRune(dst, d)
							i += 6
							continue
						}
					}
				}
				r1 = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r1)
		default: // \" \\ \/
			dst = append(dst, e)
		}
	}
	return dst
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
