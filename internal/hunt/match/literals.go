package match

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// Literals finds many byte strings in a buffer at once, ignoring ASCII case.
//
// It samples the buffer instead of reading every position. With G the gram
// length (4 bytes; 8 for long patterns whose 4-byte grams many patterns
// share) and m the length of the shortest pattern of a class, a pattern
// indexed by s = m-G+1 consecutive grams of its own has one of them start
// at a sampled position wherever it occurs, if every sth position is
// sampled. Which s grams is chosen per pattern: those rarest in a sample of
// the text and least shared with other patterns. Each sampled gram is
// folded to lower case and looked up in a 1 Mbit filter that fits in L2
// cache; only on a filter hit is it looked up among the patterns' grams and
// verified. Patterns too short to sample well are found by jumping between
// occurrences of their first byte instead (anchored).
type Literals struct {
	pats     [][]byte   // folded to lower case
	samplers []*sampler // one per length class
	// anchored holds short patterns found by jumping between occurrences
	// of their first byte: those under 4 bytes, those under 8 when few
	// distinct first bytes make that cheaper than sampling ("=cmd", "=id"),
	// and the shortest longer ones that start with such a byte (absorb).
	anchored map[byte]*anchorGroup
	sample   []byte // text like the text to scan (compiling only)
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
	// filter is a blocked Bloom filter: each gram sets three bits of one
	// 64-bit word, so a probe reads one word and text that shares no gram
	// with a pattern rarely passes.
	filter *[1 << wordBits]uint64
	// table maps a gram to its refs[lo:hi]: open addressing, built once.
	table []gramSlot
	mask  uint64
	refs  []gramRef
}

// gramSlot is 12 bytes, so that the table of 100k grams stays small. An
// 8-byte gram's key is folded to 32 bits: two grams may then share a slot's
// key, which only costs comparisons, as every ref is verified.
type gramSlot struct {
	key    uint32
	lo, hi uint32 // refs[lo:hi]; hi is 0 for an empty slot
}

func slotKey(g uint64) uint32 { return uint32(g) ^ uint32(g>>32) }

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
func NewLiterals(patterns [][]byte) (*Literals, error) { return NewLiteralsFor(patterns, nil) }

// maxSample bounds the sample NewLiteralsFor reads.
const maxSample = 256 << 10

// NewLiteralsFor is NewLiterals for text like sample (its first 256 KiB are
// read): where a pattern can be indexed by several windows of grams, the
// grams common in the sample are avoided. Say "yjdhttpyiyu1pv.top" is an
// indicator: its "http" would send every URL in a log to verification.
// The sample changes only the speed of a scan, never its result.
func NewLiteralsFor(patterns [][]byte, sample []byte) (*Literals, error) {
	l := &Literals{sample: sample[:min(len(sample), maxSample)]}
	// Length classes: the stride of a class is set by its shortest pattern,
	// so short patterns must not slow down the scan for long ones. Long
	// patterns use 8-byte grams, which common text rarely shares — but only
	// where their 4-byte grams are common (windows): every class is one
	// more pass over the buffer.
	var short4, mid4 []int
	for i, p := range patterns {
		if len(p) == 0 {
			return nil, fmt.Errorf("pattern %d is empty", i)
		}
		l.pats = append(l.pats, foldCopy(p))
		switch {
		case len(p) >= 8:
			mid4 = append(mid4, i)
		case len(p) >= 4:
			short4 = append(short4, i)
		default:
			l.anchor(i)
		}
	}
	firsts := map[byte]bool{}
	for _, i := range short4 {
		firsts[l.pats[i][0]] = true
	}
	if len(firsts) <= 3 && len(short4) <= maxAnchored {
		for _, i := range short4 {
			l.anchor(i)
		}
		short4 = nil
	}
	mid4, starts, long8 := l.windows(l.absorb(mid4))
	l.sample = nil
	for _, c := range []struct {
		idx    []int
		starts []int
		gram   int
	}{{long8, nil, 8}, {mid4, starts, 4}, {short4, nil, 4}} {
		if s := newSampler(l.pats, c.idx, c.starts, c.gram); s != nil {
			l.samplers = append(l.samplers, s)
		}
	}
	return l, nil
}

// sharedGram is how many patterns may share a 4-byte gram before the long
// ones among them are moved to 8-byte grams: each occurrence of the gram
// in the text verifies them all, but the 8-byte class costs a pass of its
// own, worth it only for grams shared widely ("http" in a list of URLs).
const sharedGram = 16

