package sigma

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// litSet is what Literals derives for part of a rule: when ok, every event
// that part matches contains at least one of lits (lowered) in its raw line,
// compared with ASCII case folding. When not ok, nothing can be said.
//
// For OR the sets are united (both must be ok); for AND either side's set
// will do, so the better one is kept; NOT gives nothing.
type litSet struct {
	ok   bool
	lits [][]byte
}

// or appends b's literals to a's. a is an accumulator: its slice must not be
// shared (start from litSet{ok: true}).
func (a litSet) or(b litSet) litSet {
	if !a.ok || !b.ok {
		return litSet{}
	}
	a.lits = append(a.lits, b.lits...)
	return a
}

func (a litSet) and(b litSet) litSet {
	switch {
	case !a.ok:
		return b
	case !b.ok:
		return a
	case b.better(a):
		return b
	}
	return a
}

// better reports whether a is a more useful prefilter than b: its shortest
// literal is longer, or, as long, it has fewer literals.
func (a litSet) better(b litSet) bool {
	am, bm := a.minLen(), b.minLen()
	if am != bm {
		return am > bm
	}
	return len(a.lits) < len(b.lits)
}

func (a litSet) minLen() int {
	m := -1
	for _, l := range a.lits {
		if m < 0 || len(l) < m {
			m = len(l)
		}
	}
	return m
}

// maxMinimize bounds the sets that normalize minimises (the check is
// quadratic).
const maxMinimize = 2000

// normalize sorts and de-duplicates the set and drops every literal that
// contains another one (an event holding the longer holds the shorter). An
// empty literal, which every line contains, makes the set useless: not ok.
func (a litSet) normalize() litSet {
	if !a.ok {
		return a
	}
	lits := slices.Clone(a.lits)
	slices.SortFunc(lits, func(x, y []byte) int {
		if len(x) != len(y) {
			return len(x) - len(y)
		}
		return bytes.Compare(x, y)
	})
	lits = slices.CompactFunc(lits, bytes.Equal)
	if len(lits) > 0 && len(lits[0]) == 0 {
		return litSet{}
	}
	if len(lits) <= maxMinimize {
		kept := lits[:0:0]
		for _, l := range lits {
			redundant := false
			for _, k := range kept {
				if bytes.Contains(l, k) {
					redundant = true
					break
				}
			}
			if !redundant {
				kept = append(kept, l)
			}
		}
		lits = kept
	}
	return litSet{ok: true, lits: lits}
}

// safeInLine reports whether a field byte is written verbatim into the raw
// line by every log format the hunt engine reads. The others may be escaped
// or substituted: IIS writes a space as '+', NCSA logs escape '"', '\' and
// non-printable bytes, JSON encoders escape '"', '\' and control characters
// and some also '/', '<', '>', '&', the single quote and everything
// non-ASCII.
func safeInLine(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '"', '\'', '\\', '/', '<', '>', '&':
		return false
	}
	return true
}

// longestRun returns the longest run of b, lowered, whose bytes all pass
// keep (every byte when keep is nil).
func longestRun(b []byte, keep func(byte) bool) []byte {
	if keep == nil {
		return lowerCopy(b)
	}
	best, start := []byte(nil), 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || !keep(b[i]) {
			if i-start > len(best) {
				best = b[start:i]
			}
			start = i + 1
		}
	}
	return lowerCopy(best)
}

// patternLits derives the literal of one compiled pattern: the longest literal
// stretch it requires. raw says the pattern is matched against the raw line
// itself (a keyword); a field pattern only yields bytes that every log format
// writes verbatim.
func patternLits(p pattern, raw bool) litSet {
	keep := safeInLine
	if raw {
		keep = nil
	}
	var best []byte
	for _, t := range p {
		if t.wild != 0 {
			continue
		}
		if l := longestRun(t.lit, keep); len(l) > len(best) {
			best = l
		}
	}
	if len(best) == 0 {
		return litSet{}
	}
	return litSet{ok: true, lits: [][]byte{best}}
}

