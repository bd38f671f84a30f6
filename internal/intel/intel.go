package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Limits on input.
const (
	// DefaultMaxBytes is the largest file Parse reads when Options.MaxBytes is 0.
	DefaultMaxBytes = 64 << 20
	// MaxLine is the longest line of a plain list, record of a CSV file or
	// STIX pattern, in bytes; a longer one is rejected as a Problem.
	MaxLine = 64 << 10
	// MaxIndicators is the most indicators one file may yield; more is an error.
	MaxIndicators = 1_000_000
	// MaxProblems is the most problems a Result lists; the rest are counted
	// in Result.RejectedOmitted.
	MaxProblems = 10_000
	// maxReason bounds the length of a problem's reason, in bytes.
	maxReason = 512
)

// The limits in force; tests lower them.
var (
	maxIndicators = MaxIndicators
	maxProblems   = MaxProblems
)

// Errors Parse wraps, for errors.Is.
var (
	// ErrTooLarge: the input is larger than Options.MaxBytes.
	ErrTooLarge = errors.New("input too large")
	// ErrTooMany: the input holds more than MaxIndicators indicators.
	ErrTooMany = errors.New("too many indicators")
	// ErrFormat: the input is not in the format asked for, or no format
	// could be detected.
	ErrFormat = errors.New("unrecognised indicator file")
)

// Format is the layout of an indicator file.
type Format int

// Formats. Auto detects the format from the content.
const (
	Auto Format = iota
	Plain
	CSV
	STIX
)

