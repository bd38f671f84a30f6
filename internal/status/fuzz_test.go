package status

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/firebreak-ir/firebreak/internal/incident"
	"golang.org/x/net/html"
)

var fuzzSeeds = []struct{ name, body string }{
	{"Customer portal", "We are investigating."},
	{"<script>alert(1)</script>", "<script src=//evil.example/x.js></script>"},
	{`"><img src=x onerror=alert(1)>`, `<style>body{display:none}</style>`},
	{"]]><!--", "</p></li></ol><script>"},
	{"{{.}}", "{{template \"top\" .}}"},
	{"javascript:alert(1)", "&amp; &lt; &#x3c;script&#x3e;"},
	{"line\u2028sep", "a\nb\r\nc\td"},
	{"\u202eevil", "ünïcødé ✓ 🚨"},
	{"<SCRIPT>", "<ScRiPt >x</sCrIpT>"},
}

// FuzzRender: for any public text, Render never panics, a valid page
// always renders, html/template's escaping holds (no markup from input
// becomes markup: the only scripts are the page's own, loaded by src), the
// JSON is valid and the feeds are well-formed XML.
func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.name, s.body)
	}
	f.Fuzz(func(t *testing.T, name, body string) {
		p := Page{
			ID: "fuzz", Name: name, URL: "https://status.example.com",
			Groups: []Group{{ID: "g", Name: name, Description: body}},
			Components: []Component{
				{ID: "a", Name: name, Description: body, GroupID: "g", Status: incident.StatusMajor, CreatedAt: testNow.AddDate(0, -1, 0)},
				{ID: "b", Name: body, Status: incident.StatusOperational},
			},
			Incidents: []Incident{
				{ID: "i", Name: name, Status: Identified, CreatedAt: testNow.AddDate(0, 0, -1), ComponentIDs: []string{"a"},
					Updates: []Update{{ID: "u", Status: Identified, Body: body, CreatedAt: testNow.AddDate(0, 0, -1),
						Affected: []AffectedComponent{{ComponentID: "a", OldStatus: incident.StatusOperational, NewStatus: incident.StatusMajor}}}}},
				{ID: "j", Name: body, Status: Resolved, CreatedAt: testNow.AddDate(0, 0, -2),
					Updates: []Update{{ID: "v", Status: Resolved, Body: name, CreatedAt: testNow.AddDate(0, 0, -2)}}},
			},
			Maintenances: []Maintenance{{ID: "m", Name: name, Status: InProgress, ScheduledFor: testNow, ScheduledUntil: testNow.AddDate(0, 0, 1),
				Updates: []Update{{ID: "w", Status: InProgress, Body: body, CreatedAt: testNow}}}},
			Channels: []Channel{{Kind: ChannelOther, Label: name, Value: body + "x", Note: body}},
		}
		if p.Validate() != nil {
			return
		}
		s, err := Render(p, testNow)
		if err != nil {
			t.Fatalf("Render of a valid page: %v", err)
		}
		for _, e := range s.Entries() {
			switch e.ContentType {
			case typeHTML:
				if err := checkNoInline(e.Body); err != nil {
					t.Fatalf("%s: %v", e.Path, err)
				}
				if n, own := countFold(e.Body, "<script"), bytes.Count(e.Body, []byte(`<script src="`)); n != own {
					t.Fatalf("%s: %d <script tags, %d of them the page's own", e.Path, n, own)
				}
				if err := parsesAsHTML(e.Body); err != nil {
					t.Fatalf("%s: %v", e.Path, err)
				}
			case typeJSON:
				if !json.Valid(e.Body) {
					t.Fatalf("%s is not valid JSON", e.Path)
				}
			case typeAtom, typeRSS:
				if err := wellFormedXML(e.Body); err != nil {
					t.Fatalf("%s: %v", e.Path, err)
				}
			}
		}
	})
}

func countFold(b []byte, s string) int { return strings.Count(strings.ToLower(string(b)), s) }

func parsesAsHTML(b []byte) error {
	_, err := html.Parse(bytes.NewReader(b))
	return err
}

func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
