//go:build cgo

package yara

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// builtinPath is the built-in rule file, embedded by internal/hunt.
const builtinPath = "../rules/toolshell.yar"

func builtin(t testing.TB) *Rules {
	t.Helper()
	r, err := LoadPath(builtinPath)
	if err != nil {
		t.Fatalf("LoadPath(%q) = %v", builtinPath, err)
	}
	return r
}

func matchNames(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	slices.Sort(out)
	return out
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		sources map[string]string
		want    []string // "file:line: reason substring", one per expected problem
	}{
		{"syntax", map[string]string{"a.yar": "rule a {\n  strings:\n    $x = \"x\"\n  condition:\n    $x and and\n}\n"},
			[]string{"a.yar:5: syntax error"}},
		{"undefined identifier", map[string]string{"b.yar": "rule b\n{\n  condition:\n    filename == \"x\"\n}\n"},
			[]string{`b.yar:4: undefined identifier "filename"`}},
		{"undefined string", map[string]string{"c.yar": "rule c {\n  strings:\n    $a = \"a\"\n  condition:\n    $b\n}\n"},
			[]string{`c.yar:6: undefined string "$b"`}}, // libyara notices at the next token
		{"unreferenced string", map[string]string{"d.yar": "rule d {\n  strings:\n    $a = \"a\"\n    $b = \"b\"\n  condition:\n    $a\n}\n"},
			[]string{`d.yar:7: unreferenced string "$b"`}},
		{"duplicate rule", map[string]string{"e.yar": "rule e { condition: true }\n\nrule e { condition: false }\n"},
			[]string{`e.yar:3: duplicated identifier "e"`}},
		{"bad regexp", map[string]string{"f.yar": "rule f {\n  strings:\n    $r = /a(b/\n  condition:\n    $r\n}\n"},
			[]string{"f.yar:3:"}},
		{"unknown module", map[string]string{"g.yar": "import \"cuckoo\"\nrule g { condition: true }\n"},
			[]string{`g.yar:1: unknown module "cuckoo"`}},
		{"include", map[string]string{"h.yar": "include \"other.yar\"\nrule h { condition: true }\n"},
			[]string{"h.yar:1: includes are disabled"}},
		{"NUL byte", map[string]string{"i.yar": "rule i {\n condition: true }\x00\n"},
			[]string{"i.yar:2: NUL byte"}},
		{"too large", map[string]string{"j.yar": "rule j { condition: true }\n//" + strings.Repeat("x", MaxRuleFileSize)},
			[]string{"j.yar: rule file is"}},
		{"every bad file, good ones too", map[string]string{
			"1-good.yar": "rule one { condition: true }\n",
			"2-bad.yar":  "rule two {\n condition: nope\n}\n",
			"3-good.yar": "rule three { condition: true }\n",
			"4-bad.yar":  "\n\nrule four {\n",
		}, []string{`2-bad.yar:2: undefined identifier "nope"`, "4-bad.yar:3: syntax error, unexpected end of file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := map[string][]byte{}
			for k, v := range tc.sources {
				src[k] = []byte(v)
			}
			r, err := Compile(src)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, nil; want an error", tc.sources, r)
			}
			if r != nil {
				t.Errorf("Compile returned rules with an error")
			}
			probs := Problems(err)
			if len(probs) != len(tc.want) {
				t.Fatalf("Compile: problems %v, want %d: %q", probs, len(tc.want), tc.want)
			}
			for i, p := range probs {
				if !strings.HasPrefix(p.Error(), tc.want[i]) && !strings.Contains(p.Error(), tc.want[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, p.Error(), tc.want[i])
				}
				if p.Reason == "" {
					t.Errorf("problem %d has no reason", i)
				}
			}
		})
	}
}

