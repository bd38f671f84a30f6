package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "firebreak.db"), store.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

// counts is what a repeated Load must not change.
type counts struct {
	incidents, events int
	audit             int64
}

func countAll(t *testing.T, st *store.Store, ref string) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	for after := int64(0); ; {
		page, err := st.ListIncidents(ctx, store.IncidentFilter{Page: store.Page{After: after, Limit: 1000}})
		if err != nil {
			t.Fatalf("ListIncidents: %v", err)
		}
		if len(page) == 0 {
			break
		}
		c.incidents += len(page)
		after = page[len(page)-1].ID
	}
	c.events = len(allEvents(t, st, ref))
	n, err := st.VerifyAudit(ctx)
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	c.audit = n
	return c
}

func allEvents(t *testing.T, st *store.Store, ref string) []incident.Event {
	t.Helper()
	var out []incident.Event
	for after := int64(0); ; {
		page, err := st.ListEvents(context.Background(), ref, store.Page{After: after, Limit: 1000})
		if err != nil {
			t.Fatalf("ListEvents(%s): %v", ref, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].ID
	}
}

func TestLoadIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	ref, created, err := Load(ctx, st, "demo")
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	if !created || ref == "" {
		t.Fatalf("first Load = %q, %v, want a new ref, true", ref, created)
	}
	before := countAll(t, st, ref)
	v, err := st.StatusVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	ref2, created2, err := Load(ctx, st, "someone-else")
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if created2 || ref2 != ref {
		t.Fatalf("second Load = %q, %v, want %q, false", ref2, created2, ref)
	}
	if after := countAll(t, st, ref); after != before {
		t.Errorf("second Load changed the record: counts %+v, want %+v", after, before)
	}
	if v2, err := st.StatusVersion(ctx); err != nil || v2 != v {
		t.Errorf("second Load changed the status page: version %d → %d (%v)", v, v2, err)
	}
}

func TestLoadFindsDemoBeyondFirstPage(t *testing.T) {
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 2
	ctx := context.Background()
	st := openStore(t)
	for i := range 4 { // two full pages before the demo, which then lands on the third
		if _, err := st.CreateIncident(ctx, "tester", incident.Incident{Title: fmt.Sprintf("other incident %d", i)}); err != nil {
			t.Fatalf("CreateIncident: %v", err)
		}
	}
	ref, created, err := Load(ctx, st, "demo")
	if err != nil || !created {
		t.Fatalf("first Load = %q, %v, %v, want a new incident", ref, created, err)
	}
	ref2, created2, err := Load(ctx, st, "demo")
	if err != nil || created2 || ref2 != ref {
		t.Fatalf("second Load = %q, %v, %v, want %q, false, nil", ref2, created2, err, ref)
	}
}

