package sigma

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rejectCases are rules the engine must reject, with where and why.
var rejectCases = []struct {
	name   string
	yaml   string
	marker string // the line the error must point at holds this text
	reason string // the reason must contain this
}{
	{"unknown modifier", ruleYAML("sel:\n    cs-uri-stem|containz: x\ncondition: sel"), "containz", `unknown modifier "containz"`},
	{"aggregation", ruleYAML("sel:\n    cs-method: POST\ncondition: sel | count() by c-ip > 10"), "count()", "aggregation"},
	{"near", ruleYAML("sel:\n    cs-method: POST\nother:\n    cs-method: GET\ncondition: sel near other"), "near", "'near'"},
	{"unknown identifier", ruleYAML("sel:\n    cs-method: POST\ncondition: sel and filter"), "sel and filter", `unknown search identifier "filter"`},
	{"pattern matches nothing", ruleYAML("sel:\n    cs-method: POST\ncondition: sel and not 1 of filter*"), "1 of filter*", "matches no search identifier"},
	{"bare pattern", ruleYAML("sel:\n    cs-method: POST\ncondition: sel*"), "sel*", "needs '1 of' or 'all of'"},
	{"two of", ruleYAML("sel1:\n    a: b\nsel2:\n    c: d\ncondition: 2 of sel*"), "2 of", "only '1 of' and 'all of'"},
	{"bad syntax", ruleYAML("sel:\n    a: b\ncondition: sel and (sel"), "(sel", "never closed"},
	{"dangling operator", ruleYAML("sel:\n    a: b\ncondition: sel and"), "sel and", "condition ends"},
	{"them only underscore", ruleYAML("_sel:\n    a: b\ncondition: 1 of them"), "1 of them", "'them'"},
	{"too deep", ruleYAML("sel:\n    a: b\ncondition: " + strings.Repeat("(", 100) + "sel" + strings.Repeat(")", 100)), "((", "deeper"},
	{"bad regex", ruleYAML("sel:\n    cs-uri-query|re: '(['\ncondition: sel"), "'(['", "bad regular expression"},
	{"bad cidr", ruleYAML("sel:\n    c-ip|cidr: 10.0.0.300/8\ncondition: sel"), "10.0.0.300", "bad CIDR"},
	{"bad cidr bits", ruleYAML("sel:\n    c-ip|cidr: 10.0.0.0/33\ncondition: sel"), "10.0.0.0/33", "bad CIDR"},
	{"cidr contains", ruleYAML("sel:\n    c-ip|cidr|contains: 10.0.0.0/8\ncondition: sel"), "cidr|contains", "cidr"},
	{"re after contains", ruleYAML("sel:\n    x|contains|re: 'a'\ncondition: sel"), "contains|re", "re must come first"},
	{"re cased", ruleYAML("sel:\n    x|re|cased: 'a'\ncondition: sel"), "re|cased", "cannot follow re"},
	{"i without re", ruleYAML("sel:\n    x|contains|i: 'a'\ncondition: sel"), "contains|i", "sub-modifier of re"},
	{"contains startswith", ruleYAML("sel:\n    x|contains|startswith: 'a'\ncondition: sel"), "contains|startswith", "exclude each other"},
	{"base64 after contains", ruleYAML("sel:\n    x|contains|base64: 'a'\ncondition: sel"), "contains|base64", "must come before"},
	{"base64offset alone", ruleYAML("sel:\n    x|base64offset: 'whoami'\ncondition: sel"), "base64offset", "needs contains"},
	{"base64 wildcard", ruleYAML("sel:\n    x|base64: 'who*'\ncondition: sel"), "who*", "wildcards"},
	{"base64offset too short", ruleYAML("sel:\n    x|base64offset|contains: 'a'\ncondition: sel"), "base64offset", "too short"},
	{"windash after base64", ruleYAML("sel:\n    x|base64|windash: '-a'\ncondition: sel"), "base64|windash", "windash must come before"},
	{"windash too many", ruleYAML("sel:\n    x|windash: '-a-b-c-d-e'\ncondition: sel"), "-a-b-c-d-e", "permutations"},
	{"wide twice", ruleYAML("sel:\n    x|wide|utf16be: 'a'\ncondition: sel"), "wide|utf16be", "exclude each other"},
	{"modifier twice", ruleYAML("sel:\n    x|contains|contains: 'a'\ncondition: sel"), "contains|contains", "twice"},
	{"lt not a number", ruleYAML("sel:\n    x|lt: ten\ncondition: sel"), "ten", "needs a number"},
	{"lt contains", ruleYAML("sel:\n    x|lt|contains: 10\ncondition: sel"), "lt|contains", "takes no other modifier"},
	{"exists not bool", ruleYAML("sel:\n    x|exists: maybe\ncondition: sel"), "maybe", "true or false"},
	{"exists contains", ruleYAML("sel:\n    x|exists|contains: true\ncondition: sel"), "exists|contains", ""},
	{"expand", ruleYAML("sel:\n    c-ip|expand: '%JumpServers%'\ncondition: sel"), "expand", "placeholders"},
	{"keyword startswith", ruleYAML("keywords:\n    '|startswith': 'GET'\ncondition: keywords"), "startswith", "does not apply to keywords"},
	{"empty keyword", ruleYAML("keywords:\n    - ''\ncondition: keywords"), "''", "cannot be empty"},
	{"null with modifier", ruleYAML("sel:\n    x|contains: null\ncondition: sel"), "x|contains", "null value takes no modifiers"},
	{"neq all", ruleYAML("sel:\n    x|neq|all:\n        - a\n        - b\ncondition: sel"), "neq|all", "exclude each other"},
	{"empty list", ruleYAML("sel:\n    x: []\ncondition: sel"), "x: []", "empty"},
	{"map value", ruleYAML("sel:\n    x:\n        y: z\ncondition: sel"), "y: z", "not a map"},
	{"mixed list", ruleYAML("sel:\n    - a\n    - x: b\ncondition: sel"), "- a", "mixes keywords and maps"},
	{"empty identifier", ruleYAML("sel:\ncondition: sel"), "sel:", "is empty"},
	{"duplicate key", ruleYAML("sel:\n    x: a\n    x: b\ncondition: sel"), "x: b", "duplicate key"},
	{"timeframe", ruleYAML("sel:\n    x: a\ntimeframe: 5m\ncondition: sel"), "timeframe", "timeframe"},
	{"no condition", ruleYAML("sel:\n    x: a"), "detection:", "no condition"},
	{"alias", "title: t\nlogsource:\n    category: webserver\ndetection:\n    sel: &a\n        x: a\n    other: *a\n    condition: sel\n", "*a", "aliases"},
	{"logsource process", "title: t\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    sel:\n        Image: x\n    condition: sel\n", "category: process_creation", "logsource category=process_creation product=windows not supported"},
	{"logsource proxy", "title: t\nlogsource:\n    category: proxy\ndetection:\n    sel:\n        c-uri: x\n    condition: sel\n", "category: proxy", "logsource category=proxy not supported"},
	{"logsource apache error", "title: t\nlogsource:\n    product: apache\n    service: error\ndetection:\n    sel:\n        - x\n    condition: sel\n", "product: apache", "not supported"},
	{"no logsource", "title: t\ndetection:\n    sel:\n        x: a\n    condition: sel\n", "title: t", "no logsource"},
	{"no title", "id: 1\nlogsource:\n    category: webserver\ndetection:\n    sel:\n        x: a\n    condition: sel\n", "id: 1", "no title"},
	{"bad level", strings.Replace(ruleYAML("sel:\n    x: a\ncondition: sel"), "level: high", "level: severe", 1), "level: severe", `level "severe"`},
	{"rule collection", "action: global\ntitle: t\nlogsource:\n    category: webserver\n---\ndetection:\n    sel:\n        x: a\n    condition: sel\n", "action: global", "rule collections"},
	{"taxonomy", "title: t\ntaxonomy: ecs\nlogsource:\n    category: webserver\ndetection:\n    sel:\n        url.path: x\n    condition: sel\n", "taxonomy: ecs", `taxonomy "ecs"`},
	{"correlation", "title: t\ncorrelation:\n    type: event_count\n", "correlation:", "correlation rules"},
	{"invalid yaml", "title: t\nlogsource:\n    category: webserver\ndetection:\n  sel: [a\n", "detection:", "invalid YAML"}, // the YAML parser names the enclosing line
	{"not a map", "- a\n- b\n", "- a", "must be a map"},
}

