package web

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// postForm sends v as an HTML form as who.
func (f *fixture) postForm(who, path string, v url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.serve(f.newRequest(who, "POST", path, []byte(v.Encode()), "application/x-www-form-urlencoded"))
}

// pageText is a console page's body with HTML entities decoded, so that
// messages can be looked for as written.
func pageText(rec *httptest.ResponseRecorder) string { return html.UnescapeString(rec.Body.String()) }

const fieldError = `<p class="field-error" role="alert">`

// errorAfter returns the text of the first field error after the first
// occurrence of anchor in body, and whether it comes before limit (the
// next field or the form's button), that is, next to its field.
func errorAfter(body, anchor, limit string) (msg string, near bool) {
	i := strings.Index(body, anchor)
	if i < 0 {
		return "", false
	}
	rest := body[i+len(anchor):]
	j := strings.Index(rest, fieldError)
	if j < 0 {
		return "", false
	}
	msg, _, _ = strings.Cut(rest[j+len(fieldError):], "</p>")
	k := strings.Index(rest, limit)
	return msg, k < 0 || j < k
}

// TestConsoleFieldErrors submits invalid forms: each is refused with 422,
// the page shown again with the error next to its field, and nothing written.
func TestConsoleFieldErrors(t *testing.T) {
	f := newFixture(t)
	inc := "/incidents/" + f.A.Ref
	tests := []struct {
		name, who, path string
		form            url.Values
		anchor, limit   string // the error is after anchor and before limit
		msg             string // and contains this
	}{
		{"timeline entry without text", "responder", inc + "/timeline", url.Values{"text": {"  "}, "kind": {"note"}},
			"</textarea>", `<div class="row">`, "is required"},
		{"timeline entry at no time", "responder", inc + "/timeline", url.Values{"text": {"Saw it"}, "occurred_at": {"yesterday-ish"}},
			`name="occurred_at" value="yesterday-ish"`, "</form>", "not a time"},
		{"timeline entry of a reserved kind", "responder", inc + "/timeline", url.Values{"text": {"Saw it"}, "kind": {"phase_change"}},
			`name="occurred_at"`, "</form>", "choose one of the listed kinds"},
		{"timeline correction of another incident's entry", "responder", inc + "/timeline",
			url.Values{"text": {"Correction"}, "corrects": {strconv.FormatInt(f.B.Event, 10)}},
			`name="corrects"`, "</form>", "is not on this incident's timeline"},
		{"task without a title", "responder", inc + "/tasks", url.Values{"title": {""}, "assignee": {"u-responder"}},
			`name="title" required value="">`, `for="detail"`, "is required"},
		{"task due at no time", "responder", inc + "/tasks", url.Values{"title": {"Rotate keys"}, "due": {"soon"}},
			`name="due" value="soon">`, `<button`, "not a time"},
		{"asset with a name taken", "responder", inc + "/assets", url.Values{"name": {"web-01"}, "kind": {"host"}},
			`name="name" required value="web-01">`, `<div class="row">`, "an asset with this name exists already"},
		{"asset compromise without a reason", "responder", fmt.Sprintf("%s/assets/%d/compromise", inc, f.A.Asset),
			url.Values{"compromise": {"compromised"}}, `<h2 id="ast">Assets</h2>`, "<table", "is required"},
		{"incident of no known severity", "commander", "/incidents", url.Values{"title": {"Phishing"}, "severity": {"apocalyptic"}},
			`<select name="severity"><option >low`, `<button type="submit">Open incident`, `"apocalyptic" is not one of`},
		{"incident without a title", "commander", "/incidents", url.Values{"title": {""}, "severity": {"high"}},
			`id="title" name="title"`, `for="summary"`, "is required"},
		{"incident change without a reason", "commander", inc, url.Values{"severity": {"critical"}},
			`id="reason" name="reason"`, "<button", "is required"},
		{"incident change that changes nothing", "commander", inc, url.Values{"reason": {"because"}},
			`id="reason" name="reason"`, "<button", "choose a phase, a severity or a clock anchor"},
		{"clock anchor without a time", "commander", inc, url.Values{"anchor": {"aware_at"}, "reason": {"call from the SOC"}},
			`name="anchor_at"`, `for="reason"`, "say when it happened"},
		{"indicator that is nothing", "responder", inc + "/indicators", url.Values{"value": {"not an indicator"}},
			`name="value" value="not an indicator">`, `for="bulk"`, "choose the type"},
		{"indicator paste with a bad line", "responder", inc + "/indicators", url.Values{"bulk": {"203.0.113.5\n# a comment\nno such thing"}},
			`</textarea>`, `<button`, `line 3: "no such thing"`},
		{"triage without a reason", "responder", fmt.Sprintf("%s/findings/%d/triage", inc, f.A.Finding), url.Values{"state": {"confirmed"}},
			`<button type="submit">Filter</button></form>`, `<ul class="findings">`, "is required"},
		{"password change with a wrong current password", "viewer", "/account/password",
			url.Values{"current": {"not my password"}, "new": {"a brand new password"}, "confirm": {"a brand new password"}},
			`id="current" name="current"`, `for="new"`, "this is not your current password"},
		{"password change to a short one", "viewer", "/account/password",
			url.Values{"current": {testPassword}, "new": {"short"}, "confirm": {"short"}},
			`id="new" name="new"`, `for="confirm"`, "at least 12"},
		{"password change with a typo", "viewer", "/account/password",
			url.Values{"current": {testPassword}, "new": {"a brand new password"}, "confirm": {"a brand new passwrod"}},
			`id="confirm" name="confirm"`, `<button`, "the two new passwords differ"},
		{"token for a century", "viewer", "/account/tokens", url.Values{"name": {"forever"}, "days": {"36500"}},
			`name="days"`, `<button`, "at most"},
		{"guest without an end", "admin", "/admin/users",
			url.Values{"name": {"outside-expert"}, "role": {"guest"}, "password": {"a long enough password"}, "incidents": {f.A.Ref}},
			`id="expires_at" name="expires_at"`, `<button`, "guests need an end to their access"},
		{"user with a name taken", "admin", "/admin/users", url.Values{"name": {"u-viewer"}, "role": {"viewer"}, "password": {"a long enough password"}},
			`id="name" name="name" required value="u-viewer">`, `for="role"`, "this name is taken"},
		{"admin disabling themselves", "admin", fmt.Sprintf("/admin/users/%d", f.users["admin"].user.ID), url.Values{"disabled": {"true"}},
			"<h1>Users</h1>", "<table", "you cannot disable yourself"},
	}
	before := f.snapshot()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer f.reportTo(t)()
			rec := f.postForm(tc.who, tc.path, tc.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("POST %s %v = %d, want 422; body %.300q", tc.path, tc.form, rec.Code, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			body := pageText(rec)
			msg, near := errorAfter(body, tc.anchor, tc.limit)
			if !strings.Contains(msg, tc.msg) || !near {
				t.Errorf("first field error after %q is %q (before %q: %v), want one containing %q before it", tc.anchor, msg, tc.limit, near, tc.msg)
			}
			after := f.snapshot()
			after.sameAs(t, before)
			before = after
		})
	}
}

