package sigma

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"regexp"
	"testing"
	"unicode/utf8"
)

// naiveMatch is a reference matcher for patterns: plain backtracking where
// '*' tries every character boundary and '?' takes one character.
func naiveMatch(p pattern, v []byte, fold bool) bool {
	if len(p) == 0 {
		return len(v) == 0
	}
	t := p[0]
	switch t.wild {
	case '*':
		for i := 0; ; {
			if naiveMatch(p[1:], v[i:], fold) {
				return true
			}
			if i == len(v) {
				return false
			}
			_, w := utf8.DecodeRune(v[i:])
			i += w
		}
	case '?':
		if len(v) == 0 {
			return false
		}
		_, w := utf8.DecodeRune(v)
		return naiveMatch(p[1:], v[w:], fold)
	}
	if len(v) < len(t.lit) {
		return false
	}
	if fold {
		if !bytes.Equal(lowerCopy(v[:len(t.lit)]), lowerCopy(t.lit)) {
			return false
		}
	} else if !bytes.Equal(v[:len(t.lit)], t.lit) {
		return false
	}
	return naiveMatch(p[1:], v[len(t.lit):], fold)
}

func randString(rng *rand.Rand, alphabet []string, max int) string {
	var s string
	for range rng.IntN(max + 1) {
		s += alphabet[rng.IntN(len(alphabet))]
	}
	return s
}

// TestPatternAgainstReference compares compiled patterns (literal searches,
// and regular expressions for '?') with the reference matcher on random
// patterns and values.
func TestPatternAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patAlpha := []string{"a", "A", "b", "B", "-", "/", "\u00e9", "*", "?", "\\", "ab", "ba"}
	valAlpha := []string{"a", "A", "b", "B", "-", "/", "\u00e9", "\\", "*", "?"}
	n := 30000
	if testing.Short() {
		n = 3000
	}
	for range n {
		src := randString(rng, patAlpha, 7)
		v := []byte(randString(rng, valAlpha, 9))
		fold := rng.IntN(2) == 0
		before, after := rng.IntN(2) == 0, rng.IntN(2) == 0
		p := parseValue(src).wrap(before, after)
		m, err := compilePattern(p, fold)
		if err != nil {
			t.Fatalf("compilePattern(%q) error: %v", src, err)
		}
		if got, want := m.match(v), naiveMatch(p, v, fold); got != want {
			t.Fatalf("pattern %q (contains=%v/%v, fold=%v): match(%q) = %v, want %v", src, before, after, fold, v, got, want)
		}
	}
}

// TestNeedleIndex compares the case-insensitive search with a naive one.
func TestNeedleIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alpha := []string{"a", "A", "b", "B", "c", "=", "/", "\u00e9", "1"}
	for range 50000 {
		h := []byte(randString(rng, alpha, 12))
		s := []byte(randString(rng, alpha, 4))
		fold := rng.IntN(3) > 0
		n := newNeedle(s, fold)
		want := -1
		for i := 0; i+len(s) <= len(h); i++ {
			if fold && bytes.Equal(lowerCopy(h[i:i+len(s)]), lowerCopy(s)) || !fold && bytes.Equal(h[i:i+len(s)], s) {
				want = i
				break
			}
		}
		if got := n.index(h); got != want {
			t.Fatalf("needle %q (fold=%v).index(%q) = %d, want %d", s, fold, h, got, want)
		}
	}
}

// TestMatchAllocations checks that Match does not allocate.
func TestMatchAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	var rules []*Rule
	for _, d := range soundnessRules {
		rules = append(rules, mustRule(t, d))
	}
	for _, r := range loadTestRules(t) {
		rules = append(rules, r)
	}
	rules = append(rules,
		mustRule(t, "sel:\n    time-taken|gt: 100\n    sc-bytes|lte: 1.5e6\ncondition: sel"),
		mustRule(t, "sel:\n    c-ip|cidr:\n        - '2001:db8::/32'\n        - 10.0.0.0/8\ncondition: sel"),
		mustRule(t, "sel:\n    cs-host|fieldref: s-computername\ncondition: sel"),
		mustRule(t, "sel:\n    cs-uri-stem: '/a/?/b*'\ncondition: sel"),
	)
	events := []*testEvent{
		iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", "/_layouts/SignOut.aspx", "200"),
		iis("GET", "/_layouts/15/spinstall0.aspx", "c=cmd.exe+/c+whoami", "", "200"),
		iis("GET", "/a/x/b", "p="+b64(wide("IEX (x)")), "", "404", "cs-host", "SP", "s-computername", "sp", "sc-bytes", "1000"),
		ev("c-ip", "2001:db8::1", "time-taken", "1234", "cs-uri-query", "x=12&act=upload&f=abc"),
		ev("c-ip", "10.2.3.4", "cs-uri-query", "select * from x UNION SELECT 1"),
	}
	for _, r := range rules {
		for _, e := range events {
			if allocs := testing.AllocsPerRun(20, func() { r.Match(e) }); allocs != 0 {
				t.Errorf("rule %q: Match(%q) allocates %.1f times, want 0", r.Title, e.raw, allocs)
			}
		}
	}
}

func TestLower8(t *testing.T) {
	for c := range 256 {
		for _, pos := range []int{0, 3, 7} {
			var b [8]byte
			for i := range b {
				b[i] = byte(255 - c + i)
			}
			b[pos] = byte(c)
			var want [8]byte
			for i := range b {
				want[i] = lower[b[i]]
			}
			got := lower8(binary.LittleEndian.Uint64(b[:]))
			if got != binary.LittleEndian.Uint64(want[:]) {
				t.Fatalf("lower8(%q) = %x, want %q", b, got, want)
			}
		}
	}
}

// TestRegexpFoldRewrite checks that rewriting (?i) literals to ASCII case
// classes keeps the meaning of regular expressions on ASCII text.
func TestRegexpFoldRewrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "B", "k", "s", "x", "(", ")", "|", "*", "+", "?", ".", "^", "$", "[a-c]", "[^k]", "\\.", "{1,2}", "\\b", "\n", "ab", "Ks"}
	flagSets := []string{"i", "im", "is", "ims", ""}
	n := 4000
	if raceEnabled || testing.Short() {
		n = 300 // compiling regular expressions is slow under the race detector
	}
	for range n {
		src := randString(rng, pieces, 8)
		flags := flagSets[rng.IntN(len(flagSets))]
		full := src
		if flags != "" {
			full = "(?" + flags + ")" + src
		}
		orig, err := regexp.Compile(full)
		if err != nil {
			continue
		}
		re, _, err := compileRegexp(src, flags)
		if err != nil {
			t.Fatalf("compileRegexp(%q, %q) error: %v (the original compiles)", src, flags, err)
		}
		for range 10 {
			v := randString(rng, []string{"a", "A", "b", "B", "k", "K", "s", "S", "x", ".", "\n", " "}, 6)
			if got, want := re.MatchString(v), orig.MatchString(v); got != want {
				t.Fatalf("regexp %q flags %q (rewritten %q): match(%q) = %v, want %v", src, flags, re, v, got, want)
			}
		}
	}
}
