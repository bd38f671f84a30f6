// Package storetest is the storage contract: one suite that every dialect
// behind *store.Store must pass. store_test.go runs it on SQLite always and
// on PostgreSQL when FIREBREAK_TEST_POSTGRES names a database.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// Start is where every suite clock starts: nanoseconds included, so that
// round trips through the database are checked at full precision.
var Start = time.Date(2026, time.March, 14, 9, 26, 53, 589793238, time.UTC)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var clocks sync.Map // *testing.T → *Clock

// ClockFor returns the clock of test t, starting at Start. An open function
// given to Run must pass ClockFor(t).Now as store.Options.Now: the suite
// moves time with the same clock.
func ClockFor(t *testing.T) *Clock {
	v, loaded := clocks.LoadOrStore(t, &Clock{now: Start})
	if !loaded {
		t.Cleanup(func() { clocks.Delete(t) })
	}
	return v.(*Clock)
}

// env is what each contract test works with.
type env struct {
	ctx context.Context
	s   *store.Store
	clk *Clock
}

// Run runs the contract suite. open returns a fresh, migrated, empty store
// whose clock is ClockFor(t).Now; it closes the store in t.Cleanup. The
// subtests run in parallel, each on its own store, so open must be safe for
// concurrent use.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Schema", testSchema},
		{"Incident/Create", testIncidentCreate},
		{"Incident/RefsFollowClock", testIncidentRefs},
		{"Incident/FailedCreateKeepsNumbering", testIncidentFailedCreate},
		{"Incident/Anchors", testIncidentAnchors},
		{"Incident/List", testIncidentList},
		{"Incident/Update", testIncidentUpdate},
		{"Incident/UpdateRejects", testIncidentUpdateRejects},
		{"Event/Defaults", testEventDefaults},
		{"Event/Invalid", testEventInvalid},
		{"Event/Corrects", testEventCorrects},
		{"Event/Pagination", testEventPagination},
		{"Task", testTasks},
		{"Asset/CreateAndConflict", testAssetCreate},
		{"Asset/Update", testAssetUpdate},
		{"Asset/SetOperational", testAssetOperational},
		{"Service/Dependencies", testServiceDeps},
		{"Service/UpdateReplacesDeps", testServiceUpdate},
		{"BlastRadius", testBlastRadius},
		{"BlastRadius/ManyAssets", testBlastRadiusManyAssets},
		{"Indicator/BatchDedup", testIndicatorDedup},
		{"Indicator/InvalidBatchWritesNothing", testIndicatorInvalid},
		{"Finding/Idempotent", testFindingIdempotent},
		{"Finding/DuplicateKeyInBatch", testFindingDuplicateInBatch},
		{"Finding/Invalid", testFindingInvalid},
		{"Finding/Triage", testFindingTriage},
		{"Evidence/Blobs", testBlobs},
		{"Evidence/AddAndCustody", testEvidence},
		{"Probe/StatesAndSignals", testProbes},
		{"User/CreateAndConflict", testUserCreate},
		{"User/GuestScope", testGuestScope},
		{"User/TLPRedNamed", testTLPRedNamed},
		{"User/Tokens", testTokens},
		{"User/Sessions", testSessions},
		{"Audit/EveryMutationOneEntry", testAuditEveryMutation},
		{"Audit/FailedMutationAddsNone", testAuditFailedMutation},
		{"Concurrency/AppendEvent", testConcurrentAppend},
		{"Concurrency/VerifyAuditDuringWrites", testVerifyDuringWrites},
		{"Concurrency/AddFindingsSameKey", testConcurrentFindings},
		{"Concurrency/MixedFailures", testConcurrentFailures},
		{"Concurrency/CancelledWriters", testCancelledWriters},
		{"Status/PublishFlow", testStatusPublishFlow},
		{"Status/Rejects", testStatusRejects},
		{"Status/MaintenanceAndDirect", testStatusMaintenanceAndDirect},
		{"Status/ResolveRestores", testStatusResolveRestores},
		{"Status/HistoryWindow", testStatusHistoryWindow},
		{"Status/MaintenanceSchedule", testStatusMaintenanceSchedule},
	}
	for _, tc := range append(tests, subscriberTests...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := ClockFor(t)
			s := open(t)
			tc.fn(t, &env{ctx: t.Context(), s: s, clk: clk})
		})
	}
}

// ---- helpers ----

func (e *env) incident(t *testing.T, title string) incident.Incident {
	t.Helper()
	in, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: title})
	if err != nil {
		t.Fatalf("CreateIncident(%q) = %v, want no error", title, err)
	}
	return in
}

func (e *env) asset(t *testing.T, ref, name string) incident.Asset {
	t.Helper()
	a, err := e.s.CreateAsset(e.ctx, "alice", ref, incident.Asset{Name: name})
	if err != nil {
		t.Fatalf("CreateAsset(%s, %q) = %v, want no error", ref, name, err)
	}
	return a
}

// auditCount verifies the chain and returns its length.
func (e *env) auditCount(t *testing.T) int64 {
	t.Helper()
	n, err := e.s.VerifyAudit(e.ctx)
	if err != nil {
		t.Fatalf("VerifyAudit() = %d, %v, want no error", n, err)
	}
	return n
}

// timeline returns every event of an incident.
func (e *env) timeline(t *testing.T, ref string) []incident.Event {
	t.Helper()
	evs, err := e.s.ListEvents(e.ctx, ref, store.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListEvents(%s) = %v, want no error", ref, err)
	}
	return evs
}

func kinds(evs []incident.Event) []incident.EventKind {
	out := []incident.EventKind{}
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

func hasLink(ev incident.Event, typ string, id int64) bool {
	return slices.Contains(ev.Links, incident.Link{Type: typ, ID: id})
}

func isValidation(err error) bool {
	var ve *incident.ValidationError
	return errors.As(err, &ve)
}

// wantValidation fails unless err is (or wraps) an *incident.ValidationError.
func wantValidation(t *testing.T, call string, err error) {
	t.Helper()
	if !isValidation(err) {
		t.Errorf("%s = %v, want a *incident.ValidationError", call, err)
	}
}

// wantIs fails unless errors.Is(err, target).
func wantIs(t *testing.T, call string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s = %v, want %v", call, err, target)
	}
}

func ptr[T any](v T) *T { return &v }

// collect pages through a list with the given limit and returns every item.
func collect[T any](t *testing.T, limit int, id func(T) int64, list func(store.Page) ([]T, error)) []T {
	t.Helper()
	eff := limit
	if eff <= 0 {
		eff = 100
	}
	var out []T
	p := store.Page{Limit: limit}
	for range 10000 {
		page, err := list(p)
		if err != nil {
			t.Fatalf("list(%+v) = %v, want no error", p, err)
		}
		if len(page) > eff {
			t.Fatalf("list(%+v) returned %d items, want at most %d", p, len(page), eff)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		p.After = id(page[len(page)-1])
	}
	t.Fatalf("list with limit %d never ended", limit)
	return nil
}

// ---- schema ----

func testSchema(t *testing.T, e *env) {
	if err := e.s.Ping(e.ctx); err != nil {
		t.Errorf("Ping() = %v, want nil", err)
	}
	if err := e.s.CheckSchema(e.ctx); err != nil {
		t.Errorf("CheckSchema() = %v, want nil (open must return a migrated store)", err)
	}
	v, err := e.s.SchemaVersion(e.ctx)
	if err != nil || v != store.LatestVersion() {
		t.Errorf("SchemaVersion() = %d, %v, want %d, nil", v, err, store.LatestVersion())
	}
	applied, err := e.s.Migrate(e.ctx)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate() on a migrated store = %v, %v, want [], nil", applied, err)
	}
	if d := e.s.Dialect(); d != store.SQLite && d != store.Postgres {
		t.Errorf("Dialect() = %q, want %q or %q", d, store.SQLite, store.Postgres)
	}
	if n := e.auditCount(t); n != 0 {
		t.Errorf("VerifyAudit() on an empty store = %d, want 0", n)
	}
	if n, err := e.s.CountUsers(e.ctx); err != nil || n != 0 {
		t.Errorf("CountUsers() on an empty store = %d, %v, want 0, nil", n, err)
	}
}

// ---- incidents ----

func testIncidentCreate(t *testing.T, e *env) {
	in, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Ransom note on file server", Summary: "Found by the night shift."})
	if err != nil {
		t.Fatalf("CreateIncident() = %v, want no error", err)
	}
	now := e.clk.Now()
	want := incident.Incident{
		ID: in.ID, Ref: "INC-2026-0001", Title: "Ransom note on file server", Summary: "Found by the night shift.",
		Severity: incident.SeverityMedium, Phase: incident.PhaseDetected, TLP: incident.TLPAmber,
		CreatedBy: "alice", CreatedAt: now, UpdatedAt: now, Anchors: map[incident.Anchor]incident.AnchorSetting{},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("CreateIncident() = %+v, want %+v (is the store on ClockFor(t)?)", in, want)
	}
	got, err := e.s.GetIncident(e.ctx, in.Ref)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetIncident(%s) = %+v, %v, want %+v, nil", in.Ref, got, err, want)
	}

	evs := e.timeline(t, in.Ref)
	if len(evs) != 1 {
		t.Fatalf("ListEvents(%s) after create = %d events, want 1 (the opening note)", in.Ref, len(evs))
	}
	if ev := evs[0]; ev.Kind != incident.KindNote || ev.Source != incident.SourceSystem || ev.Actor != "alice" ||
		!strings.Contains(ev.Text, in.Title) || !ev.RecordedAt.Equal(now) {
		t.Errorf("opening event = %+v, want a system note by alice naming the title, recorded at %v", ev, now)
	}

	explicit, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Leak", Severity: incident.SeverityCritical,
		Phase: incident.PhaseAnalysing, TLP: incident.TLPRed})
	if err != nil {
		t.Fatalf("CreateIncident(explicit enums) = %v, want no error", err)
	}
	if explicit.Severity != incident.SeverityCritical || explicit.Phase != incident.PhaseAnalysing || explicit.TLP != incident.TLPRed {
		t.Errorf("CreateIncident(explicit enums) = %s/%s/%s, want critical/analysing/red", explicit.Severity, explicit.Phase, explicit.TLP)
	}

	for _, ref := range []string{"INC-2026-9999", "INC-1999-0001", "nonsense", ""} {
		_, err := e.s.GetIncident(e.ctx, ref)
		wantIs(t, fmt.Sprintf("GetIncident(%q)", ref), err, store.ErrNotFound)
	}

	bad := []struct {
		name string
		in   incident.Incident
	}{
		{"no title", incident.Incident{}},
		{"blank title", incident.Incident{Title: "   "}},
		{"long title", incident.Incident{Title: strings.Repeat("x", incident.MaxTitle+1)}},
		{"bad severity", incident.Incident{Title: "x", Severity: "apocalyptic"}},
		{"bad phase", incident.Incident{Title: "x", Phase: "finished"}},
		{"bad tlp", incident.Incident{Title: "x", TLP: "white"}},
	}
	for _, tc := range bad {
		_, err := e.s.CreateIncident(e.ctx, "alice", tc.in)
		wantValidation(t, "CreateIncident("+tc.name+")", err)
	}
}

func testIncidentRefs(t *testing.T, e *env) {
	create := func(want string) {
		t.Helper()
		in, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Incident " + want})
		if err != nil || in.Ref != want {
			t.Errorf("CreateIncident() at %v = %q, %v, want %q, nil", e.clk.Now(), in.Ref, err, want)
		}
	}
	for _, want := range []string{"INC-2026-0001", "INC-2026-0002", "INC-2026-0003"} {
		create(want)
		e.clk.Advance(time.Hour)
	}
	e.clk.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	create("INC-2027-0001")
	create("INC-2027-0002")
	// The year is the UTC year: 00:30 on 1 January 2028 in UTC+1 is still 2027.
	e.clk.Set(time.Date(2028, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)))
	create("INC-2027-0003")
	e.clk.Set(time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC))
	create("INC-2026-0004")
}

func testIncidentFailedCreate(t *testing.T, e *env) {
	at := Start.Add(-time.Hour)
	bad := []struct {
		name    string
		anchors map[incident.Anchor]incident.AnchorSetting
	}{
		{"unknown anchor", map[incident.Anchor]incident.AnchorSetting{"made_up_at": {At: at, Reason: "because"}}},
		{"anchor without reason", map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: at}}},
		{"anchor without time", map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {Reason: "SOC call"}}},
	}
	for _, tc := range bad {
		_, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "x", Anchors: tc.anchors})
		wantValidation(t, "CreateIncident("+tc.name+")", err)
	}
	in := e.incident(t, "after the failures")
	if in.Ref != "INC-2026-0001" {
		t.Errorf("CreateIncident() after failed creates = %q, want INC-2026-0001 (a failed create must not use up a number)", in.Ref)
	}
	list, err := e.s.ListIncidents(e.ctx, store.IncidentFilter{})
	if err != nil || len(list) != 1 {
		t.Errorf("ListIncidents() = %d incidents, %v, want 1, nil", len(list), err)
	}
	if n := e.auditCount(t); n != 1 {
		t.Errorf("VerifyAudit() = %d entries, want 1", n)
	}
}

func testIncidentAnchors(t *testing.T, e *env) {
	berlin := time.FixedZone("CEST", 2*3600)
	aware := time.Date(2026, 3, 13, 23, 15, 0, 123456789, berlin)
	first := time.Date(2026, 3, 12, 4, 0, 0, 0, time.UTC)
	in, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Phishing wave", Anchors: map[incident.Anchor]incident.AnchorSetting{
		incident.AnchorAware:       {At: aware, Reason: "SOC escalated to the duty manager", SetBy: "mallory", SetAt: Start.Add(-48 * time.Hour)},
		incident.AnchorFirstSignal: {At: first, Reason: "first EDR alert"},
	}})
	if err != nil {
		t.Fatalf("CreateIncident(with anchors) = %v, want no error", err)
	}
	got, err := e.s.GetIncident(e.ctx, in.Ref)
	if err != nil {
		t.Fatalf("GetIncident(%s) = %v, want no error", in.Ref, err)
	}
	want := map[incident.Anchor]incident.AnchorSetting{
		incident.AnchorAware:       {At: aware.UTC(), SetBy: "alice", SetAt: e.clk.Now(), Reason: "SOC escalated to the duty manager"},
		incident.AnchorFirstSignal: {At: first, SetBy: "alice", SetAt: e.clk.Now(), Reason: "first EDR alert"},
	}
	if !reflect.DeepEqual(got.Anchors, want) {
		t.Errorf("GetIncident(%s).Anchors = %+v, want %+v (set by the actor, at the store's clock, in UTC)", in.Ref, got.Anchors, want)
	}
	for a, w := range want {
		r := in.Anchors[a]
		if !r.At.Equal(w.At) || r.SetBy != w.SetBy || !r.SetAt.Equal(w.SetAt) || r.Reason != w.Reason {
			t.Errorf("CreateIncident().Anchors[%s] = %+v, want %+v", a, r, w)
		}
	}
}

func testIncidentList(t *testing.T, e *env) {
	var refs []string
	var ids []int64
	for i := range 5 {
		in := e.incident(t, fmt.Sprintf("incident %d", i+1))
		refs, ids = append(refs, in.Ref), append(ids, in.ID)
	}
	for _, i := range []int{1, 3} {
		if _, err := e.s.UpdateIncident(e.ctx, "bob", refs[i], store.IncidentPatch{Phase: ptr(incident.PhaseContained), Reason: "hosts isolated"}); err != nil {
			t.Fatalf("UpdateIncident(%s) = %v, want no error", refs[i], err)
		}
	}
	tests := []struct {
		name string
		f    store.IncidentFilter
		want []string
	}{
		{"all", store.IncidentFilter{}, refs},
		{"page", store.IncidentFilter{Page: store.Page{After: ids[0], Limit: 2}}, refs[1:3]},
		{"past the end", store.IncidentFilter{Page: store.Page{After: ids[4]}}, nil},
		{"phase", store.IncidentFilter{Phase: incident.PhaseContained}, []string{refs[1], refs[3]}},
		{"phase and page", store.IncidentFilter{Phase: incident.PhaseContained, Page: store.Page{After: ids[1]}}, []string{refs[3]}},
		{"refs", store.IncidentFilter{Refs: []string{refs[4], refs[0], "INC-2026-9999"}}, []string{refs[0], refs[4]}},
		{"refs and phase", store.IncidentFilter{Refs: []string{refs[0], refs[1]}, Phase: incident.PhaseContained}, []string{refs[1]}},
		{"empty refs", store.IncidentFilter{Refs: []string{}}, nil},
	}
	for _, tc := range tests {
		list, err := e.s.ListIncidents(e.ctx, tc.f)
		var got []string
		for _, in := range list {
			got = append(got, in.Ref)
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ListIncidents(%s %+v) = %v, %v, want %v, nil", tc.name, tc.f, got, err, tc.want)
		}
	}
	list, err := e.s.ListIncidents(e.ctx, store.IncidentFilter{Phase: incident.PhaseContained})
	if err == nil && len(list) > 0 && list[0].Phase != incident.PhaseContained {
		t.Errorf("ListIncidents(phase contained)[0].Phase = %s, want contained", list[0].Phase)
	}
}

