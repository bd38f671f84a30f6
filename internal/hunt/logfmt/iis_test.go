package logfmt

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const (
	fieldsIIS85   = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
	fieldsIISWide = "#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken X-Forwarded-For"

	// toolShellLine is the first-wave ToolShell exploit request
	// (threat-notes/toolshell.md) as IIS 8.5 writes it.
	toolShellLine = "2025-07-18 16:06:12 10.20.0.15 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 107.191.58.76 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0 /_layouts/SignOut.aspx 200 0 0 1872"
)

// iisTests are data lines with the #Fields directive that governs them.
// A nil want means Parse must fail with an error containing errSub.
var iisTests = []struct {
	name     string
	fields   string
	line     string
	want     map[string]string
	wantTime string
	errSub   string
}{
	{
		name:   "toolshell exploit",
		fields: fieldsIIS85,
		line:   toolShellLine,
		want: map[string]string{
			"date": "2025-07-18", "time": "16:06:12", "s-ip": "10.20.0.15", "cs-method": "POST",
			"cs-uri-stem": "/_layouts/15/ToolPane.aspx", "cs-uri-query": "DisplayMode=Edit&a=/ToolPane.aspx",
			"s-port": "443", "c-ip": "107.191.58.76",
			"cs-user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
			"cs-referer":    "/_layouts/SignOut.aspx", "sc-status": "200", "sc-substatus": "0", "sc-win32-status": "0",
			"time-taken": "1872",
		},
		wantTime: "2025-07-18T16:06:12Z",
	},
	{
		name:   "ipv6 client, dashes absent, CRLF",
		fields: fieldsIIS85,
		line:   "2025-07-19 05:28:01 fe80::1%4 GET /_layouts/15/spinstall0.aspx - 443 - 2001:db8:85a3::8a2e:370:7334 - - 200 0 0 15\r\n",
		want: map[string]string{
			"date": "2025-07-19", "time": "05:28:01", "s-ip": "fe80::1%4", "cs-method": "GET",
			"cs-uri-stem": "/_layouts/15/spinstall0.aspx", "s-port": "443", "c-ip": "2001:db8:85a3::8a2e:370:7334",
			"sc-status": "200", "sc-substatus": "0", "sc-win32-status": "0", "time-taken": "15",
		},
		wantTime: "2025-07-19T05:28:01Z",
	},
	{
		name:   "wide layout with cookie, host and a custom field",
		fields: fieldsIISWide,
		line:   "2025-07-18 09:00:00.250 W3SVC1 SP01 10.20.0.15 GET /sites/hr/default.aspx a=1+2 443 CORP\\alice 10.1.2.3 HTTP/1.1 Mozilla/5.0+(Windows+NT+10.0) ASP.NET_SessionId=abc;+WSS_FullScreenMode=false https://intranet/ intranet.example.com 302 0 0 512 1024 31 198.51.100.7",
		want: map[string]string{
			"date": "2025-07-18", "time": "09:00:00.250", "s-sitename": "W3SVC1", "s-computername": "SP01",
			"s-ip": "10.20.0.15", "cs-method": "GET", "cs-uri-stem": "/sites/hr/default.aspx", "cs-uri-query": "a=1+2",
			"s-port": "443", "cs-username": `CORP\alice`, "c-ip": "10.1.2.3", "cs-version": "HTTP/1.1",
			"cs-user-agent": "Mozilla/5.0 (Windows NT 10.0)", "cs-cookie": "ASP.NET_SessionId=abc; WSS_FullScreenMode=false",
			"cs-referer": "https://intranet/", "cs-host": "intranet.example.com", "sc-status": "302", "sc-substatus": "0",
			"sc-win32-status": "0", "sc-bytes": "512", "cs-bytes": "1024", "time-taken": "31", "X-Forwarded-For": "198.51.100.7",
		},
		wantTime: "2025-07-18T09:00:00.25Z",
	},
	{
		name:   "header names in other cases",
		fields: "#Fields: date time c-ip CS(USER-AGENT) cs(referer) cs(X-Custom) SC-STATUS",
		line:   "2025-07-18 10:00:00 192.0.2.1 curl/8.5.0 - a+b 404",
		want: map[string]string{
			"date": "2025-07-18", "time": "10:00:00", "c-ip": "192.0.2.1", "cs-user-agent": "curl/8.5.0",
			"cs(X-Custom)": "a b", "sc-status": "404",
		},
		wantTime: "2025-07-18T10:00:00Z",
	},
	{
		name:   "too few fields",
		fields: fieldsIIS85,
		line:   "2025-07-18 16:06:12 10.20.0.15 POST /_layouts/15/ToolPane.aspx - 443 - 107.191.58.76",
		errSub: "expected 15 fields, got 9",
	},
	{
		name:   "too many fields",
		fields: fieldsIIS85,
		line:   toolShellLine + " extra",
		errSub: "expected 15 fields, got 16",
	},
	{
		name:   "empty line",
		fields: fieldsIIS85,
		line:   "",
		errSub: "expected 15 fields, got 1",
	},
	{
		name:   "bad date",
		fields: fieldsIIS85,
		line:   strings.Replace(toolShellLine, "2025-07-18", "2025-13-18", 1),
		errSub: "bad date",
	},
	{
		name:   "bad status",
		fields: fieldsIIS85,
		line:   strings.Replace(toolShellLine, " 200 ", " OK ", 1),
		errSub: "bad sc-status",
	},
	{
		name:   "binary garbage",
		fields: fieldsIIS85,
		line:   "\x00\xff\xfe garbage \x1b[31m",
		errSub: "expected 15 fields, got 3",
	},
	{
		name:   "binary garbage with the right field count",
		fields: fieldsIIS85,
		line:   "\x00\xff\xfe" + strings.Repeat(" \x01", 14),
		errSub: `bad date value "\x00\xff\xfe"`,
	},
	{
		name:   "no date column: no time",
		fields: "#Fields: time c-ip cs-uri-stem",
		line:   "16:06:12 203.0.113.9 /",
		want:   map[string]string{"time": "16:06:12", "c-ip": "203.0.113.9", "cs-uri-stem": "/"},
	},
	{
		name:   "repeated column: first wins",
		fields: "#Fields: c-ip c-ip cs-uri-stem",
		line:   "203.0.113.9 203.0.113.10 /",
		want:   map[string]string{"c-ip": "203.0.113.9", "cs-uri-stem": "/"},
	},
}

