package incident

import (
	"strings"
	"testing"
)

// indicatorTests lists values of every indicator type; want is the
// canonical form, or "" when the value must be refused.
var indicatorTests = []struct {
	typ  IndicatorType
	in   string
	want string
}{
	{IndIPv4, "192.0.2.1", "192.0.2.1"},
	{IndIPv4, " 192.0.2.1\n", "192.0.2.1"},
	{IndIPv4, "0.0.0.0", "0.0.0.0"},
	{IndIPv4, "255.255.255.255", "255.255.255.255"},
	{IndIPv4, "", ""},
	{IndIPv4, "   ", ""},
	{IndIPv4, "192.0.2.256", ""},
	{IndIPv4, "192.0.2", ""},
	{IndIPv4, "192.0.2.1.5", ""},
	{IndIPv4, "192.000.002.001", ""},
	{IndIPv4, "192.0.2.1/32", ""},
	{IndIPv4, "2001:db8::1", ""},
	{IndIPv4, "::ffff:192.0.2.1", ""},
	{IndIPv4, "example.com", ""},

	{IndIPv6, "2001:db8::1", "2001:db8::1"},
	{IndIPv6, "2001:DB8::1", "2001:db8::1"},
	{IndIPv6, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	{IndIPv6, "\t::1 ", "::1"},
	{IndIPv6, "::", "::"},
	{IndIPv6, "::ffff:192.0.2.1", ""},
	{IndIPv6, "::ffff:c000:201", ""},
	{IndIPv6, "192.0.2.1", ""},
	{IndIPv6, "2001:db8::g", ""},
	{IndIPv6, "2001:db8:::1", ""},
	{IndIPv6, "[2001:db8::1]", ""},
	{IndIPv6, "2001:db8::/32", ""},
	{IndIPv6, "", ""},

	{IndCIDR, "10.1.2.3/8", "10.0.0.0/8"},
	{IndCIDR, "192.0.2.0/24", "192.0.2.0/24"},
	{IndCIDR, "192.0.2.77/32", "192.0.2.77/32"},
	{IndCIDR, "0.0.0.0/0", "0.0.0.0/0"},
	{IndCIDR, "1.2.3.4/0", "0.0.0.0/0"},
	{IndCIDR, " 198.51.100.9/30 ", "198.51.100.8/30"},
	{IndCIDR, "2001:DB8:1:2::7/32", "2001:db8::/32"},
	{IndCIDR, "2001:db8::1/128", "2001:db8::1/128"},
	{IndCIDR, "10.0.0.0/33", ""},
	{IndCIDR, "10.0.0.0/-1", ""},
	{IndCIDR, "10.0.0.0/", ""},
	{IndCIDR, "10.0.0.0", ""},
	{IndCIDR, "10.0.0/8", ""},
	{IndCIDR, "2001:db8::/129", ""},
	{IndCIDR, "example.com/24", ""},
	{IndCIDR, "", ""},

	{IndDomain, "example.com", "example.com"},
	{IndDomain, "Example.COM.", "example.com"},
	{IndDomain, "  WWW.Example.com.\n", "www.example.com"},
	{IndDomain, "mail-01.sub.example.co.uk", "mail-01.sub.example.co.uk"},
	{IndDomain, "*.example.com", "*.example.com"},
	{IndDomain, "_dmarc.example.com", "_dmarc.example.com"},
	{IndDomain, "xn--bcher-kva.example", "xn--bcher-kva.example"},
	{IndDomain, strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com"},
	{IndDomain, strings.Repeat("a", 64) + ".com", ""},
	{IndDomain, strings.Repeat("abcdefghi.", 25) + "com", strings.Repeat("abcdefghi.", 25) + "com"}, // 253 bytes
	{IndDomain, strings.Repeat("abcdefghi.", 25) + "info", ""},                                      // 254 bytes
	{IndDomain, "localhost", ""},
	{IndDomain, "localhost.", ""},
	{IndDomain, "example..com", ""},
	{IndDomain, ".example.com", ""},
	{IndDomain, "example.com..", ""},
	{IndDomain, "exa mple.com", ""},
	{IndDomain, "bücher.example", ""},
	{IndDomain, "example.com/path", ""},
	{IndDomain, "http://example.com", ""},
	{IndDomain, "user@example.com", ""},
	{IndDomain, ".", ""},
	{IndDomain, "", ""},

	{IndURL, "https://example.com/a?b=c", "https://example.com/a?b=c"},
	{IndURL, "  http://Evil.Example:8080/Path#frag\n", "http://Evil.Example:8080/Path#frag"},
	{IndURL, "hxxp://evil.example/x", "hxxp://evil.example/x"},
	{IndURL, "http://[2001:db8::1]/", "http://[2001:db8::1]/"},
	{IndURL, "/relative/path", ""},
	{IndURL, "example.com/path", ""},
	{IndURL, "mailto:someone@example.com", ""},
	{IndURL, "http://[::1", ""},
	{IndURL, "http://exa mple.com/", ""},
	{IndURL, "http://example.com/a\x7fb", ""},
	{IndURL, "", ""},

	{IndURLPath, "/wp-login.php", "/wp-login.php"},
	{IndURLPath, "/aspnet_client/system_web/shell.aspx?cmd=whoami", "/aspnet_client/system_web/shell.aspx?cmd=whoami"},
	{IndURLPath, " /", "/"},
	{IndURLPath, "wp-login.php", ""},
	{IndURLPath, "https://example.com/x", ""},
	{IndURLPath, "", ""},

	{IndSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{IndSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{IndSHA256, " E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852B855 ", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{IndSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", ""},
	{IndSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", ""},
	{IndSHA256, "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
	{IndSHA256, "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
	{IndSHA256, "", ""},
	{IndSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	{IndSHA1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	{IndSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd8070", ""},
	{IndSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd807090", ""},
	{IndSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd8070z", ""},
	{IndSHA1, "d41d8cd98f00b204e9800998ecf8427e", ""},
	{IndMD5, "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"},
	{IndMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
	{IndMD5, "d41d8cd98f00b204e9800998ecf8427", ""},
	{IndMD5, "d41d8cd98f00b204e9800998ecf8427e0", ""},
	{IndMD5, "d41d8cd98f00b204e9800998ecf8427x", ""},
	{IndMD5, "d41d8cd98f00b204-e9800998ecf8427e", ""},
	{IndMD5, "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},

	{IndEmail, "alice@example.com", "alice@example.com"},
	{IndEmail, "Alice.Smith@Example.COM", "Alice.Smith@example.com"},
	{IndEmail, " bob+tag@mail.example.org\n", "bob+tag@mail.example.org"},
	{IndEmail, "a@b", "a@b"},
	{IndEmail, "@example.com", ""},
	{IndEmail, "alice@", ""},
	{IndEmail, "alice", ""},
	{IndEmail, "alice smith@example.com", ""},
	{IndEmail, "<alice@example.com>", ""},
	{IndEmail, "alice\t@example.com", ""},
	{IndEmail, "alice@exam\nple.com", ""},
	{IndEmail, "", ""},

	{IndFileName, "invoice.pdf.exe", "invoice.pdf.exe"},
	{IndFileName, "  evil.dll \n", "evil.dll"},
	{IndFileName, `C:\Windows\Temp\x.ps1`, `C:\Windows\Temp\x.ps1`},
	{IndFileName, "a\nb.exe", ""},
	{IndFileName, "a\rb.exe", ""},
	{IndFileName, "", ""},

	{IndUserAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
	{IndUserAgent, "curl/8.5.0\r\nX-Injected: 1", ""},
	{IndUserAgent, "", ""},

	{"hash", "d41d8cd98f00b204e9800998ecf8427e", ""},
	{"IPV4", "192.0.2.1", ""},
	{"", "192.0.2.1", ""},
}

func TestNormalizeIndicator(t *testing.T) {
	for _, tt := range indicatorTests {
		t.Run(string(tt.typ)+"/"+tt.in, func(t *testing.T) {
			got, err := NormalizeIndicator(tt.typ, tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("NormalizeIndicator(%q, %q) = %q, nil, want an error", tt.typ, tt.in, got)
				} else if got != "" {
					t.Errorf("NormalizeIndicator(%q, %q) = %q, %v, want \"\" with the error", tt.typ, tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeIndicator(%q, %q) = %q, %v, want %q, nil", tt.typ, tt.in, got, err, tt.want)
			}
		})
	}
}

// TestNormalizeIndicatorCoversEveryType makes sure the table above keeps
// up with the list of indicator types.
func TestNormalizeIndicatorCoversEveryType(t *testing.T) {
	accepted := map[IndicatorType]bool{}
	refused := map[IndicatorType]bool{}
	for _, tt := range indicatorTests {
		if tt.want != "" {
			accepted[tt.typ] = true
		} else {
			refused[tt.typ] = true
		}
	}
	for _, typ := range IndicatorTypes {
		if !accepted[typ] || !refused[typ] {
			t.Errorf("indicatorTests: type %q has accepted case %v, refused case %v, want both", typ, accepted[typ], refused[typ])
		}
	}
}

func FuzzNormalizeIndicator(f *testing.F) {
	for _, tt := range indicatorTests {
		f.Add(string(tt.typ), tt.in)
	}
	f.Fuzz(func(t *testing.T, typ, in string) {
		got, err := NormalizeIndicator(IndicatorType(typ), in)
		if err != nil {
			if got != "" {
				t.Errorf("NormalizeIndicator(%q, %q) = %q, %v, want \"\" with the error", typ, in, got, err)
			}
			return
		}
		if got == "" {
			t.Fatalf("NormalizeIndicator(%q, %q) = \"\", nil, want a value or an error", typ, in)
		}
		again, err := NormalizeIndicator(IndicatorType(typ), got)
		if err != nil || again != got {
			t.Errorf("NormalizeIndicator(%q, %q) = %q, %v, want %q, nil (normalising %q again)", typ, got, again, err, got, in)
		}
	})
}