func testIncidentUpdate(t *testing.T, e *env) {
	anchorAt := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		patch store.IncidentPatch
		want  []incident.EventKind // new timeline events, in order
		texts []string             // each new event's text contains this
	}{
		{"title and summary", store.IncidentPatch{Title: ptr("Renamed"), Summary: ptr("More detail")}, nil, nil},
		{"tlp", store.IncidentPatch{TLP: ptr(incident.TLPRed), Reason: "names of victims in the record"},
			[]incident.EventKind{incident.KindDecision}, []string{"TLP changed from amber to red"}},
		{"phase", store.IncidentPatch{Phase: ptr(incident.PhaseAnalysing), Reason: "triage started"},
			[]incident.EventKind{incident.KindPhaseChange}, []string{"triage started"}},
		{"severity", store.IncidentPatch{Severity: ptr(incident.SeverityCritical), Reason: "payroll data involved"},
			[]incident.EventKind{incident.KindDecision}, []string{"payroll data involved"}},
		{"anchor", store.IncidentPatch{Anchors: map[incident.Anchor]incident.AnchorSetting{
			incident.AnchorPersonalDataBreach: {At: anchorAt, Reason: "HR export found on the attacker's server"}}},
			[]incident.EventKind{incident.KindDecision}, []string{"HR export found on the attacker's server"}},
		{"phase, severity and two anchors", store.IncidentPatch{
			Phase: ptr(incident.PhaseContained), Severity: ptr(incident.SeverityHigh), Reason: "all hosts isolated",
			Anchors: map[incident.Anchor]incident.AnchorSetting{
				incident.AnchorAware:           {At: anchorAt, Reason: "duty manager informed"},
				incident.AnchorClassifiedMajor: {At: anchorAt.Add(time.Hour), Reason: "DORA criteria met"},
			}},
			[]incident.EventKind{incident.KindPhaseChange, incident.KindDecision, incident.KindDecision, incident.KindDecision},
			[]string{"all hosts isolated", "all hosts isolated", "duty manager informed", "DORA criteria met"}},
		{"same phase is no change", store.IncidentPatch{Phase: ptr(incident.PhaseDetected), Reason: "still"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := e.incident(t, "Update "+tc.name)
			before := e.timeline(t, in.Ref)
			e.clk.Advance(time.Minute)
			now := e.clk.Now()
			got, err := e.s.UpdateIncident(e.ctx, "bob", in.Ref, tc.patch)
			if err != nil {
				t.Fatalf("UpdateIncident(%s, %s) = %v, want no error", in.Ref, tc.name, err)
			}
			if !got.UpdatedAt.Equal(now) {
				t.Errorf("UpdateIncident().UpdatedAt = %v, want %v", got.UpdatedAt, now)
			}
			stored, err := e.s.GetIncident(e.ctx, in.Ref)
			if err != nil {
				t.Fatalf("GetIncident(%s) = %v", in.Ref, err)
			}
			want := in
			set := func(dst *string, v *string) {
				if v != nil {
					*dst = *v
				}
			}
			set(&want.Title, tc.patch.Title)
			set(&want.Summary, tc.patch.Summary)
			if p := tc.patch.Severity; p != nil {
				want.Severity = *p
			}
			if p := tc.patch.Phase; p != nil {
				want.Phase = *p
			}
			if p := tc.patch.TLP; p != nil {
				want.TLP = *p
			}
			want.UpdatedAt = now
			want.Anchors = map[incident.Anchor]incident.AnchorSetting{}
			for a, s := range tc.patch.Anchors {
				want.Anchors[a] = incident.AnchorSetting{At: s.At.UTC(), SetBy: "bob", SetAt: now, Reason: s.Reason}
			}
			if !reflect.DeepEqual(stored, want) {
				t.Errorf("GetIncident(%s) after update = %+v, want %+v", in.Ref, stored, want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("UpdateIncident(%s) = %+v, want %+v", in.Ref, got, want)
			}

			after := e.timeline(t, in.Ref)
			added := after[len(before):]
			if !slices.Equal(kinds(added), append([]incident.EventKind{}, tc.want...)) {
				t.Fatalf("UpdateIncident(%s) added events %v, want %v", tc.name, kinds(added), tc.want)
			}
			for i, ev := range added {
				if ev.Actor != "bob" || !ev.OccurredAt.Equal(now) || !strings.Contains(ev.Text, tc.texts[i]) {
					t.Errorf("event %d = %+v, want by bob at %v, text containing %q", i, ev, now, tc.texts[i])
				}
			}
		})
	}
}

func testIncidentUpdateRejects(t *testing.T, e *env) {
	in := e.incident(t, "Rejects")
	at := Start.Add(-time.Hour)
	tests := []struct {
		name  string
		patch store.IncidentPatch
	}{
		{"unknown anchor", store.IncidentPatch{Anchors: map[incident.Anchor]incident.AnchorSetting{"made_up_at": {At: at, Reason: "because"}}}},
		{"phase with unknown anchor", store.IncidentPatch{Phase: ptr(incident.PhaseClosed), Reason: "done",
			Anchors: map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: at, Reason: "ok"}, "made_up_at": {At: at, Reason: "because"}}}},
		{"anchor without reason", store.IncidentPatch{Anchors: map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: at}}}},
		{"anchor without time", store.IncidentPatch{Anchors: map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {Reason: "why"}}}},
		{"bad phase", store.IncidentPatch{Phase: ptr(incident.Phase("finished"))}},
		{"bad severity", store.IncidentPatch{Severity: ptr(incident.Severity("apocalyptic"))}},
		{"bad tlp", store.IncidentPatch{TLP: ptr(incident.TLP("white"))}},
		{"empty title", store.IncidentPatch{Title: ptr("")}},
	}
	before, err := e.s.GetIncident(e.ctx, in.Ref)
	if err != nil {
		t.Fatal(err)
	}
	events := len(e.timeline(t, in.Ref))
	entries := e.auditCount(t)
	for _, tc := range tests {
		e.clk.Advance(time.Second)
		_, err := e.s.UpdateIncident(e.ctx, "bob", in.Ref, tc.patch)
		wantValidation(t, "UpdateIncident("+tc.name+")", err)
	}
	after, err := e.s.GetIncident(e.ctx, in.Ref)
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("GetIncident(%s) after rejected updates = %+v, %v, want %+v (unchanged)", in.Ref, after, err, before)
	}
	if n := len(e.timeline(t, in.Ref)); n != events {
		t.Errorf("timeline after rejected updates has %d events, want %d", n, events)
	}
	if n := e.auditCount(t); n != entries {
		t.Errorf("VerifyAudit() after rejected updates = %d, want %d", n, entries)
	}
	_, err = e.s.UpdateIncident(e.ctx, "bob", "INC-2026-9999", store.IncidentPatch{Title: ptr("x")})
	wantIs(t, "UpdateIncident(INC-2026-9999)", err, store.ErrNotFound)
}

// ---- events ----

func testEventDefaults(t *testing.T, e *env) {
	in := e.incident(t, "Events")
	e.clk.Advance(time.Minute)
	now := e.clk.Now()
	ev, err := e.s.AppendEvent(e.ctx, "bob", in.Ref, incident.Event{Text: "Called the hosting provider", Actor: "ignored"})
	if err != nil {
		t.Fatalf("AppendEvent() = %v, want no error", err)
	}
	want := incident.Event{ID: ev.ID, OccurredAt: now, RecordedAt: now, Kind: incident.KindNote, Actor: "bob", Text: "Called the hosting provider",
		Source: incident.SourcePerson, Visibility: incident.VisibilityInternal, Links: []incident.Link{}}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("AppendEvent(defaults) = %+v, want %+v", ev, want)
	}

	occurred := time.Date(2026, 3, 13, 22, 0, 0, 5, time.FixedZone("EST", -5*3600))
	asset := e.asset(t, in.Ref, "web-01")
	full := incident.Event{OccurredAt: occurred, Kind: incident.KindCommunication, Text: "Status page updated",
		Source: incident.SourceMonitor, Visibility: incident.VisibilityPublic, Links: []incident.Link{{Type: "asset", ID: asset.ID}, {Type: "event", ID: ev.ID}}}
	ev2, err := e.s.AppendEvent(e.ctx, "carol", in.Ref, full)
	if err != nil {
		t.Fatalf("AppendEvent(full) = %v, want no error", err)
	}
	want2 := full
	want2.ID, want2.OccurredAt, want2.RecordedAt, want2.Actor = ev2.ID, occurred.UTC(), now, "carol"
	if !reflect.DeepEqual(ev2, want2) {
		t.Errorf("AppendEvent(full) = %+v, want %+v", ev2, want2)
	}
	if ev2.ID <= ev.ID {
		t.Errorf("AppendEvent() ids %d then %d, want increasing", ev.ID, ev2.ID)
	}

	evs := e.timeline(t, in.Ref)
	if len(evs) != 3 || !reflect.DeepEqual(evs[1], want) || !reflect.DeepEqual(evs[2], want2) {
		t.Errorf("ListEvents(%s) = %+v, want [opening, %+v, %+v]", in.Ref, evs, want, want2)
	}
	_, err = e.s.AppendEvent(e.ctx, "bob", "INC-2026-9999", incident.Event{Text: "x"})
	wantIs(t, "AppendEvent(INC-2026-9999)", err, store.ErrNotFound)
	_, err = e.s.ListEvents(e.ctx, "INC-2026-9999", store.Page{})
	wantIs(t, "ListEvents(INC-2026-9999)", err, store.ErrNotFound)
}

func testEventInvalid(t *testing.T, e *env) {
	in := e.incident(t, "Invalid events")
	tests := []struct {
		name string
		ev   incident.Event
	}{
		{"no text", incident.Event{}},
		{"blank text", incident.Event{Text: " \n"}},
		{"text too long", incident.Event{Text: strings.Repeat("x", incident.MaxText+1)}},
		{"NUL in text", incident.Event{Text: "a\x00b"}},
		{"bad kind", incident.Event{Text: "x", Kind: "rumour"}},
		{"bad source", incident.Event{Text: "x", Source: "oracle"}},
		{"bad visibility", incident.Event{Text: "x", Visibility: "secret"}},
		{"bad link type", incident.Event{Text: "x", Links: []incident.Link{{Type: "planet", ID: 1}}}},
		{"zero link id", incident.Event{Text: "x", Links: []incident.Link{{Type: "asset"}}}},
	}
	for _, tc := range tests {
		_, err := e.s.AppendEvent(e.ctx, "bob", in.Ref, tc.ev)
		wantValidation(t, "AppendEvent("+tc.name+")", err)
	}
	if n := len(e.timeline(t, in.Ref)); n != 1 {
		t.Errorf("timeline after invalid events has %d events, want 1", n)
	}
}

