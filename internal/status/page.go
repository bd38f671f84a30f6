package status

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// Page is the public projection of the record: everything the public plane
// may show, and nothing else. It is the only input of Render, so a field of
// the incident record can reach the status page, the JSON API, the feeds or
// an export only by being copied into one of these types on purpose.
type Page struct {
	// ID is the page id in the JSON API (Statuspage's page.id). Empty: a
	// stable id derived from URL.
	ID string
	// Name is the page title ("Example Telecom").
	Name string
	// URL is where the page is published (https://status.example.com); feed
	// links and the default shortlinks are built on it.
	URL string
	// TimeZone is reported as page.time_zone (default "Etc/UTC"). Every time
	// is rendered in UTC; the optional script shows it in the reader's zone.
	TimeZone     string
	Components   []Component
	Groups       []Group
	Incidents    []Incident
	Maintenances []Maintenance
	// Channels are the alternative support channels, shown prominently
	// while anything is not operational.
	Channels []Channel
	// UpdatedAt is page.updated_at; zero means the render time.
	UpdatedAt time.Time
	// SubscribeURL, when set, is where the page's subscription form posts
	// (fields: email, and component — public component ids, repeatable;
	// none means every component). Empty: no form.
	SubscribeURL string
}

// Group is a named group of components (a Statuspage component group).
type Group struct {
	ID          string
	Name        string
	Description string
	Position    int
}

// Component is a customer-facing service with a public status.
type Component struct {
	ID          string
	Name        string
	Description string
	// GroupID names the Group the component belongs to, or is empty.
	GroupID  string
	Status   incident.ServiceStatus
	Position int
	// CreatedAt starts the uptime history (zero: the render time).
	CreatedAt time.Time
	UpdatedAt time.Time
	// History lists status changes; the component is operational before the
	// first one. Status is the status now: when the last change differs
	// from it, a change to Status at UpdatedAt is assumed.
	History []StatusChange
}

// StatusChange is one change of a component's status.
type StatusChange struct {
	At     time.Time
	Status incident.ServiceStatus
}

// IncidentStatus is the state of an incident or a maintenance, named as on
// Statuspage, where a maintenance is a scheduled incident.
type IncidentStatus string

// Incident and maintenance statuses.
const (
	Investigating IncidentStatus = "investigating"
	Identified    IncidentStatus = "identified"
	Monitoring    IncidentStatus = "monitoring"
	Resolved      IncidentStatus = "resolved"
	Postmortem    IncidentStatus = "postmortem"

	Scheduled  IncidentStatus = "scheduled"
	InProgress IncidentStatus = "in_progress"
	Verifying  IncidentStatus = "verifying"
	Completed  IncidentStatus = "completed"
)

// Allowed statuses of incidents and of maintenances, in lifecycle order.
var (
	IncidentStatuses    = []IncidentStatus{Investigating, Identified, Monitoring, Resolved, Postmortem}
	MaintenanceStatuses = []IncidentStatus{Scheduled, InProgress, Verifying, Completed}
)

// Unresolved reports whether an incident in this state is still open.
func (s IncidentStatus) Unresolved() bool {
	return s == Investigating || s == Identified || s == Monitoring
}

// Impact is how badly an incident affects customers.
type Impact string

// Impacts, least to most severe. ImpactMaintenance is what the JSON API
// reports for maintenances.
const (
	ImpactNone        Impact = "none"
	ImpactMinor       Impact = "minor"
	ImpactMajor       Impact = "major"
	ImpactCritical    Impact = "critical"
	ImpactMaintenance Impact = "maintenance"
)

// Impacts an incident may declare.
var Impacts = []Impact{ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical}

// Incident is a published incident.
type Incident struct {
	ID   string
	Name string
	// Shortlink is reported as is; empty means URL/incidents/ID.html.
	Shortlink string
	Status    IncidentStatus
	// Impact empty: derived from the worst status its updates set on
	// components (major outage → critical, partial → major, degraded →
	// minor), as Statuspage derives it.
	Impact    Impact
	CreatedAt time.Time
	// StartedAt is when the disruption began (zero: CreatedAt).
	StartedAt time.Time
	// UpdatedAt zero: the latest update's time.
	UpdatedAt time.Time
	// MonitoringAt zero: the first monitoring update, if any.
	MonitoringAt time.Time
	// ResolvedAt zero: the first resolved update, if resolved.
	ResolvedAt   time.Time
	Updates      []Update
	ComponentIDs []string
}

