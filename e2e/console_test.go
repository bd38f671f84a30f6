package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// xpathLiteral quotes s for an XPath expression (s holds no double quote).
func xpathLiteral(s string) string { return `"` + s + `"` }

// TestLogin signs in through the form and lands on the incident list,
// which shows the demo incident.
func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tb := newTab(t, e, "browser")

	// Signed out, the console sends the browser to the login form.
	tb.open("/incidents/"+e.demoRef, 200)
	if p := tb.path(); !strings.HasPrefix(p, "/login?next=") {
		tb.fatalf("signed out, /incidents/%s led to %s, want the login form", e.demoRef, p)
	}
	tb.checkClean("the login page")

	tb.login(adminUser)
	list := tb.text("table.list tbody")
	if !strings.Contains(list, e.demoRef) || !strings.Contains(list, "SharePoint webshell compromise") {
		tb.fatalf("the incident list does not show the demo incident %s; it shows:\n%s", e.demoRef, list)
	}
	if who := tb.text("header .who"); !strings.Contains(who, adminUser) {
		tb.fatalf("the header shows %q, want the signed-in user %s", who, adminUser)
	}
	tb.checkClean("the incident list")

	// A wrong password gives the form again with its message, not a session.
	other := newTab(t, e, "wrong-password")
	other.open("/login", 200)
	other.run("fill the login form",
		chromedp.SendKeys("#username", adminUser, chromedp.ByQuery),
		chromedp.SendKeys("#password", "not the password", chromedp.ByQuery))
	other.submit("sign in with a wrong password", `form[action="/login"] button[type=submit]`, http.StatusUnauthorized)
	if msg := other.text(".error"); !strings.Contains(msg, "Wrong user name or password") {
		other.fatalf("the login error reads %q", msg)
	}
}

// TestIncidentHome opens the demo incident: its frame and its timeline.
func TestIncidentHome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tb := newTab(t, e, "browser")
	tb.login(responderUser)
	tb.run("follow the link to the demo incident",
		chromedp.Click(`a[href="/incidents/`+e.demoRef+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#timeline", chromedp.ByQuery))
	if p := tb.path(); p != "/incidents/"+e.demoRef {
		tb.fatalf("the incident link led to %s", p)
	}
	if h1 := tb.text("h1"); !strings.Contains(h1, e.demoRef) || !strings.Contains(h1, "SharePoint") {
		tb.fatalf("the incident heading reads %q", h1)
	}
	var n int
	tb.run("count timeline entries", chromedp.Evaluate(`document.querySelectorAll("#timeline li.ev").length`, &n))
	if n < 20 {
		tb.fatalf("the timeline shows %d entries, want the demo's (20 or more)", n)
	}
	tl := tb.text("#timeline")
	for _, want := range []string{"Compromise of sp-web-01 confirmed", "Phase analysing → contained"} {
		if !strings.Contains(tl, want) {
			tb.fatalf("the timeline lacks %q", want)
		}
	}
	// Newest first.
	var times []string
	tb.run("read the entries' times", chromedp.Evaluate(`[...document.querySelectorAll("#timeline li.ev time")].map(t => t.dateTime)`, &times))
	if !slices.IsSortedFunc(times, func(a, b string) int { return strings.Compare(b, a) }) {
		tb.fatalf("the timeline is not newest first: %v", times)
	}
	if impacts := tb.text("ul.impacts"); !strings.Contains(impacts, "Customer portal") {
		tb.fatalf("the affected services read %q, want the customer portal among them", impacts)
	}
	tb.checkClean("the incident home")

	// Every tab of the incident renders without a console error.
	for _, page := range []string{"tasks", "assets", "indicators", "findings", "evidence"} {
		tb.open("/incidents/"+e.demoRef+"/"+page, 200)
		tb.checkClean("the " + page + " page")
	}
}

// TestLiveTimeline adds an entry in one browser and sees it appear in a
// second one, without a reload, within two seconds.
func TestLiveTimeline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := "/incidents/" + e.demoRef
	a := newTab(t, e, "browser A")
	b := newTab(t, e, "browser B")
	a.login(adminUser)
	b.login(responderUser)
	a.open(home, 200)
	b.open(home, 200)

	// B's page must be listening before A writes: the stream starts at the
	// newest entry when it connects.
	select {
	case <-b.streams:
	case <-time.After(10 * time.Second):
		b.fatalf("the incident page opened no live stream")
	}
	// A mark in B's page that a reload would wipe.
	var ok bool
	b.run("mark the page", chromedp.Evaluate(`window.e2eMark = "kept"; true`, &ok))

	// Long texts are set rather than typed: typing sends three events per
	// character and is not what these tests are about (login types).
	text := fmt.Sprintf("Live check %d: firewall change FW-%d pushed to both DMZ firewalls", time.Now().UnixNano(), os.Getpid())
	a.run("write an entry", chromedp.SetValue("#text", text, chromedp.ByQuery))
	a.submit("add the entry", `#add-entry button[type=submit]`, 200)
	added := time.Now()
	if first := a.text("#timeline li.ev p"); first != text {
		a.fatalf("after adding, the newest entry in A is %q, want %q", first, text)
	}

	b.runWithin(2*time.Second, "see A's entry appear in B",
		chromedp.WaitVisible(`//ol[@id="timeline"]/li[contains(@class,"ev")]/p[text()=`+xpathLiteral(text)+`]`, chromedp.BySearch))
	t.Logf("entry seen in browser B %v after browser A's page came back", time.Since(added).Round(time.Millisecond))

	var mark string
	b.run("read the mark", chromedp.Evaluate(`window.e2eMark || "gone"`, &mark))
	if mark != "kept" {
		b.fatalf("browser B reloaded the page (mark %q); the entry must arrive live", mark)
	}
	if first := b.text("#timeline li.ev p"); first != text {
		b.fatalf("in B the new entry is not first: the first entry reads %q", first)
	}
	if actor := b.text("#timeline li.ev .actor"); actor != adminUser {
		b.fatalf("in B the new entry's author reads %q, want %s", actor, adminUser)
	}
	a.checkClean("the incident home (A)")
	b.checkClean("the incident home (B)")
}

