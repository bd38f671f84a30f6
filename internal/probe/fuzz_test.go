package probe

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseConfig checks that no input panics the parser, and that what it
// accepts is valid: every probe named, typed and with sane timings.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile(exampleFile); err == nil {
		f.Add(b)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("probes:\n  - {name: a, type: dns, target: x.test, dns: {record: MX, expect: [mx.x.test]}}\n"))
	f.Add([]byte("probes:\n  - name: a\n    type: http\n    target: http://x\n    http: {expect_status: [200, 301], follow_redirects: false}\n"))
	f.Add([]byte("a: &a [*a, *a]\nprobes: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.yml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yml") {
				t.Fatalf("ParseConfig error %q does not name the file", err)
			}
			return
		}
		if len(cfg.Probes) == 0 || len(cfg.Probes) > MaxProbes {
			t.Fatalf("ParseConfig accepted %d probes", len(cfg.Probes))
		}
		for _, p := range cfg.Probes {
			if p.Name == "" || p.Interval < MinInterval || p.Timeout <= 0 || p.Timeout > p.Interval ||
				p.Thresholds.Failures < 1 || p.Thresholds.Successes < 1 {
				t.Fatalf("ParseConfig accepted %+v", p)
			}
			if _, err := NewChecker(p); err != nil {
				t.Fatalf("NewChecker(%+v) = %v", p, err)
			}
		}
	})
}
