package intel

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// This file reads STIX 2.1 patterns; the package documentation (doc.go)
// says which parts are imported.

// maxPatternDepth bounds the nesting of parentheses and brackets.
const maxPatternDepth = 100

// patternValue is one indicator taken from a pattern, normalised.
type patternValue struct {
	Type  incident.IndicatorType
	Value string
}

// extractPattern returns the indicators pattern names and, for each part
// that cannot be imported, a reason.
func extractPattern(pattern string) ([]patternValue, []string) {
	if len(pattern) > MaxLine {
		return nil, []string{fmt.Sprintf("pattern is %d bytes long, the limit is %d", len(pattern), MaxLine)}
	}
	n, err := parsePattern(pattern)
	if err != nil {
		return nil, []string{"pattern " + err.Error()}
	}
	x := extractor{src: pattern}
	x.obs(n)
	return x.vals, x.problems
}

// ---- lexer ----

type tokKind int

const (
	tEOF tokKind = iota
	tLBrack
	tRBrack
	tLParen
	tRParen
	tComma
	tOp      // = == != <> < <= > >=
	tKeyword // AND OR NOT IN LIKE MATCHES ISSUBSET ISSUPERSET EXISTS FOLLOWEDBY WITHIN SECONDS REPEATS TIMES START STOP
	tPath
	tLiteral
)

type litKind int

const (
	litString litKind = iota
	litInt
	litFloat
	litBool
	litBinary
	litHex
	litTimestamp
)

var litNames = map[litKind]string{litString: "a string", litInt: "an integer", litFloat: "a float", litBool: "a boolean", litBinary: "a binary", litHex: "a hex", litTimestamp: "a timestamp"}

type token struct {
	kind       tokKind
	text       string // keyword in upper case, operator, or raw text
	val        string // decoded string literal
	lit        litKind
	path       objectPath
	start, end int
}

// objectPath is an object type and its property path; quoted steps are
// unquoted, list steps are "[0]" or "[*]".
type objectPath struct {
	typ   string
	steps []string
}

func (p objectPath) String() string { return p.typ + ":" + strings.Join(p.steps, ".") }

var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IN": true, "LIKE": true, "MATCHES": true, "ISSUBSET": true,
	"ISSUPERSET": true, "EXISTS": true, "FOLLOWEDBY": true, "WITHIN": true, "SECONDS": true, "REPEATS": true,
	"TIMES": true, "START": true, "STOP": true,
}

var singleTokens = map[byte]tokKind{'[': tLBrack, ']': tRBrack, '(': tLParen, ')': tRParen, ',': tComma}

