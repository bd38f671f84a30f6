package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// reqSpec says how to call one route so that a caller allowed to call it
// gets want: which item {id} names, the query and the body.
type reqSpec struct {
	id    func(f *fixture, inc testIncident) int64
	query func(f *fixture, inc testIncident) string
	body  func(f *fixture, inc testIncident) (body []byte, contentType string)
	want  int
	// stream marks a Server-Sent Events route: its request is cancelled
	// after streamFor, so that the handler returns.
	stream bool
}

// streamFor is how long a request to a streaming route stays open.
const streamFor = 200 * time.Millisecond

func jsonOf(v any) func(*fixture, testIncident) ([]byte, string) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return func(*fixture, testIncident) ([]byte, string) { return b, "application/json" }
}

func jsonFunc(fn func(f *fixture, inc testIncident) any) func(*fixture, testIncident) ([]byte, string) {
	return func(f *fixture, inc testIncident) ([]byte, string) {
		b, err := json.Marshal(fn(f, inc))
		if err != nil {
			panic(err)
		}
		return b, "application/json"
	}
}

func idOf(pick func(testIncident) int64) func(*fixture, testIncident) int64 {
	return func(_ *fixture, inc testIncident) int64 { return pick(inc) }
}

// routeSpecs has an entry for every route; TestRouteSpecsCoverRoutes keeps it so.
var routeSpecs = map[string]reqSpec{
	"GET /healthz":             {want: 200},
	"GET /readyz":              {want: 200},
	"GET /metrics":             {want: 200},
	"GET /api/v1/openapi.json": {want: 200},

	"GET /api/v1/me":      {want: 200},
	"POST /api/v1/tokens": {body: jsonOf(map[string]any{"name": "script"}), want: 201},

	"GET /api/v1/incidents":         {query: func(*fixture, testIncident) string { return "limit=10" }, want: 200},
	"POST /api/v1/incidents":        {body: jsonOf(map[string]any{"title": "Phishing wave", "severity": "high"}), want: 201},
	"GET /api/v1/incidents/{ref}":   {want: 200},
	"PATCH /api/v1/incidents/{ref}": {body: jsonOf(map[string]any{"summary": "Webshell on the portal."}), want: 200},

	"GET /api/v1/incidents/{ref}/events":  {want: 200},
	"POST /api/v1/incidents/{ref}/events": {body: jsonOf(map[string]any{"kind": "note", "text": "Checked the proxy logs."}), want: 201},

	"GET /api/v1/incidents/{ref}/tasks":        {want: 200},
	"POST /api/v1/incidents/{ref}/tasks":       {body: jsonOf(map[string]any{"title": "Rotate keys"}), want: 201},
	"PATCH /api/v1/incidents/{ref}/tasks/{id}": {id: idOf(func(i testIncident) int64 { return i.Task }), body: jsonOf(map[string]any{"state": "in_progress"}), want: 200},

	"GET /api/v1/incidents/{ref}/assets": {want: 200},
	"POST /api/v1/incidents/{ref}/assets": {body: jsonFunc(func(f *fixture, _ testIncident) any {
		return map[string]any{"name": f.unique("db"), "kind": "host", "criticality": "high"}
	}), want: 201},
	"PATCH /api/v1/incidents/{ref}/assets/{id}": {id: idOf(func(i testIncident) int64 { return i.Asset }), body: jsonOf(map[string]any{"notes": "imaged"}), want: 200},
	"POST /api/v1/incidents/{ref}/assets/{id}/operational": {id: idOf(func(i testIncident) int64 { return i.Asset }),
		body: jsonFunc(func(f *fixture, inc testIncident) any {
			// Toggle, so that every allowed call is a real change.
			state := incident.OpIsolated
			if f.assetState(inc) != incident.OpOnline {
				state = incident.OpOnline
			}
			return map[string]any{"state": state, "reason": "containment drill"}
		}), want: 200},

	"GET /api/v1/incidents/{ref}/services": {want: 200},
	"POST /api/v1/incidents/{ref}/services": {body: jsonFunc(func(f *fixture, inc testIncident) any {
		return map[string]any{"name": f.unique("Voice API"), "depends_on": []map[string]any{{"type": "asset", "id": inc.Asset}}}
	}), want: 201},
	"PATCH /api/v1/incidents/{ref}/services/{id}": {id: idOf(func(i testIncident) int64 { return i.Service }), body: jsonOf(map[string]any{"description": "Customer portal"}), want: 200},
	"GET /api/v1/incidents/{ref}/blast-radius":    {query: func(_ *fixture, inc testIncident) string { return "assets=" + strconv.FormatInt(inc.Asset, 10) }, want: 200},

	"GET /api/v1/incidents/{ref}/indicators":  {want: 200},
	"POST /api/v1/incidents/{ref}/indicators": {body: jsonOf(map[string]any{"indicators": []map[string]any{{"type": "ipv4", "value": "203.0.113.9"}}}), want: 200},

	"GET /api/v1/incidents/{ref}/findings":  {want: 200},
	"POST /api/v1/incidents/{ref}/findings": {body: jsonOf(map[string]any{"findings": []map[string]any{{"key": "access-1", "rule": "r1", "title": "Suspicious POST"}}}), want: 200},
	"POST /api/v1/incidents/{ref}/findings/{id}/triage": {id: idOf(func(i testIncident) int64 { return i.Finding }),
		body: jsonOf(map[string]any{"state": "confirmed", "reason": "matches the webshell"}), want: 200},

	"GET /api/v1/incidents/{ref}/evidence": {want: 200},
	"POST /api/v1/incidents/{ref}/evidence": {body: func(*fixture, testIncident) ([]byte, string) {
		return multipartBody("access.log", []byte("GET /shell.php 200\n"), "proxy log")
	}, want: 201},
	"GET /api/v1/incidents/{ref}/evidence/{id}":         {id: idOf(func(i testIncident) int64 { return i.Evidence }), want: 200},
	"GET /api/v1/incidents/{ref}/evidence/{id}/content": {id: idOf(func(i testIncident) int64 { return i.Evidence }), want: 200},
	"POST /api/v1/incidents/{ref}/evidence/{id}/custody": {id: idOf(func(i testIncident) int64 { return i.Evidence }),
		body: jsonOf(map[string]any{"action": "transferred", "note": "to the lab"}), want: 200},

	"GET /api/v1/users": {want: 200},
	"POST /api/v1/users": {body: jsonFunc(func(f *fixture, _ testIncident) any {
		return map[string]any{"name": f.unique("analyst"), "role": "viewer", "password": "a long enough password"}
	}), want: 201},
	"PATCH /api/v1/users/{id}": {id: func(f *fixture, _ testIncident) int64 { return f.target.ID }, body: jsonOf(map[string]any{"disabled": false}), want: 200},
	"GET /api/v1/audit":        {query: func(*fixture, testIncident) string { return "limit=5" }, want: 200},

	"GET /api/v1/status/subscribers": {query: func(*fixture, testIncident) string { return "limit=5" }, want: 200},
	"POST /api/v1/status/subscribers/webhooks": {body: jsonFunc(func(f *fixture, _ testIncident) any {
		return map[string]any{"url": "https://hooks.example.com/" + f.unique("hook"), "components": []string{"api"}}
	}), want: 201},
	// Each call removes a webhook of its own.
	"DELETE /api/v1/status/subscribers/{id}": {id: func(f *fixture, _ testIncident) int64 {
		sub, _, err := f.st.AddWebhook(context.Background(), "fixture", "https://hooks.example.com/"+f.unique("gone"), nil, false)
		f.must(err, "add webhook")
		return sub.ID
	}, want: 204},
	"GET /api/v1/status/outbox": {want: 200},
	"POST /status/subscribers/webhooks": {body: func(f *fixture, inc testIncident) ([]byte, string) {
		return formOf(url.Values{"webhook_url": {"https://hooks.example.com/" + f.unique("form-hook")}})(f, inc)
	}, want: 200}, // the page itself, showing the secret once
	"POST /status/subscribers/{id}/delete": {id: func(f *fixture, _ testIncident) int64 {
		sub, _, err := f.st.AddWebhook(context.Background(), "fixture", "https://hooks.example.com/"+f.unique("form-gone"), nil, false)
		f.must(err, "add webhook")
		return sub.ID
	}, want: 303},

	"GET /login": {query: func(*fixture, testIncident) string { return "next=%2Fincidents" }, want: 200},
	"POST /login": {body: func(f *fixture, _ testIncident) ([]byte, string) {
		return []byte(url.Values{"username": {f.login.Name}, "password": {testPassword}, "next": {"/"}}.Encode()), "application/x-www-form-urlencoded"
	}, want: 303},
	"POST /logout":         {want: 303},
	"GET /static/{file}":   {want: 200},
	"GET /{$}":             {want: 200},
	"GET /incidents/{ref}": {want: 200},

	// Console forms: a success redirects (303) to the page showing the change.
	"POST /incidents":       {body: formOf(url.Values{"title": {"Phishing wave"}, "severity": {"high"}, "tlp": {"amber"}}), want: 303},
	"POST /incidents/{ref}": {body: formOf(url.Values{"severity": {"critical"}, "reason": {"customer data involved"}}), want: 303},
	// The stream runs until the client goes: routeRequest cancels it after 200 ms.
	"GET /incidents/{ref}/events/stream": {stream: true, want: 200},
	"POST /incidents/{ref}/timeline":     {body: formOf(url.Values{"kind": {"note"}, "text": {"Checked the proxy logs."}}), want: 303},
	"GET /incidents/{ref}/tasks":         {want: 200},
	"POST /incidents/{ref}/tasks":        {body: formOf(url.Values{"title": {"Rotate keys"}, "assignee": {"u-responder"}}), want: 303},
	"POST /incidents/{ref}/tasks/{id}": {id: idOf(func(i testIncident) int64 { return i.Task }),
		body: formOf(url.Values{"state": {"in_progress"}, "assignee": {"u-responder"}}), want: 303},
	"GET /incidents/{ref}/assets": {want: 200},
	"POST /incidents/{ref}/assets": {body: func(f *fixture, inc testIncident) ([]byte, string) {
		return formOf(url.Values{"name": {f.unique("db")}, "kind": {"host"}, "criticality": {"high"}})(f, inc)
	}, want: 303},
	"POST /incidents/{ref}/assets/{id}/compromise": {id: idOf(func(i testIncident) int64 { return i.Asset }),
		body: formOf(url.Values{"compromise": {"suspected"}, "reason": {"beaconing seen"}}), want: 303},
	"GET /incidents/{ref}/assets/{id}/operational": {id: idOf(func(i testIncident) int64 { return i.Asset }),
		query: func(*fixture, testIncident) string { return "state=isolated" }, want: 200},
	"POST /incidents/{ref}/assets/{id}/operational": {id: idOf(func(i testIncident) int64 { return i.Asset }),
		body: func(f *fixture, inc testIncident) ([]byte, string) {
			// Toggle, so that every allowed call is a real change.
			state := incident.OpIsolated
			if f.assetState(inc) != incident.OpOnline {
				state = incident.OpOnline
			}
			return formOf(url.Values{"state": {string(state)}, "reason": {"containment drill"}})(f, inc)
		}, want: 303},
	"GET /incidents/{ref}/indicators":  {want: 200},
	"POST /incidents/{ref}/indicators": {body: formOf(url.Values{"value": {"203.0.113.10"}, "tlp": {"amber"}}), want: 303},
	"POST /incidents/{ref}/indicators/import": {body: func(*fixture, testIncident) ([]byte, string) {
		return multipartBody("toolshell.txt", []byte("# from public reporting\n107.191.58.76\nupdate.updatemicfosoft.com\n"), "")
	}, want: 303},
	"GET /incidents/{ref}/findings": {want: 200},
	"POST /incidents/{ref}/findings/{id}/triage": {id: idOf(func(i testIncident) int64 { return i.Finding }),
		body: formOf(url.Values{"state": {"confirmed"}, "reason": {"matches the webshell"}}), want: 303},
	// Promoting needs a finding with something to promote: each call gets a fresh one.
	"POST /incidents/{ref}/findings/{id}/promote": {id: func(f *fixture, inc testIncident) int64 {
		return f.makeFinding(inc, incident.Finding{Rule: "ioc", Title: "Known C2 address", Host: "web-01", Indicator: "192.0.2.99"})
	}, body: formOf(url.Values{"to": {"indicator"}}), want: 303},
	"GET /incidents/{ref}/evidence": {want: 200},
	"POST /incidents/{ref}/evidence": {body: func(*fixture, testIncident) ([]byte, string) {
		return multipartBody("access.log", []byte("GET /shell.php 200\n"), "proxy log")
	}, want: 303},
	"GET /account": {want: 200},
	// The new password is the old one, so that every role can change it again.
	"POST /account/password": {body: formOf(url.Values{"current": {testPassword}, "new": {testPassword}, "confirm": {testPassword}}), want: 303},
	"POST /account/tokens":   {body: formOf(url.Values{"name": {"hunt agent"}, "days": {"30"}}), want: 201},
	// The token is another user's: allowed callers pass the permission
	// check and get 404, since only one's own tokens can be revoked.
	"POST /account/tokens/{id}/revoke": {id: func(f *fixture, _ testIncident) int64 { return f.freshToken() }, want: 404},
	"GET /admin/users":                 {want: 200},
	"POST /admin/users": {body: func(f *fixture, inc testIncident) ([]byte, string) {
		return formOf(url.Values{"name": {f.unique("analyst")}, "role": {"viewer"}, "password": {"a long enough password"}})(f, inc)
	}, want: 303},
	"POST /admin/users/{id}": {id: func(f *fixture, _ testIncident) int64 { return f.target.ID },
		body: formOf(url.Values{"role": {"viewer"}, "disabled": {"false"}}), want: 303},
}

