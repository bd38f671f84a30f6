package status

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// The Statuspage public API v2 shapes. Field order follows Statuspage's
// responses; encoding/json keeps struct order, so the bytes are stable.

type apiPage struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

type apiStatus struct {
	Indicator   Indicator `json:"indicator"`
	Description string    `json:"description"`
}

type apiComponent struct {
	ID                 string                 `json:"id"`
	Name               string                 `json:"name"`
	Status             incident.ServiceStatus `json:"status"`
	CreatedAt          string                 `json:"created_at"`
	UpdatedAt          string                 `json:"updated_at"`
	Position           int                    `json:"position"`
	Description        *string                `json:"description"`
	Showcase           bool                   `json:"showcase"`
	StartDate          *string                `json:"start_date"`
	GroupID            *string                `json:"group_id"`
	PageID             string                 `json:"page_id"`
	Group              bool                   `json:"group"`
	OnlyShowIfDegraded bool                   `json:"only_show_if_degraded"`
	Components         []string               `json:"components,omitempty"`
}

type apiIncident struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Status          IncidentStatus `json:"status"`
	CreatedAt       string         `json:"created_at"`
	UpdatedAt       *string        `json:"updated_at"`
	MonitoringAt    *string        `json:"monitoring_at"`
	ResolvedAt      *string        `json:"resolved_at"`
	Impact          Impact         `json:"impact"`
	Shortlink       string         `json:"shortlink"`
	StartedAt       string         `json:"started_at"`
	PageID          string         `json:"page_id"`
	IncidentUpdates []apiUpdate    `json:"incident_updates"`
	Components      []apiComponent `json:"components"`
	ScheduledFor    *string        `json:"scheduled_for,omitempty"`
	ScheduledUntil  *string        `json:"scheduled_until,omitempty"`
}

