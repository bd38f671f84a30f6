package notify_test

import (
	"context"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/notify"
)

func testMessage(id string) notify.Message {
	return notify.Message{To: "ann@example.com", Subject: "Portal — degraded", Body: "Line one.\n.starts with a dot\nÜnïcödé line " + strings.Repeat("x", 100),
		MessageID: id, Date: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)}
}

// TestMailerTLS holds an SMTP conversation with a real server that does or
// does not offer STARTTLS, with and without RequireTLS and AUTH.
func TestMailerTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	tests := []struct {
		name       string
		offerTLS   bool
		requireTLS bool
		user       string
		wantErr    string
		wantTLS    bool
	}{
		{name: "STARTTLS used when offered", offerTLS: true, wantTLS: true},
		{name: "STARTTLS required and offered", offerTLS: true, requireTLS: true, wantTLS: true},
		{name: "plain when not offered", offerTLS: false, wantTLS: false},
		{name: "required but not offered", offerTLS: false, requireTLS: true, wantErr: "offers no STARTTLS"},
		{name: "AUTH over TLS", offerTLS: true, user: "relay", wantTLS: true},
		{name: "AUTH never in clear", offerTLS: false, user: "relay", wantErr: "offers no STARTTLS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := smtpOptions{users: map[string]string{"relay": "s3cret"}}
			if tc.offerTLS {
				o.tls = serverTLS
			}
			srv := newSMTPServer(t, o)
			m, err := notify.NewMailer(notify.MailOptions{Relay: srv.Addr, From: "status@example.com", FromName: "Example status",
				RequireTLS: tc.requireTLS, TLSConfig: clientTLS, Username: tc.user, Password: "s3cret", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("NewMailer = %v", err)
			}
			err = m.Send(t.Context(), testMessage("m1@example.com"))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Send = %v, want an error containing %q", err, tc.wantErr)
				}
				if n := len(srv.messages()); n != 0 {
					t.Fatalf("server accepted %d messages after a refused send", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send = %v", err)
			}
			msgs := srv.messages()
			if len(msgs) != 1 {
				t.Fatalf("server accepted %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.TLS != tc.wantTLS {
				t.Errorf("session encrypted = %v, want %v", got.TLS, tc.wantTLS)
			}
			if got.AuthUser != tc.user {
				t.Errorf("authenticated as %q, want %q", got.AuthUser, tc.user)
			}
			if got.From != "status@example.com" || got.To != "ann@example.com" {
				t.Errorf("envelope %s → %s", got.From, got.To)
			}
			if got.MessageID != "<m1@example.com>" {
				t.Errorf("Message-ID = %q", got.MessageID)
			}
			if want := strings.ReplaceAll(testMessage("").Body+"\n", "\n", "\r\n"); got.Body != want {
				t.Errorf("body = %q, want %q (dot-stuffing and UTF-8 must survive)", got.Body, want)
			}
			if subj, err := new(mime.WordDecoder).DecodeHeader(got.Header.Get("Subject")); err != nil || subj != "Portal — degraded" {
				t.Errorf("Subject = %q (%v)", subj, err)
			}
			for k, want := range map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable",
				"Mime-Version": "1.0", "Date": "Sat, 14 Mar 2026 09:26:53 +0000", "From": `"Example status" <status@example.com>`} {
				if v := got.Header.Get(k); v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestMailerPermanentErrors(t *testing.T) {
	m, err := notify.NewMailer(notify.MailOptions{Relay: "127.0.0.1:1", From: "status@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	bad := testMessage("id@x")
	bad.To = "ann@example.com\r\nBcc: eve@example.com"
	if err := m.Send(context.Background(), bad); !notify.IsPermanent(err) {
		t.Errorf("Send(header injection) = %v, want a permanent error", err)
	}
	if err := m.Send(context.Background(), testMessage("id@x")); err == nil || notify.IsPermanent(err) {
		t.Errorf("Send(no server) = %v, want a temporary error", err)
	}
	for _, o := range []notify.MailOptions{{Relay: "nohostport", From: "a@example.com"}, {Relay: "h:25", From: "not an address"}, {Relay: "h:25", From: "a@example.com", FromName: "x\r\nBcc: y"}} {
		if _, err := notify.NewMailer(o); err == nil {
			t.Errorf("NewMailer(%+v) succeeded", o)
		}
	}
}

// TestMailerCancel: cancelling before the message is complete sends
// nothing; cancelling while the relay decides on a complete message waits
// for its answer, so that an accepted message is reported as sent (and
// marked) rather than sent again later.
func TestMailerCancel(t *testing.T) {
	tests := []struct {
		name       string
		holdEnd    bool // hold after the final dot (else at RCPT TO)
		wantSent   bool
		wantStored int
	}{
		{"during the envelope", false, false, 0},
		{"after the final dot", true, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSMTPServer(t, smtpOptions{})
			if tc.holdEnd {
				srv.holdEnd()
			} else {
				srv.hold(1)
			}
			m, err := notify.NewMailer(notify.MailOptions{Relay: srv.Addr, From: "status@example.com", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			errc := make(chan error, 1)
			go func() { errc <- m.Send(ctx, testMessage("c1@example.com")) }()
			<-srv.held
			cancel()
			time.Sleep(50 * time.Millisecond) // let a hang-up, if any, happen
			srv.releaseHold()
			err = <-errc
			if (err == nil) != tc.wantSent {
				t.Errorf("Send = %v, want sent: %v", err, tc.wantSent)
			}
			if got := len(srv.messages()); got != tc.wantStored {
				t.Errorf("server stored %d messages, want %d", got, tc.wantStored)
			}
		})
	}
}
