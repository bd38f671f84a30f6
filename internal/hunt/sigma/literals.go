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

// better reports whether a is a more useful prefilter than b: its least
// specific literal is more specific (see specificity), or, as specific, it
// has fewer literals.
func (a litSet) better(b litSet) bool {
	am, bm := a.minSpecificity(), b.minSpecificity()
	if am != bm {
		return am > bm
	}
	return len(a.lits) < len(b.lits)
}

func (a litSet) minSpecificity() int {
	m := -1
	for _, l := range a.lits {
		if s := specificity(l); m < 0 || s < m {
			m = s
		}
	}
	return m
}

// commonInWebLogs are words that fill ordinary web-server logs (SharePoint
// and IIS paths, file types, protocol and browser strings). A literal made
// of them would let most lines through the prefilter: "/_layouts/" is a
// worse choice than "ghostfile" although it is longer.
var commonInWebLogs = []string{
	"_layouts", "_vti_bin", "_api", "sites", "pages", "shared", "documents", "forms", "images",
	".aspx", ".asmx", ".ashx", ".axd", ".svc", ".js", ".css", ".png", ".gif", ".jpg", ".ico", ".htm", ".php",
	"http", "www.", ".com", "mozilla", "windows", "chrome", "safari", "gecko", "applewebkit",
	"login", "index", "default", "static", "assets", "/15/", "/16/",
}

// specificity counts the letters and digits of a literal that are not part
// of a common word: a rough measure of how rarely an ordinary log line
// holds it ("/", "." and the like are everywhere in URLs). Literals are
// lower case, as are the words.
func specificity(l []byte) int {
	var covered [64]bool
	if len(l) > len(covered) {
		return len(l) // long enough to be rare whatever it holds
	}
	for _, w := range commonInWebLogs {
		for off := 0; ; {
			i := bytes.Index(l[off:], []byte(w))
			if i < 0 {
				break
			}
			for j := off + i; j < off+i+len(w); j++ {
				covered[j] = true
			}
			off += i + 1
		}
	}
	n := 0
	for i, c := range l {
		if !covered[i] && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80) {
			n++
		}
	}
	return n
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

// Escaping says how a log format writes field values into its raw line,
// which decides the literals a field value can yield: only bytes the format
// always writes verbatim may be part of one.
type Escaping uint8

const (
	// EscapeAny assumes the strictest of the formats the hunt engine reads.
	// IIS writes a space as '+'; NCSA and JSON logs escape quotes,
	// backslashes and control characters; JSON encoders may also escape
	// '/', '<', '>', '&', the single quote and everything non-ASCII.
	EscapeAny Escaping = iota
	// EscapeLine is IIS W3C and NCSA (Apache, nginx) logs: every printable
	// ASCII byte but the space, '"' and '\\' is written as it is.
	EscapeLine
	numEscapings
)

// keep returns the test for bytes usable in a field literal.
func (e Escaping) keep() func(byte) bool {
	if e == EscapeLine {
		return verbatimInLine
	}
	return safeInLine
}

// safeInLine reports whether a field byte is written verbatim into the raw
// line by every log format the hunt engine reads (EscapeAny).
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

// verbatimInLine reports whether IIS and NCSA logs write a field byte as it
// is (EscapeLine).
func verbatimInLine(c byte) bool {
	return c > ' ' && c < 0x7f && c != '"' && c != '\\'
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
// stretch it requires whose bytes all pass keep. keep is nil for a pattern
// matched against the raw line itself (a keyword); for a field pattern it
// passes only the bytes the log format writes verbatim.
func patternLits(p pattern, keep func(byte) bool) litSet {
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
func regexpLits(src string, keep func(byte) bool) litSet {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return litSet{}
	}
	return reWalk(re.Simplify(), keep).normalize()
}

// rpiece is one character of a fixed stretch of a regular expression: its
// lowered bytes, and whether it may be part of a literal.
type rpiece struct {
	b  []byte
	ok bool
}

func reWalk(re *syntax.Regexp, keep func(byte) bool) litSet {
	if pieces, ok := reExact(re, keep); ok {
		return piecesLits(pieces)
	}
	switch re.Op {
	case syntax.OpCapture:
		return reWalk(re.Sub[0], keep)
	case syntax.OpPlus:
		return reWalk(re.Sub[0], keep)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reWalk(re.Sub[0], keep)
		}
	case syntax.OpAlternate:
		s := litSet{ok: true}
		for _, sub := range re.Sub {
			s = s.or(reWalk(sub, keep))
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
			if pieces, ok := reExact(sub, keep); ok {
				run = append(run, pieces...)
				continue
			}
			s = s.and(piecesLits(run))
			run = nil
			s = s.and(reWalk(sub, keep))
		}
		return s.and(piecesLits(run))
	}
	return litSet{}
}

// reExact returns the characters of a part of a regular expression that
// matches exactly one fixed text (up to ASCII case), or false.
func reExact(re *syntax.Regexp, keep func(byte) bool) ([]rpiece, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		pieces := make([]rpiece, 0, len(re.Rune))
		for _, r := range re.Rune {
			pieces = append(pieces, runePiece(r, fold, keep))
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
			return []rpiece{runePiece(rs[0], false, keep)}, true
		case len(rs) == 2 && rs[0] < utf8.RuneSelf && rs[1] < utf8.RuneSelf &&
			isLetter(byte(rs[0])) && lower[byte(rs[0])] == lower[byte(rs[1])]:
			return []rpiece{runePiece(rs[0], false, keep)}, true
		}
	case syntax.OpCapture:
		return reExact(re.Sub[0], keep)
	case syntax.OpConcat:
		var pieces []rpiece
		for _, sub := range re.Sub {
			p, ok := reExact(sub, keep)
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
func runePiece(r rune, fold bool, keep func(byte) bool) rpiece {
	if r < utf8.RuneSelf {
		ok := keep == nil || keep(byte(r))
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
	return rpiece{b: utf8.AppendRune(nil, r), ok: keep == nil && !fold}
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

// litKeep is the byte test for literals of a value: none for a keyword,
// which is matched against the raw line itself, else the escaping's.
func litKeep(keyword bool, esc Escaping) func(byte) bool {
	if keyword {
		return nil
	}
	return esc.keep()
}
