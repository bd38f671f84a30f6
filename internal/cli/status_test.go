package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestServePublicPage starts serve with --public-addr and --status-export-dir
// on the demo and reads the page, the Statuspage API and the export; then
// exports again with `status export` while nothing serves.
func TestServePublicPage(t *testing.T) {
	data := t.TempDir()
	exportDir := filepath.Join(t.TempDir(), "site")
	env := map[string]string{"FIREBREAK_DATA": data, "FIREBREAK_ADMIN_PASSWORD": "a-good-admin-password", "FIREBREAK_PASSWORD_MEMORY_KIB": "64"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, public := make(chan string, 1), make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--public-url", "https://status.nordwave.example",
			"--status-export-dir", exportDir, "--demo"},
			Env{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(k string) string { return env[k] },
				Ready: func(a string) { ready <- a }, PublicReady: func(a string) { public <- a }})
	}()
	var paddr string
	select {
	case paddr = <-public:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	<-ready

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + paddr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/api/v2/summary.json")
	if code != 200 {
		t.Fatalf("summary.json = %d", code)
	}
	var sum struct {
		Page struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"page"`
		Status struct {
			Indicator string `json:"indicator"`
		} `json:"status"`
		Components []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"components"`
		Incidents []struct {
			Name            string            `json:"name"`
			IncidentUpdates []json.RawMessage `json:"incident_updates"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(body), &sum); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, body)
	}
	if sum.Page.Name != "Nordwave Telecom" || sum.Page.URL != "https://status.nordwave.example" || sum.Status.Indicator == "none" {
		t.Errorf("page = %+v, status %+v", sum.Page, sum.Status)
	}
	if len(sum.Incidents) != 1 || len(sum.Incidents[0].IncidentUpdates) != 3 || !strings.Contains(body, "move to rebuilt servers") {
		t.Errorf("incidents = %+v, want the demo's one with 3 published updates (the draft stays private), and its maintenance", sum.Incidents)
	}
	if strings.Contains(body, "The customer portal is back online") {
		t.Error("an unapproved draft is on the public page")
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "Customer hotline") {
		t.Errorf("GET / = %d; want the alternative channels shown while the portal is down", code)
	}
	// The console is not on the public address.
	if code, _ := get("/api/v1/incidents"); code != 404 {
		t.Errorf("GET /api/v1/incidents on the public address = %d, want 404", code)
	}
	if b, err := os.ReadFile(filepath.Join(exportDir, "api", "v2", "summary.json")); err != nil || !strings.Contains(string(b), "Nordwave Telecom") {
		t.Errorf("export dir summary.json: %v", err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	}

	out := filepath.Join(t.TempDir(), "copy")
	r := run(t, env, "status", "export", "--public-url", "https://status.nordwave.example", out)
	if r.code != 0 || !strings.Contains(r.stdout, "written to") {
		t.Fatalf("status export = %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(out, "index.html")); err != nil || !strings.Contains(string(b), "Customer portal (My Nordwave)") {
		t.Errorf("exported index.html: %v", err)
	}
	if r := run(t, env, "status", "export"); r.code != 2 {
		t.Errorf("status export without a directory = %+v, want usage error", r)
	}
}

// TestProbeSetsComponent: a probe of a closed port, naming the demo's
// "Mobile app" component, turns it to a partial outage on the public page
// with no one touching the console — disruption is seen first.
func TestProbeSetsComponent(t *testing.T) {
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := filepath.Join(t.TempDir(), "probes.yml")
	if err := os.WriteFile(cfg, []byte(`probes:
  - name: App backend
    type: tcp
    target: `+closed+`
    interval: 1s
    timeout: 500ms
    thresholds: {failures: 2, successes: 1}
    component: {name: Mobile app, down: partial_outage}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FIREBREAK_DATA": data, "FIREBREAK_ADMIN_PASSWORD": "a-good-admin-password", "FIREBREAK_PASSWORD_MEMORY_KIB": "64"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	public := make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--probes", cfg, "--demo"},
			Env{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(k string) string { return env[k] }, PublicReady: func(a string) { public <- a }})
	}()
	var paddr string
	select {
	case paddr = <-public:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errb.String())
		default:
		}
		resp, err := http.Get("http://" + paddr + "/api/v2/components.json")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Components []struct{ Name, Status string } `json:"components"`
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range doc.Components {
			if c.Name == "Mobile app" && c.Status == "partial_outage" {
				cancel()
				if code := <-done; code != 0 {
					t.Fatalf("serve exited with %d: %s", code, errb.String())
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe did not set Mobile app to partial_outage within 15 s: %+v\n%s", doc.Components, errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeSubscribeAndNotify runs the whole subscriber path through real
// parts: serve with the demo, an SMTP relay (in-process go-smtp), sign-up on
// the public address, the confirmation mail, confirming, then an update
// approved and published through the API — and the notice mail arrives
// with RFC 8058 one-click unsubscribe headers.
func TestServeSubscribeAndNotify(t *testing.T) {
	sk := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: sk}, nil }))
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(sln) }()
	defer srv.Close()

	const publicURL = "https://status.nordwave.example"
	data := t.TempDir()
	env := map[string]string{"FIREBREAK_DATA": data, "FIREBREAK_ADMIN_PASSWORD": "a-good-admin-password", "FIREBREAK_PASSWORD_MEMORY_KIB": "64",
		"FIREBREAK_PUBLIC_URL": publicURL, "FIREBREAK_SMTP_RELAY": sln.Addr().String(), "FIREBREAK_SMTP_FROM": "status@nordwave.example"}
	// A token for the API, made before serving.
	if r := run(t, env, "migrate"); r.code != 0 {
		t.Fatalf("migrate = %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, public := make(chan string, 1), make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--demo"},
			Env{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(k string) string { return env[k] },
				Ready: func(a string) { ready <- a }, PublicReady: func(a string) { public <- a }})
	}()
	var paddr, addr string
	select {
	case paddr = <-public:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	addr = <-ready
	base := "http://" + paddr

	// The page offers the form.
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `action="`+publicURL+`/subscribe"`) {
		t.Fatalf("the status page has no sign-up form posting to %s/subscribe", publicURL)
	}
	resp, err = http.PostForm(base+"/subscribe", url.Values{"email": {"alice@example.com"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /subscribe = %v, %v", resp, err)
	}
	resp.Body.Close()

	waitMail := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			if m := sk.messages(); len(m) >= n {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d mail(s) arrived, want %d\n%s", len(sk.messages()), n, errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	confirmMail := waitMail(1)[0]
	link := regexp.MustCompile(regexp.QuoteMeta(publicURL) + `/subscribe/confirm\?token=[A-Za-z0-9_=-]+`).FindString(unfoldQP(confirmMail))
	if link == "" {
		t.Fatalf("no confirmation link in the mail:\n%s", confirmMail)
	}
	resp, err = http.Post(strings.Replace(link, publicURL, base, 1), "application/x-www-form-urlencoded", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("confirm = %v, %v", resp, err)
	}
	resp.Body.Close()

	// The demo's waiting draft: approve as another user, publish as admin.
	tok := strings.TrimSpace(run(t, env, "token", "create", "--user", "admin").stdout)
	api := func(method, path string, body any, wantCode int) []byte {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, "http://"+addr+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantCode {
			t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	var overview struct {
		Events []struct {
			Updates []struct {
				ID    int64  `json:"id"`
				State string `json:"state"`
			} `json:"updates"`
		} `json:"events"`
	}
	if err := json.Unmarshal(api("GET", "/api/v1/status", nil, 200), &overview); err != nil {
		t.Fatal(err)
	}
	var draftID int64
	for _, ev := range overview.Events {
		for _, u := range ev.Updates {
			if u.State == "draft" {
				draftID = u.ID
			}
		}
	}
	id := strconv.FormatInt(draftID, 10)
	api("POST", "/api/v1/status/updates/"+id+"/approve", nil, 200) // drafted by demo:communications, not admin
	api("POST", "/api/v1/status/updates/"+id+"/publish", nil, 200)

	notice := waitMail(2)[1]
	for _, want := range []string{"List-Unsubscribe: <" + publicURL + "/unsubscribe?token=", "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "back online"} {
		if !strings.Contains(unfoldQP(notice), want) {
			t.Errorf("the notice lacks %q:\n%s", want, notice)
		}
	}
	if to := sk.recipients(); to[1] != "alice@example.com" {
		t.Errorf("notice went to %q", to[1])
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	}
}

// unfoldQP undoes quoted-printable soft line breaks and =3D, enough to read
// links and words in a test.
func unfoldQP(s string) string {
	s = strings.ReplaceAll(s, "=\r\n", "")
	s = strings.ReplaceAll(s, "=\n", "")
	return strings.ReplaceAll(s, "=3D", "=")
}
