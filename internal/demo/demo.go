// Package demo loads a realistic, fictional incident into a store so that a
// new installation has something to show: the compromise of a European
// telecom's on-premises SharePoint servers through the July 2025 "ToolShell"
// vulnerabilities (CVE-2025-53770 and CVE-2025-53771).
//
// The company, its people, hosts, reference numbers and internal addresses
// are invented. The exploitation addresses, C2 address, domains, hashes,
// file names and request shapes are the published ones (public reporting,
// see the project's threat notes), so the demo can also exercise hunting and
// blocklists.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Title is the demo incident's title. Load recognises an earlier load by it.
const Title = "SharePoint webshell compromise (ToolShell) — customer portal and voice API offline"

// Load stores the demo incident through st's exported methods and returns
// its reference. It is idempotent: when an incident titled Title already
// exists, Load returns that incident's reference with created false and
// writes nothing. Structural items (the incident, assets, services,
// indicators, findings, tasks, operational changes) are recorded as actor;
// narrative timeline events carry the names of the story's responders.
//
// Two Loads racing on an empty store can both create the incident: the
// check and the creation are not one transaction. When Load fails after
// creating the incident, the error says so and names the partial incident;
// a later Load will find it by its title and not repair it.
func Load(ctx context.Context, st *store.Store, actor string) (ref string, created bool, err error) {
	ref, found, err := find(ctx, st)
	if err != nil {
		return ref, false, err
	}
	if found {
		if err := loadPublic(ctx, st, actor, ref); err != nil {
			return ref, false, fmt.Errorf("demo: status page: %w", err)
		}
		return ref, false, nil
	}
	in, err := st.CreateIncident(ctx, actor, incident.Incident{
		Title:    Title,
		Summary:  summary,
		Severity: incident.SeverityCritical,
		Phase:    incident.PhaseContained,
		TLP:      incident.TLPAmber,
		Anchors:  anchors(),
	})
	if err != nil {
		return "", false, fmt.Errorf("demo: create incident: %w", err)
	}
	if err := fill(ctx, st, actor, in.Ref); err != nil {
		return in.Ref, true, fmt.Errorf("demo: incident %s partly loaded: %w", in.Ref, err)
	}
	if err := loadPublic(ctx, st, actor, in.Ref); err != nil {
		return in.Ref, true, fmt.Errorf("demo: status page: %w", err)
	}
	return in.Ref, true, nil
}

// pageSize is how many incidents find asks for at a time; tests lower it.
var pageSize = 1000

// find pages through every incident looking for one titled Title.
func find(ctx context.Context, st *store.Store) (string, bool, error) {
	var after int64
	for {
		page, err := st.ListIncidents(ctx, store.IncidentFilter{Page: store.Page{After: after, Limit: pageSize}})
		if err != nil {
			return "", false, fmt.Errorf("demo: look for an earlier demo incident: %w", err)
		}
		for _, in := range page {
			if in.Title == Title {
				return in.Ref, true, nil
			}
		}
		if len(page) < pageSize {
			return "", false, nil
		}
		after = page[len(page)-1].ID
	}
}

// at returns a moment of July 2025 in UTC.
func at(day, hour, minute, sec int) time.Time {
	return time.Date(2025, time.July, day, hour, minute, sec, 0, time.UTC)
}

func ptr[T any](v T) *T { return &v }

// Key moments of the story (UTC).
var (
	firstExploit    = at(18, 19, 12, 7) // first POST to ToolPane.aspx on sp-web-01 (first wave)
	edrAlert        = at(18, 19, 13, 5) // EDR alert on sp-web-01: first signal
	secondWave      = at(19, 6, 47, 12) // second wave reaches sp-web-02
	c2Connection    = at(19, 6, 58, 14) // sp-web-02 → 65.38.121.198
	awareAt         = at(19, 7, 20, 0)  // SOC lead confirms the compromise
	isolatedAt      = at(19, 8, 12, 0)  // sp-web-01/02 network-contained
	offlineAt       = at(19, 9, 52, 0)  // portal and voice API front-ends stopped
	classifiedAt    = at(19, 10, 0, 0)  // significant incident under NIS2
	personalDataAt  = at(19, 14, 10, 0) // personal data breach suspected
	containedAt     = at(20, 12, 0, 0)  // phase: contained
	nis2EarlyDue    = awareAt.Add(24 * time.Hour)
	nis2NoticeDue   = awareAt.Add(72 * time.Hour)
	gdprNoticeDue   = personalDataAt.Add(72 * time.Hour)
	nis2FinalReport = awareAt.AddDate(0, 1, 0)
)

const summary = `Nordwave Telecom's two internet-facing SharePoint Server 2019 front-ends (sp-web-01, sp-web-02) were exploited through the July 2025 SharePoint vulnerabilities (CVE-2025-53770 with the CVE-2025-53771 bypass, "ToolShell") from 18 July 19:12 UTC, during the first public wave of mass exploitation. The attackers wrote the webshell spinstall0.aspx to the LAYOUTS directory of both servers and used it to read the farm's ASP.NET machine keys. Connections came from addresses named in public reporting on the campaign (107.191.58.76, 104.238.159.149, 96.9.125.147), and sp-web-02 opened a TLS connection to 65.38.121.198, a command-and-control address public reporting ties to the Storm-2603 cluster.

Containment: both front-ends are network-isolated and kept for forensics. Because the customer portal and voice & messaging API gateways share the DMZ segment and administration baseline with the SharePoint front-ends, the customer self-service portal and the voice & messaging API were taken offline as a precaution on 19 July. Calls, SMS and mobile data are not affected. The farm's machine keys were rotated and the application server patched to the fixed build.

Regulatory: significant incident under NIS2 (early warning submitted to the national CSIRT on 19 July); a personal data breach is suspected (Customer Care escalation library read during the attacker's access window) and the data protection authority was notified on 21 July. An external incident-response firm is engaged under retainer.`

