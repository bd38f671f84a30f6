package match

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// Literals finds many byte strings in a buffer at once, ignoring ASCII case.
//
// It samples the buffer instead of reading every position. With G the gram
// length (8 bytes for patterns of 16 bytes or more, 4 for shorter ones) and m
// the length of the shortest pattern, every occurrence of a pattern covers
// m-G+1 consecutive positions at which one of its first G-byte windows
// ("grams") starts, so looking only at every (m-G+1)th position cannot miss
// one. Each sampled gram is folded to lower case and hashed into a 1 Mbit
// filter that fits in L2 cache; only on a filter hit is it looked up among
// the patterns' grams and verified. Long grams keep common text ("aspx",
// ".com") from matching the grams of many patterns at once.
type Literals struct {
	pats     [][]byte   // folded to lower case
	samplers []*sampler // one per length class
	// anchored holds short patterns found by jumping between occurrences
	// of their first byte: those under 4 bytes, and those under 8 when few
	// distinct first bytes make that cheaper than sampling ("=cmd", "=id").
	anchored map[byte]*anchorGroup
}

// anchorGroup is the anchored patterns that start with one byte.
type anchorGroup struct {
	pats []int
	// second[c] says some pattern has c (lower case) as its second byte;
	// short says one has no second byte.
	second [256]bool
	short  bool
}

// sampler is the sampled scan for patterns that share one gram length.
type sampler struct {
	gram   int // 4 or 8
	stride int
	// filter is a blocked Bloom filter: each gram sets two bits of one
	// 64-bit word, so a probe reads one word and text that shares no gram
	// with a pattern passes about 4 times less often than with one bit.
	filter []uint64
	// table maps a gram to its refs[lo:hi]: open addressing, built once.
	table []gramSlot
	mask  uint64
	refs  []gramRef
}

type gramSlot struct {
	key    uint64 // the gram; 0 is a valid gram, so used marks the slot
	lo, hi int32
	used   bool
}

type gramRef struct {
	pat int32
	off int32
}

const (
	filterBits = 20 // 1 Mbit: 128 KiB, stays in L2
	wordBits   = filterBits - 6
	fold4      = 0x20202020
	fold8      = 0x2020202020202020
)

// MinLiteral is the shortest pattern that the sampled scan handles; shorter
// ones work but are scanned for one by one.
const MinLiteral = 4

// NewLiterals compiles patterns. Pattern i is reported as i. Empty patterns
// are refused.
func NewLiterals(patterns [][]byte) (*Literals, error) {
	l := &Literals{}
	// Length classes: the stride of a class is set by its shortest pattern,
	// so short patterns must not slow down the scan for long ones. Long
	// patterns use 8-byte grams, which common text rarely shares — but only
	// where their 4-byte grams are common (splitLong): every class is one
	// more pass over the buffer.
	var short4, mid4, long8 []int
	for i, p := range patterns {
		if len(p) == 0 {
			return nil, fmt.Errorf("pattern %d is empty", i)
		}
		l.pats = append(l.pats, foldCopy(p))
		switch {
		case len(p) >= 16:
			long8 = append(long8, i)
		case len(p) >= 8:
			mid4 = append(mid4, i)
		case len(p) >= 4:
			short4 = append(short4, i)
		default:
			l.anchor(i)
		}
	}
	mid4, long8 = l.splitLong(mid4, long8)
	firsts := map[byte]bool{}
	for _, i := range short4 {
		firsts[l.pats[i][0]] = true
	}
	if len(firsts) <= 3 {
		for _, i := range short4 {
			l.anchor(i)
		}
		short4 = nil
	}
	mid4 = l.absorb(mid4)
	for _, c := range []struct {
		idx  []int
		gram int
	}{{long8, 8}, {mid4, 4}, {short4, 4}} {
		if s := newSampler(l.pats, c.idx, c.gram); s != nil {
			l.samplers = append(l.samplers, s)
		}
	}
	return l, nil
}

// sharedGram is how many patterns may share a 4-byte gram before the long
// ones among them are moved to 8-byte grams.
const sharedGram = 4

