//go:build cgo

package yara

import (
	"strings"
	"testing"
	"time"
)

// TestHostileRules compiles rule text that has crashed or hung YARA
// versions (deep nesting, huge repeats, overflowing literals, INT64_MIN \ -1)
// and scans with what compiles: none may crash the process or hang.
func TestHostileRules(t *testing.T) {
	n := 20000
	cases := map[string]string{
		"parens":       "rule a { condition: " + strings.Repeat("(", n) + "true" + strings.Repeat(")", n) + " }",
		"not":          "rule a { condition: " + strings.Repeat("not ", n) + "true }",
		"regexnest":    "rule a { strings: $a = /" + strings.Repeat("(", n) + "a" + strings.Repeat(")", n) + "/ condition: $a }",
		"regexalt":     "rule a { strings: $a = /" + strings.Repeat("a|", n) + "b/ condition: $a }",
		"regexstar":    "rule a { strings: $a = /" + strings.Repeat("a*", n) + "/ condition: $a }",
		"regexrep":     "rule a { strings: $a = /(a{1,1000}){1,1000}/ condition: $a }",
		"regexbig":     "rule a { strings: $a = /a{32767}/ condition: $a }",
		"hexnest":      "rule a { strings: $a = { 41 " + strings.Repeat("( ", 2000) + "42" + strings.Repeat(" )", 2000) + " } condition: $a }",
		"hexjumps":     "rule a { strings: $a = { 41 " + strings.Repeat("[0-100] 42 ", 2000) + "} condition: $a }",
		"longstr":      "rule a { strings: $a = \"" + strings.Repeat("x", 1<<20) + "\" condition: $a }",
		"manystr":      "rule a { strings: " + strings.Repeat("$a = \"abcd\" ", 30000) + " condition: any of them }",
		"arith":        "rule a { condition: " + strings.Repeat("1 + ", n) + "1 == 0 }",
		"neg":          "rule a { condition: " + strings.Repeat("-", n) + "1 == 0 }",
		"bitnot":       "rule a { condition: " + strings.Repeat("~", n) + "1 == 0 }",
		"divzero":      "rule a { condition: 1 \\ 0 == 0 and 1 % 0 == 0 }",
		"minint":       "rule a { condition: -9223372036854775808 \\ -1 == 0 }",
		"minint2":      "rule a { condition: (-9223372036854775807 - 1) \\ -1 == 0 }",
		"minintmod":    "rule a { condition: (-9223372036854775807 - 1) % -1 == 0 }",
		"shift":        "rule a { condition: 1 << 100 == 0 and 1 >> -1 == 0 }",
		"hugeint":      "rule a { condition: 99999999999999999999999999 == 0 }",
		"loops":        "rule a { strings: $a = \"x\" condition: for all i in (1..3) : (for all j in (1..3) : (for all k in (1..3) : (for all l in (1..3) : (for all m in (1..3) : (true))))) }",
		"ofnest":       "rule a { strings: $a = \"abc\" condition: " + strings.Repeat("for any of ($a) : (", 50) + "$" + strings.Repeat(")", 50) + " }",
		"atidx":        "rule a { strings: $a = \"abc\" condition: @a[-1] == 0 and !a[0] == 0 and @a[9223372036854775807] == 0 }",
		"uintneg":      "rule a { condition: uint32(-1) == 0 and uint8(9223372036854775807) == 0 }",
		"math":         "import \"math\" rule a { condition: math.entropy(-1, -5) > 0 and math.mean(9223372036854775807, 10) > 0 and math.deviation(0, -1, 1.0) > 0 and math.monte_carlo_pi(0,9223372036854775807) > 0 and math.serial_correlation(-10, 100) > 0 and math.in_range(1.0, 0.0, 2.0) }",
		"pe":           "import \"pe\" rule a { condition: pe.section_index(\"x\") == 0 and pe.exports(\"x\") and pe.imports(\"a\", \"b\") and pe.locale(1) and pe.imphash() == \"\" }",
		"elf":          "import \"elf\" rule a { condition: elf.number_of_sections > 0 }",
		"tests":        "import \"tests\" rule a { condition: tests.fsum(1.0, 2.0) > 0 and tests.isum(1,2) > 0 and tests.length(\"x\") > 0 and tests.match(/x/, \"x\") > 0 }",
		"time":         "import \"time\" rule a { condition: time.now() > 0 }",
		"strmatch":     "rule a { condition: \"abc\" matches /" + strings.Repeat("(a|", 1000) + "b" + strings.Repeat(")", 1000) + "/ }",
		"fullwordnc":   "rule a { strings: $a = \"\" condition: $a }",
		"emptyhex":     "rule a { strings: $a = { } condition: $a }",
		"hexjumpbig":   "rule a { strings: $a = { 41 [-] 42 [0-999999999] 43 } condition: $a }",
		"regexempty":   "rule a { strings: $a = // condition: $a }",
		"regexclass":   "rule a { strings: $a = /[^\\x00-\\xff]/ condition: $a }",
		"regexbadesc":  "rule a { strings: $a = /\\/ condition: $a }",
		"regexrange":   "rule a { strings: $a = /a{5,1}/ condition: $a }",
		"regexrange2":  "rule a { strings: $a = /a{,99999}/ condition: $a }",
		"idlong":       "rule " + strings.Repeat("a", 200000) + " { condition: true }",
		"taglong":      "rule a : " + strings.Repeat("t", 200000) + " { condition: true }",
		"metalong":     "rule a { meta: x = \"" + strings.Repeat("m", 200000) + "\" condition: true }",
		"strid":        "rule a { strings: $" + strings.Repeat("s", 200000) + " = \"abc\" condition: any of them }",
		"xorwide":      "rule a { strings: $a = \"abc\" xor wide nocase fullword private condition: $a }",
		"filesizeeq":   "rule a { condition: filesize == 0 and entrypoint == 0 }",
		"stringescape": "rule a { strings: $a = \"\\x\" condition: $a }",
	}
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := Compile(map[string][]byte{"s.yar": []byte(src)})
			if err != nil {
				if ps := Problems(err); len(ps) == 0 || ps[0].File != "s.yar" {
					t.Errorf("Compile error %v names no file", err)
				}
				return
			}
			if _, err := r.ScanMem(data, 5*time.Second); err != nil {
				t.Errorf("ScanMem = %v", err)
			}
		})
	}
}
