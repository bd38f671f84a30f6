package sigma

import (
	"net/netip"
	"strconv"
	"unsafe"
)

// These parse event field values for the cidr and numeric modifiers without
// allocating: the bytes are checked first, so the standard parsers only see
// well-formed input (their error paths allocate), and are handed a string
// header over the bytes that they do not retain.

// parseAddr parses an IPv4 or IPv6 address (no zone), unmapping IPv4-mapped
// IPv6 addresses so that IPv4 prefixes contain them.
func parseAddr(v []byte) (netip.Addr, bool) {
	if len(v) >= 2 && v[0] == '[' && v[len(v)-1] == ']' {
		v = v[1 : len(v)-1]
	}
	if len(v) < 2 || len(v) > 45 {
		return netip.Addr{}, false
	}
	dots, colons := 0, 0
	for _, c := range v {
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return netip.Addr{}, false
		}
	}
	if colons == 0 && dots != 3 || colons == 1 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(unsafe.String(&v[0], len(v)))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseNumber parses a decimal number: an optional sign, digits with an
// optional fraction, and an optional exponent.
func parseNumber(v []byte) (float64, bool) {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	digits := 0
	var n int64
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		if digits < 18 {
			n = n*10 + int64(v[i]-'0')
		}
		digits++
		i++
	}
	if i == len(v) && digits > 0 && digits < 18 {
		if v[0] == '-' {
			return float64(-n), true
		}
		return float64(n), true
	}
	if i < len(v) && v[i] == '.' {
		i++
		for i < len(v) && '0' <= v[i] && v[i] <= '9' {
			digits++
			i++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		exp := 0
		for i < len(v) && '0' <= v[i] && v[i] <= '9' {
			exp++
			i++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(v) {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&v[0], len(v)), 64)
	return f, err == nil
}