type syntaxError struct {
	pos int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("syntax error at offset %d: %s", e.pos, e.msg)
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits a pattern into tokens.
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
		if i == len(s) {
			return append(toks, token{kind: tEOF, start: i, end: i}), nil
		}
		start := i
		c := s[i]
		switch {
		case singleTokens[c] != 0:
			i++
			toks = append(toks, token{kind: singleTokens[c], text: string(c), start: start, end: i})
		case c == '=' || c == '!' || c == '<' || c == '>':
			i += opLen(s[i:])
			op := s[start:i]
			switch op {
			case "!":
				return nil, &syntaxError{start, "'!' must be followed by '='"}
			case "==":
				op = "="
			case "<>":
				op = "!="
			}
			toks = append(toks, token{kind: tOp, text: op, start: start, end: i})
		case c == '\'':
			v, n, err := readString(s[i:], i)
			if err != nil {
				return nil, err
			}
			i += n
			toks = append(toks, token{kind: tLiteral, lit: litString, val: v, text: s[start:i], start: start, end: i})
		case isDigit(c) || (c == '-' || c == '+' || c == '.') && i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '.'):
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
				j++
			}
			num := s[i:j]
			kind := litInt
			if strings.Contains(num, ".") {
				kind = litFloat
				if strings.Count(num, ".") > 1 || strings.HasSuffix(num, ".") {
					return nil, &syntaxError{i, fmt.Sprintf("bad number %q", num)}
				}
			}
			i = j
			toks = append(toks, token{kind: tLiteral, lit: kind, text: num, start: start, end: i})
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '-') {
				j++
			}
			word := s[i:j]
			switch {
			case j < len(s) && s[j] == '\'' && (word == "t" || word == "b" || word == "h"):
				v, n, err := readString(s[j:], j)
				if err != nil {
					return nil, err
				}
				kind := map[string]litKind{"t": litTimestamp, "b": litBinary, "h": litHex}[word]
				i = j + n
				toks = append(toks, token{kind: tLiteral, lit: kind, val: v, text: s[start:i], start: start, end: i})
			case j < len(s) && s[j] == ':':
				p, n, err := readPath(s[j+1:], j+1)
				if err != nil {
					return nil, err
				}
				p.typ = word
				i = j + 1 + n
				toks = append(toks, token{kind: tPath, path: p, text: s[start:i], start: start, end: i})
			case strings.EqualFold(word, "true") || strings.EqualFold(word, "false"):
				i = j
				toks = append(toks, token{kind: tLiteral, lit: litBool, text: strings.ToLower(word), start: start, end: i})
			case keywords[strings.ToUpper(word)]:
				i = j
				toks = append(toks, token{kind: tKeyword, text: strings.ToUpper(word), start: start, end: i})
			default:
				return nil, &syntaxError{i, fmt.Sprintf("unexpected word %s", quote(word))}
			}
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, &syntaxError{i, fmt.Sprintf("unexpected character %q", r)}
		}
	}
}

// opLen returns the length of the comparison operator at the start of s.
func opLen(s string) int {
	if len(s) >= 2 {
		switch s[:2] {
		case "==", "!=", "<>", "<=", ">=":
			return 2
		}
	}
	return 1
}

// readString reads a quoted literal at the start of s ('…' with \' and \\
// escapes) and returns its value and length; pos is s's offset in the pattern.
func readString(s string, pos int) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\'':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			return "", 0, &syntaxError{pos + i, `only \' and \\ may be escaped in a string`}
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, &syntaxError{pos, "unterminated string"}
}

// readPath reads the property path after "type:" and returns it and its length.
func readPath(s string, pos int) (objectPath, int, error) {
	var p objectPath
	i := 0
	// step reads an identifier or a quoted name.
	step := func() error {
		if i < len(s) && s[i] == '\'' {
			v, n, err := readString(s[i:], pos+i)
			if err != nil {
				return err
			}
			p.steps = append(p.steps, v)
			i += n
			return nil
		}
		j := i
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		if j == i || !isIdentStart(s[i]) {
			return &syntaxError{pos + i, "expected a property name"}
		}
		p.steps = append(p.steps, s[i:j])
		i = j
		return nil
	}
	if err := step(); err != nil {
		return p, 0, err
	}
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			if err := step(); err != nil {
				return p, 0, err
			}
		case '[':
			j := i + 1
			if j < len(s) && s[j] == '-' {
				j++
			}
			for j < len(s) && (isDigit(s[j]) || s[j] == '*') {
				j++
			}
			idx := s[i+1 : min(j, len(s))]
			if j >= len(s) || s[j] != ']' || (idx != "*" && strings.Trim(strings.TrimPrefix(idx, "-"), "0123456789") != "") || idx == "" || idx == "-" {
				return p, 0, &syntaxError{pos + i, "bad list index"}
			}
			p.steps = append(p.steps, "["+idx+"]")
			i = j + 1
		default:
			return p, i, nil
		}
	}
	return p, i, nil
}

// ---- parser ----

// obsKind is the kind of an observation-expression node.
type obsKind int

const (
	obsSimple    obsKind = iota // [ comparison ]
	obsOr                       // a OR b
	obsAnd                      // a AND b
	obsFollowed                 // a FOLLOWEDBY b
	obsQualified                // a WITHIN/REPEATS/START…STOP
)

