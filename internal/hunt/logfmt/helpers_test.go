package logfmt

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// fieldMap returns the record's fields as Each reports them.
func fieldMap(rec *Record) map[string]string {
	m := map[string]string{}
	rec.Each(func(name string, value []byte) { m[name] = string(value) })
	return m
}

// showFields renders a field map deterministically for failure messages.
func showFields(m map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// timeString renders Record.Time for comparisons: RFC 3339 or "".
func timeString(rec *Record) string {
	t, ok := rec.Time()
	if !ok {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// within reports whether sub lies inside buf's memory (an empty sub is
// always fine).
func within(sub, buf []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(buf) == 0 {
		return false
	}
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	b := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return s >= b && s+uintptr(len(sub)) <= b+uintptr(len(buf))
}

// checkAliasing checks the fuzz invariant: every raw value is a sub-slice
// of the line, and every decoded value is derived from its raw value by
// the decoding its field uses. It returns a description of the first
// violation, or "".
func checkAliasing(rec *Record, line []byte) string {
	if !within(rec.Line(), line) {
		return "Line() is not a sub-slice of the input"
	}
	s := rec.schema()
	if len(s.names) < len(rec.vals) {
		return "more values than names"
	}
	for i, raw := range rec.vals {
		if raw == nil {
			continue
		}
		name := s.names[i]
		if !within(raw, line) {
			return fmt.Sprintf("raw %s=%q is not a sub-slice of the input", name, raw)
		}
		got := rec.value(i)
		var want []byte
		switch s.decs[i] {
		case decPlus:
			want = []byte(strings.ReplaceAll(string(raw), "+", " "))
		case decBackslash:
			want = unescapeBackslash(nil, raw)
		case decJSON:
			want = unescapeJSON(nil, raw)
		case decDrop:
			return fmt.Sprintf("dropped column %s has a value", name)
		default:
			want = raw
			if !within(got, line) {
				return fmt.Sprintf("value %s=%q is not a sub-slice of the input", name, got)
			}
		}
		if string(got) != string(want) {
			return fmt.Sprintf("value %s=%q, want %q derived from raw %q", name, got, want, raw)
		}
		if again := rec.value(i); string(again) != string(got) {
			return fmt.Sprintf("value %s=%q, then %q", name, got, again)
		}
	}
	return ""
}
