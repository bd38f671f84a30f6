// Package config is Firebreak's typed configuration: defaults, then
// FIREBREAK_* environment variables, then command-line flags (applied by
// package cli). Secrets redact themselves when printed.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/clientip"
)

// Config is the server's configuration.
type Config struct {
	Addr              string        // console and API listener
	PublicAddr        string        // public status page listener (may be empty)
	PublicURL         string        // where the status page is published (links in feeds and mail)
	StatusExportDir   string        // write a static copy of the status page here on every change
	Data              string        // data directory: SQLite file and evidence
	DB                Secret        // postgres:// DSN; empty means SQLite under Data
	Demo              bool          // load the demo incident
	AdminPassword     Secret        // the first admin's password; random when empty
	LogLevel          string        // debug, info, warn, error
	LogFormat         string        // text or json
	MaxEvidence       int64         // bytes per upload
	PasswordMemoryKiB uint32        // argon2id memory cost
	SessionTTL        time.Duration // browser session lifetime
	SecureCookies     bool          // mark cookies Secure (behind TLS)
	ShutdownTimeout   time.Duration
	Probes            string // service probe configuration file (YAML); empty: no probes
	Notify            Notify // subscriber notifications (notify.go)
	// TrustedProxies lists the reverse proxies (addresses and CIDR
	// prefixes, comma-separated) whose X-Forwarded-For is believed for the
	// client address of rate limits; empty: the connection's address.
	TrustedProxies string
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		Data:              "./data",
		LogLevel:          "info",
		LogFormat:         "text",
		MaxEvidence:       512 << 20,
		PasswordMemoryKiB: 64 << 10,
		SessionTTL:        12 * time.Hour,
		ShutdownTimeout:   10 * time.Second,
		Notify:            DefaultNotify(),
	}
}

// Secret is a string that prints as "[redacted]".
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// RedactDSN returns a DSN with its password replaced, for logs.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

// SQLitePath is where the SQLite database lives in the data directory.
func (c Config) SQLitePath() string { return filepath.Join(c.Data, "firebreak.db") }

// EvidenceDir is where evidence files live.
func (c Config) EvidenceDir() string { return filepath.Join(c.Data, "evidence") }

// DSN is what store.Open takes: the PostgreSQL DSN, or the SQLite file.
func (c Config) DSN() string {
	if c.DB != "" {
		return string(c.DB)
	}
	return c.SQLitePath()
}

// Flags registers the server's flags on fs, writing into c. Call after
// ApplyEnv so that flags win over the environment.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "console and API listen address (env FIREBREAK_ADDR)")
	fs.StringVar(&c.PublicAddr, "public-addr", c.PublicAddr, "public status page listen address (env FIREBREAK_PUBLIC_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the status page's public URL, e.g. https://status.example.com (env FIREBREAK_PUBLIC_URL; default http://PUBLIC-ADDR)")
	fs.StringVar(&c.StatusExportDir, "status-export-dir", c.StatusExportDir, "write a static copy of the status page here on every change (env FIREBREAK_STATUS_EXPORT_DIR)")
	c.StoreFlags(fs)
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load the demo incident (env FIREBREAK_DEMO)")
	fs.StringVar(&c.Probes, "probes", c.Probes, "service probe configuration file, YAML; see docs/probes.md (env FIREBREAK_PROBES)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "reverse proxies whose X-Forwarded-For gives the client address for rate limits: addresses and CIDR prefixes, comma-separated (env FIREBREAK_TRUSTED_PROXIES)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env FIREBREAK_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (env FIREBREAK_LOG_FORMAT)")
	c.Notify.Flags(fs)
}

// StoreFlags registers only --data and --db.
func (c *Config) StoreFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory (env FIREBREAK_DATA)")
	fs.Func("db", "postgres://… DSN; default: SQLite in the data directory (env FIREBREAK_DB)", func(v string) error {
		c.DB = Secret(v)
		return nil
	})
}