// windows chooses the grams each pattern of the 4-byte class is indexed
// by. With stride s, any s consecutive grams of a pattern will do (one of
// them lands on a sampled position), so a pattern longer than the shortest
// gets the window whose grams the fewest other patterns share: ten
// thousand URLs all start "http", but differ further on. A pattern of 16
// bytes or more whose best window still has a shared gram moves to the
// 8-byte class (long), whose grams are rarely shared; that class is one
// more pass over every buffer, so only such patterns go there.
//
// Moving the shortest patterns out can lengthen the stride, which changes
// the windows: the choice is made again until the class is settled.
func (l *Literals) windows(idx []int) (mid, starts, long []int) {
	for {
		mid, starts, moved, stride := l.windowsOnce(idx)
		long = append(long, moved...)
		if len(moved) == 0 || len(mid) == 0 || minLen(l.pats, mid)-4+1 == stride {
			return mid, starts, long
		}
		idx = mid
	}
}

func minLen(pats [][]byte, idx []int) int {
	m := len(pats[idx[0]])
	for _, i := range idx {
		m = min(m, len(pats[i]))
	}
	return m
}

func (l *Literals) windowsOnce(idx []int) (mid, starts, long []int, stride int) {
	if len(idx) == 0 {
		return nil, nil, nil, 0
	}
	stride = minLen(l.pats, idx) - 4 + 1
	gram := func(i, off int) uint32 { return binary.LittleEndian.Uint32(l.pats[i][off:]) | fold4 }
	// How many patterns hold each gram anywhere they could be indexed
	// (u32map: 100k patterns make a million and a half lookups here).
	count := newU32map()
	var seen []uint32
	for _, i := range idx {
		seen = seen[:0]
		for off := 0; off+4 <= len(l.pats[i]); off++ {
			if g := gram(i, off); !slices.Contains(seen, g) {
				seen = append(seen, g)
				n, _ := count.get(g)
				count.put(g, n+1)
			}
		}
	}
	// How often the sample holds them.
	inText := newU32map()
	for off := 0; off+4 <= len(l.sample); off++ {
		g := binary.LittleEndian.Uint32(l.sample[off:]) | fold4
		if _, ok := count.get(g); ok {
			n, _ := inText.get(g)
			inText.put(g, n+1)
		}
	}
	// A window costs the verifications its grams would cause: each
	// occurrence of a gram in the text verifies every pattern indexed by it.
	var shared, cost []int
	for _, i := range idx {
		shared, cost = shared[:0], cost[:0]
		for off := 0; off+4 <= len(l.pats[i]); off++ {
			g := gram(i, off)
			c, _ := count.get(g)
			t, _ := inText.get(g)
			shared, cost = append(shared, int(c)), append(cost, (1+int(t))*int(c))
		}
		best, bestMax, bestCost := 0, -1, 0
		for k := 0; k+stride <= len(cost); k++ {
			hi, sum := 0, 0
			for off := k; off < k+stride; off++ {
				hi, sum = max(hi, shared[off]), sum+cost[off]
			}
			if bestMax < 0 || sum < bestCost || sum == bestCost && hi < bestMax {
				best, bestMax, bestCost = k, hi, sum
			}
		}
		if bestMax > sharedGram && len(l.pats[i]) >= 16 {
			long = append(long, i)
			continue
		}
		mid = append(mid, i)
		starts = append(starts, best)
	}
	return mid, starts, long, stride
}

// absorb moves the shortest patterns of a class into the anchored groups
// while their first byte is one the scan already jumps between: there
// they cost a comparison at each occurrence of that byte, while in the
// class the shortest pattern sets the stride of the scan for all of them
// ("=cmd.exe" beside 10k domain names of 9 bytes or more). A group takes
// at most maxAnchored patterns: it is compared one pattern at a time.
func (l *Literals) absorb(idx []int) []int {
	if len(l.anchored) == 0 {
		return idx
	}
	anchorable := func(i int) int {
		if _, ok := l.anchored[l.pats[i][0]]; ok {
			return 0
		}
		return 1
	}
	// Shortest first; of one length, those that can join a group first.
	idx = slices.Clone(idx)
	slices.SortStableFunc(idx, func(a, b int) int {
		if d := len(l.pats[a]) - len(l.pats[b]); d != 0 {
			return d
		}
		return anchorable(a) - anchorable(b)
	})
	for len(idx) > 0 {
		g, ok := l.anchored[l.pats[idx[0]][0]]
		if !ok || len(g.pats) >= maxAnchored {
			break
		}
		l.anchor(idx[0])
		idx = idx[1:]
	}
	return idx
}

// maxAnchored bounds the patterns absorb puts in one anchored group.
const maxAnchored = 32