type obsNode struct {
	kind       obsKind
	kids       []*obsNode
	comp       *compNode
	qual       string
	start, end int
}

type compKind int

const (
	compOr compKind = iota
	compAnd
	compTest
)

type compNode struct {
	kind       compKind
	kids       []*compNode
	path       objectPath
	not        bool
	op         string // =, !=, <, IN, LIKE, …, EXISTS
	lits       []token
	guard      incident.IndicatorType // set by andTests: the kind a reference's type test demands
	start, end int
}

type patternParser struct {
	toks  []token
	i     int
	depth int
}

// parsePattern parses a whole pattern.
func parsePattern(s string) (*obsNode, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	pp := &patternParser{toks: toks}
	n, err := pp.followedBy()
	if err != nil {
		return nil, err
	}
	if t := pp.peek(); t.kind != tEOF {
		return nil, &syntaxError{t.start, fmt.Sprintf("unexpected %s", describe(t))}
	}
	return n, nil
}

func (pp *patternParser) peek() token { return pp.toks[pp.i] }

func (pp *patternParser) next() token {
	t := pp.toks[pp.i]
	if t.kind != tEOF {
		pp.i++
	}
	return t
}

func (pp *patternParser) isKeyword(k string) bool {
	t := pp.peek()
	return t.kind == tKeyword && t.text == k
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tPath:
		return "object path " + t.path.String()
	}
	return quote(t.text)
}

func (pp *patternParser) expect(k tokKind, what string) (token, error) {
	t := pp.next()
	if t.kind != k {
		return t, &syntaxError{t.start, fmt.Sprintf("expected %s, found %s", what, describe(t))}
	}
	return t, nil
}

func (pp *patternParser) enter(pos int) error {
	pp.depth++
	if pp.depth > maxPatternDepth {
		return &syntaxError{pos, fmt.Sprintf("nested more than %d deep", maxPatternDepth)}
	}
	return nil
}

// binary parses operands joined by the keyword op into one node of kind.
func binaryObs(pp *patternParser, op string, kind obsKind, operand func() (*obsNode, error)) (*obsNode, error) {
	n, err := operand()
	if err != nil {
		return nil, err
	}
	if !pp.isKeyword(op) {
		return n, nil
	}
	out := &obsNode{kind: kind, kids: []*obsNode{n}, start: n.start}
	for pp.isKeyword(op) {
		pp.next()
		m, err := operand()
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, m)
		out.end = m.end
	}
	return out, nil
}

func (pp *patternParser) followedBy() (*obsNode, error) {
	return binaryObs(pp, "FOLLOWEDBY", obsFollowed, pp.obsOr)
}

func (pp *patternParser) obsOr() (*obsNode, error) {
	return binaryObs(pp, "OR", obsOr, pp.obsAnd)
}

func (pp *patternParser) obsAnd() (*obsNode, error) {
	return binaryObs(pp, "AND", obsAnd, pp.observation)
}

// observation parses [ comparison ] or ( observations ), then qualifiers.
func (pp *patternParser) observation() (*obsNode, error) {
	t := pp.next()
	if err := pp.enter(t.start); err != nil {
		return nil, err
	}
	defer func() { pp.depth-- }()
	var n *obsNode
	switch t.kind {
	case tLBrack:
		c, err := pp.compOr()
		if err != nil {
			return nil, err
		}
		end, err := pp.expect(tRBrack, "']'")
		if err != nil {
			return nil, err
		}
		n = &obsNode{kind: obsSimple, comp: c, start: t.start, end: end.end}
	case tLParen:
		inner, err := pp.followedBy()
		if err != nil {
			return nil, err
		}
		end, err := pp.expect(tRParen, "')'")
		if err != nil {
			return nil, err
		}
		n = inner
		n.start, n.end = t.start, end.end
	default:
		return nil, &syntaxError{t.start, fmt.Sprintf("expected '[' or '(', found %s", describe(t))}
	}
	for {
		q := pp.peek()
		if q.kind != tKeyword {
			return n, nil
		}
		var err error
		var last token
		switch q.text {
		case "WITHIN":
			pp.next()
			if last, err = pp.number(false); err == nil {
				last, err = pp.keyword("SECONDS")
			}
		case "REPEATS":
			pp.next()
			if last, err = pp.number(true); err == nil {
				last, err = pp.keyword("TIMES")
			}
		case "START":
			pp.next()
			if last, err = pp.timestamp(); err == nil {
				if _, err = pp.keyword("STOP"); err == nil {
					last, err = pp.timestamp()
				}
			}
		default:
			return n, nil
		}
		if err != nil {
			return nil, err
		}
		n = &obsNode{kind: obsQualified, kids: []*obsNode{n}, qual: q.text, start: n.start, end: last.end}
	}
}