// TestIsolateAsset isolates an asset that a service depends on: the
// confirmation shows the services before and after, and the asset is
// isolated afterwards, with the reason on the timeline.
func TestIsolateAsset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tb := newTab(t, e, "browser")
	tb.login(responderUser)
	assets := "/incidents/" + e.demoRef + "/assets"
	tb.open(assets, 200)
	tb.checkClean("the assets page")

	// idp-01 is online; Identity (SSO) needs it, and the portal, the
	// voice API and the mobile app backend need Identity.
	row := `//tr[td/strong[text()="idp-01"]]`
	var state string
	tb.run("read idp-01's state", chromedp.Text(row+`/td[contains(@class,"op")]`, &state, chromedp.BySearch))
	if strings.TrimSpace(state) != "online" {
		tb.fatalf("idp-01 is %q before the test, want online", state)
	}
	tb.navigate("click Isolate… for idp-01", 200,
		chromedp.Click(row+`//a[contains(., "Isolate")]`, chromedp.BySearch))
	if p := tb.path(); !strings.Contains(p, "/operational?state=isolated") {
		tb.fatalf("Isolate… led to %s, want the confirmation page", p)
	}
	before, after := tb.text("#blast-before"), tb.text("#blast-after")
	if strings.Contains(before, "Identity (SSO)") {
		tb.fatalf("#blast-before already lists Identity (SSO): %q", before)
	}
	for _, svc := range []string{"Customer portal", "Voice & messaging API", "Intranet (SharePoint)"} {
		if !strings.Contains(before, svc) {
			tb.fatalf("#blast-before lacks %s, down in the demo: %q", svc, before)
		}
	}
	for _, want := range []string{"Identity (SSO): down", "Mobile app backend: down"} {
		if !strings.Contains(after, want) {
			tb.fatalf("#blast-after lacks %q: %q", want, after)
		}
	}
	if !strings.Contains(after, "idp-01") {
		tb.fatalf("#blast-after does not name idp-01 as the cause: %q", after)
	}
	tb.checkClean("the isolate confirmation")

	reason := "Suspicious admin sign-in on idp-01 from a DMZ address; isolate pending review"
	tb.run("give the reason", chromedp.SetValue("#reason", reason, chromedp.ByQuery))
	tb.submit("confirm the isolation", `button.danger[type=submit]`, 200)
	if p := tb.path(); p != assets {
		tb.fatalf("after confirming, the browser is at %s, want %s", p, assets)
	}
	tb.run("read idp-01's state", chromedp.Text(row+`/td[contains(@class,"op")]`, &state, chromedp.BySearch))
	if strings.TrimSpace(state) != "isolated" {
		tb.fatalf("after isolating, idp-01's row says %q, want isolated", state)
	}
	if impacts := tb.text("ul.impacts"); !strings.Contains(impacts, "Identity (SSO)") {
		tb.fatalf("the affected services do not show Identity (SSO) now: %q", impacts)
	}
	tb.checkClean("the assets page after isolating")

	tb.open("/incidents/"+e.demoRef, 200)
	if tl := tb.text("#timeline"); !strings.Contains(tl, reason) {
		tb.fatalf("the reason is not on the timeline")
	}
}