// Maintenance is a scheduled maintenance.
type Maintenance struct {
	ID             string
	Name           string
	Shortlink      string
	Status         IncidentStatus
	ScheduledFor   time.Time
	ScheduledUntil time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// ResolvedAt is when it completed (zero: the completed update, if any).
	ResolvedAt   time.Time
	Updates      []Update
	ComponentIDs []string
}

// Update is one published update of an incident or a maintenance.
type Update struct {
	ID        string
	Status    IncidentStatus
	Body      string
	CreatedAt time.Time
	// DisplayAt is the time shown (zero: CreatedAt).
	DisplayAt time.Time
	Affected  []AffectedComponent
}

// AffectedComponent records a component status change made by an update.
type AffectedComponent struct {
	ComponentID string
	OldStatus   incident.ServiceStatus
	NewStatus   incident.ServiceStatus
}

// ChannelKind says what an alternative support channel is.
type ChannelKind string

// Channel kinds.
const (
	ChannelPhone ChannelKind = "phone"
	ChannelEmail ChannelKind = "email"
	ChannelWeb   ChannelKind = "web"
	ChannelOther ChannelKind = "other"
)

// ChannelKinds lists the allowed kinds.
var ChannelKinds = []ChannelKind{ChannelPhone, ChannelEmail, ChannelWeb, ChannelOther}

// Channel is an alternative way for customers to get help.
type Channel struct {
	Kind ChannelKind
	// Label names it ("Customer hotline").
	Label string
	// Value is the number, address or https URL (for other: free text).
	Value string
	// Note adds detail ("24/7, free from any network").
	Note string
}

// Limits on a Page, so that rendering it stays cheap and bounded.
const (
	MaxID           = 64
	MaxName         = incident.MaxName
	MaxDescription  = 4 << 10
	MaxBody         = incident.MaxText
	MaxComponents   = 500
	MaxGroups       = 100
	MaxIncidents    = 5000 // incidents and maintenances together
	MaxUpdates      = 500  // per incident or maintenance
	MaxHistory      = 100_000
	MaxChannels     = 20
	MaxAffected     = MaxComponents
	maxChannelValue = 512
	maxURL          = 2048
)