// ApplyEnv reads FIREBREAK_* variables through getenv.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("FIREBREAK_ADDR", &c.Addr)
	str("FIREBREAK_PUBLIC_ADDR", &c.PublicAddr)
	str("FIREBREAK_PUBLIC_URL", &c.PublicURL)
	str("FIREBREAK_STATUS_EXPORT_DIR", &c.StatusExportDir)
	str("FIREBREAK_DATA", &c.Data)
	str("FIREBREAK_LOG_LEVEL", &c.LogLevel)
	str("FIREBREAK_LOG_FORMAT", &c.LogFormat)
	str("FIREBREAK_PROBES", &c.Probes)
	str("FIREBREAK_TRUSTED_PROXIES", &c.TrustedProxies)
	if v := getenv("FIREBREAK_DB"); v != "" {
		c.DB = Secret(v)
	}
	if v := getenv("FIREBREAK_ADMIN_PASSWORD"); v != "" {
		c.AdminPassword = Secret(v)
	}
	var errs []error
	boolean := func(name string, dst *bool) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want true or false", name, v))
			}
			*dst = b
		}
	}
	boolean("FIREBREAK_DEMO", &c.Demo)
	boolean("FIREBREAK_SECURE_COOKIES", &c.SecureCookies)
	if v := getenv("FIREBREAK_MAX_EVIDENCE_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIREBREAK_MAX_EVIDENCE_BYTES=%q: want a number of bytes", v))
		}
		c.MaxEvidence = n
	}
	if v := getenv("FIREBREAK_PASSWORD_MEMORY_KIB"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIREBREAK_PASSWORD_MEMORY_KIB=%q: want a number of KiB", v))
		}
		c.PasswordMemoryKiB = uint32(n)
	}
	if v := getenv("FIREBREAK_SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIREBREAK_SESSION_TTL=%q: want a duration such as 12h", v))
		}
		c.SessionTTL = d
	}
	errs = append(errs, c.Notify.ApplyEnv(getenv))
	return errors.Join(errs...)
}

// ForNotify returns the notification settings with the page's public URL
// (--public-url) and name filled in: subscriptions are on only when the
// page has a public URL that mail links can point to.
func (c Config) ForNotify(pageName string) Notify {
	n := c.Notify
	n.PageURL = c.PublicURL
	if pageName != "" {
		n.PageName = pageName
	}
	return n
}

// Validate checks the configuration as a whole.
func (c Config) Validate() error {
	var errs []error
	for name, addr := range map[string]string{"addr": c.Addr, "public-addr": c.PublicAddr} {
		if addr == "" && name == "public-addr" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: want host:port", name, addr))
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			errs = append(errs, fmt.Errorf("--public-url %q: want an absolute http(s) URL", c.PublicURL))
		}
	}
	if c.DB != "" && !strings.HasPrefix(string(c.DB), "postgres://") && !strings.HasPrefix(string(c.DB), "postgresql://") {
		errs = append(errs, errors.New("--db: want a postgres:// DSN (SQLite lives in --data)"))
	}
	if c.DB == "" && c.Data == "" {
		errs = append(errs, errors.New("--data: a data directory is required"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	if c.MaxEvidence <= 0 {
		errs = append(errs, errors.New("FIREBREAK_MAX_EVIDENCE_BYTES must be positive"))
	}
	if c.PasswordMemoryKiB < 8 {
		errs = append(errs, errors.New("FIREBREAK_PASSWORD_MEMORY_KIB must be at least 8"))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, errors.New("FIREBREAK_SESSION_TTL must be at least 1m"))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.ForNotify(c.Notify.PageName).Validate())
	return errors.Join(errs...)
}

// Proxies parses TrustedProxies.
func (c Config) Proxies() ([]netip.Prefix, error) {
	ps, err := clientip.Parse(c.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	return ps, nil
}

// Dump returns the configuration as "key = value" lines, secrets redacted.
func (c Config) Dump() string {
	db := ""
	if c.DB != "" {
		db = RedactDSN(string(c.DB))
	}
	return fmt.Sprintf("addr = %s\npublic_addr = %s\npublic_url = %s\nstatus_export_dir = %s\ndata = %s\ndb = %s\ndemo = %t\nadmin_password = %s\nlog_level = %s\nlog_format = %s\nmax_evidence_bytes = %d\npassword_memory_kib = %d\nsession_ttl = %s\nsecure_cookies = %t\nprobes = %s\ntrusted_proxies = %s\n",
		c.Addr, c.PublicAddr, c.PublicURL, c.StatusExportDir, c.Data, db, c.Demo, c.AdminPassword, c.LogLevel, c.LogFormat, c.MaxEvidence, c.PasswordMemoryKiB, c.SessionTTL, c.SecureCookies, c.Probes, c.TrustedProxies) + c.Notify.Dump()
}