func anchors() map[incident.Anchor]incident.AnchorSetting {
	return map[incident.Anchor]incident.AnchorSetting{
		incident.AnchorFirstSignal: {At: edrAlert, Reason: "EDR alert on sp-web-01: w3wp.exe spawned cmd.exe and powershell.exe -EncodedCommand, one minute after the first exploit request. " +
			"It is the first signal in our own tooling; it was queued at medium severity and not triaged until 07:05 UTC on 19 July."},
		incident.AnchorAware: {At: awareAt, Reason: "The SOC lead confirmed the compromise of sp-web-01: the webshell spinstall0.aspx, whose SHA-256 matches public reporting, was written to LAYOUTS " +
			"seconds after a POST to ToolPane.aspx from a known exploitation address. From this moment we had reasonable certainty that an incident had occurred."},
		incident.AnchorClassifiedMajor: {At: classifiedAt, Reason: "The crisis board classified the incident as significant under NIS2 Art. 23(3): severe operational disruption " +
			"(customer portal and voice & messaging API offline for all customers) caused by a malicious actor with code execution in our DMZ."},
		incident.AnchorPersonalDataBreach: {At: personalDataAt, Reason: "Suspected, not confirmed. SharePoint audit and ULS logs show the Customer Care escalations library (names, phone numbers, " +
			"postal addresses and contract details of business-customer contacts) read under SHAREPOINT\\system from sp-web-02 between 06:49 and 06:55 UTC on 19 July, " +
			"inside the attacker's access window and matching no scheduled job. The DPO judged a breach of confidentiality likely: the GDPR Art. 33 clock runs from here."},
	}
}

type assetSpec struct {
	incident.Asset
	// down, when set, is the state the asset is put in with SetOperational, for why.
	down incident.Operational
	why  string
}

const (
	dcA = "Stockholm DC-A"
	dcB = "Gothenburg DC-B"
)

var assets = []assetSpec{
	{Asset: incident.Asset{Name: "sp-web-01", Kind: incident.AssetHost, Region: dcA, InternetFacing: true, Criticality: incident.CriticalityHigh, Compromise: incident.CompromiseCompromised,
		Notes: "SharePoint Server 2019 web front-end (intranet and partner extranet), published through the DMZ reverse proxy. 10.20.1.11. Webshell spinstall0.aspx found in LAYOUTS; exploited 18 Jul 19:12 UTC."},
		down: incident.OpIsolated, why: "EDR network containment and reverse-proxy publishing rule disabled at 19 Jul 2025 08:12 UTC: ToolShell webshell spinstall0.aspx on the host. Kept powered on for memory and disk acquisition; to be reimaged."},
	{Asset: incident.Asset{Name: "sp-web-02", Kind: incident.AssetHost, Region: dcB, InternetFacing: true, Criticality: incident.CriticalityHigh, Compromise: incident.CompromiseCompromised,
		Notes: "SharePoint Server 2019 web front-end, second node of the farm. 10.20.1.12. Webshell spinstall0.aspx found; second-wave access 19 Jul 06:47 UTC and outbound TLS to 65.38.121.198 at 06:58 UTC."},
		down: incident.OpIsolated, why: "EDR network containment and reverse-proxy publishing rule disabled at 19 Jul 2025 08:12 UTC: ToolShell webshell and a connection to a known C2 address. Kept powered on for forensics; to be reimaged."},
	{Asset: incident.Asset{Name: "sp-app-01", Kind: incident.AssetHost, Region: dcA, Criticality: incident.CriticalityHigh, Compromise: incident.CompromiseSuspected,
		Notes: "SharePoint application server (search, timer jobs). Not internet-facing, but shares the farm's machine keys, which the attackers read. No webshell or anomalous process found so far. Patched to 16.0.10417.20037 and keys rotated 20 Jul 23:10 UTC; internet egress blocked."}},
	{Asset: incident.Asset{Name: "sql-sp-01", Kind: incident.AssetHost, Region: dcA, Criticality: incident.CriticalityHigh, Compromise: incident.CompromiseUnknown,
		Notes: "SQL Server holding the SharePoint content and configuration databases, including the Customer Care escalations library. Database audit under review by the external IR firm."}},
	{Asset: incident.Asset{Name: "portal-web-01", Kind: incident.AssetHost, Region: dcA, InternetFacing: true, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseUnknown,
		Notes: "My Nordwave customer self-service portal, web node 1. Same DMZ segment and local-administrator baseline as the SharePoint front-ends. Forensic triage in progress; no indicator hits so far."},
		down: incident.OpOffline, why: "Taken offline as a precaution at 19 Jul 2025 09:52 UTC (crisis board decision 09:30): shares the DMZ segment and administration baseline with the compromised SharePoint front-ends. Stays offline until forensic triage clears it."},
	{Asset: incident.Asset{Name: "portal-web-02", Kind: incident.AssetHost, Region: dcB, InternetFacing: true, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseUnknown,
		Notes: "My Nordwave customer self-service portal, web node 2. Forensic triage in progress."},
		down: incident.OpOffline, why: "Taken offline as a precaution at 19 Jul 2025 09:52 UTC (crisis board decision 09:30), together with portal-web-01. Stays offline until forensic triage clears it."},
	{Asset: incident.Asset{Name: "voice-api-gw-01", Kind: incident.AssetHost, Region: dcA, InternetFacing: true, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseUnknown,
		Notes: "Voice & messaging API gateway (REST API for enterprise customers: SMS, click-to-call, number masking). Same DMZ segment as the SharePoint front-ends. Forensic triage in progress."},
		down: incident.OpOffline, why: "Taken offline as a precaution at 19 Jul 2025 09:52 UTC (crisis board decision 09:30): same DMZ segment and administration baseline as the compromised SharePoint front-ends. API answers 503 from the edge."},
	{Asset: incident.Asset{Name: "voice-api-gw-02", Kind: incident.AssetHost, Region: dcB, InternetFacing: true, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseUnknown,
		Notes: "Voice & messaging API gateway, second node. Forensic triage in progress."},
		down: incident.OpOffline, why: "Taken offline as a precaution at 19 Jul 2025 09:52 UTC (crisis board decision 09:30), together with voice-api-gw-01."},
	{Asset: incident.Asset{Name: "sbc-01", Kind: incident.AssetNetwork, Region: dcA, InternetFacing: true, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseClean,
		Notes: "Session border controller for SIP trunks behind the voice API. Separate management network; configuration and firmware verified against the golden copy on 19 Jul."}},
	{Asset: incident.Asset{Name: "sbc-02", Kind: incident.AssetNetwork, Region: dcB, InternetFacing: true, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseClean,
		Notes: "Session border controller, second site. Verified against the golden copy on 19 Jul."}},
	{Asset: incident.Asset{Name: "idp-01", Kind: incident.AssetApplication, Region: dcA, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseClean,
		Notes: "Customer identity provider (OIDC) for the portal, the mobile app and API clients. No trust relationship with the SharePoint farm; sign-in and admin logs reviewed 19–20 Jul with no anomalies."}},
	{Asset: incident.Asset{Name: "ad-dc-01", Kind: incident.AssetHost, Region: dcA, Criticality: incident.CriticalityCritical, Compromise: incident.CompromiseUnknown,
		Notes: "Active Directory domain controller for the corporate domain. The SharePoint farm and service accounts were reset on 19 Jul; domain controller logs under review for use of those accounts."}},
}

