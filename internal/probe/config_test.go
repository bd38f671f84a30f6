package probe

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

const exampleFile = "../../examples/probes.yml"

// TestExampleFile keeps examples/probes.yml (quoted by docs/probes.md) valid
// and checks the values it documents.
func TestExampleFile(t *testing.T) {
	cfg, err := LoadConfig(exampleFile)
	if err != nil {
		t.Fatalf("LoadConfig(%s) = %v", exampleFile, err)
	}
	if len(cfg.Probes) != 5 {
		t.Fatalf("LoadConfig(%s) has %d probes, want 5", exampleFile, len(cfg.Probes))
	}
	portal := cfg.Probes[0]
	want := Probe{Name: "Customer portal", Type: TypeHTTP, Target: "https://portal.example.com/login",
		Interval: 20 * time.Second, Timeout: 10 * time.Second,
		Thresholds: Thresholds{Failures: 3, Successes: 2, Latency: 2 * time.Second},
		HTTP:       HTTPOptions{ExpectStatus: []int{200}, BodyContains: "Sign in", FollowRedirects: false, CertExpiryDays: 21},
		Component:  &Component{Name: "Customer portal", Down: incident.StatusMajor, Degraded: incident.StatusDegraded},
		Line:       portal.Line}
	if !reflect.DeepEqual(portal, want) {
		t.Errorf("probe 0 = %+v\nwant %+v", portal, want)
	}
	api := cfg.Probes[1]
	if api.Timeout != 5*time.Second || api.Interval != 30*time.Second || !api.HTTP.FollowRedirects || api.HTTP.CertExpiryDays != DefaultCertExpiryDays ||
		api.Component.Down != incident.StatusPartial || api.Component.Degraded != incident.StatusDegraded {
		t.Errorf("probe 1 = %+v, want defaults filled in", api)
	}
	if sip := cfg.Probes[2]; sip.Type != TypeTCP || sip.Component != nil || sip.Timeout != 3*time.Second {
		t.Errorf("probe 2 = %+v", sip)
	}
	if d := cfg.Probes[3].DNS; d.Record != "A" || d.Server != "192.0.2.53:53" || !reflect.DeepEqual(d.Expect, []string{"203.0.113.10"}) {
		t.Errorf("probe 3 DNS = %+v", d)
	}
	if d := cfg.Probes[4].DNS; d.Record != "MX" || len(d.Expect) != 0 {
		t.Errorf("probe 4 DNS = %+v", d)
	}
}

const minimal = "probes:\n  - name: p\n    type: tcp\n    target: host:1\n"

func TestParseDefaults(t *testing.T) {
	cfg, err := ParseConfig("p.yml", []byte(minimal))
	if err != nil {
		t.Fatalf("ParseConfig(minimal) = %v", err)
	}
	p := cfg.Probes[0]
	if p.Interval != DefaultInterval || p.Timeout != DefaultTimeout || p.Thresholds.Failures != DefaultFailures ||
		p.Thresholds.Successes != DefaultSuccesses || p.Thresholds.Latency != 0 || p.Line != 2 || p.Component != nil {
		t.Errorf("ParseConfig(minimal) = %+v, want the defaults on line 2", p)
	}
	// A short interval caps the default timeout.
	cfg, err = ParseConfig("p.yml", []byte("defaults: {interval: 5s}\n"+minimal))
	if err != nil || cfg.Probes[0].Timeout != 5*time.Second {
		t.Errorf("ParseConfig(interval 5s) = %+v, %v, want a 5s timeout", cfg, err)
	}
	// So it caps an inherited one, but not the probe's own.
	cfg, err = ParseConfig("p.yml", []byte("defaults: {timeout: 20s}\n"+minimal+"    interval: 5s\n"))
	if err != nil || cfg.Probes[0].Timeout != 5*time.Second {
		t.Errorf("ParseConfig(defaults.timeout 20s, interval 5s) = %+v, %v, want a 5s timeout", cfg, err)
	}
}