// emptyFormOK lists the forms for which an empty form is a valid request:
// changes where every field is optional, buttons that only name the item
// in their path, and channels (empty: none).
var emptyFormOK = map[string]bool{
	"/admin/users/{id}":               true,
	"/incidents/{ref}/tasks/{id}":     true,
	"/status/updates/{id}/approve":    true,
	"/status/updates/{id}/publish":    true,
	"/status/updates/{id}/discard":    true,
	"/status/channels":                true,
	"/status/subscribers/{id}/delete": true,
}

// TestConsoleFormsNeverFail posts an empty form to every console form
// route: whatever is missing, the answer is a page, never a 5xx (a
// template that cannot show a form's errors would give one).
func TestConsoleFormsNeverFail(t *testing.T) {
	f := newFixture(t)
	for _, rt := range f.srv.Routes() {
		if rt.API || rt.Method != "POST" || rt.Path == "/login" || rt.Path == "/logout" {
			continue
		}
		t.Run(rt.Path, func(t *testing.T) {
			defer f.reportTo(t)()
			req := f.routeRequest(rt, "admin", f.A)
			ct := "application/x-www-form-urlencoded"
			if strings.HasSuffix(rt.Path, "/evidence") {
				ct = "multipart/form-data; boundary=xyz"
			}
			rec := f.serve(f.newRequest("admin", "POST", req.URL.Path, []byte{}, ct))
			if rec.Code >= 500 || rec.Code < 400 && !emptyFormOK[rt.Path] {
				t.Errorf("POST %s with an empty form = %d; body %.300q", req.URL.Path, rec.Code, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); rec.Code >= 400 && !strings.HasPrefix(ct, "text/html") {
				t.Errorf("POST %s with an empty form: Content-Type %q, want a page", req.URL.Path, ct)
			}
		})
	}
}

// TestConsoleFormTooLarge refuses a form over the limit as too large (413), not as malformed.
func TestConsoleFormTooLarge(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	rec := f.postForm("responder", "/incidents/"+f.A.Ref+"/timeline", url.Values{"text": {strings.Repeat("x", 1<<20)}})
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("POST of a 1 MiB form = %d %q, want a 413 page", rec.Code, rec.Header().Get("Content-Type"))
	}
	f.snapshot().sameAs(t, before)
}

