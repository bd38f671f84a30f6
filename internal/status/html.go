package status

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/status.css assets/status.js
var assetFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"iso":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"human":       humanTime,
	"statusLabel": func(s incident.ServiceStatus) string { return serviceLabel(s) },
}).ParseFS(templateFS, "templates/*.html"))

// recentDays is how far back the front page lists resolved incidents.
const recentDays = 7

var serviceLabels = map[incident.ServiceStatus]string{
	incident.StatusOperational: "Operational",
	incident.StatusDegraded:    "Degraded performance",
	incident.StatusPartial:     "Partial outage",
	incident.StatusMajor:       "Major outage",
	incident.StatusMaintenance: "Under maintenance",
}

func serviceLabel(s incident.ServiceStatus) string {
	if l, ok := serviceLabels[s]; ok {
		return l
	}
	return string(s)
}

var statusLabels = map[IncidentStatus]string{
	Investigating: "Investigating", Identified: "Identified", Monitoring: "Monitoring",
	Resolved: "Resolved", Postmortem: "Postmortem",
	Scheduled: "Scheduled", InProgress: "In progress", Verifying: "Verifying", Completed: "Completed",
}

func statusLabel(s IncidentStatus) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// humanTime is how a time reads without the script: UTC, unambiguous.
func humanTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// layout is what every page's frame needs.
type layout struct {
	Root      string // "" at the top level, "../" one level down
	Title     string
	Name      string
	CSS, JS   string // asset paths relative to the root
	Overall   Overall
	Generated time.Time
}

type indexPage struct {
	layout
	UpdatedAt    time.Time
	ShowChannels bool
	Channels     []channelView
	Items        []itemView
	Active       []eventView
	Maintenance  []eventView
	Recent       []eventView
	Subscribe    *subscribeView
}

type subscribeView struct {
	Action     string
	Components []Component
}

type historyPage struct {
	layout
	Months []monthView
}

type eventPage struct {
	layout
	Event        eventView
	ShowChannels bool
	Channels     []channelView
}

type channelView struct {
	Kind, Label, Value, Note string
	Href                     template.URL // tel:, mailto: or http(s); empty for other
}

type itemView struct {
	Group       bool
	ID          string
	Name        string
	Description string
	Status      incident.ServiceStatus
	Components  []componentView
}

type componentView struct {
	ID, Name, Description string
	Status                incident.ServiceStatus
	Percent               string
	Days                  []dayView
	Disrupted             []string // texts of the days with any disruption
}

type dayView struct{ Class, Text string }

type eventView struct {
	ID, Name, Href string
	Maintenance    bool
	Status         string // label
	StatusClass    string // IncidentStatus
	Impact         Impact
	Open           bool
	CreatedAt      time.Time
	ResolvedAt     time.Time
	ScheduledFor   time.Time
	ScheduledUntil time.Time
	Components     []string
	Updates        []updateView
}

type updateView struct {
	Status   string
	At       time.Time
	Body     string
	Affected []string
}

type monthView struct {
	Label  string
	ID     string
	Events []eventView
}

// showChannels: the channels are shown while anything is not operational.
func (s *site) showChannels() bool {
	if len(s.page.Channels) == 0 {
		return false
	}
	if s.overall.Indicator != IndicatorNone {
		return true
	}
	for _, in := range s.incidents {
		if in.Status.Unresolved() {
			return true
		}
	}
	return false
}

func (s *site) channels() []channelView {
	var out []channelView
	for _, c := range s.page.Channels {
		v := channelView{Kind: string(c.Kind), Label: c.Label, Value: c.Value, Note: c.Note}
		switch c.Kind {
		case ChannelPhone:
			// telURI keeps only digits and a leading '+': safe to trust.
			v.Href = template.URL(telURI(c.Value))
		case ChannelEmail:
			v.Href = template.URL("mailto:" + url.PathEscape(c.Value))
		case ChannelWeb:
			// Validate accepted only http(s) URLs; html/template still
			// escapes the attribute.
			v.Href = template.URL(c.Value)
		}
		out = append(out, v)
	}
	return out
}

func (s *site) layout(root, title, css, js string) layout {
	return layout{Root: root, Title: title, Name: s.page.Name, CSS: css, JS: js, Overall: s.overall, Generated: s.now}
}

func (s *site) componentView(c *Component) componentView {
	up := s.uptime[c.ID]
	v := componentView{ID: c.ID, Name: c.Name, Description: c.Description, Status: c.Status,
		Percent: fmt.Sprintf("%.2f", floorPercent(up.Percent))}
	for _, d := range up.Days {
		dv := dayText(d)
		v.Days = append(v.Days, dv)
		if dv.Class != "operational" && dv.Class != "nodata" {
			v.Disrupted = append(v.Disrupted, dv.Text)
		}
	}
	return v
}

func dayText(d Day) dayView {
	date := d.Date.Format("2 Jan 2006")
	if d.NoData {
		return dayView{Class: "nodata", Text: date + ": no data"}
	}
	var parts []string
	for _, p := range []struct {
		d     time.Duration
		label string
	}{{d.Major, "major outage"}, {d.Partial, "partial outage"}, {d.Degraded, "degraded performance"}, {d.Maintenance, "maintenance"}} {
		if p.d > 0 {
			parts = append(parts, p.label+" "+duration(p.d))
		}
	}
	if len(parts) == 0 {
		return dayView{Class: "operational", Text: date + ": no downtime"}
	}
	return dayView{Class: string(d.Worst), Text: date + ": " + strings.Join(parts, ", ")}
}

