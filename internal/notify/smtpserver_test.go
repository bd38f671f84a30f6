package notify_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message an SMTP test server accepted.
type received struct {
	From, To  string
	Raw       []byte
	Header    mail.Header
	Body      string // decoded from quoted-printable
	TLS       bool   // the session was encrypted when DATA came
	AuthUser  string
	MessageID string
}

// smtpServer is a real SMTP server (emersion/go-smtp) on a loopback port,
// recording what it accepts.
type smtpServer struct {
	Addr string
	srv  *smtp.Server

	mu       sync.Mutex
	msgs     []received
	rcpts    int
	holdAt   int           // hold the holdAt-th RCPT (1-based) until released; 0: never
	holdData bool          // hold every DATA after reading it, before answering, until released
	rcptErr  error         // the answer to every RCPT TO, when set
	held     chan struct{} // closed when the hold begins
	release  chan struct{} // close to let the held RCPT answer
	users    map[string]string
	sessions int
}

type smtpOptions struct {
	tls   *tls.Config       // offer STARTTLS with this
	users map[string]string // accept AUTH PLAIN with these
}

func newSMTPServer(t *testing.T, o smtpOptions) *smtpServer {
	t.Helper()
	s := &smtpServer{users: o.users, held: make(chan struct{}), release: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &smtpSession{s: s, c: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that vanish mid-way are part of the tests
	srv.TLSConfig = o.tls
	srv.AllowInsecureAuth = false
	srv.MaxMessageBytes = 1 << 20
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s.Addr, s.srv = ln.Addr().String(), srv
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		s.mu.Lock()
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		s.mu.Unlock()
		srv.Close()
	})
	return s
}

// hold makes the n-th RCPT TO wait until releaseHold.
func (s *smtpServer) hold(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdAt = n
}

// refuseRcpt makes every RCPT TO answer err (nil: accept again).
func (s *smtpServer) refuseRcpt(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptErr = err
}

// holdEnd makes DATA wait, after the whole message has arrived and before
// the server answers, until releaseHold.
func (s *smtpServer) holdEnd() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdData = true
}

func (s *smtpServer) releaseHold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.release)
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type smtpSession struct {
	s        *smtpServer
	c        *smtp.Conn
	from, to string
	user     string
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", "" }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if pw, ok := ss.s.users[username]; !ok || pw != password {
			return errors.New("invalid credentials")
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	ss.s.rcpts++
	hold := ss.s.holdAt != 0 && ss.s.rcpts == ss.s.holdAt
	ss.s.mu.Unlock()
	if hold {
		close(ss.s.held)
		<-ss.s.release
	}
	ss.s.mu.Lock()
	rerr := ss.s.rcptErr
	ss.s.mu.Unlock()
	if rerr != nil {
		return rerr
	}
	ss.to = to
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparseable message: " + err.Error()}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "bad quoted-printable: " + err.Error()}
	}
	_, encrypted := ss.c.TLSConnectionState()
	ss.s.mu.Lock()
	hold := ss.s.holdData
	ss.s.mu.Unlock()
	if hold {
		close(ss.s.held)
		<-ss.s.release
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.msgs = append(ss.s.msgs, received{From: ss.from, To: ss.to, Raw: raw, Header: m.Header, Body: string(body),
		TLS: encrypted, AuthUser: ss.user, MessageID: m.Header.Get("Message-ID")})
	return nil
}

// selfSigned returns a server certificate for 127.0.0.1 and a client
// config that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"mx.test"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
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
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// firstLine returns the first line of s that starts with prefix.
func firstLine(s, prefix string) string {
	sc := bufio.NewScanner(bytes.NewReader([]byte(s)))
	for sc.Scan() {
		if l := sc.Text(); len(l) >= len(prefix) && l[:len(prefix)] == prefix {
			return l
		}
	}
	return ""
}