func (pp *patternParser) keyword(k string) (token, error) {
	t := pp.next()
	if t.kind != tKeyword || t.text != k {
		return t, &syntaxError{t.start, fmt.Sprintf("expected %s, found %s", k, describe(t))}
	}
	return t, nil
}

func (pp *patternParser) number(intOnly bool) (token, error) {
	t := pp.next()
	if t.kind != tLiteral || !(t.lit == litInt || !intOnly && t.lit == litFloat) || strings.HasPrefix(t.text, "-") {
		return t, &syntaxError{t.start, fmt.Sprintf("expected a positive number, found %s", describe(t))}
	}
	return t, nil
}

func (pp *patternParser) timestamp() (token, error) {
	t := pp.next()
	if t.kind != tLiteral || t.lit != litTimestamp {
		return t, &syntaxError{t.start, fmt.Sprintf("expected a timestamp t'…', found %s", describe(t))}
	}
	return t, nil
}

func binaryComp(pp *patternParser, op string, kind compKind, operand func() (*compNode, error)) (*compNode, error) {
	n, err := operand()
	if err != nil {
		return nil, err
	}
	if !pp.isKeyword(op) {
		return n, nil
	}
	out := &compNode{kind: kind, kids: []*compNode{n}, start: n.start}
	for pp.isKeyword(op) {
		pp.next()
		m, err := operand()
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, m)
		out.end = m.end
	}
	return out, nil
}

func (pp *patternParser) compOr() (*compNode, error) { return binaryComp(pp, "OR", compOr, pp.compAnd) }

func (pp *patternParser) compAnd() (*compNode, error) {
	return binaryComp(pp, "AND", compAnd, pp.propTest)
}

// propTest parses one property test or a parenthesised comparison.
func (pp *patternParser) propTest() (*compNode, error) {
	t := pp.next()
	switch {
	case t.kind == tLParen:
		if err := pp.enter(t.start); err != nil {
			return nil, err
		}
		defer func() { pp.depth-- }()
		c, err := pp.compOr()
		if err != nil {
			return nil, err
		}
		end, err := pp.expect(tRParen, "')'")
		if err != nil {
			return nil, err
		}
		c.start, c.end = t.start, end.end
		return c, nil
	case t.kind == tKeyword && t.text == "EXISTS":
		p, err := pp.expect(tPath, "an object path")
		if err != nil {
			return nil, err
		}
		return &compNode{kind: compTest, path: p.path, op: "EXISTS", start: t.start, end: p.end}, nil
	case t.kind != tPath:
		return nil, &syntaxError{t.start, fmt.Sprintf("expected an object path, found %s", describe(t))}
	}
	n := &compNode{kind: compTest, path: t.path, start: t.start}
	if pp.isKeyword("NOT") {
		pp.next()
		n.not = true
	}
	op := pp.next()
	switch {
	case op.kind == tOp:
		n.op = op.text
		lit, err := pp.expect(tLiteral, "a literal")
		if err != nil {
			return nil, err
		}
		if op.text != "=" && op.text != "!=" && (lit.lit == litBool) {
			return nil, &syntaxError{lit.start, fmt.Sprintf("%s cannot compare a boolean", op.text)}
		}
		n.lits, n.end = []token{lit}, lit.end
	case op.kind == tKeyword && op.text == "IN":
		n.op = "IN"
		if _, err := pp.expect(tLParen, "'('"); err != nil {
			return nil, err
		}
		for pp.peek().kind != tRParen {
			if len(n.lits) > 0 {
				if _, err := pp.expect(tComma, "',' or ')'"); err != nil {
					return nil, err
				}
			}
			lit, err := pp.expect(tLiteral, "a literal")
			if err != nil {
				return nil, err
			}
			n.lits = append(n.lits, lit)
		}
		n.end = pp.next().end
	case op.kind == tKeyword && (op.text == "LIKE" || op.text == "MATCHES" || op.text == "ISSUBSET" || op.text == "ISSUPERSET"):
		n.op = op.text
		lit, err := pp.expect(tLiteral, "a string")
		if err != nil {
			return nil, err
		}
		if lit.lit != litString {
			return nil, &syntaxError{lit.start, fmt.Sprintf("%s needs a string, found %s", op.text, litNames[lit.lit])}
		}
		n.lits, n.end = []token{lit}, lit.end
	default:
		return nil, &syntaxError{op.start, fmt.Sprintf("expected a comparison operator, found %s", describe(op))}
	}
	return n, nil
}

