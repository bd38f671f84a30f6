package status

import (
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

// testNow is the render time of the fixtures.
var testNow = time.Date(2026, 5, 14, 12, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// telecomPage is the realistic example: a telecom whose customer portal
// and voice API were taken offline during a security incident (three
// updates: investigating → identified → monitoring), with a resolved SMS
// incident last month, an upcoming core network maintenance and two
// alternative support channels.
func telecomPage() Page {
	return Page{
		ID:        "exampletel",
		Name:      "Example Telecom",
		URL:       "https://status.example-telecom.com",
		TimeZone:  "Europe/Berlin",
		UpdatedAt: at("2026-05-14T11:30:00Z"),
		Groups: []Group{
			{ID: "grp-digital", Name: "Digital services", Description: "Self-service and developer APIs", Position: 1},
		},
		Components: []Component{
			{ID: "portal", Name: "Customer portal", Description: "my.example-telecom.com", GroupID: "grp-digital",
				Status: incident.StatusMajor, Position: 1,
				CreatedAt: at("2024-01-10T09:00:00Z"), UpdatedAt: at("2026-05-14T08:15:00Z"),
				History: []StatusChange{{At: at("2026-05-14T08:10:00Z"), Status: incident.StatusMajor}}},
			{ID: "voice-api", Name: "Voice API", GroupID: "grp-digital",
				Status: incident.StatusMajor, Position: 2,
				CreatedAt: at("2024-01-10T09:00:00Z"), UpdatedAt: at("2026-05-14T08:15:00Z"),
				History: []StatusChange{{At: at("2026-05-14T08:10:00Z"), Status: incident.StatusMajor}}},
			{ID: "sms-api", Name: "Messaging API", GroupID: "grp-digital",
				Status: incident.StatusOperational, Position: 3,
				CreatedAt: at("2024-01-10T09:00:00Z"), UpdatedAt: at("2026-04-20T03:30:00Z"),
				History: []StatusChange{
					{At: at("2026-04-20T02:00:00Z"), Status: incident.StatusDegraded},
					{At: at("2026-04-20T03:30:00Z"), Status: incident.StatusOperational},
				}},
			{ID: "mobile", Name: "Mobile network", Description: "Voice, SMS and data on 4G and 5G",
				Status: incident.StatusOperational, Position: 2,
				CreatedAt: at("2024-01-10T09:00:00Z"), UpdatedAt: at("2024-01-10T09:00:00Z")},
			{ID: "website", Name: "Website", Status: incident.StatusOperational, Position: 3,
				CreatedAt: at("2026-04-01T00:00:00Z"), UpdatedAt: at("2026-04-01T00:00:00Z")},
		},
		Incidents: []Incident{
			{ID: "inc-portal", Name: "Customer portal and Voice API unavailable", Status: Monitoring,
				CreatedAt: at("2026-05-14T08:15:00Z"), StartedAt: at("2026-05-14T08:10:00Z"),
				ComponentIDs: []string{"portal", "voice-api"},
				Updates: []Update{
					{ID: "upd-1", Status: Investigating, CreatedAt: at("2026-05-14T08:15:00Z"),
						Body: "The customer portal and the Voice API are unavailable. We are investigating.",
						Affected: []AffectedComponent{
							{ComponentID: "portal", OldStatus: incident.StatusOperational, NewStatus: incident.StatusMajor},
							{ComponentID: "voice-api", OldStatus: incident.StatusOperational, NewStatus: incident.StatusMajor},
						}},
					{ID: "upd-2", Status: Identified, CreatedAt: at("2026-05-14T09:05:00Z"),
						Body: "We have taken the customer portal and the Voice API offline as a precaution while we contain a security incident.\nCalls, SMS and mobile data are not affected. For urgent requests, call our hotline."},
					{ID: "upd-3", Status: Monitoring, CreatedAt: at("2026-05-14T11:30:00Z"),
						Body: "The affected systems have been isolated and we are restoring them from clean backups. We are monitoring closely and will update by 14:00 UTC."},
				}},
			{ID: "inc-sms", Name: "Delayed SMS delivery", Status: Resolved, Impact: ImpactMinor,
				CreatedAt: at("2026-04-20T02:05:00Z"), ComponentIDs: []string{"sms-api"},
				Updates: []Update{
					{ID: "upd-sms-1", Status: Investigating, CreatedAt: at("2026-04-20T02:05:00Z"),
						Body:     "Some SMS sent through the Messaging API are delayed by up to 20 minutes.",
						Affected: []AffectedComponent{{ComponentID: "sms-api", OldStatus: incident.StatusOperational, NewStatus: incident.StatusDegraded}}},
					{ID: "upd-sms-2", Status: Resolved, CreatedAt: at("2026-04-20T03:30:00Z"),
						Body:     "A congested message queue was drained; delivery times are back to normal.",
						Affected: []AffectedComponent{{ComponentID: "sms-api", OldStatus: incident.StatusDegraded, NewStatus: incident.StatusOperational}}},
				}},
		},
		Maintenances: []Maintenance{
			{ID: "mnt-core", Name: "Core network upgrade", Status: Scheduled,
				ScheduledFor: at("2026-05-20T01:00:00Z"), ScheduledUntil: at("2026-05-20T03:00:00Z"),
				CreatedAt: at("2026-05-06T10:00:00Z"), ComponentIDs: []string{"mobile"},
				Updates: []Update{{ID: "upd-mnt-1", Status: Scheduled, CreatedAt: at("2026-05-06T10:00:00Z"),
					Body: "We are upgrading core network software. Calls may drop for up to a minute during the window."}}},
		},
		Channels: []Channel{
			{Kind: ChannelPhone, Label: "Customer hotline", Value: "+49 800 123 4567", Note: "24/7, free of charge from any network"},
			{Kind: ChannelEmail, Label: "Support by e-mail", Value: "support@example-telecom.com", Note: "We answer within 4 hours"},
		},
	}
}

// operationalPage is telecomPage after everything recovered: all
// components operational, every incident resolved.
func operationalPage() Page {
	p := telecomPage()
	for i := range p.Components {
		p.Components[i].Status = incident.StatusOperational
		p.Components[i].UpdatedAt = at("2026-05-14T11:55:00Z")
	}
	p.Incidents[0].Status = Resolved
	p.Incidents[0].Updates = append(p.Incidents[0].Updates, Update{ID: "upd-4", Status: Resolved,
		CreatedAt: at("2026-05-14T11:55:00Z"), Body: "All services are restored."})
	return p
}

func mustRender(t testing.TB, p Page) *Snapshot {
	t.Helper()
	s, err := Render(p, testNow)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return s
}

func body(t testing.TB, s *Snapshot, path string) []byte {
	t.Helper()
	e, ok := s.Lookup(path)
	if !ok {
		t.Fatalf("snapshot has no %s", path)
	}
	return e.Body
}

func statusOf(s string) incident.ServiceStatus { return incident.ServiceStatus(s) }
