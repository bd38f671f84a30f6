package clientip

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	trusted, err := Parse("10.0.0.0/8, 192.0.2.7, ::1")
	if err != nil {
		t.Fatal(err)
	}
	res := New(trusted)
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.9:4711", nil, "203.0.113.9"},
		{"untrusted peer's header is ignored", "203.0.113.9:4711", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer, one hop", "192.0.2.7:4711", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a forged entry left of the real one is ignored", "192.0.2.7:4711", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.1.1.1:80", []string{"198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"header lines joined", "10.1.1.1:80", []string{"198.51.100.1", "10.2.2.2"}, "198.51.100.1"},
		{"trusted peer without header", "192.0.2.7:4711", nil, "192.0.2.7"},
		{"garbage from a trusted hop", "192.0.2.7:4711", []string{"198.51.100.1, not-an-ip"}, "192.0.2.7"},
		{"IPv6 client through loopback", "[::1]:8080", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"only proxies", "10.1.1.1:80", []string{"10.2.2.2"}, "10.1.1.1"},
		{"a port on the client entry", "10.1.1.1:80", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"bracketed IPv6 with a port", "10.1.1.1:80", []string{"[2001:db8::5]:443"}, "2001:db8::5"},
		{"bracketed IPv6", "10.1.1.1:80", []string{"[2001:db8::5]"}, "2001:db8::5"},
		{"a trailing comma", "10.1.1.1:80", []string{"198.51.100.1,"}, "198.51.100.1"},
		{"an empty header line", "10.1.1.1:80", []string{"", "198.51.100.1"}, "198.51.100.1"},
		{"garbage left of the proxy's entry", "10.1.1.1:80", []string{"garbage, 198.51.100.1"}, "198.51.100.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := res.Of(r); got != tc.want {
			t.Errorf("%s: Of(peer %s, XFF %q) = %s, want %s", tc.name, tc.peer, tc.xff, got, tc.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.1.1:80"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := New(nil).Of(r); got != "10.1.1.1" {
		t.Errorf("no trusted proxies: Of = %s, want the peer", got)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "fe80::1%eth0", "10.0.0.1/8/2"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = nil error", bad)
		}
	}
	got, err := Parse(" 10.1.2.3/8 ,,2001:db8::1, ::ffff:10.0.0.0/104 ")
	if err != nil || len(got) != 3 || got[0].String() != "10.0.0.0/8" || got[1].String() != "2001:db8::1/128" || got[2].String() != "10.0.0.0/8" {
		t.Errorf("Parse = %v, %v", got, err)
	}
}

// FuzzOf: any trusted list, peer and header give the peer or a parsed
// address, never a panic.
func FuzzOf(f *testing.F) {
	f.Add("10.0.0.0/8", "10.1.1.1:80", "198.51.100.1, 10.2.2.2")
	f.Add("::1", "[::1]:1", "x, , 2001:db8::1")
	f.Fuzz(func(t *testing.T, list, peer, xff string) {
		trusted, err := Parse(list)
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		got := New(trusted).Of(r)
		host := peer
		if h, _, err := net.SplitHostPort(peer); err == nil {
			host = h
		}
		if _, err := netip.ParseAddr(got); got != host && err != nil {
			t.Fatalf("Of(peer %q, XFF %q) = %q: neither the peer nor an address", peer, xff, got)
		}
	})
}
