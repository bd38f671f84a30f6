/*
 * Firebreak's built-in YARA rules: the SharePoint "ToolShell" web shells
 * (CVE-2025-53770/53771/49704/49706), ASP.NET web shells in general, and the
 * Warlock ransomware that followed. Written by the Firebreak project from
 * published facts; each rule cites its source
 * (../../../../shared/threat-notes/toolshell.md collects them).
 *
 * They run against every file of a tree, so they must stay precise: the
 * tests in internal/hunt/yara check them against synthetic samples of each
 * behaviour and against benign SharePoint look-alikes that must not match.
 * They compile with YARA 3.8 (the embedded libyara) and 4.x (the yara CLI)
 * and import no module.
 *
 * Meta: description (the finding's title), author, reference, date and
 * severity (critical, high, medium).
 */

// Server-side ASP.NET markup (a page, handler, service or control), and not
// a PE file: compiled assemblies such as System.Web.dll name the same APIs.
private rule Firebreak_ASPNET_Markup
{
    strings:
        $dir = "<%@" ascii wide
        $srv1 = "runat=\"server\"" nocase ascii wide
        $srv2 = "runat='server'" nocase ascii wide
        $srv3 = "runat=server" nocase ascii wide
    condition:
        uint16(0) != 0x5A4D and filesize < 4MB and any of them
}

