//go:build cgo

package yara

import (
	"strings"
	"testing"
)

func TestArithmeticGuard(t *testing.T) {
	allowed := []string{
		`rule a { condition: filesize \ 2 == 0 }`,
		`rule a { condition: filesize % 0x10 == 0 and filesize % 0o7 == 1 }`,
		`rule a { condition: filesize \ ( 4 ) > 1 and filesize \ 1KB < 2 and filesize \ 2MB < 1 }`,
		`rule a { condition: for any i in (0..filesize \ 2) : (uint8(i) == 0) }`,
		`import "math" rule a { condition: math.entropy(0, filesize) \ 2.5 > 1.0 }`,
		`rule a { condition: filesize \ /* half */ 2 == 0 }`,
		"rule a {\n strings:\n  $a = \"100% \\\\ \\\" \\\\\"\n  $r = /a\\/b%c\\\\/\n  $h = { 41 [2-4] 42 // 50% \\ -1\n }\n condition:\n  // filesize \\ -1\n  /* % -1 */ any of them\n}\n",
	}
	for _, src := range allowed {
		if p := checkArithmetic("t.yar", []byte(src)); p != nil {
			t.Errorf("checkArithmetic(%q) = %v, want nil", src, p)
			continue
		}
		if _, err := Compile(map[string][]byte{"t.yar": []byte(src)}); err != nil {
			t.Errorf("Compile(%q) = %v", src, err)
		}
	}
	refused := []struct {
		src  string
		line int
	}{
		// These kill a process running libyara (SIGFPE): the guard must
		// stop them before libyara sees them.
		{`rule a { condition: (-9223372036854775807 - 1) \ -1 == 0 }`, 1},
		{`rule a { condition: (-9223372036854775807 - 1) % -1 == 0 }`, 1},
		{"rule a {\n condition:\n  (filesize - filesize - 9223372036854775807 - 1) \\ -1 == 0\n}", 3},
		{`rule a { condition: (1 << 63) \ (0 - 1) == 0 }`, 1},
		// Divisors that might be -1.
		{`rule a { condition: filesize \ ~0 == 0 }`, 1},
		{`rule a { condition: filesize % int8(0) == 0 }`, 1},
		{`rule a { condition: filesize \ (2 + filesize) == 0 }`, 1},
		{`rule a { condition: filesize \ /* c */ -1 == 0 }`, 1},
		{`rule a { condition: filesize \ filesize == 1 }`, 1},
		{`rule a { condition: filesize \ (2 == 0 }`, 1},
		{`rule a { condition: filesize \`, 1},
	}
	for _, tc := range refused {
		p := checkArithmetic("t.yar", []byte(tc.src))
		if p == nil || p.Line != tc.line || p.File != "t.yar" {
			t.Errorf("checkArithmetic(%q) = %v, want an error at line %d", tc.src, p, tc.line)
		}
		_, err := Compile(map[string][]byte{"t.yar": []byte(tc.src)})
		if ps := Problems(err); len(ps) != 1 || !strings.Contains(ps[0].Reason, "division") {
			t.Errorf("Compile(%q) = %v, want the guard's error", tc.src, err)
		}
	}
}
