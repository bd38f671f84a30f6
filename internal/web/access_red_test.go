package web

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// redIncident opens a TLP:RED incident as the commander (who is then named
// on it).
func redIncident(t *testing.T, f *fixture, title string) incident.Incident {
	t.Helper()
	rec := f.do("commander", "POST", "/api/v1/incidents", map[string]any{"title": title, "tlp": "red"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create TLP:RED incident: %d %s", rec.Code, rec.Body)
	}
	var in incident.Incident
	decodeBody(t, rec, &in)
	return in
}

// TestTLPRedAudit: audit entries of a TLP:RED incident are withheld from
// auditors not named on it (the entry stays, its contents do not).
func TestTLPRedAudit(t *testing.T) {
	f := newFixture(t)
	redIncident(t, f, "Insider exfiltration by J-Doe-secret")
	for who, sees := range map[string]bool{"legal": false, "admin": false, "commander": true} {
		body := f.do(who, "GET", "/api/v1/audit?limit=1000", nil).Body.String()
		if got := strings.Contains(body, "J-Doe-secret"); got != sees {
			t.Errorf("%s reads the TLP:RED incident's title in the audit log: %v, want %v", who, got, sees)
		}
		if !sees && !strings.Contains(body, `"action":"withheld"`) {
			t.Errorf("%s: no withheld entry in the audit log", who)
		}
	}
}

// TestTLPRedStatusLinks: a public event linked to an incident that then
// goes TLP:RED shows no link to those not named, and asking for the
// incident's events is answered as for a missing incident.
func TestTLPRedStatusLinks(t *testing.T) {
	f := newFixture(t)
	if rec := f.do("communications", "POST", "/api/v1/status/events", map[string]any{"kind": "incident", "name": "Portal outage",
		"incident_ref": f.A.Ref, "impact": "major", "update": map[string]any{"status": "investigating", "body": "Looking into it."}}); rec.Code != http.StatusCreated {
		t.Fatalf("open a public incident: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do("admin", "PATCH", "/api/v1/incidents/"+f.A.Ref, map[string]any{"tlp": "red", "reason": "insider"}); rec.Code != http.StatusOK {
		t.Fatalf("set TLP:RED: %d", rec.Code)
	}
	if body := f.do("communications", "GET", "/api/v1/status", nil).Body.String(); strings.Contains(body, f.A.Ref) || !strings.Contains(body, "Portal outage") {
		t.Errorf("GET /api/v1/status for communications: link shown %v, event listed %v; want no, yes", strings.Contains(body, f.A.Ref), strings.Contains(body, "Portal outage"))
	}
	if rec := f.do("viewer", "GET", "/api/v1/status?incident="+f.A.Ref, nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /api/v1/status?incident=<hidden> = %d, want 404", rec.Code)
	}
	if body := f.do("viewer", "GET", "/status", nil).Body.String(); strings.Contains(body, f.A.Ref) {
		t.Errorf("the status console shows the hidden incident's reference")
	}
	if body := f.do("admin", "GET", "/api/v1/status", nil).Body.String(); !strings.Contains(body, f.A.Ref) {
		t.Errorf("the admin who set TLP:RED (named) does not see the link")
	}
}

// TestTLPRedIndicatorAddedAgain: adding a value that is already there as a
// TLP:RED indicator someone else added does not hand back its note, source
// or author.
func TestTLPRedIndicatorAddedAgain(t *testing.T) {
	f := newFixture(t)
	if rec := f.do("responder", "POST", "/api/v1/incidents/"+f.A.Ref+"/indicators", map[string]any{"indicators": []map[string]any{
		{"type": "domain", "value": "source-of-the-tip.example", "tlp": "red", "note": "informant-name-secret", "source": "tipster"}}}); rec.Code != http.StatusOK {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	body := f.do("commander", "POST", "/api/v1/incidents/"+f.A.Ref+"/indicators", map[string]any{"indicators": []map[string]any{
		{"type": "domain", "value": "source-of-the-tip.example"}}}).Body.String()
	for _, secret := range []string{"informant-name-secret", "tipster", "u-responder", `"tlp":"red"`} {
		if strings.Contains(body, secret) {
			t.Errorf("re-adding the value answers %q: %s", secret, body)
		}
	}
}

// TestTLPRedSameAsMissing: on every route naming an incident, a TLP:RED one
// the caller may not see answers exactly as a missing one.
func TestTLPRedSameAsMissing(t *testing.T) {
	f := newFixture(t)
	red := redIncident(t, f, "x")
	const missing = "INC-2026-0999"
	for _, rt := range f.srv.Routes() {
		if !rt.Scoped {
			continue
		}
		for _, who := range []string{"responder", "legal"} {
			path := strings.ReplaceAll(rt.Path, "{id}", "1")
			a := f.do(who, rt.Method, strings.ReplaceAll(path, "{ref}", red.Ref), map[string]any{})
			b := f.do(who, rt.Method, strings.ReplaceAll(path, "{ref}", missing), map[string]any{})
			if a.Code != b.Code || strings.ReplaceAll(a.Body.String(), red.Ref, "REF") != strings.ReplaceAll(b.Body.String(), missing, "REF") {
				t.Errorf("%s %s %s: hidden %d, missing %d", who, rt.Method, rt.Path, a.Code, b.Code)
			}
		}
	}
}

// TestUsersFormKeepsNewNames: a users page saved after someone was named
// elsewhere (setting TLP:RED names the setter) applies only its own change.
func TestUsersFormKeepsNewNames(t *testing.T) {
	f := newFixture(t)
	cmd := f.users["commander"].user
	// The admin's page shows the commander named on nothing; meanwhile
	// the commander sets TLP:RED on B and so is named on it.
	if rec := f.do("commander", "PATCH", "/api/v1/incidents/"+f.B.Ref, map[string]any{"tlp": "red", "reason": "insider"}); rec.Code != http.StatusOK {
		t.Fatalf("set TLP:RED: %d", rec.Code)
	}
	form := url.Values{"role": {"commander"}, "disabled": {"false"}, "incidents": {f.A.Ref}, "incidents_was": {""}}
	if rec := f.serve(f.newRequest("admin", "POST", fmt.Sprintf("/admin/users/%d", cmd.ID), []byte(form.Encode()), "application/x-www-form-urlencoded")); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	got, err := f.st.GetUser(t.Context(), cmd.ID)
	if err != nil || strings.Join(got.Incidents, ",") != f.A.Ref+","+f.B.Ref {
		t.Errorf("named on %v, %v after the save; want %s (added by the form) and %s (named meanwhile)", got.Incidents, err, f.A.Ref, f.B.Ref)
	}
}

// TestTLPRedLiveStream: an open timeline stream sends nothing written after
// its incident went TLP:RED to someone not named on it.
func TestTLPRedLiveStream(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/incidents/"+f.A.Ref+"/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+f.users["responder"].token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %v %v", err, resp)
	}
	defer resp.Body.Close()
	if rec := f.do("admin", "PATCH", "/api/v1/incidents/"+f.A.Ref, map[string]any{"tlp": "red", "reason": "insider"}); rec.Code != http.StatusOK {
		t.Fatalf("set TLP:RED: %d", rec.Code)
	}
	if rec := f.do("admin", "POST", "/api/v1/incidents/"+f.A.Ref+"/events", map[string]any{"kind": "note", "text": "Suspect is J-Doe-secret"}); rec.Code != http.StatusCreated {
		t.Fatalf("event: %d %s", rec.Code, rec.Body)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() { // ends when the server closes the stream, or at the timeout
		if strings.Contains(sc.Text(), "J-Doe-secret") {
			t.Fatalf("the stream delivered an entry written after TLP:RED: %s", sc.Text())
		}
	}
}

// TestTLPRedFindings: a finding that matched a TLP:RED indicator carries
// its value, so it is listed only where the indicator is.
func TestTLPRedFindings(t *testing.T) {
	f := newFixture(t)
	if rec := f.do("responder", "POST", "/api/v1/incidents/"+f.A.Ref+"/indicators", map[string]any{"indicators": []map[string]any{
		{"type": "ipv4", "value": "203.0.113.66", "tlp": "red", "note": "from a partner, not to be shared"}}}); rec.Code != http.StatusOK {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do("responder", "POST", "/api/v1/incidents/"+f.A.Ref+"/findings", map[string]any{"findings": []map[string]any{
		{"key": "red-1", "rule": "ioc", "title": "Request from a known-bad address", "indicator": "203.0.113.66"},
		{"key": "plain-1", "rule": "ioc", "title": "Request from a known-bad address", "indicator": "198.51.100.7"}}}); rec.Code != http.StatusOK {
		t.Fatalf("add findings: %d %s", rec.Code, rec.Body)
	}
	for who, sees := range map[string]bool{"responder": true, "guest": true, "commander": false, "viewer": false} {
		for _, path := range []string{"/api/v1/incidents/" + f.A.Ref + "/findings", "/incidents/" + f.A.Ref + "/findings"} {
			body := f.do(who, "GET", path, nil).Body.String()
			if got := strings.Contains(body, "203.0.113.66"); got != sees {
				t.Errorf("%s GET %s: the finding with the TLP:RED value listed %v, want %v", who, path, got, sees)
			}
			if !strings.Contains(body, "198.51.100.7") {
				t.Errorf("%s GET %s: the other finding is missing", who, path)
			}
		}
	}
}
