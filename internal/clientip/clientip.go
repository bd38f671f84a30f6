// Package clientip says which address a request came from: the
// connection's peer, or, when that peer is a proxy the operator trusts, the
// address the proxies recorded in X-Forwarded-For. Rate limits per client
// (sign-in, status page sign-ups) key on it; behind a reverse proxy without
// it, every client would share the proxy's limit.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes X-Forwarded-For only from peers in
// trusted (none: never).
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: trusted}
}

// Parse reads a comma-separated list of addresses and CIDR prefixes
// ("10.0.0.0/8, 192.0.2.7"), naming the first bad entry.
func Parse(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96) // ::ffff:10.0.0.0/104 is 10.0.0.0/8
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Of returns the client address of r. From a trusted peer it walks
// X-Forwarded-For from the right (the entries the trusted proxies added)
// and returns the first address that is not a trusted proxy; anything a
// client wrote further left is ignored, as it could be forged. With no
// usable entry, or from any other peer, it is the peer itself. List only
// proxies as trusted: a client inside a trusted range could write the
// header itself.
func (res *Resolver) Of(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	if res == nil || len(res.trusted) == 0 {
		return peer
	}
	a, err := netip.ParseAddr(peer)
	if err != nil || !res.trusts(a) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue // an empty header line or a stray comma
		}
		h, ok := hopAddr(hop)
		if !ok {
			return peer // a trusted proxy would not write this: do not guess
		}
		if !res.trusts(h) {
			return h.String()
		}
	}
	return peer
}

// hopAddr reads one X-Forwarded-For entry: an address, an IPv4 address
// with a port, or a bracketed IPv6 address with or without a port (some
// proxies add the client's port).
func hopAddr(hop string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(hop); err == nil {
		return a.Unmap(), a.Zone() == ""
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), ap.Addr().Zone() == ""
	}
	if strings.HasPrefix(hop, "[") && strings.HasSuffix(hop, "]") {
		if a, err := netip.ParseAddr(hop[1 : len(hop)-1]); err == nil && a.Is6() {
			return a.Unmap(), a.Zone() == ""
		}
	}
	return netip.Addr{}, false
}

func (res *Resolver) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range res.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