// ---- extraction ----

type extractor struct {
	src      string
	vals     []patternValue
	problems []string
}

// unsupported records a part of the pattern that cannot be imported.
func (x *extractor) unsupported(start, end int, why string) {
	part := strings.Join(strings.Fields(x.src[start:end]), " ")
	x.problems = append(x.problems, fmt.Sprintf("unsupported pattern: %s (%s)", shorten(part, 160), why))
}

func (x *extractor) obs(n *obsNode) {
	switch n.kind {
	case obsSimple:
		x.comp(n.comp)
	case obsOr:
		for _, k := range n.kids {
			x.obs(k)
		}
	case obsAnd:
		x.unsupported(n.start, n.end, "AND between observations: all must be seen, which single indicators cannot express")
	case obsFollowed:
		x.unsupported(n.start, n.end, "FOLLOWEDBY: an order of observations, which single indicators cannot express")
	case obsQualified:
		var quals []string
		for q := n; q.kind == obsQualified; q = q.kids[0] {
			quals = append([]string{q.qual}, quals...)
		}
		what := "the " + quals[0] + " qualifier limits"
		if len(quals) > 1 {
			what = "the " + strings.Join(quals[:len(quals)-1], ", ") + " and " + quals[len(quals)-1] + " qualifiers limit"
		}
		x.unsupported(n.start, n.end, what+" when or how often the observation counts, which single indicators cannot express")
	}
}

func (x *extractor) comp(n *compNode) {
	switch n.kind {
	case compOr:
		for _, k := range n.kids {
			x.comp(k)
		}
	case compAnd:
		tests, ok := x.andTests(n)
		if !ok {
			x.unsupported(n.start, n.end, "AND: the tests must all hold for one object, which single indicators cannot express; "+
				"only several hashes of one file, or one value with type checks on its reference, are imported")
			return
		}
		for _, k := range tests {
			x.test(k)
		}
	case compTest:
		x.test(n)
	}
}