type dep struct {
	typ, name, group string
}

type serviceSpec struct {
	name, description string
	status            incident.ServiceStatus
	deps              []dep
}

// Services in creation order: a service is created after those it needs.
var services = []serviceSpec{
	{"Identity (SSO)", "Customer sign-in (OIDC) for the portal, the mobile app and API clients.", incident.StatusOperational,
		[]dep{{"asset", "idp-01", ""}}},
	{"Customer portal", "My Nordwave: bills, contracts, SIM and number management for consumer and business customers.", incident.StatusMajor,
		[]dep{{"asset", "portal-web-01", "portal-web"}, {"asset", "portal-web-02", "portal-web"}, {"service", "Identity (SSO)", ""}}},
	{"Voice & messaging API", "REST API for enterprise customers: SMS, click-to-call and number masking, delivered through the session border controllers.", incident.StatusMajor,
		[]dep{{"asset", "voice-api-gw-01", "voice-api-gw"}, {"asset", "voice-api-gw-02", "voice-api-gw"},
			{"asset", "sbc-01", "sbc"}, {"asset", "sbc-02", "sbc"}, {"service", "Identity (SSO)", ""}}},
	{"Mobile app backend", "Backend of the Nordwave mobile app, hosted in the company's public-cloud tenant outside the on-premises DMZ.", incident.StatusOperational,
		[]dep{{"service", "Identity (SSO)", ""}}},
	{"Intranet (SharePoint)", "Employee intranet and partner extranet on the SharePoint Server 2019 farm.", incident.StatusMajor,
		[]dep{{"asset", "sp-web-01", "sp-web"}, {"asset", "sp-web-02", "sp-web"}, {"asset", "sp-app-01", ""}, {"asset", "sql-sp-01", ""}, {"asset", "ad-dc-01", ""}}},
}

const (
	srcObserved = "Nordwave SOC (observed)"
	srcPublic   = "public reporting"
)