// TestConsoleOperational isolates an asset: the confirmation shows the
// services before and after, and the change needs a reason, which lands on
// the timeline.
func TestConsoleOperational(t *testing.T) {
	f := newFixture(t)
	path := fmt.Sprintf("/incidents/%s/assets/%d/operational", f.A.Ref, f.A.Asset)

	rec := f.do("responder", "GET", path+"?state=isolated", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s?state=isolated = %d; body %.300q", path, rec.Code, rec.Body.String())
	}
	body := pageText(rec)
	before := between(body, `id="blast-before">`, "</ul>")
	after := between(body, `id="blast-after">`, "</ul>")
	if !strings.Contains(before, "All services operational.") {
		t.Errorf("services now = %q, want all operational", before)
	}
	if !strings.Contains(after, "Portal: <strong>down</strong>") || !strings.Contains(after, "was none") || !strings.Contains(after, "web-01") {
		t.Errorf("services after isolating = %q, want Portal down (was none) because of web-01", after)
	}
	for _, want := range []string{"Isolate <strong>web-01</strong>: online → isolated", `name="state" value="isolated"`, `<svg class="graph"`} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %q", want)
		}
	}
	if rec := f.do("responder", "GET", path+"?state=exploded", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("GET %s?state=exploded = %d, want 400", path, rec.Code)
	}
	if rec := f.do("responder", "GET", fmt.Sprintf("/incidents/%s/assets/%d/operational?state=isolated", f.A.Ref, f.B.Asset), nil); rec.Code != http.StatusNotFound {
		t.Errorf("confirming another incident's asset = %d, want 404", rec.Code)
	}

	// Without a reason: the confirmation again, with the error, and no change.
	rec = f.postForm("responder", path, url.Values{"state": {"isolated"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("POST %s without a reason = %d, want 422", path, rec.Code)
	}
	if msg, near := errorAfter(pageText(rec), `id="reason" name="reason"`, "<button"); !strings.Contains(msg, "is required") || !near {
		t.Errorf("error next to the reason = %q, want 'is required'", msg)
	}
	if got := f.assetState(f.A); got != incident.OpOnline {
		t.Errorf("asset after a refused change = %s, want online", got)
	}

	const reason = "webshell found under /uploads"
	rec = f.postForm("responder", path, url.Values{"state": {"isolated"}, "reason": {reason}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/incidents/"+f.A.Ref+"/assets" {
		t.Fatalf("POST %s = %d to %q, want 303 to the assets page", path, rec.Code, rec.Header().Get("Location"))
	}
	if got := f.assetState(f.A); got != incident.OpIsolated {
		t.Errorf("asset after isolating = %s, want isolated", got)
	}
	last := f.lastEvent(f.A.Ref)
	if last.Kind != incident.KindAction || last.Actor != "u-responder" || !strings.Contains(last.Text, reason) || !strings.Contains(last.Text, "online → isolated") {
		t.Errorf("last timeline entry = %+v, want an action by u-responder with the reason", last)
	}
	// The assets page shows the state, and the incident's frame the impact.
	if body := pageText(f.do("viewer", "GET", "/incidents/"+f.A.Ref+"/assets", nil)); !strings.Contains(body, `<td class="op op-isolated">isolated</td>`) ||
		!strings.Contains(body, `<li class="impact-down">Portal: <strong>down</strong></li>`) {
		t.Errorf("assets page after isolating does not show web-01 isolated and Portal down")
	}
	// Restoring: the confirmation says what comes back.
	body = pageText(f.do("responder", "GET", path+"?state=online", nil))
	if after := between(body, `id="blast-after">`, "</ul>"); !strings.Contains(after, "Portal: <strong>none</strong>") || !strings.Contains(after, "was down") {
		t.Errorf("services after restoring = %q, want Portal back (was down)", after)
	}
	// Isolating twice is an error shown on the page.
	rec = f.postForm("responder", path, url.Values{"state": {"isolated"}, "reason": {"again"}})
	if msg, _ := errorAfter(pageText(rec), `id="reason" name="reason"`, "</form>"); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, "already isolated") {
		t.Errorf("isolating an isolated asset = %d %q, want 422 saying it is already isolated", rec.Code, msg)
	}
}

// between returns the text of s between the first start and the next end.
func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, end)
	return out
}

// lastEvent returns the newest entry of an incident's timeline.
func (f *fixture) lastEvent(ref string) incident.Event {
	f.t.Helper()
	evs, err := f.st.Timeline(context.Background(), ref, store.TimelineQuery{Limit: 1})
	f.must(err, "timeline")
	if len(evs) == 0 {
		f.t.Fatalf("timeline of %s is empty", ref)
	}
	return evs[0]
}

