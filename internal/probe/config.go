// Package probe checks customer-facing services from the outside — HTTP(S)
// (status, body, latency, certificate expiry), TCP connects and DNS answers —
// on their own intervals, turns the results into up/degraded/down states
// through thresholds, and reports every state change, so that a disruption
// is seen by responders before customers call.
//
// The configuration is a YAML file (see docs/probes.md); ParseConfig and
// LoadConfig read it strictly. A Runner schedules the probes; a Checker runs
// one probe once.
package probe

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"go.yaml.in/yaml/v3"
)

// Limits of a configuration file.
const (
	MaxConfigBytes = 1 << 20 // size of the file
	MaxProbes      = 1000    // probes in one file
	MaxNameLen     = 100     // bytes in a probe or component name
	MinInterval    = time.Second
	MaxInterval    = 24 * time.Hour
)

// Defaults applied when the file and its defaults section say nothing.
const (
	DefaultInterval       = 30 * time.Second
	DefaultTimeout        = 10 * time.Second
	DefaultFailures       = 3
	DefaultSuccesses      = 2
	DefaultCertExpiryDays = 14
)

// Type is the kind of check a probe runs.
type Type string

// Probe types.
const (
	TypeHTTP Type = "http"
	TypeTCP  Type = "tcp"
	TypeDNS  Type = "dns"
)

// Config is a parsed probe configuration file.
type Config struct {
	File   string // the file it came from, for messages
	Probes []Probe
}

// Probe is one configured check of one service.
type Probe struct {
	Name   string
	Type   Type
	Target string // a URL (http), host:port (tcp) or DNS name (dns)
	// Interval is the time between checks (jittered by ±10%); Timeout bounds
	// one check.
	Interval, Timeout time.Duration
	Thresholds        Thresholds
	HTTP              HTTPOptions // type http only
	DNS               DNSOptions  // type dns only
	// Component, when set, names the public status component whose status
	// follows this probe. Nil (the default) leaves components alone.
	Component *Component
	// Line is where the probe is defined in File.
	Line int
}

// Thresholds turn single results into states.
type Thresholds struct {
	// Failures is how many consecutive bad results move an up probe to
	// degraded or down (default 3).
	Failures int
	// Successes is how many consecutive good results bring it back up
	// (default 2).
	Successes int
	// Latency above which an otherwise good result counts as degraded;
	// zero turns the check off.
	Latency time.Duration
}

// HTTPOptions are the expectations of an HTTP(S) probe.
type HTTPOptions struct {
	// ExpectStatus lists the acceptable status codes; empty means any 2xx.
	ExpectStatus []int
	// BodyContains, when set, must occur in the first MaxBody bytes of the
	// response body.
	BodyContains string
	// FollowRedirects follows up to 10 redirects (the default); when false
	// the redirect itself is the response checked.
	FollowRedirects bool
	// CertExpiryDays: a server certificate expiring within this many days
	// makes the result degraded (default 14; 0 turns the warning off). An
	// expired certificate always fails.
	CertExpiryDays int
	// InsecureSkipVerify turns TLS verification off. It is on by default.
	InsecureSkipVerify bool
	// CAFile is a PEM file of extra trusted roots (relative to the
	// configuration file); RootCAs holds them once LoadConfig has read it.
	CAFile  string
	RootCAs *x509.CertPool
}

// DNSOptions are the expectations of a DNS probe.
type DNSOptions struct {
	// Record is the type asked for: A (the default), AAAA, CNAME, TXT or MX.
	Record string
	// Expect lists values that must all be among the answers; empty means
	// the name need only resolve.
	Expect []string
	// Server is a host:port to ask instead of the system's resolver.
	Server string
}

// Component names a public status component and the statuses to give it.
type Component struct {
	Name     string
	Down     incident.ServiceStatus // default major_outage
	Degraded incident.ServiceStatus // default degraded_performance
}

// DNS record types a probe may ask for.
var dnsRecords = []string{"A", "AAAA", "CNAME", "TXT", "MX"}