// andTests returns the tests to import from an AND of property tests, if
// it is one of the two forms that still names single values: equalities on
// several hashes of one file (any of them identifies it), or one test on a
// reference's value together with equalities on that reference's type
// (network-traffic:dst_ref.type = 'ipv4-addr' AND
// network-traffic:dst_ref.value = '198.51.100.1'), where the type is checked
// against the value instead.
func (x *extractor) andTests(n *compNode) ([]*compNode, bool) {
	var tests []*compNode
	var flat func(*compNode) bool
	flat = func(c *compNode) bool {
		switch c.kind {
		case compAnd:
			for _, k := range c.kids {
				if !flat(k) {
					return false
				}
			}
			return true
		case compTest:
			tests = append(tests, c)
			return true
		}
		return false // an OR inside the AND
	}
	if !flat(n) {
		return nil, false
	}
	hashes := true
	for _, t := range tests {
		k, _ := pathKind(t.path)
		hashes = hashes && !t.not && t.op == "=" && t.path.typ == "file" &&
			(k == incident.IndSHA256 || k == incident.IndSHA1 || k == incident.IndMD5)
	}
	if hashes {
		return tests, true
	}
	var value *compNode
	guards := map[string]string{} // reference -> the type it must have
	for _, t := range tests {
		if ref, ok := refTypeGuard(t); ok {
			if prev, seen := guards[ref]; seen && prev != t.lits[0].val {
				return nil, false
			}
			guards[ref] = t.lits[0].val
			continue
		}
		if value != nil {
			return nil, false
		}
		value = t
	}
	if value == nil || len(value.path.steps) != 2 || len(guards) != 1 {
		return nil, false
	}
	want, ok := guards[value.path.typ+":"+value.path.steps[0]]
	if !ok {
		return nil, false
	}
	k, _ := pathKind(value.path)
	if k != kindHost {
		return nil, false
	}
	guarded := *value
	switch want {
	case "ipv4-addr":
		guarded.guard = kindIPv4
	case "ipv6-addr":
		guarded.guard = kindIPv6
	case "domain-name":
		guarded.guard = incident.IndDomain
	default:
		return nil, false
	}
	return []*compNode{&guarded}, true
}

// refTypeGuard reports whether t is "obj:x_ref.type = 'string'" and returns
// "obj:x_ref".
func refTypeGuard(t *compNode) (string, bool) {
	p := t.path
	if t.not || t.op != "=" || len(p.steps) != 2 || p.steps[1] != "type" || !strings.HasSuffix(p.steps[0], "_ref") ||
		len(t.lits) != 1 || t.lits[0].lit != litString {
		return "", false
	}
	return p.typ + ":" + p.steps[0], true
}

// Path kinds beyond the indicator types: an address of one family (or a
// prefix of it), or any host (address, prefix or domain).
const (
	kindIPv4 incident.IndicatorType = "ipv4-addr"
	kindIPv6 incident.IndicatorType = "ipv6-addr"
	kindHost incident.IndicatorType = "host"
)

// pathKind maps an object path to the kind of value it holds, or explains
// why it cannot be imported.
func pathKind(p objectPath) (incident.IndicatorType, string) {
	steps := make([]string, len(p.steps))
	for i, s := range p.steps {
		steps[i] = strings.ToLower(s)
	}
	typ := strings.ToLower(p.typ)
	joined := strings.Join(steps, ".")
	if (typ == "file" || typ == "artifact") && len(steps) == 2 && steps[0] == "hashes" {
		switch strings.NewReplacer("-", "", "_", "").Replace(steps[1]) {
		case "sha256":
			return incident.IndSHA256, ""
		case "sha1":
			return incident.IndSHA1, ""
		case "md5":
			return incident.IndMD5, ""
		}
		return "", fmt.Sprintf("hash algorithm %s is not supported (only SHA-256, SHA-1 and MD5)", quote(p.steps[1]))
	}
	switch typ + ":" + joined {
	case "ipv4-addr:value":
		return kindIPv4, ""
	case "ipv6-addr:value":
		return kindIPv6, ""
	case "domain-name:value":
		return incident.IndDomain, ""
	case "url:value":
		return incident.IndURL, ""
	case "file:name":
		return incident.IndFileName, ""
	case "email-addr:value", "email-message:from_ref.value", "email-message:sender_ref.value":
		return incident.IndEmail, ""
	case "network-traffic:dst_ref.value", "network-traffic:src_ref.value":
		return kindHost, ""
	case "network-traffic:extensions.http-request-ext.request_header.user-agent":
		return incident.IndUserAgent, ""
	case "network-traffic:extensions.http-request-ext.request_value":
		return incident.IndURLPath, ""
	}
	return "", fmt.Sprintf("object path %s is not one of the indicator types Firebreak holds", p)
}