func testEventCorrects(t *testing.T, e *env) {
	a := e.incident(t, "A")
	b := e.incident(t, "B")
	orig, err := e.s.AppendEvent(e.ctx, "bob", a.Ref, incident.Event{Text: "Isolated web-01 at 09:00"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.s.AppendEvent(e.ctx, "bob", b.Ref, incident.Event{Text: "on B"})
	if err != nil {
		t.Fatal(err)
	}
	fix, err := e.s.AppendEvent(e.ctx, "bob", a.Ref, incident.Event{Text: "Correction: isolated at 09:20", Corrects: orig.ID})
	if err != nil || fix.Corrects != orig.ID {
		t.Fatalf("AppendEvent(corrects %d) = %+v, %v, want Corrects %d, nil", orig.ID, fix, err, orig.ID)
	}
	evs := e.timeline(t, a.Ref)
	if last := evs[len(evs)-1]; last.ID != fix.ID || last.Corrects != orig.ID {
		t.Errorf("ListEvents(%s) last = %+v, want the correction of %d", a.Ref, last, orig.ID)
	}
	if evs[1].Text != "Isolated web-01 at 09:00" {
		t.Errorf("corrected event text = %q, want it unchanged (append-only)", evs[1].Text)
	}
	for _, id := range []int64{other.ID, 999999, -1} {
		_, err := e.s.AppendEvent(e.ctx, "bob", a.Ref, incident.Event{Text: "bad correction", Corrects: id})
		wantValidation(t, fmt.Sprintf("AppendEvent(%s, corrects %d)", a.Ref, id), err)
	}
	if n := len(e.timeline(t, a.Ref)); n != len(evs) {
		t.Errorf("timeline after bad corrections has %d events, want %d", n, len(evs))
	}
}

func testEventPagination(t *testing.T, e *env) {
	in := e.incident(t, "Paging")
	other := e.incident(t, "Interleaved")
	for i := range 23 {
		for _, ref := range []string{in.Ref, other.Ref} {
			if _, err := e.s.AppendEvent(e.ctx, "bob", ref, incident.Event{Text: fmt.Sprintf("event %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := e.timeline(t, in.Ref)
	if len(all) != 24 {
		t.Fatalf("ListEvents(%s, limit 1000) = %d events, want 24", in.Ref, len(all))
	}
	otherIDs := map[int64]bool{}
	for _, ev := range e.timeline(t, other.Ref) {
		otherIDs[ev.ID] = true
	}
	for i, ev := range all {
		if i > 0 && ev.ID <= all[i-1].ID {
			t.Errorf("ListEvents ids not increasing at %d: %d after %d", i, ev.ID, all[i-1].ID)
		}
		if otherIDs[ev.ID] {
			t.Errorf("ListEvents(%s) holds event %d of %s", in.Ref, ev.ID, other.Ref)
		}
	}
	for _, limit := range []int{1, 2, 5, 7, 23, 24, 25, 0, 5000} {
		got := collect(t, limit, func(ev incident.Event) int64 { return ev.ID }, func(p store.Page) ([]incident.Event, error) {
			return e.s.ListEvents(e.ctx, in.Ref, p)
		})
		if !reflect.DeepEqual(got, all) {
			t.Errorf("ListEvents paged by %d = %d events, want all %d exactly once, in order", limit, len(got), len(all))
		}
	}
}

// ---- tasks ----

func testTasks(t *testing.T, e *env) {
	in := e.incident(t, "Tasks")
	other := e.incident(t, "Other")
	now := e.clk.Now()
	task, err := e.s.CreateTask(e.ctx, "alice", in.Ref, incident.Task{Title: "Rotate domain admin passwords", Assignee: "bob"})
	if err != nil {
		t.Fatalf("CreateTask() = %v, want no error", err)
	}
	want := incident.Task{ID: task.ID, Title: "Rotate domain admin passwords", State: incident.TaskOpen, Assignee: "bob",
		CreatedBy: "alice", CreatedAt: now, UpdatedAt: now}
	if !reflect.DeepEqual(task, want) {
		t.Errorf("CreateTask() = %+v, want %+v", task, want)
	}
	due := time.Date(2026, 3, 15, 17, 0, 0, 0, time.UTC)
	task2, err := e.s.CreateTask(e.ctx, "alice", in.Ref, incident.Task{Title: "Notify regulator", State: incident.TaskBlocked, Due: &due})
	if err != nil || task2.State != incident.TaskBlocked || task2.Due == nil || !task2.Due.Equal(due) {
		t.Errorf("CreateTask(blocked, due) = %+v, %v, want state blocked, due %v", task2, err, due)
	}

	e.clk.Advance(time.Hour)
	later := e.clk.Now()
	newDue := due.Add(24 * time.Hour)
	upd, err := e.s.UpdateTask(e.ctx, "bob", in.Ref, task.ID, store.TaskPatch{State: ptr(incident.TaskInProgress), Assignee: ptr("carol"), Due: &newDue})
	if err != nil {
		t.Fatalf("UpdateTask() = %v, want no error", err)
	}
	want.State, want.Assignee, want.Due, want.UpdatedAt = incident.TaskInProgress, "carol", &newDue, later
	if !reflect.DeepEqual(upd, want) {
		t.Errorf("UpdateTask() = %+v, want %+v", upd, want)
	}
	list, err := e.s.ListTasks(e.ctx, in.Ref, store.Page{})
	if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0], want) || list[1].ID != task2.ID {
		t.Errorf("ListTasks(%s) = %+v, %v, want [%+v, task %d]", in.Ref, list, err, want, task2.ID)
	}
	page, err := e.s.ListTasks(e.ctx, in.Ref, store.Page{After: task.ID})
	if err != nil || len(page) != 1 || page[0].ID != task2.ID {
		t.Errorf("ListTasks(after %d) = %+v, %v, want [task %d]", task.ID, page, err, task2.ID)
	}
	if l, err := e.s.ListTasks(e.ctx, other.Ref, store.Page{}); err != nil || len(l) != 0 {
		t.Errorf("ListTasks(%s) = %+v, %v, want [], nil", other.Ref, l, err)
	}

	_, err = e.s.UpdateTask(e.ctx, "bob", in.Ref, 999999, store.TaskPatch{Title: ptr("x")})
	wantIs(t, "UpdateTask(unknown task)", err, store.ErrNotFound)
	_, err = e.s.UpdateTask(e.ctx, "bob", other.Ref, task.ID, store.TaskPatch{Title: ptr("x")})
	wantIs(t, "UpdateTask(task of another incident)", err, store.ErrNotFound)
	_, err = e.s.UpdateTask(e.ctx, "bob", in.Ref, task.ID, store.TaskPatch{State: ptr(incident.TaskState("someday"))})
	wantValidation(t, "UpdateTask(bad state)", err)
	_, err = e.s.UpdateTask(e.ctx, "bob", in.Ref, task.ID, store.TaskPatch{Title: ptr(" ")})
	wantValidation(t, "UpdateTask(blank title)", err)
	_, err = e.s.CreateTask(e.ctx, "alice", in.Ref, incident.Task{})
	wantValidation(t, "CreateTask(no title)", err)
	_, err = e.s.CreateTask(e.ctx, "alice", in.Ref, incident.Task{Title: "x", State: "someday"})
	wantValidation(t, "CreateTask(bad state)", err)
	_, err = e.s.CreateTask(e.ctx, "alice", "INC-2026-9999", incident.Task{Title: "x"})
	wantIs(t, "CreateTask(INC-2026-9999)", err, store.ErrNotFound)
	_, err = e.s.ListTasks(e.ctx, "INC-2026-9999", store.Page{})
	wantIs(t, "ListTasks(INC-2026-9999)", err, store.ErrNotFound)
	if list, _ := e.s.ListTasks(e.ctx, in.Ref, store.Page{}); len(list) != 2 || !reflect.DeepEqual(list[0], want) {
		t.Errorf("ListTasks(%s) after rejected changes = %+v, want [%+v, task %d]", in.Ref, list, want, task2.ID)
	}
}

// ---- assets ----

func testAssetCreate(t *testing.T, e *env) {
	in := e.incident(t, "Assets")
	other := e.incident(t, "Other")
	a, err := e.s.CreateAsset(e.ctx, "alice", in.Ref, incident.Asset{Name: "fs-01", Region: "eu-west", InternetFacing: true, Notes: "file server"})
	if err != nil {
		t.Fatalf("CreateAsset() = %v, want no error", err)
	}
	want := incident.Asset{ID: a.ID, Name: "fs-01", Kind: incident.AssetHost, Region: "eu-west", InternetFacing: true,
		Criticality: incident.CriticalityMedium, Compromise: incident.CompromiseUnknown, Operational: incident.OpOnline, Notes: "file server",
		UpdatedAt: e.clk.Now()}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("CreateAsset() = %+v, want %+v", a, want)
	}
	b, err := e.s.CreateAsset(e.ctx, "alice", in.Ref, incident.Asset{Name: "crm", Kind: incident.AssetApplication, Criticality: incident.CriticalityCritical,
		Compromise: incident.CompromiseSuspected, Operational: incident.OpOffline})
	if err != nil {
		t.Fatalf("CreateAsset(explicit enums) = %v, want no error", err)
	}
	_, err = e.s.CreateAsset(e.ctx, "alice", in.Ref, incident.Asset{Name: "fs-01"})
	wantIs(t, "CreateAsset(duplicate name)", err, store.ErrConflict)
	if _, err := e.s.CreateAsset(e.ctx, "alice", other.Ref, incident.Asset{Name: "fs-01"}); err != nil {
		t.Errorf("CreateAsset(same name, another incident) = %v, want no error", err)
	}
	bad := []struct {
		name string
		a    incident.Asset
	}{
		{"no name", incident.Asset{}},
		{"bad kind", incident.Asset{Name: "x", Kind: "spaceship"}},
		{"bad criticality", incident.Asset{Name: "x", Criticality: "extreme"}},
		{"bad compromise", incident.Asset{Name: "x", Compromise: "pwned"}},
		{"bad operational", incident.Asset{Name: "x", Operational: "napping"}},
	}
	for _, tc := range bad {
		_, err := e.s.CreateAsset(e.ctx, "alice", in.Ref, tc.a)
		wantValidation(t, "CreateAsset("+tc.name+")", err)
	}
	_, err = e.s.CreateAsset(e.ctx, "alice", "INC-2026-9999", incident.Asset{Name: "x"})
	wantIs(t, "CreateAsset(INC-2026-9999)", err, store.ErrNotFound)

	list, err := e.s.ListAssets(e.ctx, in.Ref, store.Page{})
	if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0], want) || !reflect.DeepEqual(list[1], b) {
		t.Errorf("ListAssets(%s) = %+v, %v, want [%+v %+v]", in.Ref, list, err, want, b)
	}
	if page, err := e.s.ListAssets(e.ctx, in.Ref, store.Page{After: a.ID, Limit: 1}); err != nil || len(page) != 1 || page[0].ID != b.ID {
		t.Errorf("ListAssets(after %d, limit 1) = %+v, %v, want [asset %d]", a.ID, page, err, b.ID)
	}
	_, err = e.s.ListAssets(e.ctx, "INC-2026-9999", store.Page{})
	wantIs(t, "ListAssets(INC-2026-9999)", err, store.ErrNotFound)
}

func testAssetUpdate(t *testing.T, e *env) {
	in := e.incident(t, "Asset updates")
	other := e.incident(t, "Other")
	a := e.asset(t, in.Ref, "dc-01")
	e.clk.Advance(time.Minute)

	upd, err := e.s.UpdateAsset(e.ctx, "bob", in.Ref, a.ID, store.AssetPatch{Region: ptr("eu-central"), Criticality: ptr(incident.CriticalityCritical)})
	if err != nil || upd.Region != "eu-central" || upd.Criticality != incident.CriticalityCritical || !upd.UpdatedAt.Equal(e.clk.Now()) {
		t.Errorf("UpdateAsset(region, criticality) = %+v, %v, want region eu-central, critical, updated now", upd, err)
	}
	events := len(e.timeline(t, in.Ref))
	if events != 1 {
		t.Errorf("timeline after a plain asset update has %d events, want 1", events)
	}

	_, err = e.s.UpdateAsset(e.ctx, "bob", in.Ref, a.ID, store.AssetPatch{Compromise: ptr(incident.CompromiseCompromised)})
	wantValidation(t, "UpdateAsset(compromise without reason)", err)
	_, err = e.s.UpdateAsset(e.ctx, "bob", in.Ref, a.ID, store.AssetPatch{Compromise: ptr(incident.Compromise("pwned")), Reason: "x"})
	wantValidation(t, "UpdateAsset(bad compromise)", err)

	upd, err = e.s.UpdateAsset(e.ctx, "bob", in.Ref, a.ID, store.AssetPatch{Compromise: ptr(incident.CompromiseCompromised), Reason: "mimikatz found in memory"})
	if err != nil || upd.Compromise != incident.CompromiseCompromised {
		t.Fatalf("UpdateAsset(compromised) = %+v, %v, want compromised", upd, err)
	}
	evs := e.timeline(t, in.Ref)
	if len(evs) != events+1 {
		t.Fatalf("timeline after a compromise change has %d events, want %d", len(evs), events+1)
	}
	if ev := evs[len(evs)-1]; ev.Kind != incident.KindFinding || ev.Actor != "bob" || !strings.Contains(ev.Text, "mimikatz found in memory") || !hasLink(ev, "asset", a.ID) {
		t.Errorf("compromise event = %+v, want a finding by bob with the reason, linked to asset %d", ev, a.ID)
	}
	list, _ := e.s.ListAssets(e.ctx, in.Ref, store.Page{})
	if len(list) != 1 || !reflect.DeepEqual(list[0], upd) {
		t.Errorf("ListAssets(%s) = %+v, want [%+v]", in.Ref, list, upd)
	}

	_, err = e.s.UpdateAsset(e.ctx, "bob", in.Ref, 999999, store.AssetPatch{Region: ptr("x")})
	wantIs(t, "UpdateAsset(unknown asset)", err, store.ErrNotFound)
	_, err = e.s.UpdateAsset(e.ctx, "bob", other.Ref, a.ID, store.AssetPatch{Region: ptr("x")})
	wantIs(t, "UpdateAsset(asset of another incident)", err, store.ErrNotFound)
}

func testAssetOperational(t *testing.T, e *env) {
	in := e.incident(t, "Containment")
	other := e.incident(t, "Other")
	a := e.asset(t, in.Ref, "web-01")
	bad := []struct {
		name   string
		id     int64
		ref    string
		state  incident.Operational
		reason string
		want   error // nil: a validation error
	}{
		{"no reason", a.ID, in.Ref, incident.OpIsolated, "", nil},
		{"blank reason", a.ID, in.Ref, incident.OpIsolated, "  ", nil},
		{"bad state", a.ID, in.Ref, "napping", "x", nil},
		{"no-op", a.ID, in.Ref, incident.OpOnline, "already online", nil},
		{"unknown asset", 999999, in.Ref, incident.OpIsolated, "x", store.ErrNotFound},
		{"asset of another incident", a.ID, other.Ref, incident.OpIsolated, "x", store.ErrNotFound},
		{"unknown incident", a.ID, "INC-2026-9999", incident.OpIsolated, "x", store.ErrNotFound},
	}
	entries := e.auditCount(t)
	for _, tc := range bad {
		_, err := e.s.SetOperational(e.ctx, "bob", tc.ref, tc.id, tc.state, tc.reason)
		call := fmt.Sprintf("SetOperational(%s)", tc.name)
		if tc.want == nil {
			wantValidation(t, call, err)
		} else {
			wantIs(t, call, err, tc.want)
		}
	}
	if n := len(e.timeline(t, in.Ref)); n != 1 {
		t.Errorf("timeline after rejected SetOperational calls has %d events, want 1", n)
	}
	if n := e.auditCount(t); n != entries {
		t.Errorf("VerifyAudit() after rejected SetOperational calls = %d, want %d", n, entries)
	}

	steps := []struct {
		state  incident.Operational
		reason string
	}{
		{incident.OpIsolated, "beaconing to a known C2"},
		{incident.OpRestoring, "reimaged from golden image"},
		{incident.OpOnline, "clean scan"},
	}
	prev := incident.OpOnline
	for _, st := range steps {
		e.clk.Advance(time.Minute)
		got, err := e.s.SetOperational(e.ctx, "bob", in.Ref, a.ID, st.state, st.reason)
		if err != nil || got.Operational != st.state || !got.UpdatedAt.Equal(e.clk.Now()) {
			t.Fatalf("SetOperational(%s) = %+v, %v, want %s at %v", st.state, got, err, st.state, e.clk.Now())
		}
		evs := e.timeline(t, in.Ref)
		ev := evs[len(evs)-1]
		if ev.Kind != incident.KindAction || ev.Actor != "bob" || !hasLink(ev, "asset", a.ID) ||
			!strings.Contains(ev.Text, st.reason) || !strings.Contains(ev.Text, string(prev)) || !strings.Contains(ev.Text, string(st.state)) {
			t.Errorf("SetOperational(%s) event = %+v, want an action by bob naming %s, %s and the reason, linked to the asset", st.state, ev, prev, st.state)
		}
		list, _ := e.s.ListAssets(e.ctx, in.Ref, store.Page{})
		if len(list) != 1 || list[0].Operational != st.state {
			t.Errorf("ListAssets() after SetOperational(%s) = %+v, want operational %s", st.state, list, st.state)
		}
		prev = st.state
	}
	if n := len(e.timeline(t, in.Ref)); n != 1+len(steps) {
		t.Errorf("timeline has %d events, want %d", n, 1+len(steps))
	}
}

// ---- services ----

func testServiceDeps(t *testing.T, e *env) {
	in := e.incident(t, "Services")
	other := e.incident(t, "Other")
	db := e.asset(t, in.Ref, "db-01")
	web := e.asset(t, in.Ref, "web-01")
	foreign := e.asset(t, other.Ref, "db-01")
	foreignSvc, err := e.s.CreateService(e.ctx, "alice", other.Ref, incident.Service{Name: "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}

	portal, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Customer portal", Description: "my.example.com",
		DependsOn: []incident.Dependency{{Type: "asset", ID: db.ID}, {Type: "asset", ID: web.ID, Group: "web"}}})
	if err != nil {
		t.Fatalf("CreateService(portal) = %v, want no error", err)
	}
	wantPortal := incident.Service{ID: portal.ID, Name: "Customer portal", Description: "my.example.com", Status: incident.StatusOperational,
		DependsOn: []incident.Dependency{{Type: "asset", ID: db.ID}, {Type: "asset", ID: web.ID, Group: "web"}}, UpdatedAt: e.clk.Now()}
	if !reflect.DeepEqual(portal, wantPortal) {
		t.Errorf("CreateService(portal) = %+v, want %+v", portal, wantPortal)
	}
	api, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Voice API", Status: incident.StatusDegraded,
		DependsOn: []incident.Dependency{{Type: "service", ID: portal.ID}}})
	if err != nil {
		t.Fatalf("CreateService(api) = %v, want no error", err)
	}
	empty, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Status page"})
	if err != nil || empty.DependsOn == nil || len(empty.DependsOn) != 0 {
		t.Errorf("CreateService(no deps) = %+v, %v, want DependsOn [] (not nil)", empty, err)
	}

	bad := []struct {
		name string
		deps []incident.Dependency
	}{
		{"unknown asset", []incident.Dependency{{Type: "asset", ID: 999999}}},
		{"asset of another incident", []incident.Dependency{{Type: "asset", ID: foreign.ID}}},
		{"unknown service", []incident.Dependency{{Type: "service", ID: 999999}}},
		{"service of another incident", []incident.Dependency{{Type: "service", ID: foreignSvc.ID}}},
		{"good then unknown", []incident.Dependency{{Type: "asset", ID: db.ID}, {Type: "asset", ID: 999999}}},
		{"listed twice", []incident.Dependency{{Type: "asset", ID: db.ID}, {Type: "asset", ID: db.ID, Group: "g"}}},
		{"bad type", []incident.Dependency{{Type: "host", ID: db.ID}}},
		{"zero id", []incident.Dependency{{Type: "asset"}}},
	}
	for i, tc := range bad {
		_, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: fmt.Sprintf("Bad %d", i), DependsOn: tc.deps})
		wantValidation(t, "CreateService("+tc.name+")", err)
	}
	_, err = e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Customer portal"})
	wantIs(t, "CreateService(duplicate name)", err, store.ErrConflict)
	_, err = e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "x", Status: "on_fire"})
	wantValidation(t, "CreateService(bad status)", err)
	_, err = e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{})
	wantValidation(t, "CreateService(no name)", err)
	_, err = e.s.CreateService(e.ctx, "alice", "INC-2026-9999", incident.Service{Name: "x"})
	wantIs(t, "CreateService(INC-2026-9999)", err, store.ErrNotFound)

	list, err := e.s.ListServices(e.ctx, in.Ref)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListServices(%s) = %+v, %v, want 3 services (rejected ones not stored)", in.Ref, list, err)
	}
	if !reflect.DeepEqual(list[0], wantPortal) || !reflect.DeepEqual(list[1], api) || !reflect.DeepEqual(list[2], empty) {
		t.Errorf("ListServices(%s) = %+v, want [%+v %+v %+v]", in.Ref, list, wantPortal, api, empty)
	}
	_, err = e.s.ListServices(e.ctx, "INC-2026-9999")
	wantIs(t, "ListServices(INC-2026-9999)", err, store.ErrNotFound)
}

