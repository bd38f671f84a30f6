package publish

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/status"
	"github.com/firebreak-ir/firebreak/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "firebreak.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func fatal(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// canaries are planted in every internal field of the record; none may
// reach a public response, feed or export.
var canaries = []string{}

func canary(field string) string {
	c := "cnry" + strings.ReplaceAll(field, "_", "") + "x"
	canaries = append(canaries, c)
	return c
}

// TestLeak plants canary strings in every internal field of an incident —
// title, summary, anchors' reasons, timeline (internal and public-worthy),
// tasks, assets, services, indicators, findings, evidence, users, and the
// status page's own unpublished and discarded drafts and authors — then
// renders the public page through the Publisher and asserts that no
// canary appears in any response of the public server (plain and gzip),
// nor in the static export.
func TestLeak(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	drafter, approver := canary("drafter"), canary("approver")

	in, err := st.CreateIncident(ctx, canary("creator"), incident.Incident{Title: canary("title"), Summary: canary("summary"),
		Severity: incident.SeverityCritical})
	fatal(t, err)
	ref := in.Ref
	for _, vis := range []incident.Visibility{incident.VisibilityInternal, incident.VisibilityPublic} {
		_, err = st.AppendEvent(ctx, canary("eventactor"+string(vis)), ref, incident.Event{Kind: incident.KindNote, Text: canary("timeline" + string(vis)), Visibility: vis})
		fatal(t, err)
	}
	_, err = st.CreateTask(ctx, "alice", ref, incident.Task{Title: canary("tasktitle"), Detail: canary("taskdetail"), Assignee: canary("assignee")})
	fatal(t, err)
	asset, err := st.CreateAsset(ctx, "alice", ref, incident.Asset{Name: canary("assetname"), Notes: canary("assetnotes"), Region: canary("region")})
	fatal(t, err)
	svc, err := st.CreateService(ctx, "alice", ref, incident.Service{Name: canary("servicename"), Description: canary("servicedesc"),
		Status: incident.StatusMajor, DependsOn: []incident.Dependency{{Type: "asset", ID: asset.ID}}})
	fatal(t, err)
	_, err = st.SetOperational(ctx, "alice", ref, asset.ID, incident.OpOffline, canary("operationalreason"))
	fatal(t, err)
	_, _, err = st.AddIndicators(ctx, "alice", ref, []incident.Indicator{{Type: incident.IndDomain, Value: canary("indicator") + ".example", Note: canary("indicatornote")}})
	fatal(t, err)
	_, _, err = st.AddFindings(ctx, "alice", ref, []incident.Finding{{Key: "k1", Rule: canary("findingrule"), Title: canary("findingtitle"),
		Host: canary("findinghost"), File: canary("findingfile"), Fields: map[string]string{"cs-uri-stem": canary("findingfield")}}})
	fatal(t, err)
	_, err = st.AddEvidence(ctx, "alice", ref, incident.Evidence{Name: canary("evidencename") + ".log", SHA256: strings.Repeat("ab", 32), Size: 3,
		Description: canary("evidencedesc")})
	fatal(t, err)

	// The public side: a component standing for the service, a published
	// update (public on purpose), a pending draft and a discarded one.
	comp, err := st.CreateComponent(ctx, "admin", store.StatusComponent{Name: "Customer portal", ServiceIDs: []int64{svc.ID}})
	fatal(t, err)
	ev, err := st.CreateStatusEvent(ctx, drafter, store.NewStatusEvent{IncidentRef: ref, Name: "Portal offline",
		Update: store.NewStatusUpdate{Status: "investigating", Body: "We took the portal offline.",
			Affected: []store.Affected{{ComponentID: comp.ID, Status: incident.StatusMajor}}}})
	fatal(t, err)
	_, err = st.ApproveStatusUpdate(ctx, approver, ev.Updates[0].ID)
	fatal(t, err)
	_, err = st.PublishStatusUpdate(ctx, drafter, ev.Updates[0].ID)
	fatal(t, err)
	_, err = st.DraftStatusUpdate(ctx, drafter, ev.ID, store.NewStatusUpdate{Status: "resolved", Body: canary("pendingdraft")})
	fatal(t, err)
	gone, err := st.DraftStatusUpdate(ctx, drafter, ev.ID, store.NewStatusUpdate{Status: "resolved", Body: canary("discardeddraft")})
	fatal(t, err)
	if err := st.DiscardStatusUpdate(ctx, drafter, gone.ID); err != nil {
		t.Fatal(err)
	}
	// A draft public incident never published.
	_, err = st.CreateStatusEvent(ctx, drafter, store.NewStatusEvent{IncidentRef: ref, Name: canary("unpublishedevent"),
		Update: store.NewStatusUpdate{Status: "investigating", Body: canary("unpublishedbody")}})
	fatal(t, err)

	srv := status.NewServer(nil)
	exportDir := filepath.Join(t.TempDir(), "site")
	p := New(st, srv, Options{Defaults: store.StatusSettings{Name: "Example", URL: "https://status.example.com"}, ExportDir: exportDir})
	if err := p.Refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	snap := srv.Snapshot()
	if len(snap.Paths()) < 10 {
		t.Fatalf("snapshot has only %d paths", len(snap.Paths()))
	}
	// The published update is there: the test looks in the right place.
	sawPublic := false
	for _, path := range append(snap.Paths(), "/no-such-page") {
		for _, gz := range []bool{false, true} {
			req := httptest.NewRequest("GET", path, nil)
			if gz {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			if rec.Header().Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
			if strings.Contains(string(body), "We took the portal offline.") {
				sawPublic = true
			}
			checkNoCanary(t, "GET "+path, string(body)+headerText(rec.Header()))
		}
	}
	if !sawPublic {
		t.Fatal("the published update is on no page: the leak test checks nothing")
	}
	files := 0
	err = filepath.WalkDir(exportDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checkNoCanary(t, path, path+string(b))
		return nil
	})
	if err != nil || files < 10 {
		t.Fatalf("export: %d files, %v", files, err)
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	return b.String()
}

func checkNoCanary(t *testing.T, where, text string) {
	t.Helper()
	low := strings.ToLower(text)
	for _, c := range canaries {
		if strings.Contains(low, c) {
			t.Errorf("%s shows internal data %q", where, c)
		}
	}
}

// TestPublisherFollowsVersion: Refresh renders only when the version moved,
// and Run picks up a change made through another Store (another replica).
func TestPublisherFollowsVersion(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "firebreak.db"), store.Options{})
	fatal(t, err)
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, filepath.Join(dir, "firebreak.db"), store.Options{})
	fatal(t, err)
	defer other.Close()

	srv := status.NewServer(nil)
	p := New(st, srv, Options{Defaults: store.StatusSettings{Name: "Example", URL: "https://status.example.com"}, Poll: 20 * time.Millisecond})
	if err := p.Refresh(ctx, false); err != nil {
		t.Fatal(err)
	}
	first := srv.Snapshot()
	if err := p.Refresh(ctx, false); err != nil {
		t.Fatal(err)
	}
	if srv.Snapshot() != first {
		t.Error("Refresh re-rendered without a change")
	}
	go p.Run(ctx)
	_, err = other.CreateComponent(ctx, "admin", store.StatusComponent{Name: "Voice API"})
	fatal(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if e, ok := srv.Snapshot().Lookup("/api/v2/components.json"); ok && strings.Contains(string(e.Body), "Voice API") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("a change through another store did not reach the page within 5 s")
}

