package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/demo"
	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/publish"
	"github.com/firebreak-ir/firebreak/internal/status"
	"github.com/firebreak-ir/firebreak/internal/store"
	"github.com/firebreak-ir/firebreak/internal/web"
)

// testTimeout bounds each test's browser work; a healthy run needs a
// fraction of it.
const testTimeout = 60 * time.Second

// password is every test user's password.
const password = "correct horse battery staple"

// Test users, created in the store by newEnv.
const (
	adminUser     = "admin"
	responderUser = "j.berg"
	guestUser     = "kestrel-ir"
)

// otherTitle is the title of the second incident, outside the guest's scope.
const otherTitle = "Invoice-fraud phishing against the finance team"

// env is a Firebreak server in this process, on a fresh SQLite store that
// holds the demo incident, a second incident and the test users.
type env struct {
	url string
	// publicURL serves the status page, kept current by a publisher.
	publicURL string
	st        *store.Store
	blobs     store.Blobs
	demoRef   string
	otherRef  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, nil, nil)
}

// newEnvAt is newEnv with clocks for the store (when things are recorded)
// and the web server (what the pages count from); nil is the real time.
func newEnvAt(t *testing.T, storeNow, webNow func() time.Time) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "firebreak.db"), store.Options{Now: storeNow})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	st.SetStatusCheck(publish.Check(store.StatusSettings{Name: "Example", URL: "http://status.invalid"}))
	e := &env{st: st, blobs: store.Blobs{Dir: filepath.Join(dir, "evidence")}}
	if e.demoRef, _, err = demo.Load(ctx, st, "demo"); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	other, err := st.CreateIncident(ctx, "e2e", incident.Incident{Title: otherTitle, Severity: incident.SeverityMedium})
	if err != nil {
		t.Fatalf("create second incident: %v", err)
	}
	e.otherRef = other.Ref

	hash, err := auth.HashPassword(password, auth.TestParams)
	if err != nil {
		t.Fatalf("hash password: %v", err)
	}
	until := time.Now().UTC().Add(24 * time.Hour)
	for _, u := range []incident.User{
		{Name: adminUser, Role: incident.RoleAdmin},
		{Name: responderUser, Role: incident.RoleResponder},
		{Name: guestUser, Role: incident.RoleGuest, ExpiresAt: &until, Incidents: []string{e.demoRef}},
	} {
		if _, err := st.CreateUser(ctx, "e2e", u, hash); err != nil {
			t.Fatalf("create user %s: %v", u.Name, err)
		}
	}

	pageSrv := status.NewServer(nil)
	pub := publish.New(st, pageSrv, publish.Options{Defaults: store.StatusSettings{Name: "Example", URL: "http://status.invalid"}, Now: webNow})
	if err := pub.Refresh(ctx, true); err != nil {
		t.Fatalf("render the status page: %v", err)
	}
	pctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go pub.Run(pctx)
	phs := httptest.NewServer(pageSrv)
	t.Cleanup(phs.Close)
	e.publicURL = phs.URL

	srv := web.New(web.Options{Store: st, Blobs: e.blobs, Passwords: auth.TestParams, Version: "e2e", Now: webNow,
		StatusChanged: pub.Kick, PublicURL: phs.URL})
	hs := httptest.NewServer(srv)
	// Browsers hold live-timeline streams open; the tabs close first
	// (cleanups run last-in, first-out), and any stream left is cut here.
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	e.url = hs.URL
	return e
}

// chromiumPath finds the browser: FIREBREAK_CHROMIUM, then the usual names
// in PATH, then Debian's location.
func chromiumPath() string {
	if p := os.Getenv("FIREBREAK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// browser is one headless Chromium shared by the package's tests; each
// tab gets its own browser context (cookies, storage), so tests and the
// two "responders" of the live test do not see each other's sessions.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// startBrowser starts Chromium once, or skips the test when there is none
// (fails instead under FIREBREAK_REQUIRE_ALL=1, as in CI).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("FIREBREAK_REQUIRE_ALL") == "1" {
			t.Fatal("Chromium not found (install Debian's chromium or set FIREBREAK_CHROMIUM), and FIREBREAK_REQUIRE_ALL=1 forbids skipping")
		}
		t.Skip("Chromium not found (install Debian's chromium or set FIREBREAK_CHROMIUM)")
	}
	browser.once.Do(func() {
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.DisableGPU,
			// Tests often run as root (CI), where Chromium's sandbox
			// cannot start; the pages are our own, on loopback.
			chromedp.NoSandbox,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-dev-shm-usage", true),
			// The network is closed here: no background fetches, updates or sync.
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("mute-audio", true),
			chromedp.WindowSize(1280, 900),
			// No user-data-dir: chromedp makes a fresh temporary one and
			// removes it when the browser stops.
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc() }
		// The first Run starts the browser; it must not carry a deadline,
		// which would stop the browser when it passed.
		browser.err = chromedp.Run(ctx)
	})
	if browser.err != nil {
		t.Fatalf("start Chromium (%s): %v", path, browser.err)
	}
	return browser.ctx
}

