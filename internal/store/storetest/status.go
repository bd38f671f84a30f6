package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// statusVersion reads the public page version.
func (e *env) statusVersion(t *testing.T) int64 {
	t.Helper()
	v, err := e.s.StatusVersion(e.ctx)
	if err != nil {
		t.Fatalf("StatusVersion: %v", err)
	}
	return v
}

func (e *env) component(t *testing.T, name string) store.StatusComponent {
	t.Helper()
	c, err := e.s.CreateComponent(e.ctx, "alice", store.StatusComponent{Name: name, Description: name + " for customers"})
	if err != nil {
		t.Fatalf("CreateComponent(%q) = %v", name, err)
	}
	return c
}

// testStatusPublishFlow walks an update from draft to published and checks
// what the public projection shows at each step.
func testStatusPublishFlow(t *testing.T, e *env) {
	in := e.incident(t, "Webshells on SharePoint")
	portal := e.component(t, "Customer portal")
	voice := e.component(t, "Voice API")
	v0 := e.statusVersion(t)

	ev, err := e.s.CreateStatusEvent(e.ctx, "carol", store.NewStatusEvent{
		IncidentRef: in.Ref, Name: "Customer portal unavailable",
		Update: store.NewStatusUpdate{Status: "investigating", Body: "We have taken the portal offline.",
			Affected: []store.Affected{{ComponentID: portal.ID, Status: incident.StatusMajor}}},
	})
	if err != nil {
		t.Fatalf("CreateStatusEvent: %v", err)
	}
	if len(ev.Updates) != 1 || ev.Updates[0].State != store.UpdateDraft || ev.PublicID == "" || ev.Published {
		t.Fatalf("new event = %+v, want one draft update, a public id, not published", ev)
	}
	d, err := e.s.StatusData(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 0 {
		t.Fatalf("a draft is public: %+v", d.Events)
	}
	draft := ev.Updates[0]

	// Publishing a draft, approving your own draft: refused.
	if _, err := e.s.PublishStatusUpdate(e.ctx, "carol", draft.ID); !errors.Is(err, store.ErrState) {
		t.Fatalf("publish a draft = %v, want ErrState", err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "carol", draft.ID); !errors.Is(err, store.ErrState) {
		t.Fatalf("approve own draft = %v, want ErrState", err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", draft.ID); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", draft.ID); !errors.Is(err, store.ErrState) {
		t.Fatalf("approve twice = %v, want ErrState", err)
	}
	e.clk.Advance(time.Minute)
	pub, err := e.s.PublishStatusUpdate(e.ctx, "carol", draft.ID)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if pub.State != store.UpdatePublished || pub.PublishedBy != "carol" || pub.ApprovedBy != "dave" {
		t.Fatalf("published update = %+v", pub)
	}
	if len(pub.Affected) != 1 || pub.Affected[0].OldStatus != incident.StatusOperational {
		t.Fatalf("affected = %+v, want old status operational recorded", pub.Affected)
	}
	if _, err := e.s.PublishStatusUpdate(e.ctx, "carol", draft.ID); !errors.Is(err, store.ErrState) {
		t.Fatalf("publish twice = %v, want ErrState", err)
	}
	if v := e.statusVersion(t); v <= v0 {
		t.Fatalf("status version %d did not move from %d", v, v0)
	}

	// A second draft stays private while the first is public.
	if _, err := e.s.DraftStatusUpdate(e.ctx, "carol", ev.ID, store.NewStatusUpdate{Status: "identified", Body: "NOT YET PUBLIC"}); err != nil {
		t.Fatal(err)
	}
	d, err = e.s.StatusData(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || !d.Events[0].Published || d.Events[0].Status != "investigating" {
		t.Fatalf("public events = %+v", d.Events)
	}
	for _, u := range d.Events[0].Updates {
		if u.State != store.UpdatePublished || strings.Contains(u.Body, "NOT YET PUBLIC") {
			t.Fatalf("projection carries an unpublished update: %+v", u)
		}
	}
	for _, c := range d.Components {
		want := incident.StatusOperational
		if c.ID == portal.ID {
			want = incident.StatusMajor
			if len(c.History) != 1 || c.History[0].Status != incident.StatusMajor {
				t.Fatalf("portal history = %+v", c.History)
			}
		}
		if c.Status != want {
			t.Errorf("component %s = %s, want %s", c.Name, c.Status, want)
		}
	}
	_ = voice

	// The publish is on the incident's timeline.
	found := false
	for _, te := range e.timeline(t, in.Ref) {
		if te.Kind == incident.KindCommunication && strings.Contains(te.Text, "We have taken the portal offline.") && strings.Contains(te.Text, "approved by dave") {
			found = true
		}
	}
	if !found {
		t.Fatalf("publish is not on the timeline: %+v", e.timeline(t, in.Ref))
	}
}

func testStatusRejects(t *testing.T, e *env) {
	c := e.component(t, "Portal")
	if _, err := e.s.CreateComponent(e.ctx, "alice", store.StatusComponent{Name: "Portal"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate component = %v, want ErrConflict", err)
	}
	cases := []struct {
		name string
		ne   store.NewStatusEvent
	}{
		{"no name", store.NewStatusEvent{Update: store.NewStatusUpdate{Status: "investigating", Body: "x"}}},
		{"bad status", store.NewStatusEvent{Name: "x", Update: store.NewStatusUpdate{Status: "on_fire", Body: "x"}}},
		{"maintenance status on incident", store.NewStatusEvent{Name: "x", Update: store.NewStatusUpdate{Status: "scheduled", Body: "x"}}},
		{"empty body", store.NewStatusEvent{Name: "x", Update: store.NewStatusUpdate{Status: "investigating"}}},
		{"control character", store.NewStatusEvent{Name: "x\x00", Update: store.NewStatusUpdate{Status: "investigating", Body: "x"}}},
		{"bad impact", store.NewStatusEvent{Name: "x", Impact: "huge", Update: store.NewStatusUpdate{Status: "investigating", Body: "x"}}},
		{"unknown component", store.NewStatusEvent{Name: "x", Update: store.NewStatusUpdate{Status: "investigating", Body: "x",
			Affected: []store.Affected{{ComponentID: c.ID + 100, Status: incident.StatusMajor}}}}},
		{"component twice", store.NewStatusEvent{Name: "x", Update: store.NewStatusUpdate{Status: "investigating", Body: "x",
			Affected: []store.Affected{{ComponentID: c.ID, Status: incident.StatusMajor}, {ComponentID: c.ID, Status: incident.StatusOperational}}}}},
		{"bad component status", store.NewStatusEvent{Name: "x", Update: store.NewStatusUpdate{Status: "investigating", Body: "x",
			Affected: []store.Affected{{ComponentID: c.ID, Status: "sad"}}}}},
		{"maintenance without schedule", store.NewStatusEvent{Kind: store.EventMaintenance, Name: "x", Update: store.NewStatusUpdate{Status: "scheduled", Body: "x"}}},
	}
	before := e.auditCount(t)
	for _, tc := range cases {
		_, err := e.s.CreateStatusEvent(e.ctx, "alice", tc.ne)
		wantValidation(t, tc.name, err)
	}
	if _, err := e.s.CreateStatusEvent(e.ctx, "alice", store.NewStatusEvent{IncidentRef: "IR-1999-999", Name: "x",
		Update: store.NewStatusUpdate{Status: "investigating", Body: "x"}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown incident = %v, want ErrNotFound", err)
	}
	if got := e.auditCount(t); got != before {
		t.Fatalf("rejected writes added %d audit entries", got-before)
	}
	if err := e.s.SetStatusChannels(e.ctx, "alice", []store.StatusChannel{{Kind: "pigeon", Label: "x", Value: "y"}}); !isValidation(err) {
		t.Fatalf("bad channel kind = %v", err)
	}
}

func testStatusMaintenanceAndDirect(t *testing.T, e *env) {
	c := e.component(t, "Voice API")
	from := e.clk.Now().Add(24 * time.Hour)
	until := from.Add(2 * time.Hour)
	ev, err := e.s.CreateStatusEvent(e.ctx, "carol", store.NewStatusEvent{Kind: store.EventMaintenance, Name: "Core router replacement",
		ScheduledFor: &from, ScheduledUntil: &until,
		Update: store.NewStatusUpdate{Status: "scheduled", Body: "Planned work."}})
	if err != nil {
		t.Fatal(err)
	}
	u := ev.Updates[0]
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PublishStatusUpdate(e.ctx, "dave", u.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.StatusEvent(e.ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ScheduledFor == nil || !got.ScheduledFor.Equal(from.UTC().Truncate(time.Nanosecond)) || !got.Published || got.IncidentRef != "" {
		t.Fatalf("maintenance = %+v", got)
	}

	// Direct status changes (probes): by name or public id, idempotent.
	v := e.statusVersion(t)
	changed, err := e.s.SetComponentStatus(e.ctx, "probe:voice", c.Name, incident.StatusPartial, "3 failed checks")
	if err != nil || !changed {
		t.Fatalf("SetComponentStatus = %v, %v", changed, err)
	}
	changed, err = e.s.SetComponentStatus(e.ctx, "probe:voice", c.PublicID, incident.StatusPartial, "still failing")
	if err != nil || changed {
		t.Fatalf("same status again = %v, %v; want no change", changed, err)
	}
	if e.statusVersion(t) != v+1 {
		t.Fatalf("version moved %d times, want once", e.statusVersion(t)-v)
	}
	if _, err := e.s.SetComponentStatus(e.ctx, "x", "nope", incident.StatusPartial, "r"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown component = %v", err)
	}

	// Discard: a discarded draft can be neither approved nor published.
	d, err := e.s.DraftStatusUpdate(e.ctx, "carol", ev.ID, store.NewStatusUpdate{Status: "in_progress", Body: "Started."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.DiscardStatusUpdate(e.ctx, "carol", d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", d.ID); !errors.Is(err, store.ErrState) {
		t.Fatalf("approve discarded = %v", err)
	}

	// Settings and channels round-trip.
	if err := e.s.SetStatusSettings(e.ctx, "alice", store.StatusSettings{Name: "Nordwave", URL: "https://status.example.com"}); err != nil {
		t.Fatal(err)
	}
	chs := []store.StatusChannel{{Kind: "phone", Label: "Hotline", Value: "+31 800 0000", Note: "24/7"}, {Kind: "email", Label: "Mail", Value: "help@example.com"}}
	if err := e.s.SetStatusChannels(e.ctx, "alice", chs); err != nil {
		t.Fatal(err)
	}
	data, err := e.s.StatusData(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if data.Settings.Name != "Nordwave" || len(data.Channels) != 2 || data.Channels[0].Label != "Hotline" || len(data.Events) != 1 {
		t.Fatalf("status data = %+v", data)
	}
}

// testStatusResolveRestores: resolving without naming components puts the
// event's components back to operational, except one another open event
// still holds down.
func testStatusResolveRestores(t *testing.T, e *env) {
	portal, voice := e.component(t, "Portal"), e.component(t, "Voice")
	publish := func(ev store.StatusEvent, nu store.NewStatusUpdate) {
		t.Helper()
		u, err := e.s.DraftStatusUpdate(e.ctx, "carol", ev.ID, nu)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.PublishStatusUpdate(e.ctx, "carol", u.ID); err != nil {
			t.Fatal(err)
		}
	}
	open := func(name string, as ...store.Affected) store.StatusEvent {
		t.Helper()
		ev, err := e.s.CreateStatusEvent(e.ctx, "carol", store.NewStatusEvent{Name: name, Update: store.NewStatusUpdate{Status: "investigating", Body: "x"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.DiscardStatusUpdate(e.ctx, "carol", ev.Updates[0].ID); err != nil {
			t.Fatal(err)
		}
		publish(ev, store.NewStatusUpdate{Status: "identified", Body: "down", Affected: as})
		return ev
	}
	a := open("Portal and voice down", store.Affected{ComponentID: portal.ID, Status: incident.StatusMajor}, store.Affected{ComponentID: voice.ID, Status: incident.StatusMajor})
	open("Voice also degraded", store.Affected{ComponentID: voice.ID, Status: incident.StatusMajor})
	publish(a, store.NewStatusUpdate{Status: "resolved", Body: "Fixed."})
	cs, err := e.s.Components(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		want := incident.StatusOperational
		if c.ID == voice.ID {
			want = incident.StatusMajor // the other event still holds it
		}
		if c.Status != want {
			t.Errorf("%s = %s after resolving, want %s", c.Name, c.Status, want)
		}
	}
}

// testStatusHistoryWindow: the page data carries the last 91 days of a
// component's history, plus the last change before them (its status when
// the window starts), not everything ever recorded.
func testStatusHistoryWindow(t *testing.T, e *env) {
	c := e.component(t, "Portal")
	for i, st := range []incident.ServiceStatus{incident.StatusPartial, incident.StatusMajor, incident.StatusOperational} {
		if i > 0 {
			e.clk.Advance(100 * 24 * time.Hour)
		}
		if _, err := e.s.SetComponentStatus(e.ctx, "probe", c.Name, st, "check"); err != nil {
			t.Fatal(err)
		}
	}
	d, err := e.s.StatusData(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []incident.ServiceStatus
	for _, h := range d.Components[0].History {
		got = append(got, h.Status)
	}
	if want := []incident.ServiceStatus{incident.StatusMajor, incident.StatusOperational}; !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v (the change before the window, then the one inside it)", got, want)
	}
}

// testStatusMaintenanceSchedule: a published maintenance starts and
// completes at its scheduled times, once each; its components go under
// maintenance and back; one a person moved to verifying is left alone; a
// window that closed unseen completes at once.
func testStatusMaintenanceSchedule(t *testing.T, e *env) {
	voice, portal := e.component(t, "Voice API"), e.component(t, "Customer portal")
	statusOf := func(c store.StatusComponent) incident.ServiceStatus {
		cs, err := e.s.Components(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range cs {
			if x.ID == c.ID {
				return x.Status
			}
		}
		t.Fatalf("component %s gone", c.Name)
		return ""
	}
	// schedule announces a maintenance naming comps, each with the status
	// it has now (naming a component must not change it before the start).
	schedule := func(name string, from, until time.Time, comps ...store.StatusComponent) store.StatusEvent {
		var aff []store.Affected
		for _, c := range comps {
			aff = append(aff, store.Affected{ComponentID: c.ID, Status: statusOf(c)})
		}
		ev, err := e.s.CreateStatusEvent(e.ctx, "carol", store.NewStatusEvent{Kind: store.EventMaintenance, Name: name,
			ScheduledFor: &from, ScheduledUntil: &until, Update: store.NewStatusUpdate{Status: "scheduled", Body: "Planned work.", Affected: aff}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", ev.Updates[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.PublishStatusUpdate(e.ctx, "dave", ev.Updates[0].ID); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	advance := func(want int) {
		t.Helper()
		if n, err := e.s.AdvanceMaintenances(e.ctx); err != nil || n != want {
			t.Fatalf("AdvanceMaintenances() = %d, %v; want %d moves", n, err, want)
		}
	}
	eventStatus := func(ev store.StatusEvent) string {
		got, err := e.s.StatusEvent(e.ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	now := e.clk.Now()
	router := schedule("Core router replacement", now.Add(time.Hour), now.Add(3*time.Hour), voice)
	manual := schedule("Portal upgrade", now.Add(time.Hour), now.Add(2*time.Hour), portal)
	advance(0) // not yet

	e.clk.Advance(90 * time.Minute)
	v := e.statusVersion(t)
	advance(2)
	advance(0) // once
	if eventStatus(router) != "in_progress" || statusOf(voice) != incident.StatusMaintenance || e.statusVersion(t) <= v {
		t.Fatalf("after the start: %s, voice %s, version %d → %d; want in_progress, under_maintenance, moved",
			eventStatus(router), statusOf(voice), v, e.statusVersion(t))
	}
	got, err := e.s.StatusEvent(e.ctx, router.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := got.Updates[len(got.Updates)-1]
	if last.Status != "in_progress" || last.Body != store.MaintenanceStartedBody || last.PublishedBy != store.ScheduleActor || last.State != store.UpdatePublished {
		t.Errorf("update published at the start = %+v", last)
	}
	// A person moves the portal upgrade to verifying: the schedule leaves it.
	d, err := e.s.DraftStatusUpdate(e.ctx, "carol", manual.ID, store.NewStatusUpdate{Status: "verifying", Body: "Checking."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PublishStatusUpdate(e.ctx, "dave", d.ID); err != nil {
		t.Fatal(err)
	}

	e.clk.Advance(2 * time.Hour) // both windows closed
	advance(1)
	if eventStatus(router) != "completed" || statusOf(voice) != incident.StatusOperational {
		t.Errorf("after the end: %s, voice %s; want completed, operational", eventStatus(router), statusOf(voice))
	}
	if eventStatus(manual) != "verifying" || statusOf(portal) != incident.StatusMaintenance {
		t.Errorf("maintenance a person moved to verifying: %s, portal %s; want it left verifying, under maintenance", eventStatus(manual), statusOf(portal))
	}

	// A component an open public incident holds keeps the incident's
	// status through a maintenance that names it, and after.
	outage, err := e.s.CreateStatusEvent(e.ctx, "carol", store.NewStatusEvent{Name: "Voice API down",
		Update: store.NewStatusUpdate{Status: "investigating", Body: "Down.", Affected: []store.Affected{{ComponentID: voice.ID, Status: incident.StatusMajor}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", outage.Updates[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PublishStatusUpdate(e.ctx, "dave", outage.Updates[0].ID); err != nil {
		t.Fatal(err)
	}
	now = e.clk.Now()
	overlap := schedule("Voice API patching", now.Add(time.Minute), now.Add(time.Hour), voice)
	e.clk.Advance(2 * time.Minute)
	advance(1)
	if eventStatus(overlap) != "in_progress" || statusOf(voice) != incident.StatusMajor {
		t.Errorf("maintenance over an outage: %s, voice %s; want in_progress, still major_outage", eventStatus(overlap), statusOf(voice))
	}
	e.clk.Advance(time.Hour)
	advance(1)
	if eventStatus(overlap) != "completed" || statusOf(voice) != incident.StatusMajor {
		t.Errorf("after it: %s, voice %s; want completed, still major_outage", eventStatus(overlap), statusOf(voice))
	}
	resolve, err := e.s.DraftStatusUpdate(e.ctx, "carol", outage.ID, store.NewStatusUpdate{Status: "resolved", Body: "Back."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", resolve.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PublishStatusUpdate(e.ctx, "dave", resolve.ID); err != nil {
		t.Fatal(err)
	}

	// Postponed: once the window has opened, a person publishes
	// "scheduled" again; the schedule then leaves the maintenance alone.
	now = e.clk.Now()
	late := schedule("Portal move", now.Add(time.Minute), now.Add(3*time.Hour), portal)
	e.clk.Advance(2 * time.Minute)
	again, err := e.s.DraftStatusUpdate(e.ctx, "carol", late.ID, store.NewStatusUpdate{Status: "scheduled", Body: "Postponed by a day."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveStatusUpdate(e.ctx, "dave", again.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PublishStatusUpdate(e.ctx, "dave", again.ID); err != nil {
		t.Fatal(err)
	}
	advance(0)
	if eventStatus(late) != "scheduled" {
		t.Errorf("postponed maintenance: %s, want scheduled", eventStatus(late))
	}

	// A window that opened and closed while nothing ran completes at once.
	now = e.clk.Now()
	missed := schedule("Night work", now.Add(time.Minute), now.Add(2*time.Minute), voice)
	e.clk.Advance(time.Hour)
	advance(1)
	if eventStatus(missed) != "completed" || statusOf(voice) != incident.StatusOperational {
		t.Errorf("missed window: %s, voice %s; want completed, operational", eventStatus(missed), statusOf(voice))
	}
}
