package logfmt

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
)

// jsonTests are JSON lines parsed with the default mapping unless m is
// set; a nil want means ParseJSON must fail with an error containing
// errSub.
var jsonTests = []struct {
	name     string
	line     string
	m        JSONMapping
	want     map[string]string
	wantTime string
	errSub   string
}{
	{
		name: "nginx",
		line: `{"time_iso8601":"2025-07-18T18:06:12+02:00","remote_addr":"107.191.58.76","remote_user":"","request":"POST /_layouts/15/ToolPane.aspx?DisplayMode=Edit&a=/ToolPane.aspx HTTP/1.1","status":"200","body_bytes_sent":"7382","request_time":"0.153","http_referer":"/_layouts/SignOut.aspx","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"}`,
		want: map[string]string{
			"timestamp": "2025-07-18T18:06:12+02:00", "c-ip": "107.191.58.76", "cs-method": "POST",
			"cs-uri-stem": "/_layouts/15/ToolPane.aspx", "cs-uri-query": "DisplayMode=Edit&a=/ToolPane.aspx", "cs-version": "HTTP/1.1",
			"sc-status": "200", "sc-bytes": "7382", "request_time": "0.153", "cs-referer": "/_layouts/SignOut.aspx",
			"cs-user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
		},
		wantTime: "2025-07-18T16:06:12Z",
	},
	{
		name: "nginx request_uri with query, numbers, msec, ipv6",
		line: `{"msec":1752854772.123,"remote_addr":"2001:db8::1","request_method":"GET","request_uri":"/_layouts/15/spinstall0.aspx?x=1","status":404,"bytes_sent":0,"http_user_agent":"-"}` + "\r\n",
		want: map[string]string{
			"timestamp": "1752854772.123", "c-ip": "2001:db8::1", "cs-method": "GET", "cs-uri-stem": "/_layouts/15/spinstall0.aspx",
			"cs-uri-query": "x=1", "sc-status": "404", "sc-bytes": "0",
		},
		wantTime: "2025-07-18T16:06:12.123Z",
	},
	{
		name: "ECS nested",
		line: `{"@timestamp":"2025-07-19T05:28:00.5Z","source":{"ip":"104.238.159.149","geo":{"country_iso_code":"US"}},"url":{"path":"/_layouts/15/ToolPane.aspx/","query":"DisplayMode=Edit&a=/ToolPane.aspx"},"http":{"request":{"method":"POST","referrer":"/_layouts/SignOut.aspx"},"response":{"status_code":200}},"user_agent":{"original":"python-requests/2.32"},"tags":["web","iis"],"event":{"dataset":null,"ok":true}}`,
		want: map[string]string{
			"timestamp": "2025-07-19T05:28:00.5Z", "c-ip": "104.238.159.149", "source.geo.country_iso_code": "US",
			"cs-uri-stem": "/_layouts/15/ToolPane.aspx/", "cs-uri-query": "DisplayMode=Edit&a=/ToolPane.aspx",
			"cs-method": "POST", "cs-referer": "/_layouts/SignOut.aspx", "sc-status": "200",
			"cs-user-agent": "python-requests/2.32", "event.ok": "true",
		},
		wantTime: "2025-07-19T05:28:00.5Z",
	},
	{
		name: "ECS dotted keys",
		line: `{"@timestamp":"2025-07-19T05:28:00Z","source.ip":"96.9.125.147","url.original":"/a?b=c","http.response.status_code":500}`,
		want: map[string]string{
			"timestamp": "2025-07-19T05:28:00Z", "c-ip": "96.9.125.147", "cs-uri-stem": "/a", "cs-uri-query": "b=c", "sc-status": "500",
		},
		wantTime: "2025-07-19T05:28:00Z",
	},
	{
		name: "escapes",
		line: `{"remote_addr":"198.51.100.23","request_uri":"/q?s=\"\u003cscript\u003e","http_user_agent":"caf\u00e9 \ud83d\ude00 \\ \/","k\u0065y":"v"}`,
		want: map[string]string{
			"c-ip": "198.51.100.23", "cs-uri-stem": "/q", "cs-uri-query": `s="<script>`,
			"cs-user-agent": "café 😀 \\ /", "key": "v",
		},
	},
	{
		name:     "custom mapping, first key wins, dropped key",
		line:     `{"client":"192.0.2.1","client2":"192.0.2.2","ts":"18/Jul/2025:18:06:12 +0200","path":"/x","secret":"s3cret"}`,
		m:        JSONMapping{"client": "c-ip", "client2": "c-ip", "ts": "timestamp", "path": "cs-uri-stem", "secret": "-"},
		want:     map[string]string{"c-ip": "192.0.2.1", "timestamp": "18/Jul/2025:18:06:12 +0200", "cs-uri-stem": "/x"},
		wantTime: "2025-07-18T16:06:12Z",
	},
	{
		name: "empty mapping keeps keys",
		line: ` {"remote_addr":"192.0.2.1","a":{"b":{"c":1}}} `,
		m:    JSONMapping{},
		want: map[string]string{"remote_addr": "192.0.2.1", "a.b.c": "1"},
	},
	{
		name: "duplicate unmapped key: first wins",
		line: `{"x":"1","x":"2"}`,
		want: map[string]string{"x": "1"},
	},
	{name: "empty object", line: `{}`, want: map[string]string{}},
	{name: "empty", line: ``, errSub: "not a JSON object"},
	{name: "array", line: `[1,2]`, errSub: "not a JSON object"},
	{name: "truncated", line: `{"remote_addr":"192.0.2.1","request":"GET /`, errSub: "invalid JSON"},
	{name: "trailing data", line: `{"a":1} {"b":2}`, errSub: "invalid JSON"},
	{name: "binary garbage", line: "{\x00\xff}", errSub: "invalid JSON"},
}

