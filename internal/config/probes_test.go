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
