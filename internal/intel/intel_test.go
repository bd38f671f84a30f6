package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenFiles are parsed with Auto detection and compared with
// testdata/<name>.golden.json.
var goldenFiles = []struct {
	name   string
	format Format
}{
	{"toolshell.txt", Plain},
	{"indicators.csv", CSV},
	{"toolshell.stix.json", STIX},
}

func TestGolden(t *testing.T) {
	for _, g := range goldenFiles {
		t.Run(g.name, func(t *testing.T) {
			path := filepath.Join("testdata", g.name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse(path, bytes.NewReader(data), Options{})
			if err != nil {
				t.Fatalf("Parse(%s) error: %v", path, err)
			}
			checkResult(t, res)
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := path + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Parse(%s) differs from %s (run go test -update and review the diff):\n%s", path, golden, firstDiff(got, want))
			}

			// The explicit format gives the same result as detection.
			again, err := Parse(path, bytes.NewReader(data), Options{Format: g.format})
			if err != nil {
				t.Fatalf("Parse(%s, %v) error: %v", path, g.format, err)
			}
			if a, _ := json.Marshal(again); !bytes.Equal(a, mustJSON(t, res)) {
				t.Errorf("Parse(%s, %v) differs from Parse with Auto", path, g.format)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, a, b)
		}
	}
	return ""
}

// checkResult checks the invariants every Result keeps.
func checkResult(t *testing.T, res Result) {
	t.Helper()
	seen := map[string]bool{}
	for _, ind := range res.Indicators {
		n, err := incident.NormalizeIndicator(ind.Type, ind.Value)
		if err != nil || n != ind.Value {
			t.Fatalf("indicator %s %q does not normalise to itself: %q, %v", ind.Type, ind.Value, n, err)
		}
		c := ind
		if err := c.Validate(); err != nil {
			t.Fatalf("indicator %s %q fails Validate: %v", ind.Type, ind.Value, err)
		}
		if ind.Tags == nil {
			t.Fatalf("indicator %s %q has nil tags", ind.Type, ind.Value)
		}
		key := string(ind.Type) + " " + ind.Value
		if seen[key] {
			t.Fatalf("indicator %s is listed twice", key)
		}
		seen[key] = true
	}
	if len(res.Rejected) > maxProblems {
		t.Fatalf("%d problems listed, more than %d", len(res.Rejected), maxProblems)
	}
	for _, p := range res.Rejected {
		if strings.TrimSpace(p.Reason) == "" {
			t.Fatalf("problem without a reason: %#v", p)
		}
		if p.Line < 0 {
			t.Fatalf("problem with a negative line: %#v", p)
		}
	}
}

var inferTests = []struct {
	in   string
	want incident.IndicatorType // "" when no type fits
}{
	{"192.0.2.1", incident.IndIPv4},
	{" 192.0.2.1 ", incident.IndIPv4},
	{"192[.]0[.]2[.]1", incident.IndIPv4},
	{"192(.)0(.)2(.)1", incident.IndIPv4},
	{"2001:db8::1", incident.IndIPv6},
	{"2001:DB8::1", incident.IndIPv6},
	{"2001[:]db8[:][:]1", incident.IndIPv6},
	{"::1", incident.IndIPv6},
	{"fe80::1%eth0", ""},
	{"::ffff:192.0.2.1", ""},
	{"10.0.0.0/8", incident.IndCIDR},
	{"10.1.2.3/8", incident.IndCIDR},
	{"192.0.2.9/32", incident.IndIPv4},
	{"2001:db8::1/128", incident.IndIPv6},
	{"2001:db8::/32", incident.IndCIDR},
	{"10.0.0.0/33", ""},
	{"https://evil.example/x.php?a=1", incident.IndURL},
	{"hxxps://evil[.]example/x", incident.IndURL},
	{"hXXp://evil[.]example", incident.IndURL},
	{"fxp://files.example/drop.exe", incident.IndURL},
	{"ftp://192.0.2.1/a", incident.IndURL},
	{"evil.example/path/file.ps1", incident.IndURL},
	{"192.0.2.1:8080/x", incident.IndURL},
	{"evil.example:8443/x", incident.IndURL},
	{"http://", ""},
	{"/_layouts/15/ToolPane.aspx", incident.IndURLPath},
	{"/", ""},
	{"//", ""},
	{"92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514", incident.IndSHA256},
	{"92BB4DDB98EEAF11FC15BB32E71D0A63256A0ED826A03BA293CE3A8BF057A514", incident.IndSHA256},
	{"da39a3ee5e6b4b0d3255bfef95601890afd80709", incident.IndSHA1},
	{"d41d8cd98f00b204e9800998ecf8427e", incident.IndMD5},
	{"d41d8cd98f00b204e9800998ecf8427", ""},
	{"deadbeef", ""},
	{"attacker@example.net", incident.IndEmail},
	{"attacker[@]example[.]net", incident.IndEmail},
	{"attacker[at]example[dot]net", incident.IndEmail},
	{"@example.net", ""},
	{"attacker@localhost", ""},
	{"a@b@example.net", ""},
	{"spinstall0.aspx", incident.IndFileName},
	{"SPINSTALL0.ASPX", incident.IndFileName},
	{"ghostfile*.aspx", incident.IndFileName},
	{"debug_dev.js", incident.IndFileName},
	{"1.css", incident.IndFileName},
	{"SharpHostInfo.x64.exe", incident.IndFileName},
	{"7z.dll", incident.IndFileName},
	{"file.ps1", incident.IndFileName},
	{"evil[.]exe", incident.IndFileName},
	{"invoice.zip", incident.IndDomain}, // .zip is a top-level domain: write file_name:invoice.zip
	{"setup.sh", incident.IndDomain},
	{".aspx", ""},
	{"How to decrypt my data.log", ""},
	{`C:\inetpub\wwwroot\spinstall0.aspx`, ""},
	{"example.com", incident.IndDomain},
	{"Example.COM.", incident.IndDomain},
	{"update.updatemicfosoft.com", incident.IndDomain},
	{"c34718cbb4c6.ngrok-free.app", incident.IndDomain},
	{"bpp[.]theinnovationfactory[.]it", incident.IndDomain},
	{"*.evil.example", incident.IndDomain},
	{"_dmarc.example.com", incident.IndDomain},
	{"xn--80ak6aa92e.xn--p1ai", incident.IndDomain},
	{"foo.bar", incident.IndDomain},
	{"-bad.example", ""},
	{"bücher.example", ""},
	{"foo.123", ""},
	{"foo.c0m", ""},
	{"foo.x", ""},
	{"1.2.3", ""},
	{"1.0", ""},
	{"version 1.0", ""},
	{"e.g.", ""},
	{"999.1.1.1", ""},
	{"192.000.002.001", ""},
	{"localhost", ""},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64)", ""},
	{"", ""},
	{"   ", ""},
	{"a\x00b.com", ""},
	{"\xff\xfe.com", ""},
	{strings.Repeat("a", incident.MaxValue) + ".com", ""},
}

