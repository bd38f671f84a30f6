package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPublishStatusUpdate: a commander approves the demo's waiting draft
// (written by the communications lead) and publishes it from the console;
// the public status page, on its own server, shows it within seconds, and
// renders cleanly (no CSP violation, no console error).
func TestPublishStatusUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const draft = "The customer portal is back online on rebuilt servers."
	pub := newTab(t, e, "public")
	pub.navigate("GET the public page", 200, chromedp.Navigate(e.publicURL+"/"))
	if h := pub.text("h1"); !strings.Contains(h, "Outage") {
		pub.fatalf("the public banner reads %q, want an outage while the portal is down", h)
	}
	if strings.Contains(pub.text("main"), draft) {
		pub.fatalf("the waiting draft is already public")
	}
	if ch := pub.text("section.channels"); !strings.Contains(ch, "Customer hotline") {
		pub.fatalf("the alternative channels read %q", ch)
	}
	pub.checkClean("the public status page")

	tb := newTab(t, e, "console")
	tb.login(adminUser)
	tb.open("/status", 200)
	if p := tb.text("#pending-h + article"); !strings.Contains(p, draft) || !strings.Contains(p, "demo:communications") {
		tb.fatalf("the pending draft reads %q", p)
	}
	tb.submit("approve the draft", `form[action$="/approve"] button`, 200)
	tb.submit("publish it", `form[action$="/publish"] button`, 200)
	if strings.Contains(tb.text("section[aria-labelledby=pending-h]"), draft) {
		tb.fatalf("the update is still pending after publishing")
	}
	tb.checkClean("the console's status page")

	// The page may be cached for 30 s (Cache-Control): a new query string
	// asks the server, as a reader pressing reload would.
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		pub.navigate("reload the public page", 200, chromedp.Navigate(fmt.Sprintf("%s/?reload=%d", e.publicURL, i)))
		if strings.Contains(pub.text("main"), draft) {
			break
		}
		if time.Now().After(deadline) {
			pub.fatalf("the published update is not on the public page after 5 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	pub.checkClean("the public status page after the publish")

	// The publish is on the incident's timeline, naming author and approver.
	tb.open("/incidents/"+e.demoRef, 200)
	if tl := tb.text("#timeline"); !strings.Contains(tl, "approved by admin") {
		tb.fatalf("the timeline does not record the publish: %.300q", tl)
	}
}