func testServiceUpdate(t *testing.T, e *env) {
	in := e.incident(t, "Service updates")
	other := e.incident(t, "Other")
	a1, a2, a3 := e.asset(t, in.Ref, "a1"), e.asset(t, in.Ref, "a2"), e.asset(t, in.Ref, "a3")
	sv, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Portal", DependsOn: []incident.Dependency{{Type: "asset", ID: a1.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	helper, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Auth"})
	if err != nil {
		t.Fatal(err)
	}
	otherSvc, err := e.s.CreateService(e.ctx, "alice", other.Ref, incident.Service{Name: "Portal"})
	if err != nil {
		t.Fatal(err)
	}
	listed := func() incident.Service {
		t.Helper()
		list, err := e.s.ListServices(e.ctx, in.Ref)
		if err != nil {
			t.Fatalf("ListServices(%s) = %v", in.Ref, err)
		}
		for _, x := range list {
			if x.ID == sv.ID {
				return x
			}
		}
		t.Fatalf("ListServices(%s) lacks service %d", in.Ref, sv.ID)
		return incident.Service{}
	}

	steps := []struct {
		name  string
		patch store.ServicePatch
		want  []incident.Dependency
	}{
		{"replace", store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "asset", ID: a2.ID, Group: "pool"}, {Type: "asset", ID: a3.ID, Group: "pool"}}},
			[]incident.Dependency{{Type: "asset", ID: a2.ID, Group: "pool"}, {Type: "asset", ID: a3.ID, Group: "pool"}}},
		{"status only keeps deps", store.ServicePatch{Status: ptr(incident.StatusPartial), Description: ptr("degraded")},
			[]incident.Dependency{{Type: "asset", ID: a2.ID, Group: "pool"}, {Type: "asset", ID: a3.ID, Group: "pool"}}},
		{"replace with a service", store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "asset", ID: a1.ID}, {Type: "service", ID: helper.ID}}},
			[]incident.Dependency{{Type: "asset", ID: a1.ID}, {Type: "service", ID: helper.ID}}},
		{"clear", store.ServicePatch{DependsOn: &[]incident.Dependency{}}, []incident.Dependency{}},
		{"set again", store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "asset", ID: a1.ID}}}, []incident.Dependency{{Type: "asset", ID: a1.ID}}},
	}
	for _, st := range steps {
		e.clk.Advance(time.Minute)
		got, err := e.s.UpdateService(e.ctx, "bob", in.Ref, sv.ID, st.patch)
		if err != nil {
			t.Fatalf("UpdateService(%s) = %v, want no error", st.name, err)
		}
		if !reflect.DeepEqual(got.DependsOn, st.want) || !got.UpdatedAt.Equal(e.clk.Now()) {
			t.Errorf("UpdateService(%s) = %+v, want deps %+v, updated now", st.name, got, st.want)
		}
		if l := listed(); !reflect.DeepEqual(l, got) {
			t.Errorf("ListServices() after UpdateService(%s) = %+v, want %+v", st.name, l, got)
		}
	}
	if got := listed(); got.Status != incident.StatusPartial || got.Description != "degraded" {
		t.Errorf("service after updates = %+v, want status partial_outage, description degraded", got)
	}

	before := listed()
	bad := []struct {
		name  string
		patch store.ServicePatch
	}{
		{"unknown asset", store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "asset", ID: a2.ID}, {Type: "asset", ID: 999999}}}},
		{"itself", store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "service", ID: sv.ID}}}},
		{"service of another incident", store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "service", ID: otherSvc.ID}}}},
		{"bad status", store.ServicePatch{Status: ptr(incident.ServiceStatus("on_fire"))}},
	}
	for _, tc := range bad {
		_, err := e.s.UpdateService(e.ctx, "bob", in.Ref, sv.ID, tc.patch)
		wantValidation(t, "UpdateService("+tc.name+")", err)
	}
	if got := listed(); !reflect.DeepEqual(got, before) {
		t.Errorf("service after rejected updates = %+v, want %+v (unchanged)", got, before)
	}
	_, err = e.s.UpdateService(e.ctx, "bob", in.Ref, 999999, store.ServicePatch{Status: ptr(incident.StatusMajor)})
	wantIs(t, "UpdateService(unknown service)", err, store.ErrNotFound)
	_, err = e.s.UpdateService(e.ctx, "bob", in.Ref, otherSvc.ID, store.ServicePatch{Status: ptr(incident.StatusMajor)})
	wantIs(t, "UpdateService(service of another incident)", err, store.ErrNotFound)
}

func testBlastRadius(t *testing.T, e *env) {
	in := e.incident(t, "Blast")
	other := e.incident(t, "Other")
	db := e.asset(t, in.Ref, "db-01")
	web1 := e.asset(t, in.Ref, "web-01")
	web2 := e.asset(t, in.Ref, "web-02")
	cache := e.asset(t, in.Ref, "cache-01")
	foreign := e.asset(t, other.Ref, "db-01")
	mk := func(name string, deps ...incident.Dependency) incident.Service {
		t.Helper()
		sv, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: name, DependsOn: deps})
		if err != nil {
			t.Fatalf("CreateService(%s) = %v", name, err)
		}
		return sv
	}
	portal := mk("Portal", incident.Dependency{Type: "asset", ID: db.ID},
		incident.Dependency{Type: "asset", ID: web1.ID, Group: "web"}, incident.Dependency{Type: "asset", ID: web2.ID, Group: "web"})
	mk("Voice API", incident.Dependency{Type: "service", ID: portal.ID})
	mk("Status page", incident.Dependency{Type: "asset", ID: cache.ID})

	type effects map[string][2]incident.Effect // service → {effect, baseline}
	check := func(name string, ids []int64, want effects, wantUnknown []int64) {
		t.Helper()
		b, err := e.s.BlastRadius(e.ctx, in.Ref, ids)
		if err != nil {
			t.Fatalf("BlastRadius(%s) = %v, want no error", name, err)
		}
		got := effects{}
		for _, im := range b.Impacts {
			got[im.Service] = [2]incident.Effect{im.Effect, im.Baseline}
		}
		if !reflect.DeepEqual(got, want) || !slices.Equal(b.Unknown, wantUnknown) {
			t.Errorf("BlastRadius(%s %v) = %v unknown %v, want %v unknown %v", name, ids, got, b.Unknown, want, wantUnknown)
		}
	}
	none, down, degraded := incident.EffectNone, incident.EffectDown, incident.EffectDegraded
	check("nothing", nil, effects{}, nil)
	check("db", []int64{db.ID}, effects{"Portal": {down, none}, "Voice API": {down, none}}, nil)
	check("one web", []int64{web1.ID}, effects{"Portal": {degraded, none}, "Voice API": {degraded, none}}, nil)
	check("both webs", []int64{web1.ID, web2.ID}, effects{"Portal": {down, none}, "Voice API": {down, none}}, nil)
	check("unknown and foreign", []int64{999999, foreign.ID}, effects{}, []int64{999999, foreign.ID})

	if _, err := e.s.SetOperational(e.ctx, "bob", in.Ref, cache.ID, incident.OpIsolated, "ransomware binary found"); err != nil {
		t.Fatal(err)
	}
	check("db with cache isolated", []int64{db.ID}, effects{"Portal": {down, none}, "Voice API": {down, none}, "Status page": {down, down}}, nil)
	b, err := e.s.BlastRadius(e.ctx, in.Ref, []int64{web1.ID})
	if err != nil || !slices.Equal(b.Assets, []int64{web1.ID, cache.ID}) && !slices.Equal(b.Assets, []int64{cache.ID, web1.ID}) {
		t.Errorf("BlastRadius(web1).Assets = %v, %v, want web1 and the isolated cache", b.Assets, err)
	}
	_, err = e.s.BlastRadius(e.ctx, "INC-2026-9999", []int64{db.ID})
	wantIs(t, "BlastRadius(INC-2026-9999)", err, store.ErrNotFound)
}

// testBlastRadiusManyAssets checks that BlastRadius sees every asset of an
// incident, not only the first page of them. The assets are created from
// several goroutines so that a store that batches commits makes quick work
// of them.
func testBlastRadiusManyAssets(t *testing.T, e *env) {
	in := e.incident(t, "Big estate")
	const total, workers = 1001, 8
	var mu sync.Mutex
	var last incident.Asset
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < total; i += workers {
				a, err := e.s.CreateAsset(e.ctx, "alice", in.Ref, incident.Asset{Name: fmt.Sprintf("host-%04d", i)})
				if err != nil {
					t.Errorf("CreateAsset(host-%04d) = %v, want no error", i, err)
					return
				}
				mu.Lock()
				if a.ID > last.ID {
					last = a
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if _, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Portal",
		DependsOn: []incident.Dependency{{Type: "asset", ID: last.ID}}}); err != nil {
		t.Fatal(err)
	}
	b, err := e.s.BlastRadius(e.ctx, in.Ref, []int64{last.ID})
	if err != nil {
		t.Fatalf("BlastRadius(asset %d of %d) = %v, want no error", total, total, err)
	}
	if len(b.Unknown) != 0 || len(b.Impacts) != 1 || b.Impacts[0].Effect != incident.EffectDown {
		t.Errorf("BlastRadius(asset %d of %d) = %+v, want Portal down and no unknown assets", total, total, b)
	}
}

// ---- indicators ----

func testIndicatorDedup(t *testing.T, e *env) {
	in := e.incident(t, "Indicators")
	other := e.incident(t, "Other")
	hash := strings.Repeat("AB", 32)
	batch := []incident.Indicator{
		{Type: incident.IndIPv4, Value: "10.0.0.1", Source: "EDR", Tags: []string{"actor:fin7"}},
		{Type: incident.IndIPv4, Value: " 10.0.0.1 ", Confidence: 90},
		{Type: incident.IndDomain, Value: "EXAMPLE.com"},
		{Type: incident.IndDomain, Value: "example.com."},
		{Type: incident.IndSHA256, Value: hash},
		{Type: incident.IndCIDR, Value: "192.0.2.77/24"},
	}
	got, created, err := e.s.AddIndicators(e.ctx, "alice", in.Ref, batch)
	if err != nil {
		t.Fatalf("AddIndicators() = %v, want no error", err)
	}
	wantCreated := []bool{true, false, true, false, true, true}
	wantValues := []string{"10.0.0.1", "10.0.0.1", "example.com", "example.com", strings.ToLower(hash), "192.0.2.0/24"}
	if !slices.Equal(created, wantCreated) {
		t.Errorf("AddIndicators() created = %v, want %v", created, wantCreated)
	}
	if len(got) != len(batch) {
		t.Fatalf("AddIndicators() returned %d indicators, want %d", len(got), len(batch))
	}
	for i, ind := range got {
		if ind.Value != wantValues[i] {
			t.Errorf("AddIndicators()[%d].Value = %q, want %q", i, ind.Value, wantValues[i])
		}
	}
	if got[1].ID != got[0].ID || got[3].ID != got[2].ID {
		t.Errorf("AddIndicators() duplicate ids = %d/%d, %d/%d, want the stored indicator's id", got[0].ID, got[1].ID, got[2].ID, got[3].ID)
	}
	if got[1].Confidence != 50 || got[1].Source != "EDR" {
		t.Errorf("AddIndicators()[1] = %+v, want the stored indicator (confidence 50, source EDR), not the duplicate", got[1])
	}
	first := got[0]
	want0 := incident.Indicator{ID: first.ID, Type: incident.IndIPv4, Value: "10.0.0.1", Confidence: 50, TLP: incident.TLPAmber, Source: "EDR",
		Tags: []string{"actor:fin7"}, CreatedBy: "alice", CreatedAt: e.clk.Now()}
	if !reflect.DeepEqual(first, want0) {
		t.Errorf("AddIndicators()[0] = %+v, want %+v", first, want0)
	}

	list, err := e.s.ListIndicators(e.ctx, in.Ref, store.Page{})
	if err != nil || len(list) != 4 {
		t.Fatalf("ListIndicators(%s) = %+v, %v, want 4 indicators", in.Ref, list, err)
	}
	if !reflect.DeepEqual(list[0], want0) {
		t.Errorf("ListIndicators(%s)[0] = %+v, want %+v", in.Ref, list[0], want0)
	}
	if list[2].Tags == nil {
		t.Errorf("ListIndicators()[2].Tags = nil, want []")
	}

	entries := e.auditCount(t)
	e.clk.Advance(time.Hour)
	seen := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	again, created, err := e.s.AddIndicators(e.ctx, "bob", in.Ref, []incident.Indicator{
		{Type: incident.IndDomain, Value: "example.com"},
		{Type: incident.IndIPv4, Value: "10.0.0.1"},
		{Type: incident.IndIPv4, Value: "10.0.0.2", FirstSeen: &seen, TLP: incident.TLPRed, Note: "new"},
	})
	if err != nil || !slices.Equal(created, []bool{false, false, true}) {
		t.Fatalf("AddIndicators(second call) = %v, %v, want [false false true], nil", created, err)
	}
	if again[0].ID != got[2].ID || again[1].ID != got[0].ID || again[0].CreatedBy != "alice" {
		t.Errorf("AddIndicators(second call) = %+v, want the stored indicators for the duplicates", again)
	}
	if again[2].FirstSeen == nil || !again[2].FirstSeen.Equal(seen) || again[2].TLP != incident.TLPRed {
		t.Errorf("AddIndicators(second call)[2] = %+v, want first seen %v, TLP red", again[2], seen)
	}
	if n := e.auditCount(t); n != entries+1 {
		t.Errorf("VerifyAudit() after a batch = %d, want %d (one entry per batch)", n, entries+1)
	}
	_, created, err = e.s.AddIndicators(e.ctx, "bob", in.Ref, []incident.Indicator{{Type: incident.IndDomain, Value: "Example.COM"}})
	if err != nil || !slices.Equal(created, []bool{false}) {
		t.Errorf("AddIndicators(Example.COM) = %v, %v, want [false], nil", created, err)
	}
	list, _ = e.s.ListIndicators(e.ctx, in.Ref, store.Page{})
	if len(list) != 5 {
		t.Errorf("ListIndicators(%s) = %d indicators, want 5", in.Ref, len(list))
	}
	page, err := e.s.ListIndicators(e.ctx, in.Ref, store.Page{After: list[1].ID, Limit: 2})
	if err != nil || len(page) != 2 || page[0].ID != list[2].ID || page[1].ID != list[3].ID {
		t.Errorf("ListIndicators(after %d, limit 2) = %+v, %v, want indicators %d, %d", list[1].ID, page, err, list[2].ID, list[3].ID)
	}

	_, created, err = e.s.AddIndicators(e.ctx, "bob", other.Ref, []incident.Indicator{{Type: incident.IndIPv4, Value: "10.0.0.1"}})
	if err != nil || !slices.Equal(created, []bool{true}) {
		t.Errorf("AddIndicators(%s, same value as %s) = %v, %v, want [true], nil (per incident)", other.Ref, in.Ref, created, err)
	}
}