// test imports the values of one property test.
func (x *extractor) test(n *compNode) {
	kind, why := pathKind(n.path)
	if why == "" && n.guard != "" {
		kind = n.guard
	}
	switch {
	case why != "":
		x.unsupported(n.start, n.end, why)
		return
	case n.not:
		x.unsupported(n.start, n.end, "NOT: a negation names no value to look for")
		return
	case n.op == "ISSUBSET" && (kind == kindIPv4 || kind == kindIPv6 || kind == kindHost):
		// An address inside a subnet: the subnet is the indicator.
		x.value(n, kind, n.lits[0], true)
		return
	case n.op != "=" && n.op != "IN":
		x.unsupported(n.start, n.end, fmt.Sprintf("operator %s: only =, IN and, for addresses, ISSUBSET name values to look for", n.op))
		return
	}
	if len(n.lits) == 0 {
		x.unsupported(n.start, n.end, "IN with an empty set names no value")
		return
	}
	for _, lit := range n.lits {
		x.value(n, kind, lit, false)
	}
}

// value imports one literal compared with a path of the given kind.
func (x *extractor) value(n *compNode, kind incident.IndicatorType, lit token, subnet bool) {
	if lit.lit != litString {
		x.unsupported(n.start, n.end, fmt.Sprintf("%s literal is not a value of %s", litNames[lit.lit], n.path))
		return
	}
	t, v, err := stixValue(kind, lit.val, subnet)
	if err != nil {
		x.problems = append(x.problems, fmt.Sprintf("%s: %v", n.path, err))
		return
	}
	x.vals = append(x.vals, patternValue{t, v})
}

// stixValue normalises a value of a path kind. Values are taken as
// written: STIX is machine-readable and is not defanged.
func stixValue(kind incident.IndicatorType, v string, subnet bool) (incident.IndicatorType, string, error) {
	if len(v) > incident.MaxValue {
		return "", "", fmt.Errorf("value is %d bytes long, the limit is %d", len(v), incident.MaxValue)
	}
	switch kind {
	case kindIPv4, kindIPv6, kindHost:
		want4, want6 := kind == kindIPv4, kind == kindIPv6
		family := func(a netip.Addr) error {
			if want4 && !a.Is4() || want6 && (a.Is4() || a.Is4In6()) {
				return fmt.Errorf("%s is not an %s address", quote(v), map[bool]string{true: "IPv4", false: "IPv6"}[want4])
			}
			return nil
		}
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return "", "", fmt.Errorf("%s is not a CIDR prefix", quote(v))
			}
			if err := family(p.Addr()); err != nil {
				return "", "", err
			}
			return hostPrefix(p)
		}
		if subnet {
			return "", "", fmt.Errorf("ISSUBSET needs a CIDR prefix, not %s", quote(v))
		}
		if a, err := netip.ParseAddr(v); err == nil {
			if err := family(a); err != nil {
				return "", "", err
			}
			if a.Is4() {
				return normal(incident.IndIPv4, v)
			}
			return normal(incident.IndIPv6, v)
		}
		if kind == kindHost {
			return normal(incident.IndDomain, v)
		}
		return "", "", fmt.Errorf("%s is not an %s address or CIDR prefix", quote(v), map[bool]string{true: "IPv4", false: "IPv6"}[want4])
	case incident.IndURLPath:
		if !strings.HasPrefix(v, "/") {
			return normal(incident.IndURL, v)
		}
	case incident.IndDomain:
		if _, err := netip.ParseAddr(v); err == nil {
			return "", "", fmt.Errorf("%s is an IP address, not a domain name", quote(v))
		}
	}
	return normal(kind, v)
}

// normal normalises v as type t and checks it is text Validate accepts.
func normal(t incident.IndicatorType, v string) (incident.IndicatorType, string, error) {
	n, err := incident.NormalizeIndicator(t, v)
	if err != nil {
		return "", "", fmt.Errorf("%s %v", t, err)
	}
	if err := checkText(n); err != nil {
		return "", "", err
	}
	return t, n, nil
}
