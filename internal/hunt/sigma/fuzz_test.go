package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary YAML to Parse: it must not panic, and must
// either load rules or explain each rejection with an *Error.
func FuzzParse(f *testing.F) {
	for _, tc := range rejectCases {
		f.Add([]byte(tc.yaml))
	}
	for _, d := range soundnessRules {
		f.Add([]byte(ruleYAML(d)))
	}
	files, _ := filepath.Glob("testdata/rules/*/*.yml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	e := iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit", "/_layouts/SignOut.aspx", "200")
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Parse("fuzz.yml", data)
		if err != nil {
			probs := Problems(err)
			if len(probs) == 0 {
				t.Fatalf("Parse error %v holds no *Error", err)
			}
			for _, p := range probs {
				if p.File != "fuzz.yml" || p.Reason == "" {
					t.Fatalf("Parse problem %#v lacks a file or reason", p)
				}
			}
			var one *Error
			if !errors.As(err, &one) {
				t.Fatalf("errors.As(%v, *Error) = false", err)
			}
		}
		for _, r := range rules {
			if r.Title == "" || r.cond == nil {
				t.Fatalf("loaded rule %+v has no title or condition", r)
			}
			matched := r.Match(e)
			if lits, ok := r.Literals(); ok && matched && !containsLiteral(e.raw, lits) {
				t.Fatalf("Literals() = %q, none in matching line %q", lits, e.raw)
			}
		}
	})
}

// conditionDets are the fixed search identifiers FuzzCondition parses
// conditions against.
func conditionDets(t testing.TB) []*detection {
	r := mustRule(t, `sel_a:
    fa|contains: 'alpha'
sel_b:
    fb: 'bravo'
filter_c:
    fc|startswith: 'charlie'
_d:
    fd|cidr: 10.0.0.0/8
keywords:
    - 'echo'
condition: sel_a`)
	return r.dets
}

// FuzzCondition parses arbitrary condition strings against fixed search
// identifiers: no panic; a condition that parses evaluates, and its
// literals hold on every event it matches.
func FuzzCondition(f *testing.F) {
	for _, c := range []string{
		"sel_a", "sel_a and sel_b or filter_c", "not (sel_a or keywords)", "1 of sel_*", "all of them",
		"any of them and not 1 of filter*", "1 of _*", "all of *", "sel_a | count() > 5", "sel_a near sel_b",
		"((sel_a) and (not sel_b))", "2 of sel*", "them", "sel_a and", "(", ")", "not", "1 of", "all of x*",
		"NOT sel_a AND keywords OR _d", "sel_a\tand\nsel_b",
	} {
		f.Add(c)
	}
	dets := conditionDets(f)
	var events []*testEvent
	for mask := range 32 {
		kv := []string{}
		vals := []string{"xalphax", "bravo", "charlie-1", "10.1.2.3", ""}
		for i, name := range []string{"fa", "fb", "fc", "fd"} {
			if mask&(1<<i) != 0 {
				kv = append(kv, name, vals[i])
			} else {
				kv = append(kv, name, "zulu")
			}
		}
		e := ev(kv...)
		if mask&16 != 0 {
			e.raw = append(e.raw, " echo"...)
		}
		events = append(events, e)
	}
	f.Fuzz(func(t *testing.T, cond string) {
		n, err := parseCondition(cond, dets)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		r := &Rule{cond: n, dets: dets}
		for esc := range numEscapings {
			r.lits[esc] = condLits(n, esc).normalize()
		}
		// The events' raw lines are IIS-style: both escapings apply.
		for esc := range numEscapings {
			lits, ok := r.LiteralsFor(esc)
			for _, e := range events {
				if r.Match(e) && ok && !containsLiteral(e.raw, lits) {
					t.Fatalf("condition %q: LiteralsFor(%d) = %q, none in matching line %q", cond, esc, lits, e.raw)
				}
			}
		}
	})
}