// Validate checks a Page: ids well formed and unique, references resolve,
// enumerations valid, text valid UTF-8 without control characters and
// within bounds.
func (p *Page) Validate() error {
	v := &validator{}
	v.text("name", p.Name, MaxName, true)
	if p.ID != "" {
		v.id("id", p.ID)
	}
	v.absURL("url", p.URL, true)
	v.text("time_zone", p.TimeZone, MaxID, false)
	v.absURL("subscribe_url", p.SubscribeURL, false)
	v.count("groups", len(p.Groups), MaxGroups)
	v.count("components", len(p.Components), MaxComponents)
	v.count("incidents", len(p.Incidents)+len(p.Maintenances), MaxIncidents)
	v.count("channels", len(p.Channels), MaxChannels)
	if v.err != nil {
		return v.err
	}

	ids := map[string]string{} // component and group ids share a namespace (groups are components in the API)
	for i, g := range p.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		v.id(f+".id", g.ID)
		v.unique(ids, f+".id", g.ID)
		v.text(f+".name", g.Name, MaxName, true)
		v.text(f+".description", g.Description, MaxDescription, false)
	}
	groups := map[string]bool{}
	for _, g := range p.Groups {
		groups[g.ID] = true
	}
	components := map[string]bool{}
	for i, c := range p.Components {
		f := fmt.Sprintf("components[%d]", i)
		v.id(f+".id", c.ID)
		v.unique(ids, f+".id", c.ID)
		components[c.ID] = true
		v.text(f+".name", c.Name, MaxName, true)
		v.text(f+".description", c.Description, MaxDescription, false)
		if c.GroupID != "" && !groups[c.GroupID] {
			v.fail(f+".group_id", fmt.Sprintf("%q is not a group", c.GroupID))
		}
		v.serviceStatus(f+".status", c.Status)
		v.count(f+".history", len(c.History), MaxHistory)
		for j, h := range c.History {
			v.serviceStatus(fmt.Sprintf("%s.history[%d].status", f, j), h.Status)
			if h.At.IsZero() {
				v.fail(fmt.Sprintf("%s.history[%d].at", f, j), "is required")
			}
		}
	}

	events := map[string]string{}  // incidents and maintenances share /incidents/{id}
	updates := map[string]string{} // update ids are unique on the page
	for i, in := range p.Incidents {
		f := fmt.Sprintf("incidents[%d]", i)
		v.id(f+".id", in.ID)
		v.unique(events, f+".id", in.ID)
		v.text(f+".name", in.Name, MaxName, true)
		v.absURL(f+".shortlink", in.Shortlink, false)
		enum(v, f+".status", in.Status, IncidentStatuses)
		if in.Impact != "" {
			enum(v, f+".impact", in.Impact, Impacts)
		}
		if in.CreatedAt.IsZero() {
			v.fail(f+".created_at", "is required")
		}
		v.refs(f+".component_ids", in.ComponentIDs, components)
		v.updates(f, in.Updates, IncidentStatuses, components, updates)
	}
	for i, m := range p.Maintenances {
		f := fmt.Sprintf("maintenances[%d]", i)
		v.id(f+".id", m.ID)
		v.unique(events, f+".id", m.ID)
		v.text(f+".name", m.Name, MaxName, true)
		v.absURL(f+".shortlink", m.Shortlink, false)
		enum(v, f+".status", m.Status, MaintenanceStatuses)
		switch {
		case m.ScheduledFor.IsZero():
			v.fail(f+".scheduled_for", "is required")
		case m.ScheduledUntil.IsZero():
			v.fail(f+".scheduled_until", "is required")
		case m.ScheduledUntil.Before(m.ScheduledFor):
			v.fail(f+".scheduled_until", "is before scheduled_for")
		}
		v.refs(f+".component_ids", m.ComponentIDs, components)
		v.updates(f, m.Updates, MaintenanceStatuses, components, updates)
	}

	for i, c := range p.Channels {
		f := fmt.Sprintf("channels[%d]", i)
		enum(v, f+".kind", c.Kind, ChannelKinds)
		v.text(f+".label", c.Label, MaxName, true)
		v.text(f+".value", c.Value, maxChannelValue, true)
		v.text(f+".note", c.Note, MaxDescription, false)
		if v.err != nil {
			break
		}
		switch c.Kind {
		case ChannelPhone:
			if telURI(c.Value) == "" {
				v.fail(f+".value", fmt.Sprintf("%q is not a phone number (digits, spaces, + ( ) - . /)", c.Value))
			}
		case ChannelEmail:
			if !plausibleEmail(c.Value) {
				v.fail(f+".value", fmt.Sprintf("%q is not an e-mail address", c.Value))
			}
		case ChannelWeb:
			v.absURL(f+".value", c.Value, true)
		}
	}
	return v.err
}

// validator keeps the first error.
type validator struct{ err error }

func (v *validator) fail(field, reason string) {
	if v.err == nil {
		v.err = &incident.ValidationError{Field: field, Reason: reason}
	}
}

func (v *validator) text(field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.fail(field, "is required")
	case len(s) > max:
		v.fail(field, fmt.Sprintf("is %d bytes long, the limit is %d", len(s), max))
	case !utf8.ValidString(s):
		v.fail(field, "is not valid UTF-8")
	default:
		for _, r := range s {
			if r == '\n' || r == '\t' || r == '\r' {
				continue
			}
			// XML 1.0 cannot carry C0 controls (nor U+FFFE/U+FFFF); keep
			// the feeds well formed by refusing them everywhere.
			if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
				v.fail(field, fmt.Sprintf("contains the control character %U", r))
				return
			}
		}
	}
}