// ConfigError is one problem in a configuration file.
type ConfigError struct {
	File   string
	Line   int // 0 when the problem has no line
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return e.File + ": " + e.Reason
}

// The file's shape, as YAML gives it. Pointers tell "unset" from zero.
type rawFile struct {
	Defaults rawDefaults `yaml:"defaults"`
	Probes   []rawProbe  `yaml:"probes"`
}

type rawDefaults struct {
	Interval   *time.Duration `yaml:"interval"`
	Timeout    *time.Duration `yaml:"timeout"`
	Thresholds rawThresholds  `yaml:"thresholds"`
}

type rawThresholds struct {
	Failures  *int           `yaml:"failures"`
	Successes *int           `yaml:"successes"`
	Latency   *time.Duration `yaml:"latency"`
}

type rawProbe struct {
	Name       string         `yaml:"name"`
	Type       string         `yaml:"type"`
	Target     string         `yaml:"target"`
	Interval   *time.Duration `yaml:"interval"`
	Timeout    *time.Duration `yaml:"timeout"`
	Thresholds rawThresholds  `yaml:"thresholds"`
	HTTP       *rawHTTP       `yaml:"http"`
	DNS        *rawDNS        `yaml:"dns"`
	Component  *rawComponent  `yaml:"component"`
}

type rawHTTP struct {
	ExpectStatus       []int  `yaml:"expect_status"`
	BodyContains       string `yaml:"body_contains"`
	FollowRedirects    *bool  `yaml:"follow_redirects"`
	CertExpiryDays     *int   `yaml:"cert_expiry_days"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"`
}

type rawDNS struct {
	Record string   `yaml:"record"`
	Expect []string `yaml:"expect"`
	Server string   `yaml:"server"`
}

type rawComponent struct {
	Name     string `yaml:"name"`
	Down     string `yaml:"down"`
	Degraded string `yaml:"degraded"`
}

// LoadConfig reads and parses the file at path, and reads the CA files it
// names.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("probe config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("probe config %s: %w", path, err)
	}
	cfg, err := ParseConfig(path, data)
	if err != nil {
		return nil, err
	}
	var errs []error
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		if p.HTTP.CAFile == "" {
			continue
		}
		pem, err := os.ReadFile(p.HTTP.CAFile)
		if err != nil {
			errs = append(errs, &ConfigError{path, p.Line, fmt.Sprintf("probe %q: ca_file: %v", p.Name, err)})
			continue
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			errs = append(errs, &ConfigError{path, p.Line, fmt.Sprintf("probe %q: ca_file %s holds no PEM certificate", p.Name, p.HTTP.CAFile)})
			continue
		}
		p.HTTP.RootCAs = pool
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// ParseConfig parses a configuration file's content; name is used in
// messages and to resolve relative ca_file paths. Unknown fields, wrong
// types and invalid values are all reported, each as a *ConfigError naming
// the file, the line and the reason, joined with errors.Join.
func ParseConfig(name string, data []byte) (*Config, error) {
	if len(data) > MaxConfigBytes {
		return nil, &ConfigError{name, 0, fmt.Sprintf("the file is larger than %d bytes", MaxConfigBytes)}
	}
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{name, 0, "the file is empty; it needs a list of probes"}
		}
		return nil, yamlErrors(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &ConfigError{name, extra.Line, "only one YAML document is allowed"}
	}
	// A second pass keeps the nodes, for the line of each probe and field.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlErrors(name, err)
	}
	v := validator{file: name, lines: probeLines(&doc)}
	cfg := v.config(raw)
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Line < v.errs[j].Line })
		errs := make([]error, len(v.errs))
		for i, e := range v.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlNotFound = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// rawTypeNames says what the library's messages call by our type names.
