package status

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// htmlPaths lists the snapshot's HTML entries.
func htmlPaths(s *Snapshot) []string {
	var ps []string
	for _, e := range s.Entries() {
		if e.ContentType == typeHTML {
			ps = append(ps, e.Path)
		}
	}
	return ps
}

// checkNoInline fails when an HTML document has an inline script (a
// <script> without src, or with content), a style element or attribute,
// or an inline event handler — anything a strict CSP would block.
func checkNoInline(doc []byte) error {
	z := html.NewTokenizer(bytes.NewReader(doc))
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return nil
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				return fmt.Errorf("inline script content %q", z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "script" {
				inScript = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			src := false
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch key := string(k); {
				case key == "style":
					return fmt.Errorf("style attribute on <%s>", name)
				case strings.HasPrefix(key, "on"):
					return fmt.Errorf("event handler %s on <%s>", key, name)
				case key == "src" && len(v) > 0:
					src = true
				case key == "href" && strings.HasPrefix(strings.ToLower(string(v)), "javascript:"):
					return fmt.Errorf("javascript: URL on <%s>", name)
				}
			}
			switch string(name) {
			case "style":
				return fmt.Errorf("<style> element")
			case "script":
				if !src {
					return fmt.Errorf("<script> without src")
				}
				inScript = tt == html.StartTagToken
			}
		}
	}
}

func TestHTMLNoInlineScriptOrStyle(t *testing.T) {
	for name, p := range map[string]Page{"degraded": telecomPage(), "operational": operationalPage()} {
		s := mustRender(t, p)
		for _, path := range htmlPaths(s) {
			if err := checkNoInline(body(t, s, path)); err != nil {
				t.Errorf("%s %s: %v", name, path, err)
			}
		}
	}
	// The checker itself catches what it must.
	for _, bad := range []string{
		`<p>x</p><script>alert(1)</script>`,
		`<script src="">x</script>`,
		`<p style="color:red">x</p>`,
		`<style>p{}</style>`,
		`<img src=x onerror=alert(1)>`,
	} {
		if checkNoInline([]byte(bad)) == nil {
			t.Errorf("checkNoInline(%q) = nil, want an error", bad)
		}
	}
}

func TestHTMLIndex(t *testing.T) {
	degraded := string(body(t, mustRender(t, telecomPage()), "/"))
	ok := string(body(t, mustRender(t, operationalPage()), "/"))

	tests := []struct {
		name string
		doc  string
		want []string
		not  []string
	}{
		{"degraded", degraded,
			[]string{
				`<section class="banner banner-critical"`,
				`Major Service Outage</h1>`,
				`<section class="channels"`,
				`href="tel:&#43;498001234567"`,
				`href="mailto:support@example-telecom.com"`,
				`24/7, free of charge from any network`,
				`<h2 id="active-h">Active incidents</h2>`,
				`<a href="incidents/inc-portal.html">Customer portal and Voice API unavailable</a>`,
				`<a href="incidents/mnt-core.html">Core network upgrade</a>`,
				`<span class="status s-major_outage">Major outage</span>`,
				`<a href="history.atom">`, `<a href="history.rss">`, `<a href="api/v2/summary.json">`,
				`<main id="main"`, `<nav aria-label="Status page">`, `<html lang="en">`,
				`name="viewport"`,
			},
			[]string{"Recently resolved"}},
		{"operational", ok,
			[]string{`<section class="banner banner-none"`, `All Systems Operational</h1>`, `Recently resolved`},
			[]string{`class="channels"`, `Other ways to reach us`, `+49 800`, `Active incidents`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.doc, w) {
					t.Errorf("index lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(tt.doc, n) {
					t.Errorf("index has %q", n)
				}
			}
		})
	}

	// Updates are newest first.
	if m, i := strings.Index(degraded, "<strong>Monitoring</strong>"), strings.Index(degraded, "<strong>Investigating</strong>"); m < 0 || i < 0 || m > i {
		t.Errorf("updates are not newest first")
	}
	// One uptime bar per component, 90 days each.
	if n := strings.Count(degraded, `<ol class="bars"`); n != 5 {
		t.Errorf("%d uptime bars, want 5", n)
	}
	for i, bar := range strings.Split(degraded, `<ol class="bars"`)[1:] {
		bar = bar[:strings.Index(bar, "</ol>")]
		if n := strings.Count(bar, `<li class="d d-`); n != UptimeDays {
			t.Errorf("bar %d has %d days, want %d", i, n, UptimeDays)
		}
	}
	if !strings.Contains(degraded, `99.82% uptime`) {
		t.Errorf("portal uptime 99.82%% not shown")
	}
}

