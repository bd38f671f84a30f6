package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/publish"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// testPassword is every fixture user's password.
const testPassword = "correct horse battery staple"

// Caller names besides the roles of incident.Roles.
const (
	anonymous = "anonymous"
	expired   = "expired-guest"
)

// testUser is a fixture user with an API token and a browser session.
type testUser struct {
	user    incident.User
	token   string
	session string
}

// testIncident is a fixture incident and one item of each kind on it.
type testIncident struct {
	Ref                                                       string
	Asset, Service, Task, Finding, Indicator, Evidence, Event int64
}

// fixture is a Server on a fresh, migrated SQLite store holding one user
// per role, a guest scoped to incident A, an expired guest scoped to A, a
// user for administration to act on, and incidents A and B.
type fixture struct {
	t     testing.TB
	srv   *Server
	st    *store.Store
	blobs store.Blobs
	opt   Options
	users map[string]*testUser // by role name, plus expired
	// target is a user that the user administration routes act on.
	target incident.User
	// login is a user only the login routes sign in as.
	login incident.User
	A, B  testIncident
	seq   int
	// static is a static asset's URL as linked from the pages.
	static string
}

// newFixture builds a fixture; edit adjusts the server's options.
func newFixture(t testing.TB, edit ...func(*Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "firebreak.db"), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	// As serve does: the store refuses status changes the page could not render.
	st.SetStatusCheck(publish.Check(store.StatusSettings{Name: "Example", URL: "https://status.example.com"}))
	f := &fixture{t: t, st: st, blobs: store.Blobs{Dir: filepath.Join(dir, "blobs")}, users: map[string]*testUser{}}
	f.opt = Options{Store: st, Blobs: f.blobs, Passwords: auth.TestParams, Version: "test"}
	for _, e := range edit {
		e(&f.opt)
	}
	f.srv = New(f.opt)

	f.A = f.makeIncident("Incident A")
	f.B = f.makeIncident("Incident B")

	now := time.Now().UTC()
	soon, past := now.Add(24*time.Hour), now.Add(-time.Hour)
	for _, role := range incident.Roles {
		u := incident.User{Name: "u-" + string(role), Role: role}
		if role == incident.RoleGuest {
			u.ExpiresAt, u.Incidents = &soon, []string{f.A.Ref}
		}
		f.users[string(role)] = f.makeUser(u)
	}
	f.users[expired] = f.makeUser(incident.User{Name: "u-expired", Role: incident.RoleGuest, ExpiresAt: &past, Incidents: []string{f.A.Ref}})
	f.target = f.makeUser(incident.User{Name: "u-target", Role: incident.RoleViewer}).user
	f.login = f.makeUser(incident.User{Name: "u-login", Role: incident.RoleViewer}).user
	return f
}

// reportTo makes the fixture's helpers report to t, a subtest, until the
// returned function restores the parent: FailNow must run on t's goroutine.
func (f *fixture) reportTo(t *testing.T) (restore func()) {
	parent := f.t
	f.t = t
	return func() { f.t = parent }
}

func (f *fixture) must(err error, what string) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("fixture: %s: %v", what, err)
	}
}

// makeUser stores u with testPassword, an API token and a session.
func (f *fixture) makeUser(u incident.User) *testUser {
	f.t.Helper()
	ctx := context.Background()
	hash, err := auth.HashPassword(testPassword, auth.TestParams)
	f.must(err, "hash password")
	u, err = f.st.CreateUser(ctx, "fixture", u, hash)
	f.must(err, "create user "+u.Name)
	tok, tokHash := auth.NewToken()
	_, err = f.st.CreateToken(ctx, "fixture", u.ID, "test", tokHash, nil)
	f.must(err, "create token for "+u.Name)
	secret := auth.NewSecret()
	f.must(f.st.CreateSession(ctx, u, auth.HashSecret(secret), time.Hour), "create session for "+u.Name)
	return &testUser{user: u, token: tok, session: secret}
}

// makeIncident stores an incident with an asset, a service depending on
// it, a task, a finding, an indicator and an evidence item.
func (f *fixture) makeIncident(title string) testIncident {
	f.t.Helper()
	ctx := context.Background()
	in, err := f.st.CreateIncident(ctx, "fixture", incident.Incident{Title: title, Severity: incident.SeverityHigh})
	f.must(err, "create incident")
	ti := testIncident{Ref: in.Ref}
	a, err := f.st.CreateAsset(ctx, "fixture", in.Ref, incident.Asset{Name: "web-01", InternetFacing: true})
	f.must(err, "create asset")
	ti.Asset = a.ID
	sv, err := f.st.CreateService(ctx, "fixture", in.Ref, incident.Service{Name: "Portal",
		DependsOn: []incident.Dependency{{Type: "asset", ID: a.ID}}})
	f.must(err, "create service")
	ti.Service = sv.ID
	task, err := f.st.CreateTask(ctx, "fixture", in.Ref, incident.Task{Title: "Collect logs"})
	f.must(err, "create task")
	ti.Task = task.ID
	fnds, _, err := f.st.AddFindings(ctx, "fixture", in.Ref, []incident.Finding{{Key: "seed-1", Rule: "webshell", Title: "Webshell request", Host: "web-01"}})
	f.must(err, "add finding")
	ti.Finding, ti.Event = fnds[0].ID, fnds[0].EventID
	inds, _, err := f.st.AddIndicators(ctx, "fixture", in.Ref, []incident.Indicator{{Type: incident.IndIPv4, Value: "198.51.100.7"}})
	f.must(err, "add indicator")
	ti.Indicator = inds[0].ID
	sum, size, err := f.blobs.Put(strings.NewReader("<?php eval($_POST['x']); ?>"+title), 1<<20)
	f.must(err, "put evidence")
	ev, err := f.st.AddEvidence(ctx, "fixture", in.Ref, incident.Evidence{Name: "shell.php", SHA256: sum, Size: size, ContentType: "text/plain"})
	f.must(err, "add evidence")
	ti.Evidence = ev.ID
	return ti
}

