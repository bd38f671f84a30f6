package sigma

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// soundnessRules are detections exercising every construct that yields
// literals (and some that do not), for the soundness test.
var soundnessRules = []string{
	"sel:\n    cs-method: POST\n    cs-uri-stem|contains: '/_layouts/15/ToolPane.aspx'\ncondition: sel",
	"sel:\n    cs-uri-stem|startswith: '/_vti_bin/'\nfilter:\n    sc-status: 404\ncondition: sel and not filter",
	"sel:\n    cs-uri-query|contains|all:\n        - 'cmd'\n        - 'a b'\ncondition: sel",
	"sel:\n    cs-uri-stem|endswith:\n        - '.asp'\n        - '.aspx'\n        - '.ashx'\ncondition: sel",
	"sel:\n    cs-user-agent|contains: 'Firefox/120.0'\n    cs-referer|endswith: '/SignOut.aspx'\ncondition: sel",
	"sel:\n    cs-uri-stem: '/_layouts/1?/*.aspx'\ncondition: sel",
	"sel:\n    cs-uri-query|re: 'c=(cmd|powershell)\\.exe'\ncondition: sel",
	"sel:\n    cs-uri-query|re|i: 'act=(up|down)load&f=[a-z]+'\ncondition: sel",
	"sel:\n    cs-uri-query|re: '^x=[0-9]+$'\ncondition: sel",
	"sel:\n    cs-uri-query|windash|contains: ' -enc '\ncondition: sel",
	"sel:\n    cs-uri-query|base64offset|contains: 'whoami /all'\ncondition: sel",
	"sel:\n    cs-uri-query|wide|base64offset|contains: 'IEX ('\ncondition: sel",
	"sel:\n    cs-uri-query|base64|contains: 'cmd /c'\ncondition: sel",
	"sel:\n    cs-uri-query|cased|contains: 'Edit'\ncondition: sel",
	"keywords:\n    - 'UNION SELECT'\n    - '@@version'\n    - 'select * from'\ncondition: keywords",
	"keywords:\n    '|all':\n        - 'a \"q\"'\n        - 'b\\c'\ncondition: keywords",
	"keywords:\n    '|re|i': 'union\\s+select'\ncondition: keywords",
	"sel1:\n    cs-method: GET\nsel2:\n    cs-uri-query|contains: 'shell'\ncondition: 1 of sel*",
	"sel1:\n    cs-method: GET\nsel2:\n    cs-uri-query|contains: 'shell'\ncondition: all of them",
	"sel:\n    - cs-uri-stem|contains: 'spinstall'\n    - cs-uri-stem|re|i: 'ghostfile[0-9]*\\.aspx'\ncondition: sel",
	"sel:\n    c-ip|cidr: 10.0.0.0/8\nsel2:\n    cs-uri-query|contains: 'x=1'\ncondition: sel or sel2",
	"sel:\n    cs-username: null\n    cs-uri-stem|contains: 'admin'\ncondition: sel",
	"sel:\n    cs-uri-query|contains: 'caf\u00e9 /x'\ncondition: sel",
	"sel:\n    cs-uri-stem|contains: '\\\\evil'\ncondition: sel",
	"sel:\n    cs-uri-stem|contains: 'admin'\ncondition: not sel",
	"sel:\n    cs-method: GET\nfilter:\n    cs-uri-stem|contains: '/healthcheck'\ncondition: sel and not filter",
}

// detVocab collects the values a rule's detection names, by field ("" for
// keywords), with the modifiers they were written under.
type vocabEntry struct {
	value string
	mods  []string
}

func detVocab(t testing.TB, data []byte) map[string][]vocabEntry {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	_, det := lookup(doc.Content[0], "detection")
	vocab := map[string][]vocabEntry{}
	addMap := func(m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			parts := strings.Split(m.Content[i].Value, "|")
			v := m.Content[i+1]
			vals := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				vals = v.Content
			}
			for _, x := range vals {
				if x.Kind == yaml.ScalarNode && !isNull(x) {
					vocab[parts[0]] = append(vocab[parts[0]], vocabEntry{x.Value, parts[1:]})
				}
			}
		}
	}
	for i := 0; i+1 < len(det.Content); i += 2 {
		if det.Content[i].Value == "condition" {
			continue
		}
		v := det.Content[i+1]
		switch v.Kind {
		case yaml.MappingNode:
			addMap(v)
		case yaml.SequenceNode:
			for _, el := range v.Content {
				if el.Kind == yaml.MappingNode {
					addMap(el)
				} else {
					vocab[""] = append(vocab[""], vocabEntry{el.Value, nil})
				}
			}
		case yaml.ScalarNode:
			vocab[""] = append(vocab[""], vocabEntry{v.Value, nil})
		}
	}
	return vocab
}

