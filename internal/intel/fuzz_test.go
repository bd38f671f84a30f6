package intel

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// addFile seeds f with a file from testdata.
func addFile(f *testing.F, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

// fuzzParse parses data in format and checks that nothing goes wrong
// beyond a well-formed error.
func fuzzParse(t *testing.T, data []byte, format Format) {
	res, err := Parse("fuzz.in", bytes.NewReader(data), Options{Format: format, MaxBytes: 1 << 20})
	if err != nil {
		if !strings.Contains(err.Error(), "fuzz.in") {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	checkResult(t, res)
}

func FuzzPlain(f *testing.F) {
	addFile(f, "toolshell.txt")
	for _, tt := range inferTests {
		f.Add([]byte(tt.in + "\n"))
	}
	for _, tt := range parseValueTests {
		f.Add([]byte(tt.in + " # comment\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, Plain)
		// ParseValue agrees with InferType on single lines.
		if bytes.ContainsAny(data, "\n#") {
			return
		}
		s := string(data)
		typ, v, err := ParseValue(s)
		if err == nil {
			if n, nerr := incident.NormalizeIndicator(typ, v); nerr != nil || n != v {
				t.Fatalf("ParseValue(%q) = %s %q, which normalises to %q, %v", s, typ, v, n, nerr)
			}
		} else if err.Error() == "" {
			t.Fatalf("ParseValue(%q): empty error", s)
		}
		if it, ok := InferType(s); ok {
			if _, _, ok := splitPrefix(strings.TrimSpace(s)); !ok && (err != nil || typ != it) {
				t.Fatalf("InferType(%q) = %s but ParseValue = %s, %v", s, it, typ, err)
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	addFile(f, "indicators.csv")
	var b strings.Builder
	b.WriteString("type,value,confidence,tlp,tags,note,first_seen,last_seen,expires\n")
	for _, tt := range parseValueTests {
		typ, val, ok := strings.Cut(tt.in, ":")
		if !ok {
			typ, val = "", tt.in
		}
		b.WriteString(typ + ",\"" + strings.ReplaceAll(val, `"`, `""`) + "\",50,amber,a;b,,2025-07-18,,\n")
	}
	f.Add([]byte(b.String()))
	f.Add([]byte("TYPE;VALUE\nipv4;192.0.2.1\n"))
	f.Add([]byte("# c\n\ntype\tvalue\n,example.com\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, CSV)
	})
}

func FuzzSTIX(f *testing.F) {
	addFile(f, "toolshell.stix.json")
	for _, tt := range patternTests[:20] {
		q, _ := json.Marshal(tt.pattern)
		f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":` + string(q) +
			`,"confidence":50,"labels":["a"],"valid_from":"2025-07-18T00:00:00Z","object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]}]}`))
	}
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"marking-definition","id":"m","name":"TLP:RED"},{"type":"indicator","pattern":"[file:name = 'a.exe']","object_marking_refs":["m"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, data, STIX)
	})
}

func FuzzSTIXPattern(f *testing.F) {
	for _, tt := range patternTests {
		if len(tt.pattern) < 4096 {
			f.Add(tt.pattern)
		}
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		vals, problems := extractPattern(pattern)
		for _, v := range vals {
			n, err := incident.NormalizeIndicator(v.Type, v.Value)
			if err != nil || n != v.Value {
				t.Fatalf("extractPattern(%q) gave %s %q, which normalises to %q, %v", pattern, v.Type, v.Value, n, err)
			}
			ind := incident.Indicator{Type: v.Type, Value: v.Value, TLP: incident.TLPAmber, Tags: []string{}}
			if err := ind.Validate(); err != nil {
				t.Fatalf("extractPattern(%q) gave %s %q, which fails Validate: %v", pattern, v.Type, v.Value, err)
			}
		}
		for _, p := range problems {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("extractPattern(%q) gave an empty problem", pattern)
			}
		}
		if len(vals) == 0 && len(problems) == 0 {
			t.Fatalf("extractPattern(%q) gave neither values nor problems", pattern)
		}
	})
}
