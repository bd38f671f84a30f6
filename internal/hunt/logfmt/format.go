package logfmt

import (
	"bytes"
	"fmt"
	"strings"
)

// Format is a log format.
type Format int

// The formats.
const (
	Unknown      Format = iota // not known (yet): detect it
	IIS                        // IIS W3C extended, "iis"
	NCSACommon                 // NCSA common, "common"
	NCSACombined               // NCSA combined (common plus referer and user agent), "combined"
	JSONLines                  // one JSON object per line, "jsonl"
)

var formatNames = [...]string{Unknown: "unknown", IIS: "iis", NCSACommon: "common", NCSACombined: "combined", JSONLines: "jsonl"}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat parses a format name: "iis" (or "w3c"), "common" (or
// "ncsa"), "combined", "jsonl" (or "json"), and "auto", "unknown" or ""
// for Unknown (detect). Case does not matter.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "unknown":
		return Unknown, nil
	case "iis", "w3c":
		return IIS, nil
	case "common", "ncsa":
		return NCSACommon, nil
	case "combined":
		return NCSACombined, nil
	case "jsonl", "json":
		return JSONLines, nil
	}
	return Unknown, fmt.Errorf("unknown log format %q (want iis, common, combined or jsonl)", s)
}

// detectLines is how many non-empty lines Detect looks at.
const detectLines = 64

// Detect guesses the format of a log from its first bytes (a few KiB are
// enough). IIS directives (#Software:, #Version:, #Date:, #Fields:) decide
// at once; otherwise each line votes: JSON lines start with '{', NCSA lines
// parse with ParseNCSA (combined when they carry referer and user agent),
// and W3C-looking lines start with "yyyy-mm-dd hh:mm:ss ". The most votes
// win; NCSA is combined if any of its lines is. A final line without a
// line terminator is ignored unless it is the only one. Unknown means no
// line looked like any format.
func Detect(sample []byte) Format {
	sample = bytes.TrimPrefix(sample, utf8BOM)
	var votes [len(formatNames)]int
	var rec Record
	for n := 0; len(sample) > 0 && n < detectLines; {
		var line []byte
		if nl := bytes.IndexByte(sample, '\n'); nl >= 0 {
			line, sample = sample[:nl], sample[nl+1:]
		} else if n == 0 {
			line, sample = sample, nil
		} else {
			break
		}
		line = trimEOL(line)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n++
		if line[0] == '#' {
			for _, d := range iisDirectives {
				if hasPrefixFold(line, d) {
					return IIS
				}
			}
			continue
		}
		if p := skipSpace(line); p[0] == '{' {
			votes[JSONLines]++
			continue
		}
		if combined, err := parseNCSA(line, &rec); err == nil {
			if combined {
				votes[NCSACombined]++
			} else {
				votes[NCSACommon]++
			}
			continue
		}
		if looksW3C(line) {
			votes[IIS]++
		}
	}
	ncsa := votes[NCSACommon] + votes[NCSACombined]
	switch {
	case ncsa == 0 && votes[IIS] == 0 && votes[JSONLines] == 0:
		return Unknown
	case ncsa >= votes[IIS] && ncsa >= votes[JSONLines]:
		if votes[NCSACombined] > 0 {
			return NCSACombined
		}
		return NCSACommon
	case votes[IIS] >= votes[JSONLines]:
		return IIS
	}
	return JSONLines
}

var (
	utf8BOM       = []byte("\xef\xbb\xbf")
	iisDirectives = []string{"#Software:", "#Version:", "#Date:", "#Fields:"}
)

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// looksW3C reports whether a line starts like an IIS data line: a date, a
// time, and several more space-separated columns.
func looksW3C(line []byte) bool {
	if len(line) < 20 || line[10] != ' ' || line[19] != ' ' {
		return false
	}
	if _, _, _, ok := parseDate(line[:10]); !ok {
		return false
	}
	if _, _, _, _, ok := parseClock(line[11:19]); !ok {
		return false
	}
	return bytes.Count(line, []byte{' '}) >= 5
}