// TestPageOutlivesTheStore: once rendered, the page is served with the
// database gone — what "the console can be down and the page still serves"
// rests on — and a failed refresh leaves the last page in place.
func TestPageOutlivesTheStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	_, err := st.CreateComponent(ctx, "admin", store.StatusComponent{Name: "Customer portal"})
	fatal(t, err)
	srv := status.NewServer(nil)
	p := New(st, srv, Options{Defaults: store.StatusSettings{Name: "Example", URL: "https://status.example.com"}})
	fatal(t, p.Refresh(ctx, true))
	st.Close()
	if err := p.Refresh(ctx, true); err == nil {
		t.Fatal("Refresh with the store closed succeeded")
	}
	for _, path := range []string{"/", "/api/v2/summary.json", "/history.atom"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || (path != "/history.atom" && !strings.Contains(rec.Body.String(), "Customer portal")) {
			t.Errorf("GET %s with the database closed = %d", path, rec.Code)
		}
	}
}

// TestCheckRefusesWhatCannotRender: with the check installed, a channel
// the renderer would refuse is refused by the store, and the page keeps
// rendering.
func TestCheckRefusesWhatCannotRender(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	defaults := store.StatusSettings{Name: "Example", URL: "https://status.example.com"}
	st.SetStatusCheck(Check(defaults))
	err := st.SetStatusChannels(ctx, "admin", []store.StatusChannel{{Kind: "phone", Label: "Front desk", Value: "call the front desk"}})
	var ve *incident.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Field, "channels[0].value") {
		t.Fatalf("a phone channel without a number = %v, want a validation error on channels[0].value", err)
	}
	if err := st.SetStatusChannels(ctx, "admin", []store.StatusChannel{{Kind: "phone", Label: "Front desk", Value: "+31 800 0123"}}); err != nil {
		t.Fatalf("a good channel: %v", err)
	}
	srv := status.NewServer(nil)
	if err := New(st, srv, Options{Defaults: defaults}).Refresh(ctx, true); err != nil {
		t.Fatalf("the page does not render: %v", err)
	}
}

