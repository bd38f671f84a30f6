package hunt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/hunt/logfmt"
	"github.com/firebreak-ir/firebreak/internal/hunt/match"
	"github.com/firebreak-ir/firebreak/internal/hunt/yara"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/intel"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testEngine(t testing.TB, opt Options) *Engine {
	t.Helper()
	rules, err := BuiltinRules()
	if err != nil {
		t.Fatalf("BuiltinRules() = %v", err)
	}
	f, err := os.Open("testdata/iocs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := intel.Parse("iocs.txt", f, intel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt.Rules = append(opt.Rules, rules...)
	opt.Indicators = append(opt.Indicators, res.Indicators, BuiltinIndicators())
	e, err := New(opt)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return e
}

type key struct {
	File      string
	Line      int64
	Rule      string
	Indicator string
}

func keys(fs []Finding) []key {
	var out []key
	for _, f := range fs {
		out = append(out, key{filepath.Base(f.File), f.Line, f.Rule, f.Indicator})
	}
	return out
}

// TestGoldenCorpus hunts the test corpus (IIS with a mid-file #Fields
// change and CRLF endings, NCSA combined with IPv6 and gzip, JSON lines),
// where attacks sit among benign look-alikes, and compares every finding
// with testdata/golden.jsonl.
func TestGoldenCorpus(t *testing.T) {
	for _, workers := range []int{1, 4} {
		for _, chunk := range []int{4 << 20, 700} { // a small chunk forces lines across chunk edges
			e := testEngine(t, Options{Workers: workers, ChunkSize: chunk})
			e.noMap = workers == 4 && chunk == 700 // plain files mapped, or read
			var got bytes.Buffer
			enc := json.NewEncoder(&got)
			st, err := e.Logs(context.Background(), []string{"testdata/logs"}, nil, func(f Finding) {
				f.File = filepath.ToSlash(f.File)
				enc.Encode(f)
			})
			if err != nil {
				t.Fatalf("Logs() = %v", err)
			}
			if st.Malformed != 2 || len(st.Problems) != 2 {
				t.Errorf("workers %d chunk %d: malformed %d, problems %v; want 2 and 2", workers, chunk, st.Malformed, st.Problems)
			}
			golden := "testdata/golden.jsonl"
			if *update && workers == 1 && chunk == 4<<20 {
				os.WriteFile(golden, got.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("workers %d chunk %d: findings differ from %s (run go test -update to accept):\n%s", workers, chunk, golden, diffLines(got.String(), string(want)))
			}
		}
	}
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n  got  %s\n  want %s\n", i+1, gl, wl)
		}
	}
	return b.String()
}

// naive is the reference: read every line with logfmt.Reader, parse it,
// and check every indicator and rule the slow, obvious way.
func naive(t *testing.T, e *Engine, path string) []key {
	var out []key
	rc, err := logfmt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rd := logfmt.NewReader(rc, logfmt.Unknown, logfmt.Options{})
	ips := match.NewIPSet()
	for _, ind := range all(e.opt.Indicators) {
		if ind.Type == incident.IndIPv4 || ind.Type == incident.IndIPv6 || ind.Type == incident.IndCIDR {
			ips.Add(ind.Value, ind.Value)
		}
	}
	for {
		rec, line, err := rd.Next()
		if err != nil {
			break
		}
		raw := rec.Line()
		var ks []key
		if v, ok := rec.Get("c-ip"); ok {
			if label, ok := ips.Lookup(v); ok {
				ks = append(ks, key{filepath.Base(path), line, "ioc", label})
			}
		}
		low := asciiLower(raw)
		for _, ind := range e.strInds {
			for _, variant := range []string{ind.Value, strings.ReplaceAll(ind.Value, " ", "+")} {
				p := asciiLower([]byte(variant))
				found := false
				for i := 0; i+len(p) <= len(low); i++ {
					if bytes.Equal(low[i:i+len(p)], p) && bounded(raw, i, i+len(p), ind.Type) {
						found = true
						break
					}
				}
				if found {
					ks = append(ks, key{filepath.Base(path), line, "ioc", ind.Value})
					break
				}
			}
		}
		for _, r := range e.rules {
			if r.Match(event{rec}) {
				ks = append(ks, key{filepath.Base(path), line, r.ID, ""})
			}
		}
		slices.SortFunc(ks, func(a, b key) int {
			if a.Rule != b.Rule {
				return strings.Compare(a.Rule, b.Rule)
			}
			return strings.Compare(a.Indicator, b.Indicator)
		})
		out = append(out, ks...)
	}
	return out
}

// TestEquivalentToNaive: the prefiltered engine reports exactly what a
// per-line evaluation of the same indicators and rules reports.
func TestEquivalentToNaive(t *testing.T) {
	e := testEngine(t, Options{Workers: 2, ChunkSize: 1000})
	files, _ := filepath.Glob("testdata/logs/*")
	slices.Sort(files)
	for _, f := range files {
		var got []Finding
		if _, err := e.Logs(context.Background(), []string{f}, nil, func(x Finding) { got = append(got, x) }); err != nil {
			t.Fatal(err)
		}
		want := naive(t, e, f)
		if !slices.Equal(keys(got), want) {
			t.Errorf("%s: engine = %v\nnaive = %v", f, keys(got), want)
		}
	}
}

