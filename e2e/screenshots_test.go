package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"github.com/firebreak-ir/firebreak/internal/store"
)

// maxScreenshot is the largest PNG worth committing.
const maxScreenshot = 400 << 10

// shot is one screenshot of the console.
type shot struct {
	file   string
	path   string
	width  int64 // CSS pixels
	height int64 // at most this many CSS pixels of the page, from the top
	phone  bool  // emulate a phone (touch, device pixel ratio 2)
	public bool  // the public status page, not the console
}

// TestScreenshots writes PNGs of the console's main pages to the directory
// FIREBREAK_SCREENSHOTS names (make screenshots writes docs/screenshots).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("FIREBREAK_SCREENSHOTS")
	if dir == "" {
		t.Skip("set FIREBREAK_SCREENSHOTS to a directory to write the console's screenshots (make screenshots)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The pictures are taken in the story's time: the incident opened two
	// minutes after awareness, looked at on the afternoon of 21 July.
	start := time.Now()
	opened := time.Date(2025, time.July, 19, 7, 22, 0, 0, time.UTC)
	viewed := time.Date(2025, time.July, 21, 15, 5, 0, 0, time.UTC)
	e := newEnvAt(t,
		func() time.Time { return opened.Add(time.Since(start)) },
		func() time.Time { return viewed.Add(time.Since(start)) })
	addScreenshotEvidence(t, e)
	assets, err := e.st.ListAssets(context.Background(), e.demoRef, store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var idp int64
	for _, a := range assets {
		if a.Name == "idp-01" {
			idp = a.ID
		}
	}
	if idp == 0 {
		t.Fatal("the demo has no asset idp-01")
	}

	inc := "/incidents/" + e.demoRef
	shots := []shot{
		{file: "incidents.png", path: "/", width: 1280, height: 1000},
		{file: "incident.png", path: inc, width: 1280, height: 1300},
		{file: "assets.png", path: inc + "/assets", width: 1280, height: 1800},
		{file: "isolate.png", path: fmt.Sprintf("%s/assets/%d/operational?state=isolated", inc, idp), width: 1280, height: 1400},
		{file: "findings.png", path: inc + "/findings", width: 1280, height: 1600},
		{file: "evidence.png", path: inc + "/evidence", width: 1280, height: 1200},
		{file: "incident-phone.png", path: inc, width: 390, height: 1500, phone: true},
		{file: "status-console.png", path: "/status", width: 1280, height: 1500},
		{file: "status-page.png", path: "/", width: 1280, height: 1700, public: true},
		{file: "status-page-phone.png", path: "/", width: 390, height: 1500, phone: true, public: true},
	}
	tb := newTab(t, e, "browser")
	tb.login(adminUser)
	for _, s := range shots {
		png := tb.screenshot(s)
		tb.checkClean(s.path)
		file := filepath.Join(dir, s.file)
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (%d KiB)", file, s.path, len(png)>>10)
		if len(png) > maxScreenshot {
			t.Errorf("%s is %d KiB, more than %d KiB: lower its height", s.file, len(png)>>10, maxScreenshot>>10)
		}
	}
}

// screenshot loads a page at the shot's width and captures it from the
// top, down to the end of the page or the shot's height.
func (tb *tab) screenshot(s shot) []byte {
	tb.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if s.phone {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait}
	}
	tb.run("size the viewport for "+s.file, chromedp.EmulateViewport(s.width, 900, opts...))
	if s.public {
		tb.navigate("GET the status page "+s.path, 200, chromedp.Navigate(tb.e.publicURL+s.path))
	} else {
		tb.open(s.path, 200)
	}
	var height float64
	tb.run("measure "+s.path, chromedp.Evaluate(`document.documentElement.scrollHeight`, &height))
	height = math.Min(height, float64(s.height))
	var png []byte
	tb.run("capture "+s.path, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		png, err = page.CaptureScreenshot().
			WithFormat(page.CaptureScreenshotFormatPng).
			WithCaptureBeyondViewport(true).
			WithFromSurface(true).
			WithClip(&page.Viewport{X: 0, Y: 0, Width: float64(s.width), Height: height, Scale: 1}).
			Do(ctx)
		return err
	}))
	tb.run("reset the viewport", chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.ClearDeviceMetricsOverride().Do(ctx)
	}))
	return png
}

// addScreenshotEvidence stores two evidence items, so that the evidence
// page has something to show.
func addScreenshotEvidence(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	for _, ev := range []struct {
		name, ctype, desc, content string
	}{
		{"u_ex250719-sp-web-02.log", "text/plain", "IIS log of sp-web-02, 19 July (second wave, 06:47 UTC), copied from the host before isolation.",
			"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status\n" +
				"2025-07-19 06:47:12 10.20.1.12 POST /_layouts/15/ToolPane.aspx/ DisplayMode=Edit&a=/ToolPane.aspx 443 - 104.238.159.149 - /_layouts/SignOut.aspx 200\n"},
		{"edr-alert-sp-web-01.json", "application/json", "EDR alert export: w3wp.exe spawning cmd.exe and powershell.exe -EncodedCommand on sp-web-01.",
			`{"host":"sp-web-01","time":"2025-07-18T19:13:05Z","parent":"w3wp.exe","child":"powershell.exe","severity":"medium"}` + "\n"},
	} {
		sum, size, err := e.blobs.Put(strings.NewReader(ev.content), 1<<20)
		if err != nil {
			t.Fatalf("store evidence %s: %v", ev.name, err)
		}
		if _, err := e.st.AddEvidence(ctx, responderUser, e.demoRef, incident.Evidence{Name: ev.name, SHA256: sum, Size: size,
			ContentType: ev.ctype, Description: ev.desc, CollectedBy: responderUser}); err != nil {
			t.Fatalf("add evidence %s: %v", ev.name, err)
		}
	}
}