func indicators() []incident.Indicator {
	seen := func(first, last time.Time) (*time.Time, *time.Time) { return ptr(first), ptr(last) }
	observed := func(t incident.IndicatorType, v string, conf int, first, last time.Time, note string, tags ...string) incident.Indicator {
		f, l := seen(first, last)
		return incident.Indicator{Type: t, Value: v, Confidence: conf, TLP: incident.TLPAmber, Source: srcObserved, FirstSeen: f, LastSeen: l,
			Note: note, Tags: append([]string{"toolshell", "cve-2025-53770"}, tags...), ExpiresAt: ptr(at(18, 0, 0, 0).AddDate(0, 6, 0))}
	}
	public := func(t incident.IndicatorType, v string, conf int, note string, tags ...string) incident.Indicator {
		return incident.Indicator{Type: t, Value: v, Confidence: conf, TLP: incident.TLPClear, Source: srcPublic, Note: note,
			Tags: append([]string{"toolshell"}, tags...)}
	}
	return []incident.Indicator{
		observed(incident.IndIPv4, "107.191.58.76", 90, firstExploit, at(18, 19, 21, 2),
			"First-wave exploitation source; POST to ToolPane.aspx and GET of spinstall0.aspx on both front-ends.", "first-wave"),
		observed(incident.IndIPv4, "104.238.159.149", 90, secondWave, at(19, 6, 48, 30),
			"Second-wave source: CVE-2025-53771 trailing-slash request and webshell access on sp-web-02.", "second-wave"),
		observed(incident.IndIPv4, "96.9.125.147", 80, at(18, 23, 41, 9), at(18, 23, 41, 9),
			"Fetched spinstall0.aspx on sp-web-01 without an exploit request of its own: a second party reusing the planted webshell."),
		public(incident.IndIPv4, "131.226.2.6", 60, "Exploitation source in public reporting; not seen in our logs."),
		public(incident.IndIPv4, "134.199.202.205", 60, "Exploitation source in public reporting; not seen in our logs."),
		public(incident.IndIPv4, "188.130.206.168", 60, "Exploitation source in public reporting; not seen in our logs."),
		observed(incident.IndIPv4, "65.38.121.198", 85, c2Connection, c2Connection,
			"Post-exploitation C2 in public reporting. sp-web-02 opened TLS to it on 443 at 06:58 UTC on 19 July.", "storm-2603", "c2"),
		observed(incident.IndDomain, "update.updatemicfosoft.com", 80, at(19, 6, 57, 51), at(19, 6, 57, 51),
			"Resolved by sp-web-02 seconds before the C2 connection (internal resolver log).", "storm-2603", "c2"),
		public(incident.IndDomain, "msupdate.updatemicfosoft.com", 70, "Post-exploitation domain in public reporting; not resolved in our network.", "storm-2603", "c2"),
		public(incident.IndDomain, "c34718cbb4c6.ngrok-free.app", 60, "Hosted a PowerShell payload (file.ps1) in public reporting. Blocking *.ngrok-free.app as a whole is being considered.", "storm-2603"),
		observed(incident.IndSHA256, "92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514", 95, at(18, 19, 12, 39), at(18, 19, 20, 58),
			"spinstall0.aspx from LAYOUTS on sp-web-01 and sp-web-02; matches the published hash. Reads and returns the machine keys; runs no commands.", "webshell"),
		public(incident.IndSHA256, "24480dbe306597da1ba393b6e30d542673066f98826cc07ac4b9033137f37dbf", 70, "Webshell variant in public reporting.", "webshell"),
		public(incident.IndSHA256, "b5a78616f709859a0d9f830d28ff2f9dbbb2387df1753739407917e96dadf6b0", 70, "Webshell variant in public reporting.", "webshell"),
		public(incident.IndSHA256, "c27b725ff66fdfb11dd6487a3815d1d1eba89d61b0e919e4d06ed3ac6a74fe94", 70, "Webshell variant in public reporting.", "webshell"),
		public(incident.IndSHA256, "1eb914c09c873f0a7bcf81475ab0f6bdfaccc6b63bf7e5f2dbf19295106af192", 70, "Webshell variant in public reporting.", "webshell"),
		public(incident.IndSHA256, "4c1750a14915bf2c0b093c2cb59063912dfa039a2adfe6d26d6914804e2ae928", 70, "IIS backdoor DLL in public reporting.", "storm-2603"),
		public(incident.IndSHA256, "62881359e75c9e8899c4bc9f452ef9743e68ce467f8b3e4398bebacde9550dea", 70, "xd.exe reverse proxy in public reporting.", "storm-2603"),
		observed(incident.IndFileName, "spinstall0.aspx", 90, at(18, 19, 12, 39), at(18, 19, 20, 58),
			`Found in C:\Program Files\Common Files\Microsoft Shared\Web Server Extensions\16\TEMPLATE\LAYOUTS on both front-ends.`, "webshell"),
		public(incident.IndFileName, "spinstall1.aspx", 60, "Webshell file name variant in public reporting (also spinstall.aspx, spinstall2.aspx).", "webshell"),
		observed(incident.IndURLPath, "/_layouts/15/ToolPane.aspx", 70, firstExploit, secondWave,
			"Exploit endpoint (POST with DisplayMode=Edit&a=/ToolPane.aspx and Referer /_layouts/SignOut.aspx). Match with contains: the CVE-2025-53771 bypass adds a trailing slash, and the version directory may be /_layouts/16/."),
		observed(incident.IndURLPath, "/_layouts/15/spinstall0.aspx", 90, at(18, 19, 12, 41), at(19, 6, 47, 52),
			"Webshell access; a 200 answer returns the machine keys.", "webshell"),
		observed(incident.IndUserAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0", 10, firstExploit, at(18, 19, 21, 2),
			"Context, not evidence: the user agent of the first wave is also an ordinary browser's. IIS logs write its spaces as +. Never block on it."),
	}
}