// unique returns a fresh name for things that must be unique.
func (f *fixture) unique(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s-%d", prefix, f.seq)
}

// newRequest builds a request as who (a role name, expired or anonymous).
// A JSON body is sent as application/json.
func (f *fixture) newRequest(who, method, target string, body []byte, contentType string) *http.Request {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if who != anonymous {
		u, ok := f.users[who]
		if !ok {
			f.t.Fatalf("no fixture user %q", who)
		}
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	return req
}

// serve runs req through the server.
func (f *fixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

// do sends a request as who with an optional JSON body (a string, []byte
// or a value to encode).
func (f *fixture) do(who, method, target string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var b []byte
	ct := ""
	switch v := body.(type) {
	case nil:
	case string:
		b, ct = []byte(v), "application/json"
	case []byte:
		b, ct = v, "application/json"
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			f.t.Fatalf("encode body: %v", err)
		}
		ct = "application/json"
	}
	return f.serve(f.newRequest(who, method, target, b, ct))
}

// multipartBody builds an evidence upload: a description part (unless
// empty), then a file part named filename.
func multipartBody(filename string, content []byte, description string) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if description != "" {
		mw.WriteField("description", description)
	}
	h := textproto.MIMEHeader{}
	// The name exactly as given: path-like names must reach the server.
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, filename))
	h.Set("Content-Type", "text/plain")
	w, _ := mw.CreatePart(h)
	w.Write(content)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// apiErr is the JSON error shape.
type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeError parses a JSON error response, failing the test if it is not one.
func decodeError(t *testing.T, rec *httptest.ResponseRecorder) apiErr {
	t.Helper()
	var e apiErr
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error response Content-Type = %q, want application/json; body %q", ct, rec.Body.String())
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %q is not {\"error\":{\"code\",\"message\"}} (%v)", rec.Body.String(), err)
	}
	return e
}

// decodeBody parses a JSON response into v.
func decodeBody(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("response %q: %v", rec.Body.String(), err)
	}
}

var staticHref = regexp.MustCompile(`href="(/static/[^"]+)"`)

// staticURL returns the URL of a static asset as linked from the login page.
func (f *fixture) staticURL() string {
	f.t.Helper()
	rec := f.do(anonymous, "GET", "/login", nil)
	m := staticHref.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		f.t.Fatalf("GET /login = %d without a /static/ link: %q", rec.Code, rec.Body.String())
	}
	return m[1]
}

// snapshot is everything the record holds, to show that a refused request
// wrote nothing: each collection of each incident as JSON, the number of
// audit entries (the chain verified) and the number of stored blobs.
type snapshot map[string]string

func (f *fixture) snapshot() snapshot {
	f.t.Helper()
	ctx := context.Background()
	s := snapshot{}
	put := func(key string, v any, err error) {
		f.must(err, "snapshot "+key)
		b, _ := json.Marshal(v)
		s[key] = string(b)
	}
	all := store.Page{Limit: 1000}
	incs, err := f.st.ListIncidents(ctx, store.IncidentFilter{Page: all})
	put("incidents", incs, err)
	for _, in := range incs {
		full, err := f.st.GetIncident(ctx, in.Ref)
		put(in.Ref, full, err)
		evs, err := f.st.ListEvents(ctx, in.Ref, all)
		put(in.Ref+" events", evs, err)
		tasks, err := f.st.ListTasks(ctx, in.Ref, all)
		put(in.Ref+" tasks", tasks, err)
		assets, err := f.st.ListAssets(ctx, in.Ref, all)
		put(in.Ref+" assets", assets, err)
		svcs, err := f.st.ListServices(ctx, in.Ref)
		put(in.Ref+" services", svcs, err)
		inds, err := f.st.ListIndicators(ctx, in.Ref, all)
		put(in.Ref+" indicators", inds, err)
		fnds, err := f.st.ListFindings(ctx, in.Ref, all)
		put(in.Ref+" findings", fnds, err)
		evids, err := f.st.ListEvidence(ctx, in.Ref, all)
		put(in.Ref+" evidence", evids, err)
		for _, e := range evids {
			full, err := f.st.GetEvidence(ctx, in.Ref, e.ID)
			put(fmt.Sprintf("%s evidence %d", in.Ref, e.ID), full, err)
		}
	}
	users, err := f.st.ListUsers(ctx)
	put("users", users, err)
	n, err := f.st.VerifyAudit(ctx)
	put("audit entries", n, err)
	blobs := 0
	err = filepath.WalkDir(f.blobs.Dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs++
		}
		return err
	})
	put("blob files", blobs, err)
	return s
}

// sameAs fails the test for every collection that differs from before.
func (s snapshot) sameAs(t *testing.T, before snapshot) {
	t.Helper()
	for k, v := range before {
		if s[k] != v {
			t.Errorf("%s changed:\n before %s\n after  %s", k, v, s[k])
		}
	}
	for k, v := range s {
		if _, ok := before[k]; !ok {
			t.Errorf("%s appeared: %s", k, v)
		}
	}
}

// auditCount returns the number of entries in the verified audit chain.
func (f *fixture) auditCount() int64 {
	f.t.Helper()
	n, err := f.st.VerifyAudit(context.Background())
	f.must(err, "verify audit")
	return n
}
