package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Request specs for the public plane's routes (see routeSpecs).
func init() {
	comp := func(f *fixture, _ testIncident) int64 { return f.statusComponent().ID }
	event := func(f *fixture, _ testIncident) int64 { return f.statusEvent().ID }
	// Each approve, publish or discard acts on a fresh update drafted by
	// someone else, so that every allowed caller can take the step.
	draft := func(f *fixture, _ testIncident) int64 { return f.statusUpdate(false) }
	approved := func(f *fixture, _ testIncident) int64 { return f.statusUpdate(true) }
	for k, v := range map[string]reqSpec{
		"GET /api/v1/status": {want: 200},
		"POST /api/v1/status/components": {body: jsonFunc(func(f *fixture, _ testIncident) any {
			return map[string]any{"name": f.unique("Portal"), "description": "Customer portal"}
		}), want: 201},
		"POST /api/v1/status/components/{id}/status": {id: comp, body: jsonOf(map[string]any{"status": "partial_outage", "reason": "probe failing"}), want: 200},
		"PUT /api/v1/status/channels":                {body: jsonOf(map[string]any{"channels": []map[string]any{{"kind": "phone", "label": "Hotline", "value": "+31 800 0123", "note": ""}}}), want: 200},
		"PUT /api/v1/status/settings":                {body: jsonOf(map[string]any{"name": "Example", "url": "https://status.example.com"}), want: 200},
		"POST /api/v1/status/events": {body: jsonOf(map[string]any{"name": "Portal offline",
			"update": map[string]any{"status": "investigating", "body": "We are looking into it."}}), want: 201},
		"POST /api/v1/status/events/{id}/updates":  {id: event, body: jsonOf(map[string]any{"status": "identified", "body": "Found it."}), want: 201},
		"POST /api/v1/status/updates/{id}/approve": {id: draft, want: 200},
		"POST /api/v1/status/updates/{id}/publish": {id: approved, want: 200},
		"POST /api/v1/status/updates/{id}/discard": {id: draft, want: 204},

		"GET /status":                       {want: 200},
		"POST /status/events":               {body: formOf(url.Values{"name": {"Portal offline"}, "status": {"investigating"}, "body": {"Looking into it."}}), want: 303},
		"POST /status/events/{id}/updates":  {id: event, body: formOf(url.Values{"status": {"identified"}, "body": {"Found it."}}), want: 303},
		"POST /status/updates/{id}/approve": {id: draft, want: 303},
		"POST /status/updates/{id}/publish": {id: approved, want: 303},
		"POST /status/updates/{id}/discard": {id: draft, want: 303},
		"POST /status/components": {body: func(f *fixture, inc testIncident) ([]byte, string) {
			return formOf(url.Values{"component_name": {f.unique("Voice API")}})(f, inc)
		}, want: 303},
		"POST /status/components/{id}/status": {id: comp, body: formOf(url.Values{"status": {"degraded_performance"}, "reason": {"slow"}}), want: 303},
		"POST /status/channels":               {body: formOf(url.Values{"channels": {"phone | Hotline | +31 800 0123 | 24/7"}}), want: 303},
		"POST /status/settings":               {body: formOf(url.Values{"page_name": {"Example"}, "url": {"https://status.example.com"}}), want: 303},
	} {
		routeSpecs[k] = v
	}
}

// statusComponent returns a component, creating it once.
func (f *fixture) statusComponent() store.StatusComponent {
	f.t.Helper()
	cs, err := f.st.Components(context.Background())
	f.must(err, "list components")
	if len(cs) > 0 {
		return cs[0]
	}
	c, err := f.st.CreateComponent(context.Background(), "fixture", store.StatusComponent{Name: "Customer portal"})
	f.must(err, "create component")
	return c
}

// statusEvent returns a public incident, creating it once.
func (f *fixture) statusEvent() store.StatusEvent {
	f.t.Helper()
	evs, err := f.st.StatusEvents(context.Background(), "")
	f.must(err, "list events")
	if len(evs) > 0 {
		return evs[len(evs)-1]
	}
	ev, err := f.st.CreateStatusEvent(context.Background(), "fixture", store.NewStatusEvent{Name: "Portal offline",
		Update: store.NewStatusUpdate{Status: "investigating", Body: "We are looking into it."}})
	f.must(err, "create event")
	return ev
}

// statusUpdate drafts a fresh update as someone no test caller is, and
// approves it (as yet another) when approved is set.
func (f *fixture) statusUpdate(approved bool) int64 {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.st.DraftStatusUpdate(ctx, "drafter", f.statusEvent().ID, store.NewStatusUpdate{Status: "monitoring", Body: "Watching."})
	f.must(err, "draft")
	if approved {
		_, err = f.st.ApproveStatusUpdate(ctx, "approver", u.ID)
		f.must(err, "approve")
	}
	return u.ID
}

