//go:build cgo

package yara

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// maxFuzzRule bounds fuzzed rule text (see FuzzCompile).
const maxFuzzRule = 16 << 10

// FuzzCompile feeds arbitrary rule text to Compile: it must neither panic
// nor crash the process in libyara, and must either compile or explain the
// rejection with an *Error naming the file. What compiles is run once over
// a small buffer with a timeout.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		`rule a { condition: true }`,
		`rule a { strings: $a = "x" ascii wide nocase fullword condition: #a > 1 and @a[1] < 10 }`,
		`rule a { strings: $h = { 4D 5A [2-4] ?? 0? ( 01 | 02 ) } condition: $h at 0 }`,
		`rule a { strings: $r = /a(b|c)*d{1,3}\s\bx/is condition: for any i in (1..#r) : (@r[i] > 0) }`,
		`import "math" rule a { condition: math.entropy(0, filesize) > 7.0 }`,
		`import "pe" rule a { condition: pe.number_of_sections > 1 }`,
		`private global rule a : t { meta: x = 1 y = "s" z = false condition: uint16(0) == 0x5A4D }`,
		"rule a {\n condition:\n  $nope\n}\n",
		`include "x.yar"`,
		`rule a { condition: (-9223372036854775807 - 1) \ -1 == 0 }`,
		`rule a { condition: filesize % 4 == 0 and filesize \ (2) > 1 and (1 << 63) \ 7 < 0 }`,
		`rule a { strings: $a = "%\\" $r = /\/%/ condition: $a and $r }`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(builtinPath); err == nil {
		f.Add(b)
	}
	samples, _ := filepath.Glob("testdata/malicious/*.aspx")
	var data []byte
	if len(samples) > 0 {
		data, _ = os.ReadFile(samples[0])
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > maxFuzzRule {
			return
		}
		r, err := Compile(map[string][]byte{"fuzz.yar": src})
		if err != nil {
			probs := Problems(err)
			if len(probs) == 0 {
				t.Fatalf("Compile error %v holds no *Error", err)
			}
			for _, p := range probs {
				if p.File != "fuzz.yar" || p.Reason == "" {
					t.Fatalf("Compile problem %#v lacks the file or a reason", p)
				}
			}
			return
		}
		if _, err := r.ScanMem(data, time.Second); err != nil && r.Len() == 0 {
			t.Fatalf("ScanMem with no rules = %v", err)
		}
	})
}
