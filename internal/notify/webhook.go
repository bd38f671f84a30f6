package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Webhook request headers.
const (
	SignatureHeader = "Firebreak-Signature"
	DeliveryHeader  = "Firebreak-Delivery"
	EventHeader     = "Firebreak-Event"
)

// WebhookOptions configure a WebhookSender.
type WebhookOptions struct {
	// Timeout bounds one request, connection included (default 10 s).
	Timeout time.Duration
	// AllowPrivate lets hooks reach loopback, private and other internal
	// addresses. Off by default: a hook URL must not become a way into the
	// internal network (SSRF).
	AllowPrivate bool
	// UserAgent defaults to "Firebreak-Webhook/1".
	UserAgent string
}

// WebhookSender POSTs signed JSON to webhook subscribers.
type WebhookSender struct {
	opt    WebhookOptions
	client *http.Client
}

// errInternalAddress is returned when a hook resolves to an internal address.
var errInternalAddress = errors.New("webhook address resolves to a loopback, private or otherwise internal address")

// NewWebhookSender returns a sender. It never uses a proxy from the
// environment and never follows redirects.
func NewWebhookSender(opt WebhookOptions) *WebhookSender {
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "Firebreak-Webhook/1"
	}
	dialer := &net.Dialer{Timeout: opt.Timeout}
	if !opt.AllowPrivate {
		// Checked on the address actually dialled, after DNS resolution.
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !incident.PublicIP(ap.Addr()) {
				return errInternalAddress
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   opt.Timeout,
		ResponseHeaderTimeout: opt.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &WebhookSender{opt: opt, client: &http.Client{
		Transport:     tr,
		Timeout:       opt.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Sign returns the signature header value for body at time t:
// "t=UNIX,v1=HEX", HEX being HMAC-SHA256 with secret over "UNIX.body".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// maxSignatureHeader bounds the header VerifySignature parses.
const maxSignatureHeader = 1024

// VerifySignature checks a Firebreak-Signature header against body, as a
// receiver does: the timestamp must be within tolerance of now and one of
// the v1 signatures must match. It is here for receivers written in Go and
// for tests.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(header) > maxSignatureHeader {
		return fmt.Errorf("signature header is %d bytes long, the limit is %d", len(header), maxSignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("signature header: %.40q is not key=value", part)
		}
		switch k {
		case "t":
			if ts != "" {
				return errors.New("signature header: more than one timestamp")
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return errors.New("signature header: v1 is not a hex SHA-256 HMAC")
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return errors.New("signature header: want t=UNIX,v1=HEX")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix < 0 {
		return errors.New("signature header: t is not a Unix time")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp is %s away from now, the tolerance is %s", d.Round(time.Second), tolerance)
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return errors.New("signature does not match")
}

// Hook is one webhook request.
type Hook struct {
	URL        string
	Secret     string
	DeliveryID string // the same on every retry
	Event      string
	Body       []byte // the same on every retry
}

// Send POSTs the hook. A 2xx answer is a delivery; 410 Gone is permanent;
// anything else (redirects included) is a failure worth retrying.
//
// Errors name the hook by scheme and host only: the rest of a hook URL is
// often a secret, and errors end up in logs and in the outbox.
func (w *WebhookSender) Send(ctx context.Context, h Hook) error {
	where := incident.RedactURL(h.URL)
	if _, err := incident.ParseWebhookURL(h.URL, w.opt.AllowPrivate); err != nil {
		return &PermanentError{fmt.Errorf("webhook %s: %w", where, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(h.Body))
	if err != nil {
		return &PermanentError{fmt.Errorf("webhook %s: %w", where, redactErr(err, h.URL))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.opt.UserAgent)
	req.Header.Set(DeliveryHeader, h.DeliveryID)
	req.Header.Set(EventHeader, h.Event)
	req.Header.Set(SignatureHeader, Sign(h.Secret, time.Now(), h.Body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", where, redactErr(err, h.URL))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return &PermanentError{fmt.Errorf("webhook %s: %s", where, resp.Status)}
	}
	return fmt.Errorf("webhook %s: %s", where, resp.Status)
}

// redactErr strips the URL that net/http puts into its errors (*url.Error).
func redactErr(err error, rawURL string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	if strings.Contains(err.Error(), rawURL) {
		return errors.New(strings.ReplaceAll(err.Error(), rawURL, incident.RedactURL(rawURL)))
	}
	return err
}