// TestPublisherStartsMaintenance: Run moves a maintenance whose window has
// opened, and the page shows it in progress with its component under
// maintenance, with nobody publishing anything.
func TestPublisherStartsMaintenance(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	c, err := st.CreateComponent(ctx, "admin", store.StatusComponent{Name: "Voice API"})
	fatal(t, err)
	from, until := time.Now().Add(300*time.Millisecond), time.Now().Add(time.Hour)
	ev, err := st.CreateStatusEvent(ctx, "carol", store.NewStatusEvent{Kind: store.EventMaintenance, Name: "Core router replacement",
		ScheduledFor: &from, ScheduledUntil: &until,
		Update: store.NewStatusUpdate{Status: "scheduled", Body: "Planned work.", Affected: []store.Affected{{ComponentID: c.ID, Status: "operational"}}}})
	fatal(t, err)
	_, err = st.ApproveStatusUpdate(ctx, "dave", ev.Updates[0].ID)
	fatal(t, err)
	_, err = st.PublishStatusUpdate(ctx, "dave", ev.Updates[0].ID)
	fatal(t, err)

	srv := status.NewServer(nil)
	p := New(st, srv, Options{Defaults: store.StatusSettings{Name: "Example", URL: "https://status.example.com"}, Poll: 20 * time.Millisecond,
		Schedule: 50 * time.Millisecond})
	fatal(t, p.Refresh(ctx, true))
	go p.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m, ok1 := srv.Snapshot().Lookup("/api/v2/scheduled-maintenances/active.json")
		comps, ok2 := srv.Snapshot().Lookup("/api/v2/components.json")
		if ok1 && ok2 && strings.Contains(string(m.Body), `"in_progress"`) && strings.Contains(string(m.Body), store.MaintenanceStartedBody) &&
			strings.Contains(string(comps.Body), `"under_maintenance"`) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	m, _ := srv.Snapshot().Lookup("/api/v2/scheduled-maintenances/active.json")
	t.Fatalf("the maintenance did not start on the page within 5 s: %s", m.Body)
}
