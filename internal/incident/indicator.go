package incident

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// NormalizeIndicator checks that value is a well-formed indicator of type t
// and returns its canonical form: addresses and prefixes in their standard
// notation, domains and hashes in lower case.
func NormalizeIndicator(t IndicatorType, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", fmt.Errorf("is empty")
	}
	switch t {
	case IndIPv4, IndIPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", fmt.Errorf("%q is not an IP address", v)
		}
		if t == IndIPv4 && !a.Is4() {
			return "", fmt.Errorf("%q is not an IPv4 address", v)
		}
		if a.Zone() != "" {
			return "", fmt.Errorf("%q carries a zone, which is local to one host", v)
		}
		if t == IndIPv6 && (!a.Is6() || a.Is4In6()) {
			return "", fmt.Errorf("%q is not an IPv6 address", v)
		}
		var buf [64]byte
		return canonical(v, a.AppendTo(buf[:0])), nil
	case IndCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return "", fmt.Errorf("%q is not a CIDR prefix", v)
		}
		var buf [64]byte
		return canonical(v, p.Masked().AppendTo(buf[:0])), nil
	case IndDomain:
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				return "", fmt.Errorf("%q is not an ASCII domain name (write internationalised names in punycode)", v)
			}
		}
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if len(d) > 253 || !strings.Contains(d, ".") {
			return "", fmt.Errorf("%q is not a domain name", v)
		}
		for rest := d; ; {
			label, after, more := strings.Cut(rest, ".")
			if label == "" || len(label) > 63 {
				return "", fmt.Errorf("%q is not a domain name", v)
			}
			for _, r := range label {
				if !(r == '-' || r == '_' || r == '*' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
					return "", fmt.Errorf("%q is not a domain name", v)
				}
			}
			if !more {
				break
			}
			rest = after
		}
		return d, nil
	case IndURL:
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%q is not an absolute URL", v)
		}
		return v, nil
	case IndURLPath:
		if !strings.HasPrefix(v, "/") {
			return "", fmt.Errorf("%q is not a URL path (it must start with /)", v)
		}
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("contains a line break")
		}
		return v, nil
	case IndSHA256, IndSHA1, IndMD5:
		want := map[IndicatorType]int{IndSHA256: 64, IndSHA1: 40, IndMD5: 32}[t]
		h := strings.ToLower(v)
		if _, err := hex.DecodeString(h); err != nil || len(h) != want {
			return "", fmt.Errorf("%q is not a %s hash (%d hex digits)", v, t, want)
		}
		return h, nil
	case IndEmail:
		at := strings.LastIndexByte(v, '@')
		if at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " \t\r\n<>") {
			return "", fmt.Errorf("%q is not an e-mail address", v)
		}
		return v[:at] + "@" + strings.ToLower(v[at+1:]), nil
	case IndFileName, IndUserAgent:
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("contains a line break")
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown indicator type %q", t)
}

// canonical returns v when it is already written as want, else want: lists
// of 100k addresses are mostly canonical, and need no copy each.
func canonical(v string, want []byte) string {
	if v == string(want) {
		return v
	}
	return string(want)
}
