package match

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Literals finds many byte strings in a buffer at once, ignoring ASCII case.
//
// It samples the buffer instead of reading every position: with m the length
// of the shortest pattern, every occurrence of any pattern covers m-3
// consecutive positions at which one of its first 4-byte windows ("grams")
// starts, so looking only at every (m-3)th position cannot miss one. Each
// sampled gram is folded to lower case, hashed into a 1 Mbit filter that
// fits in L2 cache, and only on a filter hit looked up among the patterns'
// grams and verified. Long patterns make it faster, not slower.
type Literals struct {
	pats   [][]byte // folded to lower case
	stride int
	filter []uint64
	grams  map[uint32][]gramRef
	short  []int // patterns shorter than 4 bytes: found by a plain scan
}

type gramRef struct {
	pat int32
	off int32
}

const (
	gramLen    = 4
	filterBits = 20
	foldMask   = 0x20202020
)

// MinLiteral is the shortest pattern that the sampled scan handles; shorter
// ones work but are scanned for one by one.
const MinLiteral = gramLen

// NewLiterals compiles patterns. Pattern i is reported as i. Empty patterns
// are refused.
func NewLiterals(patterns [][]byte) (*Literals, error) {
	l := &Literals{filter: make([]uint64, 1<<filterBits/64), grams: map[uint32][]gramRef{}}
	minLen := 0
	for i, p := range patterns {
		if len(p) == 0 {
			return nil, fmt.Errorf("pattern %d is empty", i)
		}
		l.pats = append(l.pats, foldCopy(p))
		if len(p) < gramLen {
			l.short = append(l.short, i)
			continue
		}
		if minLen == 0 || len(p) < minLen {
			minLen = len(p)
		}
	}
	if minLen == 0 {
		return l, nil
	}
	l.stride = minLen - gramLen + 1
	for i, p := range l.pats {
		if len(p) < gramLen {
			continue
		}
		// Index the grams at offsets 0..stride-1: exactly one of them lands
		// on a sampled position, whatever the pattern's length.
		for off := 0; off < l.stride; off++ {
			g := binary.LittleEndian.Uint32(p[off:]) | foldMask
			l.grams[g] = append(l.grams[g], gramRef{int32(i), int32(off)})
			h := hashGram(g)
			l.filter[h/64] |= 1 << (h % 64)
		}
	}
	return l, nil
}

// Len returns the number of patterns.
func (l *Literals) Len() int { return len(l.pats) }

// Pattern returns pattern i as compiled (lower case).
func (l *Literals) Pattern(i int) []byte { return l.pats[i] }

func hashGram(g uint32) uint32 { return (g * 0x9E3779B1) >> (32 - filterBits) }

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
	if l.stride > 0 {
		last := len(buf) - gramLen
		for i := 0; i <= last; i += l.stride {
			g := binary.LittleEndian.Uint32(buf[i:]) | foldMask
			h := hashGram(g)
			if l.filter[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			for _, ref := range l.grams[g] {
				start := i - int(ref.off)
				if equalFoldAt(buf, start, l.pats[ref.pat]) && !fn(int(ref.pat), start) {
					return
				}
			}
		}
	}
	for _, pi := range l.short {
		p := l.pats[pi]
		for start := 0; start+len(p) <= len(buf); start++ {
			if equalFoldAt(buf, start, p) && !fn(pi, start) {
				return
			}
		}
	}
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