// formOf sends v as an HTML form.
func formOf(v url.Values) func(*fixture, testIncident) ([]byte, string) {
	b := []byte(v.Encode())
	return func(*fixture, testIncident) ([]byte, string) { return b, "application/x-www-form-urlencoded" }
}

// makeFinding stores a finding (with a fresh key) on inc and returns its id.
func (f *fixture) makeFinding(inc testIncident, fd incident.Finding) int64 {
	f.t.Helper()
	fd.Key = f.unique("finding")
	out, _, err := f.st.AddFindings(context.Background(), "fixture", inc.Ref, []incident.Finding{fd})
	f.must(err, "add finding")
	return out[0].ID
}

// assetState returns the operational state of inc's fixture asset.
func (f *fixture) assetState(inc testIncident) incident.Operational {
	f.t.Helper()
	assets, err := f.st.ListAssets(context.Background(), inc.Ref, store.Page{Limit: 1000})
	f.must(err, "list assets")
	for _, a := range assets {
		if a.ID == inc.Asset {
			return a.Operational
		}
	}
	f.t.Fatalf("asset %d of %s is gone", inc.Asset, inc.Ref)
	return ""
}

// routeRequest builds a concrete request for a route, as who, on incident inc.
func (f *fixture) routeRequest(rt RouteInfo, who string, inc testIncident) *http.Request {
	f.t.Helper()
	key := rt.Method + " " + rt.Path
	spec, ok := routeSpecs[key]
	if !ok {
		f.t.Fatalf("no request spec for route %s: add one to routeSpecs", key)
	}
	path := strings.ReplaceAll(docPath(rt.Path), "{ref}", inc.Ref)
	if strings.Contains(path, "{id}") {
		if spec.id == nil {
			f.t.Fatalf("route %s needs an {id} but its spec names none", key)
		}
		path = strings.ReplaceAll(path, "{id}", strconv.FormatInt(spec.id(f, inc), 10))
	}
	if strings.Contains(path, "{file}") {
		if f.static == "" {
			f.static = f.staticURL()
		}
		path = strings.ReplaceAll(path, "{file}", strings.TrimPrefix(f.static, "/static/"))
	}
	if spec.query != nil {
		path += "?" + spec.query(f, inc)
	}
	var body []byte
	var ct string
	if spec.body != nil {
		body, ct = spec.body(f, inc)
	}
	req := f.newRequest(who, rt.Method, path, body, ct)
	if spec.stream {
		ctx, cancel := context.WithCancel(req.Context())
		time.AfterFunc(streamFor, cancel)
		req = req.WithContext(ctx)
	}
	return req
}

