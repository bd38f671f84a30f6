package incident

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// evidenceNameTests lists file names; ok says whether CheckEvidenceName accepts them.
var evidenceNameTests = []struct {
	name string
	ok   bool
}{
	{"webshell.aspx", true},
	{"IIS log 2025-07-19.gz", true},
	{"u_ex250719.log", true},
	{".htaccess", true},
	{"memory.dump.tar.zst", true},
	{"отчёт об инциденте.pdf", true},
	{"日本語のファイル.txt", true},
	{"Ünïcödé naïve café.docx", true},
	{"screenshot 🔥.png", true},
	{"it's (final) [v2] #3 & more!.txt", true},
	{strings.Repeat("a", 255), true},
	{strings.Repeat("€", 85), true}, // 255 bytes

	{"", false},
	{".", false},
	{"..", false},
	{"../etc/passwd", false},
	{"..\\..\\windows\\win.ini", false},
	{"/etc/passwd", false},
	{"a/b", false},
	{`a\b`, false},
	{"dir/", false},
	{"C:x", false},
	{"C:\\Windows\\system32", false},
	{"report.docx:hidden", false},
	{"a\x00b", false},
	{"\x00", false},
	{"line\nbreak.txt", false},
	{"carriage\rreturn.txt", false},
	{"tab\there.txt", false},
	{"bell\a.txt", false},
	{"escape\x1b[31m.txt", false},
	{"delete\x7f.txt", false},
	{"c1\u0085control.txt", false},
	{"csi\u009b.txt", false},
	{strings.Repeat("a", 256), false},
	{strings.Repeat("€", 85) + "a", false}, // 256 bytes
	{"bad\xffutf8.txt", false},
	{"\xc0\xaf", false}, // overlong encoding of '/'
}

func TestCheckEvidenceName(t *testing.T) {
	for _, tt := range evidenceNameTests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckEvidenceName(tt.name)
			if tt.ok {
				if err != nil {
					t.Errorf("CheckEvidenceName(%q) = %v, want nil", tt.name, err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "name" {
				t.Errorf("CheckEvidenceName(%q) = %v, want a *ValidationError for field name", tt.name, err)
			}
		})
	}
}

func FuzzCheckEvidenceName(f *testing.F) {
	for _, tt := range evidenceNameTests {
		f.Add(tt.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckEvidenceName(name)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "name" {
				t.Errorf("CheckEvidenceName(%q) = %v, want a *ValidationError for field name", name, err)
			}
			return
		}
		switch {
		case name == "", name == ".", name == "..":
			t.Errorf("CheckEvidenceName(%q) = nil, want an error", name)
		case strings.ContainsAny(name, "/\\\x00"):
			t.Errorf("CheckEvidenceName(%q) = nil, want an error: a separator or NUL", name)
		case len(name) > 255:
			t.Errorf("CheckEvidenceName(%q) = nil, want an error: %d bytes", name, len(name))
		case !utf8.ValidString(name):
			t.Errorf("CheckEvidenceName(%q) = nil, want an error: invalid UTF-8", name)
		}
	})
}