// splitLong decides which patterns of 16 bytes or more keep 8-byte grams.
// A separate class costs a second pass over every buffer, which on lists
// of random domains and file names costs more than it saves; but where
// many patterns share a 4-byte gram (URLs all starting "http", paths
// under "/_layouts/"), that gram would verify them all at every
// occurrence, and 8-byte grams avoid it. So a long pattern joins the
// 4-byte class unless one of the grams it would be indexed by is shared.
func (l *Literals) splitLong(mid4, long8 []int) (mid, long []int) {
	all := append(slices.Clone(mid4), long8...)
	if len(all) == 0 {
		return mid4, long8
	}
	minLen := len(l.pats[all[0]])
	for _, i := range all {
		minLen = min(minLen, len(l.pats[i]))
	}
	stride := minLen - 4 + 1
	grams := func(i int) []uint64 {
		var gs []uint64
		for off := 0; off < stride; off++ {
			g := uint64(binary.LittleEndian.Uint32(l.pats[i][off:]) | fold4)
			if !slices.Contains(gs, g) {
				gs = append(gs, g)
			}
		}
		return gs
	}
	count := map[uint64]int{}
	for _, i := range all {
		for _, g := range grams(i) {
			count[g]++
		}
	}
	mid = mid4
	for _, i := range long8 {
		shared := false
		for _, g := range grams(i) {
			if count[g] > sharedGram {
				shared = true
				break
			}
		}
		if shared {
			long = append(long, i)
		} else {
			mid = append(mid, i)
		}
	}
	return mid, long
}

// absorb moves the shortest patterns of a class into the anchored groups
// while their first byte is one the scan already jumps between: there they
// cost a comparison at each occurrence of that byte, while in the class
// the shortest pattern sets the stride of the scan for all of them
// ("=cmd.exe" beside 10k domain names of 9 bytes or more).
func (l *Literals) absorb(idx []int) []int {
	if len(l.anchored) == 0 {
		return idx
	}
	idx = slices.Clone(idx)
	slices.SortStableFunc(idx, func(a, b int) int { return len(l.pats[a]) - len(l.pats[b]) })
	for len(idx) > 0 {
		i := idx[0]
		if _, ok := l.anchored[l.pats[i][0]]; !ok {
			break
		}
		l.anchor(i)
		idx = idx[1:]
	}
	return idx
}

func newSampler(pats [][]byte, idx []int, gram int) *sampler {
	if len(idx) == 0 {
		return nil
	}
	minLen := len(pats[idx[0]])
	for _, i := range idx {
		minLen = min(minLen, len(pats[i]))
	}
	s := &sampler{gram: gram, stride: minLen - gram + 1, filter: make([]uint64, 1<<wordBits)}
	grams := map[uint64][]gramRef{}
	var order []uint64
	for _, i := range idx {
		p := pats[i]
		// Index the grams at offsets 0..stride-1: exactly one of them lands
		// on a sampled position, whatever the pattern's length.
		for off := 0; off < s.stride; off++ {
			g := s.key(p[off:])
			if _, ok := grams[g]; !ok {
				order = append(order, g)
			}
			grams[g] = append(grams[g], gramRef{int32(i), int32(off)})
			w, bits := filterProbe(g)
			s.filter[w] |= bits
		}
	}
	size := 16
	for size < 2*len(order) {
		size *= 2
	}
	s.table, s.mask = make([]gramSlot, size), uint64(size-1)
	for _, g := range order {
		j := tableHash(g) & s.mask
		for s.table[j].used {
			j = (j + 1) & s.mask
		}
		lo := int32(len(s.refs))
		s.refs = append(s.refs, grams[g]...)
		s.table[j] = gramSlot{key: g, lo: lo, hi: int32(len(s.refs)), used: true}
	}
	return s
}

// filterProbe returns the filter word of gram g and the two bits it sets.
func filterProbe(g uint64) (word uint64, bits uint64) {
	h := g * 0x9E3779B97F4A7C15
	return h >> (64 - wordBits), 1<<(h&63) | 1<<((h>>6)&63)
}

func tableHash(g uint64) uint64 { return (g * 0xC2B2AE3D27D4EB4F) >> 17 }

// lookup returns the refs of gram g.
func (s *sampler) lookup(g uint64) []gramRef {
	for j := tableHash(g) & s.mask; ; j = (j + 1) & s.mask {
		sl := &s.table[j]
		if !sl.used {
			return nil
		}
		if sl.key == g {
			return s.refs[sl.lo:sl.hi]
		}
	}
}

func (s *sampler) key(b []byte) uint64 {
	if s.gram == 8 {
		return binary.LittleEndian.Uint64(b) | fold8
	}
	return uint64(binary.LittleEndian.Uint32(b) | fold4)
}

func (l *Literals) anchor(i int) {
	if l.anchored == nil {
		l.anchored = map[byte]*anchorGroup{}
	}
	p := l.pats[i]
	g := l.anchored[p[0]]
	if g == nil {
		g = &anchorGroup{}
		l.anchored[p[0]] = g
	}
	g.pats = append(g.pats, i)
	if len(p) == 1 {
		g.short = true
	} else {
		g.second[p[1]] = true
	}
}

// Len returns the number of patterns.
func (l *Literals) Len() int { return len(l.pats) }

// Pattern returns pattern i as compiled (lower case).
func (l *Literals) Pattern(i int) []byte { return l.pats[i] }

