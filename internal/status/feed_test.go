package status

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestFeeds parses the Atom and RSS feeds with a real feed parser and
// checks their items.
func TestFeeds(t *testing.T) {
	s := mustRender(t, telecomPage())
	for _, tt := range []struct {
		path, feedType string
	}{
		{"/history.atom", "atom"},
		{"/history.rss", "rss"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			f, err := gofeed.NewParser().Parse(bytes.NewReader(body(t, s, tt.path)))
			if err != nil {
				t.Fatalf("gofeed cannot parse %s: %v", tt.path, err)
			}
			if f.FeedType != tt.feedType {
				t.Errorf("FeedType = %q, want %q", f.FeedType, tt.feedType)
			}
			if f.Title != "Example Telecom status - incident history" {
				t.Errorf("Title = %q", f.Title)
			}
			// Latest update first: the active incident (11:30), the
			// maintenance announcement (6 May), the SMS incident (20 Apr).
			want := []struct{ title, link, guid, has string }{
				{"Customer portal and Voice API unavailable", "https://status.example-telecom.com/incidents/inc-portal.html",
					"tag:status.example-telecom.com,2026-05-14:incident/inc-portal", "restoring them from clean backups"},
				{"Core network upgrade", "https://status.example-telecom.com/incidents/mnt-core.html",
					"tag:status.example-telecom.com,2026-05-06:maintenance/mnt-core", "Scheduled for 20 May 2026, 01:00 UTC"},
				{"Delayed SMS delivery", "https://status.example-telecom.com/incidents/inc-sms.html",
					"tag:status.example-telecom.com,2026-04-20:incident/inc-sms", "congested message queue"},
			}
			if len(f.Items) != len(want) {
				t.Fatalf("%d items, want %d", len(f.Items), len(want))
			}
			for i, w := range want {
				it := f.Items[i]
				text := it.Content + it.Description
				if it.Title != w.title || it.Link != w.link || it.GUID != w.guid || !strings.Contains(text, w.has) {
					t.Errorf("item %d = %q %q %q, want %q %q %q containing %q; text %q", i, it.Title, it.Link, it.GUID, w.title, w.link, w.guid, w.has, text)
				}
				if it.UpdatedParsed == nil && it.PublishedParsed == nil {
					t.Errorf("item %d has no parsable date", i)
				}
			}
			// The portal incident lists its updates newest first, as HTML.
			first := f.Items[0].Content + f.Items[0].Description
			mon, inv := strings.Index(first, "Monitoring"), strings.Index(first, "Investigating")
			if mon < 0 || inv < 0 || mon > inv {
				t.Errorf("updates not newest first in %q", first)
			}
			if !strings.Contains(first, "<strong>Identified</strong>") || !strings.Contains(first, "security incident.<br>Calls") {
				t.Errorf("content is not the updates as HTML: %q", first)
			}
		})
	}
}

// TestFeedEscaping: markup in public text is text in the feed, never
// markup, once the feed's own escaping is undone.
func TestFeedEscaping(t *testing.T) {
	p := telecomPage()
	p.Incidents[0].Name = `Portal <script>alert(1)</script> & "more"`
	p.Incidents[0].Updates[0].Body = `<img src=x onerror=alert(1)> body`
	s := mustRender(t, p)
	for _, path := range []string{"/history.atom", "/history.rss"} {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(body(t, s, path)))
		if err != nil {
			t.Fatal(err)
		}
		it := f.Items[0]
		if it.Title != p.Incidents[0].Name {
			t.Errorf("%s title = %q, want %q", path, it.Title, p.Incidents[0].Name)
		}
		if text := it.Content + it.Description; strings.Contains(text, "<img") || !strings.Contains(text, "&lt;img src=x") {
			t.Errorf("%s content lets markup through: %q", path, text)
		}
	}
}