func testIndicatorInvalid(t *testing.T, e *env) {
	in := e.incident(t, "Invalid indicators")
	entries := e.auditCount(t)
	tests := []struct {
		name  string
		batch []incident.Indicator
	}{
		{"bad ip last", []incident.Indicator{{Type: incident.IndIPv4, Value: "192.0.2.7"}, {Type: incident.IndIPv4, Value: "not-an-ip"}}},
		{"bad ip first", []incident.Indicator{{Type: incident.IndIPv4, Value: "999.1.1.1"}, {Type: incident.IndIPv4, Value: "192.0.2.7"}}},
		{"bad type", []incident.Indicator{{Type: incident.IndIPv4, Value: "192.0.2.7"}, {Type: "smell", Value: "x"}}},
		{"ipv6 as ipv4", []incident.Indicator{{Type: incident.IndIPv4, Value: "2001:db8::1"}}},
		{"short hash", []incident.Indicator{{Type: incident.IndSHA256, Value: "abc"}}},
		{"confidence", []incident.Indicator{{Type: incident.IndDomain, Value: "example.org", Confidence: 101}}},
		{"bad tlp", []incident.Indicator{{Type: incident.IndDomain, Value: "example.org", TLP: "white"}}},
		{"empty tag", []incident.Indicator{{Type: incident.IndDomain, Value: "example.org", Tags: []string{""}}}},
		{"empty value", []incident.Indicator{{Type: incident.IndDomain}}},
		{"too many", make([]incident.Indicator, store.MaxBatch+1)},
	}
	for _, tc := range tests {
		_, _, err := e.s.AddIndicators(e.ctx, "alice", in.Ref, tc.batch)
		wantValidation(t, "AddIndicators("+tc.name+")", err)
	}
	var ve *incident.ValidationError
	_, _, err := e.s.AddIndicators(e.ctx, "alice", in.Ref, tests[0].batch)
	if !errors.As(err, &ve) || !strings.Contains(ve.Field, "indicators[1]") {
		t.Errorf("AddIndicators(bad second item) = %v, want a validation error naming indicators[1]", err)
	}
	if list, err := e.s.ListIndicators(e.ctx, in.Ref, store.Page{}); err != nil || len(list) != 0 {
		t.Errorf("ListIndicators(%s) after invalid batches = %+v, %v, want [] (all or nothing)", in.Ref, list, err)
	}
	if n := e.auditCount(t); n != entries {
		t.Errorf("VerifyAudit() after invalid batches = %d, want %d", n, entries)
	}
	_, _, err = e.s.AddIndicators(e.ctx, "alice", "INC-2026-9999", []incident.Indicator{{Type: incident.IndIPv4, Value: "192.0.2.7"}})
	wantIs(t, "AddIndicators(INC-2026-9999)", err, store.ErrNotFound)
	_, err = e.s.ListIndicators(e.ctx, "INC-2026-9999", store.Page{})
	wantIs(t, "ListIndicators(INC-2026-9999)", err, store.ErrNotFound)
}

// ---- findings ----

func finding(key string) incident.Finding {
	return incident.Finding{Key: key, Rule: "webshell-aspx", Title: "ASPX web shell request", Host: "web-01",
		File: `C:\inetpub\logs\u_ex260314.log`, Line: 1042, Indicator: "/aspnet_client/x.aspx",
		Fields: map[string]string{"c-ip": "203.0.113.9", "cs-uri-stem": "/aspnet_client/x.aspx"}}
}

func findingEvents(evs []incident.Event) []incident.Event {
	var out []incident.Event
	for _, ev := range evs {
		if ev.Kind == incident.KindFinding {
			out = append(out, ev)
		}
	}
	return out
}

func testFindingIdempotent(t *testing.T, e *env) {
	in := e.incident(t, "Findings")
	logTime := time.Date(2026, 3, 14, 2, 13, 7, 0, time.UTC)
	f1, f2 := finding("hunt-1:web-01:1042"), finding("hunt-1:web-01:2000")
	f1.LogTime, f2.Line, f2.Severity = &logTime, 2000, incident.SeverityHigh
	got, created, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{f1, f2})
	if err != nil || !slices.Equal(created, []bool{true, true}) {
		t.Fatalf("AddFindings(first) = %v, %v, want [true true], nil", created, err)
	}
	want0 := f1
	want0.ID, want0.EventID, want0.State, want0.Severity, want0.CreatedBy, want0.CreatedAt = got[0].ID, got[0].EventID, incident.FindingNew, incident.SeverityMedium, "hunter", e.clk.Now()
	if !reflect.DeepEqual(got[0], want0) {
		t.Errorf("AddFindings()[0] = %+v, want %+v", got[0], want0)
	}
	evs := findingEvents(e.timeline(t, in.Ref))
	if len(evs) != 2 {
		t.Fatalf("timeline has %d finding events, want 2 (one per new finding)", len(evs))
	}
	for i, ev := range evs {
		if ev.ID != got[i].EventID || ev.Source != incident.SourceHunt || ev.Actor != "hunter" || !strings.Contains(ev.Text, "web-01") {
			t.Errorf("finding event %d = %+v, want id %d, source hunt, by hunter, naming the host", i, ev, got[i].EventID)
		}
	}
	if !evs[0].OccurredAt.Equal(logTime) || !evs[1].OccurredAt.Equal(e.clk.Now()) {
		t.Errorf("finding events occurred at %v, %v, want the log time %v, then now %v", evs[0].OccurredAt, evs[1].OccurredAt, logTime, e.clk.Now())
	}

	e.clk.Advance(time.Hour)
	f2b := f2
	f2b.Title = "resubmitted"
	f3 := finding("hunt-2:web-02:7")
	again, created, err := e.s.AddFindings(e.ctx, "hunter2", in.Ref, []incident.Finding{f2b, f3})
	if err != nil || !slices.Equal(created, []bool{false, true}) {
		t.Fatalf("AddFindings(second) = %v, %v, want [false true], nil", created, err)
	}
	if !reflect.DeepEqual(again[0], got[1]) {
		t.Errorf("AddFindings(resubmitted key) = %+v, want the stored finding %+v", again[0], got[1])
	}
	evs = findingEvents(e.timeline(t, in.Ref))
	if len(evs) != 3 || evs[2].ID != again[1].EventID {
		t.Errorf("timeline has %d finding events, want 3, the last for the new finding", len(evs))
	}
	entries := e.auditCount(t)
	_, created, err = e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{f1, f2, f3})
	if err != nil || !slices.Equal(created, []bool{false, false, false}) {
		t.Errorf("AddFindings(all known) = %v, %v, want [false false false], nil", created, err)
	}
	if n := len(findingEvents(e.timeline(t, in.Ref))); n != 3 {
		t.Errorf("timeline has %d finding events after a repeat, want 3", n)
	}
	if n := e.auditCount(t); n != entries {
		t.Errorf("VerifyAudit() after a batch of known findings = %d, want %d (nothing changed)", n, entries)
	}
	list, err := e.s.ListFindings(e.ctx, in.Ref, store.Page{})
	if err != nil || len(list) != 3 || !reflect.DeepEqual(list[0], want0) {
		t.Errorf("ListFindings(%s) = %+v, %v, want 3 findings starting with %+v", in.Ref, list, err, want0)
	}
	if page, err := e.s.ListFindings(e.ctx, in.Ref, store.Page{After: list[0].ID, Limit: 1}); err != nil || len(page) != 1 || page[0].ID != list[1].ID {
		t.Errorf("ListFindings(after %d, limit 1) = %+v, %v, want [finding %d]", list[0].ID, page, err, list[1].ID)
	}

	other := e.incident(t, "Other")
	if _, created, err := e.s.AddFindings(e.ctx, "hunter", other.Ref, []incident.Finding{f1}); err != nil || !slices.Equal(created, []bool{true}) {
		t.Errorf("AddFindings(%s, key known in %s) = %v, %v, want [true], nil (keys are per incident)", other.Ref, in.Ref, created, err)
	}
}

func testFindingDuplicateInBatch(t *testing.T, e *env) {
	in := e.incident(t, "Duplicate keys")
	entries := e.auditCount(t)
	a, b := finding("same-key"), finding("same-key")
	b.Line = 7
	// A key repeated within one batch is the same finding: stored once, the
	// repeat answered with the stored one (a hunt agent may well send both).
	out, created, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{finding("other-key"), a, b})
	if err != nil {
		t.Fatalf("AddFindings(key twice in one batch) = %v", err)
	}
	if !slices.Equal(created, []bool{true, true, false}) || out[1].ID != out[2].ID || out[2].Line != a.Line {
		t.Errorf("AddFindings(key twice in one batch) created = %v, ids %d/%d, line %d; want [true true false], one id, the first's line",
			created, out[1].ID, out[2].ID, out[2].Line)
	}
	if list, _ := e.s.ListFindings(e.ctx, in.Ref, store.Page{}); len(list) != 2 {
		t.Errorf("ListFindings(%s) = %d findings, want 2", in.Ref, len(list))
	}
	if n := len(findingEvents(e.timeline(t, in.Ref))); n != 2 {
		t.Errorf("timeline has %d finding events, want 2", n)
	}
	if n := e.auditCount(t); n != entries+1 {
		t.Errorf("VerifyAudit() = %d, want %d (one entry for the batch)", n, entries+1)
	}
}

func testFindingInvalid(t *testing.T, e *env) {
	in := e.incident(t, "Invalid findings")
	entries := e.auditCount(t)
	mod := func(f func(*incident.Finding)) incident.Finding {
		x := finding("k")
		f(&x)
		return x
	}
	tests := []struct {
		name string
		f    incident.Finding
	}{
		{"no key", mod(func(f *incident.Finding) { f.Key = "" })},
		{"no rule", mod(func(f *incident.Finding) { f.Rule = "" })},
		{"no title", mod(func(f *incident.Finding) { f.Title = "" })},
		{"bad severity", mod(func(f *incident.Finding) { f.Severity = "meh" })},
		{"bad state", mod(func(f *incident.Finding) { f.State = "maybe" })},
		{"negative line", mod(func(f *incident.Finding) { f.Line = -1 })},
	}
	for _, tc := range tests {
		_, _, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{finding("good"), tc.f})
		wantValidation(t, "AddFindings("+tc.name+")", err)
		var ve *incident.ValidationError
		if errors.As(err, &ve) && !strings.Contains(ve.Field, "findings[1]") {
			t.Errorf("AddFindings(%s) field = %q, want it to name findings[1]", tc.name, ve.Field)
		}
	}
	_, _, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, make([]incident.Finding, store.MaxBatch+1))
	wantValidation(t, "AddFindings(too many)", err)
	if list, _ := e.s.ListFindings(e.ctx, in.Ref, store.Page{}); len(list) != 0 {
		t.Errorf("ListFindings(%s) after invalid batches = %d findings, want 0", in.Ref, len(list))
	}
	if n := len(e.timeline(t, in.Ref)); n != 1 {
		t.Errorf("timeline after invalid batches has %d events, want 1", n)
	}
	if n := e.auditCount(t); n != entries {
		t.Errorf("VerifyAudit() after invalid batches = %d, want %d", n, entries)
	}
	_, _, err = e.s.AddFindings(e.ctx, "hunter", "INC-2026-9999", []incident.Finding{finding("k")})
	wantIs(t, "AddFindings(INC-2026-9999)", err, store.ErrNotFound)
	_, err = e.s.ListFindings(e.ctx, "INC-2026-9999", store.Page{})
	wantIs(t, "ListFindings(INC-2026-9999)", err, store.ErrNotFound)
}

func testFindingTriage(t *testing.T, e *env) {
	in := e.incident(t, "Triage")
	other := e.incident(t, "Other")
	got, _, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{finding("a"), finding("b")})
	if err != nil {
		t.Fatal(err)
	}
	f := got[0]
	bad := []struct {
		name   string
		ref    string
		id     int64
		state  incident.FindingState
		reason string
		want   error // nil: a validation error
	}{
		{"no reason", in.Ref, f.ID, incident.FindingConfirmed, "", nil},
		{"bad state", in.Ref, f.ID, "maybe", "x", nil},
		{"unknown finding", in.Ref, 999999, incident.FindingConfirmed, "x", store.ErrNotFound},
		{"finding of another incident", other.Ref, f.ID, incident.FindingConfirmed, "x", store.ErrNotFound},
		{"unknown incident", "INC-2026-9999", f.ID, incident.FindingConfirmed, "x", store.ErrNotFound},
	}
	for _, tc := range bad {
		_, err := e.s.TriageFinding(e.ctx, "bob", tc.ref, tc.id, tc.state, tc.reason)
		if tc.want == nil {
			wantValidation(t, "TriageFinding("+tc.name+")", err)
		} else {
			wantIs(t, "TriageFinding("+tc.name+")", err, tc.want)
		}
	}
	events := len(e.timeline(t, in.Ref))
	for _, st := range []struct {
		state  incident.FindingState
		reason string
	}{{incident.FindingConfirmed, "matches the attacker's IP"}, {incident.FindingDismissed, "it was the red team"}} {
		upd, err := e.s.TriageFinding(e.ctx, "bob", in.Ref, f.ID, st.state, st.reason)
		if err != nil || upd.State != st.state || upd.Reason != st.reason || upd.Key != f.Key {
			t.Errorf("TriageFinding(%s) = %+v, %v, want state %s, reason %q", st.state, upd, err, st.state, st.reason)
		}
		list, _ := e.s.ListFindings(e.ctx, in.Ref, store.Page{})
		if len(list) != 2 || list[0].State != st.state || list[0].Reason != st.reason || list[1].State != incident.FindingNew {
			t.Errorf("ListFindings() after TriageFinding(%s) = %+v, want the first %s, the second new", st.state, list, st.state)
		}
		evs := e.timeline(t, in.Ref)
		events++
		if len(evs) != events {
			t.Fatalf("timeline after TriageFinding(%s) has %d events, want %d", st.state, len(evs), events)
		}
		if ev := evs[len(evs)-1]; ev.Kind != incident.KindDecision || ev.Actor != "bob" || !hasLink(ev, "finding", f.ID) || !strings.Contains(ev.Text, st.reason) {
			t.Errorf("TriageFinding(%s) event = %+v, want a decision by bob with the reason, linked to finding %d", st.state, ev, f.ID)
		}
	}
}

// ---- evidence ----