// outcome is what a request should get.
type outcome struct {
	status int
	code   string // the JSON error code, for API errors
}

// expect says what who should get from rt, on incident B when onB,
// following the permission table (auth.Can) and the route's Perm.
func expect(rt RouteInfo, who string, onB bool) outcome {
	spec := routeSpecs[rt.Method+" "+rt.Path]
	switch {
	case rt.Perm == auth.Public:
		return outcome{status: spec.want}
	case who == anonymous || who == expired:
		if !rt.API && rt.Method == http.MethodGet {
			return outcome{status: http.StatusSeeOther}
		}
		return outcome{http.StatusUnauthorized, "unauthenticated"}
	case !auth.Can(incident.Role(who), rt.Perm):
		return outcome{http.StatusForbidden, "forbidden"}
	case onB && rt.Scoped && auth.Scoped(incident.Role(who)):
		return outcome{http.StatusNotFound, "not_found"}
	}
	return outcome{status: spec.want}
}

// callers are everyone the access matrix tries: each role, an expired
// guest and nobody.
func callers() []string {
	var out []string
	for _, r := range incident.Roles {
		out = append(out, string(r))
	}
	return append(out, expired, anonymous)
}

func TestRouteSpecsCoverRoutes(t *testing.T) {
	srv := New(Options{Passwords: auth.TestParams})
	seen := map[string]bool{}
	for _, rt := range srv.Routes() {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		if _, ok := routeSpecs[key]; !ok {
			t.Errorf("route %s has no request spec in routeSpecs", key)
		}
	}
	for key := range routeSpecs {
		if !seen[key] {
			t.Errorf("routeSpecs has %s, which is no route", key)
		}
	}
}

