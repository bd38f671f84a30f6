package match

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestIPSet(t *testing.T) {
	s := NewIPSet()
	for _, v := range []string{"107.191.58.76", "10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "2001:db8:1::5", "::ffff:192.0.2.9", "0.0.0.0/0"} {
		if err := s.Add(v, v); err != nil {
			t.Fatal(err)
		}
	}
	s2 := NewIPSet()
	for _, v := range []string{"107.191.58.76", "10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "2001:db8:1::5", "192.0.2.9"} {
		if err := s2.Add(v, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		in, label string
		ok        bool
	}{
		{"107.191.58.76", "107.191.58.76", true},
		{"107.191.58.77", "", false},
		{"10.2.3.4", "10.0.0.0/8", true},
		{"10.1.3.4", "10.1.0.0/16", true}, // most specific wins
		{"2001:db8:1::5", "2001:db8:1::5", true},
		{"2001:DB8:ffff::1", "2001:db8::/32", true},
		{"[2001:db8::1]", "2001:db8::/32", true},
		{"2001:db9::1", "", false},
		{"192.0.2.9", "192.0.2.9", true},
		{"::ffff:192.0.2.9", "192.0.2.9", true},
		{"010.1.1.1", "", false}, // leading zero: not an address
		{"1.2.3", "", false},
		{"1.2.3.4.5", "", false},
		{"256.1.1.1", "", false},
		{"-", "", false},
		{"", "", false},
		{"fe80::1%eth0", "", false},
	} {
		label, ok := s2.Lookup([]byte(c.in))
		if ok != c.ok || label != c.label {
			t.Errorf("Lookup(%q) = %q, %v, want %q, %v", c.in, label, ok, c.label, c.ok)
		}
	}
	if label, ok := s.Lookup([]byte("8.8.8.8")); !ok || label != "0.0.0.0/0" {
		t.Errorf("Lookup(8.8.8.8) with 0.0.0.0/0 = %q, %v", label, ok)
	}
	if err := s.Add("nonsense", "x"); err == nil {
		t.Error("Add(nonsense) = nil, want an error")
	}
}

func TestIPv4ParseMatchesNetip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b []byte
		n := r.IntN(18)
		for j := 0; j < n; j++ {
			b = append(b, "0123456789.:x"[r.IntN(13)])
		}
		got, ok := parseIPv4(b)
		s := NewIPSet()
		err := s.Add(string(b), "x")
		want := err == nil && !bytes.ContainsRune(b, ':') && !bytes.Contains(b, []byte("/"))
		if ok != want {
			t.Fatalf("parseIPv4(%q) ok = %v, netip says %v", b, ok, want)
		}
		if ok {
			if _, hit := s.lookup4(got); !hit {
				t.Fatalf("parseIPv4(%q) = %x, not the address netip parsed", b, got)
			}
		}
	}
}

// asciiLower lowers ASCII letters only, byte for byte (bytes.ToLower would
// rewrite invalid UTF-8 and shift offsets).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lower(c)
	}
	return out
}

// naive finds every occurrence by trying every position: the reference.
func naive(pats [][]byte, buf []byte) [][2]int {
	var out [][2]int
	lb := asciiLower(buf)
	for start := range lb {
		for pi, p := range pats {
			if bytes.HasPrefix(lb[start:], asciiLower(p)) {
				out = append(out, [2]int{start, pi})
			}
		}
	}
	return out
}

func TestLiteralsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := "abcABC./-_:0 \n"
	prefixes := []string{"", "", "http://", "/_layouts/15/", "=cmd"}
	for round := 0; round < 600; round++ {
		var pats [][]byte
		long := round%2 == 1 // long patterns, many sharing a prefix: the windows and the 8-byte class
		count := r.IntN(20) + 1
		if long {
			count = r.IntN(60) + 1 // more than sharedGram share "http://" now and then
		}
		for i := count; i > 0; i-- {
			n := r.IntN(9) + 1
			var p []byte
			if long {
				n = r.IntN(20) + 1
				p = append(p, prefixes[r.IntN(len(prefixes))]...)
			}
			for j := 0; j < n; j++ {
				p = append(p, alphabet[r.IntN(len(alphabet))])
			}
			pats = append(pats, p)
		}
		var buf []byte
		for i := r.IntN(600); i > 0; i-- {
			if r.IntN(20) == 0 {
				buf = append(buf, pats[r.IntN(len(pats))]...)
			}
			buf = append(buf, alphabet[r.IntN(len(alphabet))])
		}
		var sample []byte
		if round%4 >= 2 {
			sample = buf // windows chosen by the text's grams
		}
		l, err := NewLiteralsFor(pats, sample)
		if err != nil {
			t.Fatal(err)
		}
		got := l.Sorted(buf, nil)
		want := naive(pats, buf)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: Scan(%q) with %q = %v, want %v", round, buf, pats, got, want)
		}
	}
}

func TestLiteralsStop(t *testing.T) {
	l, _ := NewLiterals([][]byte{[]byte("spinstall0.aspx"), []byte("ToolPane")})
	n := 0
	l.Scan([]byte("GET /_layouts/15/spinstall0.aspx /toolpane.aspx TOOLPANE"), func(pat, start int) bool { n++; return false })
	if n != 1 {
		t.Errorf("Scan visited %d matches after fn returned false, want 1", n)
	}
	if _, err := NewLiterals([][]byte{{}}); err == nil {
		t.Error("NewLiterals(empty pattern) = nil error")
	}
}

