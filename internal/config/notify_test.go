package config

import (
	"strings"
	"testing"
)

func TestNotifyEnvAndValidate(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"defaults are off and valid", nil, ""},
		{"full", map[string]string{"FIREBREAK_PUBLIC_URL": "https://status.example.com", "FIREBREAK_SMTP_RELAY": "smtp.example.com:587",
			"FIREBREAK_SMTP_FROM": "status@example.com", "FIREBREAK_SMTP_USER": "u", "FIREBREAK_SMTP_PASSWORD": "pw", "FIREBREAK_SMTP_TLS": "require"}, ""},
		{"relay without page", map[string]string{"FIREBREAK_SMTP_RELAY": "smtp.example.com:587", "FIREBREAK_SMTP_FROM": "s@example.com"}, "needs --public-url"},
		{"relay without from", map[string]string{"FIREBREAK_PUBLIC_URL": "https://s.example.com", "FIREBREAK_SMTP_RELAY": "smtp.example.com:587"}, "--smtp-from"},
		{"relay without port", map[string]string{"FIREBREAK_PUBLIC_URL": "https://s.example.com", "FIREBREAK_SMTP_RELAY": "smtp.example.com", "FIREBREAK_SMTP_FROM": "s@example.com"}, "host:port"},
		{"bad TLS mode", map[string]string{"FIREBREAK_SMTP_TLS": "none"}, "--smtp-tls"},
		{"user without password", map[string]string{"FIREBREAK_SMTP_USER": "u"}, "FIREBREAK_SMTP_PASSWORD"},
		{"page URL not http", map[string]string{"FIREBREAK_PUBLIC_URL": "status.example.com"}, "--public-url"},
		{"bad bool", map[string]string{"FIREBREAK_WEBHOOK_ALLOW_PRIVATE": "perhaps"}, "true or false"},
		{"bad workers", map[string]string{"FIREBREAK_NOTIFY_WORKERS": "0"}, "FIREBREAK_NOTIFY_WORKERS"},
		{"bad window", map[string]string{"FIREBREAK_SIGNUP_WINDOW": "1s"}, "sign-up limits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			err := c.ApplyEnv(func(k string) string { return tc.env[k] })
			if err == nil {
				err = c.Validate()
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("config = %v, want valid", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("config = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	c := Default()
	_ = c.ApplyEnv(func(k string) string { return map[string]string{"FIREBREAK_SMTP_PASSWORD": "hunter2-smtp"}[k] })
	if out := c.Dump(); strings.Contains(out, "hunter2-smtp") || !strings.Contains(out, "smtp_password = [redacted]") {
		t.Errorf("Dump() leaks or omits the SMTP password:\n%s", out)
	}
}
