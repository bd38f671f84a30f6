package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// MaxBody is how much of an HTTP response body a probe reads.
const MaxBody = 1 << 20

// maxDetail bounds a result's detail message.
const maxDetail = 300

// Outcome is the verdict of one check.
type Outcome string

// Outcomes, from best to worst.
const (
	OutcomeOK       Outcome = "ok"
	OutcomeDegraded Outcome = "degraded" // answered, but slowly or with a certificate about to expire
	OutcomeFailed   Outcome = "failed"
)

// Result is what one check found.
type Result struct {
	Outcome Outcome
	At      time.Time     // when the check started
	Latency time.Duration // time to the full answer (or to the failure)
	Detail  string        // for people: "HTTP 503", "connect: connection refused"
	// CertExpiry is when the server's certificate expires (HTTPS only;
	// zero otherwise).
	CertExpiry time.Time
}

// Checker runs one probe's check. It is safe for concurrent use.
type Checker struct {
	p        Probe
	client   *http.Client  // http
	resolver *net.Resolver // dns
	now      func() time.Time
}

// NewChecker prepares the check of p.
func NewChecker(p Probe) (*Checker, error) {
	c := &Checker{p: p, now: time.Now}
	switch p.Type {
	case TypeHTTP:
		dialer := &net.Dialer{Timeout: p.Timeout}
		tr := &http.Transport{
			Proxy:       http.ProxyFromEnvironment,
			DialContext: dialer.DialContext,
			TLSClientConfig: &tls.Config{
				InsecureSkipVerify: p.HTTP.InsecureSkipVerify, // off unless the file asks for it
				RootCAs:            p.HTTP.RootCAs,
				MinVersion:         tls.VersionTLS12,
			},
			TLSHandshakeTimeout: p.Timeout,
			// Every check opens a fresh connection, so that DNS, connect
			// and TLS failures are seen, and their time is measured.
			DisableKeepAlives: true,
			ForceAttemptHTTP2: true,
		}
		c.client = &http.Client{Transport: tr, Timeout: p.Timeout}
		if p.HTTP.FollowRedirects {
			c.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
				if len(via) >= 10 {
					return errors.New("stopped after 10 redirects")
				}
				return nil
			}
		} else {
			c.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
	case TypeTCP:
	case TypeDNS:
		c.resolver = net.DefaultResolver
		if srv := p.DNS.Server; srv != "" {
			c.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, srv)
			}}
		}
	default:
		return nil, fmt.Errorf("probe %q: unknown type %q", p.Name, p.Type)
	}
	return c, nil
}

// Probe returns the probe the checker runs.
func (c *Checker) Probe() Probe { return c.p }

// Check runs the check once, within the probe's timeout.
func (c *Checker) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, c.p.Timeout)
	defer cancel()
	start := c.now()
	var r Result
	switch c.p.Type {
	case TypeHTTP:
		r = c.checkHTTP(ctx, start)
	case TypeTCP:
		r = c.checkTCP(ctx)
	case TypeDNS:
		r = c.checkDNS(ctx)
	}
	r.At = start
	if r.Latency == 0 {
		r.Latency = c.now().Sub(start)
	}
	if r.Outcome == OutcomeFailed && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		r.Detail = fmt.Sprintf("no answer within %s", c.p.Timeout)
	}
	if r.Outcome == OutcomeOK && c.p.Thresholds.Latency > 0 && r.Latency > c.p.Thresholds.Latency {
		r.Outcome = OutcomeDegraded
		r.Detail = fmt.Sprintf("slow: %s, above %s", roundLatency(r.Latency), c.p.Thresholds.Latency)
	}
	if len(r.Detail) > maxDetail {
		r.Detail = strings.ToValidUTF8(r.Detail[:maxDetail], "") + "…"
	}
	return r
}

func roundLatency(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func failed(format string, args ...any) Result {
	return Result{Outcome: OutcomeFailed, Detail: fmt.Sprintf(format, args...)}
}

// errText is an error as a responder wants to read it: without the
// "Get "https://…":" wrapper that repeats the target.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return "TLS: " + ce.Err.Error()
	}
	return err.Error()
}

