package notify_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/notify"
)

func FuzzParseSignup(f *testing.F) {
	for _, s := range []string{"email=ann@example.com", "email=ann@example.com&component=api&component=web", "email=", "email=a%0d%0a@b.c",
		"admin=1", "email=a@example.com&email=b@example.com", "component=%3Cx%3E&email=a@b.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		s, err := notify.ParseSignup(v)
		if err != nil {
			if !strings.Contains(err.Error(), ":") {
				t.Errorf("ParseSignup(%q) error %q names no field", body, err)
			}
			return
		}
		if strings.ContainsAny(s.Email, "\r\n<>\" ") || len(s.Email) > incident.MaxEmail {
			t.Errorf("ParseSignup(%q) accepted address %q", body, s.Email)
		}
		if again, err := incident.NormalizeEmail(s.Email); err != nil || again != s.Email {
			t.Errorf("NormalizeEmail(%q) = %q, %v: not idempotent", s.Email, again, err)
		}
		if len(s.Components) > incident.MaxSubComponents {
			t.Errorf("ParseSignup(%q) accepted %d components", body, len(s.Components))
		}
	})
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"", "abc", strings.Repeat("A", notify.TokenLen), strings.Repeat("!", notify.TokenLen), strings.Repeat("é", 22)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := notify.ParseToken(s)
		if err == nil && (tok != s || len(tok) != notify.TokenLen || strings.ContainsAny(tok, "&?=/+ \r\n")) {
			t.Errorf("ParseToken(%q) accepted %q", s, tok)
		}
	})
}

func FuzzVerifySignature(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add("k", notify.Sign("k", now, []byte("{}")), []byte("{}"))
	f.Add("k", "t=1,v1=00", []byte("x"))
	f.Add("", ",,,=", []byte(nil))
	f.Fuzz(func(t *testing.T, secret, header string, body []byte) {
		_ = notify.VerifySignature(secret, header, body, now, 5*time.Minute)
		if err := notify.VerifySignature(secret, notify.Sign(secret, now, body), body, now, time.Minute); err != nil {
			t.Errorf("a fresh signature does not verify: %v", err)
		}
	})
}
