package hunt

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/hunt/sigma"
)

// hunt runs e on path and returns its findings' keys.
func huntKeys(t *testing.T, e *Engine, path string) []key {
	t.Helper()
	var got []key
	if _, err := e.Logs(context.Background(), []string{path}, nil, func(f Finding) { got = append(got, keys([]Finding{f})...) }); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPrefilterNCSAEscapes: NCSA lines keep '/' in rule literals
// (sigma.EscapeLine), which holds because the parser decodes only the
// escapes Apache and nginx write: "\x2f" and "\/" stay as written, in the
// field as in the line. Engine and naive evaluation agree on each.
func TestPrefilterNCSAEscapes(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		query string
		hit   bool
	}{{`c=/bin/sh`, true}, {`c=\x2fbin\x2fsh`, false}, {`c=\/bin\/sh`, false}, {`c=\x22/bin/sh`, false}} {
		path := filepath.Join(dir, "access"+string(rune('a'+i))+".log")
		line := `198.51.100.9 - - [19/Jul/2025:07:28:11 +0000] "GET /x.php?` + tc.query + ` HTTP/1.1" 200 5 "-" "curl/8"` + "\n"
		if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		e := testEngine(t, Options{Workers: 1})
		got, want := huntKeys(t, e, path), naive(t, e, path)
		if !slices.Equal(got, want) {
			t.Errorf("query %s: engine %v, naive %v", tc.query, got, want)
		}
		if hit := len(got) > 0; hit != tc.hit {
			t.Errorf("query %s: findings %v, want a finding: %v", tc.query, got, tc.hit)
		}
	}
}

// TestPrefilterLongCarry: lines longer than the chunk, one after another,
// are read whole (the carry from one read can exceed a chunk), mapped or
// read.
func TestPrefilterLongCarry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u_ex250719.log")
	var b strings.Builder
	b.WriteString(iisHeader)
	b.WriteString(iisLine("/_layouts/15/start.aspx", "q="+strings.Repeat("a", 5000)))
	b.WriteString(iisLine("/_layouts/15/start.aspx", "q="+strings.Repeat("b", 1400)+"&c=/bin/sh&"+strings.Repeat("b", 3600)))
	for range 50 {
		b.WriteString(iisLine("/_layouts/15/start.aspx", "-"))
	}
	b.WriteString(iisLine("/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx"))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, noMap := range []bool{false, true} {
		e := testEngine(t, Options{Workers: 2, ChunkSize: 1000})
		e.noMap = noMap
		got, want := huntKeys(t, e, path), naive(t, e, path)
		if !slices.Equal(got, want) || len(got) < 2 {
			t.Errorf("noMap %v: engine %v, naive %v (want the command on line 4 and the exploit on line 55)", noMap, got, want)
		}
	}
}

// TestPrefilterRuleOnce: a rule with literals only where the format writes
// them as they are (a quote in the query: none for JSON lines, "'" for
// IIS) is reported once per line, not once through its literal and again as
// a rule evaluated on every line.
func TestPrefilterRuleOnce(t *testing.T) {
	rules, err := sigma.Parse("sqli.yml", []byte(`title: Quote in the query
id: test-sqli
logsource:
    category: webserver
detection:
    sel:
        cs-uri-query|contains: "'"
    condition: sel
level: medium
`))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "u_ex250719.log")
	body := iisHeader + iisLine("/shop/item.aspx", "id=1'or'1'='1") + iisLine("/shop/item.aspx", "id=2")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	e := testEngine(t, Options{Workers: 1, Rules: rules})
	got, want := huntKeys(t, e, path), naive(t, e, path)
	if !slices.Equal(got, want) || len(got) != 1 {
		t.Errorf("engine %v, naive %v; want the rule once, on line 3", got, want)
	}
}
