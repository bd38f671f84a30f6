package sigma

import (
	"fmt"
	"strings"
)

// The condition grammar, loosest binding first (Sigma specification,
// "Condition"):
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | quant | identifier
//	quant   = ( "1" | "any" | "all" ) "of" ( "them" | pattern )
//
// Keywords are case-insensitive; identifiers are not. A pattern matches
// search identifiers with '*' standing for any run of characters; "them"
// stands for every identifier that does not start with '_'. Aggregations
// ("| count() > 5") and "near" are deprecated parts of the language that the
// engine cannot evaluate: they are rejected.

// cop is a condition node's operator.
type cop uint8

const (
	cIdent cop = iota + 1
	cAnd
	cOr
	cNot
)

// cnode is a compiled condition.
type cnode struct {
	op   cop
	det  *detection // cIdent
	kids []*cnode   // cAnd, cOr: two or more; cNot: one
}

func (n *cnode) eval(e Event) bool {
	switch n.op {
	case cIdent:
		return n.det.match(e)
	case cAnd:
		for _, k := range n.kids {
			if !k.eval(e) {
				return false
			}
		}
		return true
	case cOr:
		for _, k := range n.kids {
			if k.eval(e) {
				return true
			}
		}
		return false
	case cNot:
		return !n.kids[0].eval(e)
	}
	return false
}

// maxConditionDepth bounds nesting (parentheses and "not") in a condition.
const maxConditionDepth = 64

type ctok struct {
	s   string
	off int // byte offset in the condition, for messages
}

type condParser struct {
	src   string
	toks  []ctok
	pos   int
	depth int
	dets  []*detection // in YAML order
	byID  map[string]*detection
}

// parseCondition compiles one condition string against the rule's search
// identifiers.
func parseCondition(src string, dets []*detection) (*cnode, error) {
	p := &condParser{src: src, dets: dets, byID: make(map[string]*detection, len(dets))}
	for _, d := range dets {
		p.byID[d.name] = d
	}
	if err := p.tokenize(); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("condition is empty")
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		return nil, fmt.Errorf("condition: unexpected %q at column %d", t.s, t.off+1)
	}
	return n, nil
}

func (p *condParser) tokenize() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			p.toks = append(p.toks, ctok{s: s[i : i+1], off: i})
			i++
		case c == '|':
			return fmt.Errorf("condition: aggregation %q at column %d is not supported (deprecated in Sigma; use correlation rules)", strings.TrimSpace(s[i:]), i+1)
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()|", rune(s[j])) {
				j++
			}
			if strings.EqualFold(s[i:j], "near") {
				return fmt.Errorf("condition: 'near' at column %d is not supported (deprecated in Sigma; use correlation rules)", i+1)
			}
			p.toks = append(p.toks, ctok{s: s[i:j], off: i})
			i = j
		}
	}
	return nil
}

func (p *condParser) peek() (ctok, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return ctok{}, false
}

// keyword reports whether the next token is the keyword kw, consuming it if
// so.
func (p *condParser) keyword(kw string) bool {
	t, ok := p.peek()
	if ok && strings.EqualFold(t.s, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *condParser) expr() (*cnode, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []*cnode{n}
	for p.keyword("or") {
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, m)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return &cnode{op: cOr, kids: kids}, nil
}

func (p *condParser) and() (*cnode, error) {
	n, err := p.unary()
	if err != nil {
		return nil, err
	}
	kids := []*cnode{n}
	for p.keyword("and") {
		m, err := p.unary()
		if err != nil {
			return nil, err
		}
		kids = append(kids, m)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return &cnode{op: cAnd, kids: kids}, nil
}

func (p *condParser) enter() error {
	p.depth++
	if p.depth > maxConditionDepth {
		return fmt.Errorf("condition nests deeper than %d levels", maxConditionDepth)
	}
	return nil
}

func (p *condParser) unary() (*cnode, error) {
	if p.keyword("not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		n, err := p.unary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &cnode{op: cNot, kids: []*cnode{n}}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (*cnode, error) {
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("condition ends where a search identifier was expected")
	}
	low := strings.ToLower(t.s)
	switch {
	case t.s == "(":
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		n, err := p.expr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			if t, ok := p.peek(); ok {
				return nil, fmt.Errorf("condition: expected ')' at column %d, found %q", t.off+1, t.s)
			}
			return nil, fmt.Errorf("condition: '(' at column %d is never closed", t.off+1)
		}
		return n, nil
	case t.s == ")":
		return nil, fmt.Errorf("condition: unexpected ')' at column %d", t.off+1)
	case low == "and" || low == "or" || low == "of" || low == "them":
		return nil, fmt.Errorf("condition: unexpected %q at column %d", t.s, t.off+1)
	}
	if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1].s, "of") {
		return p.quantifier()
	}
	p.pos++
	if strings.Contains(t.s, "*") {
		return nil, fmt.Errorf("condition: the pattern %q at column %d needs '1 of' or 'all of'", t.s, t.off+1)
	}
	d := p.byID[t.s]
	if d == nil {
		return nil, fmt.Errorf("condition: unknown search identifier %q at column %d", t.s, t.off+1)
	}
	return &cnode{op: cIdent, det: d}, nil
}

func (p *condParser) quantifier() (*cnode, error) {
	q := p.toks[p.pos]
	p.pos += 2 // quantifier and "of"
	var op cop
	switch strings.ToLower(q.s) {
	case "1", "any":
		op = cOr
	case "all":
		op = cAnd
	default:
		return nil, fmt.Errorf("condition: %q of at column %d is not supported: only '1 of' and 'all of' are defined", q.s, q.off+1)
	}
	t, ok := p.peek()
	if !ok || t.s == "(" || t.s == ")" {
		return nil, fmt.Errorf("condition: '%s of' at column %d needs 'them' or a search identifier pattern", q.s, q.off+1)
	}
	p.pos++
	var kids []*cnode
	if strings.EqualFold(t.s, "them") {
		for _, d := range p.dets {
			if !strings.HasPrefix(d.name, "_") {
				kids = append(kids, &cnode{op: cIdent, det: d})
			}
		}
		if len(kids) == 0 {
			return nil, fmt.Errorf("condition: 'them' at column %d matches no search identifier (those starting with '_' are excluded)", t.off+1)
		}
	} else {
		for _, d := range p.dets {
			if matchIdent(t.s, d.name) {
				kids = append(kids, &cnode{op: cIdent, det: d})
			}
		}
		if len(kids) == 0 {
			return nil, fmt.Errorf("condition: %q at column %d matches no search identifier", t.s, t.off+1)
		}
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &cnode{op: op, kids: kids}, nil
}

// matchIdent reports whether name matches pat, where '*' in pat stands for
// any run of characters and everything else is literal.
func matchIdent(pat, name string) bool {
	parts := strings.Split(pat, "*")
	if len(parts) == 1 {
		return pat == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(name, mid)
		if i < 0 {
			return false
		}
		name = name[i+len(mid):]
	}
	return strings.HasSuffix(name, last)
}