func testBlobs(t *testing.T, e *env) {
	b := store.Blobs{Dir: filepath.Join(t.TempDir(), "blobs")}
	content := "Event log export, host dc-01\n"
	sum256 := sha256.Sum256([]byte(content))
	want := hex.EncodeToString(sum256[:])
	sum, size, err := b.Put(strings.NewReader(content), int64(len(content)))
	if err != nil || sum != want || size != int64(len(content)) {
		t.Fatalf("Put(%d bytes, max %d) = %q, %d, %v, want %q, %d, nil", len(content), len(content), sum, size, err, want, len(content))
	}
	p, err := b.Path(sum)
	if err != nil {
		t.Fatalf("Path(%q) = %v", sum, err)
	}
	if data, err := os.ReadFile(p); err != nil || string(data) != content {
		t.Errorf("ReadFile(Path(%q)) = %q, %v, want the content", sum, data, err)
	}
	sum2, _, err := b.Put(strings.NewReader(content), 1<<20)
	if err != nil || sum2 != sum {
		t.Errorf("Put(same content) = %q, %v, want %q", sum2, err, sum)
	}

	big := strings.Repeat("x", 1025)
	bigSum := sha256.Sum256([]byte(big))
	_, _, err = b.Put(strings.NewReader(big), 1024)
	wantIs(t, "Put(1025 bytes, max 1024)", err, store.ErrTooLarge)
	if bp, _ := b.Path(hex.EncodeToString(bigSum[:])); fileExists(bp) {
		t.Errorf("Put(over limit) left the blob %s behind", bp)
	}
	var files []string
	filepath.WalkDir(b.Dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) != 1 || files[0] != p {
		t.Errorf("files in the blob directory = %v, want only %s (no temporary files left)", files, p)
	}
	for _, bad := range []string{"../x", "", "ABC", strings.Repeat("g", 64), strings.ToUpper(sum), "../" + sum[3:]} {
		if p, err := b.Path(bad); err == nil {
			t.Errorf("Path(%q) = %q, nil, want an error", bad, p)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func testEvidence(t *testing.T, e *env) {
	in := e.incident(t, "Evidence")
	other := e.incident(t, "Other")
	sum := strings.Repeat("ab", 32)
	bad := []struct {
		name string
		ev   incident.Evidence
	}{
		{"dot-dot path", incident.Evidence{Name: "../x", SHA256: sum}},
		{"dot-dot", incident.Evidence{Name: "..", SHA256: sum}},
		{"slash", incident.Evidence{Name: "logs/x.evtx", SHA256: sum}},
		{"backslash", incident.Evidence{Name: `C:\x.evtx`, SHA256: sum}},
		{"control", incident.Evidence{Name: "x\n.evtx", SHA256: sum}},
		{"no name", incident.Evidence{SHA256: sum}},
		{"bad sha256", incident.Evidence{Name: "x.evtx", SHA256: "abc"}},
		{"upper-case sha256", incident.Evidence{Name: "x.evtx", SHA256: strings.ToUpper(sum)}},
		{"long description", incident.Evidence{Name: "x.evtx", SHA256: sum, Description: strings.Repeat("x", incident.MaxText+1)}},
	}
	for _, tc := range bad {
		_, err := e.s.AddEvidence(e.ctx, "bob", in.Ref, tc.ev)
		wantValidation(t, "AddEvidence("+tc.name+")", err)
	}
	if list, _ := e.s.ListEvidence(e.ctx, in.Ref, store.Page{}); len(list) != 0 {
		t.Errorf("ListEvidence(%s) after rejected adds = %d items, want 0", in.Ref, len(list))
	}

	now := e.clk.Now()
	ev, err := e.s.AddEvidence(e.ctx, "bob", in.Ref, incident.Evidence{Name: "Security.evtx", SHA256: sum, Size: 4096,
		ContentType: "application/octet-stream", Description: "DC security log"})
	if err != nil {
		t.Fatalf("AddEvidence() = %v, want no error", err)
	}
	if len(ev.Custody) != 1 {
		t.Fatalf("AddEvidence().Custody = %+v, want one entry", ev.Custody)
	}
	uploaded := incident.CustodyEntry{At: now, Actor: "bob", Action: "uploaded", Note: ev.Custody[0].Note}
	want := incident.Evidence{ID: ev.ID, Name: "Security.evtx", SHA256: sum, Size: 4096, ContentType: "application/octet-stream",
		Description: "DC security log", CollectedBy: "bob", CreatedAt: now, Custody: []incident.CustodyEntry{uploaded}}
	if !reflect.DeepEqual(ev, want) || !strings.Contains(uploaded.Note, sum) {
		t.Errorf("AddEvidence() = %+v, want %+v with the hash in the custody note", ev, want)
	}
	evs := e.timeline(t, in.Ref)
	if last := evs[len(evs)-1]; last.Kind != incident.KindAction || !hasLink(last, "evidence", ev.ID) || !strings.Contains(last.Text, sum) {
		t.Errorf("AddEvidence() timeline event = %+v, want an action linked to evidence %d naming the hash", last, ev.ID)
	}
	ev2, err := e.s.AddEvidence(e.ctx, "bob", in.Ref, incident.Evidence{Name: "memory.raw", SHA256: strings.Repeat("cd", 32), CollectedBy: "carol"})
	if err != nil || ev2.CollectedBy != "carol" {
		t.Errorf("AddEvidence(collected by carol) = %+v, %v, want CollectedBy carol", ev2, err)
	}

	e.clk.Advance(time.Hour)
	later := e.clk.Now()
	if err := e.s.AddCustody(e.ctx, "carol", in.Ref, ev.ID, "transferred", "handed to forensics firm, bag 17"); err != nil {
		t.Fatalf("AddCustody() = %v, want no error", err)
	}
	got, err := e.s.GetEvidence(e.ctx, in.Ref, ev.ID)
	want.Custody = append(want.Custody, incident.CustodyEntry{At: later, Actor: "carol", Action: "transferred", Note: "handed to forensics firm, bag 17"})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetEvidence(%d) = %+v, %v, want %+v", ev.ID, got, err, want)
	}

	err = e.s.AddCustody(e.ctx, "carol", in.Ref, ev.ID, "", "x")
	wantValidation(t, "AddCustody(no action)", err)
	err = e.s.AddCustody(e.ctx, "carol", in.Ref, 999999, "transferred", "")
	wantIs(t, "AddCustody(unknown evidence)", err, store.ErrNotFound)
	err = e.s.AddCustody(e.ctx, "carol", other.Ref, ev.ID, "transferred", "")
	wantIs(t, "AddCustody(evidence of another incident)", err, store.ErrNotFound)
	_, err = e.s.GetEvidence(e.ctx, other.Ref, ev.ID)
	wantIs(t, "GetEvidence(evidence of another incident)", err, store.ErrNotFound)
	_, err = e.s.GetEvidence(e.ctx, in.Ref, 999999)
	wantIs(t, "GetEvidence(unknown evidence)", err, store.ErrNotFound)
	_, err = e.s.AddEvidence(e.ctx, "bob", "INC-2026-9999", incident.Evidence{Name: "x", SHA256: sum})
	wantIs(t, "AddEvidence(INC-2026-9999)", err, store.ErrNotFound)
	if got, _ := e.s.GetEvidence(e.ctx, in.Ref, ev.ID); len(got.Custody) != 2 {
		t.Errorf("GetEvidence(%d) after rejected custody entries has %d entries, want 2", ev.ID, len(got.Custody))
	}

	list, err := e.s.ListEvidence(e.ctx, in.Ref, store.Page{})
	if err != nil || len(list) != 2 || list[0].ID != ev.ID || list[1].ID != ev2.ID || list[0].SHA256 != sum {
		t.Errorf("ListEvidence(%s) = %+v, %v, want evidence %d, %d", in.Ref, list, err, ev.ID, ev2.ID)
	}
	if page, err := e.s.ListEvidence(e.ctx, in.Ref, store.Page{After: ev.ID}); err != nil || len(page) != 1 || page[0].ID != ev2.ID {
		t.Errorf("ListEvidence(after %d) = %+v, %v, want [evidence %d]", ev.ID, page, err, ev2.ID)
	}
	_, err = e.s.ListEvidence(e.ctx, "INC-2026-9999", store.Page{})
	wantIs(t, "ListEvidence(INC-2026-9999)", err, store.ErrNotFound)
}

// ---- users, tokens, sessions ----

func testUserCreate(t *testing.T, e *env) {
	u, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "alice", Role: incident.RoleAdmin}, "hash-a")
	if err != nil {
		t.Fatalf("CreateUser(alice) = %v, want no error", err)
	}
	want := incident.User{ID: u.ID, Name: "alice", Role: incident.RoleAdmin, CreatedAt: e.clk.Now()}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("CreateUser(alice) = %+v, want %+v", u, want)
	}
	if got, err := e.s.GetUser(e.ctx, u.ID); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetUser(%d) = %+v, %v, want %+v", u.ID, got, err, want)
	}
	got, hash, err := e.s.UserByName(e.ctx, "alice")
	if err != nil || hash != "hash-a" || !reflect.DeepEqual(got, want) {
		t.Errorf("UserByName(alice) = %+v, %q, %v, want %+v, hash-a", got, hash, err, want)
	}
	exp := Start.Add(24 * time.Hour)
	bob, err := e.s.CreateUser(e.ctx, "alice", incident.User{Name: "bob.smith@example.com", Role: incident.RoleResponder, Disabled: true, ExpiresAt: &exp}, "hash-b")
	if err != nil {
		t.Fatalf("CreateUser(bob) = %v, want no error", err)
	}
	if got, err := e.s.GetUser(e.ctx, bob.ID); err != nil || !got.Disabled || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Errorf("GetUser(bob) = %+v, %v, want disabled, expiring %v", got, err, exp)
	}

	_, err = e.s.CreateUser(e.ctx, "setup", incident.User{Name: "alice", Role: incident.RoleViewer}, "other")
	wantIs(t, "CreateUser(duplicate alice)", err, store.ErrConflict)
	bad := []struct {
		name string
		u    incident.User
	}{
		{"no name", incident.User{Role: incident.RoleViewer}},
		{"space", incident.User{Name: "a b", Role: incident.RoleViewer}},
		{"leading dash", incident.User{Name: "-x", Role: incident.RoleViewer}},
		{"too long", incident.User{Name: strings.Repeat("a", 65), Role: incident.RoleViewer}},
		{"bad role", incident.User{Name: "eve", Role: "overlord"}},
		{"no role", incident.User{Name: "eve"}},
		{"named on a missing incident", incident.User{Name: "eve", Role: incident.RoleViewer, Incidents: []string{"INC-2026-9999"}}},
		{"reserved name", incident.User{Name: "Schedule", Role: incident.RoleViewer}},
		{"reserved name system", incident.User{Name: "system", Role: incident.RoleViewer}},
	}
	for _, tc := range bad {
		_, err := e.s.CreateUser(e.ctx, "setup", tc.u, "h")
		wantValidation(t, "CreateUser("+tc.name+")", err)
	}
	if n, err := e.s.CountUsers(e.ctx); err != nil || n != 2 {
		t.Errorf("CountUsers() = %d, %v, want 2", n, err)
	}
	users, err := e.s.ListUsers(e.ctx)
	if err != nil || len(users) != 2 || users[0].Name != "alice" || users[1].Name != "bob.smith@example.com" {
		t.Errorf("ListUsers() = %+v, %v, want alice, bob.smith@example.com", users, err)
	}
	_, _, err = e.s.UserByName(e.ctx, "nobody")
	wantIs(t, "UserByName(nobody)", err, store.ErrNotFound)
	_, err = e.s.GetUser(e.ctx, 999999)
	wantIs(t, "GetUser(999999)", err, store.ErrNotFound)
	_, err = e.s.UpdateUser(e.ctx, "alice", 999999, store.UserPatch{Disabled: ptr(true)})
	wantIs(t, "UpdateUser(999999)", err, store.ErrNotFound)

	upd, err := e.s.UpdateUser(e.ctx, "alice", bob.ID, store.UserPatch{Role: ptr(incident.RoleCommander), Disabled: ptr(false)})
	if err != nil || upd.Role != incident.RoleCommander || upd.Disabled {
		t.Errorf("UpdateUser(bob, commander, enabled) = %+v, %v, want commander, enabled", upd, err)
	}
	if got, err := e.s.GetUser(e.ctx, bob.ID); err != nil || got.Role != incident.RoleCommander || got.Disabled || got.ExpiresAt == nil {
		t.Errorf("GetUser(bob) after update = %+v, %v, want commander, enabled, expiry kept", got, err)
	}
	_, err = e.s.UpdateUser(e.ctx, "alice", bob.ID, store.UserPatch{Role: ptr(incident.Role("overlord"))})
	wantValidation(t, "UpdateUser(bad role)", err)
}

func testGuestScope(t *testing.T, e *env) {
	a := e.incident(t, "A")
	b := e.incident(t, "B")
	exp := Start.Add(72 * time.Hour)
	g, err := e.s.CreateUser(e.ctx, "alice", incident.User{Name: "lawyer", Role: incident.RoleGuest, ExpiresAt: &exp, Incidents: []string{a.Ref}}, "h")
	if err != nil {
		t.Fatalf("CreateUser(guest) = %v, want no error", err)
	}
	got, err := e.s.GetUser(e.ctx, g.ID)
	if err != nil || !slices.Equal(got.Incidents, []string{a.Ref}) || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Errorf("GetUser(guest) = %+v, %v, want incidents [%s], expiring %v", got, err, a.Ref, exp)
	}
	if got.Expired(e.clk.Now()) || !got.Expired(exp) {
		t.Errorf("guest Expired(now), Expired(expiry) = %v, %v, want false, true", got.Expired(e.clk.Now()), got.Expired(exp))
	}
	empty, err := e.s.CreateUser(e.ctx, "alice", incident.User{Name: "auditor", Role: incident.RoleGuest}, "h")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.GetUser(e.ctx, empty.ID); got.Incidents == nil || len(got.Incidents) != 0 {
		t.Errorf("GetUser(guest without scope).Incidents = %#v, want [] (a guest sees nothing)", got.Incidents)
	}

	upd, err := e.s.UpdateUser(e.ctx, "alice", g.ID, store.UserPatch{Incidents: &[]string{b.Ref, a.Ref}})
	if err != nil {
		t.Fatalf("UpdateUser(guest scope) = %v, want no error", err)
	}
	if got, _ := e.s.GetUser(e.ctx, g.ID); !slices.Equal(got.Incidents, []string{a.Ref, b.Ref}) {
		t.Errorf("GetUser(guest).Incidents after UpdateUser = %v (returned %v), want [%s %s]", got.Incidents, upd.Incidents, a.Ref, b.Ref)
	}
	if _, err := e.s.UpdateUser(e.ctx, "alice", g.ID, store.UserPatch{Incidents: &[]string{b.Ref}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.GetUser(e.ctx, g.ID); !slices.Equal(got.Incidents, []string{b.Ref}) {
		t.Errorf("GetUser(guest).Incidents after narrowing = %v, want [%s]", got.Incidents, b.Ref)
	}
	_, err = e.s.UpdateUser(e.ctx, "alice", g.ID, store.UserPatch{Incidents: &[]string{"INC-2026-9999"}})
	wantValidation(t, "UpdateUser(scope to unknown incident)", err)
	if got, _ := e.s.GetUser(e.ctx, g.ID); !slices.Equal(got.Incidents, []string{b.Ref}) {
		t.Errorf("GetUser(guest).Incidents after a rejected update = %v, want [%s]", got.Incidents, b.Ref)
	}

	before, _ := e.s.CountUsers(e.ctx)
	_, err = e.s.CreateUser(e.ctx, "alice", incident.User{Name: "ghost", Role: incident.RoleGuest, Incidents: []string{"INC-2026-9999"}}, "h")
	wantValidation(t, "CreateUser(guest of unknown incident)", err)
	if n, _ := e.s.CountUsers(e.ctx); n != before {
		t.Errorf("CountUsers() after a rejected guest = %d, want %d", n, before)
	}
	if _, _, err := e.s.UserByName(e.ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByName(ghost) = %v, want ErrNotFound (nothing written)", err)
	}
}

func testTokens(t *testing.T, e *env) {
	u, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "bot", Role: incident.RoleResponder}, "h")
	if err != nil {
		t.Fatal(err)
	}
	exp := e.clk.Now().Add(time.Hour)
	tok, err := e.s.CreateToken(e.ctx, "alice", u.ID, "hunt agent", "hash-short", &exp)
	want := incident.Token{ID: tok.ID, UserID: u.ID, Name: "hunt agent", CreatedAt: e.clk.Now(), ExpiresAt: &exp}
	if err != nil || tok.ID == 0 || !reflect.DeepEqual(tok, want) {
		t.Fatalf("CreateToken() = %+v, %v, want %+v", tok, err, want)
	}
	if _, err := e.s.CreateToken(e.ctx, "alice", u.ID, "forever", "hash-forever", nil); err != nil {
		t.Fatalf("CreateToken(no expiry) = %v, want no error", err)
	}
	if got, err := e.s.UserForToken(e.ctx, "hash-short"); err != nil || got.ID != u.ID || got.Name != "bot" {
		t.Errorf("UserForToken(hash-short) = %+v, %v, want user %d", got, err, u.ID)
	}
	_, err = e.s.UserForToken(e.ctx, "hash-unknown")
	wantIs(t, "UserForToken(unknown)", err, store.ErrNotFound)

	e.clk.Advance(time.Hour - time.Nanosecond)
	if _, err := e.s.UserForToken(e.ctx, "hash-short"); err != nil {
		t.Errorf("UserForToken(1ns before expiry) = %v, want no error", err)
	}
	e.clk.Advance(time.Nanosecond)
	_, err = e.s.UserForToken(e.ctx, "hash-short")
	wantIs(t, "UserForToken(at expiry)", err, store.ErrNotFound)
	e.clk.Advance(365 * 24 * time.Hour)
	_, err = e.s.UserForToken(e.ctx, "hash-short")
	wantIs(t, "UserForToken(long expired)", err, store.ErrNotFound)
	if got, err := e.s.UserForToken(e.ctx, "hash-forever"); err != nil || got.ID != u.ID {
		t.Errorf("UserForToken(no expiry, a year later) = %+v, %v, want user %d", got, err, u.ID)
	}

	_, err = e.s.CreateToken(e.ctx, "alice", u.ID, "", "hash-x", nil)
	wantValidation(t, "CreateToken(no name)", err)
	if _, err := e.s.CreateToken(e.ctx, "alice", 999999, "orphan", "hash-orphan", nil); err == nil {
		t.Errorf("CreateToken(unknown user) = nil, want an error")
	}
	if _, err := e.s.UserForToken(e.ctx, "hash-orphan"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserForToken(hash-orphan) = %v, want ErrNotFound", err)
	}
}