func TestReject(t *testing.T) {
	cases := rejectCases
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := Parse("rules/bad.yml", []byte(tc.yaml))
			if len(rules) != 0 {
				t.Errorf("Parse(%q) loaded %d rules, want 0", tc.yaml, len(rules))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tc.yaml, err)
			}
			if e.File != "rules/bad.yml" {
				t.Errorf("Error.File = %q, want rules/bad.yml", e.File)
			}
			if want := lineOf(tc.yaml, tc.marker); e.Line != want {
				t.Errorf("Error.Line = %d, want %d (%q); error: %v", e.Line, want, tc.marker, e)
			}
			if e.Reason == "" || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("Error.Reason = %q, want it to contain %q", e.Reason, tc.reason)
			}
			if !strings.Contains(e.Error(), "rules/bad.yml:") {
				t.Errorf("Error() = %q, want it to name the file and line", e.Error())
			}
		})
	}
}

func TestRejectNamesRule(t *testing.T) {
	_, err := Parse("x.yml", []byte(ruleYAML("sel:\n    a|nope: b\ncondition: sel")))
	var e *Error
	if !errors.As(err, &e) || e.Rule != "test-1" {
		t.Fatalf("Parse error = %#v, want Rule test-1", err)
	}
	_, err = Parse("x.yml", []byte(strings.Replace(ruleYAML("sel:\n    a|nope: b\ncondition: sel"), "id: test-1\n", "", 1)))
	if !errors.As(err, &e) || e.Rule != "test rule" {
		t.Fatalf("Parse error = %#v, want Rule %q (the title)", err, "test rule")
	}
	want := `x.yml:6: rule "test rule": a|nope: unknown modifier "nope"`
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestLimits(t *testing.T) {
	t.Run("file size", func(t *testing.T) {
		data := []byte(ruleYAML("sel:\n    a: b\ncondition: sel") + "# " + strings.Repeat("x", MaxFileSize) + "\n")
		_, err := Parse("big.yml", data)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Reason, "larger than") {
			t.Fatalf("Parse(big) error = %v, want a size error", err)
		}
	})
	t.Run("values", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("sel:\n    x:\n")
		for i := range MaxValues + 1 {
			fmt.Fprintf(&b, "        - v%d\n", i)
		}
		b.WriteString("condition: sel")
		_, err := Parse("many.yml", []byte(ruleYAML(b.String())))
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Reason, "more than 10000 values") || e.Line == 0 {
			t.Fatalf("Parse(many values) error = %v, want a value-count error with a line", err)
		}
	})
	t.Run("values at the limit", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("sel:\n    x:\n")
		for i := range MaxValues {
			fmt.Fprintf(&b, "        - v%d\n", i)
		}
		b.WriteString("condition: sel")
		if _, err := Parse("many.yml", []byte(ruleYAML(b.String()))); err != nil {
			t.Fatalf("Parse(%d values) error = %v", MaxValues, err)
		}
	})
}