func TestInferType(t *testing.T) {
	for _, tt := range inferTests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := InferType(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("InferType(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
			}
			// Whatever InferType accepts, ParseValue imports as that type.
			typ, v, err := ParseValue(tt.in)
			if tt.want == "" {
				if err == nil && typ != "" {
					t.Errorf("ParseValue(%q) = %s %q, want an error", tt.in, typ, v)
				}
				return
			}
			if err != nil || typ != tt.want {
				t.Errorf("ParseValue(%q) = %s %q, %v, want type %s", tt.in, typ, v, err, tt.want)
			}
		})
	}
}

var parseValueTests = []struct {
	in, typ, value string // typ "" when refused
}{
	{"192[.]0[.]2[.]1", "ipv4", "192.0.2.1"},
	{"10.1.2.3/8", "cidr", "10.0.0.0/8"},
	{"192.0.2.9/32", "ipv4", "192.0.2.9"},
	{"2001:DB8:0::1", "ipv6", "2001:db8::1"},
	{"hxxps://evil[.]example/x", "url", "https://evil.example/x"},
	{"evil.example/path/file.ps1", "url", "http://evil.example/path/file.ps1"},
	{"Example.COM.", "domain", "example.com"},
	{"attacker@Example.NET", "email", "attacker@example.net"},
	{"92BB4DDB98EEAF11FC15BB32E71D0A63256A0ED826A03BA293CE3A8BF057A514", "sha256", "92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514"},
	{"file_name:How to decrypt my data.log", "file_name", "How to decrypt my data.log"},
	{"FILE_NAME: spinstall0.aspx", "file_name", "spinstall0.aspx"},
	{"filename:invoice.zip", "file_name", "invoice.zip"},
	{"user_agent:Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0", "user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"},
	{"ua:curl/8.0 (x[.]y)", "user_agent", "curl/8.0 (x[.]y)"}, // user agents are not refanged
	{"ip:192.0.2.1", "ipv4", "192.0.2.1"},
	{"ip:2001:db8::1", "ipv6", "2001:db8::1"},
	{"ip:192.0.2.0/24", "cidr", "192.0.2.0/24"},
	{"ip:192.0.2.9/32", "ipv4", "192.0.2.9"},
	{"ip:example.com", "", ""},
	{"hash:d41d8cd98f00b204e9800998ecf8427e", "md5", "d41d8cd98f00b204e9800998ecf8427e"},
	{"hash:abc", "", ""},
	{"domain:evil[.]example", "domain", "evil.example"},
	{"url_path:/a b", "url_path", "/a b"},
	{"url:evil.example", "", ""},
	{"ipv4:2001:db8::1", "", ""},
	{"sha256:abcd", "", ""},
	{"file://server/share/x.exe", "url", "file://server/share/x.exe"},
	{"file:///etc/passwd", "", ""}, // no host: not an absolute URL, and not file_name "///etc/passwd"
	{"user_agent:", "", ""},
	{"nosuchtype:value", "", ""},
}