func TestParseJSON(t *testing.T) {
	for _, tt := range jsonTests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Record
			line := []byte(tt.line)
			err := ParseJSON(line, tt.m, &rec)
			if tt.want == nil {
				var le *LineError
				if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("ParseJSON(%q) = %v, want a *LineError containing %q", tt.line, err, tt.errSub)
				}
				if rec.Len() != 0 {
					t.Errorf("ParseJSON(%q) failed but left %d fields in the record", tt.line, rec.Len())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJSON(%q) = %v, want nil", tt.line, err)
			}
			if msg := checkAliasing(&rec, line); msg != "" {
				t.Errorf("ParseJSON(%q): %s", tt.line, msg)
			}
			if got := fieldMap(&rec); !maps.Equal(got, tt.want) {
				t.Errorf("ParseJSON(%q) = %s, want %s", tt.line, showFields(got), showFields(tt.want))
			}
			if got := timeString(&rec); got != tt.wantTime {
				t.Errorf("ParseJSON(%q).Time() = %q, want %q", tt.line, got, tt.wantTime)
			}
		})
	}
}

func TestDefaultJSONMappingIsACopy(t *testing.T) {
	m := DefaultJSONMapping()
	m["remote_addr"] = "changed"
	if DefaultJSONMapping()["remote_addr"] != "c-ip" {
		t.Errorf("changing DefaultJSONMapping's result changed the default")
	}
}

func TestParseJSONManyKeys(t *testing.T) {
	// Many distinct keys, then repeats: first wins, and it stays linear.
	var b strings.Builder
	b.WriteString(`{"remote_addr":"192.0.2.1"`)
	const n = 20000
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":"%d"`, i, i)
	}
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":"again"`, i)
	}
	b.WriteString("}")
	var rec Record
	for range 2 { // the second time reuses the record's map
		if err := ParseJSON([]byte(b.String()), nil, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Len() != n+1 {
			t.Fatalf("Len() = %d, want %d", rec.Len(), n+1)
		}
		if v, _ := rec.Get("k19999"); string(v) != "19999" {
			t.Errorf(`Get("k19999") = %q, want "19999"`, v)
		}
	}
	if err := ParseJSON([]byte(`{"k1":"x","k1":"y"}`), nil, &rec); err != nil || rec.Len() != 1 {
		t.Errorf("after a big line, a small one: err %v, Len %d, want nil, 1", err, rec.Len())
	}
}
