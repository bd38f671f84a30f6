package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/clientip"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// TestTLPRedNamedOnly: a TLP:RED incident is seen only by the people named
// on it and whoever opened it; to everyone else, whatever their role, it
// does not exist — by reference, in lists, in the status console.
func TestTLPRedNamedOnly(t *testing.T) {
	f := newFixture(t)
	rec := f.do("commander", "POST", "/api/v1/incidents", map[string]any{"title": "Insider exfiltration", "tlp": "red"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create TLP:RED incident: %d %s", rec.Code, rec.Body)
	}
	var red incident.Incident
	decodeBody(t, rec, &red)
	f.users["named"] = f.makeUser(incident.User{Name: "u-named", Role: incident.RoleResponder, Incidents: []string{red.Ref}})

	sees := map[string]bool{"commander": true, "named": true} // the opener, and a responder named on it
	for _, who := range []string{"commander", "named", "admin", "responder", "communications", "legal", "viewer", "guest"} {
		for _, path := range []string{"/api/v1/incidents/" + red.Ref, "/api/v1/incidents/" + red.Ref + "/events",
			"/api/v1/incidents/" + red.Ref + "/indicators", "/incidents/" + red.Ref} {
			want := http.StatusNotFound
			if sees[who] {
				want = http.StatusOK
			}
			if rec := f.do(who, "GET", path, nil); rec.Code != want {
				t.Errorf("%s GET %s = %d, want %d", who, path, rec.Code, want)
			}
		}
		rec := f.do(who, "GET", "/api/v1/incidents?limit=100", nil)
		if listed := strings.Contains(rec.Body.String(), red.Ref); listed != sees[who] && rec.Code == http.StatusOK {
			t.Errorf("%s: incident list shows %s: %v, want %v", who, red.Ref, listed, sees[who])
		}
	}
	// Not even a write reaches it.
	if rec := f.do("admin", "PATCH", "/api/v1/incidents/"+red.Ref, map[string]any{"severity": "low"}); rec.Code != http.StatusNotFound {
		t.Errorf("admin (not named) PATCH = %d, want 404", rec.Code)
	}
	if rec := f.do("communications", "POST", "/api/v1/status/events", map[string]any{"kind": "incident", "name": "Portal outage",
		"incident_ref": red.Ref, "impact": "major", "update": map[string]any{"status": "investigating", "body": "Looking into it."}}); rec.Code != http.StatusNotFound {
		t.Errorf("communications (not named) links a public incident to %s: %d, want 404", red.Ref, rec.Code)
	}
	if rec := f.do("communications", "GET", "/status?incident="+red.Ref, nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), red.Ref) {
		t.Errorf("status console for an unseen incident: %d, shows the reference: %v", rec.Code, strings.Contains(rec.Body.String(), red.Ref))
	}

	// Setting TLP:RED on an open incident names the person who sets it and
	// hides it from the others; setting it back shows it again.
	if rec := f.do("admin", "PATCH", "/api/v1/incidents/"+f.A.Ref, map[string]any{"tlp": "red", "reason": "insider suspected"}); rec.Code != http.StatusOK {
		t.Fatalf("admin sets TLP:RED on %s: %d %s", f.A.Ref, rec.Code, rec.Body)
	}
	if rec := f.do("admin", "GET", "/api/v1/incidents/"+f.A.Ref, nil); rec.Code != http.StatusOK {
		t.Errorf("admin after setting TLP:RED: %d, want 200 (named by setting it)", rec.Code)
	}
	if rec := f.do("responder", "GET", "/api/v1/incidents/"+f.A.Ref+"/tasks", nil); rec.Code != http.StatusNotFound {
		t.Errorf("responder on %s after TLP:RED: %d, want 404", f.A.Ref, rec.Code)
	}
	if rec := f.do("guest", "GET", "/api/v1/incidents/"+f.A.Ref, nil); rec.Code != http.StatusOK {
		t.Errorf("guest named on %s after TLP:RED: %d, want 200", f.A.Ref, rec.Code)
	}
	if rec := f.do("admin", "PATCH", "/api/v1/incidents/"+f.A.Ref, map[string]any{"tlp": "amber", "reason": "cleared"}); rec.Code != http.StatusOK {
		t.Fatalf("admin sets TLP:AMBER: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do("responder", "GET", "/api/v1/incidents/"+f.A.Ref+"/tasks", nil); rec.Code != http.StatusOK {
		t.Errorf("responder on %s after TLP:AMBER: %d, want 200", f.A.Ref, rec.Code)
	}
}

// TestTLPRedIndicator: in an incident others may see, a TLP:RED indicator
// is listed only for the people named on the incident and whoever added it.
func TestTLPRedIndicator(t *testing.T) {
	f := newFixture(t)
	rec := f.do("responder", "POST", "/api/v1/incidents/"+f.A.Ref+"/indicators", map[string]any{"indicators": []map[string]any{
		{"type": "domain", "value": "source-of-the-tip.example", "tlp": "red"}, {"type": "domain", "value": "c2.example", "tlp": "amber"}}})
	if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
		t.Fatalf("add indicators: %d %s", rec.Code, rec.Body)
	}
	for who, sees := range map[string]bool{"responder": true, "guest": true, "commander": false, "admin": false, "viewer": false} {
		for _, path := range []string{"/api/v1/incidents/" + f.A.Ref + "/indicators", "/incidents/" + f.A.Ref + "/indicators"} {
			rec := f.do(who, "GET", path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s GET %s = %d", who, path, rec.Code)
			}
			body := rec.Body.String()
			if got := strings.Contains(body, "source-of-the-tip.example"); got != sees {
				t.Errorf("%s GET %s: TLP:RED indicator listed %v, want %v", who, path, got, sees)
			}
			if !strings.Contains(body, "c2.example") {
				t.Errorf("%s GET %s: the TLP:AMBER indicator is missing", who, path)
			}
		}
	}
}

