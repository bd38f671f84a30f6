package hunt

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/firebreak-ir/firebreak/internal/hunt/sigma"
	"github.com/firebreak-ir/firebreak/internal/hunt/yara"
	"github.com/firebreak-ir/firebreak/internal/incident"
)

//go:embed rules/*.yml rules/*.yar
var builtinRules embed.FS

// BuiltinRules returns Firebreak's own Sigma rules (see rules/README.md).
func BuiltinRules() ([]*sigma.Rule, error) {
	names, err := fs.Glob(builtinRules, "rules/*.yml")
	if err != nil {
		return nil, err
	}
	var out []*sigma.Rule
	for _, n := range names {
		b, err := builtinRules.ReadFile(n)
		if err != nil {
			return nil, err
		}
		rules, err := sigma.Parse("builtin:"+n, b)
		if err != nil {
			return nil, fmt.Errorf("built-in rule %s: %w", n, err)
		}
		out = append(out, rules...)
	}
	return out, nil
}

// BuiltinIndicators returns the published file names and hashes of the
// ToolShell web shells, the tools that followed and the Warlock and 4L4MD4R
// ransomware (../../../shared/threat-notes/toolshell.md has the sources:
// Rapid7, Microsoft, Unit 42, bartblaze). They serve file-tree hunts.
func BuiltinIndicators() []incident.Indicator {
	var out []incident.Indicator
	add := func(t incident.IndicatorType, source, note string, values ...string) {
		for _, v := range values {
			out = append(out, incident.Indicator{Type: t, Value: v, Source: source, Note: note, Confidence: 90, TLP: incident.TLPClear,
				Tags: []string{"toolshell", "builtin"}})
		}
	}
	add(incident.IndFileName, "Microsoft via secondary copies; Eye Security", "ToolShell web shell or its compiled artefact",
		"spinstall0.aspx", "spinstall.aspx", "spinstall1.aspx", "spinstall2.aspx", "ghostfile*.aspx", "App_Web_spinstall0.aspx.*.dll")
	add(incident.IndFileName, "bartblaze Yara-rules; Symantec/Trend via press", "Warlock ransomware (Storm-2603)",
		"How to decrypt my data.log", "*.x2anylock")
	add(incident.IndSHA256, "Rapid7; Microsoft", "spinstall0.aspx (reads the ASP.NET machine keys)",
		"92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514")
	add(incident.IndSHA256, "Microsoft via secondary copies", "ToolShell web shell",
		"24480dbe306597da1ba393b6e30d542673066f98826cc07ac4b9033137f37dbf",
		"b5a78616f709859a0d9f830d28ff2f9dbbb2387df1753739407917e96dadf6b0",
		"c27b725ff66fdfb11dd6487a3815d1d1eba89d61b0e919e4d06ed3ac6a74fe94",
		"1eb914c09c873f0a7bcf81475ab0f6bdfaccc6b63bf7e5f2dbf19295106af192")
	add(incident.IndSHA256, "Microsoft via secondary copies", "IIS backdoor DLL", "4c1750a14915bf2c0b093c2cb59063912dfa039a2adfe6d26d6914804e2ae928")
	add(incident.IndSHA256, "Microsoft via secondary copies", "post-exploitation tool (SharpHostInfo, xd.exe reverse proxy)",
		"d6da885c90a5d1fb88d0a3f0b5d9817a82d5772d5510a0773c80ca581ce2486d",
		"62881359e75c9e8899c4bc9f452ef9743e68ce467f8b3e4398bebacde9550dea")
	add(incident.IndSHA256, "Unit 42", ".NET module seen with ToolShell exploitation",
		"4a02a72aedc3356d8cb38f01f0e0b9f26ddc5ccb7c0f04a561337cf24aa84030",
		"b39c14becb62aeb55df7fd55c814afbb0d659687d947d917512fe67973100b70",
		"fa3a74a6c015c801f5341c02be2cbdfb301c6ed60633d49fc0bc723617741af7")
	add(incident.IndSHA256, "Unit 42", "4L4MD4R ransomware", "33067028e35982c7b9fdcfe25eb4029463542451fdff454007832cf953feaf1e")
	add(incident.IndSHA256, "bartblaze; press", "Warlock ransomware", "abb0fa128d3a75e69b59fe0391c1158eb84a799ddb0abc55d2d6be3511ef0ea1")
	return out
}

// contentRule flags a server-side script whose text holds all of the
// strings of one of its groups (ASCII case ignored).
type contentRule struct {
	id, title string
	severity  incident.Severity
	exts      []string
	allOf     [][]string // the file matches when, for some group, all strings occur
	source    string
}

// contentRules are Firebreak's own content checks for ASP.NET web shells,
// a YARA-free first line until YARA rules are wired in.
var contentRules = []contentRule{
	{id: "webshell-aspx-machinekey", title: "ASP.NET page that reads the machine keys (spinstall0-style web shell)",
		severity: incident.SeverityCritical, exts: []string{".aspx", ".ashx", ".asmx", ".ascx"},
		allOf:  [][]string{{"MachineKeySection", "GetApplicationConfig"}, {"ValidationKey", "DecryptionKey", "Reflection"}},
		source: "Rapid7 and Microsoft on spinstall0.aspx behaviour (toolshell.md)"},
	{id: "webshell-aspx-command", title: "ASP.NET page that runs shell commands from a request",
		severity: incident.SeverityHigh, exts: []string{".aspx", ".ashx", ".asmx", ".ascx", ".asp"},
		allOf: [][]string{
			{"ProcessStartInfo", "cmd.exe", "Request"},
			{"Process.Start", "cmd.exe", "Request"},
			{"ProcessStartInfo", "powershell", "Request"},
			{"Process.Start", "powershell", "Request"},
			{"WScript.Shell", "Request"},
		},
		source: "MITRE ATT&CK T1505.003 web shells"},
}

// BuiltinYARASources returns Firebreak's own YARA rules (rules/*.yar) by name.
func BuiltinYARASources() (map[string][]byte, error) {
	names, err := fs.Glob(builtinRules, "rules/*.yar")
	if err != nil {
		return nil, err
	}
	sources := map[string][]byte{}
	for _, n := range names {
		b, err := builtinRules.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sources["builtin:"+n] = b
	}
	return sources, nil
}

// BuiltinYARA compiles Firebreak's own YARA rules. Without cgo it returns
// yara.ErrUnavailable.
func BuiltinYARA() (*yara.Rules, error) {
	sources, err := BuiltinYARASources()
	if err != nil {
		return nil, err
	}
	return yara.Compile(sources)
}
