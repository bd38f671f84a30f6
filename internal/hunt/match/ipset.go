// Package match holds the hunt engine's compiled matchers: a set of IP
// addresses and prefixes that answers from raw bytes without allocating, and
// a multi-literal scanner that finds many strings in a whole buffer at once.
// They know nothing of log formats or rules; package hunt combines them.
package match

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// IPSet is a set of IPv4/IPv6 addresses and prefixes, built once, then
// queried concurrently. Each entry carries a caller-chosen label (usually the
// indicator as written), returned on a hit.
type IPSet struct {
	v4      *u32map
	v4nets  []v4net // one per distinct prefix length, longest first
	v6      map[[16]byte]int32
	v6nets  []v6net
	labels  []string
	entries int
}

type v4net struct {
	bits int
	mask uint32
	m    *u32map
}

type v6net struct {
	bits int
	m    map[[16]byte]int32
}

// NewIPSet returns an empty set.
func NewIPSet() *IPSet {
	return &IPSet{v4: newU32map(), v6: map[[16]byte]int32{}}
}

// Add puts an address ("192.0.2.1", "2001:db8::1") or prefix ("192.0.2.0/24")
// into the set under label. IPv4-mapped IPv6 addresses count as IPv4.
func (s *IPSet) Add(value, label string) error {
	id := int32(len(s.labels))
	// A failed ParsePrefix allocates its error: try it only on prefixes.
	if strings.Contains(value, "/") {
		if p, err := netip.ParsePrefix(value); err == nil {
			return s.addPrefix(p, label)
		}
	}
	a, err := netip.ParseAddr(value)
	if err != nil {
		return fmt.Errorf("%q is not an IP address or prefix", value)
	}
	if a.Zone() != "" {
		return fmt.Errorf("%q carries a zone", value)
	}
	a = a.Unmap()
	s.labels = append(s.labels, label)
	s.entries++
	if a.Is4() {
		s.v4.put(v4key(a), id)
	} else {
		s.v6[a.As16()] = id
	}
	return nil
}

// addPrefix adds prefix p (not yet masked) under label.
func (s *IPSet) addPrefix(p netip.Prefix, label string) error {
	id := int32(len(s.labels))
	p = p.Masked()
	a := p.Addr()
	if a.Is4In6() {
		a = a.Unmap()
		p = netip.PrefixFrom(a, p.Bits()-96)
	}
	s.labels = append(s.labels, label)
	s.entries++
	if a.Is4() {
		if p.Bits() == 32 {
			s.v4.put(v4key(a), id)
			return nil
		}
		s.v4net(p.Bits()).m.put(v4key(a), id)
		return nil
	}
	if p.Bits() == 128 {
		s.v6[a.As16()] = id
		return nil
	}
	s.v6net(p.Bits()).m[a.As16()] = id
	return nil
}

func v4key(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func (s *IPSet) v4net(bits int) *v4net {
	for i := range s.v4nets {
		if s.v4nets[i].bits == bits {
			return &s.v4nets[i]
		}
	}
	var mask uint32
	if bits > 0 {
		mask = ^uint32(0) << (32 - bits)
	}
	s.v4nets = append(s.v4nets, v4net{bits: bits, mask: mask, m: newU32map()})
	slices.SortFunc(s.v4nets, func(a, b v4net) int { return b.bits - a.bits })
	return s.v4net(bits)
}

func (s *IPSet) v6net(bits int) *v6net {
	for i := range s.v6nets {
		if s.v6nets[i].bits == bits {
			return &s.v6nets[i]
		}
	}
	s.v6nets = append(s.v6nets, v6net{bits: bits, m: map[[16]byte]int32{}})
	slices.SortFunc(s.v6nets, func(a, b v6net) int { return b.bits - a.bits })
	return s.v6net(bits)
}

// Len returns the number of entries added.
func (s *IPSet) Len() int { return s.entries }

// Lookup reports whether the address written in b (text, as in a log line)
// is in the set, and the label of the most specific entry that holds it.
// IPv4 is parsed without allocating; text that is no address is not in the set.
func (s *IPSet) Lookup(b []byte) (string, bool) {
	if v, ok := parseIPv4(b); ok {
		return s.lookup4(v)
	}
	if len(b) < 2 || len(b) > 64 {
		return "", false
	}
	if b[0] == '[' { // [2001:db8::1] as some logs write it
		if b[len(b)-1] != ']' {
			return "", false
		}
		b = b[1 : len(b)-1]
	}
	if !looksIPv6(b) {
		return "", false
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return s.LookupAddr(a)
}

// LookupAddr is Lookup for a parsed address.
func (s *IPSet) LookupAddr(a netip.Addr) (string, bool) {
	a = a.Unmap()
	if a.Is4() {
		return s.lookup4(v4key(a))
	}
	if id, ok := s.v6[a.As16()]; ok {
		return s.labels[id], true
	}
	for _, n := range s.v6nets {
		p, _ := a.Prefix(n.bits)
		if id, ok := n.m[p.Addr().As16()]; ok {
			return s.labels[id], true
		}
	}
	return "", false
}

func (s *IPSet) lookup4(v uint32) (string, bool) {
	if id, ok := s.v4.get(v); ok {
		return s.labels[id], true
	}
	for _, n := range s.v4nets {
		if id, ok := n.m.get(v & n.mask); ok {
			return s.labels[id], true
		}
	}
	return "", false
}

// parseIPv4 parses dotted-quad text strictly: four decimal parts of 0-255
// without leading zeros, nothing else.
func parseIPv4(b []byte) (uint32, bool) {
	if len(b) < 7 || len(b) > 15 {
		return 0, false
	}
	var v uint32
	part, digits, dots := uint32(0), 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && part == 0 {
				return 0, false // leading zero
			}
			part = part*10 + uint32(c-'0')
			digits++
			if part > 255 {
				return 0, false
			}
		case c == '.':
			if digits == 0 || dots == 3 {
				return 0, false
			}
			v = v<<8 | part
			part, digits = 0, 0
			dots++
		default:
			return 0, false
		}
	}
	if dots != 3 || digits == 0 {
		return 0, false
	}
	return v<<8 | part, true
}

func looksIPv6(b []byte) bool {
	colon := false
	for _, c := range b {
		switch {
		case c == ':':
			colon = true
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.':
		default:
			return false
		}
	}
	return colon
}
