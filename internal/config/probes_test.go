package config

import (
	"flag"
	"strings"
	"testing"
)

func TestProbesSetting(t *testing.T) {
	c := Default()
	if err := c.ApplyEnv(func(k string) string { return map[string]string{"FIREBREAK_PROBES": "/etc/firebreak/probes.yml"}[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Probes != "/etc/firebreak/probes.yml" {
		t.Errorf("Probes from env = %q", c.Probes)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--probes", "probes.yml"}); err != nil {
		t.Fatal(err)
	}
	if c.Probes != "probes.yml" || !strings.Contains(c.Dump(), "probes = probes.yml\n") {
		t.Errorf("Probes after --probes = %q, Dump() = %s", c.Probes, c.Dump())
	}
}

func TestTrustedProxiesSetting(t *testing.T) {
	c := Default()
	if err := c.ApplyEnv(func(k string) string {
		return map[string]string{"FIREBREAK_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if ps, err := c.Proxies(); err != nil || len(ps) != 2 || !strings.Contains(c.Dump(), "trusted_proxies = 10.0.0.0/8, 192.0.2.7\n") {
		t.Errorf("Proxies() = %v, %v; Dump() = %s", ps, err, c.Dump())
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"--trusted-proxies", "10.0.0.0/33"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Errorf("Validate() with a bad prefix = %v, want an error naming the flag and the entry", err)
	}
}