type apiUpdate struct {
	ID                   string         `json:"id"`
	Status               IncidentStatus `json:"status"`
	Body                 string         `json:"body"`
	IncidentID           string         `json:"incident_id"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
	DisplayAt            string         `json:"display_at"`
	AffectedComponents   []apiAffected  `json:"affected_components,omitempty"`
	DeliverNotifications bool           `json:"deliver_notifications"`
	CustomTweet          *string        `json:"custom_tweet"`
	TweetID              *string        `json:"tweet_id"`
}

type apiAffected struct {
	Code      string                 `json:"code"`
	Name      string                 `json:"name"`
	OldStatus incident.ServiceStatus `json:"old_status"`
	NewStatus incident.ServiceStatus `json:"new_status"`
}

// apiTime formats like Statuspage (ISO 8601 with milliseconds), in UTC.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func apiTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := apiTime(t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *site) apiPage() apiPage {
	return apiPage{ID: s.id, Name: s.page.Name, URL: s.page.URL, TimeZone: s.page.TimeZone, UpdatedAt: apiTime(s.page.UpdatedAt)}
}

func (s *site) apiStatus() apiStatus {
	return apiStatus{Indicator: s.overall.Indicator, Description: s.overall.Description}
}

func (s *site) apiComponent(c *Component) apiComponent {
	start := c.CreatedAt.Format("2006-01-02")
	return apiComponent{
		ID: c.ID, Name: c.Name, Status: c.Status,
		CreatedAt: apiTime(c.CreatedAt), UpdatedAt: apiTime(c.UpdatedAt),
		Position: c.Position, Description: strPtr(c.Description),
		Showcase: true, StartDate: &start, GroupID: strPtr(c.GroupID),
		PageID: s.id,
	}
}

// apiComponents lists groups (as components with group: true and their
// members' ids) and components: the top-level rows by position, each group
// followed by its members. A group's status is its worst member's.
func (s *site) apiComponents() []apiComponent {
	out := make([]apiComponent, 0, len(s.page.Components)+len(s.page.Groups))
	for _, it := range s.items {
		if it.component != nil {
			out = append(out, s.apiComponent(it.component))
			continue
		}
		g := it.group
		ids := make([]string, 0, len(it.components))
		created, updated := s.page.UpdatedAt, time.Time{}
		for _, c := range it.components {
			ids = append(ids, c.ID)
			if c.CreatedAt.Before(created) {
				created = c.CreatedAt
			}
			if c.UpdatedAt.After(updated) {
				updated = c.UpdatedAt
			}
		}
		if updated.IsZero() {
			updated = created
		}
		out = append(out, apiComponent{
			ID: g.ID, Name: g.Name, Status: groupStatus(it.components),
			CreatedAt: apiTime(created), UpdatedAt: apiTime(updated),
			Position: g.Position, Description: strPtr(g.Description),
			PageID: s.id, Group: true, Components: ids,
		})
		for _, c := range it.components {
			out = append(out, s.apiComponent(c))
		}
	}
	return out
}

func (s *site) apiUpdates(eventID string, us []Update) []apiUpdate {
	out := make([]apiUpdate, 0, len(us))
	for _, u := range us {
		au := apiUpdate{
			ID: u.ID, Status: u.Status, Body: u.Body, IncidentID: eventID,
			CreatedAt: apiTime(u.CreatedAt), UpdatedAt: apiTime(u.CreatedAt), DisplayAt: apiTime(u.DisplayAt),
			DeliverNotifications: true,
		}
		for _, a := range u.Affected {
			au.AffectedComponents = append(au.AffectedComponents, apiAffected{
				Code: a.ComponentID, Name: s.components[a.ComponentID].Name, OldStatus: a.OldStatus, NewStatus: a.NewStatus,
			})
		}
		out = append(out, au)
	}
	return out
}

func (s *site) apiComponentList(ids []string) []apiComponent {
	out := make([]apiComponent, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.apiComponent(s.components[id]))
	}
	return out
}

func (s *site) apiIncident(in *Incident) apiIncident {
	return apiIncident{
		ID: in.ID, Name: in.Name, Status: in.Status,
		CreatedAt: apiTime(in.CreatedAt), UpdatedAt: apiTimePtr(in.UpdatedAt),
		MonitoringAt: apiTimePtr(in.MonitoringAt), ResolvedAt: apiTimePtr(in.ResolvedAt),
		Impact: in.Impact, Shortlink: in.Shortlink, StartedAt: apiTime(in.StartedAt), PageID: s.id,
		IncidentUpdates: s.apiUpdates(in.ID, in.Updates), Components: s.apiComponentList(in.ComponentIDs),
	}
}

func (s *site) apiMaintenance(m *Maintenance) apiIncident {
	return apiIncident{
		ID: m.ID, Name: m.Name, Status: m.Status,
		CreatedAt: apiTime(m.CreatedAt), UpdatedAt: apiTimePtr(m.UpdatedAt),
		ResolvedAt: apiTimePtr(m.ResolvedAt), Impact: ImpactMaintenance, Shortlink: m.Shortlink,
		StartedAt: apiTime(m.ScheduledFor), PageID: s.id,
		IncidentUpdates: s.apiUpdates(m.ID, m.Updates), Components: s.apiComponentList(m.ComponentIDs),
		ScheduledFor: apiTimePtr(m.ScheduledFor), ScheduledUntil: apiTimePtr(m.ScheduledUntil),
	}
}

// apiLimit is how many incidents incidents.json and
// scheduled-maintenances.json list, as on Statuspage.
const apiLimit = 50

func (s *site) incidentList(keep func(*Incident) bool, limit int) []apiIncident {
	out := []apiIncident{}
	for _, in := range s.incidents {
		if keep(in) && (limit <= 0 || len(out) < limit) {
			out = append(out, s.apiIncident(in))
		}
	}
	return out
}

// maintenanceList lists maintenances: upcoming ones soonest first, others
// latest first.
func (s *site) maintenanceList(keep func(*Maintenance) bool, limit int, soonestFirst bool) []apiIncident {
	out := []apiIncident{}
	ms := s.maintenances
	for i := range ms {
		m := ms[i]
		if soonestFirst {
			m = ms[len(ms)-1-i]
		}
		if keep(m) && (limit <= 0 || len(out) < limit) {
			out = append(out, s.apiMaintenance(m))
		}
	}
	return out
}

func unresolved(in *Incident) bool        { return in.Status.Unresolved() }
func anyIncident(*Incident) bool          { return true }
func anyMaintenance(*Maintenance) bool    { return true }
func upcomingMaint(m *Maintenance) bool   { return m.Status == Scheduled }
func activeMaint(m *Maintenance) bool     { return activeMaintenance(m) }
func openMaintenance(m *Maintenance) bool { return m.Status != Completed }

// apiDocuments renders every JSON endpoint, keyed by path.
func (s *site) apiDocuments() (map[string][]byte, error) {
	page := s.apiPage()
	type incidents struct {
		Page      apiPage       `json:"page"`
		Incidents []apiIncident `json:"incidents"`
	}
	type maintenances struct {
		Page                  apiPage       `json:"page"`
		ScheduledMaintenances []apiIncident `json:"scheduled_maintenances"`
	}
	docs := map[string]any{
		"/api/v2/summary.json": struct {
			Page                  apiPage        `json:"page"`
			Components            []apiComponent `json:"components"`
			Incidents             []apiIncident  `json:"incidents"`
			ScheduledMaintenances []apiIncident  `json:"scheduled_maintenances"`
			Status                apiStatus      `json:"status"`
		}{page, s.apiComponents(), s.incidentList(unresolved, 0), s.maintenanceList(openMaintenance, 0, true), s.apiStatus()},
		"/api/v2/status.json": struct {
			Page   apiPage   `json:"page"`
			Status apiStatus `json:"status"`
		}{page, s.apiStatus()},
		"/api/v2/components.json": struct {
			Page       apiPage        `json:"page"`
			Components []apiComponent `json:"components"`
		}{page, s.apiComponents()},
		"/api/v2/incidents.json":                       incidents{page, s.incidentList(anyIncident, apiLimit)},
		"/api/v2/incidents/unresolved.json":            incidents{page, s.incidentList(unresolved, 0)},
		"/api/v2/scheduled-maintenances.json":          maintenances{page, s.maintenanceList(anyMaintenance, apiLimit, false)},
		"/api/v2/scheduled-maintenances/upcoming.json": maintenances{page, s.maintenanceList(upcomingMaint, 0, true)},
		"/api/v2/scheduled-maintenances/active.json":   maintenances{page, s.maintenanceList(activeMaint, 0, true)},
	}
	out := make(map[string][]byte, len(docs))
	for path, v := range docs {
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(v); err != nil {
			return nil, fmt.Errorf("render %s: %w", path, err)
		}
		out[path] = b.Bytes()
	}
	return out, nil
}