func FuzzLiterals(f *testing.F) {
	f.Add("toolpane.aspx|spinstall0|1.css", "POST /_layouts/15/ToolPane.aspx?DisplayMode=Edit 1.CSS")
	f.Fuzz(func(t *testing.T, pats, buf string) {
		var ps [][]byte
		for _, p := range strings.Split(pats, "|") {
			if p != "" && len(ps) < 50 {
				ps = append(ps, []byte(p))
			}
		}
		if len(ps) == 0 || len(buf) > 4096 {
			return
		}
		l, err := NewLiteralsFor(ps, []byte(buf))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := l.Sorted([]byte(buf), nil), naive(ps, []byte(buf)); !slices.Equal(got, want) {
			t.Fatalf("Scan(%q) with %q = %v, want %v", buf, ps, got, want)
		}
	})
}

func BenchmarkLiterals10k(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	// Domain-like indicators: random labels, common TLDs, so they share
	// endings but not beginnings, as real lists do.
	tlds := []string{".com", ".net", ".org", ".ru", ".info", ".xyz", ".top", ".io"}
	var pats [][]byte
	for i := 0; i < 10000; i++ {
		n := 6 + r.IntN(14)
		label := make([]byte, n)
		for j := range label {
			label[j] = "abcdefghijklmnopqrstuvwxyz0123456789-"[r.IntN(37)]
		}
		pats = append(pats, append(label, tlds[r.IntN(len(tlds))]...))
	}
	l, _ := NewLiterals(pats)
	line := []byte("2025-07-19 07:28:11 10.0.0.5 GET /_layouts/15/start.aspx - 443 - 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://portal.example.com/ 200 0 0 31\n")
	buf := bytes.Repeat(line, (4<<20)/len(line))
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Scan(buf, func(pat, start int) bool { return true })
	}
}

func BenchmarkIPLookup(b *testing.B) {
	s := NewIPSet()
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 100000; i++ {
		v := r.Uint32()
		_ = s.Add(fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&255, v>>8&255, v&255), "x")
	}
	for i := 0; i < 1000; i++ {
		v := r.Uint32()
		_ = s.Add(fmt.Sprintf("%d.%d.%d.0/%d", v>>24, v>>16&255, v>>8&255, 16+r.IntN(9)), "x")
	}
	ip := []byte("203.0.113.7")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Lookup(ip)
	}
}

func TestU32map(t *testing.T) {
	m := newU32map()
	ref := map[uint32]int32{}
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 50000; i++ {
		k := r.Uint32() % 100000
		if i%7 == 0 {
			k = 0
		}
		m.put(k, int32(i))
		ref[k] = int32(i)
	}
	if m.len() != len(ref) {
		t.Fatalf("len = %d, want %d", m.len(), len(ref))
	}
	for k := uint32(0); k < 110000; k++ {
		v, ok := m.get(k)
		w, wok := ref[k]
		if ok != wok || v != w {
			t.Fatalf("get(%d) = %d, %v; want %d, %v", k, v, ok, w, wok)
		}
	}
}

// TestAnchoredGroupsBounded: a short pattern anchors its first byte, and
// the shortest patterns starting with it join it, but a group never takes
// thousands of them (it is compared one pattern at a time at every
// occurrence of the byte).
func TestAnchoredGroupsBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pats := [][]byte{[]byte("bin"), []byte("ab.ru")}
	for range 5000 {
		label := make([]byte, 6+r.IntN(10))
		for j := range label {
			label[j] = "abcdefghijklmnopqrstuvwxyz"[r.IntN(26)]
		}
		pats = append(pats, append(label, ".com"...))
	}
	l, err := NewLiterals(pats)
	if err != nil {
		t.Fatal(err)
	}
	for b, g := range l.anchored {
		if len(g.pats) > maxAnchored+2 {
			t.Errorf("anchored group %q holds %d patterns, want at most %d", b, len(g.pats), maxAnchored+2)
		}
	}
	buf := []byte("GET /_vti_bin/x?u=ab.ru&q=" + string(pats[100]) + " abcab")
	if got, want := l.Sorted(buf, nil), naive(pats, buf); !slices.Equal(got, want) {
		t.Errorf("Scan = %v, want %v", got, want)
	}
}

// TestLiteralsLongClass: long patterns whose every window has a gram that
// many patterns share ("/_layouts/15/" and four letters) are scanned with
// 8-byte grams, and still found exactly.
func TestLiteralsLongClass(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
		}
		return b
	}
	var pats [][]byte
	for range 10 {
		pats = append(pats, word(9))
	}
	for range 40 {
		pats = append(pats, append([]byte("/_layouts/15/"), word(4)...))
	}
	l, err := NewLiterals(pats)
	if err != nil {
		t.Fatal(err)
	}
	eight := false
	for _, s := range l.samplers {
		eight = eight || s.gram == 8
	}
	if !eight {
		t.Fatal("no 8-byte class for 40 patterns sharing a 13-byte prefix")
	}
	var buf []byte
	for i := range 2000 {
		buf = append(buf, "GET /_layouts/15/"...)
		if i%7 == 0 {
			buf = append(buf, pats[r.IntN(len(pats))]...)
		}
		buf = append(buf, word(5)...)
		buf = append(buf, '\n')
	}
	if got, want := l.Sorted(buf, nil), naive(pats, buf); !slices.Equal(got, want) || len(want) < 100 {
		t.Errorf("Scan found %d occurrences, naive %d (want them equal and over 100)", len(got), len(want))
	}
}