var rawTypeNames = strings.NewReplacer(
	"[]probe.rawProbe", "a list of probes",
	"probe.rawFile", "a mapping (defaults:, probes:)",
	"probe.rawProbe", "a probe (a mapping)",
	"probe.rawDefaults", "defaults (a mapping)",
	"probe.rawThresholds", "thresholds (a mapping)",
	"probe.rawHTTP", "http (a mapping)",
	"probe.rawDNS", "dns (a mapping)",
	"probe.rawComponent", "component (a mapping)",
)

// yamlErrors turns the YAML library's errors into ConfigErrors.
func yamlErrors(name string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	errs := make([]error, 0, len(msgs))
	for _, m := range msgs {
		ce := &ConfigError{File: name, Reason: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			ce.Line, _ = strconv.Atoi(sm[1])
			ce.Reason = sm[2]
		}
		if sm := yamlNotFound.FindStringSubmatch(ce.Reason); sm != nil {
			ce.Reason = fmt.Sprintf("unknown field %q", sm[1])
		}
		ce.Reason = rawTypeNames.Replace(ce.Reason)
		errs = append(errs, ce)
	}
	return errors.Join(errs...)
}

// fieldLines maps a probe's keys (dotted for nested ones: "http.ca_file")
// to their lines; "" is the probe's own line.
type fieldLines map[string]int

// probeLines finds the line of every probe and of each of its keys.
func probeLines(doc *yaml.Node) []fieldLines {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "probes" || top.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		var out []fieldLines
		for _, item := range top.Content[i+1].Content {
			fl := fieldLines{"": item.Line}
			var walk func(n *yaml.Node, prefix string)
			walk = func(n *yaml.Node, prefix string) {
				if n.Kind != yaml.MappingNode {
					return
				}
				for j := 0; j+1 < len(n.Content); j += 2 {
					k := prefix + n.Content[j].Value
					fl[k] = n.Content[j].Line
					walk(n.Content[j+1], k+".")
				}
			}
			walk(item, "")
			out = append(out, fl)
		}
		return out
	}
	return nil
}

// validator collects every problem of a file, with lines.
type validator struct {
	file  string
	lines []fieldLines
	errs  []*ConfigError
}

// fail records a problem with probe i's field (dotted path; "" for the
// probe itself), at the field's line or else the probe's.
func (v *validator) fail(i int, field, format string, args ...any) {
	line := 0
	if i >= 0 && i < len(v.lines) {
		line = v.lines[i][""]
		for f := field; f != ""; {
			if l, ok := v.lines[i][f]; ok {
				line = l
				break
			}
			dot := strings.LastIndexByte(f, '.')
			if dot < 0 {
				break
			}
			f = f[:dot]
		}
	}
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	v.errs = append(v.errs, &ConfigError{v.file, line, msg})
}

func (v *validator) failTop(format string, args ...any) {
	v.errs = append(v.errs, &ConfigError{v.file, 0, fmt.Sprintf(format, args...)})
}

func (v *validator) config(raw rawFile) *Config {
	cfg := &Config{File: v.file}
	d := raw.Defaults
	interval := orDur(d.Interval, DefaultInterval)
	if interval < MinInterval || interval > MaxInterval {
		v.failTop("defaults.interval: %s is outside %s–%s", interval, MinInterval, MaxInterval)
	}
	switch {
	case len(raw.Probes) == 0:
		v.failTop("no probes: the file needs a list under probes:")
	case len(raw.Probes) > MaxProbes:
		v.failTop("%d probes; the limit is %d", len(raw.Probes), MaxProbes)
		return cfg
	}
	seen := map[string]int{}
	for i, rp := range raw.Probes {
		p := v.probe(i, rp, d, interval)
		if first, dup := seen[strings.ToLower(p.Name)]; dup && p.Name != "" {
			v.fail(i, "name", "%q is already the name of the probe on line %d", p.Name, first)
		} else {
			seen[strings.ToLower(p.Name)] = p.Line
		}
		cfg.Probes = append(cfg.Probes, p)
	}
	return cfg
}

func orDur(p *time.Duration, def time.Duration) time.Duration {
	if p != nil {
		return *p
	}
	return def
}

func orInt(p *int, def int) int {
	if p != nil {
		return *p
	}
	return def
}