func TestCompileNamespaces(t *testing.T) {
	// The same rule name in two files loads: each file is its own namespace.
	r, err := Compile(map[string][]byte{
		"a.yar": []byte(`rule same { strings: $a = "alpha" condition: $a }`),
		"b.yar": []byte(`rule same : t1 t2 { meta: n = 7 ok = true s = "x" strings: $b = "beta" condition: $b }`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Errorf("Len() = %d, want 2", r.Len())
	}
	ms, err := r.ScanMem([]byte("alpha beta"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Match{
		{Rule: "same", Namespace: "a.yar"},
		{Rule: "same", Namespace: "b.yar", Tags: []string{"t1", "t2"}, Meta: map[string]any{"n": int64(7), "ok": true, "s": "x"}},
	}
	if fmt.Sprint(ms) != fmt.Sprint(want) {
		t.Errorf("ScanMem = %v, want %v", ms, want)
	}
	if got := ms[1].MetaString("s"); got != "x" {
		t.Errorf("MetaString(s) = %q", got)
	}
}

func TestMatchTitleSeverity(t *testing.T) {
	tests := []struct {
		meta            map[string]any
		title, severity string
	}{
		{nil, "r", "high"},
		{map[string]any{"description": " Web shell ", "severity": "Critical"}, "Web shell", "critical"},
		{map[string]any{"description": "", "severity": "urgent"}, "r", "high"},
		{map[string]any{"severity": int64(3)}, "r", "high"},
		{map[string]any{"severity": "low"}, "r", "low"},
	}
	for _, tc := range tests {
		m := Match{Rule: "r", Meta: tc.meta}
		if m.Title() != tc.title || m.Severity() != tc.severity {
			t.Errorf("Match{Meta: %v}: Title() = %q, Severity() = %q; want %q, %q", tc.meta, m.Title(), m.Severity(), tc.title, tc.severity)
		}
	}
	if !Available {
		t.Error("Available = false in a cgo build")
	}
}

func TestCompileEmpty(t *testing.T) {
	if _, err := Compile(nil); err == nil {
		t.Error("Compile(nil) succeeded")
	}
}

func TestWarnings(t *testing.T) {
	// A one-byte string slows scanning down: a warning, not an error.
	r, err := Compile(map[string][]byte{"w.yar": []byte("rule w {\n strings:\n  $a = \"x\"\n condition:\n  $a\n}\n")})
	if err != nil {
		t.Fatal(err)
	}
	ws := r.Warnings()
	if len(ws) == 0 || ws[0].File != "w.yar" || ws[0].Line == 0 {
		t.Errorf("Warnings() = %v, want one for w.yar with a line", ws)
	}
}

func TestBuiltinRules(t *testing.T) {
	r := builtin(t)
	if ws := r.Warnings(); len(ws) > 0 {
		t.Errorf("built-in rules have warnings: %v", ws)
	}
	tests := []struct {
		file string
		want []string
	}{
		{"malicious/spinstall0.aspx", []string{"Firebreak_ToolShell_ASPX_MachineKey_Reader"}},
		{"malicious/keys_split.aspx", []string{"Firebreak_ToolShell_ASPX_MachineKey_Reader"}},
		{"malicious/App_Web_spinstall0.aspx.cdcab7d2.dll", []string{"Firebreak_ToolShell_Compiled_MachineKey_Reader"}},
		{"malicious/debug_dev.js", []string{"Firebreak_MachineKey_Dump"}},
		{"malicious/cmd_cs.aspx", []string{"Firebreak_ASPX_Command_From_Request"}},
		{"malicious/cmd_vb.aspx", []string{"Firebreak_ASPX_Command_From_Request"}},
		{"malicious/oneline.aspx", []string{"Firebreak_ASPX_JScript_Eval_Request"}},
		{"malicious/exec.asp", []string{"Firebreak_ASP_WScript_Shell_From_Request"}},
		{"malicious/How to decrypt my data.log", []string{"Firebreak_Warlock_Ransom_Note"}},
		{"malicious/7z.dll", []string{"Firebreak_Warlock_7zdll_Loader"}},
		{"benign/settings.aspx", nil},
		{"benign/machinekey_status.aspx", nil},
		{"benign/farm_help.aspx", nil},
		{"benign/web.config", nil},
		{"benign/portal.js", nil},
		{"benign/incident-report.txt", nil},
		{"benign/System.Web.Framework.dll", nil},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			ms, err := r.ScanFile(filepath.Join("testdata", tc.file), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got := matchNames(ms); !slices.Equal(got, tc.want) {
				t.Errorf("ScanFile(%s) = %v, want %v", tc.file, got, tc.want)
			}
			for _, m := range ms {
				for _, k := range []string{"description", "author", "reference", "date", "severity"} {
					if m.MetaString(k) == "" {
						t.Errorf("rule %s has no %s meta", m.Rule, k)
					}
				}
				if m.MetaString("author") != "Firebreak" {
					t.Errorf("rule %s: author %q", m.Rule, m.MetaString("author"))
				}
				if m.Namespace != builtinPath {
					t.Errorf("rule %s: namespace %q, want %q", m.Rule, m.Namespace, builtinPath)
				}
			}
			// Text samples saved as UTF-16 (which ASP.NET reads, given a BOM)
			// match the same rules.
			if b, _ := os.ReadFile(filepath.Join("testdata", tc.file)); len(tc.want) > 0 && !bytes.HasPrefix(b, []byte("MZ")) {
				ms, err := r.ScanMem(toUTF16LE(b), 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if got := matchNames(ms); !slices.Equal(got, tc.want) {
					t.Errorf("ScanMem(UTF-16 %s) = %v, want %v", tc.file, got, tc.want)
				}
			}
		})
	}
	// Every sample is in the table.
	all, _ := filepath.Glob("testdata/*/*")
	for _, p := range all {
		rel, _ := filepath.Rel("testdata", p)
		if dir := filepath.Dir(rel); (dir == "malicious" || dir == "benign") && !seen[filepath.ToSlash(rel)] {
			t.Errorf("testdata/%s is not in the table", rel)
		}
	}
}

func TestBuiltinRuleVariants(t *testing.T) {
	r := builtin(t)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"dump of auto-generated keys", "AutoGenerate,IsolateApps|SHA1|AutoGenerate,IsolateApps|Auto|Framework20SP1",
			[]string{"Firebreak_MachineKey_Dump"}},
		{"dump with a custom algorithm", "0123456789ABCDEF0123456789ABCDEF|alg:HMACSHA512|0123456789ABCDEF|alg:AES|Framework45",
			[]string{"Firebreak_MachineKey_Dump"}},
		{"machine key element is not a dump", `<machineKey validationKey="0123456789ABCDEF0123456789ABCDEF" decryptionKey="0123456789ABCDEF" validation="SHA1" />`, nil},
		{"JScript ASP through ActiveXObject", `<%@ Language="JScript" %><% var s = new ActiveXObject("WScript.Shell"); Response.Write(s.Exec("cmd /c " + Request.QueryString("c")).StdOut.ReadAll()); %>`,
			[]string{"Firebreak_ASP_WScript_Shell_From_Request"}},
		{"WScript.Shell without request input", `<% Set s = CreateObject("WScript.Shell") : s.Run("iisreset.exe") %>`, nil},
		{"XMLHttpRequest is not Request", `<%@ Page Language="C#" %><script runat="server">void F() { Process.Start("cmd.exe", "/c dir"); }</script><script>new XMLHttpRequest("x");</script>`, nil},
		{"eval of a constant", `<%@ Page Language="Jscript" %><% eval("1+1", "unsafe"); %>`, nil},
		{"Warlock note lines, two of four", "Email Support: a@example.invalid\nQTox ID Support: 00\n", nil},
	}
	for _, tc := range tests {
		ms, err := r.ScanMem([]byte(tc.text), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got := matchNames(ms); !slices.Equal(got, tc.want) {
			t.Errorf("%s: ScanMem(%q) = %v, want %v", tc.name, tc.text, got, tc.want)
		}
	}
}

func toUTF16LE(b []byte) []byte {
	u := utf16.Encode([]rune(string(b)))
	out := []byte{0xFF, 0xFE}
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

func TestBuiltinRulesInsideLargerFiles(t *testing.T) {
	// A shell buried in a large page is still found; padding alone is not.
	r := builtin(t)
	shell, err := os.ReadFile("testdata/malicious/cmd_cs.aspx")
	if err != nil {
		t.Fatal(err)
	}
	pad := bytes.Repeat([]byte("<div class=\"ms-core\">Lorem ipsum dolor sit amet</div>\n"), 40000)
	for _, tc := range []struct {
		name string
		buf  []byte
		want int
	}{
		{"padding", pad, 0},
		{"shell at end", append(slices.Clone(pad), shell...), 1},
		{"shell at start", append(slices.Clone(shell), pad...), 1},
	} {
		ms, err := r.ScanMem(tc.buf, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != tc.want {
			t.Errorf("%s: %d matches (%v), want %d", tc.name, len(ms), matchNames(ms), tc.want)
		}
	}
}

func TestConcurrentScans(t *testing.T) {
	// More goroutines than libyara's 32 scan slots, all on one rule set.
	r := builtin(t)
	files, _ := filepath.Glob("testdata/*/*")
	type sample struct {
		data []byte
		want []string
	}
	var samples []sample
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := r.ScanMem(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, sample{b, matchNames(ms)})
	}
	n := 200
	if testing.Short() {
		n = 20
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				s := samples[(g+i)%len(samples)]
				ms, err := r.ScanMem(s.data, 0)
				if err != nil {
					errs <- err
					return
				}
				if got := matchNames(ms); !slices.Equal(got, s.want) {
					errs <- fmt.Errorf("concurrent ScanMem = %v, want %v", got, s.want)
					return
				}
			}
		}()
	}
	// Compiling at the same time is fine too.
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := LoadPath(builtinPath); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestScanTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a second")
	}
	r, err := Compile(map[string][]byte{"slow.yar": []byte(
		"rule slow { condition: for all i in (0..100000000000) : (uint8(i & 0xFFF) != 0xFF or i >= 0) }")})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = r.ScanMem(bytes.Repeat([]byte{1}, 4096), time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("ScanMem = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timed out after %v; want about a second", d)
	}
}

func TestScanFileErrors(t *testing.T) {
	r := builtin(t)
	if _, err := r.ScanFile("testdata/does-not-exist", 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ScanFile(missing) = %v, want ErrNotExist", err)
	}
	if _, err := r.ScanFile("testdata", 0); err == nil {
		t.Error("ScanFile(directory) succeeded")
	}
	empty := filepath.Join(t.TempDir(), "empty.aspx")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if ms, err := r.ScanFile(empty, 0); err != nil || len(ms) != 0 {
		t.Errorf("ScanFile(empty) = %v, %v", ms, err)
	}
}

func TestLoadPath(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yar", `rule a { strings: $a = "alpha" condition: $a }`)
	write("sub/b.YARA", `rule b { strings: $b = "beta" condition: $b }`)
	write("sub/readme.md", `not a rule`)
	write(".git/c.yar", `this is not compiled`)
	r, err := LoadPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Errorf("Len() = %d, want 2", r.Len())
	}
	ms, _ := r.ScanMem([]byte("alpha beta"), 0)
	if got := matchNames(ms); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("matches %v", got)
	}
	if ms[1].Namespace != filepath.Join(dir, "sub/b.YARA") {
		t.Errorf("namespace %q", ms[1].Namespace)
	}

	// A bad file anywhere rejects the load, naming the file and line.
	write("sub/bad.yar", "rule bad {\n condition:\n  $nope\n}\n")
	_, err = LoadPath(dir)
	probs := Problems(err)
	if len(probs) != 1 || probs[0].File != filepath.Join(dir, "sub/bad.yar") || probs[0].Line != 4 || !strings.Contains(probs[0].Reason, "$nope") {
		t.Errorf("LoadPath with a bad file = %v", err)
	}

	// A file over the size limit is reported, not read.
	big := filepath.Join(t.TempDir(), "big.yar")
	if err := os.WriteFile(big, make([]byte, MaxRuleFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPath(big); len(Problems(err)) != 1 {
		t.Errorf("LoadPath(big) = %v", err)
	}
	if _, err := LoadPath(t.TempDir()); len(Problems(err)) != 1 {
		t.Errorf("LoadPath(empty dir) = %v", err)
	}
	// Other files are not YARA rules: Sigma rules share --rules.
	sigmaFile := filepath.Join(dir, "sub/rule.yml")
	write("sub/rule.yml", "title: x\n")
	if src, err := ReadSources(sigmaFile); err != nil || len(src) != 0 {
		t.Errorf("ReadSources(%s) = %v, %v; want nothing", sigmaFile, src, err)
	}
	if _, err := LoadPath(sigmaFile); len(Problems(err)) != 1 {
		t.Errorf("LoadPath(%s) = %v, want one problem", sigmaFile, err)
	}
	if _, err := LoadPath(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadPath(missing) succeeded")
	}
}

func TestIsRuleFile(t *testing.T) {
	for name, want := range map[string]bool{"a.yar": true, "b.YARA": true, "c.yml": false, "yar": false, "d.yarc": false} {
		if got := IsRuleFile(name); got != want {
			t.Errorf("IsRuleFile(%q) = %v, want %v", name, got, want)
		}
	}
}
