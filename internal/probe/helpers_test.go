package probe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Firebreak test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pool: pool}
}

// leaf issues a server certificate for 127.0.0.1 that expires at notAfter.
func (ca *testCA) leaf(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// dnsKey names one RRset of the test DNS server.
type dnsKey struct {
	name string // lower case, fully qualified
	typ  dnsmessage.Type
}

// startDNS serves records over UDP on 127.0.0.1 until the test ends and
// returns its address. Names it holds no record for are NXDOMAIN; an A or
// AAAA question for a name with a CNAME is answered with the CNAME and the
// target's records, as a recursive server does.
func startDNS(t *testing.T, records map[dnsKey][]dnsmessage.ResourceBody) (addr string, queries func() int) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	known := map[string]bool{}
	for k := range records {
		known[k.name] = true
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			size, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:size])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			mu.Lock()
			n++
			mu.Unlock()
			resp := dnsmessage.Message{
				Header:    dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true},
				Questions: []dnsmessage.Question{q},
			}
			name := strings.ToLower(q.Name.String())
			if !known[name] {
				resp.Header.RCode = dnsmessage.RCodeNameError
			}
			owner := q.Name
			if q.Type != dnsmessage.TypeCNAME {
				if cn := records[dnsKey{name, dnsmessage.TypeCNAME}]; len(cn) > 0 {
					resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60}, Body: cn[0]})
					owner = cn[0].(*dnsmessage.CNAMEResource).CNAME
					name = strings.ToLower(owner.String())
				}
			}
			for _, b := range records[dnsKey{name, q.Type}] {
				resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60}, Body: b})
			}
			out, err := resp.Pack()
			if err != nil {
				t.Errorf("test DNS server: pack: %v", err)
				continue
			}
			_, _ = pc.WriteTo(out, from)
		}
	}()
	return pc.LocalAddr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func mustName(s string) dnsmessage.Name { return dnsmessage.MustNewName(s) }
