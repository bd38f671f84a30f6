package intel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// csvHeader is where a CSV file's header is and how its fields are separated.
type csvHeader struct {
	comma rune
	line  int // 1-based physical line of the header
	start int // byte offset of the header line
	cols  csvColumns
}

// Known CSV columns.
const (
	colType = iota
	colValue
	colConfidence
	colTLP
	colTags
	colFirstSeen
	colLastSeen
	colExpires
	colSource
	numColumns
)

// csvColumns holds the index of each known column in the file, -1 when
// absent, and of the columns that make up the note.
type csvColumns struct {
	idx   [numColumns]int
	notes []int
}

// columnNames maps header names (lower case, spaces and dashes as '_') to
// known columns.
var columnNames = map[string]int{
	"type": colType, "indicator_type": colType, "ioc_type": colType,
	"value": colValue, "indicator": colValue, "ioc": colValue,
	"confidence": colConfidence,
	"tlp":        colTLP,
	"tags":       colTags, "tag": colTags, "labels": colTags,
	"first_seen": colFirstSeen, "firstseen": colFirstSeen,
	"last_seen": colLastSeen, "lastseen": colLastSeen,
	"expires": colExpires, "expires_at": colExpires, "expiry": colExpires, "valid_until": colExpires,
	"source": colSource,
}

// headerSpelling turns "First Seen" and "first-seen" into "first_seen"
// (after lower-casing).
var headerSpelling = strings.NewReplacer(" ", "_", "-", "_")

// noteNames are the columns whose text goes into the note, joined by lines.
var noteNames = map[string]bool{"note": true, "notes": true, "description": true, "comment": true}

// findHeader looks at the first line that is neither blank nor a '#'
// comment and reports whether it is a CSV header with type and value
// columns, separated by commas, semicolons or tabs.
func findHeader(data []byte) (csvHeader, bool) {
	off := 0
	for line := 1; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off
		}
		l := bytes.TrimSpace(data[off:end])
		if len(l) > 0 && l[0] != '#' {
			if end-off > MaxLine {
				return csvHeader{}, false
			}
			for _, comma := range []rune{',', ';', '\t'} {
				if cols, ok := headerColumns(l, comma); ok {
					return csvHeader{comma: comma, line: line, start: off, cols: cols}, true
				}
			}
			return csvHeader{}, false
		}
		off = end + 1
	}
	return csvHeader{}, false
}

// headerColumns parses one header line.
func headerColumns(l []byte, comma rune) (csvColumns, bool) {
	r := csv.NewReader(bytes.NewReader(l))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	names, err := r.Read()
	if err != nil || len(names) < 2 {
		return csvColumns{}, false
	}
	var c csvColumns
	for i := range c.idx {
		c.idx[i] = -1
	}
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		n = headerSpelling.Replace(n)
		if noteNames[n] {
			c.notes = append(c.notes, i)
		} else if col, ok := columnNames[n]; ok && c.idx[col] < 0 {
			c.idx[col] = i
		}
	}
	return c, c.idx[colType] >= 0 && c.idx[colValue] >= 0
}

// lineCounter turns byte offsets, visited in increasing order, into
// 1-based line numbers.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (lc *lineCounter) at(off int) int {
	if off > len(lc.data) {
		off = len(lc.data)
	}
	if off > lc.off {
		lc.line += bytes.Count(lc.data[lc.off:off], []byte{'\n'})
		lc.off = off
	}
	return lc.line
}

// csv reads a CSV file with a header naming at least type and value columns.
// A row with an empty type has its type inferred from the value. Physical
// line numbers are reported, as a text editor shows them.
func (p *parser) csv(data []byte) error {
	h, ok := findHeader(data)
	if !ok {
		return fmt.Errorf("parse %s: no CSV header with type and value columns on the first line that is not a comment: %w", p.file, ErrFormat)
	}
	p.res.Skipped += h.line - 1
	body := data[h.start:]
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = h.comma
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return fmt.Errorf("parse %s:%d: header: %w", p.file, h.line, err)
	}
	base := h.line - 1
	lc := &lineCounter{data: body, line: 1}
	prevEnd := int(r.InputOffset())
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		var start int // line of the record, counted from the header
		switch {
		case errors.As(err, &pe):
			start = pe.StartLine
		case err != nil:
			return fmt.Errorf("parse %s: %w", p.file, err)
		default:
			start, _ = r.FieldPos(0)
		}
		// Lines between the previous record and this one are blank lines
		// or comments that the CSV reader passed over.
		if gap := start - lc.at(prevEnd); gap > 0 {
			p.res.Skipped += gap
		}
		prevEnd = int(r.InputOffset())
		line := base + start
		if pe != nil {
			p.reject(line, fmt.Sprintf("CSV: %v", pe.Err))
			continue
		}
		if err := p.csvRecord(line, rec, h.cols); err != nil {
			return err
		}
	}
	// Blank lines and comments after the last record.
	if rest := body[min(prevEnd, len(body)):]; len(rest) > 0 {
		n := bytes.Count(rest, []byte{'\n'})
		if rest[len(rest)-1] != '\n' {
			n++
		}
		p.res.Skipped += n
	}
	return nil
}