func TestIISParse(t *testing.T) {
	for _, tt := range iisTests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseFieldsDirective([]byte(tt.fields))
			if err != nil {
				t.Fatalf("ParseFieldsDirective(%q) = %v", tt.fields, err)
			}
			var rec Record
			line := []byte(tt.line)
			err = l.Parse(line, &rec)
			if tt.want == nil {
				var le *LineError
				if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("Parse(%q) = %v, want a *LineError containing %q", tt.line, err, tt.errSub)
				}
				if rec.Len() != 0 {
					t.Errorf("Parse(%q) failed but left %d fields in the record", tt.line, rec.Len())
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want nil", tt.line, err)
			}
			if msg := checkAliasing(&rec, line); msg != "" {
				t.Errorf("Parse(%q): %s", tt.line, msg)
			}
			if got := fieldMap(&rec); !maps.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %s, want %s", tt.line, showFields(got), showFields(tt.want))
			}
			if got := timeString(&rec); got != tt.wantTime {
				t.Errorf("Parse(%q).Time() = %q, want %q", tt.line, got, tt.wantTime)
			}
		})
	}
}

func TestParseFieldsDirective(t *testing.T) {
	tests := []struct {
		line string
		want []string // nil: error
	}{
		{fieldsIIS85 + "\r\n", []string{"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip", "cs-user-agent", "cs-referer", "sc-status", "sc-substatus", "sc-win32-status", "time-taken"}},
		{"#fields:  c-ip\tcs(Cookie) cs(HOST) cs(Content-Type) sc(Content-Type) Time-Taken", []string{"c-ip", "cs-cookie", "cs-host", "cs-content-type", "sc(Content-Type)", "time-taken"}},
		{"#Fields: timestamp", []string{"timestamp"}},
		{"#Fields:", nil},
		{"#Fields:   \r\n", nil},
		{"#Software: Microsoft Internet Information Services 10.0", nil},
		{"date time c-ip", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			l, err := ParseFieldsDirective([]byte(tt.line))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ParseFieldsDirective(%q) = %v, want an error", tt.line, l.Fields())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFieldsDirective(%q) = %v, want %v", tt.line, err, tt.want)
			}
			if got := l.Fields(); !slices.Equal(got, tt.want) {
				t.Errorf("ParseFieldsDirective(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func TestIISTimestampColumn(t *testing.T) {
	// A custom IIS column named "timestamp" is the timestamp field: Time
	// uses it when it parses and falls back to date and time otherwise.
	l, _ := ParseFieldsDirective([]byte("#Fields: date time timestamp c-ip"))
	tests := []struct{ line, want string }{
		{"2025-07-18 10:00:00 2025-07-18T12:00:00+02:00 192.0.2.1", "2025-07-18T10:00:00Z"},
		{"2025-07-18 10:00:00 1752832800 192.0.2.1", "2025-07-18T10:00:00Z"},
		{"2025-07-18 10:00:00 garbage 192.0.2.1", "2025-07-18T10:00:00Z"},
		{"- - garbage 192.0.2.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			var rec Record
			if err := l.Parse([]byte(tt.line), &rec); err != nil {
				t.Fatalf("Parse(%q) = %v", tt.line, err)
			}
			if got := timeString(&rec); got != tt.want {
				t.Errorf("Parse(%q).Time() = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestIISColumn(t *testing.T) {
	l := DefaultIISLayout()
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"c-ip", "107.191.58.76", true},
		{"date", "2025-07-18", true},
		{"time-taken", "1872", true},
		{"cs-username", "", false},
		{"cs-user-agent", "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0", true},
		{"no-such-field", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := l.Column([]byte(toolShellLine+"\r\n"), l.Index(tt.name))
			if string(got) != tt.want || ok != tt.ok {
				t.Errorf("Column(%q) = %q, %v, want %q, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := l.Column([]byte("a b"), 5); ok {
		t.Errorf("Column beyond the end of the line reported present")
	}
}

func TestFieldNames(t *testing.T) {
	for f := FieldOther + 1; f < numFields; f++ {
		got, ok := FieldByName(f.String())
		if !ok || got != f {
			t.Errorf("FieldByName(%q) = %v, %v, want %v, true", f.String(), got, ok, f)
		}
	}
	if f, ok := FieldByName("cs(User-Agent)"); ok {
		t.Errorf("FieldByName(%q) = %v, true, want false", "cs(User-Agent)", f)
	}
	if s := numFields.String(); s != "" {
		t.Errorf("numFields.String() = %q, want empty", s)
	}
}

func TestIISLayoutManyColumns(t *testing.T) {
	// A hostile #Fields line with a huge number of columns, repeated and
	// not, builds in linear time.
	names := make([]string, 0, 200000)
	for i := range 100000 {
		names = append(names, fmt.Sprintf("x%d", i), "x0")
	}
	l := NewIISLayout(names...)
	if got := l.Index("x99999"); got != 199998 {
		t.Errorf("Index(x99999) = %d, want 199998", got)
	}
	line := strings.TrimSuffix(strings.Repeat("v ", len(names)), " ")
	var rec Record
	if err := l.Parse([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Len() != 100000 {
		t.Errorf("Len() = %d, want 100000 (repeats ignored)", rec.Len())
	}
}

func TestDefaultIISLayoutFor(t *testing.T) {
	iis7 := "2025-07-18 16:06:12 10.20.0.15 GET / - 80 - 192.0.2.1 curl/8 200 0 0 3\r\n"
	tests := []struct {
		line string
		want *IISLayout
	}{
		{toolShellLine, DefaultIISLayout()},
		{toolShellLine + "\r\n", DefaultIISLayout()},
		{iis7, iisDefault7},
		{"a b c", nil},
	}
	for _, tt := range tests {
		if got := DefaultIISLayoutFor([]byte(tt.line)); got != tt.want {
			t.Errorf("DefaultIISLayoutFor(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
	var rec Record
	if err := DefaultIISLayoutFor([]byte(iis7)).Parse([]byte(iis7), &rec); err != nil {
		t.Fatal(err)
	}
	if v, _ := rec.Get("cs-user-agent"); string(v) != "curl/8" {
		t.Errorf(`IIS 7 layout: Get("cs-user-agent") = %q, want "curl/8"`, v)
	}
}

// TestAfterSpaces compares the word-at-a-time search with a byte loop.
func TestAfterSpaces(t *testing.T) {
	naive := func(line []byte, n int) int {
		if n == 0 {
			return 0
		}
		for i, c := range line {
			if c == ' ' {
				if n--; n == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	r := rand.New(rand.NewPCG(9, 9))
	alphabet := []byte("a  \x00\xa0\x20\x7f\xff-")
	for round := 0; round < 20000; round++ {
		line := make([]byte, r.IntN(40))
		for i := range line {
			line[i] = alphabet[r.IntN(len(alphabet))]
		}
		n := r.IntN(12)
		if got, want := afterSpaces(line, n), naive(line, n); got != want {
			t.Fatalf("afterSpaces(%q, %d) = %d, want %d", line, n, got, want)
		}
	}
}