// TestAccessMatrix calls every route as every role, an expired guest and
// nobody, and a guest on an incident outside their scope, and checks the
// status against the permission table and the response against the
// OpenAPI document.
func TestAccessMatrix(t *testing.T) {
	f := newFixture(t)
	doc := fetchOpenAPI(t, f.srv)
	for _, rt := range f.srv.Routes() {
		for _, who := range callers() {
			f.checkAccess(t, doc, rt, who, false)
		}
		if rt.Scoped {
			f.checkAccess(t, doc, rt, string(incident.RoleGuest), true)
		}
	}
}

func (f *fixture) checkAccess(t *testing.T, doc openAPI, rt RouteInfo, who string, onB bool) {
	inc, where := f.A, "A"
	if onB {
		inc, where = f.B, "B"
	}
	name := fmt.Sprintf("%s %s as %s on %s", rt.Method, rt.Path, who, where)
	t.Run(name, func(t *testing.T) {
		defer f.reportTo(t)()
		req := f.routeRequest(rt, who, inc)
		rec := f.serve(req)
		want := expect(rt, who, onB)
		if rec.Code != want.status {
			t.Fatalf("%s %s as %s = %d, want %d; body %.300q", req.Method, req.URL, who, rec.Code, want.status, rec.Body.String())
		}
		switch {
		case rec.Code == http.StatusSeeOther && (who == anonymous || who == expired) && rt.Perm != auth.Public:
			loc := rec.Header().Get("Location")
			if wantLoc := "/login?next=" + url.QueryEscape(req.URL.RequestURI()); loc != wantLoc {
				t.Errorf("Location = %q, want %q", loc, wantLoc)
			}
		case rec.Code == http.StatusSeeOther:
			// After a form: back to a page of the console.
			if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Errorf("Location = %q, want a path on this site", loc)
			}
		case rec.Code == http.StatusOK && routeSpecs[rt.Method+" "+rt.Path].stream:
			if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("stream Content-Type = %q, want text/event-stream", ct)
			}
			if !strings.HasPrefix(rec.Body.String(), "retry: ") {
				t.Errorf("stream body %.100q does not start with a retry interval", rec.Body.String())
			}
		case rec.Code >= 400 && rt.API:
			if e := decodeError(t, rec); e.Error.Code != want.code {
				t.Errorf("error code = %q, want %q (%s)", e.Error.Code, want.code, e.Error.Message)
			}
		case rec.Code >= 400:
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("console error Content-Type = %q, want text/html", ct)
			}
		}
		if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
		doc.checkResponse(t, rt, rec)
	})
}

