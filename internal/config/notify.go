package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Notify configures subscriber notifications: the SMTP relay for e-mail,
// webhook delivery and the public sign-up limits. Notifications are off
// while PageURL is empty. PageURL is --public-url and PageName the page's
// name: Config.ForNotify fills them in.
type Notify struct {
	PageName     string // the status page's name in messages
	PageURL      string // its public https:// address: links in mail point here
	SMTPRelay    string // host:port; empty: no e-mail (sign-ups are refused)
	SMTPUser     string
	SMTPPassword Secret
	SMTPFrom     string // sender address
	SMTPTLS      string // "starttls" (when offered), "require" (STARTTLS or fail), "implicit" (SMTPS, port 465)
	// WebhookAllowPrivate lets webhooks reach loopback and private
	// addresses (off: SSRF).
	WebhookAllowPrivate bool
	Workers             int // deliveries in flight per replica
	SignupsPerAddress   int // per SignupWindow
	SignupsPerIP        int // per SignupWindow
	SignupWindow        time.Duration
}

// DefaultNotify returns the defaults.
func DefaultNotify() Notify {
	return Notify{PageName: "Status", SMTPTLS: "starttls", Workers: 4, SignupsPerAddress: 3, SignupsPerIP: 20, SignupWindow: time.Hour}
}

// Flags registers the notification flags on fs, writing into n.
func (n *Notify) Flags(fs *flag.FlagSet) {
	fs.StringVar(&n.SMTPRelay, "smtp-relay", n.SMTPRelay, "SMTP relay host:port for subscriber e-mail (env FIREBREAK_SMTP_RELAY)")
	fs.StringVar(&n.SMTPUser, "smtp-user", n.SMTPUser, "SMTP AUTH user name, sent only over TLS (env FIREBREAK_SMTP_USER; password: FIREBREAK_SMTP_PASSWORD)")
	fs.StringVar(&n.SMTPFrom, "smtp-from", n.SMTPFrom, "sender address of subscriber e-mail (env FIREBREAK_SMTP_FROM)")
	fs.StringVar(&n.SMTPTLS, "smtp-tls", n.SMTPTLS, "starttls (when offered), require or implicit (env FIREBREAK_SMTP_TLS)")
	fs.BoolVar(&n.WebhookAllowPrivate, "webhook-allow-private", n.WebhookAllowPrivate, "let webhooks reach loopback and private addresses (env FIREBREAK_WEBHOOK_ALLOW_PRIVATE)")
}

// ApplyEnv reads the FIREBREAK_* notification variables through getenv.
func (n *Notify) ApplyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("FIREBREAK_SMTP_RELAY", &n.SMTPRelay)
	str("FIREBREAK_SMTP_USER", &n.SMTPUser)
	str("FIREBREAK_SMTP_FROM", &n.SMTPFrom)
	str("FIREBREAK_SMTP_TLS", &n.SMTPTLS)
	if v := getenv("FIREBREAK_SMTP_PASSWORD"); v != "" {
		n.SMTPPassword = Secret(v)
	}
	var errs []error
	if v := getenv("FIREBREAK_WEBHOOK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIREBREAK_WEBHOOK_ALLOW_PRIVATE=%q: want true or false", v))
		}
		n.WebhookAllowPrivate = b
	}
	for name, dst := range map[string]*int{"FIREBREAK_NOTIFY_WORKERS": &n.Workers, "FIREBREAK_SIGNUPS_PER_ADDRESS": &n.SignupsPerAddress, "FIREBREAK_SIGNUPS_PER_IP": &n.SignupsPerIP} {
		if v := getenv(name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want a number", name, v))
			}
			*dst = i
		}
	}
	if v := getenv("FIREBREAK_SIGNUP_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIREBREAK_SIGNUP_WINDOW=%q: want a duration such as 1h", v))
		}
		n.SignupWindow = d
	}
	return errors.Join(errs...)
}

// Enabled reports whether subscriptions are on.
func (n Notify) Enabled() bool { return n.PageURL != "" }

// Validate checks the notification settings.
func (n Notify) Validate() error {
	var errs []error
	if n.PageURL != "" {
		u, err := url.Parse(n.PageURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("--public-url %q: want the page's public https:// address", n.PageURL))
		}
	}
	if n.SMTPRelay != "" {
		if _, _, err := net.SplitHostPort(n.SMTPRelay); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-relay %q: want host:port", n.SMTPRelay))
		}
		if a, err := mail.ParseAddress(n.SMTPFrom); err != nil || a.Name != "" || a.Address != n.SMTPFrom {
			errs = append(errs, fmt.Errorf("--smtp-from %q: want a plain sender address (required with --smtp-relay)", n.SMTPFrom))
		}
		if n.PageURL == "" {
			errs = append(errs, errors.New("--smtp-relay needs --public-url: mail links point to the page"))
		}
	}
	switch n.SMTPTLS {
	case "starttls", "require", "implicit":
	default:
		errs = append(errs, fmt.Errorf("--smtp-tls %q: want starttls, require or implicit", n.SMTPTLS))
	}
	if n.SMTPUser != "" && n.SMTPPassword == "" {
		errs = append(errs, errors.New("--smtp-user needs FIREBREAK_SMTP_PASSWORD"))
	}
	if strings.ContainsAny(n.PageName, "\r\n") {
		errs = append(errs, errors.New("--status-name: must be one line"))
	}
	if n.Workers < 1 || n.Workers > 64 {
		errs = append(errs, errors.New("FIREBREAK_NOTIFY_WORKERS must be from 1 to 64"))
	}
	if n.SignupsPerAddress < 1 || n.SignupsPerIP < 1 || n.SignupWindow < time.Minute {
		errs = append(errs, errors.New("sign-up limits must be at least 1 per at least 1m"))
	}
	return errors.Join(errs...)
}

// Dump returns the notification settings as "key = value" lines, the
// password redacted.
func (n Notify) Dump() string {
	return fmt.Sprintf("smtp_relay = %s\nsmtp_user = %s\nsmtp_password = %s\nsmtp_from = %s\nsmtp_tls = %s\nwebhook_allow_private = %t\nnotify_workers = %d\nsignups_per_address = %d\nsignups_per_ip = %d\nsignup_window = %s\n",
		n.SMTPRelay, n.SMTPUser, n.SMTPPassword, n.SMTPFrom, n.SMTPTLS, n.WebhookAllowPrivate, n.Workers, n.SignupsPerAddress, n.SignupsPerIP, n.SignupWindow)
}
