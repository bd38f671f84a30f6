package logfmt

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func FuzzIIS(f *testing.F) {
	for _, tt := range iisTests {
		f.Add(tt.fields, []byte(tt.line))
	}
	f.Add(fieldsIISWide, []byte("a b c"))
	f.Fuzz(func(t *testing.T, fields string, line []byte) {
		l, err := ParseFieldsDirective([]byte(fields))
		if err != nil {
			return
		}
		var rec Record
		if err := l.Parse(line, &rec); err != nil {
			if _, ok := err.(*LineError); !ok {
				t.Fatalf("Parse(%q) error %T, want *LineError", line, err)
			}
			if rec.Len() != 0 {
				t.Fatalf("Parse(%q) failed but left fields", line)
			}
			return
		}
		if msg := checkAliasing(&rec, line); msg != "" {
			t.Fatalf("Parse(%q): %s", line, msg)
		}
		if n := bytes.Count(trimEOL(line), []byte{' '}) + 1; n != len(l.Fields()) {
			t.Fatalf("Parse(%q) accepted %d fields for a %d-column layout", line, n, len(l.Fields()))
		}
		rec.Time()
		for i, name := range l.Fields() {
			got, ok := rec.Raw(name)
			col, cok := l.Column(line, i)
			if l.Index(name) == i && (ok != cok || !bytes.Equal(got, col)) {
				t.Fatalf("Column(%q, %d) = %q, %v; Raw(%q) = %q, %v", line, i, col, cok, name, got, ok)
			}
		}
	})
}

func FuzzNCSA(f *testing.F) {
	for _, tt := range ncsaTests {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var rec Record
		Detect(line)
		if err := ParseNCSA(line, &rec); err != nil {
			if _, ok := err.(*LineError); !ok {
				t.Fatalf("ParseNCSA(%q) error %T, want *LineError", line, err)
			}
			if rec.Len() != 0 {
				t.Fatalf("ParseNCSA(%q) failed but left fields", line)
			}
			return
		}
		if msg := checkAliasing(&rec, line); msg != "" {
			t.Fatalf("ParseNCSA(%q): %s", line, msg)
		}
		if _, ok := rec.Time(); !ok {
			t.Fatalf("ParseNCSA(%q) accepted a line whose time does not parse", line)
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, tt := range jsonTests {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var rec Record
		if err := ParseJSON(line, nil, &rec); err != nil {
			if _, ok := err.(*LineError); !ok {
				t.Fatalf("ParseJSON(%q) error %T, want *LineError", line, err)
			}
			if p := skipSpace(trimEOL(line)); len(p) > 0 && p[0] == '{' && json.Valid(p) {
				t.Fatalf("ParseJSON(%q) = %v for a valid JSON object", line, err)
			}
			return
		}
		if msg := checkAliasing(&rec, line); msg != "" {
			t.Fatalf("ParseJSON(%q): %s", line, msg)
		}
		rec.Time()

		// With an empty mapping every field is a flattened key: compare
		// with encoding/json's reading of the same document (which
		// replaces invalid UTF-8, so only for valid UTF-8).
		if !utf8.Valid(line) {
			return
		}
		if err := ParseJSON(line, JSONMapping{}, &rec); err != nil {
			t.Fatalf("ParseJSON(%q) with an empty mapping = %v", line, err)
		}
		ref, ok := flattenJSON(trimEOL(line))
		if !ok {
			t.Fatalf("encoding/json cannot read %q, which ParseJSON accepted", line)
		}
		got := map[string]bool{}
		var problem string
		rec.Each(func(name string, value []byte) {
			got[name] = true
			if !utf8.Valid(value) {
				return // encoding/json replaces invalid UTF-8; we keep the bytes
			}
			if !slices.Contains(ref[name], string(value)) {
				problem = "field " + name + "=" + string(value) + " not among encoding/json's values " + strings.Join(ref[name], "|")
			}
		})
		if problem != "" {
			t.Fatalf("ParseJSON(%q): %s", line, problem)
		}
		for k, vs := range ref {
			present := false
			for _, v := range vs {
				present = present || !absent([]byte(v))
			}
			if present && !got[k] {
				t.Fatalf("ParseJSON(%q) lost key %q (encoding/json: %q)", line, k, vs)
			}
		}
	})
}

// flattenJSON reads a JSON object with encoding/json's tokenizer and
// returns every leaf value (not inside arrays, not null) by flattened key.
func flattenJSON(b []byte) (map[string][]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	out := map[string][]string{}
	var walk func(prefix string) bool
	value := func(key string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' {
				return walk(key + ".")
			}
			for depth := 1; depth > 0; { // skip the array
				tok, err := dec.Token()
				if err != nil {
					return false
				}
				if d, ok := tok.(json.Delim); ok {
					if d == '[' || d == '{' {
						depth++
					} else {
						depth--
					}
				}
			}
		case string:
			out[key] = append(out[key], v)
		case json.Number:
			out[key] = append(out[key], v.String())
		case bool:
			if v {
				out[key] = append(out[key], "true")
			} else {
				out[key] = append(out[key], "false")
			}
		}
		return true
	}
	walk = func(prefix string) bool {
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			if !value(prefix + tok.(string)) {
				return false
			}
		}
		_, err := dec.Token() // '}'
		return err == nil
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	return out, walk("")
}

func FuzzReader(f *testing.F) {
	for _, gf := range goldenFiles {
		data, err := os.ReadFile(filepath.Join("testdata", gf.name))
		if err != nil {
			f.Fatal(err)
		}
		// Small seeds keep the fuzzer's minimisation of new inputs quick.
		if len(data) > 2048 {
			data = data[:bytes.LastIndexByte(data[:2048], '\n')+1]
		}
		f.Add(data, uint8(Unknown), uint16(0))
		f.Add(data, uint8(gf.format), uint16(40))
	}
	f.Add([]byte(iisHeader+toolShellLine+"\n#Fields: c-ip\n1.2.3.4\r\n"), uint8(IIS), uint16(0))
	f.Add([]byte("\xef\xbb\xbf"+toolShellLine), uint8(Unknown), uint16(8))
	f.Fuzz(func(t *testing.T, data []byte, format uint8, maxLine uint16) {
		opts := Options{MaxLineBytes: int(maxLine)}
		fm := Format(format % 5)
		whole := readAll(NewReader(bytes.NewReader(data), fm, opts))
		if whole.Err != io.EOF {
			t.Fatalf("Next() error = %v, want io.EOF", whole.Err)
		}
		lines := int64(bytes.Count(data, []byte{'\n'}))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		for i, n := range whole.Lines {
			if n < 1 || n > lines || (i > 0 && n <= whole.Lines[i-1]) {
				t.Fatalf("record line numbers %v out of order or beyond %d lines", whole.Lines, lines)
			}
		}
		if int64(len(whole.Lines))+whole.Count > lines {
			t.Fatalf("%d records + %d malformed > %d lines", len(whole.Lines), whole.Count, lines)
		}
		// Reading in small pieces must not change anything.
		var src io.Reader = iotest.HalfReader(bytes.NewReader(data))
		if len(data) < 4096 {
			src = iotest.OneByteReader(bytes.NewReader(data))
		}
		if pieces := readAll(NewReader(src, fm, opts)); !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("reading in pieces differs:\n%+v\nwant\n%+v", pieces, whole)
		}
	})
}
