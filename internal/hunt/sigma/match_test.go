package sigma

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
)

type matchCase struct {
	name string
	det  string // detection section, condition included
	ev   *testEvent
	want bool
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func wide(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRule(t, tc.det)
			if got := r.Match(tc.ev); got != tc.want {
				t.Errorf("Match(%q) = %v, want %v", tc.ev.String(), got, tc.want)
			}
			// Literals must hold for every matching event.
			if lits, ok := r.Literals(); ok && tc.want && !containsLiteral(tc.ev.raw, lits) {
				t.Errorf("Literals() = %q, none in matching raw line %q", lits, tc.ev.raw)
			}
		})
	}
}

func TestModifiers(t *testing.T) {
	const sel = "sel:\n    %s\ncondition: sel"
	d := func(s string) string { return fmt.Sprintf(sel, strings.ReplaceAll(s, "\n", "\n    ")) }
	cases := []matchCase{
		// Plain values: whole-field, case-insensitive, numbers as text.
		{"equal", d("cs-method: POST"), ev("cs-method", "post"), true},
		{"equal/longer", d("cs-method: POST"), ev("cs-method", "POSTX"), false},
		{"equal/absent", d("cs-method: POST"), ev("cs-uri-stem", "POST"), false},
		{"number as text", d("sc-status: 200"), ev("sc-status", "200"), true},
		{"number as text/other", d("sc-status: 200"), ev("sc-status", "2000"), false},
		{"bool as text", d("x: true"), ev("x", "True"), true},
		{"list is or", d("cs-method:\n    - GET\n    - POST"), ev("cs-method", "POST"), true},
		{"list is or/none", d("cs-method:\n    - GET\n    - POST"), ev("cs-method", "PUT"), false},
		{"map is and", d("cs-method: POST\nsc-status: 200"), ev("cs-method", "POST", "sc-status", "200"), true},
		{"map is and/one", d("cs-method: POST\nsc-status: 200"), ev("cs-method", "POST", "sc-status", "500"), false},

		{"contains", d("cs-uri-stem|contains: ToolPane"), ev("cs-uri-stem", "/_layouts/15/toolpane.aspx"), true},
		{"contains/not", d("cs-uri-stem|contains: ToolPane"), ev("cs-uri-stem", "/_layouts/15/tool.aspx"), false},
		{"startswith", d("cs-uri-stem|startswith: /_layouts/"), ev("cs-uri-stem", "/_LAYOUTS/15/x"), true},
		{"startswith/not", d("cs-uri-stem|startswith: /_layouts/"), ev("cs-uri-stem", "/sites/_layouts/"), false},
		{"endswith", d("cs-uri-stem|endswith: .aspx"), ev("cs-uri-stem", "/a/B.ASPX"), true},
		{"endswith/not", d("cs-uri-stem|endswith: .aspx"), ev("cs-uri-stem", "/a/b.aspx/"), false},
		{"all", d("cs-uri-query|contains|all:\n    - cmd\n    - whoami"), ev("cs-uri-query", "c=cmd+/c+whoami"), true},
		{"all/one missing", d("cs-uri-query|contains|all:\n    - cmd\n    - whoami"), ev("cs-uri-query", "c=cmd+/c+dir"), false},

		{"re", d("cs-uri-query|re: '^id=[0-9]+$'"), ev("cs-uri-query", "id=42"), true},
		{"re/case-sensitive", d("cs-uri-query|re: '^id=[0-9]+$'"), ev("cs-uri-query", "ID=42"), false},
		{"re/unanchored", d("cs-uri-query|re: 'id=[0-9]+'"), ev("cs-uri-query", "a=1&id=42&b"), true},
		{"re|i", d("cs-uri-query|re|i: '^id=[0-9]+$'"), ev("cs-uri-query", "ID=42"), true},
		{"re|m", d("x|re|m: '^b$'"), ev("x", "a\nb\nc"), true},
		{"re/no m", d("x|re: '^b$'"), ev("x", "a\nb\nc"), false},
		{"re|s", d("x|re|s: 'a.b'"), ev("x", "a\nb"), true},
		{"re/no s", d("x|re: 'a.b'"), ev("x", "a\nb"), false},
		{"re|i ASCII folding", d("x|re|i: 'sk'"), ev("x", "S\u212a"), false},
		{"re|i non-ASCII", d("x|re|i: 'caf\u00e9'"), ev("x", "CAF\u00c9"), true},
		{"re|i|m anchors", d("x|re|i|m: '^B$'"), ev("x", "a\nb\nc"), true},
		{"re|i class", d("x|re|i: '^[a-c]+$'"), ev("x", "ABCabc"), true},
		{"re|all", d("x|re|all:\n    - 'a+'\n    - 'b+'"), ev("x", "aab"), true},
		{"re|all/one", d("x|re|all:\n    - 'a+'\n    - 'c+'"), ev("x", "aab"), false},

		{"cidr v4", d("c-ip|cidr: 10.0.0.0/8"), ev("c-ip", "10.20.30.40"), true},
		{"cidr v4/out", d("c-ip|cidr: 10.0.0.0/8"), ev("c-ip", "11.0.0.1"), false},
		{"cidr v4/mapped", d("c-ip|cidr: 10.0.0.0/8"), ev("c-ip", "::ffff:10.1.2.3"), true},
		{"cidr v4/host", d("c-ip|cidr: 107.191.58.76"), ev("c-ip", "107.191.58.76"), true},
		{"cidr v6", d("c-ip|cidr: '2001:db8::/32'"), ev("c-ip", "2001:DB8:1::7"), true},
		{"cidr v6/out", d("c-ip|cidr: '2001:db8::/32'"), ev("c-ip", "2001:db9::1"), false},
		{"cidr/list", d("c-ip|cidr:\n    - 10.0.0.0/8\n    - 192.168.0.0/16"), ev("c-ip", "192.168.4.4"), true},
		{"cidr/not an address", d("c-ip|cidr: 10.0.0.0/8"), ev("c-ip", "10.0.0"), false},
		{"cidr/garbage", d("c-ip|cidr: 10.0.0.0/8"), ev("c-ip", "-"), false},

		{"lt", d("time-taken|lt: 100"), ev("time-taken", "99"), true},
		{"lt/equal", d("time-taken|lt: 100"), ev("time-taken", "100"), false},
		{"lte", d("time-taken|lte: 100"), ev("time-taken", "100"), true},
		{"gt", d("sc-bytes|gt: 1e6"), ev("sc-bytes", "1000001"), true},
		{"gt/not", d("sc-bytes|gt: 1e6"), ev("sc-bytes", "999999.5"), false},
		{"gte", d("sc-status|gte: 500"), ev("sc-status", "500"), true},
		{"gte/negative", d("x|gte: -2.5"), ev("x", "-3"), false},
		{"gt/not a number", d("sc-bytes|gt: 10"), ev("sc-bytes", "-"), false},
		{"gt/hex rule value", d("x|gt: 0x10"), ev("x", "17"), true},

		{"exists true", d("cs-username|exists: true"), ev("cs-username", "bob"), true},
		{"exists true/absent", d("cs-username|exists: true"), ev("c-ip", "1.2.3.4"), false},
		{"exists false", d("cs-username|exists: false"), ev("c-ip", "1.2.3.4"), true},
		{"exists false/present", d("cs-username|exists: false"), ev("cs-username", ""), false},

		{"cased", d("cs-method|cased: POST"), ev("cs-method", "POST"), true},
		{"cased/other case", d("cs-method|cased: POST"), ev("cs-method", "post"), false},
		{"cased contains", d("x|contains|cased: Edit"), ev("x", "DisplayMode=Edit"), true},
		{"cased contains/other case", d("x|contains|cased: Edit"), ev("x", "DisplayMode=edit"), false},

		{"neq", d("cs-method|neq: GET"), ev("cs-method", "POST"), true},
		{"neq/equal", d("cs-method|neq: GET"), ev("cs-method", "get"), false},
		{"neq/absent", d("cs-method|neq: GET"), ev("c-ip", "1.1.1.1"), false},
		{"neq/list", d("cs-method|neq:\n    - GET\n    - HEAD"), ev("cs-method", "HEAD"), false},
		{"neq/list other", d("cs-method|neq:\n    - GET\n    - HEAD"), ev("cs-method", "POST"), true},
		{"neq/number", d("sc-status|neq: 200"), ev("sc-status", "404"), true},
		{"neq contains", d("cs-user-agent|contains|neq: bot"), ev("cs-user-agent", "Mozilla"), true},

		{"base64", d("x|base64: whoami"), ev("x", b64("whoami")), true},
		{"base64/other", d("x|base64: whoami"), ev("x", b64("whoam")), false},
		{"base64 contains", d("x|base64|contains: 'cmd /c whoami'"), ev("x", "p="+b64("cmd /c whoami")), true},
		{"base64offset 0", d("x|base64offset|contains: whoami"), ev("x", b64("whoami /all")), true},
		{"base64offset 1", d("x|base64offset|contains: whoami"), ev("x", b64("1whoami /all")), true},
		{"base64offset 2", d("x|base64offset|contains: whoami"), ev("x", b64("12whoami /all")), true},
		{"base64offset 3", d("x|base64offset|contains: whoami"), ev("x", b64("123whoami")), true},
		{"base64offset/other", d("x|base64offset|contains: whoami"), ev("x", b64("12who ami /all")), false},
		{"wide base64offset", d("x|wide|base64offset|contains: 'IEX ('"), ev("x", b64(wide("$a; IEX (New-Object"))), true},
		{"wide base64offset/narrow", d("x|wide|base64offset|contains: 'IEX ('"), ev("x", b64("$a; IEX (New-Object")), false},
		{"utf16le", d("x|utf16le|contains: cmd"), ev("x", wide("a cmd b")), true},
		{"wide", d("x|wide|contains: cmd"), ev("x", wide("a CMD b")), true},
		{"utf16le/narrow", d("x|utf16le|contains: cmd"), ev("x", "a cmd b"), false},
		{"utf16be", d("x|utf16be|contains: cmd"), ev("x", "\x00a\x00c\x00m\x00d"), true},
		{"utf16", d("x|utf16|startswith: cmd"), ev("x", "\xff\xfe"+wide("cmd.exe")), true},
		{"utf16/no bom", d("x|utf16|startswith: cmd"), ev("x", wide("cmd.exe")), false},
		{"utf16 base64", d("x|utf16|base64: ab"), ev("x", base64.StdEncoding.EncodeToString([]byte("\xff\xfea\x00b\x00"))), true},

		{"windash hyphen", d("x|windash|contains: ' -enc '"), ev("x", "powershell -enc AAA"), true},
		{"windash slash", d("x|windash|contains: ' -enc '"), ev("x", "powershell /enc AAA"), true},
		{"windash en dash", d("x|windash|contains: ' -enc '"), ev("x", "powershell \u2013enc AAA"), true},
		{"windash em dash", d("x|windash|contains: ' -enc '"), ev("x", "powershell \u2014enc AAA"), true},
		{"windash horizontal bar", d("x|windash|contains: ' -enc '"), ev("x", "powershell \u2015enc AAA"), true},
		{"windash/other", d("x|windash|contains: ' -enc '"), ev("x", "powershell _enc AAA"), false},
		{"windash/from slash", d("x|contains|windash: ' /c '"), ev("x", "cmd -c dir"), true},
		{"windash two", d("x|windash: '-a-b'"), ev("x", "/a\u2014b"), true},

		{"fieldref", d("cs-host|fieldref: s-computername"), ev("cs-host", "SP01", "s-computername", "sp01"), true},
		{"fieldref/differs", d("cs-host|fieldref: s-computername"), ev("cs-host", "SP01", "s-computername", "sp02"), false},
		{"fieldref/absent", d("cs-host|fieldref: s-computername"), ev("cs-host", "SP01"), false},
		{"fieldref cased", d("cs-host|fieldref|cased: s-computername"), ev("cs-host", "SP01", "s-computername", "sp01"), false},
		{"fieldref neq", d("cs-host|fieldref|neq: s-computername"), ev("cs-host", "SP01", "s-computername", "sp02"), true},
	}
	runMatchCases(t, cases)
}