// TestParseErrors checks that each mistake is refused with the file, the
// line and a reason.
func TestParseErrors(t *testing.T) {
	probe := func(body string) string { return "probes:\n  - name: p\n" + body } // probe fields start on line 3
	tests := []struct {
		name, in string
		want     []string // substrings of the error, each "file:line: reason"
	}{
		{"empty", "", []string{"cfg.yml: the file is empty"}},
		{"no probes", "defaults: {interval: 30s}\n", []string{"cfg.yml: no probes"}},
		{"syntax", "probes:\n  - name: [\n", []string{"cfg.yml:2: did not find expected node content"}},
		{"unknown top field", "probez: []\n", []string{`cfg.yml:1: unknown field "probez"`}},
		{"unknown probe field", probe("    type: tcp\n    target: h:1\n    intervall: 5s\n"), []string{`cfg.yml:5: unknown field "intervall"`}},
		{"unknown http field", probe("    type: http\n    target: https://x\n    http:\n      expect: [200]\n"), []string{`cfg.yml:6: unknown field "expect"`}},
		{"bad duration", probe("    type: tcp\n    target: h:1\n    interval: soon\n"), []string{"cfg.yml:5: ", "time.Duration"}},
		{"number as duration", probe("    type: tcp\n    target: h:1\n    timeout: 5\n"), []string{"cfg.yml:5: "}},
		{"not a mapping", "- probes\n", []string{"cfg.yml:1: cannot unmarshal !!seq into a mapping (defaults:, probes:)"}},
		{"probes not a list", "probes: {name: x}\n", []string{"cfg.yml:1: cannot unmarshal !!map into a list of probes"}},
		{"http not a mapping", probe("    type: http\n    target: https://x\n    http: yes\n"), []string{"cfg.yml:5: cannot unmarshal !!str `yes` into http (a mapping)"}},
		{"missing type", probe("    target: h:1\n"), []string{"cfg.yml:2: type: is required"}},
		{"bad type", probe("    type: icmp\n    target: h:1\n"), []string{`cfg.yml:3: type: "icmp" is not http, tcp or dns`}},
		{"missing name", "probes:\n  - type: tcp\n    target: h:1\n", []string{"cfg.yml:2: name: is required"}},
		{"duplicate name", "probes:\n  - {name: P, type: tcp, target: 'h:1'}\n  - {name: p, type: tcp, target: 'h:2'}\n",
			[]string{`cfg.yml:3: name: "p" is already the name of the probe on line 2`}},
		{"http target not URL", probe("    type: http\n    target: portal.example.com\n"), []string{"cfg.yml:4: target: ", "http://"}},
		{"http credentials", probe("    type: http\n    target: https://u:p@x/\n"), []string{"cfg.yml:4: target: must not carry credentials"}},
		{"tcp without port", probe("    type: tcp\n    target: host\n"), []string{`cfg.yml:4: target: "host" is not host:port`}},
		{"tcp port range", probe("    type: tcp\n    target: host:70000\n"), []string{"cfg.yml:4: target: ", "1–65535"}},
		{"dns URL", probe("    type: dns\n    target: https://x\n"), []string{"cfg.yml:4: target: ", "is a URL"}},
		{"dns record", probe("    type: dns\n    target: x.test\n    dns:\n      record: SRV\n"), []string{`cfg.yml:6: dns.record: "SRV" is not one of`}},
		{"dns expect A", probe("    type: dns\n    target: x.test\n    dns:\n      expect: [2001:db8::1]\n"), []string{`cfg.yml:6: dns.expect: "2001:db8::1" is not an IPv4 address`}},
		{"dns server", probe("    type: dns\n    target: x.test\n    dns:\n      server: 192.0.2.1\n"), []string{"cfg.yml:6: dns.server: "}},
		{"interval too short", probe("    type: tcp\n    target: h:1\n    interval: 100ms\n"), []string{"cfg.yml:5: interval: 100ms is outside"}},
		{"timeout above interval", probe("    type: tcp\n    target: h:1\n    interval: 5s\n    timeout: 6s\n"), []string{"cfg.yml:6: timeout: 6s must be"}},
		{"failures zero", probe("    type: tcp\n    target: h:1\n    thresholds: {failures: 0}\n"), []string{"cfg.yml:5: thresholds.failures: 0 is outside 1–100"}},
		{"status code", probe("    type: http\n    target: https://x\n    http: {expect_status: [20]}\n"), []string{"cfg.yml:5: http.expect_status: 20 is not"}},
		{"http on tcp", probe("    type: tcp\n    target: h:1\n    http: {body_contains: x}\n"), []string{"cfg.yml:5: http: is only for probes of type http"}},
		{"component operational", probe("    type: tcp\n    target: h:1\n    component:\n      name: C\n      down: operational\n"),
			[]string{`cfg.yml:7: component.down: "operational" is not one of`}},
		{"component without name", probe("    type: tcp\n    target: h:1\n    component: {down: major_outage}\n"), []string{"cfg.yml:5: component.name: is required"}},
		{"two documents", minimal + "---\n" + minimal, []string{"cfg.yml:5: only one YAML document"}},
		{"several problems", "probes:\n  - name: a\n    type: tcp\n    target: h\n  - name: b\n    type: udp\n    target: h:1\n",
			[]string{`cfg.yml:4: target: "h" is not host:port`, `cfg.yml:6: type: "udp"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig("cfg.yml", []byte(tc.in))
			if err == nil {
				t.Fatalf("ParseConfig(%q) = %+v, nil, want an error", tc.in, cfg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("ParseConfig(%q) = %v, not a *ConfigError", tc.in, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseConfig(%q) = %q, want it to contain %q", tc.in, err, w)
				}
			}
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	big := minimal + "# " + strings.Repeat("x", MaxConfigBytes) + "\n"
	_, err := ParseConfig("big.yml", []byte(big))
	if err == nil || !strings.Contains(err.Error(), "big.yml: the file is larger than") {
		t.Errorf("ParseConfig(%d bytes) = %v, want the size limit", len(big), err)
	}
	path := filepath.Join(t.TempDir(), "big.yml")
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadConfig(%d bytes) = %v, want the size limit", len(big), err)
	}
}

func TestLoadCAFile(t *testing.T) {
	dir := t.TempDir()
	cfgText := "probes:\n  - name: p\n    type: http\n    target: https://x/\n    http: {ca_file: ca.pem}\n"
	path := filepath.Join(dir, "probes.yml")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "probes.yml:2: probe \"p\": ca_file") {
		t.Errorf("LoadConfig(missing CA) = %v, want an error naming the probe", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("LoadConfig(bad CA) = %v, want an error", err)
	}
	ca := newTestCA(t)
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || cfg.Probes[0].HTTP.RootCAs == nil || cfg.Probes[0].HTTP.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("LoadConfig(good CA) = %+v, %v, want the pool loaded from the file beside the config", cfg, err)
	}
}

// TestDocExample parses the YAML example of docs/probes.md.
func TestDocExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/probes.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/probes.md has no yaml block")
	}
	cfg, err := ParseConfig("docs/probes.md", []byte(block))
	if err != nil {
		t.Fatalf("the example of docs/probes.md does not parse: %v", err)
	}
	if len(cfg.Probes) != 3 || cfg.Probes[0].Component == nil || cfg.Probes[2].DNS.Server != "192.0.2.53:53" {
		t.Errorf("docs/probes.md example = %+v", cfg.Probes)
	}
}
