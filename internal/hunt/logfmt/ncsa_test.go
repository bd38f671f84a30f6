package logfmt

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// ncsaTests are NCSA lines; a nil want means ParseNCSA must fail with an
// error containing errSub.
var ncsaTests = []struct {
	name     string
	line     string
	want     map[string]string
	wantTime string
	combined bool
	errSub   string
}{
	{
		name: "common",
		line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
		want: map[string]string{
			"c-ip": "127.0.0.1", "cs-username": "frank", "timestamp": "10/Oct/2000:13:55:36 -0700",
			"cs-method": "GET", "cs-uri-stem": "/apache_pb.gif", "cs-version": "HTTP/1.0",
			"sc-status": "200", "sc-bytes": "2326",
		},
		wantTime: "2000-10-10T20:55:36Z",
	},
	{
		name: "combined toolshell exploit",
		line: `107.191.58.76 - - [18/Jul/2025:18:06:12 +0200] "POST /_layouts/15/ToolPane.aspx?DisplayMode=Edit&a=/ToolPane.aspx HTTP/1.1" 200 7382 "/_layouts/SignOut.aspx" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"`,
		want: map[string]string{
			"c-ip": "107.191.58.76", "timestamp": "18/Jul/2025:18:06:12 +0200",
			"cs-method": "POST", "cs-uri-stem": "/_layouts/15/ToolPane.aspx", "cs-uri-query": "DisplayMode=Edit&a=/ToolPane.aspx",
			"cs-version": "HTTP/1.1", "sc-status": "200", "sc-bytes": "7382", "cs-referer": "/_layouts/SignOut.aspx",
			"cs-user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
		},
		wantTime: "2025-07-18T16:06:12Z",
		combined: true,
	},
	{
		name: "ipv6 client, dashes, CRLF",
		line: "2001:db8::dead:beef - - [19/Jul/2025:07:28:00 +0000] \"GET /_layouts/16/spinstall0.aspx HTTP/2.0\" 404 - \"-\" \"-\"\r\n",
		want: map[string]string{
			"c-ip": "2001:db8::dead:beef", "timestamp": "19/Jul/2025:07:28:00 +0000",
			"cs-method": "GET", "cs-uri-stem": "/_layouts/16/spinstall0.aspx", "cs-version": "HTTP/2.0", "sc-status": "404",
		},
		wantTime: "2025-07-19T07:28:00Z",
		combined: true,
	},
	{
		name: "escaped quotes and backslashes",
		line: `198.51.100.23 - - [20/Jul/2025:01:02:03 -0500] "GET /search?q=\"><script>alert(1)</script> HTTP/1.1" 400 0 "http://evil.example/\\path" "sqlmap/1.7 \"x\""`,
		want: map[string]string{
			"c-ip": "198.51.100.23", "timestamp": "20/Jul/2025:01:02:03 -0500", "cs-method": "GET",
			"cs-uri-stem": "/search", "cs-uri-query": `q="><script>alert(1)</script>`, "cs-version": "HTTP/1.1",
			"sc-status": "400", "sc-bytes": "0", "cs-referer": `http://evil.example/\path`, "cs-user-agent": `sqlmap/1.7 "x"`,
		},
		wantTime: "2025-07-20T06:02:03Z",
		combined: true,
	},
	{
		name: "hex escapes from a TLS probe",
		line: `203.0.113.50 - - [20/Jul/2025:01:02:03 +0000] "\x16\x03\x01\x00\xf1\x01" 400 157 "-" "-"`,
		want: map[string]string{
			"c-ip": "203.0.113.50", "timestamp": "20/Jul/2025:01:02:03 +0000",
			"cs-uri-stem": "\x16\x03\x01\x00\xf1\x01", "sc-status": "400", "sc-bytes": "157",
		},
		wantTime: "2025-07-20T01:02:03Z",
		combined: true,
	},
	{
		name: "empty request and extra nginx field",
		line: `192.0.2.9 - bob [01/Jan/2026:00:00:00 +0100] "-" 408 0 "-" "-" "10.0.0.1, 10.0.0.2"`,
		want: map[string]string{
			"c-ip": "192.0.2.9", "cs-username": "bob", "timestamp": "01/Jan/2026:00:00:00 +0100",
			"sc-status": "408", "sc-bytes": "0",
		},
		wantTime: "2025-12-31T23:00:00Z",
		combined: true,
	},
	{
		name: "request with spaces in the URI and no version",
		line: `192.0.2.9 - - [01/Jan/2026:00:00:00 +0000] "GET /a b/c?x y" 400 0`,
		want: map[string]string{
			"c-ip": "192.0.2.9", "timestamp": "01/Jan/2026:00:00:00 +0000",
			"cs-method": "GET", "cs-uri-stem": "/a b/c", "cs-uri-query": "x y", "sc-status": "400", "sc-bytes": "0",
		},
		wantTime: "2026-01-01T00:00:00Z",
	},
	{name: "empty", line: "", errSub: "missing host"},
	{name: "no time", line: `127.0.0.1 - - "GET / HTTP/1.0" 200 1`, errSub: "missing [time]"},
	{name: "bad time", line: `127.0.0.1 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1`, errSub: "bad time"},
	{name: "unterminated request", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0 200 1`, errSub: "unterminated quoted request"},
	{name: "escaped closing quote", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /\" 200 1`, errSub: "unterminated quoted request"},
	{name: "bad status", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2x0 1`, errSub: "bad status"},
	{name: "bad bytes", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1k`, errSub: "bad byte count"},
	{name: "no bytes", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200`, errSub: "missing byte count"},
	{name: "no bytes, trailing space", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 `, errSub: "missing byte count"},
	{name: "referer without agent", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-"`, errSub: "missing quoted user agent"},
	{name: "unquoted trailer", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 trailing`, errSub: "unexpected text"},
	{name: "binary garbage", line: "\x00\x01\x02 \xff\xfe [\x80", errSub: "missing user"},
	{name: "binary garbage with brackets", line: "\x00 \x01 \x02 [\x80] \"\xff\" 200 1", errSub: "bad time"},
	{name: "iis line", line: toolShellLine, errSub: "missing [time]"},
}

func TestParseNCSA(t *testing.T) {
	for _, tt := range ncsaTests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Record
			line := []byte(tt.line)
			combined, err := parseNCSA(line, &rec)
			if tt.want == nil {
				var le *LineError
				if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("ParseNCSA(%q) = %v, want a *LineError containing %q", tt.line, err, tt.errSub)
				}
				if rec.Len() != 0 {
					t.Errorf("ParseNCSA(%q) failed but left %d fields in the record", tt.line, rec.Len())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNCSA(%q) = %v, want nil", tt.line, err)
			}
			if combined != tt.combined {
				t.Errorf("ParseNCSA(%q) combined = %v, want %v", tt.line, combined, tt.combined)
			}
			if msg := checkAliasing(&rec, line); msg != "" {
				t.Errorf("ParseNCSA(%q): %s", tt.line, msg)
			}
			if got := fieldMap(&rec); !maps.Equal(got, tt.want) {
				t.Errorf("ParseNCSA(%q) = %s, want %s", tt.line, showFields(got), showFields(tt.want))
			}
			if got := timeString(&rec); got != tt.wantTime {
				t.Errorf("ParseNCSA(%q).Time() = %q, want %q", tt.line, got, tt.wantTime)
			}
		})
	}
}

func TestRawKeepsEscapes(t *testing.T) {
	var rec Record
	line := `198.51.100.23 - - [20/Jul/2025:01:02:03 -0500] "GET / HTTP/1.1" 200 0 "-" "a \"b\""`
	if err := ParseNCSA([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	for range 2 { // decoding is cached; Raw is unaffected
		if v, _ := rec.Get("cs-user-agent"); string(v) != `a "b"` {
			t.Errorf(`Get("cs-user-agent") = %q, want %q`, v, `a "b"`)
		}
		if v, _ := rec.Raw("cs-user-agent"); string(v) != `a \"b\"` {
			t.Errorf(`Raw("cs-user-agent") = %q, want %q`, v, `a \"b\"`)
		}
	}
	if v, ok := rec.Raw("cs-referer"); ok {
		t.Errorf(`Raw("cs-referer") = %q, true, want absent`, v)
	}
}

// TestUnescapeBackslash: the escapes Apache and nginx write are resolved;
// anything else stays as written, so a printable byte in a field is in the
// raw line too.
func TestUnescapeBackslash(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`a\"b`, `a"b`},
		{`a\\b`, `a\b`},
		{`\x22\x5c`, `"\`},
		{`\x0a\x1b\x7f\xff`, "\n\x1b\x7f\xff"},
		{`\n\r\t\b\v`, "\n\r\t\b\v"},
		{`c=\x2fbin\x2fsh`, `c=\x2fbin\x2fsh`}, // '/' is never written escaped
		{`\x41\/\q`, `\x41\/\q`},
		{`\x4`, `\x4`},
		{`\xzz`, `\xzz`},
		{`end\`, `end\`},
	} {
		if got := string(unescapeBackslash(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("unescapeBackslash(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
