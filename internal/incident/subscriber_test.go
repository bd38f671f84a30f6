package incident

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ann@example.com", "ann@example.com", true},
		{"Ann.Lee+status@Example.COM", "Ann.Lee+status@example.com", true},
		{"ann@sub.example.co.uk", "ann@sub.example.co.uk", true},
		{"", "", false},
		{"ann", "", false},
		{"ann@", "", false},
		{"@example.com", "", false},
		{"ann@example", "", false},
		{"Ann <ann@example.com>", "", false},
		{"ann@example.com\r\nBcc: eve@example.com", "", false},
		{"ann lee@example.com", "", false},
		{`"ann"@example.com`, "", false},
		{".ann@example.com", "", false},
		{"an..n@example.com", "", false},
		{"ann@-example.com", "", false},
		{"ann@exa_mple.com", "", false},
		{strings.Repeat("a", 65) + "@example.com", "", false},
		{"a@" + strings.Repeat("b", 250) + ".com", "", false},
		{"ann@example.com\x00", "", false},
		{"ann@\xffexample.com", "", false},
	}
	for _, tc := range tests {
		got, err := NormalizeEmail(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v, want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseWebhookURL(t *testing.T) {
	tests := []struct {
		in           string
		allowPrivate bool
		wantErr      string
	}{
		{"https://hooks.example.com/firebreak?x=1", false, ""},
		{"http://hooks.example.com:8080/x", false, ""},
		{"https://8.8.8.8/hook", false, ""},
		{"http://127.0.0.1:9000/hook", true, ""},
		{"http://localhost:9000/hook", true, ""},
		{"", false, "is required"},
		{"hooks.example.com/x", false, "https://"},
		{"ftp://hooks.example.com/", false, "https://"},
		{"javascript:alert(1)", false, "https://"},
		{"https:///path", false, "no host"},
		{"https://user:pw@hooks.example.com/", false, "user name"},
		{"https://hooks.example.com/#frag", false, "fragment"},
		{"https://hooks.example.com:0/", false, "port"},
		{"https://hooks.example.com:99999/", false, "port"},
		{"http://127.0.0.1/", false, "internal"},
		{"http://[::1]/", false, "internal"},
		{"http://10.0.0.8/", false, "internal"},
		{"http://169.254.169.254/latest/meta-data", false, "internal"},
		{"http://100.64.0.1/", false, "internal"},
		{"http://[::ffff:127.0.0.1]/", false, "internal"},
		{"http://[fd00::1]/", false, "internal"},
		{"http://localhost/", false, "internal"},
		{"http://localhost./", false, "internal"},
		{"http://api.localhost/", false, "internal"},
		{"http://intranet/", false, "malformed host"},
		{"http://127.1/", false, "malformed host"},
		{"http://0x7f.1/", false, "malformed host"},
		{"https://hooks.example.com/\r\nX: y", false, "control"},
		{"https://" + strings.Repeat("a", MaxWebhookURL) + ".com/", false, "limit"},
	}
	for _, tc := range tests {
		u, err := ParseWebhookURL(tc.in, tc.allowPrivate)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ParseWebhookURL(%q) = %v, want it accepted", tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ParseWebhookURL(%q) = %v, %v, want an error containing %q", tc.in, u, err, tc.wantErr)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/…"},
		{"https://example.com/?token=SECRET", "https://example.com/…"},
		{"https://example.com:8443", "https://example.com:8443"},
		{"https://example.com/", "https://example.com"},
		{"not a url", "[unparsable URL]"},
		{"http://[::1", "[unparsable URL]"},
	}
	for _, tc := range tests {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	p := RetryPolicy{Base: time.Second, Max: 10 * time.Second, MaxAttempts: 6}
	tests := []struct {
		attempts int
		want     time.Duration
		giveUp   bool
	}{{1, time.Second, false}, {2, 2 * time.Second, false}, {3, 4 * time.Second, false}, {4, 8 * time.Second, false}, {5, 10 * time.Second, false}, {6, 0, true}, {100, 0, true}}
	for _, tc := range tests {
		d, g := p.Next(tc.attempts)
		if d != tc.want || g != tc.giveUp {
			t.Errorf("Next(%d) = %v, %v, want %v, %v", tc.attempts, d, g, tc.want, tc.giveUp)
		}
	}
	if d, g := (RetryPolicy{Base: time.Second, Max: time.Hour}).Next(10_000); d != time.Hour || g {
		t.Errorf("unbounded attempts: Next(10000) = %v, %v, want the cap", d, g)
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", "Ann <a@b.c>", "a@b", "a\r\n@b.c", `"x"@y.z`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "\r\n\x00<>\" ,;") || len(got) > MaxEmail {
			t.Errorf("NormalizeEmail(%q) = %q", s, got)
		}
		if again, err := NormalizeEmail(got); err != nil || again != got {
			t.Errorf("NormalizeEmail(%q) = %q, %v: not idempotent", got, again, err)
		}
	})
}

func FuzzParseWebhookURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://127.0.0.1/", "http://[::1]:80/", "javascript:x", "https://a@b.c/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseWebhookURL(s, false)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Hostname() == "" {
			t.Errorf("ParseWebhookURL(%q) accepted %v", s, u)
		}
		if h := strings.ToLower(u.Hostname()); h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" {
			t.Errorf("ParseWebhookURL(%q) accepted an internal host", s)
		}
	})
}