// TestConsoleFindings triages and promotes findings.
func TestConsoleFindings(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := "/incidents/" + f.A.Ref + "/findings/"
	finding := func(id int64) incident.Finding {
		t.Helper()
		list, err := f.st.ListFindings(ctx, f.A.Ref, store.Page{Limit: 1000})
		f.must(err, "list findings")
		for _, fd := range list {
			if fd.ID == id {
				return fd
			}
		}
		t.Fatalf("finding %d is gone", id)
		return incident.Finding{}
	}
	hasIndicator := func(value string) bool {
		inds, err := f.st.ListIndicators(ctx, f.A.Ref, store.Page{Limit: 1000})
		f.must(err, "list indicators")
		return slices.ContainsFunc(inds, func(i incident.Indicator) bool { return i.Value == value })
	}

	// Triage.
	id := f.makeFinding(f.A, incident.Finding{Rule: "webshell", Title: "POST to cmd.php", Host: "web-02"})
	rec := f.postForm("responder", fmt.Sprintf("%s%d/triage", base, id), url.Values{"state": {"dismissed"}, "reason": {"our own scanner"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("triage = %d; body %.300q", rec.Code, rec.Body.String())
	}
	if fd := finding(id); fd.State != incident.FindingDismissed || fd.Reason != "our own scanner" {
		t.Errorf("finding after dismissing = %s %q, want dismissed with the reason", fd.State, fd.Reason)
	}
	if e := f.lastEvent(f.A.Ref); !strings.Contains(e.Text, "dismissed") || !strings.Contains(e.Text, "our own scanner") {
		t.Errorf("last timeline entry = %q, want the dismissal with its reason", e.Text)
	}

	tests := []struct {
		name    string
		who     string
		finding incident.Finding
		to      string
		status  int
		check   func(t *testing.T, body string)
	}{
		{"matched indicator to indicator", "guest", incident.Finding{Rule: "ioc", Title: "C2 beacon", Indicator: "192.0.2.99"}, "indicator", 303,
			func(t *testing.T, _ string) {
				if !hasIndicator("192.0.2.99") {
					t.Errorf("no indicator 192.0.2.99 after promoting")
				}
			}},
		{"client address to indicator", "responder", incident.Finding{Rule: "webshell", Title: "POST to shell.php", Fields: map[string]string{"c-ip": "203.0.113.77"}}, "indicator", 303,
			func(t *testing.T, _ string) {
				if !hasIndicator("203.0.113.77") {
					t.Errorf("no indicator 203.0.113.77 after promoting")
				}
			}},
		{"nothing to promote to indicator", "responder", incident.Finding{Rule: "webshell", Title: "Odd file"}, "indicator", 422,
			func(t *testing.T, body string) {
				if !strings.Contains(body, "has no indicator or client address to promote") {
					t.Errorf("page does not say there is nothing to promote")
				}
			}},
		{"host to asset compromise", "responder", incident.Finding{Rule: "webshell", Title: "Shell on web-01", Host: "WEB-01"}, "asset", 303,
			func(t *testing.T, _ string) {
				assets, err := f.st.ListAssets(ctx, f.A.Ref, store.Page{Limit: 1000})
				f.must(err, "list assets")
				if i := slices.IndexFunc(assets, func(a incident.Asset) bool { return a.ID == f.A.Asset }); assets[i].Compromise != incident.CompromiseCompromised {
					t.Errorf("web-01 after promoting = %s, want compromised", assets[i].Compromise)
				}
				if e := f.lastEvent(f.A.Ref); !strings.Contains(e.Text, "web-01 marked compromised") || !strings.Contains(e.Text, "Shell on web-01") {
					t.Errorf("last timeline entry = %q, want web-01 marked compromised, naming the finding", e.Text)
				}
			}},
		{"unknown host to asset compromise", "responder", incident.Finding{Rule: "webshell", Title: "Shell", Host: "db-07"}, "asset", 422,
			func(t *testing.T, body string) {
				if !strings.Contains(body, `no asset is named "db-07"`) {
					t.Errorf("page does not say that no asset is named db-07")
				}
			}},
		{"to nowhere", "responder", incident.Finding{Rule: "webshell", Title: "Shell", Host: "web-01"}, "moon", 422,
			func(t *testing.T, body string) {
				if !strings.Contains(body, "promote to an indicator or an asset compromise") {
					t.Errorf("page does not say what to promote to")
				}
			}},
		{"guest to asset compromise", "guest", incident.Finding{Rule: "webshell", Title: "Shell", Host: "web-01"}, "asset", 403, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer f.reportTo(t)()
			id := f.makeFinding(f.A, tc.finding)
			rec := f.postForm(tc.who, fmt.Sprintf("%s%d/promote", base, id), url.Values{"to": {tc.to}})
			if rec.Code != tc.status {
				t.Fatalf("promote to %s = %d, want %d; body %.300q", tc.to, rec.Code, tc.status, rec.Body.String())
			}
			if tc.status == http.StatusSeeOther && rec.Header().Get("Location") != "/incidents/"+f.A.Ref+"/findings" {
				t.Errorf("promote redirects to %q, want the findings page", rec.Header().Get("Location"))
			}
			if tc.check != nil {
				tc.check(t, pageText(rec))
			}
		})
	}
	if rec := f.postForm("responder", fmt.Sprintf("%s%d/promote", base, f.B.Finding), url.Values{"to": {"indicator"}}); rec.Code != http.StatusNotFound {
		t.Errorf("promoting another incident's finding = %d, want 404", rec.Code)
	}
}

// TestConsoleCreateIncident opens an incident from the list page.
func TestConsoleCreateIncident(t *testing.T) {
	f := newFixture(t)
	rec := f.postForm("commander", "/incidents", url.Values{"title": {"Phishing wave"}, "severity": {"critical"}, "tlp": {"red"},
		"aware_at": {"2026-01-05T07:20"}})
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !regexp.MustCompile(`^/incidents/INC-\d{4}-\d+$`).MatchString(loc) {
		t.Fatalf("POST /incidents = %d to %q, want 303 to the new incident", rec.Code, loc)
	}
	in, err := f.st.GetIncident(context.Background(), strings.TrimPrefix(loc, "/incidents/"))
	f.must(err, "get new incident")
	aware := in.AwareAt()
	if in.Title != "Phishing wave" || in.Severity != incident.SeverityCritical || in.TLP != incident.TLPRed || aware == nil ||
		!aware.Equal(time.Date(2026, 1, 5, 7, 20, 0, 0, time.UTC)) {
		t.Errorf("new incident = %+v (aware %v), want the form's values", in, aware)
	}
	body := pageText(f.do("commander", "GET", loc, nil))
	for _, want := range []string{"Phishing wave", "TLP:red", "Incident opened: Phishing wave"} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	// After a refused form, the values entered are kept.
	rec = f.postForm("commander", "/incidents", url.Values{"title": {""}, "summary": {"Mails to finance"}, "severity": {"low"}, "tlp": {"green"}})
	body = pageText(rec)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, ">Mails to finance</textarea>") ||
		!strings.Contains(body, "<option selected>low</option>") || !strings.Contains(body, "<option selected>green</option>") ||
		!strings.Contains(body, "<details class=\"card\" open>") {
		t.Errorf("refused incident form = %d, want 422 with the form open and its values kept", rec.Code)
	}
}