func TestBounded(t *testing.T) {
	for _, c := range []struct {
		line, ind string
		t         incident.IndicatorType
		want      bool
	}{
		{"ref http://evil.com/x", "evil.com", incident.IndDomain, true},
		{"ref http://notevil.com/x", "evil.com", incident.IndDomain, false},
		{"ref http://a.evil.com/x", "evil.com", incident.IndDomain, false},
		{"ref http://evil.com.au/x", "evil.com", incident.IndDomain, false},
		{"GET /_layouts/15/spinstall0.aspx -", "spinstall0.aspx", incident.IndFileName, true},
		{"GET /_layouts/15/myspinstall0.aspx -", "spinstall0.aspx", incident.IndFileName, false},
		{"GET /a/shell.aspx", "/shell.aspx", incident.IndURLPath, true},
	} {
		i := strings.Index(strings.ToLower(c.line), strings.ToLower(c.ind))
		if got := bounded([]byte(c.line), i, i+len(c.ind), c.t); got != c.want {
			t.Errorf("bounded(%q, %q) = %v, want %v", c.line, c.ind, got, c.want)
		}
	}
}

func TestFilesTree(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	write("LAYOUTS/spinstall0.aspx", "<%@ Import Namespace=\"System.Diagnostics\" %>")
	write("LAYOUTS/keys.aspx", `<script runat="server">var t = System.Reflection.Assembly.Load("System.Web").GetType("System.Web.Configuration.MachineKeySection"); var c = t.GetMethod("GetApplicationConfig");</script>`)
	write("LAYOUTS/run.aspx", `<% var p = new ProcessStartInfo("cmd.exe", "/c " + Request["c"]); Process.Start(p); %>`)
	write("LAYOUTS/ok.aspx", `<% Response.Write("hello"); %>`)
	write("share/How to decrypt my data.log", "pay")
	write("share/report.docx.x2anylock", "xx")
	write("tools/abc.bin", "known bad content")
	e := testEngine(t, Options{Workers: 2, Indicators: [][]incident.Indicator{{{Type: incident.IndSHA256, Value: sha256hex("known bad content")}}}})
	var got []string
	st, err := e.Files(context.Background(), []string{dir}, nil, func(f Finding) {
		rel, _ := filepath.Rel(dir, f.File)
		got = append(got, filepath.ToSlash(rel)+" "+f.Rule+" "+f.Indicator)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"LAYOUTS/keys.aspx webshell-aspx-machinekey ",
		"LAYOUTS/run.aspx webshell-aspx-command ",
		"LAYOUTS/spinstall0.aspx ioc spinstall0.aspx",
		"share/How to decrypt my data.log ioc How to decrypt my data.log",
		"share/report.docx.x2anylock ioc *.x2anylock",
		"tools/abc.bin ioc " + sha256hex("known bad content"),
	}
	if !slices.Equal(got, want) || st.Files != 7 {
		t.Errorf("Files() = %q (%d files), want %q (7)", got, st.Files, want)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// asciiLower lowers ASCII letters byte for byte, as the engine's matching does.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// TestFilesTreeYARA: with the built-in YARA rules, the synthetic web shells
// and ransomware artefacts are found and the benign look-alikes are not.
func TestFilesTreeYARA(t *testing.T) {
	y, err := BuiltinYARA()
	if errors.Is(err, yara.ErrUnavailable) {
		t.Skip("built without cgo: no YARA")
	}
	if err != nil {
		t.Fatalf("BuiltinYARA() = %v", err)
	}
	e, err := New(Options{Workers: 2, YARA: y})
	if err != nil {
		t.Fatal(err)
	}
	hits := map[string][]string{}
	if _, err := e.Files(context.Background(), []string{"yara/testdata"}, nil, func(f Finding) {
		rel := filepath.ToSlash(strings.TrimPrefix(f.File, "yara/testdata/"))
		hits[rel] = append(hits[rel], f.Rule)
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"spinstall0.aspx", "cmd_cs.aspx", "cmd_vb.aspx", "exec.asp", "How to decrypt my data.log"} {
		found := false
		for _, r := range hits["malicious/"+name] {
			if strings.HasPrefix(r, "yara:") {
				found = true
			}
		}
		if !found {
			t.Errorf("no YARA finding for malicious/%s (got %v)", name, hits["malicious/"+name])
		}
	}
	for f, rules := range hits {
		if strings.HasPrefix(f, "benign/") {
			t.Errorf("benign file %s flagged by %v", f, rules)
		}
	}
}

// recorder is a Progress that remembers what it was told.
type recorder struct {
	files, done int
	total, read int64
}

func (r *recorder) Plan(files int, bytes int64) { r.files, r.total = r.files+files, r.total+bytes }
func (r *recorder) Add(n int64)                 { r.read += n }
func (r *recorder) FileDone()                   { r.done++ }

// TestLogsProgress: the plan is the files and their size on disk, and the
// bytes reported add up to it, gzip files included (compressed bytes).
func TestLogsProgress(t *testing.T) {
	e := testEngine(t, Options{})
	entries, err := os.ReadDir("testdata/logs")
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, de := range entries {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		size += fi.Size()
	}
	var r recorder
	if _, err := e.Logs(context.Background(), []string{"testdata/logs"}, &r, func(Finding) {}); err != nil {
		t.Fatal(err)
	}
	if r.files != len(entries) || r.done != len(entries) || r.total != size || r.read != size {
		t.Errorf("progress = %+v, want %d files planned and done, %d bytes planned and read", r, len(entries), size)
	}
}
