package sigma

import (
	"bytes"
	"encoding/binary"
)

// Case-insensitive comparison in this package is ASCII case folding: the
// letters A–Z equal a–z and every other byte equals only itself. Rule values
// are lowered once at load time; event bytes are folded as they are compared,
// so matching never allocates.

// lower maps the ASCII upper-case letters to lower case and every other byte
// to itself.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c) + 'a' - 'A'
	}
	return t
}()

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return lower[c] != c || ('a' <= c && c <= 'z') }

// lowerCopy returns a copy of b with ASCII letters lowered.
func lowerCopy(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lower[c]
	}
	return out
}

// equalFold reports whether s equals low (already lowered) under ASCII case
// folding. Eight bytes at a time, the upper-case letters of s are found and
// lowered with word arithmetic.
func equalFold(s, low []byte) bool {
	if len(s) != len(low) {
		return false
	}
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if lower8(binary.LittleEndian.Uint64(s[i:])) != binary.LittleEndian.Uint64(low[i:]) {
			return false
		}
	}
	for ; i < len(s); i++ {
		if lower[s[i]] != low[i] {
			return false
		}
	}
	return true
}

// lower8 lowers the ASCII upper-case letters among eight bytes.
func lower8(x uint64) uint64 {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	h := x &^ high                  // each byte's low seven bits
	geA := h + ones*(0x80-'A')      // high bit set where the byte is >= 'A'
	gtZ := h + ones*(0x80-'Z'-1)    // high bit set where the byte is > 'Z'
	upper := geA &^ gtZ &^ x & high // and the byte itself is ASCII
	return x | upper>>2             // 0x80>>2 is 0x20, the case bit
}

// equalFoldBoth reports whether a equals b under ASCII case folding, neither
// being lowered beforehand.
func equalFoldBoth(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i, c := range a {
		if lower[c] != lower[b[i]] {
			return false
		}
	}
	return true
}

// needle is a literal searched for inside a value: lowered when fold is set,
// with an anchor byte chosen so that candidate positions can be found with
// bytes.IndexByte.
type needle struct {
	s      []byte
	fold   bool
	anchor int // index in s of a non-letter byte to search for; -1 when s is all letters
}

func newNeedle(s []byte, fold bool) needle {
	n := needle{s: s, fold: fold, anchor: -1}
	if fold {
		n.s = lowerCopy(s)
		// Prefer a non-letter byte that is uncommon in web-server log fields.
		for i, c := range n.s {
			if isLetter(c) {
				continue
			}
			if n.anchor < 0 || common(n.s[n.anchor]) && !common(c) {
				n.anchor = i
			}
		}
	}
	return n
}

// common reports whether c is a byte that occurs often in web-server logs,
// and so makes a poor anchor.
func common(c byte) bool {
	switch c {
	case ' ', '/', '.', '-', '_', '=', '&', '%', '+', ':':
		return true
	}
	return '0' <= c && c <= '9'
}

// index returns the index of the first occurrence of the needle in h, or -1.
func (n *needle) index(h []byte) int {
	s := n.s
	if !n.fold {
		return bytes.Index(h, s)
	}
	if len(s) == 0 {
		return 0
	}
	end := len(h) - len(s) + 1 // candidate starts are [0, end)
	if end <= 0 {
		return -1
	}
	if k := n.anchor; k >= 0 {
		c := s[k]
		for i := 0; i < end; {
			j := bytes.IndexByte(h[i+k:end+k], c)
			if j < 0 {
				return -1
			}
			start := i + j
			if equalFold(h[start:start+len(s)], s) {
				return start
			}
			i = start + 1
		}
		return -1
	}
	// All letters: look for either case of the first byte, remembering the
	// next position of each so that every byte is scanned at most twice.
	lc, uc := s[0], s[0]-('a'-'A')
	pl, pu := -2, -2 // next position of lc / uc at or after i; -2 unknown, -1 none
	for i := 0; i < end; {
		if pl != -1 && pl < i {
			if r := bytes.IndexByte(h[i:end], lc); r < 0 {
				pl = -1
			} else {
				pl = i + r
			}
		}
		if pu != -1 && pu < i {
			if r := bytes.IndexByte(h[i:end], uc); r < 0 {
				pu = -1
			} else {
				pu = i + r
			}
		}
		c := pl
		if c < 0 || pu >= 0 && pu < c {
			c = pu
		}
		if c < 0 {
			return -1
		}
		if equalFold(h[c+1:c+len(s)], s[1:]) {
			return c
		}
		i = c + 1
	}
	return -1
}

func (n *needle) hasPrefix(h []byte) bool {
	if len(h) < len(n.s) {
		return false
	}
	if n.fold {
		return equalFold(h[:len(n.s)], n.s)
	}
	return bytes.Equal(h[:len(n.s)], n.s)
}

func (n *needle) hasSuffix(h []byte) bool {
	if len(h) < len(n.s) {
		return false
	}
	if n.fold {
		return equalFold(h[len(h)-len(n.s):], n.s)
	}
	return bytes.Equal(h[len(h)-len(n.s):], n.s)
}

func (n *needle) equal(h []byte) bool {
	if n.fold {
		return equalFold(h, n.s)
	}
	return bytes.Equal(h, n.s)
}