// TestChannelsShownWhenDegraded: channels appear with any non-operational
// component or open incident, and not when all is well.
func TestChannelsShownWhenDegraded(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Page)
		want   bool
	}{
		{"all operational", func(*Page) {}, false},
		{"one degraded", func(p *Page) { p.Components[4].Status = statusOf("degraded_performance") }, true},
		{"under maintenance", func(p *Page) { p.Components[4].Status = statusOf("under_maintenance") }, true},
		{"open incident, components fine", func(p *Page) { p.Incidents[0].Status = Monitoring; p.Incidents[0].Impact = ImpactNone }, true},
		{"no channels", func(p *Page) { p.Channels = nil; p.Components[0].Status = statusOf("major_outage") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := operationalPage()
			tt.change(&p)
			doc := string(body(t, mustRender(t, p), "/"))
			if got := strings.Contains(doc, `<section class="channels"`); got != tt.want {
				t.Errorf("channels shown = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHTMLIncidentAndHistory(t *testing.T) {
	s := mustRender(t, telecomPage())
	inc := string(body(t, s, "/incidents/inc-portal"))
	for _, w := range []string{
		`<h1 id="event-h">Customer portal and Voice API unavailable</h1>`,
		`href="../assets/status.`, `<a href="../index.html">Current status</a>`,
		`<section class="channels"`, `This incident affects: Customer portal, Voice API.`,
		`<time datetime="2026-05-14T09:05:00Z" data-local>14 May 2026, 09:05 UTC</time>`,
	} {
		if !strings.Contains(inc, w) {
			t.Errorf("incident page lacks %q", w)
		}
	}
	hist := string(body(t, s, "/history"))
	for _, w := range []string{`<h2 id="m-2026-04">April 2026</h2>`, `<a href="incidents/inc-sms.html">Delayed SMS delivery</a>`} {
		if !strings.Contains(hist, w) {
			t.Errorf("history lacks %q", w)
		}
	}
	if strings.Contains(hist, "inc-portal") {
		t.Errorf("history lists the open incident")
	}
	if e, _ := s.Lookup("/incidents/inc-portal"); e != s.byPath["/incidents/inc-portal.html"] {
		t.Errorf("/incidents/inc-portal is not an alias of its .html file")
	}
}

// TestHTMLEscaping: public text is escaped by html/template wherever it
// lands.
func TestHTMLEscaping(t *testing.T) {
	p := telecomPage()
	p.Components[0].Name = `<script>alert("name")</script>`
	p.Incidents[0].Updates[0].Body = `</p><script src="https://evil.example/x.js"></script>`
	p.Channels[0].Note = `<img src=x onerror=alert(1)>`
	s := mustRender(t, p)
	for _, path := range htmlPaths(s) {
		doc := body(t, s, path)
		if err := checkNoInline(doc); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if bytes.Contains(doc, []byte("evil.example/x.js\"></script>")) || bytes.Contains(doc, []byte("<script>alert")) {
			t.Errorf("%s: raw markup from input", path)
		}
	}
}

func TestSubscribeForm(t *testing.T) {
	p := operationalPage()
	if doc := string(body(t, mustRender(t, p), "/")); strings.Contains(doc, "<form") {
		t.Error("a form without SubscribeURL")
	}
	p.SubscribeURL = "https://status.example.com/subscribe"
	doc := string(body(t, mustRender(t, p), "/"))
	if !strings.Contains(doc, `<form method="post" action="https://status.example.com/subscribe">`) || !strings.Contains(doc, `name="email"`) {
		t.Fatalf("no subscription form posting to SubscribeURL:\n%s", doc)
	}
	for _, c := range p.Components {
		if !strings.Contains(doc, `name="component" value="`+c.ID+`"`) {
			t.Errorf("no checkbox for component %s", c.ID)
		}
	}
	p.SubscribeURL = "javascript:alert(1)"
	if _, err := Render(p, testNow); err == nil || !strings.Contains(err.Error(), "subscribe_url") {
		t.Errorf("Render with a javascript: SubscribeURL = %v, want an error naming subscribe_url", err)
	}
}