func testSessions(t *testing.T, e *env) {
	u, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "alice", Role: incident.RoleCommander}, "old-hash")
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "victor", Role: incident.RoleViewer}, "h")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"s1", "s2", "s3"} {
		if err := e.s.CreateSession(e.ctx, u, h, time.Hour); err != nil {
			t.Fatalf("CreateSession(%s) = %v, want no error", h, err)
		}
	}
	if err := e.s.CreateSession(e.ctx, v, "v1", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.UserForSession(e.ctx, "s1"); err != nil || got.ID != u.ID {
		t.Errorf("UserForSession(s1) = %+v, %v, want user %d", got, err, u.ID)
	}
	_, err = e.s.UserForSession(e.ctx, "nope")
	wantIs(t, "UserForSession(unknown)", err, store.ErrNotFound)

	if err := e.s.DeleteSession(e.ctx, "s3"); err != nil {
		t.Errorf("DeleteSession(s3) = %v, want nil", err)
	}
	_, err = e.s.UserForSession(e.ctx, "s3")
	wantIs(t, "UserForSession(after logout)", err, store.ErrNotFound)

	if _, err := e.s.UpdateUser(e.ctx, "alice", u.ID, store.UserPatch{Disabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.UserForSession(e.ctx, "s1"); err != nil {
		t.Errorf("UserForSession(s1) after an update without a password = %v, want no error", err)
	}
	if _, err := e.s.UpdateUser(e.ctx, "alice", u.ID, store.UserPatch{PasswordHash: "new-hash"}); err != nil {
		t.Fatalf("UpdateUser(password) = %v, want no error", err)
	}
	for _, h := range []string{"s1", "s2"} {
		_, err := e.s.UserForSession(e.ctx, h)
		wantIs(t, "UserForSession("+h+") after a password change", err, store.ErrNotFound)
	}
	if _, hash, err := e.s.UserByName(e.ctx, "alice"); err != nil || hash != "new-hash" {
		t.Errorf("UserByName(alice) hash = %q, %v, want new-hash", hash, err)
	}
	if got, err := e.s.UserForSession(e.ctx, "v1"); err != nil || got.ID != v.ID {
		t.Errorf("UserForSession(v1) = %+v, %v, want victor's session untouched", got, err)
	}

	if err := e.s.CreateSession(e.ctx, u, "s4", time.Hour); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour - time.Nanosecond)
	if _, err := e.s.UserForSession(e.ctx, "s4"); err != nil {
		t.Errorf("UserForSession(s4) 1ns before expiry = %v, want no error", err)
	}
	e.clk.Advance(time.Nanosecond)
	_, err = e.s.UserForSession(e.ctx, "s4")
	wantIs(t, "UserForSession(s4) at expiry", err, store.ErrNotFound)
	if _, err := e.s.UserForSession(e.ctx, "v1"); err != nil {
		t.Errorf("UserForSession(v1) within its 2h = %v, want no error", err)
	}
	e.clk.Advance(time.Hour)
	_, err = e.s.UserForSession(e.ctx, "v1")
	wantIs(t, "UserForSession(v1) after 2h", err, store.ErrNotFound)
}

// ---- audit ----

func testAuditEveryMutation(t *testing.T, e *env) {
	var (
		ref, ref2                               string
		taskID, assetID, svcID, findingID, evID int64
		userID, guestID                         int64
		user                                    incident.User
		sum                                     = strings.Repeat("ef", 32)
		anchorAt                                = Start.Add(-time.Hour)
	)
	keep := func(id *int64) func(int64, error) error {
		return func(v int64, err error) error { *id = v; return err }
	}
	steps := []struct {
		name, actor, action string
		scoped              bool // the entry names the first incident
		run                 func() error
	}{
		{"CreateIncident", "alice", "incident.create", true, func() error {
			in, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Audit me", Anchors: map[incident.Anchor]incident.AnchorSetting{
				incident.AnchorFirstSignal: {At: anchorAt, Reason: "EDR"}}})
			ref = in.Ref
			return err
		}},
		{"CreateIncident 2", "alice", "incident.create", false, func() error {
			in, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Second"})
			ref2 = in.Ref
			return err
		}},
		{"UpdateIncident", "bob", "incident.update", true, func() error {
			_, err := e.s.UpdateIncident(e.ctx, "bob", ref, store.IncidentPatch{Phase: ptr(incident.PhaseAnalysing), Severity: ptr(incident.SeverityHigh),
				Anchors: map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: anchorAt, Reason: "call"}}, Reason: "why"})
			return err
		}},
		{"AppendEvent", "bob", "event.append", true, func() error {
			_, err := e.s.AppendEvent(e.ctx, "bob", ref, incident.Event{Text: "note"})
			return err
		}},
		{"CreateTask", "bob", "task.create", true, func() error {
			tk, err := e.s.CreateTask(e.ctx, "bob", ref, incident.Task{Title: "do it"})
			return keep(&taskID)(tk.ID, err)
		}},
		{"UpdateTask", "bob", "task.update", true, func() error {
			_, err := e.s.UpdateTask(e.ctx, "bob", ref, taskID, store.TaskPatch{State: ptr(incident.TaskDone)})
			return err
		}},
		{"CreateAsset", "bob", "asset.create", true, func() error {
			a, err := e.s.CreateAsset(e.ctx, "bob", ref, incident.Asset{Name: "web-01"})
			return keep(&assetID)(a.ID, err)
		}},
		{"UpdateAsset", "bob", "asset.update", true, func() error {
			_, err := e.s.UpdateAsset(e.ctx, "bob", ref, assetID, store.AssetPatch{Compromise: ptr(incident.CompromiseSuspected), Reason: "alert"})
			return err
		}},
		{"SetOperational", "bob", "asset.operational", true, func() error {
			_, err := e.s.SetOperational(e.ctx, "bob", ref, assetID, incident.OpIsolated, "contain")
			return err
		}},
		{"CreateService", "bob", "service.create", true, func() error {
			sv, err := e.s.CreateService(e.ctx, "bob", ref, incident.Service{Name: "Portal", DependsOn: []incident.Dependency{{Type: "asset", ID: assetID}}})
			return keep(&svcID)(sv.ID, err)
		}},
		{"UpdateService", "bob", "service.update", true, func() error {
			_, err := e.s.UpdateService(e.ctx, "bob", ref, svcID, store.ServicePatch{Status: ptr(incident.StatusMajor), DependsOn: &[]incident.Dependency{}})
			return err
		}},
		{"AddIndicators", "bob", "indicator.add", true, func() error {
			_, _, err := e.s.AddIndicators(e.ctx, "bob", ref, []incident.Indicator{{Type: incident.IndIPv4, Value: "10.0.0.1"}, {Type: incident.IndDomain, Value: "example.com"}})
			return err
		}},
		{"AddFindings", "hunter", "finding.add", true, func() error {
			fs, _, err := e.s.AddFindings(e.ctx, "hunter", ref, []incident.Finding{finding("a"), finding("b")})
			if err != nil {
				return err
			}
			findingID = fs[0].ID
			return nil
		}},
		{"TriageFinding", "bob", "finding.triage", true, func() error {
			_, err := e.s.TriageFinding(e.ctx, "bob", ref, findingID, incident.FindingConfirmed, "real")
			return err
		}},
		{"AddEvidence", "bob", "evidence.add", true, func() error {
			ev, err := e.s.AddEvidence(e.ctx, "bob", ref, incident.Evidence{Name: "x.evtx", SHA256: sum})
			return keep(&evID)(ev.ID, err)
		}},
		{"AddCustody", "carol", "evidence.custody", true, func() error {
			return e.s.AddCustody(e.ctx, "carol", ref, evID, "transferred", "to lab")
		}},
		{"CreateUser", "setup", "user.create", false, func() error {
			u, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "alice", Role: incident.RoleAdmin}, "h")
			user = u
			return keep(&userID)(u.ID, err)
		}},
		{"CreateUser guest", "alice", "user.create", false, func() error {
			u, err := e.s.CreateUser(e.ctx, "alice", incident.User{Name: "guest", Role: incident.RoleGuest, Incidents: []string{ref, ref2}}, "h")
			return keep(&guestID)(u.ID, err)
		}},
		{"UpdateUser", "alice", "user.update", false, func() error {
			_, err := e.s.UpdateUser(e.ctx, "alice", guestID, store.UserPatch{Incidents: &[]string{ref2}, PasswordHash: "h2"})
			return err
		}},
		{"CreateToken", "alice", "token.create", false, func() error {
			_, err := e.s.CreateToken(e.ctx, "alice", userID, "agent", "tok-hash", nil)
			return err
		}},
		{"CreateSession", "alice", "session.login", false, func() error {
			return e.s.CreateSession(e.ctx, user, "sess", time.Hour)
		}},
		{"Audit", "guest", "incident.view", true, func() error {
			return e.s.Audit(e.ctx, "guest", "incident.view", ref, "", map[string]string{"via": "web"})
		}},
	}
	var n int64
	for _, st := range steps {
		e.clk.Advance(time.Second)
		if err := st.run(); err != nil {
			t.Fatalf("%s = %v, want no error", st.name, err)
		}
		n++
		got := e.auditCount(t)
		if got != n {
			t.Fatalf("VerifyAudit() after %s = %d entries, want %d (exactly one per mutation)", st.name, got, n)
		}
		last, err := e.s.AuditEntries(e.ctx, store.Page{After: n - 1})
		if err != nil || len(last) != 1 {
			t.Fatalf("AuditEntries(after %d) = %+v, %v, want one entry", n-1, last, err)
		}
		en := last[0]
		wantRef := ""
		if st.scoped {
			wantRef = ref
		}
		if en.Seq != n || en.Action != st.action || en.Actor != st.actor || !en.At.Equal(e.clk.Now()) || (st.scoped && en.Incident != wantRef) {
			t.Errorf("audit entry for %s = seq %d, %s by %s at %v on %q, want seq %d, %s by %s at %v on %q",
				st.name, en.Seq, en.Action, en.Actor, en.At, en.Incident, n, st.action, st.actor, e.clk.Now(), wantRef)
		}
	}

	all := collect(t, 3, func(en incident.AuditEntry) int64 { return en.Seq }, func(p store.Page) ([]incident.AuditEntry, error) {
		return e.s.AuditEntries(e.ctx, p)
	})
	if int64(len(all)) != n {
		t.Fatalf("AuditEntries paged by 3 = %d entries, want %d", len(all), n)
	}
	prev := incident.GenesisHash
	for i, en := range all {
		if en.Seq != int64(i+1) || en.PrevHash != prev || en.ComputeHash() != en.Hash {
			t.Errorf("AuditEntries()[%d] = seq %d prev %.12s hash %.12s, want seq %d prev %.12s and a matching hash", i, en.Seq, en.PrevHash, en.Hash, i+1, prev)
		}
		prev = en.Hash
	}
	if d := all[len(all)-1].Detail; d != `{"via":"web"}` {
		t.Errorf("Audit() detail = %q, want %q", d, `{"via":"web"}`)
	}
	if in, err := e.s.GetIncident(e.ctx, ref); err != nil || in.Phase != incident.PhaseAnalysing {
		t.Errorf("GetIncident(%s) = %+v, %v, want the audited changes in place", ref, in, err)
	}
}

func testAuditFailedMutation(t *testing.T, e *env) {
	in := e.incident(t, "Failures")
	other := e.incident(t, "Other")
	a := e.asset(t, in.Ref, "web-01")
	sv, err := e.s.CreateService(e.ctx, "alice", in.Ref, incident.Service{Name: "Portal"})
	if err != nil {
		t.Fatal(err)
	}
	otherEv, err := e.s.AppendEvent(e.ctx, "bob", other.Ref, incident.Event{Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	task, err := e.s.CreateTask(e.ctx, "alice", in.Ref, incident.Task{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{finding("k")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "alice", Role: incident.RoleAdmin}, "h")
	if err != nil {
		t.Fatal(err)
	}
	at := Start.Add(-time.Hour)

	const (
		invalid  = "validation"
		notFound = "not found"
		conflict = "conflict"
		anyErr   = "any error"
	)
	tests := []struct {
		name string
		want string
		run  func() error
	}{
		{"CreateIncident(no title)", invalid, func() error {
			_, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{})
			return err
		}},
		{"CreateIncident(anchor without reason)", invalid, func() error {
			_, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "x", Anchors: map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: at}}})
			return err
		}},
		{"UpdateIncident(unknown anchor)", invalid, func() error {
			_, err := e.s.UpdateIncident(e.ctx, "bob", in.Ref, store.IncidentPatch{Phase: ptr(incident.PhaseClosed),
				Anchors: map[incident.Anchor]incident.AnchorSetting{"made_up_at": {At: at, Reason: "x"}}})
			return err
		}},
		{"UpdateIncident(unknown ref)", notFound, func() error {
			_, err := e.s.UpdateIncident(e.ctx, "bob", "INC-2026-9999", store.IncidentPatch{})
			return err
		}},
		{"AppendEvent(no text)", invalid, func() error {
			_, err := e.s.AppendEvent(e.ctx, "bob", in.Ref, incident.Event{})
			return err
		}},
		{"AppendEvent(corrects another incident's event)", invalid, func() error {
			_, err := e.s.AppendEvent(e.ctx, "bob", in.Ref, incident.Event{Text: "x", Corrects: otherEv.ID})
			return err
		}},
		{"CreateTask(no title)", invalid, func() error {
			_, err := e.s.CreateTask(e.ctx, "bob", in.Ref, incident.Task{})
			return err
		}},
		{"UpdateTask(bad state)", invalid, func() error {
			_, err := e.s.UpdateTask(e.ctx, "bob", in.Ref, task.ID, store.TaskPatch{State: ptr(incident.TaskState("x"))})
			return err
		}},
		{"CreateAsset(duplicate)", conflict, func() error {
			_, err := e.s.CreateAsset(e.ctx, "bob", in.Ref, incident.Asset{Name: "web-01"})
			return err
		}},
		{"UpdateAsset(compromise without reason)", invalid, func() error {
			_, err := e.s.UpdateAsset(e.ctx, "bob", in.Ref, a.ID, store.AssetPatch{Compromise: ptr(incident.CompromiseClean)})
			return err
		}},
		{"SetOperational(no-op)", invalid, func() error {
			_, err := e.s.SetOperational(e.ctx, "bob", in.Ref, a.ID, incident.OpOnline, "x")
			return err
		}},
		{"CreateService(unknown dependency)", invalid, func() error {
			_, err := e.s.CreateService(e.ctx, "bob", in.Ref, incident.Service{Name: "API", DependsOn: []incident.Dependency{{Type: "asset", ID: 999999}}})
			return err
		}},
		{"CreateService(duplicate)", conflict, func() error {
			_, err := e.s.CreateService(e.ctx, "bob", in.Ref, incident.Service{Name: "Portal"})
			return err
		}},
		{"UpdateService(listed twice)", invalid, func() error {
			_, err := e.s.UpdateService(e.ctx, "bob", in.Ref, sv.ID, store.ServicePatch{DependsOn: &[]incident.Dependency{{Type: "asset", ID: a.ID}, {Type: "asset", ID: a.ID}}})
			return err
		}},
		{"AddIndicators(invalid item)", invalid, func() error {
			_, _, err := e.s.AddIndicators(e.ctx, "bob", in.Ref, []incident.Indicator{{Type: incident.IndIPv4, Value: "10.0.0.9"}, {Type: incident.IndIPv4, Value: "x"}})
			return err
		}},
		{"AddFindings(invalid item)", invalid, func() error {
			_, _, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{finding("new"), {Key: "bad"}})
			return err
		}},
		{"TriageFinding(no reason)", invalid, func() error {
			_, err := e.s.TriageFinding(e.ctx, "bob", in.Ref, fs[0].ID, incident.FindingDismissed, "")
			return err
		}},
		{"AddEvidence(../x)", invalid, func() error {
			_, err := e.s.AddEvidence(e.ctx, "bob", in.Ref, incident.Evidence{Name: "../x", SHA256: strings.Repeat("ab", 32)})
			return err
		}},
		{"AddCustody(unknown evidence)", notFound, func() error {
			return e.s.AddCustody(e.ctx, "bob", in.Ref, 999999, "transferred", "")
		}},
		{"CreateUser(duplicate)", conflict, func() error {
			_, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: "alice", Role: incident.RoleViewer}, "h")
			return err
		}},
		{"UpdateUser(bad role)", invalid, func() error {
			_, err := e.s.UpdateUser(e.ctx, "alice", u.ID, store.UserPatch{Role: ptr(incident.Role("x"))})
			return err
		}},
		{"UpdateUser(guest scope to unknown incident)", invalid, func() error {
			_, err := e.s.UpdateUser(e.ctx, "alice", u.ID, store.UserPatch{Role: ptr(incident.RoleGuest), Incidents: &[]string{"INC-2026-9999"}})
			return err
		}},
		{"CreateToken(no name)", invalid, func() error {
			_, err := e.s.CreateToken(e.ctx, "alice", u.ID, "", "h", nil)
			return err
		}},
		{"CreateToken(unknown user)", anyErr, func() error {
			_, err := e.s.CreateToken(e.ctx, "alice", 999999, "x", "h", nil)
			return err
		}},
	}
	entries := e.auditCount(t)
	events := len(e.timeline(t, in.Ref))
	for _, tc := range tests {
		err := tc.run()
		switch tc.want {
		case invalid:
			wantValidation(t, tc.name, err)
		case notFound:
			wantIs(t, tc.name, err, store.ErrNotFound)
		case conflict:
			wantIs(t, tc.name, err, store.ErrConflict)
		default:
			if err == nil {
				t.Errorf("%s = nil, want an error", tc.name)
			}
		}
		if n := e.auditCount(t); n != entries {
			t.Errorf("VerifyAudit() after failed %s = %d entries, want %d (a failed mutation adds none)", tc.name, n, entries)
			entries = n
		}
	}
	if n := len(e.timeline(t, in.Ref)); n != events {
		t.Errorf("timeline after failed mutations has %d events, want %d", n, events)
	}
	if got, err := e.s.GetUser(e.ctx, u.ID); err != nil || got.Role != incident.RoleAdmin {
		t.Errorf("GetUser(alice) after failed updates = %+v, %v, want role admin", got, err)
	}
}