// TestConsoleChangePassword changes a password: every session ends, and
// the new password signs in.
func TestConsoleChangePassword(t *testing.T) {
	f := newFixture(t)
	u := f.users["responder"]
	const newPassword = "a brand new password, long"
	withSession := func(method, path string, v url.Values) *httptest.ResponseRecorder {
		var body []byte
		if v != nil {
			body = []byte(v.Encode())
		}
		req := f.newRequest(anonymous, method, path, body, "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: u.session})
		return f.serve(req)
	}
	rec := withSession("POST", "/account/password", url.Values{"current": {testPassword}, "new": {newPassword}, "confirm": {newPassword}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("change password = %d to %q, want 303 to /login; body %.300q", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	if rec := withSession("GET", "/api/v1/me", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("old session after the change: GET /api/v1/me = %d, want 401", rec.Code)
	}
	if rec := withSession("GET", "/", nil); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("old session after the change: GET / = %d to %q, want 303 to /login", rec.Code, rec.Header().Get("Location"))
	}
	login := func(pw string) int {
		v := url.Values{"username": {u.user.Name}, "password": {pw}}
		return f.serve(f.newRequest(anonymous, "POST", "/login", []byte(v.Encode()), "application/x-www-form-urlencoded")).Code
	}
	if got := login(testPassword); got != http.StatusUnauthorized {
		t.Errorf("login with the old password = %d, want 401", got)
	}
	if got := login(newPassword); got != http.StatusSeeOther {
		t.Errorf("login with the new password = %d, want 303", got)
	}
}

// TestConsoleTokens creates an API token on the account page: shown once, and it works.
func TestConsoleTokens(t *testing.T) {
	f := newFixture(t)
	rec := f.postForm("viewer", "/account/tokens", url.Values{"name": {"dashboard"}, "days": {"7"}})
	m := regexp.MustCompile(`<code class="token">([^<]+)</code>`).FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusCreated || m == nil {
		t.Fatalf("POST /account/tokens = %d without a token shown; body %.300q", rec.Code, rec.Body.String())
	}
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+m[1])
	if rec := f.serve(req); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "u-viewer") {
		t.Errorf("GET /api/v1/me with the new token = %d, want 200 as u-viewer", rec.Code)
	}
	if strings.Contains(f.do("viewer", "GET", "/account", nil).Body.String(), m[1]) {
		t.Errorf("the account page shows the token again")
	}
}

// TestConsoleAdminUsers adds a guest and changes a user.
func TestConsoleAdminUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rec := f.postForm("admin", "/admin/users", url.Values{"name": {"outside-expert"}, "role": {"guest"}, "password": {"a long enough password"},
		"incidents": {f.A.Ref}, "expires_at": {time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/users" {
		t.Fatalf("create guest = %d; body %.300q", rec.Code, rec.Body.String())
	}
	u, _, err := f.st.UserByName(ctx, "outside-expert")
	f.must(err, "load the new guest")
	if u.Role != incident.RoleGuest || !slices.Equal(u.Incidents, []string{f.A.Ref}) || u.ExpiresAt == nil {
		t.Errorf("new guest = %+v, want a guest on %s with an expiry", u, f.A.Ref)
	}
	rec = f.postForm("admin", fmt.Sprintf("/admin/users/%d", f.target.ID), url.Values{"role": {"responder"}, "disabled": {"true"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("change user = %d; body %.300q", rec.Code, rec.Body.String())
	}
	got, err := f.st.GetUser(ctx, f.target.ID)
	f.must(err, "load the changed user")
	if got.Role != incident.RoleResponder || !got.Disabled {
		t.Errorf("changed user = %s disabled=%v, want a disabled responder", got.Role, got.Disabled)
	}
	body := pageText(f.do("admin", "GET", "/admin/users", nil))
	if !strings.Contains(body, "<td>outside-expert</td><td>guest</td><td>"+f.A.Ref+" </td>") {
		t.Errorf("users page does not list the new guest with their incident")
	}
}

// TestConsoleGuestView checks that a guest sees only their incident and
// only the actions their role allows.
func TestConsoleGuestView(t *testing.T) {
	f := newFixture(t)
	body := pageText(f.do("guest", "GET", "/", nil))
	refs := regexp.MustCompile(`<td><a href="/incidents/(INC-[0-9-]+)">`).FindAllStringSubmatch(body, -1)
	if len(refs) != 1 || refs[0][1] != f.A.Ref {
		t.Errorf("guest's incident list shows %v, want only %s", refs, f.A.Ref)
	}
	if strings.Contains(body, "Open a new incident") || strings.Contains(body, `href="/admin/users"`) {
		t.Errorf("guest's list offers opening incidents or user administration")
	}
	for _, path := range []string{"/incidents/" + f.B.Ref, "/incidents/" + f.B.Ref + "/assets", "/incidents/" + f.B.Ref + "/evidence"} {
		b, none := f.do("guest", "GET", path, nil), f.do("guest", "GET", strings.ReplaceAll(path, f.B.Ref, "INC-1999-0001"), nil)
		if b.Code != http.StatusNotFound || none.Code != http.StatusNotFound ||
			strings.ReplaceAll(b.Body.String(), f.B.Ref, "X") != strings.ReplaceAll(none.Body.String(), "INC-1999-0001", "X") {
			t.Errorf("guest GET %s = %d, a missing incident %d: want the same 404 page", path, b.Code, none.Code)
		}
	}
	body = pageText(f.do("guest", "GET", "/incidents/"+f.A.Ref+"/assets", nil))
	if strings.Contains(body, "Isolate…") || strings.Contains(body, "New asset") {
		t.Errorf("guest's assets page offers isolating or adding assets")
	}
	body = pageText(f.do("guest", "GET", "/incidents/"+f.A.Ref, nil))
	if !strings.Contains(body, `id="add-entry"`) || strings.Contains(body, "Change the incident") {
		t.Errorf("guest's incident page: want the new-entry form and not the change form")
	}
}

// TestConsoleEvidenceUpload uploads a file through the console form: the
// evidence page shows its SHA-256.
func TestConsoleEvidenceUpload(t *testing.T) {
	f := newFixture(t)
	content := []byte("10.0.0.5 - - [19/Jul/2025:07:20:01 +0000] \"POST /uploads/cmd.php HTTP/1.1\" 200\n")
	sum := sha256.Sum256(content)
	body, ct := multipartBody("access.log", content, "proxy log, 19 July")
	path := "/incidents/" + f.A.Ref + "/evidence"
	rec := f.serve(f.newRequest("responder", "POST", path, body, ct))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path {
		t.Fatalf("upload = %d to %q, want 303 to the evidence page; body %.300q", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	pg := pageText(f.do("legal", "GET", path, nil))
	item := between(pg, "<strong>access.log</strong>", "</li>")
	if !strings.Contains(item, `<code class="sha">`+hex.EncodeToString(sum[:])+"</code>") || !strings.Contains(item, "proxy log, 19 July") ||
		!strings.Contains(item, "u-responder · uploaded") {
		t.Errorf("evidence page entry %q lacks the SHA-256 %x, the description or the custody entry", item, sum)
	}
	// A name that is a path is refused next to the file field.
	body, ct = multipartBody("../../etc/passwd", content, "")
	rec = f.serve(f.newRequest("responder", "POST", path, body, ct))
	if msg, near := errorAfter(pageText(rec), `name="file" type="file"`, "<button"); rec.Code != http.StatusUnprocessableEntity || !near || !strings.Contains(msg, `contains ".."`) {
		t.Errorf("upload named ../../etc/passwd = %d with error %q, want 422 next to the file field", rec.Code, msg)
	}
}

// TestTimelinePages reads a long timeline page by page: 200 entries each,
// newest first, each entry once.
func TestTimelinePages(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(f.A.Ref, 450, 8)
	all, err := f.st.ListEvents(context.Background(), f.A.Ref, store.Page{Limit: 1000})
	f.must(err, "list events")
	entry := regexp.MustCompile(`<li class="ev ev-[a-z_]+" id="e(\d+)">`)
	older := regexp.MustCompile(`<a href="([^"]+)">Older entries</a>`)
	seen := map[string]bool{}
	next := "/incidents/" + f.A.Ref
	var sizes []int
	for next != "" && len(sizes) < 10 {
		rec := f.do("viewer", "GET", next, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", next, rec.Code)
		}
		body := rec.Body.String()
		ids := entry.FindAllStringSubmatch(body, -1)
		sizes = append(sizes, len(ids))
		for _, m := range ids {
			if seen[m[1]] {
				t.Errorf("entry %s is on two pages", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := older.FindStringSubmatch(body); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if want := []int{200, 200, len(all) - 400}; !slices.Equal(sizes, want) {
		t.Errorf("page sizes = %v, want %v", sizes, want)
	}
	if len(seen) != len(all) {
		t.Errorf("pages showed %d entries, the timeline has %d", len(seen), len(all))
	}
	// Filtered pages keep their filter.
	body := f.do("viewer", "GET", "/incidents/"+f.A.Ref+"?kind=detection", nil).Body.String()
	if n := len(entry.FindAllString(body, -1)); n != 200 || !strings.Contains(body, "kind=detection") {
		t.Errorf("first page of detections has %d entries, want 200 and a link that keeps the filter", n)
	}
	if rec := f.do("viewer", "GET", "/incidents/"+f.A.Ref+"?before=yesterday", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("GET with a bad before = %d, want 400", rec.Code)
	}
}

// appendEvents adds n timeline entries to an incident from workers
// goroutines at once (the store batches concurrent writes), half of them
// detections.
func (f *fixture) appendEvents(ref string, n, workers int) {
	f.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				kind := incident.KindNote
				if i%2 == 0 {
					kind = incident.KindDetection
				}
				if _, err := f.st.AppendEvent(context.Background(), "loader", ref, incident.Event{Kind: kind,
					Text: fmt.Sprintf("Entry %d: proxy log line %d looked at", i, i*7)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.must(err, "append events")
	}
}

// sseMessage is one Server-Sent Events message.
type sseMessage struct{ id, event, data, retry string }

// openStream opens an incident's event stream on a real server, with
// headers set by setup (who is asking), and returns its messages as they
// arrive; the channel is closed when the stream ends, at the latest with
// the test.
func openStream(t *testing.T, f *fixture, ref string, setup func(*http.Request)) <-chan sseMessage {
	t.Helper()
	srv := httptest.NewServer(f.srv)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(srv.Close)
	t.Cleanup(cancel) // first: the handler returns, then the server closes
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/incidents/"+ref+"/events/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	setup(req)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET stream = %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseMessage, 100)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if m != (sseMessage{}) {
					select {
					case out <- m:
					case <-ctx.Done():
						return
					}
				}
				m = sseMessage{}
				continue
			}
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "id":
				m.id = v
			case "event":
				m.event = v
			case "data":
				m.data += v
			case "retry":
				m.retry = v
			}
		}
	}()
	return out
}

// asUser sets a request's Authorization header to who's token.
func (f *fixture) asUser(who string) func(*http.Request) {
	return func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+f.users[who].token) }
}

// nextTimeline waits up to 2 s for the stream's next timeline message.
func nextTimeline(t *testing.T, msgs <-chan sseMessage) incident.Event {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("the stream ended")
			}
			if m.event != "timeline" {
				continue
			}
			var e incident.Event
			if err := json.Unmarshal([]byte(m.data), &e); err != nil {
				t.Fatalf("timeline message data %q: %v", m.data, err)
			}
			if m.id != strconv.FormatInt(e.ID, 10) {
				t.Errorf("message id %q, entry id %d: want the same", m.id, e.ID)
			}
			return e
		case <-timeout:
			t.Fatalf("no timeline message within 2 s")
		}
	}
}

// TestEventStreamLive opens the live timeline and sees an entry added by
// someone else arrive, with its text.
func TestEventStreamLive(t *testing.T) {
	f := newFixture(t)
	msgs := openStream(t, f, f.A.Ref, f.asUser("viewer"))
	// The retry interval comes first and no old entries follow.
	select {
	case m := <-msgs:
		if m.retry == "" || m.event != "" || m.data != "" {
			t.Errorf("first message = %+v, want only the retry interval", m)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("nothing on the stream within 2 s")
	}
	const text = "Isolated web-01 from the load balancer <b>now</b>"
	e, err := f.st.AppendEvent(context.Background(), "u-responder", f.A.Ref, incident.Event{Kind: incident.KindAction, Text: text})
	f.must(err, "append event")
	f.must(func() error {
		_, err := f.st.AppendEvent(context.Background(), "u-responder", f.B.Ref, incident.Event{Text: "on B"})
		return err
	}(), "append to B")
	got := nextTimeline(t, msgs)
	if got.ID != e.ID || got.Text != text || got.Kind != incident.KindAction || got.Actor != "u-responder" {
		t.Errorf("streamed entry = %+v, want %+v", got, e)
	}
	// B's entry is not on A's stream.
	e2, err := f.st.AppendEvent(context.Background(), "u-responder", f.A.Ref, incident.Event{Text: "second"})
	f.must(err, "append event")
	if got := nextTimeline(t, msgs); got.ID != e2.ID {
		t.Errorf("next streamed entry = %d %q, want %d (and nothing from B)", got.ID, got.Text, e2.ID)
	}
}

// TestEventStreamReplay reconnects with Last-Event-ID and gets the entries
// missed, in order.
func TestEventStreamReplay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var missed []incident.Event
	for i := range 3 {
		e, err := f.st.AppendEvent(ctx, "u-responder", f.A.Ref, incident.Event{Text: fmt.Sprintf("missed %d", i)})
		f.must(err, "append event")
		missed = append(missed, e)
	}
	msgs := openStream(t, f, f.A.Ref, func(req *http.Request) {
		f.asUser("guest")(req)
		req.Header.Set("Last-Event-ID", strconv.FormatInt(missed[0].ID, 10))
	})
	for _, want := range missed[1:] {
		if got := nextTimeline(t, msgs); got.ID != want.ID || got.Text != want.Text {
			t.Errorf("replayed entry = %d %q, want %d %q", got.ID, got.Text, want.ID, want.Text)
		}
	}
}

// TestEventStreamEndsWithAccess ends an open stream when its session ends
// or when a guest loses access to the incident.
func TestEventStreamEndsWithAccess(t *testing.T) {
	defer func(d time.Duration) { liveRecheck = d }(liveRecheck)
	liveRecheck = 0 // check on every poll
	f := newFixture(t)
	ctx := context.Background()
	ended := func(t *testing.T, msgs <-chan sseMessage) {
		t.Helper()
		timeout := time.After(2 * time.Second)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return
				}
				if m.event == "timeline" {
					t.Errorf("got %q after access ended", m.data)
				}
			case <-timeout:
				t.Fatalf("the stream is still open 2 s after access ended")
			}
		}
	}
	t.Run("logout", func(t *testing.T) {
		defer f.reportTo(t)()
		u := f.users["responder"]
		msgs := openStream(t, f, f.A.Ref, func(req *http.Request) { req.AddCookie(&http.Cookie{Name: sessionCookie, Value: u.session}) })
		<-msgs // the retry interval: the stream is open
		f.must(f.st.DeleteSession(ctx, auth.HashSecret(u.session)), "delete session")
		_, err := f.st.AppendEvent(ctx, "u-commander", f.A.Ref, incident.Event{Text: "after the logout"})
		f.must(err, "append event")
		ended(t, msgs)
	})
	t.Run("guest taken off the incident", func(t *testing.T) {
		defer f.reportTo(t)()
		msgs := openStream(t, f, f.A.Ref, f.asUser("guest"))
		<-msgs
		none := []string{f.B.Ref}
		_, err := f.st.UpdateUser(ctx, "fixture", f.users["guest"].user.ID, store.UserPatch{Incidents: &none})
		f.must(err, "rescope guest")
		_, err = f.st.AppendEvent(ctx, "u-commander", f.A.Ref, incident.Event{Text: "after the rescope"})
		f.must(err, "append event")
		ended(t, msgs)
	})
}

// TestEventStreamUnknownIncident answers 404 before streaming, whether or
// not the client says what it saw last.
func TestEventStreamUnknownIncident(t *testing.T) {
	f := newFixture(t)
	for _, last := range []string{"", "5", "junk"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req := f.newRequest("admin", "GET", "/incidents/INC-1999-0001/events/stream", nil, "").WithContext(ctx)
		if last != "" {
			req.Header.Set("Last-Event-ID", last)
		}
		rec := f.serve(req)
		cancel()
		if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("stream of an unknown incident with Last-Event-ID %q = %d %q, want a 404 page", last, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

// BenchmarkIncidentPage10k renders the home of an incident with 10,000
// timeline entries (the target is under 50 ms).
func BenchmarkIncidentPage10k(b *testing.B) {
	f := newFixture(b)
	f.appendEvents(f.A.Ref, 10000, 32)
	path := "/incidents/" + f.A.Ref
	if rec := f.do("viewer", "GET", path, nil); rec.Code != http.StatusOK {
		b.Fatalf("GET %s = %d", path, rec.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		if rec := f.do("viewer", "GET", path, nil); rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
}