// TestAccessSpotChecks is written by hand, independently of auth.Can, so
// that a wrong permission table is caught too.
func TestAccessSpotChecks(t *testing.T) {
	const inc = "/api/v1/incidents/{ref}"
	tests := []struct {
		who   string
		route string
		onB   bool
		want  int
	}{
		{"viewer", "POST " + inc + "/events", false, 403},
		{"viewer", "GET " + inc, false, 200},
		{"viewer", "GET " + inc + "/evidence/{id}", false, 403},
		{"viewer", "GET /{$}", false, 200},
		{"viewer", "POST /logout", false, 303},
		{"communications", "POST " + inc + "/evidence", false, 403},
		{"communications", "GET " + inc + "/evidence", false, 403},
		{"communications", "POST " + inc + "/events", false, 201},
		{"responder", "GET /api/v1/users", false, 403},
		{"responder", "POST /api/v1/incidents", false, 403},
		{"responder", "PATCH " + inc, false, 403},
		{"responder", "POST " + inc + "/assets/{id}/operational", false, 200},
		{"responder", "GET /api/v1/audit", false, 403},
		{"legal", "GET /api/v1/audit", false, 200},
		{"legal", "GET " + inc + "/evidence/{id}/content", false, 200},
		{"legal", "POST " + inc + "/tasks", false, 403},
		{"legal", "POST " + inc + "/evidence", false, 403},
		{"commander", "GET /api/v1/users", false, 403},
		{"commander", "POST /api/v1/incidents", false, 201},
		{"commander", "GET /api/v1/audit", false, 200},
		{"admin", "POST /api/v1/users", false, 201},
		{"admin", "PATCH /api/v1/users/{id}", false, 200},
		{"admin", "POST /api/v1/status/subscribers/webhooks", false, 201},
		{"admin", "GET /api/v1/status/subscribers", false, 200},
		{"communications", "GET /api/v1/status/subscribers", false, 403},
		{"legal", "DELETE /api/v1/status/subscribers/{id}", false, 403},
		{"commander", "DELETE /api/v1/status/subscribers/{id}", false, 204},
		{"guest", "POST " + inc + "/findings", false, 200},
		{"guest", "POST " + inc + "/evidence", false, 201},
		{"guest", "PATCH " + inc + "/tasks/{id}", false, 403},
		{"guest", "POST " + inc + "/assets/{id}/operational", false, 403},
		{"guest", "GET /api/v1/audit", false, 403},
		{"guest", "GET /api/v1/users", false, 403},
		{"guest", "GET " + inc, true, 404},
		{"guest", "GET /incidents/{ref}", true, 404},
		{"guest", "POST " + inc + "/events", true, 404},
		{"anonymous", "GET /healthz", false, 200},
		{"anonymous", "GET /api/v1/me", false, 401},
		{"anonymous", "GET /{$}", false, 303},
		{"anonymous", "POST " + inc + "/events", false, 401},
		{expired, "GET " + inc, false, 401},
		{expired, "GET /api/v1/incidents", false, 401},
		{expired, "POST /api/v1/tokens", false, 401},

		// The console.
		{"viewer", "GET /incidents/{ref}", false, 200},
		{"viewer", "GET /incidents/{ref}/events/stream", false, 200},
		{"viewer", "POST /incidents/{ref}/timeline", false, 403},
		{"viewer", "POST /incidents/{ref}/tasks", false, 403},
		{"viewer", "GET /incidents/{ref}/assets/{id}/operational", false, 403},
		{"viewer", "GET /incidents/{ref}/evidence", false, 403},
		{"communications", "POST /incidents/{ref}/timeline", false, 303},
		{"communications", "GET /incidents/{ref}/evidence", false, 403},
		{"communications", "POST /incidents/{ref}/evidence", false, 403},
		{"communications", "POST /incidents/{ref}/findings/{id}/triage", false, 403},
		{"responder", "GET /admin/users", false, 403},
		{"responder", "POST /incidents", false, 403},
		{"responder", "POST /incidents/{ref}", false, 403},
		{"responder", "GET /incidents/{ref}/assets/{id}/operational", false, 200},
		{"responder", "POST /incidents/{ref}/assets/{id}/operational", false, 303},
		{"legal", "GET /incidents/{ref}/evidence", false, 200},
		{"legal", "POST /incidents/{ref}/indicators", false, 403},
		{"commander", "POST /incidents", false, 303},
		{"commander", "POST /incidents/{ref}", false, 303},
		{"commander", "POST /admin/users", false, 403},
		{"admin", "GET /admin/users", false, 200},
		{"admin", "POST /admin/users/{id}", false, 303},
		{"guest", "GET /account", false, 200},
		{"guest", "GET /admin/users", false, 403},
		{"guest", "GET /incidents/{ref}/assets", false, 200},
		{"guest", "GET /incidents/{ref}/assets", true, 404},
		{"guest", "GET /incidents/{ref}/events/stream", true, 404},
		{"guest", "POST /incidents/{ref}/timeline", true, 404},
		{"guest", "POST /incidents/{ref}/findings/{id}/promote", false, 303},
		{"guest", "POST /incidents/{ref}/assets/{id}/operational", false, 403},
		{"anonymous", "GET /account", false, 303},
		{"anonymous", "GET /incidents/{ref}/events/stream", false, 303},
		{"anonymous", "POST /incidents/{ref}/timeline", false, 401},
		{expired, "GET /incidents/{ref}", false, 303},
	}
	f := newFixture(t)
	routes := map[string]RouteInfo{}
	for _, rt := range f.srv.Routes() {
		routes[rt.Method+" "+rt.Path] = rt
	}
	for _, tc := range tests {
		t.Run(tc.who+" "+tc.route, func(t *testing.T) {
			defer f.reportTo(t)()
			rt, ok := routes[tc.route]
			if !ok {
				t.Fatalf("no route %s", tc.route)
			}
			inc := f.A
			if tc.onB {
				inc = f.B
			}
			req := f.routeRequest(rt, tc.who, inc)
			if rec := f.serve(req); rec.Code != tc.want {
				t.Errorf("%s %s as %s = %d, want %d; body %.300q", req.Method, req.URL, tc.who, rec.Code, tc.want, rec.Body.String())
			}
		})
	}
}