// An ASP.NET request value, read by C#, VB.NET or JScript: Request["x"],
// Request("x"), Request.Form["x"], Request.QueryString.Get("x"),
// Request.Item["x"], Request.Headers[...], or the body stream.
private rule Firebreak_ASPNET_Request_Value
{
    strings:
        $idx = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|ServerVariables)\s*)?(\.\s*Get\s*)?[\[(]/ nocase ascii wide
        $body1 = "Request.InputStream" nocase ascii wide
        $body2 = "Request.BinaryRead" nocase ascii wide
    condition:
        any of them
}

rule Firebreak_ToolShell_ASPX_MachineKey_Reader : webshell toolshell
{
    meta:
        description = "ASP.NET page that reads the machine keys (spinstall0.aspx-style ToolShell web shell)"
        author = "Firebreak"
        reference = "https://research.eye.security/sharepoint-under-siege/; https://www.microsoft.com/en-us/security/blog/2025/07/22/disrupting-active-exploitation-of-on-premises-sharepoint-vulnerabilities/ (Rapid7 and Microsoft on spinstall0.aspx: loads System.Web by reflection, calls the internal MachineKeySection.GetApplicationConfig, writes ValidationKey, Validation, DecryptionKey, Decryption, CompatibilityMode)"
        date = "2026-11-22"
        severity = "critical"
    strings:
        $mks = "MachineKeySection" ascii wide
        // Internal (non-public): code reaches it only through reflection.
        $gac = "GetApplicationConfig" ascii wide
        $vk = "ValidationKey" ascii wide
        $dk = "DecryptionKey" ascii wide
        $write = "Response.Write" nocase ascii wide
        $refl1 = "System.Reflection" ascii wide
        $refl2 = "BindingFlags" ascii wide
        $refl3 = "GetMethod" ascii wide
        $refl4 = "InvokeMember" ascii wide
    condition:
        Firebreak_ASPNET_Markup and $mks and
        ($gac or ($vk and $dk and $write and any of ($refl*)))
}

rule Firebreak_ToolShell_Compiled_MachineKey_Reader : webshell toolshell
{
    meta:
        description = "ASP.NET compiled page assembly (App_Web_*.dll) that reads the machine keys through reflection, as spinstall0.aspx does"
        author = "Firebreak"
        reference = "https://www.microsoft.com/en-us/security/blog/2025/07/22/disrupting-active-exploitation-of-on-premises-sharepoint-vulnerabilities/ (compiled artefacts App_Web_spinstall0.aspx.*.dll in the ASP.NET temporary files); https://research.eye.security/sharepoint-under-siege/"
        date = "2026-11-22"
        severity = "critical"
    strings:
        // The page's assembly name, in the metadata string heap.
        $app = "App_Web_" ascii
        // Reflection by name: string literals, stored as UTF-16.
        $mks = "System.Web.Configuration.MachineKeySection" wide
        $gac = "GetApplicationConfig" wide
    condition:
        uint16(0) == 0x5A4D and filesize < 10MB and all of them
}

rule Firebreak_MachineKey_Dump : toolshell
{
    meta:
        description = "Stolen ASP.NET machine keys in the format the ToolShell web shell prints (ValidationKey|Validation|DecryptionKey|Decryption|CompatibilityMode)"
        author = "Firebreak"
        reference = "https://research.eye.security/sharepoint-under-siege/ (GET /_layouts/15/spinstall0.aspx returns <ValidationKey>|HMACSHA256|<DecryptionKey>|Auto|Framework20SP1; Microsoft names LAYOUTS\\debug_dev.js among the dropped files)"
        date = "2026-11-22"
        severity = "critical"
    strings:
        // Keys in hex, or "AutoGenerate,IsolateApps" when none are set.
        $dump = /([0-9A-Fa-f]{32,256}|AutoGenerate[A-Za-z,]{0,64})\|(MD5|SHA1|TripleDES|3DES|AES|HMACSHA256|HMACSHA384|HMACSHA512|Custom|alg:[^|]{1,64})\|([0-9A-Fa-f]{16,128}|AutoGenerate[A-Za-z,]{0,64})\|(Auto|DES|3DES|AES|alg:[^|]{1,64})\|Framework(20SP1|20SP2|45)/ ascii wide
    condition:
        $dump
}

rule Firebreak_ASPX_Command_From_Request : webshell
{
    meta:
        description = "ASP.NET page that starts cmd.exe or PowerShell with input from an HTTP request (web shell)"
        author = "Firebreak"
        reference = "https://attack.mitre.org/techniques/T1505/003/; https://www.microsoft.com/en-us/security/blog/2025/07/22/disrupting-active-exploitation-of-on-premises-sharepoint-vulnerabilities/ (w3wp.exe spawning cmd.exe and powershell.exe after ToolShell)"
        date = "2026-11-22"
        severity = "high"
    strings:
        // Process.Start(...), new ProcessStartInfo, p.StartInfo.FileName
        $proc1 = "Process.Start" ascii wide
        $proc2 = "StartInfo" ascii wide
        $sh1 = "cmd.exe" nocase ascii wide
        $sh2 = "\"cmd\"" nocase ascii wide
        $sh3 = "cmd /c" nocase ascii wide
        $sh4 = "powershell" nocase ascii wide
        $sh5 = "pwsh.exe" nocase ascii wide
    condition:
        Firebreak_ASPNET_Markup and Firebreak_ASPNET_Request_Value and
        any of ($proc*) and any of ($sh*)
}

rule Firebreak_ASPX_JScript_Eval_Request : webshell
{
    meta:
        description = "ASP.NET JScript page that evaluates request input as code (China Chopper-style one-line web shell)"
        author = "Firebreak"
        reference = "https://attack.mitre.org/software/S0020/; https://attack.mitre.org/techniques/T1505/003/"
        date = "2026-11-22"
        severity = "high"
    strings:
        $eval = /\beval\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[(]/ nocase ascii wide
        $unsafe = "\"unsafe\"" nocase ascii wide
    condition:
        Firebreak_ASPNET_Markup and $eval and $unsafe
}

rule Firebreak_ASP_WScript_Shell_From_Request : webshell
{
    meta:
        description = "Classic ASP or ASP.NET page that runs commands through WScript.Shell with input from an HTTP request (web shell)"
        author = "Firebreak"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
        date = "2026-11-22"
        severity = "high"
    strings:
        $obj1 = "CreateObject" nocase ascii wide
        $obj2 = "ActiveXObject" nocase ascii wide
        $ws = "WScript.Shell" nocase ascii wide
        $run1 = ".Exec(" nocase ascii wide
        $run2 = ".Run(" nocase ascii wide
        $run3 = ".Exec " nocase ascii wide
        $run4 = ".Run " nocase ascii wide
    condition:
        uint16(0) != 0x5A4D and filesize < 4MB and
        any of ($obj*) and $ws and any of ($run*) and Firebreak_ASPNET_Request_Value
}

rule Firebreak_Warlock_Ransom_Note : ransomware warlock
{
    meta:
        description = "Warlock (x2anylock) ransomware note text, used by Storm-2603 after ToolShell (the note, or a binary carrying it)"
        author = "Firebreak"
        reference = "https://github.com/bartblaze/Yara-rules/blob/master/rules/ransomware/Warlock.yar (strings of Warlock sample abb0fa128d3a75e69b59fe0391c1158eb84a799ddb0abc55d2d6be3511ef0ea1; note file How to decrypt my data.log); https://www.microsoft.com/en-us/security/blog/2025/07/22/disrupting-active-exploitation-of-on-premises-sharepoint-vulnerabilities/"
        date = "2026-11-22"
        severity = "critical"
    strings:
        $id = "Your decrypt ID:" ascii wide
        $qtox = "QTox ID Support:" ascii wide
        $mail = "Email Support:" ascii wide
        $contact = "You can contact us in email or qtox." ascii wide
    condition:
        3 of them
}

rule Firebreak_Warlock_7zdll_Loader : ransomware warlock
{
    meta:
        description = "Warlock ransomware loader side-loaded as 7z.dll by 7z.exe (its build path)"
        author = "Firebreak"
        reference = "https://github.com/bartblaze/Yara-rules/blob/master/rules/ransomware/Warlock.yar (PDB path ...\\work\\tools\\ai\\ak47\\...\\My7zdllhijacked.pdb)"
        date = "2026-11-22"
        severity = "critical"
    strings:
        $pdb1 = "\\My7zdllhijacked.pdb" nocase ascii
        $pdb2 = "\\work\\tools\\ai\\ak47\\" nocase ascii
    condition:
        uint16(0) == 0x5A4D and any of them
}
