package status

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-ir/firebreak/internal/incident"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Page)
		field  string // "" when valid
	}{
		{"telecom page", func(*Page) {}, ""},
		{"empty id derives one", func(p *Page) { p.ID = "" }, ""},
		{"no name", func(p *Page) { p.Name = " " }, "name"},
		{"no url", func(p *Page) { p.URL = "" }, "url"},
		{"relative url", func(p *Page) { p.URL = "status.example.com" }, "url"},
		{"javascript url", func(p *Page) { p.URL = "javascript:alert(1)" }, "url"},
		{"url with credentials", func(p *Page) { p.URL = "https://u:p@status.example.com" }, "url"},
		{"bad page id", func(p *Page) { p.ID = "a/b" }, "id"},
		{"component id with slash", func(p *Page) { p.Components[0].ID = "../x" }, "components[0].id"},
		{"component id too long", func(p *Page) { p.Components[0].ID = strings.Repeat("a", MaxID+1) }, "components[0].id"},
		{"duplicate component id", func(p *Page) { p.Components[1].ID = "portal" }, "components[1].id"},
		{"component id equals group id", func(p *Page) { p.Components[3].ID = "grp-digital" }, "components[3].id"},
		{"unknown group", func(p *Page) { p.Components[0].GroupID = "nope" }, "components[0].group_id"},
		{"bad component status", func(p *Page) { p.Components[0].Status = "down" }, "components[0].status"},
		{"bad history status", func(p *Page) { p.Components[2].History[0].Status = "" }, "components[2].history[0].status"},
		{"history without time", func(p *Page) { p.Components[2].History[0].At = time.Time{} }, "components[2].history[0].at"},
		{"name too long", func(p *Page) { p.Components[0].Name = strings.Repeat("x", MaxName+1) }, "components[0].name"},
		{"invalid utf-8", func(p *Page) { p.Groups[0].Name = "\xff" }, "groups[0].name"},
		{"control character", func(p *Page) { p.Incidents[0].Updates[0].Body = "a\x00b" }, "incidents[0].updates[0].body"},
		{"escape character", func(p *Page) { p.Incidents[0].Name = "a\x1bb" }, "incidents[0].name"},
		{"newlines and tabs are fine", func(p *Page) { p.Incidents[0].Updates[0].Body = "a\n\tb\r\n" }, ""},
		{"body too long", func(p *Page) { p.Incidents[0].Updates[0].Body = strings.Repeat("x", MaxBody+1) }, "incidents[0].updates[0].body"},
		{"duplicate incident id", func(p *Page) { p.Incidents[1].ID = "inc-portal" }, "incidents[1].id"},
		{"incident id equals maintenance id", func(p *Page) { p.Maintenances[0].ID = "inc-sms" }, "maintenances[0].id"},
		{"bad incident status", func(p *Page) { p.Incidents[0].Status = Scheduled }, "incidents[0].status"},
		{"bad impact", func(p *Page) { p.Incidents[0].Impact = ImpactMaintenance }, "incidents[0].impact"},
		{"incident without time", func(p *Page) { p.Incidents[0].CreatedAt = time.Time{} }, "incidents[0].created_at"},
		{"unknown incident component", func(p *Page) { p.Incidents[0].ComponentIDs = []string{"nope"} }, "incidents[0].component_ids"},
		{"component listed twice", func(p *Page) { p.Incidents[0].ComponentIDs = []string{"portal", "portal"} }, "incidents[0].component_ids"},
		{"bad shortlink", func(p *Page) { p.Incidents[0].Shortlink = "ftp://x" }, "incidents[0].shortlink"},
		{"duplicate update id", func(p *Page) { p.Incidents[1].Updates[0].ID = "upd-1" }, "incidents[1].updates[0].id"},
		{"maintenance status on incident update", func(p *Page) { p.Incidents[0].Updates[0].Status = InProgress }, "incidents[0].updates[0].status"},
		{"update without time", func(p *Page) { p.Incidents[0].Updates[1].CreatedAt = time.Time{} }, "incidents[0].updates[1].created_at"},
		{"unknown affected component", func(p *Page) { p.Incidents[0].Updates[0].Affected[0].ComponentID = "x" }, "incidents[0].updates[0].affected[0].component_id"},
		{"bad affected status", func(p *Page) { p.Incidents[0].Updates[0].Affected[0].NewStatus = "x" }, "incidents[0].updates[0].affected[0].new_status"},
		{"bad maintenance status", func(p *Page) { p.Maintenances[0].Status = Investigating }, "maintenances[0].status"},
		{"maintenance without window", func(p *Page) { p.Maintenances[0].ScheduledFor = time.Time{} }, "maintenances[0].scheduled_for"},
		{"maintenance ends before start", func(p *Page) {
			p.Maintenances[0].ScheduledUntil = p.Maintenances[0].ScheduledFor.Add(-time.Minute)
		}, "maintenances[0].scheduled_until"},
		{"bad channel kind", func(p *Page) { p.Channels[0].Kind = "fax" }, "channels[0].kind"},
		{"phone with letters", func(p *Page) { p.Channels[0].Value = "call 0800" }, "channels[0].value"},
		{"phone with plus inside", func(p *Page) { p.Channels[0].Value = "0800+1234" }, "channels[0].value"},
		{"bad e-mail", func(p *Page) { p.Channels[1].Value = "support at example" }, "channels[1].value"},
		{"e-mail with markup", func(p *Page) { p.Channels[1].Value = "a<b>@example.com" }, "channels[1].value"},
		{"web channel javascript", func(p *Page) {
			p.Channels[0] = Channel{Kind: ChannelWeb, Label: "Help", Value: "javascript:alert(1)"}
		}, "channels[0].value"},
		{"web channel https", func(p *Page) {
			p.Channels[0] = Channel{Kind: ChannelWeb, Label: "Help", Value: "https://help.example.com/outage"}
		}, ""},
		{"other channel free text", func(p *Page) {
			p.Channels[0] = Channel{Kind: ChannelOther, Label: "Shops", Value: "Any Example Telecom shop"}
		}, ""},
		{"too many components", func(p *Page) {
			p.Components = make([]Component, MaxComponents+1)
		}, "components"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := telecomPage()
			tt.change(&p)
			err := p.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := Render(p, testNow); err != nil {
					t.Fatalf("Render of a valid page: %v", err)
				}
				return
			}
			var ve *incident.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Fatalf("Validate() = %v, want a *ValidationError for %s", err, tt.field)
			}
			if _, err := Render(p, testNow); err == nil {
				t.Errorf("Render of an invalid page succeeded")
			}
		})
	}
}