// TestGuestScope checks what a guest sees beyond single routes: lists are
// filtered, an incident outside the scope looks exactly like one that does
// not exist, and what a guest reads is audited.
func TestGuestScope(t *testing.T) {
	f := newFixture(t)
	guest := string(incident.RoleGuest)

	rec := f.do(guest, "GET", "/api/v1/incidents", nil)
	var l struct{ Items []incident.Incident }
	decodeBody(t, rec, &l)
	if len(l.Items) != 1 || l.Items[0].Ref != f.A.Ref {
		t.Errorf("guest's GET /api/v1/incidents = %+v, want only %s", l.Items, f.A.Ref)
	}
	rec = f.do(guest, "GET", "/", nil)
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, f.A.Ref) || strings.Contains(body, f.B.Ref) {
		t.Errorf("guest's console list = %d, want %s listed and %s not", rec.Code, f.A.Ref, f.B.Ref)
	}

	// B exists, INC-1999-0001 does not: the guest cannot tell them apart.
	for _, path := range []string{"/api/v1/incidents/%s", "/api/v1/incidents/%s/events", "/api/v1/incidents/%s/evidence"} {
		b := f.do(guest, "GET", fmt.Sprintf(path, f.B.Ref), nil)
		none := f.do(guest, "GET", fmt.Sprintf(path, "INC-1999-0001"), nil)
		eb, en := decodeError(t, b), decodeError(t, none)
		if b.Code != none.Code || eb.Error.Code != en.Error.Code ||
			strings.ReplaceAll(eb.Error.Message, f.B.Ref, "X") != strings.ReplaceAll(en.Error.Message, "INC-1999-0001", "X") {
			t.Errorf("%s: guest sees %d %+v for B and %d %+v for a missing incident; want the same", path, b.Code, eb, none.Code, en)
		}
	}

	before := f.auditCount()
	if rec := f.do(guest, "GET", "/api/v1/incidents/"+f.A.Ref+"/evidence", nil); rec.Code != 200 {
		t.Fatalf("guest GET evidence of A = %d", rec.Code)
	}
	if after := f.auditCount(); after != before+1 {
		t.Errorf("a guest's read wrote %d audit entries, want 1", after-before)
	}
	entries, err := f.st.AuditEntries(context.Background(), store.Page{After: before})
	f.must(err, "audit entries")
	if len(entries) != 1 || entries[0].Action != "guest.read" || entries[0].Actor != "u-guest" || entries[0].Incident != f.A.Ref {
		t.Errorf("audit after a guest's read = %+v, want one guest.read by u-guest on %s", entries, f.A.Ref)
	}
	// A staff member's read is not audited.
	before = f.auditCount()
	f.do("viewer", "GET", "/api/v1/incidents/"+f.A.Ref+"/evidence", nil)
	if after := f.auditCount(); after != before {
		t.Errorf("a viewer's read wrote %d audit entries, want 0", after-before)
	}
}