// regexpLits derives literals from a regular expression: a set of strings
// one of which every match contains.
func regexpLits(src string, raw bool) litSet {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return litSet{}
	}
	return reWalk(re.Simplify(), raw).normalize()
}

// rpiece is one character of a fixed stretch of a regular expression: its
// lowered bytes, and whether it may be part of a literal.
type rpiece struct {
	b  []byte
	ok bool
}

func reWalk(re *syntax.Regexp, raw bool) litSet {
	if pieces, ok := reExact(re, raw); ok {
		return piecesLits(pieces)
	}
	switch re.Op {
	case syntax.OpCapture:
		return reWalk(re.Sub[0], raw)
	case syntax.OpPlus:
		return reWalk(re.Sub[0], raw)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reWalk(re.Sub[0], raw)
		}
	case syntax.OpAlternate:
		s := litSet{ok: true}
		for _, sub := range re.Sub {
			s = s.or(reWalk(sub, raw))
			if !s.ok {
				return s
			}
		}
		return s
	case syntax.OpConcat:
		// Adjacent fixed parts join into longer literals; any one part's
		// literals will do for the whole.
		var s litSet
		var run []rpiece
		for _, sub := range re.Sub {
			if pieces, ok := reExact(sub, raw); ok {
				run = append(run, pieces...)
				continue
			}
			s = s.and(piecesLits(run))
			run = nil
			s = s.and(reWalk(sub, raw))
		}
		return s.and(piecesLits(run))
	}
	return litSet{}
}

// reExact returns the characters of a part of a regular expression that
// matches exactly one fixed text (up to ASCII case), or false.
func reExact(re *syntax.Regexp, raw bool) ([]rpiece, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		pieces := make([]rpiece, 0, len(re.Rune))
		for _, r := range re.Rune {
			pieces = append(pieces, runePiece(r, fold, raw))
		}
		return pieces, true
	case syntax.OpCharClass:
		// A class of one character, or of the two ASCII cases of a letter.
		var rs []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				rs = append(rs, r)
				if len(rs) > 2 {
					return nil, false
				}
			}
		}
		switch {
		case len(rs) == 1:
			return []rpiece{runePiece(rs[0], false, raw)}, true
		case len(rs) == 2 && rs[0] < utf8.RuneSelf && rs[1] < utf8.RuneSelf &&
			isLetter(byte(rs[0])) && lower[byte(rs[0])] == lower[byte(rs[1])]:
			return []rpiece{runePiece(rs[0], false, raw)}, true
		}
	case syntax.OpCapture:
		return reExact(re.Sub[0], raw)
	case syntax.OpConcat:
		var pieces []rpiece
		for _, sub := range re.Sub {
			p, ok := reExact(sub, raw)
			if !ok {
				return nil, false
			}
			pieces = append(pieces, p...)
		}
		return pieces, true
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return nil, true // zero width: the text on either side is adjacent
	}
	return nil, false
}

// runePiece is one literal character of a regular expression. Under case
// folding (?i) Go's regexp folds Unicode, so only ASCII letters whose whole
// fold orbit is ASCII (not k or s: Kelvin sign, long s) stay usable with an
// ASCII case-insensitive prefilter.
func runePiece(r rune, fold, raw bool) rpiece {
	if r < utf8.RuneSelf {
		ok := raw || safeInLine(byte(r))
		if fold {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				if f >= utf8.RuneSelf {
					ok = false
				}
			}
		}
		return rpiece{b: []byte{lower[byte(r)]}, ok: ok}
	}
	// Non-ASCII: compared exactly, so usable against the raw line unless
	// folded; never in a field (a log format may escape it).
	return rpiece{b: utf8.AppendRune(nil, r), ok: raw && !fold}
}

func piecesLits(pieces []rpiece) litSet {
	var best, cur []byte
	for _, p := range pieces {
		if !p.ok {
			cur = cur[:0]
			continue
		}
		cur = append(cur, p.b...)
		if len(cur) > len(best) {
			best = slices.Clone(cur)
		}
	}
	if len(best) == 0 {
		return litSet{}
	}
	return litSet{ok: true, lits: [][]byte{best}}
}
