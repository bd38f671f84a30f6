package logfmt

import (
	"strings"
	"testing"
	"time"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"iis", IIS, true},
		{"W3C", IIS, true},
		{"common", NCSACommon, true},
		{"ncsa", NCSACommon, true},
		{"combined", NCSACombined, true},
		{"jsonl", JSONLines, true},
		{" JSON ", JSONLines, true},
		{"", Unknown, true},
		{"auto", Unknown, true},
		{"unknown", Unknown, true},
		{"apache", Unknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("ParseFormat(%q) = %v, %v, want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
	for f := Unknown; f <= JSONLines; f++ {
		if got, err := ParseFormat(f.String()); got != f || err != nil {
			t.Errorf("ParseFormat(%q) = %v, %v, want %v", f.String(), got, err, f)
		}
	}
	if s := Format(42).String(); s != "Format(42)" {
		t.Errorf("Format(42).String() = %q", s)
	}
}

func TestDetect(t *testing.T) {
	common := `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`
	combined := `2001:db8::1 - - [18/Jul/2025:18:06:12 +0200] "GET / HTTP/1.1" 200 10 "-" "curl/8.5.0"`
	iisData := strings.SplitN(toolShellLine, "\n", 2)[0]
	tests := []struct {
		name   string
		sample string
		want   Format
	}{
		{"iis header", "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n", IIS},
		{"iis fields only", "\xef\xbb\xbf" + fieldsIIS85 + "\n" + iisData + "\n", IIS},
		{"iis data without header", iisData + "\n" + iisData + "\n", IIS},
		{"common", common + "\n" + common + "\n", NCSACommon},
		{"combined ipv6", combined + "\n", NCSACombined},
		{"mixed common and combined", common + "\n" + combined + "\n" + common + "\n", NCSACombined},
		{"combined with a garbage line", "garbage\n" + combined + "\n", NCSACombined},
		{"json", `{"remote_addr":"192.0.2.1"}` + "\n" + ` {"a":1}` + "\n", JSONLines},
		{"single line without newline", common, NCSACommon},
		{"partial last line ignored", common + "\n" + `{"a":`, NCSACommon},
		{"crlf", combined + "\r\n" + combined + "\r\n", NCSACombined},
		{"empty", "", Unknown},
		{"blank lines", "\n\n  \r\n", Unknown},
		{"garbage", "\x00\x01\x02\xff\n\x1f\x8b\x08\n", Unknown},
		{"plain text", "hello world\nthis is not a log\n", Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect([]byte(tt.sample)); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.sample, got, tt.want)
			}
		})
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means no time
	}{
		{"10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z"},
		{"10/oct/2000:13:55:36 +05:30", "2000-10-10T08:25:36Z"},
		{"10/Oct/2000:13:55:36.250 +0000", "2000-10-10T13:55:36.25Z"},
		{"10/Oct/2000:13:55:36", "2000-10-10T13:55:36Z"},
		{"10/Oct/2000:25:55:36 +0000", ""},
		{"10/Oct/2000:13:55:36 0700", ""},
		{"2025-07-18T18:06:12+02:00", "2025-07-18T16:06:12Z"},
		{"2025-07-18T18:06:12.123456789Z", "2025-07-18T18:06:12.123456789Z"},
		{"2025-07-18 18:06:12", "2025-07-18T18:06:12Z"},
		{"2025-07-18T18:06:12-0130", "2025-07-18T19:36:12Z"},
		{"2025-07-18T18:06:12+02", ""},
		{"2025-02-30T00:00:00Z", "2025-03-02T00:00:00Z"}, // normalised like time.Date
		{"2025-00-18T18:06:12Z", ""},
		{"1752854772", "2025-07-18T16:06:12Z"},
		{"1752854772.5", "2025-07-18T16:06:12.5Z"},
		{"1752854772123", "2025-07-18T16:06:12.123Z"},
		{"175285477212", ""},
		{"-1", ""},
		{"", ""},
		{"abc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ""
			if ts, ok := parseTimestamp([]byte(tt.in)); ok {
				got = ts.Format(time.RFC3339Nano)
				if ts.Location() != time.UTC {
					t.Errorf("parseTimestamp(%q) is in %v, want UTC", tt.in, ts.Location())
				}
			}
			if got != tt.want {
				t.Errorf("parseTimestamp(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLineError(t *testing.T) {
	tests := []struct {
		e    LineError
		want string
	}{
		{LineError{Line: 12, Reason: "bad status"}, "line 12: bad status"},
		{LineError{Reason: "bad status"}, "bad status"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("LineError%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}