func TestParseSeveralDocuments(t *testing.T) {
	good := ruleYAML("sel:\n    a: b\ncondition: sel")
	bad := strings.Replace(ruleYAML("sel:\n    a|nope: b\ncondition: sel"), "test-1", "test-2", 1)
	third := strings.Replace(good, "test-1", "test-3", 1)
	dup := good
	data := good + "---\n" + bad + "---\n" + third + "---\n" + dup + "---\n"
	rules, err := Parse("multi.yml", []byte(data))
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"test-1", "test-3"}) {
		t.Errorf("Parse loaded %q, want [test-1 test-3]", ids)
	}
	probs := Problems(err)
	if len(probs) != 2 {
		t.Fatalf("Problems(%v) = %d problems, want 2", err, len(probs))
	}
	if probs[0].Rule != "test-2" || !strings.Contains(probs[0].Reason, "unknown modifier") {
		t.Errorf("first problem = %v, want test-2's unknown modifier", probs[0])
	}
	if probs[1].Rule != "test-1" || !strings.Contains(probs[1].Reason, "duplicate rule id") {
		t.Errorf("second problem = %v, want a duplicate id", probs[1])
	}
	// The fourth document starts after the third "---".
	if want := strings.Count(good+"---\n"+bad+"---\n"+third+"---\n", "\n") + 1; probs[1].Line != want {
		t.Errorf("duplicate's line = %d, want %d", probs[1].Line, want)
	}
}