// FuzzMatch evaluates the test rules on random events whose raw line
// writes the fields in one of the log formats' escaping styles: no panic,
// and a rule that matches has one of its literals in the raw line.
func FuzzMatch(f *testing.F) {
	f.Add("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", "Mozilla/5.0 (Windows NT 10.0)", "/_layouts/SignOut.aspx", "200", "107.191.58.76", uint8(0))
	f.Add("GET", "/_layouts/16/spinstall0.aspx", "", "curl/8.0", "", "200", "::ffff:10.0.0.1", uint8(1))
	f.Add("GET", "/uploads/s.aspx", "c=cmd.exe+/c+whoami", "-", "", "404", "10.0.0.1", uint8(2))
	f.Add("GET", "/s.aspx", "p="+b64(wide("IEX (New-Object")), "x", "y", "500", "2001:db8::1", uint8(0))
	f.Add("GET", "/s.aspx", "c=powershell \u2013enc AAA", "\"quoted\" \\ agent", "a/b", "200", "1.1.1.1", uint8(2))
	var rules []*Rule
	for _, d := range soundnessRules {
		rules = append(rules, mustRule(f, d))
	}
	for _, r := range loadTestRules(f) {
		rules = append(rules, r)
	}
	f.Fuzz(func(t *testing.T, method, stem, query, ua, referer, status, ip string, style uint8) {
		kv := []string{"cs-method", method, "cs-uri-stem", stem, "cs-uri-query", query,
			"cs-user-agent", ua, "cs-referer", referer, "sc-status", status, "c-ip", ip}
		e := &testEvent{}
		var raw []string
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "-" {
				raw = append(raw, "-") // absent, as logs write it
				continue
			}
			e.names = append(e.names, kv[i])
			e.values = append(e.values, []byte(kv[i+1]))
			raw = append(raw, escape(int(style%3), kv[i+1]))
		}
		e.raw = []byte(strings.Join(raw, " "))
		for _, r := range rules {
			if !r.Match(e) {
				continue
			}
			if lits, ok := r.Literals(); ok && !containsLiteral(e.raw, lits) {
				t.Fatalf("rule %q: Literals() = %q, none in the raw line %q of matching event %q", r.Title, lits, e.raw, e.String())
			}
			if style%3 == 2 {
				continue // JSON: only EscapeAny applies
			}
			if lits, ok := r.LiteralsFor(EscapeLine); ok && !containsLiteral(e.raw, lits) {
				t.Fatalf("rule %q: LiteralsFor(EscapeLine) = %q, none in the IIS/NCSA raw line %q of matching event %q", r.Title, lits, e.raw, e.String())
			}
		}
	})
}

// FuzzPattern compares compiled plain values (wildcards, escapes,
// contains/startswith/endswith, case folding) with the reference matcher.
func FuzzPattern(f *testing.F) {
	f.Add("/_layouts/1?/*.aspx", "/_layouts/16/x/spinstall0.aspx", uint8(0))
	f.Add(`a\*b\\*c\?`, `A*B\xxC?`, uint8(1))
	f.Add("*ab*ba*", "xxABxBAx", uint8(2))
	f.Add("é?-", "É\u2013-", uint8(3))
	f.Fuzz(func(t *testing.T, src, v string, mode uint8) {
		if len(src) > 64 || len(v) > 256 || !utf8.ValidString(src) || !utf8.ValidString(v) {
			return
		}
		fold, before, after := mode&1 != 0, mode&2 != 0, mode&4 != 0
		p := parseValue(src).wrap(before, after)
		m, err := compilePattern(p, fold)
		if err != nil {
			t.Fatalf("compilePattern(%q) error: %v", src, err)
		}
		if got, want := m.match([]byte(v)), naiveMatch(p, []byte(v), fold); got != want {
			t.Fatalf("pattern %q (mode %d): match(%q) = %v, want %v", src, mode, v, got, want)
		}
	})
}