func TestParseValue(t *testing.T) {
	for _, tt := range parseValueTests {
		t.Run(tt.in, func(t *testing.T) {
			typ, v, err := ParseValue(tt.in)
			if tt.typ == "" {
				if err == nil {
					t.Errorf("ParseValue(%q) = %s %q, want an error", tt.in, typ, v)
				} else if err.Error() == "" {
					t.Errorf("ParseValue(%q): empty error", tt.in)
				}
				return
			}
			if err != nil || string(typ) != tt.typ || v != tt.value {
				t.Errorf("ParseValue(%q) = %s %q, %v, want %s %q", tt.in, typ, v, err, tt.typ, tt.value)
			}
		})
	}
}

func TestRefang(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"hxxp://a[.]b", "http://a.b"},
		{"HXXPS://a(.)b", "https://a.b"},
		{"hXXp://a", "http://a"},
		{"hxxps[://]a{.}b[/]c", "https://a.b/c"},
		{"a[dot]b[DOT]c", "a.b.c"},
		{`a\.b`, "a.b"},
		{"u[@]a[at]b(AT)c", "u@a@b@c"},
		{"1[:]2", "1:2"},
		{"plain.example", "plain.example"},
	} {
		if got := Refang(tt.in); got != tt.want {
			t.Errorf("Refang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"auto", Auto, true}, {"", Auto, true}, {"Plain", Plain, true}, {"txt", Plain, true},
		{"CSV", CSV, true}, {"stix", STIX, true}, {"stix2", STIX, true}, {"misp", Auto, false},
	} {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseFormat(%q) = %v, %v, want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && tt.in != "" && tt.in != "txt" && tt.in != "stix2" {
			if s := got.String(); !strings.EqualFold(s, tt.in) {
				t.Errorf("%v.String() = %q, want %q", got, s, strings.ToLower(tt.in))
			}
		}
	}
	var f Format
	if err := f.UnmarshalText([]byte("csv")); err != nil || f != CSV {
		t.Errorf("UnmarshalText(csv) = %v, %v", f, err)
	}
	if b, err := STIX.MarshalText(); err != nil || string(b) != "stix" {
		t.Errorf("STIX.MarshalText() = %q, %v", b, err)
	}
	if s := Format(9).String(); s != "Format(9)" {
		t.Errorf("Format(9).String() = %q", s)
	}
}

func TestProblemError(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{"iocs.txt", 7, "bad"}, "iocs.txt:7: bad"},
		{Problem{"bundle.json", 0, "indicator--x: bad"}, "bundle.json: indicator--x: bad"},
	} {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// parseString parses s as file name with opt, failing the test on error.
func parseString(t *testing.T, name, s string, opt Options) Result {
	t.Helper()
	res, err := Parse(name, strings.NewReader(s), opt)
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", s, err)
	}
	checkResult(t, res)
	return res
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
	}{
		{"192.0.2.1\n", Plain},
		{"# comment\n\ntype,value\nipv4,192.0.2.1\n", CSV},
		{"TYPE;Value;Tags\nipv4;192.0.2.1;a|b\n", CSV},
		{"\"type\"\t\"value\"\nipv4\t192.0.2.1\n", CSV},
		{"value,type\n192.0.2.1,ipv4\n", CSV},
		{"type\n", Plain},
		{"  {\"type\": \"bundle\", \"objects\": []}", STIX},
		{"[2001:db8::1]\n", Plain},
	} {
		got, err := detect([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("detect(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	// Every CSV layout above yields the one indicator.
	for _, in := range []string{"type,value\nipv4,192.0.2.1\n", "type, value\nipv4, \"192.0.2.1\"\n", "TYPE;Value;Tags\nipv4;192.0.2.1;a|b\n", "\"type\"\t\"value\"\nipv4\t192.0.2.1\n", "value,type\r\n192.0.2.1,ipv4\r\n"} {
		res := parseString(t, "x.csv", in, Options{})
		if len(res.Indicators) != 1 || res.Indicators[0].Value != "192.0.2.1" || len(res.Rejected) != 0 {
			t.Errorf("Parse(%q) = %+v, want one indicator 192.0.2.1", in, res)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		opt      Options
		is       error
		contains []string
	}{
		{"big.txt", strings.Repeat("192.0.2.1\n", 20), Options{MaxBytes: 100}, ErrTooLarge, []string{"big.txt", "100 bytes"}},
		{"a.json", `[{"type": "indicator"}]`, Options{}, ErrFormat, []string{"a.json", "JSON array"}},
		{"b.json", `{"type": "indicator", "pattern": "[ipv4-addr:value = '1.2.3.4']"}`, Options{}, ErrFormat, []string{"b.json", `"indicator"`, "not a STIX bundle"}},
		{"c.json", "{\"type\": \"bundle\",\n \"objects\": [\n {\"type\": }]}", Options{}, nil, []string{"c.json:3:"}},
		{"d.json", `{"type": "bundle", "objects": {}}`, Options{}, ErrFormat, []string{"d.json", "not a list"}},
		{"e.json", `{"type": "bundle", "objects": []} {}`, Options{}, ErrFormat, []string{"e.json", "after the bundle"}},
		{"f.json", `{"type": "bundle", "objects": [`, Options{}, nil, []string{"f.json:1:", "unexpected EOF"}},
		{"g.txt", "192.0.2.1\n", Options{Format: STIX}, ErrFormat, []string{"g.txt", "not a JSON object"}},
		{"h.txt", "192.0.2.1\n", Options{Format: CSV}, ErrFormat, []string{"h.txt", "header"}},
		{"i.txt", "192.0.2.1\n", Options{DefaultTLP: "white"}, nil, []string{"i.txt", "default TLP"}},
		{"j.txt", "\xff\xfe1", Options{}, nil, []string{"j.txt", "UTF-16"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.name, strings.NewReader(tt.in), tt.opt)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one", tt.in)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Parse(%q) = %v, want errors.Is %v", tt.in, err, tt.is)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("Parse(%q) = %q, want it to mention %q", tt.in, err, c)
				}
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadError(t *testing.T) {
	_, err := Parse("x.txt", failingReader{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "x.txt") || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Parse(failing reader) = %v, want an error naming the file and the cause", err)
	}
}

func TestOptions(t *testing.T) {
	res := parseString(t, "/tmp/feeds/iocs.txt", "192.0.2.1\n", Options{})
	if got := res.Indicators[0]; got.Source != "iocs.txt" || got.TLP != incident.TLPAmber {
		t.Errorf("defaults: source %q, TLP %q, want iocs.txt, amber", got.Source, got.TLP)
	}
	res = parseString(t, `C:\feeds\iocs.txt`, "192.0.2.1\n", Options{Source: "vendor feed", DefaultTLP: incident.TLPGreen})
	if got := res.Indicators[0]; got.Source != "vendor feed" || got.TLP != incident.TLPGreen {
		t.Errorf("options: source %q, TLP %q, want vendor feed, green", got.Source, got.TLP)
	}
	res = parseString(t, `C:\feeds\iocs.txt`, "192.0.2.1\n", Options{})
	if got := res.Indicators[0].Source; got != "iocs.txt" {
		t.Errorf("source from a Windows path = %q, want iocs.txt", got)
	}
	res = parseString(t, "-", "192.0.2.1\n", Options{Source: strings.Repeat("é", 150)})
	if got := res.Indicators[0].Source; len(got) > incident.MaxName {
		t.Errorf("long source kept at %d bytes", len(got))
	}
	// CSV rows may carry their own source and TLP.
	res = parseString(t, "x.csv", "type,value,source,tlp\nipv4,192.0.2.1,partner,red\nipv4,192.0.2.2,,\n", Options{DefaultTLP: incident.TLPClear})
	if a, b := res.Indicators[0], res.Indicators[1]; a.Source != "partner" || a.TLP != incident.TLPRed || b.Source != "x.csv" || b.TLP != incident.TLPClear {
		t.Errorf("CSV source/TLP columns: %+v", res.Indicators)
	}
}

func TestEncodings(t *testing.T) {
	want := []string{"192.0.2.1", "example.com"}
	text := "192.0.2.1\r\nexample.com\r\n"
	utf16le := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(text)) {
		utf16le = append(utf16le, byte(u), byte(u>>8))
	}
	utf16be := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(text)) {
		utf16be = append(utf16be, byte(u>>8), byte(u))
	}
	for name, in := range map[string][]byte{
		"utf8":    []byte(text),
		"bom":     append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"utf16le": utf16le,
		"utf16be": utf16be,
	} {
		res := parseString(t, name, string(in), Options{})
		var got []string
		for _, ind := range res.Indicators {
			got = append(got, ind.Value)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") || len(res.Rejected) != 0 {
			t.Errorf("%s: Parse = %v, %v, want %v", name, got, res.Rejected, want)
		}
	}
}

func TestLimits(t *testing.T) {
	// A line longer than MaxLine is a problem, not an error.
	long := "192.0.2.1\n" + strings.Repeat("a", MaxLine+1) + "\n192.0.2.2\n"
	res := parseString(t, "long.txt", long, Options{})
	if len(res.Indicators) != 2 || len(res.Rejected) != 1 || res.Rejected[0].Line != 2 || !strings.Contains(res.Rejected[0].Reason, "limit") {
		t.Errorf("long line: %d indicators, problems %v", len(res.Indicators), res.Rejected)
	}
	res = parseString(t, "long.csv", "type,value\n"+"ipv4,\""+strings.Repeat("a", MaxLine+1)+"\"\nipv4,192.0.2.2\n", Options{})
	if len(res.Indicators) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 2 {
		t.Errorf("long CSV record: %d indicators, problems %v", len(res.Indicators), res.Rejected)
	}
	long4k := "url_path:/" + strings.Repeat("a", incident.MaxValue) + "\n"
	res = parseString(t, "value.txt", long4k, Options{})
	if len(res.Indicators) != 0 || len(res.Rejected) != 1 {
		t.Errorf("value over MaxValue: %d indicators, problems %v", len(res.Indicators), res.Rejected)
	}

	// Too many indicators is an error naming the file and line.
	defer func(n, p int) { maxIndicators, maxProblems = n, p }(maxIndicators, maxProblems)
	maxIndicators, maxProblems = 3, 2
	_, err := Parse("many.txt", strings.NewReader("192.0.2.1\n192.0.2.2\n192.0.2.1\n192.0.2.3\n192.0.2.4\n"), Options{})
	if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "many.txt:5:") {
		t.Errorf("too many indicators: %v, want ErrTooMany at many.txt:5", err)
	}
	// Problems beyond the limit are counted, not listed.
	res = parseString(t, "bad.txt", "x\ny\nz\nw\n192.0.2.1\n", Options{})
	if len(res.Rejected) != 2 || res.RejectedOmitted != 2 || len(res.Indicators) != 1 {
		t.Errorf("problem limit: %d listed, %d omitted, %d indicators", len(res.Rejected), res.RejectedOmitted, len(res.Indicators))
	}
}

func TestPlainComments(t *testing.T) {
	in := "# header\n\n   \n\t# indented comment\n192.0.2.1 # trailing\n192.0.2.2\t#tab\nhttps://example.com/#fragment\nexample.org#not-a-comment\n"
	res := parseString(t, "c.txt", in, Options{})
	var got []string
	for _, ind := range res.Indicators {
		got = append(got, string(ind.Type)+" "+ind.Value)
	}
	want := []string{"ipv4 192.0.2.1", "ipv4 192.0.2.2", "url https://example.com/#fragment"}
	if strings.Join(got, ",") != strings.Join(want, ",") || res.Skipped != 4 || len(res.Rejected) != 1 || res.Rejected[0].Line != 8 {
		t.Errorf("Parse(%q) = %v, skipped %d, problems %v; want %v, 4 skipped, a problem on line 8", in, got, res.Skipped, res.Rejected, want)
	}
}

func TestCSVLines(t *testing.T) {
	in := "# comment\n\ntype,value,note\n\nipv4,192.0.2.1,\"two\nlines\"\n# comment\n  # indented\n,,\nipv4,bad,x\n\n\nipv4,also bad,\n\n# end\n"
	res := parseString(t, "l.csv", in, Options{})
	if len(res.Indicators) != 1 || res.Indicators[0].Note != "two\nlines" {
		t.Errorf("indicators = %+v", res.Indicators)
	}
	var lines []int
	for _, p := range res.Rejected {
		lines = append(lines, p.Line)
	}
	if fmt.Sprint(lines) != "[10 13]" {
		t.Errorf("problem lines = %v, want [10 13]", lines)
	}
	// Lines 1, 2, 4, 7, 8, 9, 11, 12, 14 and 15 are blank or comments.
	if res.Skipped != 10 {
		t.Errorf("skipped = %d, want 10", res.Skipped)
	}
}

func TestSTIXMarkings(t *testing.T) {
	bundle := func(refs string, extra string) string {
		return `{"type": "bundle", "objects": [` + extra + `{"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix", "object_marking_refs": [` + refs + `]}]}`
	}
	for _, tt := range []struct {
		name, refs, extra string
		want              incident.TLP
	}{
		{"none", ``, ``, incident.TLPGreen}, // the default in this test
		{"tlp1 white", `"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"`, ``, incident.TLPClear},
		{"tlp1 red", `"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"`, ``, incident.TLPRed},
		{"tlp2 amber+strict", `"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"`, ``, incident.TLPAmberStrict},
		{"most restrictive", `"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"`, ``, incident.TLPAmber},
		{"unknown", `"marking-definition--00000000-0000-0000-0000-000000000000"`, ``, incident.TLPGreen},
		{"tlp1 object", `"marking-definition--1"`, `{"type": "marking-definition", "id": "marking-definition--1", "definition_type": "tlp", "definition": {"tlp": "red"}},`, incident.TLPRed},
		{"tlp2 extension", `"marking-definition--2"`, `{"type": "marking-definition", "id": "marking-definition--2", "extensions": {"` + tlp2Extension + `": {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}}},`, incident.TLPAmberStrict},
		{"named", `"marking-definition--3"`, `{"type": "marking-definition", "id": "marking-definition--3", "name": "TLP:CLEAR"},`, incident.TLPClear},
		{"statement", `"marking-definition--4"`, `{"type": "marking-definition", "id": "marking-definition--4", "definition_type": "statement", "name": "Copyright", "definition": {"statement": "TLP:RED"}},`, incident.TLPGreen},
		{"standard id wins", `"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"`, `{"type": "marking-definition", "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "name": "TLP:RED"},`, incident.TLPGreen},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, "m.json", bundle(tt.refs, tt.extra), Options{DefaultTLP: incident.TLPGreen})
			if len(res.Indicators) != 1 || res.Indicators[0].TLP != tt.want {
				t.Errorf("TLP = %+v, want %s", res.Indicators, tt.want)
			}
		})
	}
}