// gen makes random events for one rule: fields built from the rule's own
// values (wildcards filled, encodings applied, case flipped) mixed with
// junk, and a raw line that writes them in one of the escaping styles of
// the supported log formats.
type gen struct {
	rng   *rand.Rand
	vocab map[string][]vocabEntry
}

const junkChars = "abcXYZ019 /\\\"'+%=&<>-_.:é\u2013\t"

func (g *gen) junk(n int) string {
	var b strings.Builder
	rs := []rune(junkChars)
	for range g.rng.IntN(n + 1) {
		b.WriteRune(rs[g.rng.IntN(len(rs))])
	}
	return b.String()
}

func (g *gen) flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if isLetter(c) && g.rng.IntN(2) == 0 {
			b[i] ^= 0x20
		}
	}
	return string(b)
}

// fromValue produces a string the value (under its modifiers) may match.
func (g *gen) fromValue(e vocabEntry) string {
	if slices.Contains(e.mods, "re") {
		re, err := syntax.Parse(e.value, syntax.Perl)
		if err != nil {
			return e.value
		}
		var b strings.Builder
		g.sample(&b, re)
		if slices.Contains(e.mods, "i") {
			return g.flipCase(b.String())
		}
		return b.String()
	}
	var b strings.Builder
	for _, t := range parseValue(e.value) {
		switch t.wild {
		case '*':
			b.WriteString(g.junk(4))
		case '?':
			b.WriteString(g.junk(1) + "x")
		default:
			b.Write(t.lit)
		}
	}
	s := b.String()
	if slices.Contains(e.mods, "windash") {
		var w strings.Builder
		for _, r := range s {
			if r == '-' || r == '/' {
				w.WriteString(dashes[g.rng.IntN(len(dashes))])
			} else {
				w.WriteRune(r)
			}
		}
		s = w.String()
	}
	encoded := slices.Contains(e.mods, "base64") || slices.Contains(e.mods, "base64offset")
	if !slices.Contains(e.mods, "cased") && !encoded {
		s = g.flipCase(s)
	}
	if slices.Contains(e.mods, "wide") {
		s = wide(s)
	}
	if slices.Contains(e.mods, "base64offset") {
		s = base64.StdEncoding.EncodeToString([]byte(g.junk(3) + s + g.junk(3)))
	} else if slices.Contains(e.mods, "base64") {
		s = base64.StdEncoding.EncodeToString([]byte(s))
	}
	return s
}

// sample writes a random string matching a regular expression.
func (g *gen) sample(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) >= 2 {
			i := 2 * g.rng.IntN(len(re.Rune)/2)
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > 100 {
				hi = lo + 100
			}
			b.WriteRune(lo + rune(g.rng.IntN(int(hi-lo)+1)))
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteString("q")
	case syntax.OpCapture:
		g.sample(b, re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			g.sample(b, s)
		}
	case syntax.OpAlternate:
		g.sample(b, re.Sub[g.rng.IntN(len(re.Sub))])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo := map[syntax.Op]int{syntax.OpStar: 0, syntax.OpPlus: 1, syntax.OpQuest: 0}[re.Op]
		if re.Op == syntax.OpRepeat {
			lo = re.Min
		}
		for range lo + g.rng.IntN(3) {
			g.sample(b, re.Sub[0])
		}
	}
}