// TestUploadEvidence uploads a file through the form and finds its
// SHA-256 on the evidence page.
func TestUploadEvidence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	content := fmt.Sprintf("2025-07-19 06:47:12 10.20.1.12 POST /_layouts/15/ToolPane.aspx/ DisplayMode=Edit&a=/ToolPane.aspx 443 - 104.238.159.149\n# e2e %d\n", time.Now().UnixNano())
	file := filepath.Join(t.TempDir(), "u_ex250719-excerpt.log")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	want := hex.EncodeToString(sum[:])

	tb := newTab(t, e, "browser")
	tb.login(adminUser)
	page := "/incidents/" + e.demoRef + "/evidence"
	tb.open(page, 200)
	tb.run("choose the file and describe it",
		chromedp.SetUploadFiles("#file", []string{file}, chromedp.ByQuery),
		chromedp.SetValue("#description", "IIS log excerpt, sp-web-02, second wave", chromedp.ByQuery))
	tb.submit("upload", `form[enctype="multipart/form-data"] button[type=submit]`, 200)
	if p := tb.path(); p != page {
		tb.fatalf("after the upload the browser is at %s, want %s", p, page)
	}
	item := `//li[contains(@class,"card")][strong[text()="u_ex250719-excerpt.log"]]`
	var sha, meta string
	tb.run("read the uploaded item",
		chromedp.Text(item+`//code[contains(@class,"sha")]`, &sha, chromedp.BySearch),
		chromedp.Text(item+`//span[contains(@class,"muted")]`, &meta, chromedp.BySearch))
	if strings.TrimSpace(sha) != want {
		tb.fatalf("the page shows SHA-256 %q, want %s", sha, want)
	}
	if !strings.Contains(meta, fmt.Sprintf("%d bytes", len(content))) {
		tb.fatalf("the page shows %q, want %d bytes", meta, len(content))
	}
	tb.checkClean("the evidence page")
}

// TestGuestScope signs in as a guest scoped to the demo incident: the list
// shows only that incident, and the other incident is "not found".
func TestGuestScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tb := newTab(t, e, "guest")
	tb.login(guestUser)
	list := tb.text("table.list tbody")
	if !strings.Contains(list, e.demoRef) {
		tb.fatalf("the guest's list lacks the incident in scope %s:\n%s", e.demoRef, list)
	}
	if strings.Contains(list, e.otherRef) || strings.Contains(list, otherTitle) {
		tb.fatalf("the guest's list shows the incident outside scope %s:\n%s", e.otherRef, list)
	}
	tb.checkClean("the guest's incident list")
	tb.open("/incidents/"+e.demoRef, 200)
	tb.checkClean("the guest's incident home")

	for _, path := range []string{"/incidents/" + e.otherRef, "/incidents/" + e.otherRef + "/evidence"} {
		tb.open(path, http.StatusNotFound)
		if h1 := tb.text("main h1"); h1 != "Not Found" {
			tb.fatalf("GET %s as a guest shows %q, want the not-found page", path, h1)
		}
		body := tb.text("main")
		if !strings.Contains(body, "not found") {
			tb.fatalf("GET %s as a guest reads %q, want \"not found\"", path, body)
		}
		if strings.Contains(body, otherTitle) {
			tb.fatalf("the not-found page names the other incident's title")
		}
		tb.takeProblems() // the browser logs the 404 itself
	}
}