// TestAuthentication checks the ways of (not) being somebody.
func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	past := time.Now().Add(-time.Minute)
	disabled := f.makeUser(incident.User{Name: "u-disabled", Role: incident.RoleAdmin, Disabled: true})
	staleTok, staleHash := auth.NewToken()
	_, err := f.st.CreateToken(ctx, "fixture", f.users["admin"].user.ID, "stale", staleHash, &past)
	f.must(err, "create expired token")
	unknown, _ := auth.NewToken()

	tests := []struct {
		name   string
		header string // Authorization
		cookie string // session
		want   int
	}{
		{"valid token", "Bearer " + f.users["viewer"].token, "", 200},
		{"scheme is case-insensitive", "bearer " + f.users["viewer"].token, "", 200},
		{"valid session", "", f.users["viewer"].session, 200},
		{"unknown token", "Bearer " + unknown, "", 401},
		{"expired token", "Bearer " + staleTok, "", 401},
		{"token of a disabled user", "Bearer " + disabled.token, "", 401},
		{"session of a disabled user", "", disabled.session, 401},
		{"token of an expired guest", "Bearer " + f.users[expired].token, "", 401},
		{"session of an expired guest", "", f.users[expired].session, 401},
		{"not a token", "Bearer hunter2", "", 401},
		{"basic auth", "Basic dXNlcjpwYXNz", "", 401},
		{"unknown session", "", "not-a-session", 401},
		{"bad token beats a good session", "Bearer " + unknown, f.users["viewer"].session, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer f.reportTo(t)()
			req := f.newRequest(anonymous, "GET", "/api/v1/me", nil, "")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tc.cookie})
			}
			rec := f.serve(req)
			if rec.Code != tc.want {
				t.Fatalf("GET /api/v1/me = %d, want %d; body %q", rec.Code, tc.want, rec.Body.String())
			}
			if rec.Code == 401 {
				if e := decodeError(t, rec); e.Error.Code != "unauthenticated" {
					t.Errorf("error code = %q, want unauthenticated", e.Error.Code)
				}
				return
			}
			var me struct {
				User        incident.User
				Permissions []auth.Permission
			}
			decodeBody(t, rec, &me)
			if me.User.Name != "u-viewer" || fmt.Sprint(me.Permissions) != fmt.Sprint([]auth.Permission{auth.IncidentRead, auth.StatusRead}) {
				t.Errorf("me = %+v, want u-viewer with [incident.read status.read]", me)
			}
		})
	}
}

