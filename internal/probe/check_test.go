package probe

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// check builds a checker for p and runs it once.
func check(t *testing.T, p Probe) Result {
	t.Helper()
	c, err := NewChecker(p)
	if err != nil {
		t.Fatalf("NewChecker(%+v) = %v", p, err)
	}
	return c.Check(t.Context())
}

func wantResult(t *testing.T, r Result, outcome Outcome, detail string) {
	t.Helper()
	if r.Outcome != outcome || !strings.Contains(r.Detail, detail) {
		t.Errorf("Check() = %s %q, want %s and a detail containing %q", r.Outcome, r.Detail, outcome, detail)
	}
	if r.At.IsZero() || r.Latency <= 0 {
		t.Errorf("Check() At = %v, Latency = %v, want both set", r.At, r.Latency)
	}
}

func httpProbe(target string) Probe {
	return Probe{Name: "web", Type: TypeHTTP, Target: target, Interval: 5 * time.Second, Timeout: 2 * time.Second,
		Thresholds: Thresholds{Failures: 1, Successes: 1},
		HTTP:       HTTPOptions{FollowRedirects: true, CertExpiryDays: DefaultCertExpiryDays}}
}

func testSite() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<h1>Welcome</h1> Sign in") })
	mux.HandleFunc("/503", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	return mux
}

func TestCheckHTTP(t *testing.T) {
	srv := httptest.NewServer(testSite())
	defer srv.Close()
	closed := closedPort(t)
	tests := []struct {
		name    string
		path    string
		edit    func(p *Probe)
		outcome Outcome
		detail  string
	}{
		{"ok", "/ok", nil, OutcomeOK, "HTTP 200 in "},
		{"server error", "/503", nil, OutcomeFailed, "HTTP 503"},
		{"expected status", "/503", func(p *Probe) { p.HTTP.ExpectStatus = []int{503} }, OutcomeOK, "HTTP 503 in "},
		{"unexpected 200", "/ok", func(p *Probe) { p.HTTP.ExpectStatus = []int{204} }, OutcomeFailed, "HTTP 200"},
		{"body contains", "/ok", func(p *Probe) { p.HTTP.BodyContains = "Sign in" }, OutcomeOK, "HTTP 200"},
		{"body lacks", "/ok", func(p *Probe) { p.HTTP.BodyContains = "Dashboard" }, OutcomeFailed, `the body lacks "Dashboard"`},
		{"redirect followed", "/redirect", func(p *Probe) { p.HTTP.BodyContains = "Welcome" }, OutcomeOK, "HTTP 200"},
		{"redirect not followed", "/redirect", func(p *Probe) { p.HTTP.FollowRedirects = false }, OutcomeFailed, "HTTP 302"},
		{"redirect expected", "/redirect", func(p *Probe) { p.HTTP.FollowRedirects = false; p.HTTP.ExpectStatus = []int{302} }, OutcomeOK, "HTTP 302"},
		{"redirect loop", "/loop", nil, OutcomeFailed, "stopped after 10 redirects"},
		{"slow", "/slow", func(p *Probe) { p.Thresholds.Latency = 50 * time.Millisecond }, OutcomeDegraded, "slow: "},
		{"fast enough", "/slow", func(p *Probe) { p.Thresholds.Latency = 2 * time.Second }, OutcomeOK, "HTTP 200"},
		{"timeout", "/hang", func(p *Probe) { p.Timeout = 100 * time.Millisecond }, OutcomeFailed, "no answer within 100ms"},
		{"refused", "", func(p *Probe) { p.Target = "http://" + closed + "/" }, OutcomeFailed, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := httpProbe(srv.URL + tc.path)
			if tc.edit != nil {
				tc.edit(&p)
			}
			r := check(t, p)
			wantResult(t, r, tc.outcome, tc.detail)
			if !r.CertExpiry.IsZero() {
				t.Errorf("Check(plain HTTP).CertExpiry = %v, want zero", r.CertExpiry)
			}
		})
	}
}