// TestFormErrorNextToField submits forms the server refuses and finds the
// error next to the field, on the form's own page.
func TestFormErrorNextToField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tb := newTab(t, e, "browser")
	tb.login(adminUser)

	// A blank timeline entry. The browser would refuse it itself, so the
	// required attribute goes first and the server has to say no.
	tb.open("/incidents/"+e.demoRef, 200)
	tb.run("write a blank entry",
		chromedp.RemoveAttribute("#text", "required", chromedp.ByQuery),
		chromedp.SendKeys("#text", "   ", chromedp.ByQuery))
	tb.submit("add a blank entry", `#add-entry button[type=submit]`, http.StatusUnprocessableEntity)
	tb.takeProblems() // the browser logs the 422 itself
	var next struct {
		Msg       string `json:"msg"`
		Adjacent  bool   `json:"adjacent"`
		Described bool   `json:"described"`
		Form      bool   `json:"form"`
	}
	tb.run("find the error", chromedp.Evaluate(`(() => {
		const field = document.getElementById("text");
		const box = field && field.nextElementSibling;
		const err = box && box.querySelector(".field-error");
		return {
			msg: err ? err.textContent : "",
			adjacent: !!err,
			described: !!box && field.getAttribute("aria-describedby") === box.id,
			form: !!field.closest("form#add-entry") && !!document.getElementById("timeline"),
		};
	})()`, &next))
	if !next.Form {
		tb.fatalf("the refused entry did not come back to the incident page with its form")
	}
	if !next.Adjacent || strings.TrimSpace(next.Msg) == "" {
		tb.fatalf("no .field-error right after the text field")
	}
	if !next.Described {
		tb.fatalf("the text field is not described by the element holding its error")
	}
	t.Logf("blank entry: %q", next.Msg)

	// A blank incident title: the error follows the title field, the
	// form stays open and keeps what was typed.
	tb.open("/", 200)
	tb.run("fill the new-incident form with a blank title",
		chromedp.Click("details.card summary", chromedp.ByQuery),
		chromedp.RemoveAttribute("#title", "required", chromedp.ByQuery),
		chromedp.SendKeys("#title", "  ", chromedp.ByQuery),
		chromedp.SetValue("#summary", "Suspicious MFA prompts reported by three employees", chromedp.ByQuery))
	tb.submit("open an incident without a title", `form[action="/incidents"] button[type=submit]`, http.StatusUnprocessableEntity)
	tb.takeProblems()
	var title struct {
		Msg     string `json:"msg"`
		Open    bool   `json:"open"`
		Summary string `json:"summary"`
	}
	tb.run("find the title error", chromedp.Evaluate(`(() => {
		const field = document.getElementById("title");
		const err = field && field.nextElementSibling;
		return {
			msg: err && err.matches(".field-error") ? err.textContent : "",
			open: !!field && field.closest("details").open,
			summary: document.getElementById("summary").value,
		};
	})()`, &title))
	if strings.TrimSpace(title.Msg) == "" {
		tb.fatalf("no .field-error right after the title field")
	}
	if !title.Open {
		tb.fatalf("the new-incident form is folded away with its error")
	}
	if title.Summary != "Suspicious MFA prompts reported by three employees" {
		tb.fatalf("the form lost the summary: %q", title.Summary)
	}
	t.Logf("blank title: %q", title.Msg)
}

// TestProblemsAreCaught checks the checker: a page with an inline script
// and an inline style, served under the console's own CSP, is reported.
func TestProblemsAreCaught(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, err := http.Get(e.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("the console's CSP is %q, want script-src 'self'", csp)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>bad</title><style>body{color:red}</style><p>x</p><script>document.title="ran"</script>`)
	}))
	defer bad.Close()
	tb := newTab(t, &env{url: bad.URL}, "browser")
	tb.open("/", 200)
	problems := strings.Join(tb.takeProblems(), "\n")
	for _, want := range []string{"inline script", "inline style"} {
		if !strings.Contains(problems, "Content Security Policy") || !strings.Contains(problems, want) {
			t.Errorf("the %s under the CSP was not reported; reported:\n%s", want, problems)
		}
	}
	var title string
	tb.run("read the title", chromedp.Title(&title))
	if title != "bad" {
		t.Errorf("the inline script ran (title %q) despite the CSP", title)
	}
}