// IIS W3C log locations on the SharePoint front-ends (daily files, UTC).
const (
	iisDir   = `C:\inetpub\logs\LogFiles\W3SVC1861829497\`
	uaIIS    = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0"
	layouts  = `C:\Program Files\Common Files\Microsoft Shared\Web Server Extensions\16\TEMPLATE\LAYOUTS\spinstall0.aspx`
	confirms = "Confirmed in SOC triage on 19 Jul."
)

func iis(sIP, cIP, method, stem, query, referer, status string) map[string]string {
	return map[string]string{
		"s-ip": sIP, "c-ip": cIP, "cs-method": method, "cs-uri-stem": stem, "cs-uri-query": query,
		"cs-username": "-", "cs-user-agent": uaIIS, "cs-referer": referer, "sc-status": status,
	}
}

func findings() []incident.Finding {
	return []incident.Finding{
		{Key: "demo-finding-1", Rule: "toolshell-exploit-request", Title: "ToolShell exploit request to ToolPane.aspx", Severity: incident.SeverityCritical,
			Host: "sp-web-01", File: iisDir + "u_ex250718.log", Line: 18234, LogTime: ptr(firstExploit),
			Fields: iis("10.20.1.11", "107.191.58.76", "POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", "/_layouts/SignOut.aspx", "200"),
			State:  incident.FindingConfirmed, Reason: confirms},
		{Key: "demo-finding-2", Rule: "webshell-access", Title: "Request for the spinstall0.aspx webshell", Severity: incident.SeverityCritical,
			Host: "sp-web-01", File: iisDir + "u_ex250718.log", Line: 18241, LogTime: ptr(at(18, 19, 12, 41)), Indicator: "/_layouts/15/spinstall0.aspx",
			Fields: iis("10.20.1.11", "107.191.58.76", "GET", "/_layouts/15/spinstall0.aspx", "-", "-", "200"),
			State:  incident.FindingConfirmed, Reason: confirms},
		{Key: "demo-finding-3", Rule: "ioc-file-hash", Title: "Known ToolShell webshell on disk", Severity: incident.SeverityCritical,
			Host: "sp-web-01", File: layouts, LogTime: ptr(at(18, 19, 12, 39)), Indicator: "92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514",
			Fields: map[string]string{"sha256": "92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514", "mtime": "2025-07-18T19:12:39Z"},
			State:  incident.FindingConfirmed, Reason: confirms},
		{Key: "demo-finding-4", Rule: "toolshell-exploit-request", Title: "ToolShell exploit request to ToolPane.aspx", Severity: incident.SeverityCritical,
			Host: "sp-web-02", File: iisDir + "u_ex250718.log", Line: 17902, LogTime: ptr(at(18, 19, 20, 33)),
			Fields: iis("10.20.1.12", "107.191.58.76", "POST", "/_layouts/15/ToolPane.aspx", "DisplayMode=Edit&a=/ToolPane.aspx", "/_layouts/SignOut.aspx", "200"),
			State:  incident.FindingConfirmed, Reason: confirms},
		{Key: "demo-finding-5", Rule: "toolshell-exploit-request", Title: "ToolShell exploit request with trailing slash (CVE-2025-53771 bypass)", Severity: incident.SeverityCritical,
			Host: "sp-web-02", File: iisDir + "u_ex250719.log", Line: 2277, LogTime: ptr(secondWave),
			Fields: iis("10.20.1.12", "104.238.159.149", "POST", "/_layouts/15/ToolPane.aspx/", "DisplayMode=Edit&a=/ToolPane.aspx", "/_layouts/SignOut.aspx", "200"),
			State:  incident.FindingConfirmed, Reason: confirms},
		{Key: "demo-finding-6", Rule: "webshell-access", Title: "Request for the spinstall0.aspx webshell", Severity: incident.SeverityCritical,
			Host: "sp-web-02", File: iisDir + "u_ex250719.log", Line: 2281, LogTime: ptr(at(19, 6, 47, 52)), Indicator: "/_layouts/15/spinstall0.aspx",
			Fields: iis("10.20.1.12", "104.238.159.149", "GET", "/_layouts/15/spinstall0.aspx", "-", "-", "200"),
			State:  incident.FindingConfirmed, Reason: confirms},
		{Key: "demo-finding-7", Rule: "ioc", Title: "Outbound connection to a known C2 address", Severity: incident.SeverityHigh,
			Host: "fw-dmz-01", File: "/srv/logarchive/fw-dmz-01/2025/07/19/traffic.log", Line: 884120, LogTime: ptr(c2Connection), Indicator: "65.38.121.198",
			Fields: map[string]string{"src-ip": "10.20.1.12", "src-host": "sp-web-02", "dst-ip": "65.38.121.198", "dst-port": "443", "proto": "tcp", "action": "allow", "bytes-out": "48213"},
			State:  incident.FindingConfirmed, Reason: "Confirmed: the EDR shows w3wp.exe on sp-web-02 as the connecting process."},
		{Key: "demo-finding-8", Rule: "ioc", Title: "Webshell fetched from a known exploitation address", Severity: incident.SeverityHigh,
			Host: "sp-web-01", File: iisDir + "u_ex250718.log", Line: 20517, LogTime: ptr(at(18, 23, 41, 9)), Indicator: "96.9.125.147",
			Fields: iis("10.20.1.11", "96.9.125.147", "GET", "/_layouts/15/spinstall0.aspx", "-", "-", "200")},
	}
}

type taskSpec struct {
	title, detail, assignee string
	state                   incident.TaskState
	due                     time.Time
}

var tasks = []taskSpec{
	{"Preserve evidence from sp-web-01 and sp-web-02",
		"Memory and disk images before any rebuild; IIS, ULS, EDR and DMZ firewall logs from 1 July; record hashes and chain of custody.",
		"kestrel-ir (external)", incident.TaskDone, at(20, 8, 0, 0)},
	{"Engage the external incident-response firm",
		"Activate the retainer; scope: forensics of the SharePoint farm and DMZ, threat hunting, support for regulator reports. Guest access to this incident until 31 Aug.",
		"m.lindqvist", incident.TaskDone, at(19, 12, 0, 0)},
	{"Rotate the ASP.NET machine keys of the SharePoint farm and restart IIS",
		"The attackers read the keys through spinstall0.aspx: without rotation they can return with signed __VIEWSTATE payloads that look ordinary in logs. Set-SPMachineKey / Update-SPMachineKey on every web application, then iisreset on every farm server.",
		"j.berg", incident.TaskDone, at(20, 23, 59, 0)},
	{"Patch the SharePoint Server 2019 farm to 16.0.10417.20037",
		"Fixed build for CVE-2025-53770/53771. sp-app-01 done 20 Jul; sp-web-01/02 get it through the rebuild.",
		"j.berg", incident.TaskInProgress, at(21, 18, 0, 0)},
	{"Reimage sp-web-01 and sp-web-02 from a known-good build",
		"Rebuild from the golden image with the fixed build and new keys; reconnect only after a clean EDR scan. Waiting for the IR firm to confirm the forensic images are complete.",
		"j.berg", incident.TaskBlocked, at(22, 18, 0, 0)},
	{"Hunt across the fleet for ToolShell indicators",
		"IIS logs since 1 July on every web server (ToolPane.aspx requests, spinstall*.aspx), file hashes on disk, DNS and firewall logs for the C2 address and domains. First pass done 20 Jul with no hits outside sp-web-01/02; second pass with newly published indicators.",
		"a.nieminen", incident.TaskInProgress, at(22, 12, 0, 0)},
	{"NIS2 early warning to the national CSIRT (within 24 h)",
		"Art. 23(4)(a): say whether the incident is suspected to be caused by unlawful or malicious acts and whether it could have cross-border impact.",
		"r.varga", incident.TaskDone, nis2EarlyDue},
	{"NIS2 incident notification to the national CSIRT (within 72 h)",
		"Art. 23(4)(b): update the early warning with an initial assessment, severity and impact, and the indicators of compromise. Final report due one month after (" + nis2FinalReport.Format("2 Jan 2006") + ").",
		"r.varga", incident.TaskInProgress, nis2NoticeDue},
	{"GDPR notification to the data protection authority (within 72 h)",
		"Art. 33: nature of the suspected breach, categories and approximate number of data subjects, likely consequences, measures taken. Decide on Art. 34 notice to the affected contacts once the forensic review is in.",
		"r.varga", incident.TaskDone, gdprNoticeDue},
	{"Customer communication: status page and direct notice to API customers",
		"Keep the status page current (at least twice a day while services are offline); account managers call the enterprise customers of the voice & messaging API; brief customer service with the approved lines.",
		"e.haugen", incident.TaskInProgress, at(22, 9, 0, 0)},
}

// Characters of the story, used as the actors of narrative timeline events.
const (
	edr   = "edr-console"
	soc   = "a.nieminen (SOC analyst)"
	socL  = "s.okafor (SOC lead)"
	ic    = "m.lindqvist (incident commander)"
	ops   = "j.berg (infrastructure lead)"
	comms = "e.haugen (communications)"
	dpo   = "r.varga (DPO and legal)"
	ir    = "kestrel-ir (external responders)"
)

type eventSpec struct {
	at     time.Time
	kind   incident.EventKind
	source incident.Source
	actor  string
	public bool
	text   string
	links  []string // "asset:NAME", "indicator:VALUE", "service:NAME"
}

var events = []eventSpec{
	{edrAlert, incident.KindDetection, incident.SourceMonitor, edr, false,
		"EDR alert (medium) on sp-web-01: w3wp.exe spawned cmd.exe → powershell.exe -EncodedCommand JABiAGEAcwBlADYANABTAHQAcgBpAG4AZwAgAD0… Queued for day-shift triage.",
		[]string{"asset:sp-web-01"}},
	{at(19, 7, 5, 0), incident.KindDetection, incident.SourcePerson, soc, false,
		`Triage of the overnight EDR alert: spinstall0.aspx in ...\16\TEMPLATE\LAYOUTS on sp-web-01, created 18 Jul 19:12:39 UTC; its SHA-256 (92bb4ddb…) matches the ToolShell webshell in public reporting. The IIS log shows POST /_layouts/15/ToolPane.aspx from 107.191.58.76 32 seconds earlier, Referer /_layouts/SignOut.aspx.`,
		[]string{"asset:sp-web-01", "indicator:92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514", "indicator:107.191.58.76"}},
	{awareAt, incident.KindDecision, incident.SourcePerson, socL, false,
		"Compromise of sp-web-01 confirmed (ToolShell, CVE-2025-53770). Escalated to the on-call CISO and incident commander. Awareness recorded at 07:20 UTC: the NIS2 and internal clocks run from here.",
		[]string{"asset:sp-web-01"}},
	{at(19, 7, 45, 0), incident.KindPhaseChange, incident.SourcePerson, ic, false,
		"War room opened (bridge and #inc-toolshell). Phase detected → analysing, severity critical. Roles: incident commander m.lindqvist, operations j.berg, SOC s.okafor, communications e.haugen, legal and DPO r.varga.",
		nil},
	{at(19, 8, 5, 0), incident.KindDecision, incident.SourcePerson, ic, false,
		"Isolate sp-web-01 and sp-web-02: EDR network containment and the SharePoint publishing rule disabled on the DMZ reverse proxy. Hosts stay powered on for memory acquisition. Loss of the intranet and partner extranet accepted.",
		[]string{"asset:sp-web-01", "asset:sp-web-02", "service:Intranet (SharePoint)"}},
	{isolatedAt, incident.KindAction, incident.SourcePerson, ops, false,
		"sp-web-01 and sp-web-02 network-contained through the EDR console; reverse-proxy rule for the intranet and extranet disabled. Console access kept for forensics.",
		[]string{"asset:sp-web-01", "asset:sp-web-02"}},
	{at(19, 8, 40, 0), incident.KindDetection, incident.SourcePerson, soc, false,
		"sp-web-02 is compromised too: same spinstall0.aspx (written 18 Jul 19:20:58 UTC), second-wave access from 104.238.159.149 at 06:47 UTC using the trailing-slash variant (CVE-2025-53771), then a DNS lookup of update.updatemicfosoft.com and outbound TLS to 65.38.121.198 at 06:58 UTC: post-exploitation beyond key theft.",
		[]string{"asset:sp-web-02", "indicator:104.238.159.149", "indicator:65.38.121.198", "indicator:update.updatemicfosoft.com"}},
	{at(19, 8, 55, 0), incident.KindAction, incident.SourcePerson, ops, false,
		"All exploitation addresses from public reporting, the C2 address and the updatemicfosoft.com domains blocked at the perimeter firewalls and resolvers. SharePoint farm account and service accounts reset.",
		[]string{"indicator:65.38.121.198", "indicator:update.updatemicfosoft.com", "indicator:msupdate.updatemicfosoft.com"}},
	{at(19, 9, 30, 0), incident.KindDecision, incident.SourcePerson, ic, false,
		"Take the customer self-service portal and the voice & messaging API offline as a precaution. portal-web and voice-api-gw share the DMZ segment and local-administrator baseline with sp-web-01/02, where the attacker had code execution and an outbound C2 channel; lateral movement cannot be excluded yet. They stay offline until forensic triage clears them. Calls, SMS and mobile data are not affected.",
		[]string{"service:Customer portal", "service:Voice & messaging API"}},
	{offlineAt, incident.KindAction, incident.SourcePerson, ops, false,
		"portal-web-01/02 and voice-api-gw-01/02 stopped and their load-balancer pools drained; the portal serves a maintenance page, the API answers 503 with Retry-After from the edge.",
		[]string{"asset:portal-web-01", "asset:portal-web-02", "asset:voice-api-gw-01", "asset:voice-api-gw-02"}},
	{classifiedAt, incident.KindDecision, incident.SourcePerson, ic, false,
		"Crisis board (CEO, CTO, CISO, legal) classifies the incident as significant under NIS2: customer portal and voice & messaging API unavailable for all customers, malicious actor with code execution in the DMZ. NIS2 early warning due by 20 Jul 07:20 UTC.",
		nil},
	{at(19, 10, 20, 0), incident.KindCommunication, incident.SourcePerson, comms, true,
		"We have taken My Nordwave, our customer self-service portal, and our voice & messaging API offline as a precaution while we investigate a security incident. Calls, SMS and mobile data work normally. Our customer service is available by phone and in our stores. We will post an update here by 18:00 CEST.",
		[]string{"service:Customer portal", "service:Voice & messaging API"}},
	{at(19, 11, 40, 0), incident.KindAction, incident.SourcePerson, ic, false,
		"External incident-response experts engaged under our retainer (Kestrel Incident Response): two responders on site from 14:00, guest access to this incident until 31 Aug.",
		nil},
	{personalDataAt, incident.KindDecision, incident.SourcePerson, dpo, false,
		"Personal data breach suspected: the SharePoint audit log shows the Customer Care escalations library (names, phone numbers, postal addresses and contract details of about 2,300 business-customer contacts) read under SHAREPOINT\\system from sp-web-02 between 06:49 and 06:55 UTC, inside the attacker's access window. Not yet confirmed; GDPR Art. 33 notification due by 22 Jul 14:10 UTC.",
		[]string{"asset:sp-web-02", "asset:sql-sp-01"}},
	{at(19, 15, 30, 0), incident.KindNotification, incident.SourcePerson, dpo, false,
		"NIS2 early warning submitted to the national CSIRT through its reporting portal (their reference CSIRT-2025-07-0412): significant incident suspected to be caused by malicious acts; cross-border impact not expected but not excluded (enterprise API customers in three EU member states).",
		nil},
	{at(19, 15, 55, 0), incident.KindCommunication, incident.SourcePerson, comms, true,
		"Update: My Nordwave and the voice & messaging API remain offline while we check the systems around them. Calls, SMS and mobile data are not affected. Business customers who use our API are being contacted by their account managers. Next update tomorrow by 15:00 CEST.",
		[]string{"service:Customer portal", "service:Voice & messaging API"}},
	{at(19, 21, 30, 0), incident.KindAction, incident.SourcePerson, ir, false,
		"Memory and disk images of sp-web-01 and sp-web-02 acquired and hashed; IIS, ULS, EDR and DMZ firewall logs from 1 July copied to the evidence store with chain of custody.",
		[]string{"asset:sp-web-01", "asset:sp-web-02"}},
	{at(20, 10, 15, 0), incident.KindNote, incident.SourcePerson, ir, false,
		"First fleet sweep done: 412 Windows servers (EDR and IIS logs since 1 July) show no ToolShell requests, spinstall*.aspx files or C2 traffic outside sp-web-01/02. portal-web and voice-api-gw: no indicator hits so far; disk triage continues.",
		[]string{"asset:portal-web-01", "asset:portal-web-02", "asset:voice-api-gw-01", "asset:voice-api-gw-02"}},
	{containedAt, incident.KindPhaseChange, incident.SourcePerson, ic, false,
		"Phase analysing → contained: both compromised front-ends isolated, exploitation and C2 addresses blocked, farm and service accounts reset, no activity of the attacker since 06:58 UTC on 19 July.",
		nil},
	{at(20, 12, 30, 0), incident.KindCommunication, incident.SourcePerson, comms, true,
		"Update: the incident is contained. My Nordwave and the voice & messaging API stay offline while we verify them; we expect to restore them step by step from 22 July. Calls, SMS and mobile data are not affected.",
		[]string{"service:Customer portal", "service:Voice & messaging API"}},
	{at(20, 23, 10, 0), incident.KindAction, incident.SourcePerson, ops, false,
		"sp-app-01 updated to SharePoint Server 2019 build 16.0.10417.20037 (fixed build for CVE-2025-53770); ASP.NET machine keys of every web application rotated and IIS restarted on the reachable farm servers. sp-web-01/02 will get both through the rebuild.",
		[]string{"asset:sp-app-01"}},
	{at(21, 11, 30, 0), incident.KindNotification, incident.SourcePerson, dpo, false,
		"Initial GDPR Art. 33 notification submitted to the data protection authority (their reference DPA-2025-18833): suspected confidentiality breach of business-customer contact data; further information to follow in phases under Art. 33(4).",
		nil},
	{at(21, 14, 0, 0), incident.KindNote, incident.SourcePerson, ic, false,
		"Status: contained. Open: rebuild of sp-web-01/02 (blocked on forensic sign-off), forensic clearance of portal-web and voice-api-gw before restoring the portal and API, NIS2 incident notification due 22 Jul 07:20 UTC, decision on Art. 34 notice to the affected contacts.",
		nil},
}

// fill adds everything but the incident itself.
func fill(ctx context.Context, st *store.Store, actor, ref string) error {
	assetIDs := map[string]int64{}
	for _, spec := range assets {
		a, err := st.CreateAsset(ctx, actor, ref, spec.Asset)
		if err != nil {
			return fmt.Errorf("create asset %s: %w", spec.Name, err)
		}
		assetIDs[a.Name] = a.ID
	}
	serviceIDs := map[string]int64{}
	for _, spec := range services {
		sv := incident.Service{Name: spec.name, Description: spec.description, Status: spec.status}
		for _, d := range spec.deps {
			ids := assetIDs
			if d.typ == "service" {
				ids = serviceIDs
			}
			id, ok := ids[d.name]
			if !ok {
				return fmt.Errorf("service %s: no %s %q", spec.name, d.typ, d.name)
			}
			sv.DependsOn = append(sv.DependsOn, incident.Dependency{Type: d.typ, ID: id, Group: d.group})
		}
		sv, err := st.CreateService(ctx, actor, ref, sv)
		if err != nil {
			return fmt.Errorf("create service %s: %w", spec.name, err)
		}
		serviceIDs[sv.Name] = sv.ID
	}
	for _, spec := range assets {
		if spec.down == "" {
			continue
		}
		// Isolation at 08:12, the precautionary shutdown at 09:52 on 19 July (as the reasons say).
		at := time.Date(2025, 7, 19, 9, 52, 0, 0, time.UTC)
		if spec.down == incident.OpIsolated {
			at = time.Date(2025, 7, 19, 8, 12, 0, 0, time.UTC)
		}
		if _, err := st.SetOperationalAt(ctx, actor, ref, assetIDs[spec.Name], spec.down, spec.why, at); err != nil {
			return fmt.Errorf("set %s %s: %w", spec.Name, spec.down, err)
		}
	}
	inds, _, err := st.AddIndicators(ctx, actor, ref, indicators())
	if err != nil {
		return fmt.Errorf("add indicators: %w", err)
	}
	indicatorIDs := map[string]int64{}
	for _, ind := range inds {
		indicatorIDs[ind.Value] = ind.ID
	}
	if _, _, err := st.AddFindings(ctx, actor, ref, findings()); err != nil {
		return fmt.Errorf("add findings: %w", err)
	}
	for _, spec := range tasks {
		if _, err := st.CreateTask(ctx, actor, ref, incident.Task{Title: spec.title, Detail: spec.detail, Assignee: spec.assignee,
			State: spec.state, Due: ptr(spec.due)}); err != nil {
			return fmt.Errorf("create task %q: %w", spec.title, err)
		}
	}
	ids := map[string]map[string]int64{"asset": assetIDs, "service": serviceIDs, "indicator": indicatorIDs}
	for i, spec := range events {
		e := incident.Event{OccurredAt: spec.at, Kind: spec.kind, Source: spec.source, Text: spec.text, Visibility: incident.VisibilityInternal}
		if spec.public {
			e.Visibility = incident.VisibilityPublic
		}
		for _, l := range spec.links {
			typ, name, _ := strings.Cut(l, ":")
			id, ok := ids[typ][name]
			if !ok {
				return fmt.Errorf("event %d: unknown link %q", i, l)
			}
			e.Links = append(e.Links, incident.Link{Type: typ, ID: id})
		}
		if _, err := st.AppendEvent(ctx, spec.actor, ref, e); err != nil {
			return fmt.Errorf("append event %d: %w", i, err)
		}
	}
	return nil
}
