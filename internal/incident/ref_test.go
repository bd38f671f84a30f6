package incident

import (
	"strings"
	"testing"
)

func TestFormatRef(t *testing.T) {
	tests := []struct {
		year, n int
		want    string
	}{
		{2026, 1, "INC-2026-0001"},
		{2026, 42, "INC-2026-0042"},
		{2025, 9999, "INC-2025-9999"},
		{2025, 10000, "INC-2025-10000"},
		{2026, 999999999, "INC-2026-999999999"},
		{999, 7, "INC-0999-0007"},
	}
	for _, tt := range tests {
		if got := FormatRef(tt.year, tt.n); got != tt.want {
			t.Errorf("FormatRef(%d, %d) = %q, want %q", tt.year, tt.n, got, tt.want)
		}
	}
}

// refTests lists references; ok says whether ParseRef accepts them.
var refTests = []struct {
	ref     string
	year, n int
	ok      bool
}{
	{"INC-2026-0001", 2026, 1, true},
	{"INC-2026-0042", 2026, 42, true},
	{"INC-1999-9999", 1999, 9999, true},
	{"INC-2026-12345", 2026, 12345, true},
	{"INC-2026-999999999", 2026, 999999999, true},
	{"", 0, 0, false},
	{"INC-2026-0000", 0, 0, false},
	{"INC-2026-000000000", 0, 0, false},
	{"INC-2026-001", 0, 0, false},
	{"INC-2026-1", 0, 0, false},
	{"INC-2026-1234567890", 0, 0, false},
	{"INC-26-0001", 0, 0, false},
	{"INC-20260-0001", 0, 0, false},
	{"INC-2026", 0, 0, false},
	{"INC-2026-", 0, 0, false},
	{"inc-2026-0001", 0, 0, false},
	{"Inc-2026-0001", 0, 0, false},
	{" INC-2026-0001", 0, 0, false},
	{"INC-2026-0001 ", 0, 0, false},
	{"INC-2026-0001\n", 0, 0, false},
	{"INC-2026-0001\x00", 0, 0, false},
	{"XINC-2026-0001", 0, 0, false},
	{"INC-2026-0001X", 0, 0, false},
	{"INC-2026-0001/../x", 0, 0, false},
	{"INC_2026_0001", 0, 0, false},
	{"INC-2026--001", 0, 0, false},
	{"INC-2026-+001", 0, 0, false},
	{"INC--026-0001", 0, 0, false},
	{"INC-2026-0x01", 0, 0, false},
	{"INC-２０２６-0001", 0, 0, false},
	{"INC-2026-٠٠٠١", 0, 0, false},
	{"INC 2026 0001", 0, 0, false},
}

func TestParseRef(t *testing.T) {
	for _, tt := range refTests {
		t.Run(tt.ref, func(t *testing.T) {
			year, n, err := ParseRef(tt.ref)
			if !tt.ok {
				if err == nil || year != 0 || n != 0 {
					t.Errorf("ParseRef(%q) = %d, %d, %v, want 0, 0, an error", tt.ref, year, n, err)
				}
				return
			}
			if err != nil || year != tt.year || n != tt.n {
				t.Errorf("ParseRef(%q) = %d, %d, %v, want %d, %d, nil", tt.ref, year, n, err, tt.year, tt.n)
			}
		})
	}
}

func TestRefRoundTrip(t *testing.T) {
	for _, year := range []int{1970, 2000, 2026, 9999} {
		for _, n := range []int{1, 9, 10, 999, 1000, 9999, 10000, 123456, 999999999} {
			ref := FormatRef(year, n)
			y, m, err := ParseRef(ref)
			if err != nil || y != year || m != n {
				t.Errorf("ParseRef(FormatRef(%d, %d) = %q) = %d, %d, %v, want %d, %d, nil", year, n, ref, y, m, err, year, n)
			}
			if again := FormatRef(y, m); again != ref {
				t.Errorf("FormatRef(ParseRef(%q)) = %q, want %q", ref, again, ref)
			}
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, tt := range refTests {
		f.Add(tt.ref)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		year, n, err := ParseRef(ref)
		if err != nil {
			if year != 0 || n != 0 {
				t.Errorf("ParseRef(%q) = %d, %d, %v, want 0, 0 with the error", ref, year, n, err)
			}
			return
		}
		if year < 0 || year > 9999 || n < 1 || n > 999999999 {
			t.Errorf("ParseRef(%q) = %d, %d, nil, want year in 0..9999 and n in 1..999999999", ref, year, n)
		}
		canon := FormatRef(year, n)
		if y, m, err := ParseRef(canon); err != nil || y != year || m != n {
			t.Errorf("ParseRef(%q) = %d, %d, %v, want %d, %d, nil (canonical form of %q)", canon, y, m, err, year, n, ref)
		}
		// A reference is canonical unless its number carries leading zeros
		// beyond the four-digit padding.
		num := ref[strings.LastIndexByte(ref, '-')+1:]
		if (len(num) == 4 || num[0] != '0') && canon != ref {
			t.Errorf("FormatRef(ParseRef(%q)) = %q, want %q", ref, canon, ref)
		}
	})
}
