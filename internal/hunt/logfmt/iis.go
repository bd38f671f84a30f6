package logfmt

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
)

// IISLayout is the column layout of an IIS W3C extended log, as declared by
// a #Fields directive. It is immutable and safe for concurrent use; build
// one per directive with [ParseFieldsDirective] or [NewIISLayout].
//
// Column names are mapped to Sigma names: cs(User-Agent), cs(Referer),
// cs(Cookie), cs(Host) and cs(Content-Type) (header name matched without
// regard to case) become cs-user-agent, cs-referer, cs-cookie, cs-host and
// cs-content-type; well-known names are matched without regard to case;
// every other column keeps its name as written.
type IISLayout struct {
	written []string // names as the directive wrote them
	sch     schema
	// Columns whose shape Parse checks, or -1.
	datePos, timePos, statusPos int
	drops                       bool // some columns are ignored repeats
}

// ParseFieldsDirective builds the layout declared by a "#Fields: ..." line
// (with or without its line terminator).
func ParseFieldsDirective(line []byte) (*IISLayout, error) {
	line = trimEOL(line)
	const prefix = "#Fields:"
	if len(line) < len(prefix) || !bytes.EqualFold(line[:len(prefix)], []byte(prefix)) {
		return nil, lineErr("not a #Fields directive")
	}
	names := strings.Fields(string(line[len(prefix):]))
	if len(names) == 0 {
		return nil, lineErr("#Fields directive lists no fields")
	}
	return NewIISLayout(names...), nil
}

// NewIISLayout builds a layout from column names as a #Fields directive
// writes them (for example "date", "c-ip", "cs(User-Agent)"). When a name
// repeats, the first column wins and the others are ignored.
func NewIISLayout(names ...string) *IISLayout {
	l := &IISLayout{written: append([]string(nil), names...), datePos: -1, timePos: -1, statusPos: -1}
	for _, n := range names {
		c := iisColumn(n)
		if l.sch.add(c.name, c.id, c.dec, true) < 0 {
			// A repeat: keep the column, ignore its values.
			l.sch.names = append(l.sch.names, c.name)
			l.sch.ids = append(l.sch.ids, FieldOther)
			l.sch.decs = append(l.sch.decs, decDrop)
		}
	}
	for i := range l.sch.ids {
		switch {
		case l.sch.decs[i] == decDrop:
			l.drops = true
		case l.sch.ids[i] == FieldDate:
			l.datePos = i
		case l.sch.ids[i] == FieldTime:
			l.timePos = i
		case l.sch.ids[i] == FieldStatus:
			l.statusPos = i
		}
	}
	return l
}

type iisCol struct {
	name string
	id   Field
	dec  decoding
}

// iisColumn maps one #Fields name.
func iisColumn(name string) iisCol {
	if open := strings.IndexByte(name, '('); open > 0 && strings.HasSuffix(name, ")") {
		// A header field: cs(Name) request header, sc(Name) or s(Name)
		// response header. IIS writes '+' for the spaces in their values.
		c := iisCol{name: name, dec: decPlus}
		if strings.EqualFold(name[:open], "cs") {
			var id Field
			switch strings.ToLower(name[open+1 : len(name)-1]) {
			case "user-agent":
				id = FieldUserAgent
			case "referer":
				id = FieldReferer
			case "cookie":
				id = FieldCookie
			case "host":
				id = FieldHost
			case "content-type":
				id = FieldContentType
			}
			if id != FieldOther {
				c.id, c.name = id, id.String()
			}
		}
		return c
	}
	if id, ok := FieldByName(strings.ToLower(name)); ok {
		return iisCol{name: id.String(), id: id}
	}
	return iisCol{name: name}
}

var (
	iisDefault85 = NewIISLayout("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port",
		"cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status", "sc-substatus", "sc-win32-status", "time-taken")
	iisDefault7 = NewIISLayout("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port",
		"cs-username", "c-ip", "cs(User-Agent)", "sc-status", "sc-substatus", "sc-win32-status", "time-taken")
)

// DefaultIISLayout returns the layout IIS 8.5 and later write by default
// (date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username
// c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status
// time-taken). The layout is shared; it is immutable.
func DefaultIISLayout() *IISLayout { return iisDefault85 }

// DefaultIISLayoutFor guesses the layout of a data line from a log whose
// #Fields header is missing, by its column count: the IIS 8.5+ default (15
// columns, see DefaultIISLayout), the IIS 7 default (14 columns, without
// cs(Referer)), or nil when neither fits. A Reader uses it for data lines
// before any #Fields directive.
func DefaultIISLayoutFor(line []byte) *IISLayout {
	switch bytes.Count(trimEOL(line), []byte{' '}) + 1 {
	case len(iisDefault85.sch.names):
		return iisDefault85
	case len(iisDefault7.sch.names):
		return iisDefault7
	}
	return nil
}