func TestMetadata(t *testing.T) {
	rules, problems, err := LoadDir("testdata/rules")
	if err != nil || len(problems) > 0 {
		t.Fatalf("LoadDir error = %v, problems = %v", err, problems)
	}
	var r *Rule
	for _, x := range rules {
		if x.ID == "0b8f6a52-31c4-4d5e-9f7a-6c1e2d3b4a50" {
			r = x
		}
	}
	if r == nil {
		t.Fatal("ToolShell rule not loaded")
	}
	if r.Title != "SharePoint ToolShell Exploitation Request (CVE-2025-53770/53771)" || r.Status != "experimental" ||
		r.Level != "critical" || r.Severity != SeverityCritical || r.Severity.String() != "critical" ||
		r.Author != "Firebreak" || r.Date != "2025-07-21" || r.Logsource.Category != "webserver" ||
		len(r.References) != 4 || !slices.Contains(r.Tags, "cve.2025-53771") || len(r.FalsePositives) != 1 ||
		!strings.Contains(r.Description, "trailing-slash") || r.Line != 1 ||
		filepath.Base(r.File) != "web_sharepoint_toolpane_exploit_cve_2025_53770.yml" {
		t.Errorf("metadata = %+v", r)
	}
	if got, want := r.Fields(), []string{"cs-method", "cs-referer", "cs-uri-query", "cs-uri-stem"}; !slices.Equal(got, want) {
		t.Errorf("Fields() = %q, want %q", got, want)
	}
	noLevel := mustRule(t, "sel:\n    a: b\ncondition: sel")
	_ = noLevel
	rs, err := Parse("x.yml", []byte(strings.Replace(ruleYAML("sel:\n    a: b\ncondition: sel"), "level: high\n", "", 1)))
	if err != nil || rs[0].Severity != SeverityMedium || rs[0].Level != "" {
		t.Errorf("rule without level: Severity = %v, err = %v; want medium", rs[0].Severity, err)
	}
}

func TestLoadDirAndCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := ruleYAML("sel:\n    a: b\ncondition: sel")
	write("a/good.yml", good)
	write("a/b/good2.YAML", strings.Replace(good, "test-1", "test-2", 1))
	write("a/dup.yml", good)
	write("bad.yml", strings.Replace(ruleYAML("sel:\n    a|nope: b\ncondition: sel"), "test-1", "test-3", 1))
	write("notes.txt", "not a rule")
	write(".hidden/skip.yml", "this: [is not loaded")
	write("huge.yml", strings.Repeat("#", MaxFileSize+10))

	rules, problems, err := LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir error = %v", err)
	}
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"test-2", "test-1"}) {
		t.Errorf("LoadDir loaded %q, want [test-2 test-1] (lexical order)", ids)
	}
	var reasons []string
	for _, p := range problems {
		reasons = append(reasons, filepath.Base(p.File)+": "+p.Reason)
	}
	// a/dup.yml comes before a/good.yml, so good.yml's copy is the duplicate.
	want := []string{"good.yml: duplicate rule id", "bad.yml: unknown modifier", "huge.yml: file is larger"}
	if len(reasons) != len(want) {
		t.Fatalf("LoadDir problems = %q, want %d", reasons, len(want))
	}
	for i, w := range want {
		parts := strings.SplitN(w, ": ", 2)
		if !strings.HasPrefix(reasons[i], parts[0]) || !strings.Contains(reasons[i], parts[1]) {
			t.Errorf("problem %d = %q, want %q", i, reasons[i], w)
		}
	}

	n, probs, err := Check(dir)
	if err != nil || n != 2 || len(probs) != 3 {
		t.Errorf("Check(dir) = %d, %d problems, %v; want 2, 3, nil", n, len(probs), err)
	}
	n, probs, err = Check(filepath.Join(dir, "bad.yml"))
	if err != nil || n != 0 || len(probs) != 1 || probs[0].Line != 7 {
		t.Errorf("Check(bad.yml) = %d, %v, %v; want 0, one problem at line 7, nil", n, probs, err)
	}
	n, probs, err = Check("testdata/rules")
	if err != nil || n != 4 || len(probs) != 0 {
		t.Errorf("Check(testdata/rules) = %d, %v, %v; want 4, none, nil", n, probs, err)
	}
	if _, _, err := Check(filepath.Join(dir, "missing")); err == nil {
		t.Error("Check(missing) error = nil, want one")
	}
	if _, _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadDir(missing) error = nil, want one")
	}
}