// TestRenderDoesNotModifyPage: Render works on a copy.
func TestRenderDoesNotModifyPage(t *testing.T) {
	p := telecomPage()
	mustRender(t, p)
	q := telecomPage()
	if p.Incidents[0].Updates[0].ID != q.Incidents[0].Updates[0].ID || !p.Incidents[0].UpdatedAt.IsZero() ||
		p.Incidents[0].Impact != "" || p.Maintenances[0].Shortlink != "" {
		t.Errorf("Render changed its argument")
	}
}

func TestComponentUptime(t *testing.T) {
	c := Component{
		ID: "c", Status: incident.StatusDegraded,
		CreatedAt: at("2026-05-01T00:00:00Z"), UpdatedAt: at("2026-05-14T09:00:00Z"),
		History: []StatusChange{
			// Out of order on purpose: History is sorted first.
			{At: at("2026-05-12T23:00:00Z"), Status: incident.StatusMajor},
			{At: at("2026-05-10T00:00:00Z"), Status: incident.StatusPartial},
			{At: at("2026-05-10T06:00:00Z"), Status: incident.StatusOperational},
			{At: at("2026-05-13T01:00:00Z"), Status: incident.StatusOperational},
			{At: at("2026-05-13T10:00:00Z"), Status: incident.StatusMaintenance},
			{At: at("2026-05-13T11:00:00Z"), Status: incident.StatusOperational},
			// The degraded status since 09:00 today comes from Status and UpdatedAt.
		},
	}
	up := ComponentUptime(&c, testNow)
	if len(up.Days) != UptimeDays {
		t.Fatalf("%d days, want %d", len(up.Days), UptimeDays)
	}
	if first, last := up.Days[0].Date, up.Days[UptimeDays-1].Date; !first.Equal(at("2026-02-14T00:00:00Z")) || !last.Equal(at("2026-05-14T00:00:00Z")) {
		t.Errorf("days run %v … %v, want 2026-02-14 … 2026-05-14", first, last)
	}
	day := func(date string) Day {
		for _, d := range up.Days {
			if d.Date.Format("2006-01-02") == date {
				return d
			}
		}
		t.Fatalf("no day %s", date)
		return Day{}
	}
	tests := []struct {
		date   string
		noData bool
		worst  incident.ServiceStatus
		major  time.Duration
		part   time.Duration
	}{
		{"2026-04-30", true, incident.StatusOperational, 0, 0},
		{"2026-05-01", false, incident.StatusOperational, 0, 0},
		{"2026-05-10", false, incident.StatusPartial, 0, 6 * time.Hour},
		{"2026-05-11", false, incident.StatusOperational, 0, 0},
		{"2026-05-12", false, incident.StatusMajor, time.Hour, 0},
		{"2026-05-13", false, incident.StatusMajor, time.Hour, 0},
		{"2026-05-14", false, incident.StatusDegraded, 0, 0},
	}
	for _, tt := range tests {
		d := day(tt.date)
		if d.NoData != tt.noData || d.Worst != tt.worst || d.Major != tt.major || d.Partial != tt.part {
			t.Errorf("%s = nodata %v worst %s major %v partial %v, want %v %s %v %v",
				tt.date, d.NoData, d.Worst, d.Major, d.Partial, tt.noData, tt.worst, tt.major, tt.part)
		}
	}
	if d := day("2026-05-13"); d.Maintenance != time.Hour {
		t.Errorf("13 May maintenance = %v, want 1h", d.Maintenance)
	}
	if d := day("2026-05-14"); d.Degraded != 3*time.Hour {
		t.Errorf("14 May degraded = %v, want 3h (09:00 to now)", d.Degraded)
	}
	// Observed: 1 May 00:00 to 14 May 12:00 = 19,440 min; down: 120 min
	// major + 0.3 × 360 min partial = 228 min.
	want := 100 * (1 - 228.0/19440)
	if diff := up.Percent - want; diff > 1e-9 || diff < -1e-9 {
		t.Errorf("Percent = %v, want %v", up.Percent, want)
	}
	if got := floorPercent(up.Percent); got != 98.82 {
		t.Errorf("shown percent = %v, want 98.82", got)
	}

	// A component with no history and no creation time: today only.
	fresh := ComponentUptime(&Component{Status: incident.StatusOperational}, testNow)
	if fresh.Percent != 100 || !fresh.Days[UptimeDays-2].NoData || fresh.Days[UptimeDays-1].NoData {
		t.Errorf("fresh component: %v%%, yesterday nodata %v, today nodata %v", fresh.Percent, fresh.Days[UptimeDays-2].NoData, fresh.Days[UptimeDays-1].NoData)
	}
	// History older than the window still sets the status at its start.
	old := ComponentUptime(&Component{Status: incident.StatusMajor, CreatedAt: at("2025-01-01T00:00:00Z"),
		History: []StatusChange{{At: at("2025-06-01T00:00:00Z"), Status: incident.StatusMajor}}}, testNow)
	if old.Percent != 0 || old.Days[0].Worst != incident.StatusMajor {
		t.Errorf("down all window: %v%%, first day %s", old.Percent, old.Days[0].Worst)
	}
}