func TestSTIXFields(t *testing.T) {
	obj := func(fields string) string {
		return `{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '192.0.2.1']"` + fields + `}]}`
	}
	for _, tt := range []struct {
		name, fields, problem string
	}{
		{"ok", `, "confidence": 0, "valid_from": "2025-07-18T16:06:00.123Z"`, ""},
		{"confidence range", `, "confidence": 101`, "confidence"},
		{"confidence float", `, "confidence": 50.5`, "confidence"},
		{"bad valid_from", `, "valid_from": "yesterday"`, "valid_from"},
		{"bad valid_until", `, "valid_until": "2025-13-01T00:00:00Z"`, "valid_until"},
		{"no pattern", `, "pattern": null`, "no pattern"},
		{"sigma", `, "pattern_type": "sigma"`, "sigma"},
		{"wrong type", `, "revoked": "yes"`, "malformed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, "f.json", obj(tt.fields), Options{})
			if tt.problem == "" {
				if len(res.Indicators) != 1 || len(res.Rejected) != 0 {
					t.Errorf("want one indicator, got %+v", res)
				}
				return
			}
			if len(res.Indicators) != 0 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, tt.problem) ||
				!strings.Contains(res.Rejected[0].Reason, "indicator--1") || res.Rejected[0].Line != 1 {
				t.Errorf("want a problem on line 1 naming indicator--1 and %q, got %+v", tt.problem, res)
			}
		})
	}
	res := parseString(t, "x.json", `{"type":"bundle","objects":[42, {"type":"indicator","pattern":"[url:value = 'https://example.com/']"}]}`, Options{})
	if len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, "not a STIX object") || len(res.Indicators) != 1 {
		t.Errorf("bundle with a non-object: %+v", res)
	}
}