func (c *Checker) checkHTTP(ctx context.Context, start time.Time) Result {
	h := c.p.HTTP
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.p.Target, nil)
	if err != nil {
		return failed("request: %v", err)
	}
	req.Header.Set("User-Agent", "Firebreak-Probe/1")
	resp, err := c.client.Do(req)
	if err != nil {
		return failed("%s", errText(err))
	}
	defer resp.Body.Close()
	var body []byte
	if h.BodyContains != "" {
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	} else {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	}
	r := Result{Latency: c.now().Sub(start)}
	if err != nil {
		r.Outcome, r.Detail = OutcomeFailed, fmt.Sprintf("HTTP %d, reading the body: %s", resp.StatusCode, errText(err))
		return r
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.CertExpiry = resp.TLS.PeerCertificates[0].NotAfter.UTC()
	}
	okStatus := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if len(h.ExpectStatus) > 0 {
		okStatus = slices.Contains(h.ExpectStatus, resp.StatusCode)
	}
	left := r.CertExpiry.Sub(c.now())
	switch {
	case !okStatus:
		r.Outcome, r.Detail = OutcomeFailed, fmt.Sprintf("HTTP %d", resp.StatusCode)
	case h.BodyContains != "" && !bytes.Contains(body, []byte(h.BodyContains)):
		r.Outcome, r.Detail = OutcomeFailed, fmt.Sprintf("HTTP %d, but the body lacks %q", resp.StatusCode, h.BodyContains)
	case !r.CertExpiry.IsZero() && left <= 0:
		r.Outcome, r.Detail = OutcomeFailed, fmt.Sprintf("certificate expired on %s", r.CertExpiry.Format(time.DateOnly))
	case !r.CertExpiry.IsZero() && h.CertExpiryDays > 0 && left < time.Duration(h.CertExpiryDays)*24*time.Hour:
		r.Outcome, r.Detail = OutcomeDegraded, fmt.Sprintf("certificate expires in %s (%s)", days(left), r.CertExpiry.Format(time.DateOnly))
	default:
		r.Outcome, r.Detail = OutcomeOK, fmt.Sprintf("HTTP %d in %s", resp.StatusCode, roundLatency(r.Latency))
	}
	return r
}

// days renders a positive duration in whole days, "less than a day" below one.
func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch n {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func (c *Checker) checkTCP(ctx context.Context) Result {
	start := c.now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.p.Target)
	if err != nil {
		return failed("%s", errText(err))
	}
	lat := c.now().Sub(start)
	conn.Close()
	return Result{Outcome: OutcomeOK, Latency: lat, Detail: fmt.Sprintf("connected in %s", roundLatency(lat))}
}

func (c *Checker) checkDNS(ctx context.Context) Result {
	name := c.p.Target
	if !strings.HasSuffix(name, ".") {
		name += "." // fully qualified: no search domains
	}
	start := c.now()
	var answers []string
	var err error
	switch c.p.DNS.Record {
	case "A", "AAAA":
		network := "ip4"
		if c.p.DNS.Record == "AAAA" {
			network = "ip6"
		}
		var ips []net.IP
		ips, err = c.resolver.LookupIP(ctx, network, name)
		for _, ip := range ips {
			answers = append(answers, ip.String())
		}
	case "CNAME":
		var cname string
		cname, err = c.resolver.LookupCNAME(ctx, name)
		if err == nil && !strings.EqualFold(cname, name) {
			answers = []string{cname}
		}
	case "TXT":
		answers, err = c.resolver.LookupTXT(ctx, name)
	case "MX":
		var mxs []*net.MX
		mxs, err = c.resolver.LookupMX(ctx, name)
		for _, mx := range mxs {
			answers = append(answers, mx.Host)
		}
	}
	lat := c.now().Sub(start)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) {
			if de.IsNotFound {
				return Result{Outcome: OutcomeFailed, Latency: lat, Detail: fmt.Sprintf("%s %s: no such name or no %s record", c.p.DNS.Record, c.p.Target, c.p.DNS.Record)}
			}
			return Result{Outcome: OutcomeFailed, Latency: lat, Detail: fmt.Sprintf("%s %s: %s", c.p.DNS.Record, c.p.Target, de.Err)}
		}
		return Result{Outcome: OutcomeFailed, Latency: lat, Detail: fmt.Sprintf("%s %s: %v", c.p.DNS.Record, c.p.Target, err)}
	}
	if len(answers) == 0 {
		return Result{Outcome: OutcomeFailed, Latency: lat, Detail: fmt.Sprintf("%s %s: no answer", c.p.DNS.Record, c.p.Target)}
	}
	norm := func(s string) string {
		if c.p.DNS.Record == "TXT" {
			return s
		}
		if ip := net.ParseIP(s); ip != nil {
			return ip.String()
		}
		return strings.ToLower(strings.TrimSuffix(s, "."))
	}
	have := make([]string, len(answers))
	for i, a := range answers {
		have[i] = norm(a)
	}
	for _, want := range c.p.DNS.Expect {
		if !slices.Contains(have, norm(want)) {
			return Result{Outcome: OutcomeFailed, Latency: lat, Detail: fmt.Sprintf("%s %s answered %s, without the expected %s", c.p.DNS.Record, c.p.Target, strings.Join(have, ", "), want)}
		}
	}
	return Result{Outcome: OutcomeOK, Latency: lat, Detail: fmt.Sprintf("%s %s in %s", c.p.DNS.Record, strings.Join(have, ", "), roundLatency(lat))}
}