func (v *validator) probe(i int, rp rawProbe, d rawDefaults, defInterval time.Duration) Probe {
	p := Probe{Name: rp.Name, Type: Type(rp.Type), Target: strings.TrimSpace(rp.Target)}
	if i < len(v.lines) {
		p.Line = v.lines[i][""]
	}
	if err := checkName(p.Name); err != "" {
		v.fail(i, "name", "%s", err)
	}
	p.Interval = orDur(rp.Interval, defInterval)
	if p.Interval < MinInterval || p.Interval > MaxInterval {
		v.fail(i, "interval", "%s is outside %s–%s", p.Interval, MinInterval, MaxInterval)
	}
	// An inherited timeout is capped at the probe's interval; its own is not.
	p.Timeout = orDur(rp.Timeout, min(orDur(d.Timeout, DefaultTimeout), p.Interval))
	if p.Timeout <= 0 || p.Timeout > p.Interval {
		v.fail(i, "timeout", "%s must be above zero and at most the interval (%s)", p.Timeout, p.Interval)
	}
	t, dt := rp.Thresholds, d.Thresholds
	p.Thresholds = Thresholds{
		Failures:  orInt(t.Failures, orInt(dt.Failures, DefaultFailures)),
		Successes: orInt(t.Successes, orInt(dt.Successes, DefaultSuccesses)),
		Latency:   orDur(t.Latency, orDur(dt.Latency, 0)),
	}
	if n := p.Thresholds.Failures; n < 1 || n > 100 {
		v.fail(i, "thresholds.failures", "%d is outside 1–100", n)
	}
	if n := p.Thresholds.Successes; n < 1 || n > 100 {
		v.fail(i, "thresholds.successes", "%d is outside 1–100", n)
	}
	if p.Thresholds.Latency < 0 {
		v.fail(i, "thresholds.latency", "must not be negative")
	}

	switch p.Type {
	case TypeHTTP:
		v.httpTarget(i, &p)
		p.HTTP = HTTPOptions{FollowRedirects: true, CertExpiryDays: DefaultCertExpiryDays}
		if h := rp.HTTP; h != nil {
			p.HTTP.ExpectStatus = h.ExpectStatus
			p.HTTP.BodyContains = h.BodyContains
			p.HTTP.FollowRedirects = h.FollowRedirects == nil || *h.FollowRedirects
			p.HTTP.CertExpiryDays = orInt(h.CertExpiryDays, DefaultCertExpiryDays)
			p.HTTP.InsecureSkipVerify = h.InsecureSkipVerify
			p.HTTP.CAFile = h.CAFile
		}
		for _, c := range p.HTTP.ExpectStatus {
			if c < 100 || c > 599 {
				v.fail(i, "http.expect_status", "%d is not an HTTP status code", c)
			}
		}
		if n := p.HTTP.CertExpiryDays; n < 0 || n > 3650 {
			v.fail(i, "http.cert_expiry_days", "%d is outside 0–3650", n)
		}
		if len(p.HTTP.BodyContains) > MaxBody {
			v.fail(i, "http.body_contains", "is longer than the %d bytes of body read", MaxBody)
		}
		if p.HTTP.CAFile != "" && !filepath.IsAbs(p.HTTP.CAFile) {
			p.HTTP.CAFile = filepath.Join(filepath.Dir(v.file), p.HTTP.CAFile)
		}
	case TypeTCP:
		if err := checkHostPort(p.Target); err != "" {
			v.fail(i, "target", "%s", err)
		}
	case TypeDNS:
		if err := checkDNSName(p.Target); err != "" {
			v.fail(i, "target", "%s", err)
		}
		p.DNS = DNSOptions{Record: "A"}
		if dn := rp.DNS; dn != nil {
			if dn.Record != "" {
				p.DNS.Record = strings.ToUpper(dn.Record)
			}
			p.DNS.Expect, p.DNS.Server = dn.Expect, dn.Server
		}
		if !slices.Contains(dnsRecords, p.DNS.Record) {
			v.fail(i, "dns.record", "%q is not one of %s", p.DNS.Record, strings.Join(dnsRecords, ", "))
		}
		for _, e := range p.DNS.Expect {
			if err := checkDNSValue(p.DNS.Record, e); err != "" {
				v.fail(i, "dns.expect", "%s", err)
			}
		}
		if p.DNS.Server != "" {
			if err := checkHostPort(p.DNS.Server); err != "" {
				v.fail(i, "dns.server", "%s", err)
			}
		}
	case "":
		v.fail(i, "type", "is required: http, tcp or dns")
	default:
		v.fail(i, "type", "%q is not http, tcp or dns", rp.Type)
	}
	if rp.HTTP != nil && p.Type != TypeHTTP {
		v.fail(i, "http", "is only for probes of type http")
	}
	if rp.DNS != nil && p.Type != TypeDNS {
		v.fail(i, "dns", "is only for probes of type dns")
	}
	if rc := rp.Component; rc != nil {
		c := &Component{Name: rc.Name, Down: incident.StatusMajor, Degraded: incident.StatusDegraded}
		if err := checkName(c.Name); err != "" {
			v.fail(i, "component.name", "%s", err)
		}
		if rc.Down != "" {
			c.Down = incident.ServiceStatus(rc.Down)
		}
		if rc.Degraded != "" {
			c.Degraded = incident.ServiceStatus(rc.Degraded)
		}
		for _, f := range []struct {
			field string
			s     incident.ServiceStatus
		}{{"component.down", c.Down}, {"component.degraded", c.Degraded}} {
			if f.s == incident.StatusOperational || !slices.Contains(incident.ServiceStatuses, f.s) {
				v.fail(i, f.field, "%q is not one of degraded_performance, partial_outage, major_outage, under_maintenance", f.s)
			}
		}
		p.Component = c
	}
	return p
}