func duration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m == 0:
		return "under 1 min"
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

func (s *site) itemViews() []itemView {
	var out []itemView
	for _, it := range s.items {
		if it.component != nil {
			c := s.componentView(it.component)
			out = append(out, itemView{ID: c.ID, Name: c.Name, Description: c.Description, Status: c.Status, Components: []componentView{c}})
			continue
		}
		v := itemView{Group: true, ID: it.group.ID, Name: it.group.Name, Description: it.group.Description, Status: groupStatus(it.components)}
		for _, c := range it.components {
			v.Components = append(v.Components, s.componentView(c))
		}
		out = append(out, v)
	}
	return out
}

func (s *site) updates(us []Update) []updateView {
	out := make([]updateView, 0, len(us))
	for _, u := range us {
		v := updateView{Status: statusLabel(u.Status), At: u.DisplayAt, Body: u.Body}
		for _, a := range u.Affected {
			v.Affected = append(v.Affected, s.components[a.ComponentID].Name+": "+strings.ToLower(serviceLabel(a.NewStatus)))
		}
		out = append(out, v)
	}
	return out
}

func (s *site) names(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.components[id].Name)
	}
	return out
}

func (s *site) incidentView(in *Incident, root string) eventView {
	return eventView{
		ID: in.ID, Name: in.Name, Href: root + "incidents/" + in.ID + ".html",
		Status: statusLabel(in.Status), StatusClass: string(in.Status), Impact: in.Impact, Open: in.Status.Unresolved(),
		CreatedAt: in.CreatedAt, ResolvedAt: in.ResolvedAt,
		Components: s.names(in.ComponentIDs), Updates: s.updates(in.Updates),
	}
}

func (s *site) maintenanceView(m *Maintenance, root string) eventView {
	return eventView{
		ID: m.ID, Name: m.Name, Href: root + "incidents/" + m.ID + ".html", Maintenance: true,
		Status: statusLabel(m.Status), StatusClass: string(m.Status), Impact: ImpactMaintenance, Open: m.Status != Completed,
		CreatedAt: m.CreatedAt, ResolvedAt: m.ResolvedAt, ScheduledFor: m.ScheduledFor, ScheduledUntil: m.ScheduledUntil,
		Components: s.names(m.ComponentIDs), Updates: s.updates(m.Updates),
	}
}

func (s *site) indexHTML(css, js string) ([]byte, error) {
	d := indexPage{
		layout:       s.layout("", s.page.Name+" status", css, js),
		UpdatedAt:    s.page.UpdatedAt,
		ShowChannels: s.showChannels(),
		Channels:     s.channels(),
		Items:        s.itemViews(),
	}
	if s.page.SubscribeURL != "" {
		d.Subscribe = &subscribeView{Action: s.page.SubscribeURL}
		d.Subscribe.Components = s.page.Components
	}
	since := s.now.AddDate(0, 0, -recentDays)
	for _, in := range s.incidents {
		switch {
		case in.Status.Unresolved():
			d.Active = append(d.Active, s.incidentView(in, ""))
		case in.ResolvedAt.After(since):
			d.Recent = append(d.Recent, s.incidentView(in, ""))
		}
	}
	// Maintenance under way first, then upcoming, soonest first.
	for i := len(s.maintenances) - 1; i >= 0; i-- {
		if m := s.maintenances[i]; activeMaintenance(m) {
			d.Maintenance = append(d.Maintenance, s.maintenanceView(m, ""))
		}
	}
	for i := len(s.maintenances) - 1; i >= 0; i-- {
		if m := s.maintenances[i]; m.Status == Scheduled {
			d.Maintenance = append(d.Maintenance, s.maintenanceView(m, ""))
		}
	}
	return execute("index", d)
}

func (s *site) historyHTML(css, js string) ([]byte, error) {
	type dated struct {
		at time.Time
		ev eventView
	}
	var past []dated
	for _, in := range s.incidents {
		if !in.Status.Unresolved() {
			past = append(past, dated{in.CreatedAt, s.incidentView(in, "")})
		}
	}
	for _, m := range s.maintenances {
		if m.Status == Completed {
			past = append(past, dated{m.ScheduledFor, s.maintenanceView(m, "")})
		}
	}
	// Newest first; incidents are already newest first, merge stably.
	for i := 1; i < len(past); i++ {
		for j := i; j > 0 && past[j].at.After(past[j-1].at); j-- {
			past[j], past[j-1] = past[j-1], past[j]
		}
	}
	d := historyPage{layout: s.layout("", "Incident history - "+s.page.Name+" status", css, js)}
	for _, p := range past {
		label := p.at.Format("January 2006")
		if n := len(d.Months); n == 0 || d.Months[n-1].Label != label {
			d.Months = append(d.Months, monthView{Label: label, ID: "m-" + p.at.Format("2006-01")})
		}
		m := &d.Months[len(d.Months)-1]
		m.Events = append(m.Events, p.ev)
	}
	return execute("history", d)
}

func (s *site) eventHTML(ev eventView, css, js string) ([]byte, error) {
	d := eventPage{
		layout:       s.layout("../", ev.Name+" - "+s.page.Name+" status", css, js),
		Event:        ev,
		ShowChannels: ev.Open && !ev.Maintenance && len(s.page.Channels) > 0,
		Channels:     s.channels(),
	}
	return execute("event-page", d)
}

func (s *site) notFoundHTML() ([]byte, error) {
	return execute("notfound", struct {
		Name, Home string
	}{s.page.Name, s.base + "/"})
}

func execute(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}
