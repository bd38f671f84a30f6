package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// MailOptions configure a Mailer.
type MailOptions struct {
	// Relay is the SMTP server as host:port.
	Relay string
	// Username and Password, when set, authenticate with AUTH PLAIN, which
	// is only ever sent over TLS.
	Username string
	Password string
	// From is the sender's address; FromName its display name.
	From     string
	FromName string
	// Hello is the name given in EHLO; default: the From address's domain.
	Hello string
	// ImplicitTLS connects with TLS from the start (SMTPS, port 465).
	// Otherwise STARTTLS is used whenever the relay offers it.
	ImplicitTLS bool
	// RequireTLS refuses to send over a connection that is not encrypted.
	RequireTLS bool
	// TLSConfig overrides the TLS settings (tests trust a test certificate
	// this way). ServerName defaults to the relay's host.
	TLSConfig *tls.Config
	// Timeout bounds one whole SMTP conversation (default 30 s).
	Timeout time.Duration
}

// Mailer sends mail through one SMTP relay.
type Mailer struct {
	opt    MailOptions
	host   string
	domain string // of From, for Message-IDs
}

// NewMailer checks the options and returns a Mailer.
func NewMailer(opt MailOptions) (*Mailer, error) {
	host, _, err := net.SplitHostPort(opt.Relay)
	if err != nil || host == "" {
		return nil, fmt.Errorf("smtp relay %q: want host:port", opt.Relay)
	}
	from, err := incident.NormalizeEmail(opt.From)
	if err != nil {
		return nil, fmt.Errorf("smtp from address %q: %w", opt.From, err)
	}
	opt.From = from
	if strings.ContainsAny(opt.FromName, "\r\n") {
		return nil, errors.New("smtp from name: must be one line")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	if opt.Hello == "" {
		opt.Hello = domain
	}
	if strings.ContainsAny(opt.Hello, " \r\n") {
		return nil, errors.New("smtp hello name: must be one word")
	}
	return &Mailer{opt: opt, host: host, domain: domain}, nil
}

// Message is one e-mail to one recipient.
type Message struct {
	To        string
	Subject   string
	Body      string // plain text, UTF-8
	MessageID string // without angle brackets; the same on every retry
	Date      time.Time
	// Headers are extra header fields, such as List-Unsubscribe.
	Headers [][2]string
}

// PermanentError marks a failure that retrying cannot fix, such as an SMTP
// 5xx reply or an HTTP 410.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err says that retrying is pointless.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// smtpErr classifies an SMTP error: 5xx replies are permanent.
func smtpErr(step string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 && tp.Code < 600 {
		return &PermanentError{fmt.Errorf("smtp %s: %w", step, err)}
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

func (m *Mailer) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.opt.TLSConfig != nil {
		c = m.opt.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.host
	}
	return c
}

// Send delivers msg. Cancelling ctx aborts the conversation: a message is
// either accepted by the relay (nil) or not.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	to, err := incident.NormalizeEmail(msg.To)
	if err != nil {
		return &PermanentError{fmt.Errorf("recipient: %w", err)}
	}
	data, err := m.Build(msg)
	if err != nil {
		return &PermanentError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, m.opt.Timeout)
	defer cancel()
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", m.opt.Relay)
	if err != nil {
		return fmt.Errorf("smtp connect to %s: %w", m.opt.Relay, err)
	}
	// Closing the connection is how a cancelled ctx interrupts net/smtp,
	// but only until the message's final dot is sent: from then on the
	// relay may accept it, and hanging up before its reply would turn a
	// delivery into a duplicate. That last wait is bounded by the timeout.
	g := &hangup{conn: conn}
	stop := context.AfterFunc(ctx, g.cancel)
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	err = m.converse(conn, g, to, data)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("smtp to %s: %w (%w)", m.opt.Relay, ctx.Err(), err)
	}
	return err
}

// hangup closes a connection on cancellation unless the message is being
// committed.
type hangup struct {
	mu         sync.Mutex
	conn       net.Conn
	closed     bool
	committing bool
}

func (g *hangup) cancel() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.committing {
		g.closed = true
		g.conn.Close()
	}
}

// commit reports whether the conversation may go on to the final dot.
func (g *hangup) commit() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.committing = !g.closed
	return g.committing
}

func (m *Mailer) converse(conn net.Conn, g *hangup, to string, data []byte) error {
	encrypted := false
	if m.opt.ImplicitTLS {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return fmt.Errorf("smtp tls handshake: %w", err)
		}
		conn, encrypted = tc, true
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return smtpErr("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(m.opt.Hello); err != nil {
		return smtpErr("ehlo", err)
	}
	if !encrypted {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return smtpErr("starttls", err)
			}
			encrypted = true
		}
	}
	if !encrypted && (m.opt.RequireTLS || m.opt.Username != "") {
		// Not permanent: the relay may offer STARTTLS again later.
		return errors.New("smtp: the relay offers no STARTTLS and TLS is required (RequireTLS, or AUTH, which is never sent in clear)")
	}
	if m.opt.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtp: a username is configured but the relay offers no AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", m.opt.Username, m.opt.Password, m.host)); err != nil {
			return smtpErr("auth", err)
		}
	}
	if err := c.Mail(m.opt.From); err != nil {
		return smtpErr("mail from", err)
	}
	if err := c.Rcpt(to); err != nil {
		return smtpErr("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("data", err)
	}
	if _, err := w.Write(data); err != nil {
		return smtpErr("data", err)
	}
	if !g.commit() {
		return errors.New("smtp: interrupted before the end of the message")
	}
	if err := w.Close(); err != nil { // sends the final dot and reads the reply
		return smtpErr("data", err)
	}
	// The relay has the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// Build renders msg as an RFC 5322 message with CRLF line ends: UTF-8
// plain text, quoted-printable.
func (m *Mailer) Build(msg Message) ([]byte, error) {
	if msg.MessageID == "" || strings.ContainsAny(msg.MessageID, "<> \r\n") {
		return nil, fmt.Errorf("message id %q: want a non-empty id without brackets or spaces", msg.MessageID)
	}
	to, err := incident.NormalizeEmail(msg.To)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	var b bytes.Buffer
	h := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	from := mail.Address{Name: m.opt.FromName, Address: m.opt.From}
	h("From", from.String())
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject, 200)))
	h("Date", msg.Date.UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+msg.MessageID+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	for _, kv := range msg.Headers {
		if strings.ContainsAny(kv[0], ": \r\n") || strings.ContainsAny(kv[1], "\r\n") {
			return nil, fmt.Errorf("header %q: name or value breaks the header block", kv[0])
		}
		h(kv[0], kv[1])
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(msg.Body, "\r\n", "\n")
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// MessageID returns the Message-ID of a delivery: the same for every try,
// so that receivers can drop a repeat.
func (m *Mailer) MessageID(d incident.Delivery) string {
	return fmt.Sprintf("firebreak.%d.%d@%s", d.ID, d.CreatedAt.UnixNano(), m.domain)
}

// oneLine replaces control characters with spaces and cuts s to max bytes
// on a rune boundary.
func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