func TestLoadContent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	ref, _, err := Load(ctx, st, "demo")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	in, err := st.GetIncident(ctx, ref)
	if err != nil {
		t.Fatalf("GetIncident(%s): %v", ref, err)
	}
	if in.Title != Title || in.Severity != incident.SeverityCritical || in.Phase != incident.PhaseContained || in.TLP != incident.TLPAmber {
		t.Errorf("incident = %q %s %s %s, want %q critical contained amber", in.Title, in.Severity, in.Phase, in.TLP, Title)
	}
	for _, a := range []incident.Anchor{incident.AnchorFirstSignal, incident.AnchorAware, incident.AnchorPersonalDataBreach, incident.AnchorClassifiedMajor} {
		set, ok := in.Anchors[a]
		switch {
		case !ok:
			t.Errorf("anchor %s is not set", a)
		case set.Reason == "" || set.SetBy != "demo":
			t.Errorf("anchor %s = %+v, want a reason and set by demo", a, set)
		case set.At.Year() != 2025 || set.At.Month() != time.July:
			t.Errorf("anchor %s at %s, want July 2025", a, set.At)
		}
	}
	if !in.Anchors[incident.AnchorFirstSignal].At.Before(in.Anchors[incident.AnchorAware].At) {
		t.Errorf("first signal %s is not before awareness %s", in.Anchors[incident.AnchorFirstSignal].At, in.Anchors[incident.AnchorAware].At)
	}

	blast, err := st.BlastRadius(ctx, ref, nil)
	if err != nil {
		t.Fatalf("BlastRadius(%s): %v", ref, err)
	}
	effects := map[string]incident.Effect{}
	for _, im := range blast.Impacts {
		effects[im.Service] = im.Effect
	}
	for name, want := range map[string]incident.Effect{
		"Customer portal":       incident.EffectDown,
		"Voice & messaging API": incident.EffectDown,
		"Intranet (SharePoint)": incident.EffectDown,
		"Identity (SSO)":        "",
		"Mobile app backend":    "",
	} {
		if got := effects[name]; got != want {
			t.Errorf("blast radius: %s is %q, want %q (impacts %+v)", name, got, want, blast.Impacts)
		}
	}

	stored, err := st.ListAssets(ctx, ref, store.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListAssets: %v", err)
	}
	compromise := map[incident.Compromise]int{}
	for _, a := range stored {
		compromise[a.Compromise]++
	}
	for _, c := range incident.Compromises {
		if compromise[c] == 0 {
			t.Errorf("no asset is %s; the demo should show every compromise state", c)
		}
	}
	services, err := st.ListServices(ctx, ref)
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	inds, err := st.ListIndicators(ctx, ref, store.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListIndicators: %v", err)
	}
	finds, err := st.ListFindings(ctx, ref, store.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListFindings: %v", err)
	}
	tks, err := st.ListTasks(ctx, ref, store.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	for _, c := range []struct {
		what     string
		got, min int
		max      int
	}{
		{"assets", len(stored), len(assets), len(assets)},
		{"services", len(services), 4, 6},
		{"indicators", len(inds), 15, 25},
		{"findings", len(finds), 5, 8},
		{"tasks", len(tks), 6, 10},
	} {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%d %s, want %d to %d", c.got, c.what, c.min, c.max)
		}
	}
	if len(inds) != len(indicators()) {
		t.Errorf("%d indicators stored, want %d: some were merged as duplicates", len(inds), len(indicators()))
	}

	var historical, public, published int
	for _, e := range allEvents(t, st, ref) {
		if e.Actor == "demo" && e.Kind != incident.KindFinding {
			continue // the store dates its own events (incident opened, operational changes) at store time
		}
		if e.Actor == demoDrafter && e.Kind == incident.KindCommunication {
			published++ // status page publishes, dated at load time
			continue
		}
		historical++
		if e.Visibility == incident.VisibilityPublic {
			public++
		}
		if from, to := at(18, 0, 0, 0), at(22, 0, 0, 0); e.OccurredAt.Before(from) || !e.OccurredAt.Before(to) {
			t.Errorf("event %q occurred at %s, want 18 to 21 July 2025", e.Text, e.OccurredAt)
		}
	}
	if want := len(events) + len(findings()); historical != want {
		t.Errorf("%d narrative and finding events, want %d", historical, want)
	}
	if public == 0 {
		t.Error("no public events: the status page would have nothing to show")
	}
	if published != len(publicUpdates) {
		t.Errorf("%d status page publishes on the timeline, want %d", published, len(publicUpdates))
	}
	d, err := st.StatusData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	down := 0
	for _, c := range d.Components {
		if c.Status == incident.StatusMajor {
			down++
		}
	}
	if len(d.Components) != len(publicComponents) || down != 2 || len(d.Channels) != len(publicChannels) || d.Settings.Name == "" {
		t.Errorf("public side: %d components (%d down), %d channels, settings %+v", len(d.Components), down, len(d.Channels), d.Settings)
	}
	var kinds []store.StatusEventKind
	for _, ev := range d.Events {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == store.EventIncident && len(ev.Updates) != len(publicUpdates) {
			t.Errorf("the public incident has %d published updates, want %d", len(ev.Updates), len(publicUpdates))
		}
		if ev.Kind == store.EventMaintenance && (ev.ScheduledFor == nil || !ev.ScheduledFor.After(time.Now())) {
			t.Errorf("the maintenance is not upcoming: %+v", ev.ScheduledFor)
		}
	}
	if len(d.Events) != 2 || !slices.Contains(kinds, store.EventIncident) || !slices.Contains(kinds, store.EventMaintenance) {
		t.Fatalf("public events are %v, want an incident and an upcoming maintenance", kinds)
	}
	all, err := st.StatusEvents(ctx, ref) // the incident's only
	if err != nil {
		t.Fatal(err)
	}
	if n := len(all[0].Updates); n != len(publicUpdates)+1 || all[0].Updates[n-1].State != store.UpdateDraft {
		t.Errorf("want one draft waiting for approval after the published updates: %+v", all[0].Updates)
	}
	if _, err := st.VerifyAudit(ctx); err != nil {
		t.Errorf("VerifyAudit: %v", err)
	}
}