func checkName(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is required"
	case len(s) > MaxNameLen:
		return fmt.Sprintf("is %d bytes long; the limit is %d", len(s), MaxNameLen)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}

func (v *validator) httpTarget(i int, p *Probe) {
	u, err := url.Parse(p.Target)
	switch {
	case p.Target == "":
		v.fail(i, "target", "is required: an http:// or https:// URL")
	case err != nil:
		v.fail(i, "target", "is not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		v.fail(i, "target", "%q must start with http:// or https://", p.Target)
	case u.Host == "" || u.Hostname() == "":
		v.fail(i, "target", "%q names no host", p.Target)
	case u.User != nil:
		v.fail(i, "target", "must not carry credentials")
	}
}

func checkHostPort(s string) string {
	if s == "" {
		return "is required: host:port"
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port", s)
	}
	if host == "" {
		return fmt.Sprintf("%q names no host", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q: port must be a number in 1–65535", s)
	}
	return ""
}

func checkDNSName(s string) string {
	name := strings.TrimSuffix(s, ".")
	switch {
	case name == "":
		return "is required: a DNS name"
	case len(name) > 253:
		return "is longer than 253 bytes"
	case strings.Contains(name, "://"):
		return fmt.Sprintf("%q is a URL; give the DNS name alone", s)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Sprintf("%q has an empty or over-long label", s)
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Sprintf("%q holds %q, which a DNS name cannot", s, r)
			}
		}
	}
	return ""
}

func checkDNSValue(record, v string) string {
	switch record {
	case "A":
		if ip := net.ParseIP(v); ip == nil || ip.To4() == nil {
			return fmt.Sprintf("%q is not an IPv4 address", v)
		}
	case "AAAA":
		if ip := net.ParseIP(v); ip == nil || ip.To4() != nil {
			return fmt.Sprintf("%q is not an IPv6 address", v)
		}
	case "CNAME", "MX":
		if err := checkDNSName(v); err != "" {
			return err
		}
	case "TXT":
		if v == "" {
			return "an expected TXT value must not be empty"
		}
	}
	return ""
}
