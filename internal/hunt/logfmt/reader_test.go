package logfmt

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// readResult is what a Reader produced from a whole input.
type readResult struct {
	Lines     []int64 // line numbers of the records
	Fields    []map[string]string
	Malformed []LineError
	Count     int64
	Err       error // the final error, io.EOF when all went well
}

func readAll(r *Reader) readResult {
	var res readResult
	for {
		rec, n, err := r.Next()
		if err != nil {
			res.Err = err
			break
		}
		res.Lines = append(res.Lines, n)
		res.Fields = append(res.Fields, fieldMap(rec))
	}
	res.Count, res.Malformed = r.Malformed()
	return res
}

const iisHeader = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2025-07-18 00:00:00\r\n" + fieldsIIS85 + "\r\n"

func TestReader(t *testing.T) {
	combined := `107.191.58.76 - - [18/Jul/2025:18:06:12 +0200] "POST /_layouts/15/ToolPane.aspx?DisplayMode=Edit HTTP/1.1" 200 7382 "/_layouts/SignOut.aspx" "Mozilla/5.0"`
	tests := []struct {
		name       string
		input      string
		format     Format
		opts       Options
		wantFormat Format
		wantLines  []int64
		wantCount  int64
		wantBad    []LineError
		check      func(t *testing.T, res readResult)
	}{
		{
			name:       "iis with directives, CRLF",
			input:      iisHeader + toolShellLine + "\r\n" + toolShellLine + "\r\n",
			wantFormat: IIS,
			wantLines:  []int64{5, 6},
			check: func(t *testing.T, res readResult) {
				if ua := res.Fields[0]["cs-user-agent"]; !strings.Contains(ua, "Windows NT 10.0; Win64") {
					t.Errorf("cs-user-agent = %q, want spaces for '+'", ua)
				}
			},
		},
		{
			name: "iis #Fields change mid-file after a restart",
			input: iisHeader + toolShellLine + "\n" +
				iisHeader + toolShellLine + "\n" + // the same header again
				"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time c-ip cs-uri-stem sc-status cs(User-Agent)\n" +
				"2025-07-19 07:28:00 104.238.159.149 /_layouts/15/ToolPane.aspx/ 200 python-requests/2.32\n" +
				toolShellLine + "\n", // old layout: wrong count now
			wantFormat: IIS,
			wantLines:  []int64{5, 10, 13},
			wantCount:  1,
			wantBad:    []LineError{{Line: 14, Reason: "expected 6 fields, got 15"}},
			check: func(t *testing.T, res readResult) {
				want := map[string]string{"date": "2025-07-19", "time": "07:28:00", "c-ip": "104.238.159.149",
					"cs-uri-stem": "/_layouts/15/ToolPane.aspx/", "sc-status": "200", "cs-user-agent": "python-requests/2.32"}
				if !reflect.DeepEqual(res.Fields[2], want) {
					t.Errorf("record after the new #Fields = %s, want %s", showFields(res.Fields[2]), showFields(want))
				}
			},
		},
		{
			name:       "iis data without #Fields: default layouts by column count",
			input:      toolShellLine + "\n" + "2025-07-18 16:06:12 10.20.0.15 GET / - 80 - 192.0.2.1 curl/8 200 0 0 3\n" + "2025-07-18 16:06:12 a b c\n",
			format:     IIS,
			wantFormat: IIS,
			wantLines:  []int64{1, 2},
			wantCount:  1,
			wantBad:    []LineError{{Line: 3, Reason: "no #Fields directive, and 5 fields match no default IIS layout"}},
		},
		{
			name:       "iis layout option",
			input:      "2025-07-18 16:06:12 192.0.2.1\n",
			format:     IIS,
			opts:       Options{IISLayout: NewIISLayout("date", "time", "c-ip")},
			wantFormat: IIS,
			wantLines:  []int64{1},
		},
		{
			name:       "bad #Fields directive is malformed, old layout stays",
			input:      fieldsIIS85 + "\n#Fields:\n" + toolShellLine,
			wantFormat: IIS,
			wantLines:  []int64{3},
			wantCount:  1,
			wantBad:    []LineError{{Line: 2, Reason: "#Fields directive lists no fields"}},
		},
		{
			name:       "combined, missing final newline, blank lines",
			input:      combined + "\n\n   \n" + combined,
			wantFormat: NCSACombined,
			wantLines:  []int64{1, 4},
		},
		{
			name:       "common given explicitly reads combined lines too",
			input:      combined + "\r\n",
			format:     NCSACommon,
			wantFormat: NCSACommon,
			wantLines:  []int64{1},
		},
		{
			name:       "json lines with a mapping",
			input:      `{"ip":"192.0.2.1"}` + "\n" + `{"ip":` + "\n" + `{"ip":"192.0.2.2"}`,
			opts:       Options{JSONMapping: JSONMapping{"ip": "c-ip"}},
			wantFormat: JSONLines,
			wantLines:  []int64{1, 3},
			wantCount:  1,
			wantBad:    []LineError{{Line: 2, Reason: "invalid JSON"}},
		},
		{
			name:       "2 MiB line is malformed, reading goes on",
			input:      combined + "\n" + strings.Repeat("A", 2<<20) + "\n" + combined + "\n",
			wantFormat: NCSACombined,
			wantLines:  []int64{1, 3},
			wantCount:  1,
			wantBad:    []LineError{{Line: 2, Reason: "line longer than 1048576 bytes"}},
		},
		{
			name:       "2 MiB final line without newline",
			input:      combined + "\n" + strings.Repeat("A", 2<<20),
			wantFormat: NCSACombined,
			wantLines:  []int64{1},
			wantCount:  1,
			wantBad:    []LineError{{Line: 2, Reason: "line longer than 1048576 bytes"}},
		},
		{
			name:       "line exactly at the limit, and one byte over",
			input:      combined + "\n" + strings.Repeat("x", len(combined)+1) + "\r\n" + strings.Repeat("y", len(combined)+2) + "\n" + combined,
			format:     NCSACombined,
			opts:       Options{MaxLineBytes: len(combined) + 1},
			wantFormat: NCSACombined,
			wantLines:  []int64{1, 4},
			wantCount:  2,
			wantBad:    []LineError{{Line: 2, Reason: "missing host"}, {Line: 3, Reason: "line longer than " + fmt.Sprint(len(combined)+1) + " bytes"}},
		},
		{
			name:       "empty input",
			input:      "",
			wantFormat: Unknown,
		},
		{
			name:       "unrecognised format",
			input:      "hello\nworld\n",
			wantFormat: Unknown,
			wantCount:  2,
			wantBad:    []LineError{{Line: 1, Reason: "log format not recognised"}, {Line: 2, Reason: "log format not recognised"}},
		},
		{
			name:       "a # line in NCSA is malformed",
			input:      "# comment\n" + combined + "\n",
			format:     NCSACombined,
			wantFormat: NCSACombined,
			wantLines:  []int64{2},
			wantCount:  1,
			wantBad:    []LineError{{Line: 1, Reason: "missing ident"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whole reads, one byte at a time, and half reads must agree.
			readers := map[string]func(io.Reader) io.Reader{
				"whole":   func(r io.Reader) io.Reader { return r },
				"onebyte": iotest.OneByteReader,
				"half":    iotest.HalfReader,
				"dataerr": iotest.DataErrReader,
			}
			for rname, wrap := range readers {
				if rname == "onebyte" && len(tt.input) > 1<<20 {
					continue
				}
				r := NewReader(wrap(strings.NewReader(tt.input)), tt.format, tt.opts)
				res := readAll(r)
				if res.Err != io.EOF {
					t.Fatalf("%s: Next() error = %v, want io.EOF", rname, res.Err)
				}
				if r.Format() != tt.wantFormat {
					t.Errorf("%s: Format() = %v, want %v", rname, r.Format(), tt.wantFormat)
				}
				if !reflect.DeepEqual(res.Lines, tt.wantLines) {
					t.Errorf("%s: record lines = %v, want %v", rname, res.Lines, tt.wantLines)
				}
				if res.Count != tt.wantCount || !reflect.DeepEqual(res.Malformed, tt.wantBad) {
					t.Errorf("%s: Malformed() = %d, %v, want %d, %v", rname, res.Count, res.Malformed, tt.wantCount, tt.wantBad)
				}
				if tt.check != nil {
					tt.check(t, res)
				}
			}
		})
	}
}

func TestReaderMalformedCap(t *testing.T) {
	var b strings.Builder
	for range 250 {
		b.WriteString("junk\n")
	}
	r := NewReader(strings.NewReader(b.String()), NCSACombined, Options{})
	res := readAll(r)
	if res.Count != 250 || len(res.Malformed) != MaxMalformedKept {
		t.Fatalf("Malformed() = %d, %d kept, want 250, %d kept", res.Count, len(res.Malformed), MaxMalformedKept)
	}
	if last := res.Malformed[MaxMalformedKept-1]; last.Line != MaxMalformedKept {
		t.Errorf("last kept error is line %d, want %d", last.Line, MaxMalformedKept)
	}
	if r.Lines() != 250 {
		t.Errorf("Lines() = %d, want 250", r.Lines())
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderSourceError(t *testing.T) {
	boom := errors.New("disk on fire")
	combined := `192.0.2.1 - - [18/Jul/2025:18:06:12 +0200] "GET / HTTP/1.1" 200 1 "-" "x"`
	r := NewReader(&failingReader{data: []byte(combined + "\n" + combined), err: boom}, Unknown, Options{})
	res := readAll(r)
	if !errors.Is(res.Err, boom) {
		t.Fatalf("Next() error = %v, want %v", res.Err, boom)
	}
	if !reflect.DeepEqual(res.Lines, []int64{1, 2}) {
		t.Errorf("record lines = %v, want [1 2]: lines before the error are delivered", res.Lines)
	}
	if _, _, err := r.Next(); !errors.Is(err, boom) {
		t.Errorf("Next() after the error = %v, want it again", err)
	}
}

func TestReaderZeroReads(t *testing.T) {
	r := NewReader(zeroReader{}, Unknown, Options{})
	if _, _, err := r.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Next() = %v, want io.ErrNoProgress", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderBinaryGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range []Format{Unknown, IIS, NCSACommon, NCSACombined, JSONLines} {
		t.Run(f.String(), func(t *testing.T) {
			data := make([]byte, 3<<20)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			r := NewReader(bytes.NewReader(data), f, Options{})
			res := readAll(r)
			if res.Err != io.EOF {
				t.Fatalf("Next() error = %v, want io.EOF", res.Err)
			}
			if want := int64(bytes.Count(data, []byte{'\n'}) + 1); r.Lines() != want {
				t.Errorf("Lines() = %d, want %d", r.Lines(), want)
			}
			if res.Count == 0 {
				t.Errorf("no malformed lines in random bytes")
			}
		})
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	content := iisHeader + toolShellLine + "\r\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(content[:100]))
	zw.Close()
	zw = gzip.NewWriter(&gz) // a second member, as from cat a.gz b.gz
	zw.Write([]byte(content[100:]))
	zw.Close()
	files := map[string][]byte{
		"u_ex250718.log":    gz.Bytes(),      // gzip content, plain name
		"u_ex250719.log.gz": []byte(content), // plain content, gzip name
		"empty.log":         nil,             // empty
		"one.log":           []byte{0x1f},    // shorter than the magic
		"truncated.log":     gz.Bytes()[:gz.Len()-10],
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{"u_ex250718.log", content, false},
		{"u_ex250719.log.gz", content, false},
		{"empty.log", "", false},
		{"one.log", "\x1f", false},
		{"truncated.log", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(filepath.Join(dir, tt.name))
			if err != nil {
				t.Fatalf("Open(%q) = %v", tt.name, err)
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if tt.wantErr {
				if err == nil {
					t.Errorf("reading %q: no error, want one", tt.name)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("reading %q = %q, %v, want %q", tt.name, got, err, tt.want)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "missing.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}

	// Through a Reader: a gzip IIS log reads like the plain one, and a
	// truncated one reports the error after its complete lines.
	f, err := Open(filepath.Join(dir, "u_ex250718.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := readAll(NewReader(f, Unknown, Options{}))
	if res.Err != io.EOF || !reflect.DeepEqual(res.Lines, []int64{5}) || res.Fields[0]["c-ip"] != "107.191.58.76" {
		t.Errorf("gzip IIS log read = %v %v %v, want one ToolShell record at line 5", res.Err, res.Lines, res.Fields)
	}
	f2, err := Open(filepath.Join(dir, "truncated.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if res := readAll(NewReader(f2, Unknown, Options{})); res.Err == io.EOF || res.Err == nil {
		t.Errorf("truncated gzip read ended with %v, want an error", res.Err)
	}
}

func TestReaderHugeMaxLine(t *testing.T) {
	line := `192.0.2.1 - - [18/Jul/2025:18:06:12 +0200] "GET / HTTP/1.1" 200 1`
	r := NewReader(strings.NewReader(line+"\n"), Unknown, Options{MaxLineBytes: int(^uint(0) >> 1)})
	if res := readAll(r); res.Err != io.EOF || len(res.Lines) != 1 {
		t.Errorf("with MaxLineBytes = MaxInt: %d records, %v, want 1, io.EOF", len(res.Lines), res.Err)
	}
}