// patternTests lists patterns, the indicators they yield ("type value"),
// and substrings of the problems they raise, in order.
var patternTests = []struct {
	pattern  string
	want     []string
	problems []string
}{
	{"[ipv4-addr:value = '192.0.2.1']", []string{"ipv4 192.0.2.1"}, nil},
	{"[ipv4-addr:value == '192.0.2.1']", []string{"ipv4 192.0.2.1"}, nil},
	{"[ipv4-addr:value='192.0.2.1']", []string{"ipv4 192.0.2.1"}, nil},
	{"  [ ipv4-addr:value = '192.0.2.0/24' ]  ", []string{"cidr 192.0.2.0/24"}, nil},
	{"[ipv4-addr:value = '192.0.2.9/32']", []string{"ipv4 192.0.2.9"}, nil},
	{"[ipv4-addr:value = '2001:db8::1']", nil, []string{"not an IPv4 address"}},
	{"[ipv6-addr:value = '2001:DB8::1']", []string{"ipv6 2001:db8::1"}, nil},
	{"[ipv6-addr:value = '192.0.2.1']", nil, []string{"not an IPv6 address"}},
	{"[ipv6-addr:value = '2001:db8::/32']", []string{"cidr 2001:db8::/32"}, nil},
	{"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", []string{"cidr 10.0.0.0/8"}, nil},
	{"[ipv4-addr:value ISSUBSET '10.0.0.1']", nil, []string{"ISSUBSET needs a CIDR prefix"}},
	{"[ipv4-addr:value ISSUPERSET '10.0.0.0/8']", nil, []string{"unsupported pattern: ipv4-addr:value ISSUPERSET '10.0.0.0/8' (operator ISSUPERSET"}},
	{"[domain-name:value = 'Evil.Example']", []string{"domain evil.example"}, nil},
	{"[domain-name:value = 'not a domain']", nil, []string{"domain-name:value: domain"}},
	{"[url:value = 'https://evil.example/a?b=c']", []string{"url https://evil.example/a?b=c"}, nil},
	{"[url:value = 'evil.example/a']", nil, []string{"url"}},
	{"[file:name = 'spinstall0.aspx']", []string{"file_name spinstall0.aspx"}, nil},
	{"[file:name = 'How to decrypt my data.log']", []string{"file_name How to decrypt my data.log"}, nil},
	{"[file:hashes.'SHA-256' = '92BB4DDB98EEAF11FC15BB32E71D0A63256A0ED826A03BA293CE3A8BF057A514']", []string{"sha256 92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514"}, nil},
	{"[file:hashes.sha256 = '92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514']", []string{"sha256 92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514"}, nil},
	{"[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", []string{"sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709"}, nil},
	{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", []string{"md5 d41d8cd98f00b204e9800998ecf8427e"}, nil},
	{"[artifact:hashes.md5 = 'd41d8cd98f00b204e9800998ecf8427e']", []string{"md5 d41d8cd98f00b204e9800998ecf8427e"}, nil},
	{"[file:hashes.MD5 = 'abc']", nil, []string{"md5"}},
	{"[file:hashes.'SSDEEP' = '3:a:b']", nil, []string{`hash algorithm "SSDEEP" is not supported`}},
	{"[email-addr:value = 'a@Example.com']", []string{"email a@example.com"}, nil},
	{"[email-message:from_ref.value = 'a@example.com']", []string{"email a@example.com"}, nil},
	{"[network-traffic:dst_ref.value = '192.0.2.1']", []string{"ipv4 192.0.2.1"}, nil},
	{"[network-traffic:src_ref.value = '2001:db8::1']", []string{"ipv6 2001:db8::1"}, nil},
	{"[network-traffic:dst_ref.value = 'c2.example']", []string{"domain c2.example"}, nil},
	{"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '192.0.2.1']", []string{"ipv4 192.0.2.1"}, nil},
	{"[network-traffic:dst_ref.value = '192.0.2.1' AND network-traffic:dst_ref.type = 'ipv4-addr']", []string{"ipv4 192.0.2.1"}, nil},
	{"[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '192.0.2.1']", nil, []string{"not an IPv6 address"}},
	{"[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = '192.0.2.1']", nil, []string{"domain"}},
	{"[network-traffic:dst_ref.type = 'mac-addr' AND network-traffic:dst_ref.value = '00:00:00:00:00:00']", nil, []string{"(AND: "}},
	{"[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '192.0.2.1']", nil, []string{"(AND: "}},
	{"[network-traffic:dst_ref.value = '192.0.2.1' AND network-traffic:dst_port = 443]", nil, []string{"(AND: "}},
	{"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl/8.0']", []string{"user_agent curl/8.0"}, nil},
	{"[network-traffic:extensions.'http-request-ext'.request_value = '/_layouts/15/ToolPane.aspx']", []string{"url_path /_layouts/15/ToolPane.aspx"}, nil},
	{"[network-traffic:extensions.'http-request-ext'.request_value = 'http://evil.example/x']", []string{"url http://evil.example/x"}, nil},
	{"[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]", []string{"ipv4 192.0.2.1", "ipv4 192.0.2.2"}, nil},
	{"[ipv4-addr:value IN ()]", nil, []string{"an empty set"}},
	{"[ipv4-addr:value IN ('192.0.2.1', 5)]", []string{"ipv4 192.0.2.1"}, []string{"an integer literal"}},
	{"[ipv4-addr:value = '192.0.2.1' OR domain-name:value = 'evil.example']", []string{"ipv4 192.0.2.1", "domain evil.example"}, nil},
	{"[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'evil.example']", []string{"ipv4 192.0.2.1", "domain evil.example"}, nil},
	{"([ipv4-addr:value = '192.0.2.1'] OR ([domain-name:value = 'evil.example']))", []string{"ipv4 192.0.2.1", "domain evil.example"}, nil},
	{"[(ipv4-addr:value = '192.0.2.1') OR ((domain-name:value = 'evil.example'))]", []string{"ipv4 192.0.2.1", "domain evil.example"}, nil},
	{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", []string{"md5 d41d8cd98f00b204e9800998ecf8427e", "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709"}, nil},
	{"[file:name = 'a.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", nil, []string{"unsupported pattern: file:name = 'a.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' (AND"}},
	{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND (file:hashes.MD5 = 'x' OR file:name = 'y')]", nil, []string{"AND"}},
	{"[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'evil.example']", nil, []string{"AND between observations"}},
	{"[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'evil.example']", nil, []string{"FOLLOWEDBY"}},
	{"[ipv4-addr:value = '192.0.2.1'] OR [a:b = 'c'] FOLLOWEDBY [domain-name:value = 'evil.example']", nil, []string{"FOLLOWEDBY"}},
	{"[domain-name:value = 'a.example'] OR [ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'b.example']", []string{"domain a.example"}, []string{"AND between observations"}},
	{"[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS", nil, []string{"the WITHIN qualifier"}},
	{"[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES WITHIN 60.5 SECONDS", nil, []string{"the REPEATS and WITHIN qualifiers"}},
	{"[ipv4-addr:value = '192.0.2.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", nil, []string{"START qualifier"}},
	{"[ipv4-addr:value != '192.0.2.1']", nil, []string{"operator !="}},
	{"[ipv4-addr:value <> '192.0.2.1']", nil, []string{"operator !="}},
	{"[ipv4-addr:value NOT = '192.0.2.1']", nil, []string{"NOT"}},
	{"[file:size > 100]", nil, []string{"object path file:size"}},
	{"[file:name LIKE 'spinstall%.aspx']", nil, []string{"operator LIKE"}},
	{"[file:name MATCHES '^spinstall\\\\d\\\\.aspx$']", nil, []string{"operator MATCHES"}},
	{"[EXISTS domain-name:value]", nil, []string{"operator EXISTS"}},
	{"[process:name = 'w3wp.exe']", nil, []string{"object path process:name is not one of the indicator types"}},
	{"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", nil, []string{"object path file:extensions.windows-pebinary-ext.sections.[*].entropy"}},
	{"[x-custom-object:value = 'a']", nil, []string{"object path x-custom-object:value"}},
	{"[domain-name:value = true]", nil, []string{"a boolean literal"}},
	{"[file:hashes.MD5 = h'd41d8cd98f00b204e9800998ecf8427e']", nil, []string{"a hex literal"}},
	{"[file:name = b'c3BpbnN0YWxsMC5hc3B4']", nil, []string{"a binary literal"}},
	{"[file:name = 'it\\'s.exe']", []string{"file_name it's.exe"}, nil},
	{"[file:name = 'back\\\\slash.exe']", []string{`file_name back\slash.exe`}, nil},
	{"[ipv4-addr:value = '192.0.2.1'] or [ipv4-addr:value = '192.0.2.2']", []string{"ipv4 192.0.2.1", "ipv4 192.0.2.2"}, nil},
	// Syntax errors reject the whole pattern.
	{"", nil, []string{"pattern syntax error"}},
	{"ipv4-addr:value = '192.0.2.1'", nil, []string{"pattern syntax error", "expected '[' or '('"}},
	{"[ipv4-addr:value = '192.0.2.1'", nil, []string{"pattern syntax error", "expected ']'"}},
	{"[ipv4-addr:value = '192.0.2.1]", nil, []string{"pattern syntax error", "unterminated string"}},
	{"[ipv4-addr:value = '192.0.2.1'] OR", nil, []string{"pattern syntax error"}},
	{"[ipv4-addr:value = '192.0.2.1'] [ipv4-addr:value = '192.0.2.2']", nil, []string{"pattern syntax error", "unexpected"}},
	{"[ipv4-addr:value = '192.0.2.1'] WITHIN SECONDS", nil, []string{"pattern syntax error", "positive number"}},
	{"[ipv4-addr:value = '192.0.2.1'] REPEATS 1.5 TIMES", nil, []string{"pattern syntax error"}},
	{"[ipv4-addr:value = '\\x']", nil, []string{"pattern syntax error", "escaped"}},
	{"[ipv4-addr:value = ]", nil, []string{"pattern syntax error", "expected a literal"}},
	{"[ipv4-addr: = '1']", nil, []string{"pattern syntax error", "property name"}},
	{"[file:a[x] = '1']", nil, []string{"pattern syntax error", "list index"}},
	{"[ipv4-addr:value IN ('a' 'b')]", nil, []string{"pattern syntax error"}},
	{"[ipv4-addr:value ! '1']", nil, []string{"pattern syntax error"}},
	{"[ipv4-addr:value = '1'] FOO", nil, []string{"pattern syntax error", "FOO"}},
	{"[ipv4-addr:value = '1' @]", nil, []string{"pattern syntax error", "'@'"}},
	{"[ipv4-addr:value < true]", nil, []string{"pattern syntax error", "boolean"}},
	{"[file:name LIKE 5]", nil, []string{"pattern syntax error", "needs a string"}},
	{"[ipv4-addr:value = 1.2.3]", nil, []string{"pattern syntax error", "bad number"}},
	{strings.Repeat("(", 200) + "[ipv4-addr:value = '1']" + strings.Repeat(")", 200), nil, []string{"pattern syntax error", "nested"}},
	{"[" + strings.Repeat("(", 200) + "ipv4-addr:value = '1'" + strings.Repeat(")", 200) + "]", nil, []string{"pattern syntax error", "nested"}},
	{"[ipv4-addr:value = '" + strings.Repeat("1", MaxLine) + "']", nil, []string{"pattern is"}},
}

func TestExtractPattern(t *testing.T) {
	for _, tt := range patternTests {
		t.Run(shorten(tt.pattern, 80), func(t *testing.T) {
			vals, problems := extractPattern(tt.pattern)
			var got []string
			for _, v := range vals {
				got = append(got, string(v.Type)+" "+v.Value)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("extractPattern(%q) values = %q, want %q", tt.pattern, got, tt.want)
			}
			if len(problems) != len(tt.problems) && !(len(tt.problems) > 0 && strings.HasPrefix(tt.problems[0], "pattern") && len(problems) == 1) {
				t.Errorf("extractPattern(%q) problems = %q, want %d matching %q", tt.pattern, problems, len(tt.problems), tt.problems)
				return
			}
			if len(tt.problems) > 0 && strings.HasPrefix(tt.problems[0], "pattern") {
				// One syntax problem; every want is a substring of it.
				for _, w := range tt.problems {
					if !strings.Contains(problems[0], w) {
						t.Errorf("extractPattern(%q) problem = %q, want it to contain %q", tt.pattern, problems[0], w)
					}
				}
				return
			}
			for i, w := range tt.problems {
				if !strings.Contains(problems[i], w) {
					t.Errorf("extractPattern(%q) problem %d = %q, want it to contain %q", tt.pattern, i, problems[i], w)
				}
			}
		})
	}
}