// tab is one page in its own browser context, with what its pages logged.
type tab struct {
	t        *testing.T
	name     string
	e        *env
	root     context.Context // the tab's chromedp context, without deadline
	deadline time.Time

	mu       sync.Mutex
	problems []string // console errors, exceptions, CSP violations
	streams  chan string
}

// newTab opens a tab in a new browser context. Its steps share a deadline
// of testTimeout from now.
func newTab(t *testing.T, e *env, name string) *tab {
	t.Helper()
	b := startBrowser(t)
	// chromedp.WithNewBrowserContext asks for the tab without a window of
	// its own, which this Chromium refuses ("no browser is open"), so the
	// context and its tab are made here.
	var bcid cdp.BrowserContextID
	var id target.ID
	err := onBrowser(b, func(ctx context.Context) error {
		var err error
		if bcid, err = target.CreateBrowserContext().WithDisposeOnDetach(true).Do(ctx); err != nil {
			return err
		}
		id, err = target.CreateTarget("about:blank").WithBrowserContextID(bcid).WithNewWindow(true).Do(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("open tab %s: %v", name, err)
	}
	ctx, cancel := chromedp.NewContext(b, chromedp.WithTargetID(id))
	t.Cleanup(func() {
		cancel() // closes the tab
		if err := onBrowser(b, target.DisposeBrowserContext(bcid).Do); err != nil {
			t.Logf("dispose the browser context of %s: %v", name, err)
		}
	})
	tb := &tab{t: t, name: name, e: e, root: ctx, deadline: time.Now().Add(testTimeout), streams: make(chan string, 16)}
	chromedp.ListenTarget(ctx, tb.listen)
	if err := chromedp.Run(ctx); err != nil { // attach to the tab
		t.Fatalf("attach to tab %s: %v", name, err)
	}
	return tb
}

// onBrowser runs a browser-level command (not one of a tab), with a bound.
func onBrowser(b context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(b, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		return do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
	}))
}

// listen records what a page reports as going wrong: console.error and
// console.warn calls, uncaught exceptions, and error or warning log
// entries, which is where Chromium reports CSP violations and failed loads.
// It also reports each live-timeline stream the page opens.
func (tb *tab) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning || ev.Type == runtime.APITypeAssert {
			var args []string
			for _, a := range ev.Args {
				if a.Description != "" {
					args = append(args, a.Description)
				} else {
					args = append(args, string(a.Value))
				}
			}
			p = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = fmt.Sprintf("uncaught exception: %s", d.Text)
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.LevelError || ev.Entry.Level == log.LevelWarning {
			p = fmt.Sprintf("log %s/%s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventResponseReceived:
		if strings.HasSuffix(ev.Response.URL, "/events/stream") {
			select {
			case tb.streams <- ev.Response.URL:
			default:
			}
		}
	}
	if p != "" {
		tb.mu.Lock()
		tb.problems = append(tb.problems, p)
		tb.mu.Unlock()
	}
}

// takeProblems returns and forgets what the pages reported so far. A
// round trip to the page first makes sure its earlier events were seen.
func (tb *tab) takeProblems() []string {
	tb.t.Helper()
	var one int
	tb.run("sync with the page", chromedp.Evaluate(`1`, &one))
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.problems
	tb.problems = nil
	return p
}

// checkClean fails when the pages shown since the last check logged a
// console error, an exception or a CSP violation.
func (tb *tab) checkClean(page string) {
	tb.t.Helper()
	if p := tb.takeProblems(); len(p) > 0 {
		tb.fatalf("%s logged %d problem(s):\n  %s", page, len(p), strings.Join(p, "\n  "))
	}
}

// run runs actions before the tab's deadline, failing the test with a
// screenshot and the page's HTML on error.
func (tb *tab) run(what string, actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithDeadline(tb.root, tb.deadline)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		tb.fatalf("%s: %v", what, err)
	}
}

