package incident

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// SubscriberKind says how a subscriber of the public page is told.
type SubscriberKind string

// Subscriber kinds.
const (
	SubscriberEmail   SubscriberKind = "email"
	SubscriberWebhook SubscriberKind = "webhook"
)

// Subscriber is someone (an e-mail address) or something (a webhook URL)
// told about published changes of the public page.
type Subscriber struct {
	ID      int64          `json:"id"`
	Kind    SubscriberKind `json:"kind"`
	Address string         `json:"address"` // the e-mail address or the webhook URL
	// Components are the public ids of the components the subscriber chose;
	// empty means all of them.
	Components  []string   `json:"components"`
	Confirmed   bool       `json:"confirmed"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedFrom string     `json:"created_from,omitempty"` // the client address of a public sign-up
	CreatedBy   string     `json:"created_by,omitempty"`   // the user who added a webhook
}

// DeliveryKind says what an outbox delivery carries.
type DeliveryKind string

// Delivery kinds.
const (
	DeliveryConfirmation DeliveryKind = "confirmation" // the double opt-in mail
	DeliveryNotice       DeliveryKind = "notice"       // a published change
)

// PublicNotice is the payload of a notice delivery: public fields only, as
// published on the page.
type PublicNotice struct {
	Kind         string    `json:"kind"` // incident.created … maintenance.completed
	EventID      string    `json:"event_id"`
	EventName    string    `json:"event_name"`
	UpdateID     string    `json:"update_id"`
	Status       string    `json:"status"`
	Body         string    `json:"body"`
	ComponentIDs []string  `json:"component_ids"`
	At           time.Time `json:"at"`
}

// Delivery is one message to one subscriber, claimed from the outbox.
type Delivery struct {
	ID         int64        `json:"id"`
	Kind       DeliveryKind `json:"kind"`
	Subscriber Subscriber   `json:"subscriber"`
	// Secret is a webhook subscriber's signing key.
	Secret string `json:"-"`
	// Token is the secret the message carries: the confirmation token of a
	// confirmation, the unsubscribe token of an e-mail notice. The outbox
	// forgets it once the delivery is done.
	Token    string        `json:"-"`
	Notice   *PublicNotice `json:"notice,omitempty"`
	Attempts int           `json:"attempts"` // including this one
	// CreatedAt is when the delivery was queued: it stays the same on every
	// retry, as does ID.
	CreatedAt time.Time `json:"created_at"`
}

// RetryPolicy says when a failed delivery is tried again: after Base,
// doubling with each attempt up to Max, and never after MaxAttempts.
type RetryPolicy struct {
	Base        time.Duration
	Max         time.Duration
	MaxAttempts int
}

// DefaultRetry retries for about a day.
var DefaultRetry = RetryPolicy{Base: 30 * time.Second, Max: 2 * time.Hour, MaxAttempts: 16}

// Next returns the delay before the next try after attempts failed tries,
// or give up when there should be none.
func (p RetryPolicy) Next(attempts int) (delay time.Duration, giveUp bool) {
	if p.MaxAttempts > 0 && attempts >= p.MaxAttempts {
		return 0, true
	}
	d := p.Base
	if d <= 0 {
		d = time.Second
	}
	for i := 1; i < attempts && (p.Max <= 0 || d < p.Max); i++ {
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	return d, false
}

// Limits of subscriber input.
const (
	MaxEmail         = 254
	MaxWebhookURL    = 2048
	MaxSubComponents = 100
)

// NormalizeEmail checks a sign-up address and returns it with its domain in
// lower case. Display names, comments, quoted local parts and anything that
// could break a mail header are refused.
func NormalizeEmail(s string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &ValidationError{Field: "email", Reason: reason}
	}
	switch {
	case s == "":
		return bad("is required")
	case len(s) > MaxEmail:
		return bad(fmt.Sprintf("is %d bytes long, the limit is %d", len(s), MaxEmail))
	case !utf8.ValidString(s):
		return bad("is not valid UTF-8")
	case strings.ContainsAny(s, " \t\r\n\"<>(),;:\\[]\x00"):
		return bad("must be a plain address such as name@example.com")
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return bad("must be a plain address such as name@example.com")
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > 64 {
		return bad("has a local part longer than 64 bytes")
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return bad("has a malformed local part")
	}
	if !validDomain(domain) {
		return bad("has a malformed domain")
	}
	out := local + "@" + domain
	a, err := mail.ParseAddress(out)
	if err != nil || a.Address != out || a.Name != "" {
		return bad("must be a plain address such as name@example.com")
	}
	return out, nil
}

// validDomain accepts a DNS name of at least two labels.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	labels := strings.Split(d, ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false // a numeric top-level label: an IP address in disguise (127.1, 0x7f.1)
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r >= 0x80) {
				return false
			}
		}
	}
	return true
}

// ParseWebhookURL checks a webhook address: absolute http or https, a host,
// no user information or fragment. Unless allowPrivate is set, a literal IP
// address must be a public one; names are checked again at each connection.
func ParseWebhookURL(s string, allowPrivate bool) (*url.URL, error) {
	bad := func(reason string) (*url.URL, error) {
		return nil, &ValidationError{Field: "url", Reason: reason}
	}
	switch {
	case s == "":
		return bad("is required")
	case len(s) > MaxWebhookURL:
		return bad(fmt.Sprintf("is %d bytes long, the limit is %d", len(s), MaxWebhookURL))
	case !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n\x00"):
		return bad("contains spaces, control characters or invalid UTF-8")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return bad("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must start with https:// or http://")
	case u.Host == "" || u.Hostname() == "":
		return bad("has no host")
	case u.User != nil:
		return bad("must not carry a user name or password")
	case u.Fragment != "" || u.RawFragment != "":
		return bad("must not have a #fragment")
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != p {
			return bad("has an invalid port")
		}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if !allowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return bad("points to a loopback, private or otherwise internal address")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !allowPrivate && !PublicIP(ip) {
			return bad("points to a loopback, private or otherwise internal address")
		}
	} else if !validDomain(host) && host != "localhost" {
		return bad("has a malformed host name")
	}
	return u, nil
}

// RedactURL shortens a webhook URL to its scheme and host, for logs and the
// audit trail: many services put the hook's secret in its path or query.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "[unparsable URL]"
	}
	out := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		out += "/…"
	}
	return out
}

// PublicIP reports whether ip is a global unicast address outside the
// private, shared, loopback, link-local and documentation ranges.
func PublicIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 internals
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fc00::/7"),
}