func foldCopy(p []byte) []byte {
	out := make([]byte, len(p))
	for i, c := range p {
		out[i] = lower(c)
	}
	return out
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldAt reports whether buf holds pattern p (lower case) at start.
func equalFoldAt(buf []byte, start int, p []byte) bool {
	if start < 0 || start+len(p) > len(buf) {
		return false
	}
	b := buf[start : start+len(p)]
	for i, c := range p {
		if lower(b[i]) != c {
			return false
		}
	}
	return true
}

// Scan calls fn for every occurrence of every pattern in buf, with the
// pattern's index and the occurrence's start offset, until fn returns false.
// Occurrences are reported once each, roughly in buffer order.
func (l *Literals) Scan(buf []byte, fn func(pat, start int) bool) {
	for _, s := range l.samplers {
		if !s.scan(l.pats, buf, fn) {
			return
		}
	}
	for lo, group := range l.anchored {
		if !scanAnchored(l.pats, buf, lo, group, fn) {
			return
		}
	}
}

// scanAnchored visits every occurrence of byte lo (in either case) and
// checks the patterns that start with it, remembering where each case
// occurs next so that no byte is searched twice.
func scanAnchored(pats [][]byte, buf []byte, lo byte, g *anchorGroup, fn func(pat, start int) bool) bool {
	up := lo
	if lo >= 'a' && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	next := func(c byte, from int) int {
		if i := bytes.IndexByte(buf[from:], c); i >= 0 {
			return from + i
		}
		return len(buf)
	}
	nLo, nUp := next(lo, 0), len(buf)
	if up != lo {
		nUp = next(up, 0)
	}
	for {
		start := min(nLo, nUp)
		if start >= len(buf) {
			return true
		}
		if g.short || start+1 < len(buf) && g.second[lower(buf[start+1])] {
			for _, pi := range g.pats {
				if equalFoldAt(buf, start, pats[pi]) && !fn(pi, start) {
					return false
				}
			}
		}
		if start == nLo {
			nLo = next(lo, start+1)
		} else {
			nUp = next(up, start+1)
		}
	}
}

func (s *sampler) scan(pats [][]byte, buf []byte, fn func(pat, start int) bool) bool {
	last := len(buf) - s.gram
	filter := s.filter
	if s.gram == 8 {
		i := 0
		// Two positions per round: their probes are independent, so the
		// CPU overlaps them.
		for ; i+s.stride <= last; i += 2 * s.stride {
			j := i + s.stride
			g1 := binary.LittleEndian.Uint64(buf[i:]) | fold8
			g2 := binary.LittleEndian.Uint64(buf[j:]) | fold8
			w1, b1 := filterProbe(g1)
			w2, b2 := filterProbe(g2)
			hit1 := filter[w1]&b1 == b1
			hit2 := filter[w2]&b2 == b2
			if hit1 && !s.verify(pats, buf, i, g1, fn) {
				return false
			}
			if hit2 && !s.verify(pats, buf, j, g2, fn) {
				return false
			}
		}
		for ; i <= last; i += s.stride {
			g := binary.LittleEndian.Uint64(buf[i:]) | fold8
			w, b := filterProbe(g)
			if filter[w]&b == b && !s.verify(pats, buf, i, g, fn) {
				return false
			}
		}
		return true
	}
	i := 0
	for ; i+s.stride <= last; i += 2 * s.stride {
		j := i + s.stride
		g1 := uint64(binary.LittleEndian.Uint32(buf[i:]) | fold4)
		g2 := uint64(binary.LittleEndian.Uint32(buf[j:]) | fold4)
		w1, b1 := filterProbe(g1)
		w2, b2 := filterProbe(g2)
		hit1 := filter[w1]&b1 == b1
		hit2 := filter[w2]&b2 == b2
		if hit1 && !s.verify(pats, buf, i, g1, fn) {
			return false
		}
		if hit2 && !s.verify(pats, buf, j, g2, fn) {
			return false
		}
	}
	for ; i <= last; i += s.stride {
		g := uint64(binary.LittleEndian.Uint32(buf[i:]) | fold4)
		w, b := filterProbe(g)
		if filter[w]&b == b && !s.verify(pats, buf, i, g, fn) {
			return false
		}
	}
	return true
}

func (s *sampler) verify(pats [][]byte, buf []byte, i int, g uint64, fn func(pat, start int) bool) bool {
	for _, ref := range s.lookup(g) {
		start := i - int(ref.off)
		if equalFoldAt(buf, start, pats[ref.pat]) && !fn(int(ref.pat), start) {
			return false
		}
	}
	return true
}

// Sorted is Scan's result in buffer order: (start, pattern) pairs sorted by
// start, then pattern.
func (l *Literals) Sorted(buf []byte, dst [][2]int) [][2]int {
	dst = dst[:0]
	l.Scan(buf, func(pat, start int) bool {
		dst = append(dst, [2]int{start, pat})
		return true
	})
	slices.SortFunc(dst, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return dst
}
