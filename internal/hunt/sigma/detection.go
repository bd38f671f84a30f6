package sigma

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// detection is one search identifier: an OR of groups, each group an AND of
// items. A map is one group; a list of maps is one group per map; a keyword
// list is one group holding one keyword item.
type detection struct {
	name   string
	groups [][]*item
}

func (d *detection) match(e Event) bool {
	for _, g := range d.groups {
		ok := true
		for _, it := range g {
			if !it.match(e) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// item is one field condition ("cs-uri-stem|contains: [...]") or a keyword
// search against the raw line.
type item struct {
	field   string // the event field; empty for a keyword item
	keyword bool   // match against Event.Raw
	exists  int8   // 0: a value item; 1: field|exists: true; -1: field|exists: false
	all     bool   // every value must match (the all modifier)
	neq     bool   // the field is present and no value matches (the neq modifier)
	vals    []*value
}

func (it *item) match(e Event) bool {
	var v []byte
	var ok bool
	if it.keyword {
		v, ok = e.Raw(), true
	} else {
		v, ok = e.Field(it.field)
	}
	switch it.exists {
	case 1:
		return ok
	case -1:
		return !ok
	}
	if it.neq {
		if !ok {
			return false
		}
		for _, val := range it.vals {
			if val.match(e, v, ok) {
				return false
			}
		}
		return true
	}
	if it.all {
		for _, val := range it.vals {
			if !val.match(e, v, ok) {
				return false
			}
		}
		return true
	}
	for _, val := range it.vals {
		if val.match(e, v, ok) {
			return true
		}
	}
	return false
}

// valKind is the kind of a compiled value.
type valKind uint8

const (
	vkEmpty    valKind = iota + 1 // null or '': the field is absent or empty
	vkString                      // one or more string patterns (variants), OR-ed
	vkRegex                       // re
	vkCIDR                        // cidr
	vkNumber                      // lt, lte, gt, gte
	vkFieldRef                    // fieldref
)

// numOp is a numeric comparison.
type numOp uint8

const (
	numLT numOp = iota + 1
	numLTE
	numGT
	numGTE
)

type value struct {
	kind   valKind
	str    []strMatcher // vkString: the variants (windash, base64offset)
	re     *regexp.Regexp
	prefix netip.Prefix
	op     numOp
	num    float64
	ref    string               // vkFieldRef: the other field
	fold   bool                 // vkFieldRef: compare case-insensitively
	lits   [numEscapings]litSet // what Literals derives from this value, per escaping
}

func (val *value) match(e Event, v []byte, ok bool) bool {
	switch val.kind {
	case vkEmpty:
		return !ok || len(v) == 0
	case vkString:
		if !ok {
			return false
		}
		for i := range val.str {
			if val.str[i].match(v) {
				return true
			}
		}
		return false
	case vkRegex:
		return ok && val.re.Match(v)
	case vkCIDR:
		if !ok {
			return false
		}
		a, good := parseAddr(v)
		return good && val.prefix.Contains(a)
	case vkNumber:
		if !ok {
			return false
		}
		f, good := parseNumber(v)
		if !good {
			return false
		}
		switch val.op {
		case numLT:
			return f < val.num
		case numLTE:
			return f <= val.num
		case numGT:
			return f > val.num
		case numGTE:
			return f >= val.num
		}
	case vkFieldRef:
		if !ok {
			return false
		}
		w, ok2 := e.Field(val.ref)
		if !ok2 {
			return false
		}
		if val.fold {
			return equalFoldBoth(v, w)
		}
		return string(v) == string(w)
	}
	return false
}

// modifier names, as written after '|' in a detection key.
const (
	modContains     = "contains"
	modStartswith   = "startswith"
	modEndswith     = "endswith"
	modAll          = "all"
	modRe           = "re"
	modCIDR         = "cidr"
	modExists       = "exists"
	modCased        = "cased"
	modNeq          = "neq"
	modBase64       = "base64"
	modBase64Offset = "base64offset"
	modWide         = "wide"
	modUTF16LE      = "utf16le"
	modUTF16BE      = "utf16be"
	modUTF16        = "utf16"
	modWindash      = "windash"
	modFieldref     = "fieldref"
	modExpand       = "expand"
	modLT           = "lt"
	modLTE          = "lte"
	modGT           = "gt"
	modGTE          = "gte"
)

// mods is a validated modifier chain.
type mods struct {
	match      string   // "", contains, startswith or endswith
	typ        string   // "", re, cidr, exists, fieldref, lt, lte, gt or gte
	transforms []string // windash, wide/utf16*, base64, base64offset, in order
	all        bool
	cased      bool
	neq        bool
	reFlags    string // the re sub-modifiers i, m and s
}

// parseMods validates a modifier chain. keyword says the key had no field
// name (a keyword search against the whole line).
func parseMods(list []string, keyword bool) (mods, error) {
	var m mods
	seen := map[string]bool{}
	var encoding, base string // the utf16 and base64 transforms seen
	for i, name := range list {
		if seen[name] {
			return m, fmt.Errorf("modifier %q is given twice", name)
		}
		seen[name] = true
		if m.typ == modRe {
			switch name {
			case "i", "m", "s":
				m.reFlags += name
				continue
			case modAll:
				m.all = true
				continue
			}
			return m, fmt.Errorf("modifier %q cannot follow re (only its sub-modifiers i, m, s and all may)", name)
		}
		switch name {
		case modContains, modStartswith, modEndswith:
			if m.match != "" {
				return m, fmt.Errorf("modifiers %q and %q exclude each other", m.match, name)
			}
			if keyword && name != modContains {
				return m, fmt.Errorf("modifier %q does not apply to keywords, which match anywhere in the line", name)
			}
			m.match = name
		case modAll:
			m.all = true
		case modCased:
			m.cased = true
		case modNeq:
			if keyword {
				return m, fmt.Errorf("modifier %q does not apply to keywords", name)
			}
			m.neq = true
		case modRe:
			if i != 0 {
				return m, errors.New("modifier re must come first: a regular expression takes no other transformation")
			}
			m.typ = modRe
		case "i", "m", "s":
			return m, fmt.Errorf("modifier %q is a sub-modifier of re and must follow it", name)
		case modCIDR, modExists, modLT, modLTE, modGT, modGTE, modFieldref:
			if keyword {
				return m, fmt.Errorf("modifier %q does not apply to keywords", name)
			}
			if m.typ != "" {
				return m, fmt.Errorf("modifiers %q and %q exclude each other", m.typ, name)
			}
			m.typ = name
		case modWindash:
			if encoding != "" || base != "" {
				return m, errors.New("modifier windash must come before the encoding modifiers")
			}
			m.transforms = append(m.transforms, name)
		case modWide, modUTF16LE, modUTF16BE, modUTF16:
			if encoding != "" {
				return m, fmt.Errorf("modifiers %q and %q exclude each other", encoding, name)
			}
			if base != "" {
				return m, fmt.Errorf("modifier %q must come before %q", name, base)
			}
			encoding = name
			m.transforms = append(m.transforms, name)
		case modBase64, modBase64Offset:
			if base != "" {
				return m, fmt.Errorf("modifiers %q and %q exclude each other", base, name)
			}
			if m.match != "" {
				return m, fmt.Errorf("modifier %q must come before %q: wildcards cannot be base64-encoded", name, m.match)
			}
			base = name
			m.transforms = append(m.transforms, name)
		case modExpand:
			return m, errors.New("modifier expand (placeholders such as %Servers%) needs a processing pipeline, which this engine does not have")
		default:
			return m, fmt.Errorf("unknown modifier %q", name)
		}
	}
	// Combinations that only make sense alone.
	switch m.typ {
	case modCIDR, modExists:
		if len(list) != 1 {
			return m, fmt.Errorf("modifier %q takes no other modifier", m.typ)
		}
	case modLT, modLTE, modGT, modGTE:
		if m.match != "" || len(m.transforms) > 0 || m.cased || m.neq {
			return m, fmt.Errorf("modifier %q compares numbers and takes no other modifier but all", m.typ)
		}
	case modFieldref:
		if m.match != "" || len(m.transforms) > 0 || m.all {
			return m, errors.New("modifier fieldref takes no other modifier but cased and neq")
		}
	case modRe:
		// Sub-modifiers checked above.
	}
	if base == modBase64Offset && m.match != modContains {
		return m, errors.New("modifier base64offset needs contains: its variants only occur inside longer encoded text")
	}
	if m.neq && m.all {
		return m, errors.New("modifiers neq and all exclude each other")
	}
	return m, nil
}

// compileItem compiles one "field|modifiers: values" pair of a map.
func (c *compiler) compileItem(key, val *yaml.Node) (*item, *Error) {
	parts := strings.Split(key.Value, "|")
	field := parts[0]
	keyword := field == ""
	label := key.Value
	if label == "" {
		label = "keywords"
	}
	m, err := parseMods(parts[1:], keyword)
	if err != nil {
		return nil, c.errAt(key, "%s: %v", label, err)
	}
	it := &item{field: field, keyword: keyword, all: m.all, neq: m.neq}
	var scalars []*yaml.Node
	switch val.Kind {
	case yaml.ScalarNode:
		scalars = []*yaml.Node{val}
	case yaml.SequenceNode:
		if len(val.Content) == 0 {
			return nil, c.errAt(val, "%s: the list of values is empty", label)
		}
		for _, n := range val.Content {
			if n.Kind != yaml.ScalarNode {
				return nil, c.errAt(n, "%s: a value must be a string, number or null, not a %s", label, kindName(n))
			}
			scalars = append(scalars, n)
		}
	default:
		return nil, c.errAt(val, "%s: a value must be a string, number, null or a list of them, not a %s", label, kindName(val))
	}
	if m.typ == modExists {
		if len(scalars) != 1 {
			return nil, c.errAt(val, "%s: exists takes one value, true or false", label)
		}
		switch strings.ToLower(scalars[0].Value) {
		case "true":
			it.exists = 1
		case "false":
			it.exists = -1
		default:
			return nil, c.errAt(val, "%s: exists takes true or false, not %q", label, scalars[0].Value)
		}
		c.values++
		if e := c.checkCounts(val); e != nil {
			return nil, e
		}
		return it, nil
	}
	for _, n := range scalars {
		v, err := c.compileValue(n, m, keyword)
		if err != nil {
			return nil, c.errAt(n, "%s: %v", label, err)
		}
		it.vals = append(it.vals, v)
		c.values++
		if err := c.checkCounts(n); err != nil {
			return nil, err
		}
	}
	return it, nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// compileValue compiles one scalar value under a modifier chain.
func (c *compiler) compileValue(n *yaml.Node, m mods, keyword bool) (*value, error) {
	if isNull(n) {
		if keyword {
			return nil, errors.New("a keyword cannot be null")
		}
		if m.typ != "" || m.match != "" || len(m.transforms) > 0 || m.cased || m.neq {
			return nil, errors.New("a null value takes no modifiers")
		}
		return &value{kind: vkEmpty}, nil
	}
	s := n.Value
	if keyword && s == "" {
		return nil, errors.New("a keyword cannot be empty: it would match every line")
	}
	switch m.typ {
	case modRe:
		re, src, err := compileRegexp(s, m.reFlags)
		if err != nil {
			return nil, err
		}
		c.patterns++
		val := &value{kind: vkRegex, re: re}
		for esc := range numEscapings {
			val.lits[esc] = regexpLits(src, litKeep(keyword, esc))
		}
		return val, nil
	case modCIDR:
		p, err := parsePrefix(s)
		if err != nil {
			return nil, err
		}
		c.patterns++
		return &value{kind: vkCIDR, prefix: p}, nil
	case modLT, modLTE, modGT, modGTE:
		f, err := parseRuleNumber(s)
		if err != nil {
			return nil, fmt.Errorf("%s needs a number, not %q", m.typ, s)
		}
		op := map[string]numOp{modLT: numLT, modLTE: numLTE, modGT: numGT, modGTE: numGTE}[m.typ]
		c.patterns++
		return &value{kind: vkNumber, op: op, num: f}, nil
	case modFieldref:
		if s == "" {
			return nil, errors.New("fieldref needs a field name")
		}
		c.patterns++
		return &value{kind: vkFieldRef, ref: s, fold: !m.cased}, nil
	}
	if s == "" && m.match == "" && len(m.transforms) == 0 && !keyword {
		return &value{kind: vkEmpty}, nil
	}
	variants := []pattern{parseValue(s)}
	for _, t := range m.transforms {
		var next []pattern
		for _, p := range variants {
			switch t {
			case modWindash:
				vs, err := windash(p)
				if err != nil {
					return nil, err
				}
				next = append(next, vs...)
			case modWide, modUTF16LE, modUTF16BE, modUTF16:
				enc := map[string]utf16Encoding{modWide: utf16LE, modUTF16LE: utf16LE, modUTF16BE: utf16BE, modUTF16: utf16BOM}[t]
				q, err := encodeUTF16(p, enc)
				if err != nil {
					return nil, err
				}
				next = append(next, q)
			case modBase64:
				q, err := encodeBase64(p)
				if err != nil {
					return nil, err
				}
				next = append(next, q)
			case modBase64Offset:
				vs, err := encodeBase64Offset(p)
				if err != nil {
					return nil, err
				}
				next = append(next, vs...)
			}
		}
		variants = next
	}
	val := &value{kind: vkString}
	for esc := range numEscapings {
		val.lits[esc] = litSet{ok: true}
	}
	for _, p := range variants {
		switch {
		case keyword:
			p = p.wrap(true, true)
		case m.match == modContains:
			p = p.wrap(true, true)
		case m.match == modStartswith:
			p = p.wrap(false, true)
		case m.match == modEndswith:
			p = p.wrap(true, false)
		}
		sm, err := compilePattern(p, !m.cased)
		if err != nil {
			return nil, err
		}
		val.str = append(val.str, sm)
		for esc := range numEscapings {
			val.lits[esc] = val.lits[esc].or(patternLits(p, litKeep(keyword, esc)))
		}
		c.patterns++
	}
	return val, nil
}

// compileRegexp compiles an re value with its sub-modifiers (i, m, s as Go
// flags). Under i (or an inline (?i)), ASCII letters fold to their ASCII case only, as in PCRE
// and the rest of this package, rather than by Go's Unicode folding (which
// also equates k with the Kelvin sign and s with the long s); other letters
// keep Unicode folding. It returns the source actually compiled.
func compileRegexp(s, flags string) (*regexp.Regexp, string, error) {
	src := s
	if flags != "" {
		src = "(?" + flags + ")" + s
	}
	if _, err := regexp.Compile(src); err != nil {
		return nil, "", fmt.Errorf("bad regular expression %q: %v", s, err)
	}
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, "", fmt.Errorf("bad regular expression %q: %v", s, err)
	}
	if asciiFold(tree) {
		src = tree.String()
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, "", fmt.Errorf("bad regular expression %q: %v", s, err)
	}
	return re, src, nil
}

// asciiFold rewrites case-folded literals (the i sub-modifier, or an
// inline (?i)) so that ASCII letters match only their two ASCII cases. It
// reports whether it changed anything.
func asciiFold(re *syntax.Regexp) bool {
	changed := false
	for _, sub := range re.Sub {
		if asciiFold(sub) {
			changed = true
		}
	}
	if re.Op != syntax.OpLiteral || re.Flags&syntax.FoldCase == 0 {
		return changed
	}
	subs := make([]*syntax.Regexp, 0, len(re.Rune))
	for _, r := range re.Rune {
		if r < utf8.RuneSelf && isLetter(byte(r)) {
			lo := rune(lower[byte(r)])
			subs = append(subs, &syntax.Regexp{Op: syntax.OpCharClass, Rune: []rune{lo - ('a' - 'A'), lo - ('a' - 'A'), lo, lo}})
			continue
		}
		subs = append(subs, &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{r}, Flags: re.Flags})
	}
	*re = syntax.Regexp{Op: syntax.OpConcat, Sub: subs, Flags: re.Flags}
	return true
}

// parsePrefix parses a cidr value: an IPv4 or IPv6 prefix, or a single
// address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("bad CIDR %q", s)
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad CIDR %q: %v", s, err)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// parseRuleNumber parses the number of a numeric comparison: a decimal or
// floating-point number, or an integer in YAML's 0x/0o forms.
func parseRuleNumber(s string) (float64, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, nil
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), nil
	}
	return 0, fmt.Errorf("not a number: %q", s)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "YAML alias"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "document"
}