// id checks an identifier that becomes part of a path: letters, digits,
// '-' and '_' only.
func (v *validator) id(field, s string) {
	if s == "" {
		v.fail(field, "is required")
		return
	}
	if len(s) > MaxID {
		v.fail(field, fmt.Sprintf("is %d bytes long, the limit is %d", len(s), MaxID))
		return
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			v.fail(field, fmt.Sprintf("%q may hold only letters, digits, '-' and '_'", s))
			return
		}
	}
}

func (v *validator) unique(seen map[string]string, field, id string) {
	if prev, ok := seen[id]; ok {
		v.fail(field, fmt.Sprintf("%q is also the id of %s", id, prev))
		return
	}
	seen[id] = field
}

func (v *validator) count(field string, n, max int) {
	if n > max {
		v.fail(field, fmt.Sprintf("has %d entries, the limit is %d", n, max))
	}
}

func (v *validator) serviceStatus(field string, s incident.ServiceStatus) {
	enum(v, field, s, incident.ServiceStatuses)
}

// enum checks that s is one of allowed.
func enum[T ~string](v *validator, field string, s T, allowed []T) {
	if !slices.Contains(allowed, s) {
		v.fail(field, fmt.Sprintf("%q is not one of %v", string(s), allowed))
	}
}

func (v *validator) refs(field string, ids []string, known map[string]bool) {
	v.count(field, len(ids), MaxComponents)
	seen := map[string]bool{}
	for _, id := range ids {
		if !known[id] {
			v.fail(field, fmt.Sprintf("%q is not a component", id))
		}
		if seen[id] {
			v.fail(field, fmt.Sprintf("%q is listed twice", id))
		}
		seen[id] = true
	}
}

func (v *validator) updates(f string, us []Update, allowed []IncidentStatus, components map[string]bool, seen map[string]string) {
	v.count(f+".updates", len(us), MaxUpdates)
	for j, u := range us {
		g := fmt.Sprintf("%s.updates[%d]", f, j)
		v.id(g+".id", u.ID)
		v.unique(seen, g+".id", u.ID)
		enum(v, g+".status", u.Status, allowed)
		v.text(g+".body", u.Body, MaxBody, false)
		if u.CreatedAt.IsZero() {
			v.fail(g+".created_at", "is required")
		}
		v.count(g+".affected", len(u.Affected), MaxAffected)
		for k, a := range u.Affected {
			h := fmt.Sprintf("%s.affected[%d]", g, k)
			if !components[a.ComponentID] {
				v.fail(h+".component_id", fmt.Sprintf("%q is not a component", a.ComponentID))
			}
			v.serviceStatus(h+".old_status", a.OldStatus)
			v.serviceStatus(h+".new_status", a.NewStatus)
		}
	}
}

func (v *validator) absURL(field, s string, required bool) {
	if s == "" {
		if required {
			v.fail(field, "is required")
		}
		return
	}
	v.text(field, s, maxURL, required)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		v.fail(field, fmt.Sprintf("%q is not an absolute http(s) URL", s))
	}
}

// telURI turns a phone number into a tel: URI, or "" when it holds
// anything but digits, spaces and + ( ) - . /.
func telURI(s string) string {
	var b strings.Builder
	b.WriteString("tel:")
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && digits == 0 && strings.TrimSpace(s[:i]) == "":
			b.WriteRune(r)
		case r == ' ' || r == '(' || r == ')' || r == '-' || r == '.' || r == '/':
		default:
			return ""
		}
	}
	if digits < 3 {
		return ""
	}
	return b.String()
}

func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") {
		return false
	}
	return !strings.ContainsAny(s, " \t\r\n<>()[]\\,;:\"'")
}

// pageID is the page id used in the JSON API.
func (p *Page) pageID() string {
	if p.ID != "" {
		return p.ID
	}
	sum := sha256.Sum256([]byte(p.URL))
	return hex.EncodeToString(sum[:6])
}