// TestLogin checks signing in and out of the console, and the limit on
// failed attempts.
func TestLogin(t *testing.T) {
	clock := time.Now()
	f := newFixture(t, func(o *Options) { o.Now = func() time.Time { return clock } })
	login := func(remote, user, password, next string) *httptest.ResponseRecorder {
		form := url.Values{"username": {user}, "password": {password}}
		if next != "" {
			form.Set("next", next)
		}
		req := f.newRequest(anonymous, "POST", "/login", []byte(form.Encode()), "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		return f.serve(req)
	}
	const here, there = "192.0.2.10:4000", "192.0.2.20:4000"
	name := f.login.Name

	rec := login(here, name, testPassword, "/incidents/"+f.A.Ref)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/incidents/"+f.A.Ref {
		t.Fatalf("login = %d to %q, want 303 to /incidents/%s", rec.Code, rec.Header().Get("Location"), f.A.Ref)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	ck := cookies[0]
	if ck.Name != sessionCookie || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge <= 0 || len(ck.Value) < 40 {
		t.Errorf("session cookie = %+v, want %s, HttpOnly, SameSite=Lax, Path=/, not Secure over HTTP, a MaxAge and a long random value", ck, sessionCookie)
	}
	withCookie := func(method, path string, c *http.Cookie) *httptest.ResponseRecorder {
		req := f.newRequest(anonymous, method, path, nil, "")
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		return f.serve(req)
	}
	if rec := withCookie("GET", "/", ck); rec.Code != 200 || !strings.Contains(rec.Body.String(), name) {
		t.Errorf("GET / with the new session = %d, want 200 naming %s", rec.Code, name)
	}

	// Signing out ends the session.
	rec = withCookie("POST", "/logout", ck)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("logout = %d to %q, want 303 to /login", rec.Code, rec.Header().Get("Location"))
	}
	if cs := rec.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("logout cookies = %+v, want the session cookie cleared", cs)
	}
	if rec := withCookie("GET", "/api/v1/me", ck); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me after logout = %d, want 401", rec.Code)
	}

	// Redirects stay on this site.
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "javascript:alert(1)"} {
		if rec := login(here, name, testPassword, next); rec.Header().Get("Location") != "/" {
			t.Errorf("login with next=%q redirects to %q, want /", next, rec.Header().Get("Location"))
		}
	}

	// Failures: a page, not a cookie, and the same for unknown users.
	wrong := login(here, name, "not the password at all", "")
	unknown := login(here, "nobody", "not the password at all", "")
	for _, rec := range []*httptest.ResponseRecorder{wrong, unknown} {
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			!strings.Contains(rec.Body.String(), "Wrong user name or password.") || len(rec.Result().Cookies()) != 0 {
			t.Errorf("failed login = %d %q with cookies %v, want a 401 page saying so, without a cookie", rec.Code, rec.Header().Get("Content-Type"), rec.Result().Cookies())
		}
	}
	const elsewhere = "192.0.2.40:4000"
	if rec := login(elsewhere, f.users[expired].user.Name, testPassword, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("login of an expired guest = %d, want 401", rec.Code)
	}
	if rec := login(elsewhere, "<script>alert(1)</script>", "x", ""); strings.Contains(rec.Body.String(), "<script>alert") {
		t.Errorf("the login page echoes the user name unescaped")
	}

	// Ten failures for one name (one above, nine here), then even the
	// right password is refused, from any address.
	for i := range 9 {
		if rec := login(there, name, fmt.Sprintf("wrong %d", i), ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+2, rec.Code)
		}
	}
	rec = login(there, name, testPassword, "")
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "Too many failed attempts") || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("11th attempt with the right password = %d, want 429 without a cookie; body %.200q", rec.Code, rec.Body.String())
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s <= 0 || s > 15*60 {
		t.Errorf("Retry-After = %q, want whole seconds up to 900", rec.Header().Get("Retry-After"))
	}
	if rec := login("192.0.2.30:4000", name, testPassword, ""); rec.Code != http.StatusTooManyRequests {
		t.Errorf("right password from another address = %d, want 429", rec.Code)
	}
	// Other users are not locked out, except from an address with ten failures.
	if rec := login("192.0.2.30:4000", f.target.Name, testPassword, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("another user's login = %d, want 303", rec.Code)
	}
	if rec := login(there, "someone", "guess", ""); rec.Code != http.StatusUnauthorized { // the address's tenth failure
		t.Errorf("failure = %d, want 401", rec.Code)
	}
	if rec := login(there, f.target.Name, testPassword, ""); rec.Code != http.StatusTooManyRequests {
		t.Errorf("another user's login from an address with ten failures = %d, want 429", rec.Code)
	}
	// After the window, the right password works again.
	clock = clock.Add(16 * time.Minute)
	if rec := login(there, name, testPassword, ""); rec.Code != http.StatusSeeOther {
		t.Errorf("login after the window = %d, want 303", rec.Code)
	}
}