// runWithin is run with a tighter bound, for things that must be quick.
func (tb *tab) runWithin(d time.Duration, what string, actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.root, d)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		tb.fatalf("%s (within %v): %v", what, d, err)
	}
}

// navigate runs an action that loads a page (a navigation, a click on a
// submit button) and checks the final response's status.
func (tb *tab) navigate(what string, want int, action chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithDeadline(tb.root, tb.deadline)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		tb.fatalf("%s: %v", what, err)
	}
	if resp == nil {
		tb.fatalf("%s: no response", what)
	}
	if int(resp.Status) != want {
		tb.fatalf("%s: %s answered %d, want %d", what, resp.URL, resp.Status, want)
	}
}

// open loads a path of the test server and checks the status.
func (tb *tab) open(path string, want int) {
	tb.t.Helper()
	tb.navigate("GET "+path, want, chromedp.Navigate(tb.e.url+path))
}

// submit clicks a submit button (a CSS selector) and checks the status of
// the page the form leads to.
func (tb *tab) submit(what, button string, want int) {
	tb.t.Helper()
	tb.navigate(what, want, chromedp.Click(button, chromedp.ByQuery, chromedp.NodeVisible))
}

// path returns the path (and query) of the page shown.
func (tb *tab) path() string {
	tb.t.Helper()
	var loc string
	tb.run("read location", chromedp.Location(&loc))
	u, err := url.Parse(loc)
	if err != nil {
		tb.fatalf("parse location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// text returns the text content of the first element matching a CSS selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	var s string
	tb.run("read "+sel, chromedp.TextContent(sel, &s, chromedp.ByQuery))
	return s
}

// login signs in through the login form and checks that it lands on the
// incident list.
func (tb *tab) login(user string) {
	tb.t.Helper()
	tb.open("/login", 200)
	tb.run("fill the login form",
		chromedp.SendKeys("#username", user, chromedp.ByQuery),
		chromedp.SendKeys("#password", password, chromedp.ByQuery))
	tb.submit("sign in as "+user, `form[action="/login"] button[type=submit]`, 200)
	if p := tb.path(); p != "/" {
		tb.fatalf("after signing in as %s the browser is at %s, want /", user, p)
	}
}

// fatalf fails the test, showing where the page was, what it looked like
// and what it logged.
func (tb *tab) fatalf(format string, args ...any) {
	tb.t.Helper()
	tb.t.Fatalf("%s: %s\n%s", tb.name, fmt.Sprintf(format, args...), tb.dump())
}

// dump saves a screenshot of the page and returns its path, the URL, an
// excerpt of the HTML and what the page logged.
func (tb *tab) dump() string {
	ctx, cancel := context.WithTimeout(tb.root, 10*time.Second)
	defer cancel()
	var loc, html string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Location(&loc),
		chromedp.OuterHTML("html", &html, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100))
	var b strings.Builder
	fmt.Fprintf(&b, "  url: %s\n", loc)
	if err != nil {
		fmt.Fprintf(&b, "  (could not capture the page: %v)\n", err)
	}
	if len(png) > 0 {
		dir := os.Getenv("FIREBREAK_E2E_ARTIFACTS")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "firebreak-e2e")
		}
		name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.t.Name()+"-"+tb.name) + ".png"
		file := filepath.Join(dir, name)
		werr := os.MkdirAll(dir, 0o755)
		if werr == nil {
			werr = os.WriteFile(file, png, 0o644)
		}
		if werr != nil {
			fmt.Fprintf(&b, "  (could not save the screenshot: %v)\n", werr)
		} else {
			fmt.Fprintf(&b, "  screenshot: %s\n", file)
		}
	}
	tb.mu.Lock()
	if len(tb.problems) > 0 {
		fmt.Fprintf(&b, "  page problems:\n    %s\n", strings.Join(tb.problems, "\n    "))
	}
	tb.mu.Unlock()
	fmt.Fprintf(&b, "  html excerpt:\n%s", excerpt(html, 3000))
	return b.String()
}

// excerpt returns the <main> element of a page (or its start), cut to n bytes.
func excerpt(html string, n int) string {
	if i := strings.Index(html, "<main"); i >= 0 {
		html = html[i:]
		if j := strings.Index(html, "</main>"); j >= 0 {
			html = html[:j+len("</main>")]
		}
	}
	if len(html) > n {
		html = html[:n] + "\n…(cut)"
	}
	return html
}