// newSampler indexes patterns idx by their grams at offsets starts[j] to
// starts[j]+stride-1 (from 0 when starts is nil).
func newSampler(pats [][]byte, idx, starts []int, gram int) *sampler {
	if len(idx) == 0 {
		return nil
	}
	s := &sampler{gram: gram, stride: minLen(pats, idx) - gram + 1, filter: new([1 << wordBits]uint64)}
	// Every (slot key, ref) pair, sorted by key: the refs of one key are
	// then a run (a map of slices costs an allocation per gram).
	type keyed struct {
		key uint32
		ref gramRef
	}
	pairs := make([]keyed, 0, len(idx)*s.stride)
	for j, i := range idx {
		p := pats[i]
		// Index the grams at stride consecutive offsets: exactly one of
		// them lands on a sampled position, whatever the pattern's length.
		k := 0
		if starts != nil {
			k = starts[j]
		}
		for off := k; off < k+s.stride; off++ {
			g := s.key(p[off:])
			pairs = append(pairs, keyed{slotKey(g), gramRef{int32(i), int32(off)}})
			w, bits := filterProbe(g)
			s.filter[w] |= bits
		}
	}
	slices.SortFunc(pairs, func(a, b keyed) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ref.pat, b.ref.pat); c != 0 {
			return c
		}
		return cmp.Compare(a.ref.off, b.ref.off)
	})
	keys := 0
	for i := range pairs {
		if i == 0 || pairs[i].key != pairs[i-1].key {
			keys++
		}
	}
	size := 16
	for size < 2*keys {
		size *= 2
	}
	s.table, s.mask = make([]gramSlot, size), uint64(size-1)
	s.refs = make([]gramRef, len(pairs))
	for i := 0; i < len(pairs); {
		k, lo := pairs[i].key, i
		for ; i < len(pairs) && pairs[i].key == k; i++ {
			s.refs[i] = pairs[i].ref
		}
		j := tableHash(k) & s.mask
		for s.table[j].hi != 0 {
			j = (j + 1) & s.mask
		}
		s.table[j] = gramSlot{key: k, lo: uint32(lo), hi: uint32(i)}
	}
	return s
}

// filterProbe returns the filter word of gram g and the three bits it sets.
func filterProbe(g uint64) (word uint64, bits uint64) {
	h := g * 0x9E3779B97F4A7C15
	return h >> (64 - wordBits), 1<<(h&63) | 1<<((h>>6)&63) | 1<<((h>>12)&63)
}

func tableHash(k uint32) uint64 { return (uint64(k) * 0xC2B2AE3D27D4EB4F) >> 17 }

// lookup returns the refs of gram g.
func (s *sampler) lookup(g uint64) []gramRef {
	k := slotKey(g)
	for j := tableHash(k) & s.mask; ; j = (j + 1) & s.mask {
		sl := &s.table[j]
		if sl.hi == 0 {
			return nil
		}
		if sl.key == k {
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

// candidates is how many filter hits the sampled scan collects before it
// verifies them: the probing loop then makes no calls, and the compiler
// keeps its state in registers.
const candidates = 256

func (s *sampler) scan(pats [][]byte, buf []byte, fn func(pat, start int) bool) bool {
	var cand [candidates]int
	for i := 0; i+s.gram <= len(buf); {
		var n int
		if s.gram == 8 {
			i, n = s.probe8(buf, i, &cand)
		} else {
			i, n = s.probe4(buf, i, &cand)
		}
		for _, c := range cand[:n] {
			if !s.verify(pats, buf, c, s.key(buf[c:]), fn) {
				return false
			}
		}
	}
	return true
}

// probe4 samples 4-byte grams from position i on, and returns where it
// stopped and how many positions whose gram passed the filter it put in
// cand. It stops at the end of buf or when cand is full.
func (s *sampler) probe4(buf []byte, i int, cand *[candidates]int) (next, n int) {
	filter, stride, last := s.filter, s.stride, len(buf)-4
	for ; i <= last && n < candidates; i += stride {
		g := uint64(binary.LittleEndian.Uint32(buf[i:]) | fold4)
		w, b := filterProbe(g)
		if filter[w]&b == b {
			cand[uint8(n)] = i
			n++
		}
	}
	return i, n
}

// probe8 is probe4 for 8-byte grams.
func (s *sampler) probe8(buf []byte, i int, cand *[candidates]int) (next, n int) {
	filter, stride, last := s.filter, s.stride, len(buf)-8
	for ; i <= last && n < candidates; i += stride {
		g := binary.LittleEndian.Uint64(buf[i:]) | fold8
		w, b := filterProbe(g)
		if filter[w]&b == b {
			cand[uint8(n)] = i
			n++
		}
	}
	return i, n
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