// TestStatusFourEyes: through the API, an author cannot approve their own
// draft, a draft cannot be published, and publishing moves the component
// and tells the publisher.
func TestStatusFourEyes(t *testing.T) {
	kicks := 0
	f := newFixture(t, func(o *Options) { o.StatusChanged = func() { kicks++ } })
	comp := f.statusComponent()
	rec := f.do("communications", "POST", "/api/v1/status/events", map[string]any{"name": "Portal offline",
		"update": map[string]any{"status": "investigating", "body": "Taken offline as a precaution.",
			"affected": []map[string]any{{"component_id": comp.ID, "status": "major_outage"}}}})
	if rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	var ev store.StatusEvent
	decodeBody(t, rec, &ev)
	uid := strconv.FormatInt(ev.Updates[0].ID, 10)

	if rec := f.do("communications", "POST", "/api/v1/status/updates/"+uid+"/publish", nil); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "only an approved update") {
		t.Errorf("publish a draft = %d %s, want 409", rec.Code, rec.Body)
	}
	if rec := f.do("communications", "POST", "/api/v1/status/updates/"+uid+"/approve", nil); rec.Code != http.StatusForbidden {
		t.Errorf("communications approving = %d, want 403 (no status.approve)", rec.Code)
	}
	// The commander drafts too; their own draft is refused for approval.
	rec = f.do("commander", "POST", "/api/v1/status/events/"+strconv.FormatInt(ev.ID, 10)+"/updates", map[string]any{"status": "identified", "body": "Cause found."})
	var own store.StatusUpdate
	decodeBody(t, rec, &own)
	if rec := f.do("commander", "POST", "/api/v1/status/updates/"+strconv.FormatInt(own.ID, 10)+"/approve", nil); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "someone else") {
		t.Errorf("approve own draft = %d %s, want 409", rec.Code, rec.Body)
	}
	if rec := f.do("legal", "POST", "/api/v1/status/updates/"+uid+"/approve", nil); rec.Code != 200 {
		t.Fatalf("legal approves = %d %s", rec.Code, rec.Body)
	}
	if kicks != 0 {
		t.Errorf("publisher kicked %d times before anything was published", kicks)
	}
	if rec := f.do("communications", "POST", "/api/v1/status/updates/"+uid+"/publish", nil); rec.Code != 200 {
		t.Fatalf("publish = %d %s", rec.Code, rec.Body)
	}
	if kicks != 1 {
		t.Errorf("publisher kicked %d times, want 1", kicks)
	}
	cs, err := f.st.Components(context.Background())
	f.must(err, "components")
	if cs[0].Status != incident.StatusMajor {
		t.Errorf("component = %s after publish, want major_outage", cs[0].Status)
	}
}

// TestStatusConsolePage: the page lists pending drafts with the actions the
// caller may take, and field errors come back next to the form.
func TestStatusConsolePage(t *testing.T) {
	f := newFixture(t)
	id := f.statusUpdate(false)
	rec := f.do("legal", "GET", "/status", nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "/status/updates/"+strconv.FormatInt(id, 10)+"/approve") {
		t.Fatalf("legal sees no Approve button for someone else's draft: %d", rec.Code)
	}
	if strings.Contains(body, `action="/status/components"`) {
		t.Error("legal sees the component form without status.admin")
	}
	rec = f.do("viewer", "GET", "/status", nil)
	if strings.Contains(rec.Body.String(), "/approve") || strings.Contains(rec.Body.String(), "Save draft") {
		t.Error("a viewer is offered actions")
	}
	req := f.newRequest("communications", "POST", "/status/events", []byte(url.Values{"name": {""}, "status": {"investigating"}, "body": {"x"}}.Encode()), "application/x-www-form-urlencoded")
	rec = f.serve(req)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "is required") {
		t.Errorf("empty name = %d, want 422 with the error", rec.Code)
	}
	req = f.newRequest("admin", "POST", "/status/settings", []byte(url.Values{"page_name": {"Example"}, "url": {"javascript:alert(1)"}}.Encode()), "application/x-www-form-urlencoded")
	if rec = f.serve(req); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "http(s) URL") {
		t.Errorf("a javascript: page URL = %d, want 422 naming the rule", rec.Code)
	}
	if rec := f.do("admin", "PUT", "/api/v1/status/settings", map[string]any{"name": "Example", "url": "ftp://status.example.com"}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("PUT an ftp: page URL = %d, want 422", rec.Code)
	}
	req = f.newRequest("admin", "POST", "/status/channels", []byte(url.Values{"channels": {"pigeon | Coop | roof"}}.Encode()), "application/x-www-form-urlencoded")
	if rec = f.serve(req); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "pigeon") {
		t.Errorf("bad channel kind = %d, want 422 naming it", rec.Code)
	}
}