// csvRecord imports one CSV row.
func (p *parser) csvRecord(line int, rec []string, c csvColumns) error {
	size, blank := len(rec), true
	for _, f := range rec {
		size += len(f)
		blank = blank && strings.TrimSpace(f) == ""
	}
	if blank || len(rec) > 0 && strings.HasPrefix(strings.TrimSpace(rec[0]), "#") {
		p.res.Skipped++ // blank, or a comment indented past the reader's notice
		return nil
	}
	if size > MaxLine {
		p.reject(line, fmt.Sprintf("record is %d bytes long, the limit is %d", size, MaxLine))
		return nil
	}
	get := func(i int) string {
		if i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	typ, val := get(c.idx[colType]), get(c.idx[colValue])
	var t incident.IndicatorType
	var v string
	var err error
	if typ == "" {
		t, v, err = ParseValue(val)
	} else if tt, ok := lookupType(typ); !ok {
		err = fmt.Errorf("unknown indicator type %s", quote(typ))
	} else {
		t, v, err = explicit(tt, val)
	}
	if err != nil {
		p.reject(line, err.Error())
		return nil
	}
	ind := p.newIndicator(t, v)
	if ind.Confidence, err = parseConfidence(get(c.idx[colConfidence])); err != nil {
		p.reject(line, err.Error())
		return nil
	}
	if s := get(c.idx[colTLP]); s != "" {
		if ind.TLP, err = parseTLP(s); err != nil {
			p.reject(line, err.Error())
			return nil
		}
	}
	ind.Tags = addTags(ind.Tags, strings.FieldsFunc(get(c.idx[colTags]), func(r rune) bool { return r == ';' || r == '|' })...)
	for _, col := range []struct {
		name string
		i    int
		dst  **time.Time
	}{{"first_seen", c.idx[colFirstSeen], &ind.FirstSeen}, {"last_seen", c.idx[colLastSeen], &ind.LastSeen}, {"expires", c.idx[colExpires], &ind.ExpiresAt}} {
		if *col.dst, err = parseTime(get(col.i)); err != nil {
			p.reject(line, fmt.Sprintf("%s: %v", col.name, err))
			return nil
		}
	}
	var notes []string
	for _, i := range c.notes {
		if s := get(i); s != "" {
			notes = append(notes, s)
		}
	}
	ind.Note = cleanText(strings.Join(notes, "\n"), incident.MaxText)
	if s := cleanText(get(c.idx[colSource]), incident.MaxName); strings.TrimSpace(s) != "" {
		ind.Source = s
	}
	return p.add(line, ind)
}

// parseConfidence reads a confidence: an integer from 0 to 100, or none,
// low, medium or high (0, 15, 50, 85, as the STIX 2.1 scale maps them).
func parseConfidence(s string) (int, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return 0, nil
	case "low":
		return 15, nil
	case "medium", "med":
		return 50, nil
	case "high":
		return 85, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("confidence %s is not a whole number from 0 to 100 (or low, medium, high)", quote(s))
	}
	return n, nil
}

// parseTLP reads a TLP marking such as "TLP:AMBER", "amber+strict" or
// "white" (TLP 1.0's name for clear).
func parseTLP(s string) (incident.TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimSpace(strings.TrimPrefix(v, "tlp:"))
	v = strings.TrimSpace(strings.TrimPrefix(v, "tlp "))
	if v == "white" {
		return incident.TLPClear, nil
	}
	for _, t := range incident.TLPs {
		if v == string(t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("TLP %s is not one of clear (white), green, amber, amber+strict, red", quote(s))
}

// timeLayouts are the timestamp layouts accepted in CSV files; those
// without a zone are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02"}

// parseTime reads a timestamp; "" is no time.
func parseTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("%s is not a time (want RFC 3339, or 2006-01-02 with an optional 15:04:05)", quote(s))
}