func TestCheckHTTPS(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	soon := now.Add(3*24*time.Hour + time.Hour)
	later := now.Add(90 * 24 * time.Hour)
	past := now.Add(-time.Hour)
	serve := func(notAfter time.Time) *httptest.Server {
		srv := httptest.NewUnstartedServer(testSite())
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, notAfter)}}
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	expiresSoon, valid, expired := serve(soon), serve(later), serve(past)
	tests := []struct {
		name    string
		srv     *httptest.Server
		edit    func(p *Probe)
		outcome Outcome
		detail  string
		expiry  time.Time
	}{
		{"valid", valid, nil, OutcomeOK, "HTTP 200", later},
		{"expires soon", expiresSoon, nil, OutcomeDegraded, "certificate expires in 3 days (" + soon.UTC().Format(time.DateOnly) + ")", soon},
		{"expires soon, warning off", expiresSoon, func(p *Probe) { p.HTTP.CertExpiryDays = 0 }, OutcomeOK, "HTTP 200", soon},
		{"expires soon, warning 2 days", expiresSoon, func(p *Probe) { p.HTTP.CertExpiryDays = 2 }, OutcomeOK, "HTTP 200", soon},
		{"untrusted", valid, func(p *Probe) { p.HTTP.RootCAs = nil }, OutcomeFailed, "TLS: x509: certificate signed by unknown authority", time.Time{}},
		{"untrusted, verification off", expiresSoon, func(p *Probe) { p.HTTP.RootCAs, p.HTTP.InsecureSkipVerify = nil, true }, OutcomeDegraded, "certificate expires in 3 days", soon},
		{"expired", expired, nil, OutcomeFailed, "TLS: x509: certificate has expired", time.Time{}},
		{"expired, verification off", expired, func(p *Probe) { p.HTTP.InsecureSkipVerify = true }, OutcomeFailed, "certificate expired on " + past.UTC().Format(time.DateOnly), past},
		{"server error wins over expiry", expiresSoon, func(p *Probe) { p.Target = strings.TrimSuffix(p.Target, "/ok") + "/503" }, OutcomeFailed, "HTTP 503", soon},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := httpProbe(tc.srv.URL + "/ok")
			p.HTTP.RootCAs = ca.pool
			if tc.edit != nil {
				tc.edit(&p)
			}
			r := check(t, p)
			wantResult(t, r, tc.outcome, tc.detail)
			if !r.CertExpiry.Equal(tc.expiry.Truncate(time.Second)) {
				t.Errorf("Check().CertExpiry = %v, want %v", r.CertExpiry, tc.expiry.Truncate(time.Second))
			}
		})
	}
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestCheckTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tests := []struct {
		name, target string
		outcome      Outcome
		detail       string
	}{
		{"open", ln.Addr().String(), OutcomeOK, "connected in "},
		{"closed", closedPort(t), OutcomeFailed, "connection refused"},
		{"unresolvable", "no-such-host.invalid:443", OutcomeFailed, ""}, // NXDOMAIN, or a timeout without DNS
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Probe{Name: "tcp", Type: TypeTCP, Target: tc.target, Interval: time.Second, Timeout: 2 * time.Second}
			wantResult(t, check(t, p), tc.outcome, tc.detail)
		})
	}
}

func TestCheckDNS(t *testing.T) {
	addr, queries := startDNS(t, map[dnsKey][]dnsmessage.ResourceBody{
		{"portal.example.test.", dnsmessage.TypeA}:    {&dnsmessage.AResource{A: [4]byte{203, 0, 113, 10}}, &dnsmessage.AResource{A: [4]byte{203, 0, 113, 11}}},
		{"portal.example.test.", dnsmessage.TypeAAAA}: {&dnsmessage.AAAAResource{AAAA: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}}},
		{"www.example.test.", dnsmessage.TypeCNAME}:   {&dnsmessage.CNAMEResource{CNAME: mustName("portal.example.test.")}},
		{"example.test.", dnsmessage.TypeTXT}:         {&dnsmessage.TXTResource{TXT: []string{"v=spf1 -all"}}, &dnsmessage.TXTResource{TXT: []string{"verify=abc"}}},
		{"example.test.", dnsmessage.TypeMX}:          {&dnsmessage.MXResource{Pref: 10, MX: mustName("mx1.example.test.")}},
		{"empty.example.test.", dnsmessage.TypeTXT}:   {&dnsmessage.TXTResource{TXT: []string{"x"}}},
	})
	tests := []struct {
		name, target, record string
		expect               []string
		outcome              Outcome
		detail               string
	}{
		{"A resolves", "portal.example.test", "A", nil, OutcomeOK, "A 203.0.113.10, 203.0.113.11 in "},
		{"A expected", "portal.example.test", "A", []string{"203.0.113.11"}, OutcomeOK, "203.0.113.11"},
		{"A unexpected", "portal.example.test", "A", []string{"198.51.100.7"}, OutcomeFailed, "answered 203.0.113.10, 203.0.113.11, without the expected 198.51.100.7"},
		{"A through CNAME", "www.example.test.", "A", []string{"203.0.113.10"}, OutcomeOK, "203.0.113.10"},
		{"AAAA expected", "portal.example.test", "AAAA", []string{"2001:db8::1"}, OutcomeOK, "AAAA 2001:db8::1"},
		{"NXDOMAIN", "gone.example.test", "A", nil, OutcomeFailed, "A gone.example.test: no such name"},
		{"no record of the type", "empty.example.test", "A", nil, OutcomeFailed, "empty.example.test: no such name or no A record"},
		{"CNAME expected", "www.example.test", "CNAME", []string{"PORTAL.example.test"}, OutcomeOK, "CNAME portal.example.test"},
		{"CNAME unexpected", "www.example.test", "CNAME", []string{"lb.example.test"}, OutcomeFailed, "without the expected lb.example.test"},
		{"TXT expected", "example.test", "TXT", []string{"verify=abc"}, OutcomeOK, "verify=abc"},
		{"TXT missing", "example.test", "TXT", []string{"verify=xyz"}, OutcomeFailed, "without the expected verify=xyz"},
		{"MX expected", "example.test", "MX", []string{"mx1.example.test"}, OutcomeOK, "MX mx1.example.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Probe{Name: "dns", Type: TypeDNS, Target: tc.target, Interval: time.Second, Timeout: 2 * time.Second,
				DNS: DNSOptions{Record: tc.record, Expect: tc.expect, Server: addr}}
			wantResult(t, check(t, p), tc.outcome, tc.detail)
		})
	}
	if queries() == 0 {
		t.Errorf("the test DNS server saw no query: the probes asked someone else")
	}
	t.Run("server down", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := pc.LocalAddr().String()
		pc.Close()
		p := Probe{Name: "dns", Type: TypeDNS, Target: "portal.example.test", Interval: time.Second, Timeout: 500 * time.Millisecond,
			DNS: DNSOptions{Record: "A", Server: dead}}
		r := check(t, p)
		if r.Outcome != OutcomeFailed {
			t.Errorf("Check(dead server) = %s %q, want failed", r.Outcome, r.Detail)
		}
	})
}
