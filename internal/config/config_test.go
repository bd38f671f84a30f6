package config

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestLayering(t *testing.T) {
	env := map[string]string{"FIREBREAK_ADDR": "0.0.0.0:9000", "FIREBREAK_DATA": "/env", "FIREBREAK_DEMO": "true", "FIREBREAK_SESSION_TTL": "1h"}
	c := Default()
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--data", "/flag"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.Data != "/flag" || !c.Demo || c.SessionTTL != time.Hour {
		t.Errorf("config = %+v, want env addr, flag data, demo, 1h", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestApplyEnvErrors(t *testing.T) {
	for k, v := range map[string]string{"FIREBREAK_DEMO": "yes please", "FIREBREAK_MAX_EVIDENCE_BYTES": "lots", "FIREBREAK_SESSION_TTL": "forever", "FIREBREAK_PASSWORD_MEMORY_KIB": "-1"} {
		c := Default()
		err := c.ApplyEnv(func(name string) string {
			if name == k {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("ApplyEnv(%s=%q) = %v, want an error naming %s", k, v, err, k)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"bad addr", func(c *Config) { c.Addr = "8080" }, "--addr"},
		{"bad public addr", func(c *Config) { c.PublicAddr = "nope" }, "--public-addr"},
		{"sqlite dsn", func(c *Config) { c.DB = "file.db" }, "--db"},
		{"level", func(c *Config) { c.LogLevel = "loud" }, "--log-level"},
		{"format", func(c *Config) { c.LogFormat = "xml" }, "--log-format"},
		{"ttl", func(c *Config) { c.SessionTTL = time.Second }, "SESSION_TTL"},
	} {
		cfg := Default()
		c.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %s", c.name, err, c.want)
		}
	}
}

func TestSecretsRedacted(t *testing.T) {
	c := Default()
	c.DB = "postgres://fb:hunter2-secret@db:5432/fb"
	c.AdminPassword = "admin-secret-pw"
	out := c.Dump()
	for _, secret := range []string{"hunter2-secret", "admin-secret-pw"} {
		if strings.Contains(out, secret) {
			t.Errorf("Dump() contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "postgres://fb:redacted@db:5432/fb") {
		t.Errorf("Dump() = %s, want the DSN with its password redacted", out)
	}
}