// Fields returns the layout's field names after mapping, in column order.
func (l *IISLayout) Fields() []string {
	return append([]string(nil), l.sch.names...)
}

// String returns the layout as a #Fields directive, names as written.
func (l *IISLayout) String() string {
	return "#Fields: " + strings.Join(l.written, " ")
}

// Index returns the column of the named field (a mapped name such as
// cs-user-agent), or -1.
func (l *IISLayout) Index(name string) int {
	for i, n := range l.sch.names {
		if n == name && l.sch.decs[i] != decDrop {
			return i
		}
	}
	return -1
}

// Column returns column i of a data line, raw (no '+' decoding), without
// parsing the others, and whether it is present (not "-", not beyond the
// end of the line). It is for the few columns a rule needs on every line,
// such as c-ip for address indicators.
func (l *IISLayout) Column(line []byte, i int) ([]byte, bool) {
	if i < 0 {
		return nil, false
	}
	line = trimEOL(line)
	start := afterSpaces(line, i)
	if start < 0 {
		return nil, false
	}
	line = line[start:]
	if sp := bytes.IndexByte(line, ' '); sp >= 0 {
		line = line[:sp]
	}
	if absent(line) {
		return nil, false
	}
	return line, true
}

// Parse splits an IIS data line (with or without its line terminator) on
// single spaces into rec, which it resets first. A "-" value is absent.
// The line must have exactly one value per column; date, time and
// sc-status must look like an IIS date, time and status. On error rec is
// left empty and the error is a *LineError.
func (l *IISLayout) Parse(line []byte, rec *Record) error {
	rec.Reset()
	line = trimEOL(line)
	n := len(l.sch.names)
	vals := rec.vals[:0]
	got := 1
	for rest := line; ; got++ {
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			if got <= n {
				vals = append(vals, orNil(rest))
			}
			break
		}
		if got <= n {
			vals = append(vals, orNil(rest[:sp]))
		}
		rest = rest[sp+1:]
	}
	rec.vals = vals
	if got != n {
		rec.Reset()
		return lineErr("expected " + strconv.Itoa(n) + " fields, got " + strconv.Itoa(got))
	}
	if l.drops {
		for i, d := range l.sch.decs {
			if d == decDrop {
				vals[i] = nil
			}
		}
	}
	if err := l.check(vals); err != nil {
		rec.Reset()
		return err
	}
	rec.sch = &l.sch
	rec.line = line
	return nil
}

// check checks the columns whose shape is fixed.
func (l *IISLayout) check(vals [][]byte) error {
	if i := l.datePos; i >= 0 && vals[i] != nil {
		if _, _, _, ok := parseDate(vals[i]); !ok {
			return badValue("date", vals[i])
		}
	}
	if i := l.timePos; i >= 0 && vals[i] != nil {
		if _, _, _, _, ok := parseClock(vals[i]); !ok {
			return badValue("time", vals[i])
		}
	}
	if i := l.statusPos; i >= 0 && vals[i] != nil {
		if _, ok := num(vals[i]); !ok {
			return badValue("sc-status", vals[i])
		}
	}
	return nil
}

func badValue(name string, v []byte) error {
	return lineErr("bad " + name + " value " + strconv.Quote(truncate(v)))
}

// truncate shortens a value quoted in an error message.
func truncate(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

const (
	lo7    = 0x7f7f7f7f7f7f7f7f
	spaces = 0x2020202020202020
)

// afterSpaces returns the offset just past the nth space of line (0 when n
// is 0), or -1 when line has fewer. It reads eight bytes at a time: the
// fields before a column are short, and a call per field costs more than
// the search.
func afterSpaces(line []byte, n int) int {
	if n == 0 {
		return 0
	}
	i := 0
	for ; i+8 <= len(line); i += 8 {
		// The high bit of each byte of m is set exactly where the byte is
		// a space (no borrow crosses bytes).
		v := binary.LittleEndian.Uint64(line[i:]) ^ spaces
		m := ^((v&lo7 + lo7) | v | lo7)
		c := bits.OnesCount64(m)
		if c < n {
			n -= c
			continue
		}
		for ; n > 1; n-- {
			m &= m - 1
		}
		return i + bits.TrailingZeros64(m)/8 + 1
	}
	for ; i < len(line); i++ {
		if line[i] == ' ' {
			if n--; n == 0 {
				return i + 1
			}
		}
	}
	return -1
}