var formatNames = []string{"auto", "plain", "csv", "stix"}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named s: auto, plain (or text, txt), csv,
// or stix (or stix2), in any case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return Auto, nil
	case "plain", "text", "txt":
		return Plain, nil
	case "csv":
		return CSV, nil
	case "stix", "stix2":
		return STIX, nil
	}
	return Auto, fmt.Errorf("unknown indicator file format %q (want auto, plain, csv or stix)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (f Format) MarshalText() ([]byte, error) {
	if f < 0 || int(f) >= len(formatNames) {
		return nil, fmt.Errorf("unknown indicator file format %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler, so a Format can be a
// flag (flag.TextVar) or a configuration value.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Options control Parse.
type Options struct {
	// Format of the input; Auto detects it.
	Format Format
	// MaxBytes is the largest input accepted; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Source is stored in every indicator's Source (unless a CSV row has a
	// source column); empty means the base name of the file.
	Source string
	// DefaultTLP is the TLP of indicators whose entry does not carry one;
	// empty means amber, as the store does.
	DefaultTLP incident.TLP
}

// Result is what Parse found in a file.
type Result struct {
	// Indicators, normalised, in file order, de-duplicated by type and
	// value (the first occurrence is kept).
	Indicators []incident.Indicator `json:"indicators"`
	// Rejected lists the entries that could not be imported and why, at
	// most MaxProblems of them.
	Rejected []Problem `json:"rejected"`
	// RejectedOmitted counts rejected entries beyond MaxProblems.
	RejectedOmitted int `json:"rejected_omitted,omitempty"`
	// Skipped counts entries deliberately passed over: comments and blank
	// lines, and revoked STIX indicators.
	Skipped int `json:"skipped"`
	// Duplicates counts indicators dropped because an earlier entry had the
	// same type and value.
	Duplicates int `json:"duplicates"`
}

// Problem is an entry that could not be imported.
type Problem struct {
	File string `json:"file"`
	// Line is the 1-based physical line the entry starts on; 0 when unknown.
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Error returns "file:line: reason", or "file: reason" when the line is unknown.
func (p Problem) Error() string {
	if p.Line <= 0 {
		return p.File + ": " + p.Reason
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
}

// Parse reads indicators from r, at most Options.MaxBytes of it. name is
// the file's name, used in problems and errors and, by default, as the
// indicators' Source. A UTF-8 byte-order mark is dropped and UTF-16 with a
// byte-order mark is decoded.
//
// Entries that cannot be imported are listed in Result.Rejected; the error
// is for input that cannot be read at all, and names the file (and the line,
// where known). It wraps ErrTooLarge, ErrTooMany or ErrFormat where one of
// them applies.
func Parse(name string, r io.Reader, opt Options) (Result, error) {
	if name == "" {
		name = "input"
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if opt.DefaultTLP == "" {
		opt.DefaultTLP = incident.TLPAmber
	}
	if !slices.Contains(incident.TLPs, opt.DefaultTLP) {
		return Result{}, fmt.Errorf("parse %s: default TLP %q is not one of %v", name, opt.DefaultTLP, incident.TLPs)
	}
	if opt.Source == "" {
		opt.Source = baseName(name)
	}
	opt.Source = cleanText(opt.Source, incident.MaxName)

	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Result{}, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return Result{}, fmt.Errorf("read %s: larger than the limit of %d bytes: %w", name, limit, ErrTooLarge)
	}
	data, err = toUTF8(data)
	if err != nil {
		return Result{}, fmt.Errorf("read %s: %w", name, err)
	}

	// Size for one indicator per line: lists of 100k addresses are common,
	// and growing the slice and the map step by step costs more than the
	// parsing.
	n := min(bytes.Count(data, []byte{'\n'})+1, maxIndicators)
	p := &parser{file: name, opt: opt, seen: make(map[indicatorKey]struct{}, n)}
	p.res.Indicators = make([]incident.Indicator, 0, n)
	p.res.Rejected = []Problem{}
	f := opt.Format
	if f == Auto {
		if f, err = detect(data); err != nil {
			return Result{}, fmt.Errorf("parse %s: %w", name, err)
		}
	}
	switch f {
	case Plain:
		err = p.plain(data)
	case CSV:
		err = p.csv(data)
	case STIX:
		err = p.stix(data)
	default:
		err = fmt.Errorf("parse %s: unknown format %v", name, f)
	}
	if err != nil {
		return Result{}, err
	}
	return p.res, nil
}

// toUTF8 drops a UTF-8 byte-order mark and decodes UTF-16 that starts with
// one (as spreadsheet programs write). Other encodings are left alone.
func toUTF8(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		if len(data)%2 != 0 {
			return nil, fmt.Errorf("UTF-16 input with an odd number of bytes")
		}
		le := data[0] == 0xFF
		u := make([]uint16, 0, len(data)/2-1)
		for i := 2; i+1 < len(data); i += 2 {
			if le {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		var b bytes.Buffer
		b.Grow(len(u))
		for _, r := range utf16.Decode(u) {
			b.WriteRune(r)
		}
		return b.Bytes(), nil
	}
	return data, nil
}

// detect chooses a format from the content: a JSON object is a STIX bundle,
// a first line that is a CSV header with type and value columns is CSV, and
// anything else is a plain list.
func detect(data []byte) (Format, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return STIX, nil // stix() reports what else it is
	}
	if len(trimmed) > 0 && trimmed[0] == '[' && json.Valid(trimmed) {
		return Auto, fmt.Errorf("a JSON array, not a STIX bundle: %w", ErrFormat)
	}
	if _, ok := findHeader(data); ok {
		return CSV, nil
	}
	return Plain, nil
}

// parser accumulates one file's result.
type parser struct {
	file string
	opt  Options
	res  Result
	seen map[indicatorKey]struct{}
}

// indicatorKey identifies an indicator for de-duplication.
type indicatorKey struct {
	typ   incident.IndicatorType
	value string
}

// reject records a problem at line.
func (p *parser) reject(line int, reason string) {
	if len(p.res.Rejected) >= maxProblems {
		p.res.RejectedOmitted++
		return
	}
	p.res.Rejected = append(p.res.Rejected, Problem{File: p.file, Line: line, Reason: shorten(reason, maxReason)})
}

// add appends ind unless an indicator of the same type and value is already
// there. ind.Value must be normalised. It fails when the file holds too many.
func (p *parser) add(line int, ind incident.Indicator) error {
	if ind.Tags == nil {
		ind.Tags = []string{}
	}
	if err := ind.Validate(); err != nil {
		p.reject(line, err.Error())
		return nil
	}
	key := indicatorKey{ind.Type, ind.Value}
	if _, dup := p.seen[key]; dup {
		p.res.Duplicates++
		return nil
	}
	if len(p.res.Indicators) >= maxIndicators {
		return fmt.Errorf("parse %s:%d: more than %d indicators: %w", p.file, line, maxIndicators, ErrTooMany)
	}
	p.seen[key] = struct{}{}
	p.res.Indicators = append(p.res.Indicators, ind)
	return nil
}

// newIndicator returns an indicator with the file's defaults.
func (p *parser) newIndicator(t incident.IndicatorType, v string) incident.Indicator {
	return incident.Indicator{Type: t, Value: v, TLP: p.opt.DefaultTLP, Source: p.opt.Source, Tags: []string{}}
}

// baseName returns the last element of a slash- or backslash-separated name.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." {
		return "import"
	}
	return name
}

// cleanText makes s valid UTF-8 without NUL bytes and at most max bytes long.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	return truncate(s, max)
}

// truncate cuts s to at most max bytes at a rune boundary.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// shorten cuts s to at most max bytes, marking the cut with an ellipsis.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return truncate(s, max-len("…")) + "…"
}

// quote returns v quoted for a message, shortened when long.
func quote(v string) string {
	return fmt.Sprintf("%q", shorten(v, 100))
}

// addTags appends the cleaned, non-empty tags in tt to tags, without duplicates.
func addTags(tags []string, tt ...string) []string {
	for _, t := range tt {
		t = cleanText(strings.TrimSpace(t), incident.MaxName)
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}
