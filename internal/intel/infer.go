package intel

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Pseudo-types accepted in a type:value prefix or a CSV type column: the
// concrete type follows from the value.
const (
	anyIP   incident.IndicatorType = "ip"   // ipv4, ipv6 or cidr
	anyHash incident.IndicatorType = "hash" // sha256, sha1 or md5 by length
)

// typeNames maps the names accepted for indicator types, in lower case, to
// types: the canonical names, a few common spellings, and MISP attribute
// types that correspond to one of ours.
var typeNames = map[string]incident.IndicatorType{
	"ip": anyIP, "ip-src": anyIP, "ip-dst": anyIP, "ip-addr": anyIP, "ipv4-addr": anyIP, "ipv6-addr": anyIP,
	"hash":     anyHash,
	"filename": incident.IndFileName, "file-name": incident.IndFileName,
	"ua": incident.IndUserAgent, "useragent": incident.IndUserAgent, "user-agent": incident.IndUserAgent,
	"hostname": incident.IndDomain, "fqdn": incident.IndDomain, "domain-name": incident.IndDomain,
	"e-mail": incident.IndEmail, "email-src": incident.IndEmail, "email-dst": incident.IndEmail, "email-addr": incident.IndEmail,
	"uri": incident.IndURLPath, "url-path": incident.IndURLPath, "path": incident.IndURLPath,
	"sha-256": incident.IndSHA256, "sha-1": incident.IndSHA1,
}

func init() {
	for _, t := range incident.IndicatorTypes {
		typeNames[string(t)] = t
	}
}

// lookupType returns the type named s (case-insensitive), which may be
// anyIP or anyHash.
func lookupType(s string) (incident.IndicatorType, bool) {
	t, ok := typeNames[strings.ToLower(strings.TrimSpace(s))]
	return t, ok
}

// fileExtensions are the extensions that make a bare name a file name (see
// InferType). Extensions that are also top-level domains in use (zip, mov,
// sh, py, pl, ps, so, rs, md, cab, one, app, com, …) are deliberately absent:
// such names are read as domains, and a file must be written file_name:x.zip.
var fileExtensions = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`
		asp aspx ashx asmx ascx axd cshtml config jsp jspx php php3 php4 php5 php7 phtml phar cgi war
		js jse vbs vbe wsf wsh hta ps1 psm1 psd1 bat cmd sct
		exe dll sys scr cpl ocx drv msi msp efi elf dylib lnk jar class apk dmg iso img vhd vhdx
		doc docx docm xls xlsx xlsm ppt pptx pptm rtf pdf
		7z rar gz tgz tar bz2 xz
		log txt dat tmp bin css htm html xml json ini`) {
		fileExtensions[e] = true
	}
}

// refanger undoes the defanging common in threat-intelligence reports.
var refanger = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", `\.`, ".",
	"[dot]", ".", "(dot)", ".", "{dot}", ".", "[DOT]", ".", "(DOT)", ".", "{DOT}", ".",
	"[:]", ":", "[://]", "://", "[/]", "/",
	"[@]", "@", "[at]", "@", "(at)", "@", "[AT]", "@", "(AT)", "@",
)

