package logfmt

import (
	"bytes"
	"time"
)

// The time parsers below work on bytes without allocating; every result is
// in UTC.

// num parses b as unsigned decimal digits.
func num(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func validDate(y, m, d int) bool {
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func validClock(h, mi, s int) bool {
	return h <= 23 && mi <= 59 && s <= 60
}

// parseDate parses "yyyy-mm-dd".
func parseDate(b []byte) (y, m, d int, ok bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := num(b[0:4])
	m, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	if !ok1 || !ok2 || !ok3 || !validDate(y, m, d) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// parseClock parses "hh:mm:ss" with an optional fraction of a second.
func parseClock(b []byte) (h, mi, s, ns int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, 0, false
	}
	h, ok1 := num(b[0:2])
	mi, ok2 := num(b[3:5])
	s, ok3 := num(b[6:8])
	if !ok1 || !ok2 || !ok3 || !validClock(h, mi, s) {
		return 0, 0, 0, 0, false
	}
	if len(b) > 8 {
		if b[8] != '.' && b[8] != ',' || len(b) == 9 {
			return 0, 0, 0, 0, false
		}
		var ok bool
		if ns, ok = fraction(b[9:]); !ok {
			return 0, 0, 0, 0, false
		}
	}
	return h, mi, s, ns, true
}

// fraction parses the digits after a decimal point as nanoseconds.
func fraction(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	ns, scale := 0, 100000000
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		ns += int(c-'0') * scale
		scale /= 10
	}
	return ns, true
}

// parseDateTime parses IIS's separate date and time columns (UTC).
func parseDateTime(d, t []byte) (time.Time, bool) {
	y, m, day, ok := parseDate(d)
	if !ok {
		return time.Time{}, false
	}
	h, mi, s, ns, ok := parseClock(t)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), day, h, mi, s, ns, time.UTC), true
}

var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func month(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	l := [3]byte{b[0] | 0x20, b[1] | 0x20, b[2] | 0x20}
	for i, name := range months {
		if string(l[:]) == name {
			return i + 1, true
		}
	}
	return 0, false
}

// parseNCSATime parses "dd/Mon/yyyy:hh:mm:ss[.frac] ±hhmm" (the zone may
// be missing, meaning UTC).
func parseNCSATime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[2] != '/' || b[6] != '/' || b[11] != ':' {
		return time.Time{}, false
	}
	d, ok1 := num(b[0:2])
	m, ok2 := month(b[3:6])
	y, ok3 := num(b[7:11])
	if !ok1 || !ok2 || !ok3 || !validDate(y, m, d) {
		return time.Time{}, false
	}
	rest := b[12:]
	clock := rest
	var zone []byte
	if sp := bytes.IndexByte(rest, ' '); sp >= 0 {
		clock, zone = rest[:sp], rest[sp+1:]
	}
	h, mi, s, ns, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false
	}
	off := 0
	if zone != nil {
		if off, ok = zoneOffset(zone); !ok {
			return time.Time{}, false
		}
	}
	t := time.Date(y, time.Month(m), d, h, mi, s, ns, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

// zoneOffset parses "Z", "±hhmm" or "±hh:mm" as seconds east of UTC.
func zoneOffset(b []byte) (int, bool) {
	if len(b) == 1 && (b[0] == 'Z' || b[0] == 'z') {
		return 0, true
	}
	if len(b) != 5 && len(b) != 6 || b[0] != '+' && b[0] != '-' {
		return 0, false
	}
	hh, mm := b[1:3], b[3:5]
	if len(b) == 6 {
		if b[3] != ':' {
			return 0, false
		}
		mm = b[4:6]
	}
	h, ok1 := num(hh)
	m, ok2 := num(mm)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if b[0] == '-' {
		off = -off
	}
	return off, true
}

// parseRFC3339 parses "yyyy-mm-ddThh:mm:ss[.frac][Z|±hh:mm|±hhmm]"; a space
// may replace the T, and a missing zone means UTC.
func parseRFC3339(b []byte) (time.Time, bool) {
	if len(b) < 19 || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') {
		return time.Time{}, false
	}
	y, m, d, ok := parseDate(b[:10])
	if !ok {
		return time.Time{}, false
	}
	rest := b[11:]
	end := len(rest)
	for i := 8; i < len(rest); i++ {
		if c := rest[i]; c == 'Z' || c == 'z' || c == '+' || c == '-' {
			end = i
			break
		}
	}
	h, mi, s, ns, ok := parseClock(rest[:end])
	if !ok {
		return time.Time{}, false
	}
	off := 0
	if end < len(rest) {
		if off, ok = zoneOffset(rest[end:]); !ok {
			return time.Time{}, false
		}
	}
	t := time.Date(y, time.Month(m), d, h, mi, s, ns, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

// parseEpoch parses Unix seconds with an optional fraction
// ("1752854772.123", nginx's $msec), or whole milliseconds when the number
// has 13 or more digits.
func parseEpoch(b []byte) (time.Time, bool) {
	intPart, frac := b, []byte(nil)
	if dot := bytes.IndexByte(b, '.'); dot >= 0 {
		intPart, frac = b[:dot], b[dot+1:]
	}
	if len(intPart) == 0 || len(intPart) > 16 {
		return time.Time{}, false
	}
	var n int64
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n = n*10 + int64(c-'0')
	}
	ns := 0
	if frac != nil {
		var ok bool
		if ns, ok = fraction(frac); !ok || len(frac) > 9 {
			return time.Time{}, false
		}
	}
	if len(intPart) >= 13 && frac == nil {
		return time.UnixMilli(n).UTC(), true
	}
	if len(intPart) > 11 {
		return time.Time{}, false
	}
	return time.Unix(n, int64(ns)).UTC(), true
}

// parseTimestamp parses a timestamp field in any of the forms above.
func parseTimestamp(b []byte) (time.Time, bool) {
	switch {
	case len(b) >= 20 && b[2] == '/':
		return parseNCSATime(b)
	case len(b) >= 19 && b[4] == '-':
		return parseRFC3339(b)
	}
	return parseEpoch(b)
}