// TestMethodNotAllowed: a path that exists answers a method it does not
// take with 405 and the methods it does take; an unknown path stays 404.
func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		who, method, path string
		code              int
		allow             string
	}{
		{"admin", "DELETE", "/api/v1/incidents", 405, "GET, HEAD, POST"},
		{"admin", "GET", "/api/v1/tokens", 405, "POST"},
		{"anonymous", "PUT", "/api/v1/incidents/" + f.B.Ref, 405, "GET, HEAD, PATCH"},
		{"guest", "DELETE", "/api/v1/incidents/INC-2099-0001", 405, "GET, HEAD, PATCH"}, // says nothing of the incident
		{"admin", "GET", "/api/v1/nothing-here", 404, ""},
	} {
		rec := f.do(tc.who, tc.method, tc.path, nil)
		if rec.Code != tc.code || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s %s = %d, Allow %q; want %d, %q", tc.who, tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.code, tc.allow)
		}
	}
}

// TestLoginBehindProxy: with the proxy trusted, the per-address sign-in
// limit keys on the client in X-Forwarded-For, so one client's failures do
// not lock out the others behind the same proxy, and a client cannot
// escape its own limit by writing the header itself.
func TestLoginBehindProxy(t *testing.T) {
	trusted, err := clientip.Parse("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) { o.ClientIP = clientip.New(trusted).Of })
	login := func(xff, user, password string) int {
		form := url.Values{"username": {user}, "password": {password}}
		req := f.newRequest(anonymous, "POST", "/login", []byte(form.Encode()), "application/x-www-form-urlencoded")
		req.RemoteAddr = "10.0.0.2:4000" // the proxy
		req.Header.Set("X-Forwarded-For", xff)
		return f.serve(req).Code
	}
	for i := range 10 {
		if code := login("198.51.100.7", fmt.Sprintf("nobody-%d", i), "guess"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, code)
		}
	}
	if code := login("198.51.100.7", f.login.Name, testPassword); code != http.StatusTooManyRequests {
		t.Errorf("the failing client after ten failures = %d, want 429", code)
	}
	if code := login("203.0.113.9, 198.51.100.7", f.login.Name, testPassword); code != http.StatusTooManyRequests {
		t.Errorf("the failing client with a forged entry in front = %d, want 429", code)
	}
	if code := login("198.51.100.8", f.login.Name, testPassword); code != http.StatusSeeOther {
		t.Errorf("another client behind the same proxy = %d, want 303", code)
	}
}

// TestSubscribersInConsole: status administrators see the page's
// subscribers, add a webhook (its secret shown once, on the answer) and
// remove a subscriber; others do not see the section.
func TestSubscribersInConsole(t *testing.T) {
	f := newFixture(t)
	form := func(who, path string, v url.Values) *httptest.ResponseRecorder {
		return f.serve(f.newRequest(who, "POST", path, []byte(v.Encode()), "application/x-www-form-urlencoded"))
	}
	rec := form("commander", "/status/subscribers/webhooks", url.Values{"webhook_url": {"https://hooks.example.com/ops"}})
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "whsec_") || !strings.Contains(body, "https://hooks.example.com/…") || strings.Contains(body, "/ops") {
		t.Fatalf("add webhook = %d; want the page with the secret and the address without its path", rec.Code)
	}
	if rec := f.do("commander", "GET", "/status", nil); strings.Contains(rec.Body.String(), "whsec_") || !strings.Contains(rec.Body.String(), "https://hooks.example.com/…") {
		t.Errorf("the status page afterwards: secret shown again %v, subscriber listed %v; want not, and yes",
			strings.Contains(rec.Body.String(), "whsec_"), strings.Contains(rec.Body.String(), "https://hooks.example.com/…"))
	}
	// The page settings keep their own URL field: a refused webhook does
	// not fill it.
	rec = form("commander", "/status/subscribers/webhooks", url.Values{"webhook_url": {"http://127.0.0.1:9/x"}})
	if strings.Contains(rec.Body.String(), `name="url" type="url" value="http://127.0.0.1:9/x"`) {
		t.Errorf("a refused webhook URL lands in the page settings' URL field")
	}
	if rec := form("commander", "/status/subscribers/webhooks", url.Values{"webhook_url": {"http://127.0.0.1:9/x"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a webhook to loopback = %d, want 422 with the reason", rec.Code)
	}
	if rec := f.do("communications", "GET", "/status", nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `id="subscribers-h"`) {
		t.Errorf("communications sees the subscribers section")
	}
	subs, err := f.st.ListSubscribers(t.Context(), store.Page{})
	if err != nil || len(subs) != 1 {
		t.Fatalf("ListSubscribers = %v, %v", subs, err)
	}
	if rec := form("communications", fmt.Sprintf("/status/subscribers/%d/delete", subs[0].ID), nil); rec.Code != http.StatusForbidden {
		t.Errorf("communications removes a subscriber = %d, want 403", rec.Code)
	}
	if rec := form("commander", fmt.Sprintf("/status/subscribers/%d/delete", subs[0].ID), nil); rec.Code != http.StatusSeeOther {
		t.Errorf("remove = %d, want 303", rec.Code)
	}
	if subs, _ := f.st.ListSubscribers(t.Context(), store.Page{}); len(subs) != 0 {
		t.Errorf("after removal: %d subscribers", len(subs))
	}
}
