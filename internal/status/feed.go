package status

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
)

// feedLimit is how many incidents and maintenances the feeds carry.
const feedLimit = 50

// feedEntry is an incident or maintenance as the feeds tell it.
type feedEntry struct {
	id        string // tag URI, permanent
	title     string
	link      string
	published time.Time
	updated   time.Time
	content   string // HTML
}

func (s *site) feedEntries() []feedEntry {
	host := ""
	if u, err := url.Parse(s.page.URL); err == nil {
		host = u.Hostname()
	}
	tag := func(kind, id string, t time.Time) string {
		return fmt.Sprintf("tag:%s,%s:%s/%s", host, t.Format("2006-01-02"), kind, id)
	}
	var es []feedEntry
	for _, in := range s.incidents {
		es = append(es, feedEntry{
			id: tag("incident", in.ID, in.CreatedAt), title: in.Name,
			link: s.base + "/incidents/" + in.ID + ".html", published: in.CreatedAt, updated: in.UpdatedAt,
			content: s.feedContent(in.Updates, in.ComponentIDs, "This incident affected: "),
		})
	}
	for _, m := range s.maintenances {
		intro := fmt.Sprintf("<p>Scheduled for %s to %s.</p>", html.EscapeString(humanTime(m.ScheduledFor)), html.EscapeString(humanTime(m.ScheduledUntil)))
		es = append(es, feedEntry{
			id: tag("maintenance", m.ID, m.CreatedAt), title: m.Name,
			link: s.base + "/incidents/" + m.ID + ".html", published: m.CreatedAt, updated: m.UpdatedAt,
			content: intro + s.feedContent(m.Updates, m.ComponentIDs, "This maintenance affects: "),
		})
	}
	slices.SortStableFunc(es, func(a, b feedEntry) int {
		return cmp.Or(b.updated.Compare(a.updated), cmp.Compare(a.id, b.id))
	})
	if len(es) > feedLimit {
		es = es[:feedLimit]
	}
	return es
}

// feedContent is the updates, newest first, as escaped HTML.
func (s *site) feedContent(us []Update, componentIDs []string, affects string) string {
	var b strings.Builder
	for _, u := range us {
		fmt.Fprintf(&b, "<p><small>%s</small><br><strong>%s</strong> - %s</p>",
			html.EscapeString(humanTime(u.DisplayAt)), html.EscapeString(statusLabel(u.Status)),
			strings.ReplaceAll(html.EscapeString(u.Body), "\n", "<br>"))
	}
	if len(componentIDs) > 0 {
		names := make([]string, 0, len(componentIDs))
		for _, id := range componentIDs {
			names = append(names, html.EscapeString(s.components[id].Name))
		}
		fmt.Fprintf(&b, "<p>%s%s.</p>", affects, strings.Join(names, ", "))
	}
	return b.String()
}

func (s *site) feedUpdated(es []feedEntry) time.Time {
	t := s.page.UpdatedAt
	for _, e := range es {
		if e.updated.After(t) {
			t = e.updated
		}
	}
	return t
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Published string   `xml:"published"`
	Updated   string   `xml:"updated"`
	Link      atomLink `xml:"link"`
	Title     string   `xml:"title"`
	Content   atomText `xml:"content"`
}

type atomFeed struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string     `xml:"xml:lang,attr"`
	ID      string     `xml:"id"`
	Links   []atomLink `xml:"link"`
	Title   string     `xml:"title"`
	Updated string     `xml:"updated"`
	Author  struct {
		Name string `xml:"name"`
		URI  string `xml:"uri"`
	} `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

func (s *site) atom() ([]byte, error) {
	es := s.feedEntries()
	f := atomFeed{
		Lang: "en",
		ID:   s.base + "/history.atom",
		Links: []atomLink{
			{Rel: "alternate", Type: "text/html", Href: s.base + "/history.html"},
			{Rel: "self", Type: "application/atom+xml", Href: s.base + "/history.atom"},
		},
		Title:   s.page.Name + " status - incident history",
		Updated: s.feedUpdated(es).Format(time.RFC3339),
	}
	f.Author.Name, f.Author.URI = s.page.Name, s.base+"/"
	for _, e := range es {
		f.Entries = append(f.Entries, atomEntry{
			ID: e.id, Published: e.published.Format(time.RFC3339), Updated: e.updated.Format(time.RFC3339),
			Link:  atomLink{Rel: "alternate", Type: "text/html", Href: e.link},
			Title: e.title, Content: atomText{Type: "html", Text: e.content},
		})
	}
	return marshalXML(f)
}

type rssItem struct {
	Title string `xml:"title"`
	Link  string `xml:"link"`
	GUID  struct {
		IsPermaLink string `xml:"isPermaLink,attr"`
		Value       string `xml:",chardata"`
	} `xml:"guid"`
	PubDate     string `xml:"pubDate"`
	Description string `xml:"description"`
}

type rssFeed struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	AtomNS  string   `xml:"xmlns:atom,attr"`
	Channel struct {
		Title         string    `xml:"title"`
		Link          string    `xml:"link"`
		Description   string    `xml:"description"`
		Language      string    `xml:"language"`
		LastBuildDate string    `xml:"lastBuildDate"`
		Self          atomLink  `xml:"atom:link"`
		Items         []rssItem `xml:"item"`
	} `xml:"channel"`
}

func (s *site) rss() ([]byte, error) {
	es := s.feedEntries()
	var f rssFeed
	f.Version, f.AtomNS = "2.0", "http://www.w3.org/2005/Atom"
	c := &f.Channel
	c.Title = s.page.Name + " status - incident history"
	c.Link = s.base + "/"
	c.Description = "Incidents and scheduled maintenance on the " + s.page.Name + " status page"
	c.Language = "en"
	c.LastBuildDate = s.feedUpdated(es).Format(time.RFC1123Z)
	c.Self = atomLink{Rel: "self", Type: "application/rss+xml", Href: s.base + "/history.rss"}
	for _, e := range es {
		it := rssItem{Title: e.title, Link: e.link, PubDate: e.updated.Format(time.RFC1123Z), Description: e.content}
		it.GUID.IsPermaLink, it.GUID.Value = "false", e.id
		c.Items = append(c.Items, it)
	}
	return marshalXML(f)
}

func marshalXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode feed: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