// Refang undoes common defanging: the schemes hxxp and hxxps (any case)
// become http and https, fxp becomes ftp, and [.], (.), {.}, \., [dot],
// [:], [://], [/], [@] and [at] become the character they stand for.
func Refang(s string) string {
	// Every defanged form starts with one of these: most values have none,
	// and the replacer costs more than the rest of parsing them.
	if strings.ContainsAny(s, `[({\`) {
		s = refanger.Replace(s)
	}
	switch l := strings.ToLower(s[:min(len(s), 6)]); {
	case strings.HasPrefix(l, "hxxps:"):
		s = "https" + s[5:]
	case strings.HasPrefix(l, "hxxp:"):
		s = "http" + s[4:]
	case strings.HasPrefix(l, "fxp:"):
		s = "ftp" + s[3:]
	}
	return s
}

// InferType tells the type of an indicator written without one, after
// refanging it (see Refang). The rules, in order:
//
//   - a value with white space or control characters is none (user agents,
//     and file names with spaces, need an explicit type);
//   - scheme://… is a url;
//   - /… is a url_path (but not "/" alone);
//   - 64, 40 or 32 hex digits are a sha256, sha1 or md5; other hex-only
//     strings are none;
//   - a.b.c.d/n or v6/n is a cidr (a /32 or /128 is the address: ipv4 or
//     ipv6); host[:port]/path, where host is a domain
//     or address, is a url (ParseValue prepends http://);
//   - an IPv4 or IPv6 address (no zone, not IPv4-mapped) is ipv4 or ipv6;
//   - local@domain is an email;
//   - a name without slashes, backslashes or colons whose extension
//     (case-insensitive) is a common file type — web pages and scripts
//     (.aspx, .php, .jsp, .js, .ps1, …), executables and libraries (.exe,
//     .dll, …), documents, archives, and .log/.txt/.css/.dat/… — is a
//     file_name; extensions that are also top-level domains (.zip, .mov,
//     .sh, .py, .pl, .com, .app, …) are not in that list;
//   - labels of letters, digits, '-' and '_' joined by dots, with a
//     top-level label of two or more letters (or xn--punycode), is a domain;
//     a leading "*." is allowed.
//
// Anything else (1.2.3, foo.123, "version 1.0") is not an indicator.
// The second result is false when no type fits.
func InferType(value string) (incident.IndicatorType, bool) {
	t, _, ok := infer(Refang(strings.TrimSpace(value)))
	return t, ok
}

// ParseValue reads one indicator written as a plain list holds it: either
// "type:value" (type as in incident.IndicatorTypes, or ip, hash, filename,
// ua, hostname, and a few other spellings) or a bare value whose type
// InferType can tell. Defanged values are refanged (user agents are taken
// as written). It returns the type and the normalised value, or an error
// saying why the value is not an indicator.
func ParseValue(s string) (incident.IndicatorType, string, error) {
	s = strings.TrimSpace(s)
	if t, rest, ok := splitPrefix(s); ok {
		return explicit(t, rest)
	}
	if len(s) > incident.MaxValue {
		return "", "", fmt.Errorf("value is %d bytes long, the limit is %d", len(s), incident.MaxValue)
	}
	t, v, ok := infer(Refang(s))
	if !ok {
		return "", "", fmt.Errorf("cannot tell what kind of indicator %s is (write it as type:value)", quote(s))
	}
	n, err := incident.NormalizeIndicator(t, v)
	if err != nil {
		return "", "", fmt.Errorf("%s %s", t, err)
	}
	return t, n, nil
}

// splitPrefix splits "type:value" when the text before the first colon
// names a type (and what follows is not "//", as in file://).
func splitPrefix(s string) (incident.IndicatorType, string, bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i > 20 || strings.HasPrefix(s[i+1:], "//") {
		return "", "", false
	}
	t, ok := lookupType(s[:i])
	if !ok {
		return "", "", false
	}
	return t, s[i+1:], true
}

// explicit normalises v as an indicator of type t, which may be anyIP or
// anyHash.
func explicit(t incident.IndicatorType, v string) (incident.IndicatorType, string, error) {
	v = strings.TrimSpace(v)
	if len(v) > incident.MaxValue {
		return "", "", fmt.Errorf("value is %d bytes long, the limit is %d", len(v), incident.MaxValue)
	}
	if t != incident.IndUserAgent {
		v = Refang(v)
	}
	switch t {
	case anyIP:
		if p, err := netip.ParsePrefix(v); err == nil {
			return hostPrefix(p)
		}
		a, err := netip.ParseAddr(v)
		switch {
		case err != nil:
			return "", "", fmt.Errorf("%s is not an IP address or CIDR prefix", quote(v))
		case a.Is4():
			t = incident.IndIPv4
		default:
			t = incident.IndIPv6
		}
	case anyHash:
		switch len(v) {
		case 64:
			t = incident.IndSHA256
		case 40:
			t = incident.IndSHA1
		case 32:
			t = incident.IndMD5
		default:
			return "", "", fmt.Errorf("%s is not a SHA-256, SHA-1 or MD5 hash (64, 40 or 32 hex digits)", quote(v))
		}
	}
	n, err := incident.NormalizeIndicator(t, v)
	if err != nil {
		return "", "", fmt.Errorf("%s %s", t, err)
	}
	if err := checkText(n); err != nil {
		return "", "", err
	}
	return t, n, nil
}

// hostPrefix returns a prefix as a cidr, or, for a /32 or /128, as the
// single address.
func hostPrefix(p netip.Prefix) (incident.IndicatorType, string, error) {
	if p.IsSingleIP() && p.Addr().Zone() == "" && !p.Addr().Is4In6() {
		if p.Addr().Is4() {
			return incident.IndIPv4, p.Addr().String(), nil
		}
		return incident.IndIPv6, p.Addr().String(), nil
	}
	n, err := incident.NormalizeIndicator(incident.IndCIDR, p.String())
	if err != nil {
		return "", "", fmt.Errorf("cidr %s", err)
	}
	return incident.IndCIDR, n, nil
}

// checkText refuses what incident.Indicator.Validate would: invalid UTF-8
// and NUL bytes.
func checkText(v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("value is not valid UTF-8")
	}
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("value contains a NUL byte")
	}
	return nil
}

// infer applies InferType's rules to v, which is already refanged, and
// returns the type and the value to normalise (a scheme-less URL gets http://).
func infer(v string) (incident.IndicatorType, string, bool) {
	if v == "" || len(v) > incident.MaxValue || !utf8.ValidString(v) ||
		strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", "", false
	}
	if i := strings.Index(v, "://"); i > 0 && isScheme(v[:i]) {
		if _, err := incident.NormalizeIndicator(incident.IndURL, v); err == nil {
			return incident.IndURL, v, true
		}
		return "", "", false
	}
	if v[0] == '/' {
		if strings.Trim(v, "/") == "" {
			return "", "", false
		}
		return incident.IndURLPath, v, true
	}
	if isHex(v) {
		switch len(v) {
		case 64:
			return incident.IndSHA256, v, true
		case 40:
			return incident.IndSHA1, v, true
		case 32:
			return incident.IndMD5, v, true
		}
		return "", "", false
	}
	if i := strings.IndexByte(v, '/'); i > 0 {
		if p, err := netip.ParsePrefix(v); err == nil {
			if p.Addr().Zone() != "" {
				return "", "", false
			}
			if p.IsSingleIP() && !p.Addr().Is4In6() {
				t, a, _ := hostPrefix(p)
				return t, a, true
			}
			return incident.IndCIDR, v, true
		}
		if _, err := netip.ParseAddr(v[:i]); err == nil && isPort(v[i+1:]) {
			return "", "", false // a bad prefix length, not a path
		}
		if isHost(v[:i]) {
			u := "http://" + v
			if _, err := incident.NormalizeIndicator(incident.IndURL, u); err == nil {
				return incident.IndURL, u, true
			}
		}
		return "", "", false
	}
	if a, err := netip.ParseAddr(v); err == nil {
		switch {
		case a.Zone() != "" || a.Is4In6():
			return "", "", false
		case a.Is4():
			return incident.IndIPv4, v, true
		default:
			return incident.IndIPv6, v, true
		}
	}
	if at := strings.LastIndexByte(v, '@'); at >= 0 {
		local := v[:at]
		if local != "" && !strings.ContainsAny(local, "@<>()[]\\,;:\"") && isDomain(v[at+1:]) {
			return incident.IndEmail, v, true
		}
		return "", "", false
	}
	if isFileName(v) {
		return incident.IndFileName, v, true
	}
	if isDomain(v) {
		return incident.IndDomain, v, true
	}
	return "", "", false
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, '+', '-' or '.'.
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// isHex reports whether s is made only of hex digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// isHost reports whether s is a domain or an IP address, optionally with a
// port (IPv6 addresses in brackets).
func isHost(s string) bool {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Zone() == ""
	}
	if i := strings.LastIndexByte(s, ':'); i > 0 && isPort(s[i+1:]) {
		s = s[:i]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Is4()
	}
	return isDomain(s)
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDomain reports whether s looks like a domain name: at least two labels
// of ASCII letters, digits, '-' and '_' (not starting or ending with '-'),
// an optional leading "*." and trailing dot, and a top-level label of two or
// more letters or an xn-- punycode label.
func isDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	s = strings.TrimPrefix(s, "*.")
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i] | 0x20
			if !(c >= 'a' && c <= 'z' || l[i] >= '0' && l[i] <= '9' || l[i] == '-' || l[i] == '_') {
				return false
			}
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(tld, "xn--") {
		return len(tld) > 4
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

// isFileName reports whether s is a bare file name with one of the
// extensions in fileExtensions: no slashes, backslashes, colons or other
// characters Windows refuses in names ('*' is allowed, for patterns such as
// ghostfile*.aspx), and something before the extension.
func isFileName(s string) bool {
	if strings.ContainsAny(s, `/\:<>"|?`) {
		return false
	}
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 {
		return false
	}
	return fileExtensions[strings.ToLower(s[dot+1:])]
}