// ---- concurrency ----

func testConcurrentAppend(t *testing.T, e *env) {
	in := e.incident(t, "Busy timeline")
	const workers, each = 8, 50
	ids := make([][]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			actor := fmt.Sprintf("worker-%d", w)
			for i := range each {
				ev, err := e.s.AppendEvent(e.ctx, actor, in.Ref, incident.Event{Text: fmt.Sprintf("%s event %d", actor, i)})
				if err != nil {
					t.Errorf("AppendEvent(%s, %d) = %v, want no error", actor, i, err)
					return
				}
				ids[w] = append(ids[w], ev.ID)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[int64]bool{}
	for w, list := range ids {
		for i, id := range list {
			if seen[id] {
				t.Errorf("event id %d returned twice", id)
			}
			seen[id] = true
			if i > 0 && id <= list[i-1] {
				t.Errorf("worker %d got ids %d then %d, want increasing", w, list[i-1], id)
			}
		}
	}
	if len(seen) != workers*each {
		t.Errorf("AppendEvent returned %d distinct ids, want %d", len(seen), workers*each)
	}
	evs := collect(t, 0, func(ev incident.Event) int64 { return ev.ID }, func(p store.Page) ([]incident.Event, error) {
		return e.s.ListEvents(e.ctx, in.Ref, p)
	})
	if len(evs) != 1+workers*each {
		t.Errorf("ListEvents(%s) = %d events, want %d", in.Ref, len(evs), 1+workers*each)
	}
	for _, ev := range evs[1:] {
		if !seen[ev.ID] {
			t.Errorf("ListEvents(%s) holds event %d that no AppendEvent returned", in.Ref, ev.ID)
		}
	}
	if n := e.auditCount(t); n != 1+workers*each {
		t.Errorf("VerifyAudit() = %d, want %d", n, 1+workers*each)
	}
}

// testVerifyDuringWrites checks that VerifyAudit on a live store, with
// mutations committing while it reads, never reports a broken chain.
func testVerifyDuringWrites(t *testing.T, e *env) {
	in := e.incident(t, "Live verify")
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := e.s.AppendEvent(ctx, "writer", in.Ref, incident.Event{Text: fmt.Sprintf("writer %d event %d", w, i)}); err != nil && ctx.Err() == nil {
					t.Errorf("AppendEvent() = %v, want no error", err)
					return
				}
			}
		})
	}
	failed := 0
	var first error
	for range 100 {
		if _, err := e.s.VerifyAudit(e.ctx); err != nil {
			if failed == 0 {
				first = err
			}
			failed++
		}
	}
	cancel()
	wg.Wait()
	if failed > 0 {
		t.Errorf("VerifyAudit() during writes failed %d of 100 times, first: %v; want no error (each call must read one consistent snapshot)", failed, first)
	}
	e.auditCount(t)
}

// testConcurrentFindings checks that a finding key stays idempotent when
// the same batch arrives several times at once (an agent retrying while its
// first request is still in flight).
func testConcurrentFindings(t *testing.T, e *env) {
	in := e.incident(t, "Retries")
	const rounds, senders = 10, 4
	for r := range rounds {
		key := fmt.Sprintf("hunt-7:web-01:%d", r)
		var mu sync.Mutex
		created := 0
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				_, c, err := e.s.AddFindings(e.ctx, "hunter", in.Ref, []incident.Finding{finding(key)})
				if err != nil {
					t.Errorf("AddFindings(%s) sent %d times at once = %v, want no error", key, senders, err)
					return
				}
				if c[0] {
					mu.Lock()
					created++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if created != 1 {
			t.Errorf("AddFindings(%s) sent %d times at once created it %d times, want once", key, senders, created)
		}
	}
	list, err := e.s.ListFindings(e.ctx, in.Ref, store.Page{})
	if err != nil || len(list) != rounds {
		t.Errorf("ListFindings(%s) = %d findings, %v, want %d", in.Ref, len(list), err, rounds)
	}
	if n := len(findingEvents(e.timeline(t, in.Ref))); n != rounds {
		t.Errorf("timeline has %d finding events, want %d", n, rounds)
	}
	e.auditCount(t)
}

// testConcurrentFailures runs failing and succeeding mutations side by
// side: each failure must undo only itself, whatever a store does to share
// work between concurrent writers.
func testConcurrentFailures(t *testing.T, e *env) {
	in := e.incident(t, "Mixed")
	other := e.incident(t, "Other")
	foreign, err := e.s.AppendEvent(e.ctx, "bob", other.Ref, incident.Event{Text: "elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	e.asset(t, in.Ref, "taken")
	start := e.auditCount(t)
	const workers, each = 8, 25
	var good atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var err error
				var wantFail string
				switch i % 5 {
				case 0: // fails in validation inside the transaction
					_, err = e.s.AppendEvent(e.ctx, "bob", in.Ref, incident.Event{Text: "bad", Corrects: foreign.ID})
					wantFail = "validation"
				case 1: // fails on a unique constraint
					_, err = e.s.CreateAsset(e.ctx, "bob", in.Ref, incident.Asset{Name: "taken"})
					wantFail = "conflict"
				case 2: // fails after the incident counter moved
					_, err = e.s.CreateIncident(e.ctx, "bob", incident.Incident{Title: "bad",
						Anchors: map[incident.Anchor]incident.AnchorSetting{incident.AnchorAware: {At: Start}}})
					wantFail = "validation"
				case 3:
					_, err = e.s.CreateIncident(e.ctx, "bob", incident.Incident{Title: fmt.Sprintf("good %d-%d", w, i)})
				default:
					_, err = e.s.AppendEvent(e.ctx, "bob", in.Ref, incident.Event{Text: fmt.Sprintf("good %d-%d", w, i)})
				}
				switch {
				case wantFail == "" && err != nil:
					t.Errorf("worker %d step %d = %v, want no error", w, i, err)
				case wantFail == "validation" && !isValidation(err):
					t.Errorf("worker %d step %d = %v, want a validation error", w, i, err)
				case wantFail == "conflict" && !errors.Is(err, store.ErrConflict):
					t.Errorf("worker %d step %d = %v, want ErrConflict", w, i, err)
				case wantFail == "":
					good.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := e.auditCount(t); n != start+good.Load() {
		t.Errorf("VerifyAudit() = %d entries, want %d (one per successful mutation, none per failure)", n, start+good.Load())
	}
	evs := e.timeline(t, in.Ref)
	for _, ev := range evs {
		if ev.Text == "bad" {
			t.Errorf("timeline holds a failed event: %+v", ev)
		}
	}
	if want := 1 + workers*each/5; len(evs) != want {
		t.Errorf("timeline has %d events, want %d", len(evs), want)
	}
	list, err := e.s.ListIncidents(e.ctx, store.IncidentFilter{Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range list {
		if want := incident.FormatRef(2026, i+1); x.Ref != want {
			t.Errorf("incident %d is %s, want %s (failed creates must not use up numbers)", i, x.Ref, want)
			break
		}
	}
	if want := 2 + workers*each/5; len(list) != want {
		t.Errorf("ListIncidents() = %d incidents, want %d", len(list), want)
	}
}

// testCancelledWriters has some writers give up (their context ends) while
// others write beside them. A writer that keeps its context must never fail
// because another gave up, and every call must tell the truth: success if
// and only if the event is on the timeline.
func testCancelledWriters(t *testing.T, e *env) {
	in := e.incident(t, "Impatient clients")
	deadline := time.Now().Add(time.Second)
	var mu sync.Mutex
	reported := map[string]bool{} // text → AppendEvent succeeded
	var patientFailures []error
	var wg sync.WaitGroup
	write := func(ctx context.Context, text string) error {
		_, err := e.s.AppendEvent(ctx, "client", in.Ref, incident.Event{Text: text})
		mu.Lock()
		reported[text] = err == nil
		mu.Unlock()
		return err
	}
	for w := range 6 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				if err := write(e.ctx, fmt.Sprintf("patient %d-%d", w, i)); err != nil {
					mu.Lock()
					patientFailures = append(patientFailures, err)
					mu.Unlock()
				}
			}
		})
	}
	for w := range 3 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				ctx, cancel := context.WithTimeout(e.ctx, time.Duration(i*337%2000)*time.Microsecond)
				write(ctx, fmt.Sprintf("impatient %d-%d", w, i))
				cancel()
			}
		})
	}
	wg.Wait()
	if len(patientFailures) > 0 {
		t.Errorf("AppendEvent() with a live context failed %d times beside cancelled writers, first: %v; want no failures", len(patientFailures), patientFailures[0])
	}
	onTimeline := map[string]bool{}
	for _, ev := range collect(t, 1000, func(ev incident.Event) int64 { return ev.ID }, func(p store.Page) ([]incident.Event, error) {
		return e.s.ListEvents(e.ctx, in.Ref, p)
	}) {
		onTimeline[ev.Text] = true
	}
	lied := 0
	for text, ok := range reported {
		if ok != onTimeline[text] {
			if lied < 5 {
				t.Errorf("AppendEvent(%q) reported success=%v, but the event is on the timeline=%v", text, ok, onTimeline[text])
			}
			lied++
		}
	}
	if lied > 0 {
		t.Errorf("%d of %d AppendEvent calls misreported their outcome", lied, len(reported))
	}
	e.auditCount(t)
}

// testTLPRedNamed: a TLP:RED incident is listed only for whoever opened it
// and the people named on it; opening one, or setting TLP:RED, names the
// actor; any user can be named.
func testTLPRedNamed(t *testing.T, e *env) {
	mk := func(name string, role incident.Role) incident.User {
		u, err := e.s.CreateUser(e.ctx, "setup", incident.User{Name: name, Role: role}, "h")
		if err != nil {
			t.Fatalf("CreateUser(%s) = %v", name, err)
		}
		return u
	}
	alice, bob, carol := mk("alice", incident.RoleCommander), mk("bob", incident.RoleResponder), mk("carol", incident.RoleResponder)
	red, err := e.s.CreateIncident(e.ctx, "alice", incident.Incident{Title: "Insider exfiltration", TLP: incident.TLPRed})
	if err != nil {
		t.Fatal(err)
	}
	amber, err := e.s.CreateIncident(e.ctx, "bob", incident.Incident{Title: "Phishing wave"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.UpdateUser(e.ctx, "setup", carol.ID, store.UserPatch{Incidents: &[]string{red.Ref}}); err != nil {
		t.Fatalf("name carol on %s: %v", red.Ref, err)
	}
	refsFor := func(u incident.User) []string {
		u, err := e.s.GetUser(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.s.ListIncidents(e.ctx, store.IncidentFilter{Viewer: u.Name, Named: u.Incidents})
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, in := range list {
			refs = append(refs, in.Ref)
		}
		return refs
	}
	for _, tc := range []struct {
		u    incident.User
		want []string
	}{
		{alice, []string{red.Ref, amber.Ref}}, // opened it, and so named on it
		{bob, []string{amber.Ref}},
		{carol, []string{red.Ref, amber.Ref}}, // named
	} {
		if got := refsFor(tc.u); !slices.Equal(got, tc.want) {
			t.Errorf("ListIncidents(viewer %s) = %v, want %v", tc.u.Name, got, tc.want)
		}
	}
	if got, err := e.s.GetUser(e.ctx, alice.ID); err != nil || !slices.Equal(got.Incidents, []string{red.Ref}) {
		t.Errorf("alice after opening a TLP:RED incident: named on %v, %v; want [%s]", got.Incidents, err, red.Ref)
	}
	if tlp, by, err := e.s.IncidentAccess(e.ctx, red.Ref); err != nil || tlp != incident.TLPRed || by != "alice" {
		t.Errorf("IncidentAccess(%s) = %s, %s, %v; want red, alice", red.Ref, tlp, by, err)
	}
	_, _, err = e.s.IncidentAccess(e.ctx, "INC-2026-9999")
	wantIs(t, "IncidentAccess(missing)", err, store.ErrNotFound)

	// A TLP:RED indicator in an incident others see: listed for whoever
	// added it, hidden from other viewers, all listed without a viewer.
	if _, _, err := e.s.AddIndicators(e.ctx, "bob", amber.Ref, []incident.Indicator{
		{Type: incident.IndDomain, Value: "tipster.example", TLP: incident.TLPRed}, {Type: incident.IndDomain, Value: "c2.example"}}); err != nil {
		t.Fatal(err)
	}
	for viewer, want := range map[string]int{"bob": 2, "alice": 1, "": 2} {
		if list, err := e.s.ListIndicatorsFor(e.ctx, amber.Ref, store.Page{}, viewer); err != nil || len(list) != want {
			t.Errorf("ListIndicatorsFor(%s, viewer %q) = %d indicators, %v; want %d", amber.Ref, viewer, len(list), err, want)
		}
	}

	// Setting TLP:RED names whoever sets it; the others lose the incident.
	if _, err := e.s.UpdateIncident(e.ctx, "carol", amber.Ref, store.IncidentPatch{TLP: ptr(incident.TLPRed), Reason: "customer data"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		u    incident.User
		want []string
	}{
		{alice, []string{red.Ref}},
		{bob, []string{amber.Ref}}, // opened it
		{carol, []string{red.Ref, amber.Ref}},
	} {
		if got := refsFor(tc.u); !slices.Equal(got, tc.want) {
			t.Errorf("after carol set TLP:RED on %s: ListIncidents(viewer %s) = %v, want %v", amber.Ref, tc.u.Name, got, tc.want)
		}
	}
}
