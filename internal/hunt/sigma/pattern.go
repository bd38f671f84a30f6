package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// token is one piece of a Sigma string value after escape processing: a
// literal run of bytes or a wildcard.
type token struct {
	wild byte // 0 for a literal, '*' or '?'
	lit  []byte
}

// pattern is a Sigma string value as tokens.
type pattern []token

// parseValue splits a plain Sigma value into literals and wildcards,
// following the specification's escaping rules: a backslash escapes '*', '?'
// and '\' (so "\*" is a plain star and "\\" a plain backslash); a backslash
// before any other character is itself plain.
func parseValue(s string) pattern {
	var p pattern
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			p = append(p, token{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit = append(lit, s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			p = append(p, token{wild: c})
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return p
}

// literalPattern is a pattern of the bytes b, wildcards included as plain
// characters.
func literalPattern(b []byte) pattern {
	if len(b) == 0 {
		return nil
	}
	return pattern{{lit: b}}
}

func (p pattern) hasWildcards() bool {
	for _, t := range p {
		if t.wild != 0 {
			return true
		}
	}
	return false
}

func (p pattern) hasQuestion() bool {
	for _, t := range p {
		if t.wild == '?' {
			return true
		}
	}
	return false
}

// bytes returns the concatenated literal bytes of a wildcard-free pattern.
func (p pattern) bytes() []byte {
	var b []byte
	for _, t := range p {
		b = append(b, t.lit...)
	}
	return b
}

// wrap adds a leading and/or trailing '*' and normalises: adjacent literals
// are merged and runs of '*' collapse to one.
func (p pattern) wrap(before, after bool) pattern {
	var q pattern
	add := func(t token) {
		n := len(q)
		switch {
		case t.wild == 0 && len(t.lit) == 0:
		case t.wild == 0 && n > 0 && q[n-1].wild == 0:
			q[n-1].lit = append(q[n-1].lit[:len(q[n-1].lit):len(q[n-1].lit)], t.lit...)
		case t.wild == '*' && n > 0 && q[n-1].wild == '*':
		default:
			q = append(q, t)
		}
	}
	if before {
		add(token{wild: '*'})
	}
	for _, t := range p {
		add(t)
	}
	if after {
		add(token{wild: '*'})
	}
	return q
}

// The characters the windash modifier treats as interchangeable.
var dashes = [...]string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxWindashVariants bounds the permutations one value may expand to
// (5^4: four dash characters).
const maxWindashVariants = 625

// dashAt returns the length of the dash character at s[i:], or 0.
func dashAt(s []byte, i int) int {
	for _, d := range dashes {
		if strings.HasPrefix(string(s[i:]), d) {
			return len(d)
		}
	}
	return 0
}

// windash expands every '-', '/', '–', '—' and '―' in the literal parts of p
// into all five, giving every permutation.
func windash(p pattern) ([]pattern, error) {
	k := 0
	for _, t := range p {
		for i := 0; i < len(t.lit); {
			if n := dashAt(t.lit, i); n > 0 {
				k++
				i += n
			} else {
				i++
			}
		}
	}
	total := 1
	for range k {
		total *= len(dashes)
		if total > maxWindashVariants {
			return nil, fmt.Errorf("windash: the value has %d dash characters, more than the %d permutations allowed", k, maxWindashVariants)
		}
	}
	out := make([]pattern, 0, total)
	for v := range total {
		digits := v
		q := make(pattern, len(p))
		for ti, t := range p {
			q[ti] = t
			if t.wild != 0 {
				continue
			}
			var b []byte
			for i := 0; i < len(t.lit); {
				if n := dashAt(t.lit, i); n > 0 {
					b = append(b, dashes[digits%len(dashes)]...)
					digits /= len(dashes)
					i += n
				} else {
					b = append(b, t.lit[i])
					i++
				}
			}
			q[ti].lit = b
		}
		out = append(out, q)
	}
	return out, nil
}

// utf16Encoding names the wide-string encodings.
type utf16Encoding uint8

const (
	utf16LE  utf16Encoding = iota + 1 // utf16le, wide
	utf16BE                           // utf16be
	utf16BOM                          // utf16: little-endian with a byte order mark
)

// encodeUTF16 encodes the literal parts of p as UTF-16; wildcards stay.
func encodeUTF16(p pattern, enc utf16Encoding) (pattern, error) {
	q := make(pattern, 0, len(p)+1)
	if enc == utf16BOM {
		q = append(q, token{lit: []byte{0xFF, 0xFE}})
	}
	for _, t := range p {
		if t.wild != 0 {
			q = append(q, t)
			continue
		}
		if !utf8.Valid(t.lit) {
			return nil, errors.New("the value is not valid UTF-8 and cannot be encoded as UTF-16")
		}
		var b []byte
		for _, u := range utf16.Encode([]rune(string(t.lit))) {
			if enc == utf16BE {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		q = append(q, token{lit: b})
	}
	return q.wrap(false, false), nil
}

// encodeBase64 is the base64 modifier: the value's standard, padded Base64
// encoding.
func encodeBase64(p pattern) (pattern, error) {
	if p.hasWildcards() {
		return nil, errors.New("base64: a value with wildcards cannot be encoded (escape them as \\* and \\?)")
	}
	return literalPattern([]byte(base64.StdEncoding.EncodeToString(p.bytes()))), nil
}

// encodeBase64Offset is the base64offset modifier. The value may sit at any
// byte offset of a longer encoded text, which shifts its encoding in three
// ways; for each shift the variant keeps only the Base64 characters whose six
// bits all come from the value's own bytes, so it occurs in the encoding of
// any text that contains the value at that shift.
func encodeBase64Offset(p pattern) ([]pattern, error) {
	if p.hasWildcards() {
		return nil, errors.New("base64offset: a value with wildcards cannot be encoded (escape them as \\* and \\?)")
	}
	v := p.bytes()
	out := make([]pattern, 0, 3)
	for shift := range 3 {
		buf := make([]byte, shift+len(v))
		copy(buf[shift:], v)
		enc := base64.RawStdEncoding.EncodeToString(buf)
		first, last := -1, -1
		for j := range len(enc) {
			lo, hi := 6*j/8, (6*j+5)/8
			if lo >= shift && hi <= shift+len(v)-1 {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		if first < 0 {
			return nil, fmt.Errorf("base64offset: the value %q is too short to have a stable encoding at every offset", v)
		}
		out = append(out, literalPattern([]byte(enc[first:last+1])))
	}
	return out, nil
}

// strMatcher matches a value against one compiled pattern.
type strMatcher struct {
	kind       uint8 // smEqual, smGlob or smRegex
	equal      needle
	head, tail needle   // smGlob: anchored prefix and suffix, either may be empty
	mids       []needle // smGlob: literals found in order between head and tail
	re         *regexp.Regexp
}

const (
	smEqual uint8 = iota + 1
	smGlob
	smRegex
)

// compilePattern compiles a pattern; fold selects case-insensitive matching.
// Patterns with only '*' wildcards become a sequence of literal searches;
// patterns with '?' become a regular expression.
func compilePattern(p pattern, fold bool) (strMatcher, error) {
	p = p.wrap(false, false)
	if p.hasQuestion() {
		re, err := globRegexp(p, fold)
		if err != nil {
			return strMatcher{}, err
		}
		return strMatcher{kind: smRegex, re: re}, nil
	}
	if !p.hasWildcards() {
		return strMatcher{kind: smEqual, equal: newNeedle(p.bytes(), fold)}, nil
	}
	m := strMatcher{kind: smGlob}
	// Split at the stars: segment 0 is the head, the last the tail.
	var segs [][]byte
	cur := []byte{}
	for _, t := range p {
		if t.wild == '*' {
			segs = append(segs, cur)
			cur = []byte{}
			continue
		}
		cur = append(cur, t.lit...)
	}
	segs = append(segs, cur)
	m.head = newNeedle(segs[0], fold)
	m.tail = newNeedle(segs[len(segs)-1], fold)
	for _, s := range segs[1 : len(segs)-1] {
		m.mids = append(m.mids, newNeedle(s, fold))
	}
	return m, nil
}

// globRegexp translates a pattern with '?' into an equivalent regular
// expression: '?' is one character, '*' any run, and letters match either
// ASCII case when fold is set (the same folding as the rest of the package,
// not Unicode's).
func globRegexp(p pattern, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)")
	if len(p) == 0 || p[0].wild != '*' {
		b.WriteString("^")
	}
	for _, t := range p {
		switch t.wild {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			if !utf8.Valid(t.lit) {
				return nil, errors.New("a '?' wildcard cannot be combined with a value that is not valid UTF-8 after encoding")
			}
			for _, r := range string(t.lit) {
				if fold && r < utf8.RuneSelf && isLetter(byte(r)) {
					lc := lower[byte(r)]
					fmt.Fprintf(&b, "[%c%c]", lc, lc-('a'-'A'))
					continue
				}
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
	}
	if len(p) == 0 || p[len(p)-1].wild != '*' {
		b.WriteString("$")
	}
	return regexp.Compile(b.String())
}

func (m *strMatcher) match(v []byte) bool {
	switch m.kind {
	case smEqual:
		return m.equal.equal(v)
	case smGlob:
		if len(v) < len(m.head.s)+len(m.tail.s) || !m.head.hasPrefix(v) || !m.tail.hasSuffix(v) {
			return false
		}
		rest := v[len(m.head.s) : len(v)-len(m.tail.s)]
		for i := range m.mids {
			j := m.mids[i].index(rest)
			if j < 0 {
				return false
			}
			rest = rest[j+len(m.mids[i].s):]
		}
		return true
	case smRegex:
		return m.re.Match(v)
	}
	return false
}