// escape writes a field value into a raw line in one of the supported
// escaping styles: IIS (space as '+'), NCSA (backslash escapes) or JSON
// (including the optional escapes of '/', '<', '>', '&', the single quote and
// non-ASCII).
func escape(style int, v string) string {
	var b strings.Builder
	for _, r := range v {
		switch style {
		case 0:
			if r == ' ' {
				b.WriteByte('+')
				continue
			}
		case 1:
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			} else if r < 0x20 || r >= 0x7f {
				for _, c := range []byte(string(r)) {
					fmt.Fprintf(&b, `\x%02X`, c)
				}
				continue
			}
		case 2:
			switch {
			case r == '"' || r == '\\' || r == '/':
				b.WriteByte('\\')
			case r < 0x20 || r >= 0x7f || strings.ContainsRune(`<>&'`, r):
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// event returns a random event and the escaping style of its raw line
// (see escape).
func (g *gen) event() (*testEvent, int) {
	e := &testEvent{}
	style := g.rng.IntN(3)
	var raw []string
	for f, entries := range g.vocab {
		if f == "" {
			continue
		}
		var v string
		switch g.rng.IntN(7) {
		case 0:
			continue // absent
		case 1:
			v = ""
		case 2:
			v = g.junk(8)
		case 3:
			// Several of the field's values at once (all, or one
			// selection's contains with another's endswith).
			for _, i := range g.rng.Perm(len(entries)) {
				v += g.junk(2) + g.fromValue(entries[i])
			}
		default:
			v = g.fromValue(entries[g.rng.IntN(len(entries))])
			if g.rng.IntN(2) == 0 {
				v = g.junk(3) + v + g.junk(3)
			}
		}
		if !utf8.ValidString(v) {
			continue // wide values: not a web-log field
		}
		e.names = append(e.names, f)
		e.values = append(e.values, []byte(v))
		raw = append(raw, escape(style, v))
	}
	if kw := g.vocab[""]; len(kw) > 0 && g.rng.IntN(2) == 0 {
		for range 1 + g.rng.IntN(2) {
			raw = append(raw, g.junk(2)+g.fromValue(kw[g.rng.IntN(len(kw))])+g.junk(2))
		}
	}
	g.rng.Shuffle(len(raw), func(i, j int) { raw[i], raw[j] = raw[j], raw[i] })
	e.raw = []byte(strings.Join(raw, " "))
	return e, style
}

// TestLiteralsSound checks the prefilter contract on random events: every
// event a rule matches holds one of its literals in its raw line.
func TestLiteralsSound(t *testing.T) {
	type src struct {
		name string
		data []byte
	}
	var srcs []src
	for i, d := range soundnessRules {
		srcs = append(srcs, src{fmt.Sprintf("synthetic-%02d", i), []byte(ruleYAML(d))})
	}
	for name, r := range loadTestRules(t) {
		data, err := os.ReadFile(r.File)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src{name, data})
	}
	n := 4000
	if testing.Short() {
		n = 500
	}
	for i, s := range srcs {
		t.Run(s.name, func(t *testing.T) {
			rules, err := Parse(s.name, s.data)
			if err != nil {
				t.Fatal(err)
			}
			r := rules[0]
			lits, ok := r.Literals()
			lineLits, lineOK := r.LiteralsFor(EscapeLine)
			g := &gen{rng: rand.New(rand.NewPCG(uint64(i), 7)), vocab: detVocab(t, s.data)}
			matched := 0
			for range n {
				e, style := g.event()
				if !r.Match(e) {
					continue
				}
				matched++
				if ok && !containsLiteral(e.raw, lits) {
					t.Fatalf("Literals() = %q, none in the raw line %q of matching event %q", lits, e.raw, e.String())
				}
				if style != 2 && lineOK && !containsLiteral(e.raw, lineLits) {
					t.Fatalf("LiteralsFor(EscapeLine) = %q, none in the IIS/NCSA raw line %q of matching event %q", lineLits, e.raw, e.String())
				}
			}
			t.Logf("literals %q (ok=%v): %d of %d events matched", lits, ok, matched, n)
			if matched == 0 {
				t.Errorf("no random event matched: the test proves nothing for this rule")
			}
		})
	}
}

func TestLiteralsDerivation(t *testing.T) {
	cases := []struct {
		det  string
		want []string // nil: not ok
	}{
		{"sel:\n    cs-method: POST\n    cs-uri-query|contains: 'DisplayMode=Edit'\ncondition: sel", []string{"displaymode=edit"}},
		{"sel:\n    x|contains:\n        - 'abc'\n        - 'xabcx'\n        - 'def'\ncondition: sel", []string{"abc", "def"}},
		{"sel:\n    x: 'a b/c d'\ncondition: sel", []string{"a"}},
		{"sel:\n    x: '/_layouts/15/ToolPane.aspx'\ncondition: sel", []string{"toolpane.aspx"}},
		{"keywords:\n    - 'a b/c d'\ncondition: keywords", []string{"a b/c d"}},
		{"sel:\n    x: '*'\ncondition: sel", nil},
		{"sel:\n    x: null\ncondition: sel", nil},
		{"sel:\n    x|exists: true\ncondition: sel", nil},
		{"sel:\n    x|neq: abc\ncondition: sel", nil},
		{"sel:\n    x|cidr: 10.0.0.0/8\ncondition: sel", nil},
		{"sel:\n    x|gt: 5\ncondition: sel", nil},
		{"sel:\n    x: abc\ncondition: not sel", nil},
		{"sel:\n    x: abc\nf:\n    y: defgh\ncondition: sel and not f", []string{"abc"}},
		{"sel:\n    x: abc\nf:\n    y|gt: 1\ncondition: sel or f", nil},
		{"sel:\n    x: abc\nf:\n    y|gt: 1\ncondition: sel and f", []string{"abc"}},
		{"sel:\n    x|re: 'c=(cmd|powershell)\\.exe'\ncondition: sel", []string{".exe"}},
		{"sel:\n    x|re: '(cmdx|powershell)'\ncondition: sel", []string{"cmdx", "powershell"}},
		{"sel:\n    x|re: 'a.*'\ncondition: sel", []string{"a"}},
		{"sel:\n    x|re: '[0-9]+'\ncondition: sel", nil},
		{"sel:\n    x|re: '(abc)?def'\ncondition: sel", []string{"def"}},
		{"sel:\n    x|re: '(abcd)+e'\ncondition: sel", []string{"abcd"}},
		{"sel:\n    x|re|i: 'ghostfile'\ncondition: sel", []string{"ghostfile"}},
		{"sel:\n    x|re: 'a/bcd'\ncondition: sel", []string{"bcd"}},
		{"keywords:\n    '|re': 'a/bcd'\ncondition: keywords", []string{"a/bcd"}},
		{"sel:\n    x|windash|contains: ' -enc '\ncondition: sel", []string{"enc"}},
		{"sel:\n    x|base64: 'abc'\ncondition: sel", []string{"ywjj"}},
		{"sel:\n    x|base64offset|contains: 'whoami'\ncondition: sel", []string{"d2hvyw1p", "dob2fta", "3ag9hbw"}},
		{"sel:\n    x|contains|all:\n        - 'ab'\n        - 'abcdef'\ncondition: sel", []string{"abcdef"}},
		{"sel:\n    - x: abc\n    - y|gt: 1\ncondition: sel", nil},
		{"sel:\n    x: 'caf\u00e9s'\ncondition: sel", []string{"caf"}},
		{"keywords:\n    - 'caf\u00e9s'\ncondition: keywords", []string{"caf\u00e9s"}},
	}
	for _, tc := range cases {
		t.Run(tc.det, func(t *testing.T) {
			r := mustRule(t, tc.det)
			lits, ok := r.Literals()
			var got []string
			for _, l := range lits {
				got = append(got, string(l))
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if ok != (tc.want != nil) || !slices.Equal(got, want) {
				t.Errorf("Literals() = %q, %v; want %q, %v", got, ok, want, tc.want != nil)
			}
		})
	}
}

// TestLiteralsForLine checks the literals derived for IIS and NCSA lines,
// which write '/', '<', '>', '&' and the single quote verbatim.
func TestLiteralsForLine(t *testing.T) {
	cases := []struct {
		det       string
		any, line []string // nil: not ok
	}{
		{"sel:\n    x|contains: '=/bin/sh'\ncondition: sel", []string{"bin"}, []string{"=/bin/sh"}},
		{"sel:\n    x: 'a b/c d'\ncondition: sel", []string{"a"}, []string{"b/c"}},
		{"sel:\n    x|contains: '<script>'\ncondition: sel", []string{"script"}, []string{"<script>"}},
		{"sel:\n    x|contains: 'a\"bcdef'\ncondition: sel", []string{"bcdef"}, []string{"bcdef"}},
		{"sel:\n    x|contains: 'ab\\\\cdef'\ncondition: sel", []string{"cdef"}, []string{"cdef"}},
		{"sel:\n    x: 'caf\u00e9s'\ncondition: sel", []string{"caf"}, []string{"caf"}},
		{"sel:\n    x|re: 'a/bcd'\ncondition: sel", []string{"bcd"}, []string{"a/bcd"}},
		{"sel:\n    x|re: \"x='a&b'\"\ncondition: sel", []string{"x="}, []string{"x='a&b'"}},
		{"keywords:\n    - 'a b/c d'\ncondition: keywords", []string{"a b/c d"}, []string{"a b/c d"}},
		{"sel:\n    x|gt: 5\ncondition: sel", nil, nil},
		// An AND keeps the more specific side, not the longer one.
		{"a:\n    x|contains: '/_layouts/'\nb:\n    x|contains: '/ghostfile'\ncondition: a and b", []string{"ghostfile"}, []string{"/ghostfile"}},
		{"a:\n    x|contains: '/_layouts/SignOut.aspx'\nb:\n    x|endswith: '/ToolPane.aspx'\ncondition: a and b", []string{"toolpane.aspx"}, []string{"/toolpane.aspx"}},
	}
	for _, tc := range cases {
		t.Run(tc.det, func(t *testing.T) {
			r := mustRule(t, tc.det)
			for _, c := range []struct {
				esc  Escaping
				want []string
			}{{EscapeAny, tc.any}, {EscapeLine, tc.line}} {
				lits, ok := r.LiteralsFor(c.esc)
				var got []string
				for _, l := range lits {
					got = append(got, string(l))
				}
				slices.Sort(got)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if ok != (c.want != nil) || !slices.Equal(got, want) {
					t.Errorf("LiteralsFor(%d) = %q, %v; want %q, %v", c.esc, got, ok, want, c.want != nil)
				}
			}
		})
	}
	if _, ok := mustRule(t, "sel:\n    x: abc\ncondition: sel").LiteralsFor(numEscapings); ok {
		t.Error("LiteralsFor(an unknown escaping) is ok")
	}
}