func TestWildcards(t *testing.T) {
	const sel = "sel:\n    %s\ncondition: sel"
	d := func(s string) string { return fmt.Sprintf(sel, s) }
	cases := []matchCase{
		{"star middle", d("x: '/a/*/c'"), ev("x", "/a/b/b/c"), true},
		{"star middle/too short", d("x: '/a/*/c'"), ev("x", "/a/c"), false},
		{"star empty run", d("x: '/a/*c'"), ev("x", "/a/c"), true},
		{"stars several", d("x: '*a*b*c*'"), ev("x", "xxAyyBzzC"), true},
		{"stars several/order", d("x: '*a*b*c*'"), ev("x", "cba"), false},
		{"star only", d("x: '*'"), ev("x", ""), true},
		{"star only/absent", d("x: '*'"), ev("y", "v"), false},
		{"star leading", d("x: '*.aspx'"), ev("x", "/a.ASPX"), true},
		{"question", d("x: 'ab?d'"), ev("x", "abcd"), true},
		{"question/case", d("x: 'ab?d'"), ev("x", "ABXD"), true},
		{"question/rune", d("x: 'ab?d'"), ev("x", "ab\u00e9d"), true},
		{"question/none", d("x: 'ab?d'"), ev("x", "abd"), false},
		{"question/two", d("x: 'ab?d'"), ev("x", "abccd"), false},
		{"question and star", d("x: '/_layouts/1?/*.aspx'"), ev("x", "/_layouts/16/x/spinstall0.aspx"), true},
		{"question and star/two characters", d("x: '/_layouts/1?/*.aspx'"), ev("x", "/_layouts/160/x.aspx"), false},
		{"question contains", d("x|contains: 'a?c'"), ev("x", "zzabczz"), true},
		{"question cased", d("x|cased: 'A?C'"), ev("x", "abc"), false},
		{"escaped star", d(`x: 'a\*b'`), ev("x", "a*b"), true},
		{"escaped star/not wildcard", d(`x: 'a\*b'`), ev("x", "axb"), false},
		{"escaped question", d(`x: 'a\?'`), ev("x", "a?"), true},
		{"escaped question/not wildcard", d(`x: 'a\?'`), ev("x", "ab"), false},
		{"escaped backslash then star", d(`x: 'a\\*'`), ev("x", `a\anything`), true},
		{"escaped backslash then star/needs backslash", d(`x: 'a\\*'`), ev("x", "anything"), false},
		{"three backslashes", d(`x: 'a\\\*'`), ev("x", `a\*`), true},
		{"three backslashes/literal star", d(`x: 'a\\\*'`), ev("x", `a\x`), false},
		{"plain backslash", d(`x: 'C:\Windows\System32'`), ev("x", `c:\windows\system32`), true},
		{"double backslash is one", d(`x: 'C:\\Windows'`), ev("x", `C:\Windows`), true},
		{"four backslashes are two", d(`x: 'a\\\\b'`), ev("x", `a\\b`), true},
		{"trailing backslash", d(`x: 'a\'`), ev("x", `a\`), true},
		{"contains with inner star", d("x|contains: 'cmd*whoami'"), ev("x", "q=CMD+/c+WHOAMI&x"), true},
		{"startswith with star", d("x|startswith: '/_layouts/*/tool'"), ev("x", "/_layouts/15/ToolPane.aspx"), true},
		{"endswith with star", d("x|endswith: 'sign*.aspx'"), ev("x", "/_layouts/SignOut.aspx"), true},
	}
	runMatchCases(t, cases)
}

func TestNullAndEmpty(t *testing.T) {
	const sel = "sel:\n    %s\ncondition: sel"
	d := func(s string) string { return fmt.Sprintf(sel, s) }
	cases := []matchCase{
		{"null/absent", d("cs-username: null"), ev("c-ip", "1.2.3.4"), true},
		{"null/empty", d("cs-username: null"), ev("cs-username", ""), true},
		{"null/value", d("cs-username: null"), ev("cs-username", "bob"), false},
		{"null tilde", d("cs-username: ~"), ev("c-ip", "1.2.3.4"), true},
		{"null in list", d("cs-username:\n        - null\n        - admin"), ev("cs-username", "Admin"), true},
		{"null in list/absent", d("cs-username:\n        - null\n        - admin"), ev("c-ip", "1"), true},
		{"null in list/other", d("cs-username:\n        - null\n        - admin"), ev("cs-username", "bob"), false},
		{"empty/absent", d("cs-username: ''"), ev("c-ip", "1.2.3.4"), true},
		{"empty/empty", d("cs-username: ''"), ev("cs-username", ""), true},
		{"empty/value", d("cs-username: ''"), ev("cs-username", "bob"), false},
		{"contains empty/present", d("cs-username|contains: ''"), ev("cs-username", "bob"), true},
		{"contains empty/absent", d("cs-username|contains: ''"), ev("c-ip", "1"), false},
	}
	runMatchCases(t, cases)
	// "not null" is written as a negated selection.
	r := mustRule(t, "sel:\n    cs-method: POST\nfilter:\n    cs-username: null\ncondition: sel and not filter")
	for _, tc := range []struct {
		e    *testEvent
		want bool
	}{
		{ev("cs-method", "POST", "cs-username", "bob"), true},
		{ev("cs-method", "POST"), false},
		{ev("cs-method", "POST", "cs-username", ""), false},
	} {
		if got := r.Match(tc.e); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.e.String(), got, tc.want)
		}
	}
}

func TestKeywords(t *testing.T) {
	cases := []matchCase{
		{"list", "keywords:\n    - 'UNION SELECT'\n    - '@@version'\ncondition: keywords", line(`GET /a?q=1+union select+1 200`), true},
		{"list/second", "keywords:\n    - 'UNION SELECT'\n    - '@@version'\ncondition: keywords", line(`GET /a?q=@@VERSION 200`), true},
		{"list/none", "keywords:\n    - 'UNION SELECT'\n    - '@@version'\ncondition: keywords", line(`GET /a?q=union 200`), false},
		{"single string", "keywords: 'whoami'\ncondition: keywords", line(`GET /x?c=WhoAmI 200`), true},
		{"wildcard inside", "keywords:\n    - 'select * from'\ncondition: keywords", line(`q=select a,b from t`), true},
		{"wildcard inside/order", "keywords:\n    - 'select * from'\ncondition: keywords", line(`q=from t select`), false},
		{"all", "keywords:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords", line(`x OABVirtualDirectory y -ExternalUrl z`), true},
		{"all/one", "keywords:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords", line(`x OABVirtualDirectory y`), false},
		{"cased", "keywords:\n    '|cased':\n        - 'Edit'\ncondition: keywords", line(`a edit b`), false},
		{"re", "keywords:\n    '|re': 'id=[0-9]{3}'\ncondition: keywords", line(`GET /?id=123`), true},
		{"base64offset", "keywords:\n    '|base64offset|contains': 'whoami'\ncondition: keywords", line("GET /?p=" + b64("xwhoami /all")), true},
		{"and field", "keywords:\n    - 'whoami'\nsel:\n    cs-method: GET\ncondition: keywords and sel", ev("cs-method", "GET", "q", "c=whoami"), true},
		{"and field/method", "keywords:\n    - 'whoami'\nsel:\n    cs-method: GET\ncondition: keywords and sel", ev("cs-method", "POST", "q", "c=whoami"), false},
		{"keyword key with field", "sel:\n    '|all':\n        - 'a='\n        - 'b='\n    cs-method: GET\ncondition: sel", ev("cs-method", "GET", "q", "a=1&b=2"), true},
	}
	runMatchCases(t, cases)
}

// TestConditions evaluates condition constructs over every combination of
// four search identifiers, against the same expression written in Go.
func TestConditions(t *testing.T) {
	const det = `sel_a:
    fa: 'x'
sel_b:
    fb: 'x'
filter_c:
    fc: 'x'
_d:
    fd: 'x'
condition: %s`
	cases := []struct {
		cond string
		want func(a, b, c, d bool) bool
	}{
		{"sel_a", func(a, b, c, d bool) bool { return a }},
		{"sel_a and sel_b", func(a, b, c, d bool) bool { return a && b }},
		{"sel_a or sel_b", func(a, b, c, d bool) bool { return a || b }},
		{"not sel_a", func(a, b, c, d bool) bool { return !a }},
		{"sel_a and sel_b or filter_c", func(a, b, c, d bool) bool { return a && b || c }},
		{"sel_a or sel_b and filter_c", func(a, b, c, d bool) bool { return a || b && c }},
		{"not sel_a and sel_b", func(a, b, c, d bool) bool { return !a && b }},
		{"not sel_a or sel_b", func(a, b, c, d bool) bool { return !a || b }},
		{"not (sel_a and sel_b)", func(a, b, c, d bool) bool { return !(a && b) }},
		{"sel_a and (sel_b or filter_c)", func(a, b, c, d bool) bool { return a && (b || c) }},
		{"((sel_a))", func(a, b, c, d bool) bool { return a }},
		{"not not sel_a", func(a, b, c, d bool) bool { return a }},
		{"sel_a and not sel_b or not filter_c", func(a, b, c, d bool) bool { return a && !b || !c }},
		{"NOT sel_a AND sel_b OR _d", func(a, b, c, d bool) bool { return !a && b || d }},
		{"1 of them", func(a, b, c, d bool) bool { return a || b || c }},
		{"any of them", func(a, b, c, d bool) bool { return a || b || c }},
		{"all of them", func(a, b, c, d bool) bool { return a && b && c }},
		{"1 of sel_*", func(a, b, c, d bool) bool { return a || b }},
		{"all of sel_*", func(a, b, c, d bool) bool { return a && b }},
		{"all of *", func(a, b, c, d bool) bool { return a && b && c && d }},
		{"1 of _*", func(a, b, c, d bool) bool { return d }},
		{"1 of *_*", func(a, b, c, d bool) bool { return a || b || c || d }},
		{"all of sel_* and not 1 of filter*", func(a, b, c, d bool) bool { return a && b && !c }},
		{"not 1 of sel_* and _d", func(a, b, c, d bool) bool { return !(a || b) && d }},
		{"1 of sel_a", func(a, b, c, d bool) bool { return a }},
		{"all of s*_b or all of them", func(a, b, c, d bool) bool { return b || a && b && c }},
		{"sel_a and\n    sel_b", func(a, b, c, d bool) bool { return a && b }},
	}
	for _, tc := range cases {
		t.Run(tc.cond, func(t *testing.T) {
			r := mustRule(t, fmt.Sprintf(det, "'"+strings.ReplaceAll(tc.cond, "\n", " ")+"'"))
			checkCondition(t, r, tc.want)
		})
	}
	t.Run("condition list", func(t *testing.T) {
		r := mustRule(t, fmt.Sprintf(det, "\n    - sel_a and sel_b\n    - filter_c"))
		checkCondition(t, r, func(a, b, c, d bool) bool { return a && b || c })
	})
}

func checkCondition(t *testing.T, r *Rule, want func(a, b, c, d bool) bool) {
	t.Helper()
	for mask := range 16 {
		a, b, c, d := mask&1 != 0, mask&2 != 0, mask&4 != 0, mask&8 != 0
		var kv []string
		for i, on := range []bool{a, b, c, d} {
			v := "y"
			if on {
				v = "x"
			}
			kv = append(kv, "f"+string(rune('a'+i)), v)
		}
		e := ev(kv...)
		if got := r.Match(e); got != want(a, b, c, d) {
			t.Errorf("Match(%q) = %v, want %v", e.String(), got, want(a, b, c, d))
		}
	}
}

// TestMatchConcurrent runs one rule from many goroutines (for -race).
func TestMatchConcurrent(t *testing.T) {
	r := mustRule(t, "sel:\n    cs-uri-query|re|i: 'cmd=[a-z]+'\n    c-ip|cidr: 10.0.0.0/8\ncondition: sel")
	e := ev("cs-uri-query", "CMD=whoami", "c-ip", "10.1.1.1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if !r.Match(e) {
					t.Error("Match = false, want true")
					return
				}
			}
		})
	}
	wg.Wait()
}
