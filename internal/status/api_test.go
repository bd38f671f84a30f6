package status

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var apiPaths = []string{
	"/api/v2/summary.json",
	"/api/v2/status.json",
	"/api/v2/components.json",
	"/api/v2/incidents.json",
	"/api/v2/incidents/unresolved.json",
	"/api/v2/scheduled-maintenances.json",
	"/api/v2/scheduled-maintenances/upcoming.json",
	"/api/v2/scheduled-maintenances/active.json",
}

// TestAPIGolden compares every Statuspage v2 endpoint of the telecom page
// with testdata/api/*.json (indented for review; the served bytes are
// compact). Run with -update to rewrite them.
func TestAPIGolden(t *testing.T) {
	s := mustRender(t, telecomPage())
	for _, p := range apiPaths {
		t.Run(p, func(t *testing.T) {
			var got bytes.Buffer
			if err := json.Indent(&got, body(t, s, p), "", "  "); err != nil {
				t.Fatalf("%s is not JSON: %v", p, err)
			}
			name := filepath.Join("testdata", "api", strings.ReplaceAll(strings.TrimPrefix(p, "/api/v2/"), "/", "_"))
			if *update {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from %s (run go test -update after checking the diff):\n%s", p, name, got.String())
			}
		})
	}
}

// TestAPIShapes checks the Statuspage v2 nesting and enumerations that
// clients rely on, independently of the golden files.
func TestAPIShapes(t *testing.T) {
	s := mustRender(t, telecomPage())
	var sum struct {
		Page                  map[string]any   `json:"page"`
		Status                map[string]any   `json:"status"`
		Components            []map[string]any `json:"components"`
		Incidents             []map[string]any `json:"incidents"`
		ScheduledMaintenances []map[string]any `json:"scheduled_maintenances"`
	}
	if err := json.Unmarshal(body(t, s, "/api/v2/summary.json"), &sum); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "url", "time_zone", "updated_at"} {
		if _, ok := sum.Page[k]; !ok {
			t.Errorf("page has no %q", k)
		}
	}
	if sum.Status["indicator"] != "critical" || sum.Status["description"] != "Major Service Outage" {
		t.Errorf("status = %v, want critical / Major Service Outage", sum.Status)
	}
	if len(sum.Components) != 6 { // one group and five components
		t.Fatalf("summary has %d components, want 6", len(sum.Components))
	}
	for _, c := range sum.Components {
		for _, k := range []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase", "start_date", "group_id", "page_id", "group", "only_show_if_degraded"} {
			if _, ok := c[k]; !ok {
				t.Errorf("component %v has no %q", c["id"], k)
			}
		}
		if c["group"] == true {
			if ids, _ := c["components"].([]any); len(ids) != 3 || c["status"] != "major_outage" {
				t.Errorf("group %v: components %v status %v, want 3 members and major_outage", c["id"], c["components"], c["status"])
			}
		}
	}
	if len(sum.Incidents) != 1 {
		t.Fatalf("summary lists %d incidents, want the unresolved one", len(sum.Incidents))
	}
	in := sum.Incidents[0]
	if in["impact"] != "critical" || in["status"] != "monitoring" || in["shortlink"] != "https://status.example-telecom.com/incidents/inc-portal.html" {
		t.Errorf("incident = impact %v status %v shortlink %v", in["impact"], in["status"], in["shortlink"])
	}
	ups, _ := in["incident_updates"].([]any)
	var statuses []string
	for _, u := range ups {
		statuses = append(statuses, u.(map[string]any)["status"].(string))
	}
	if strings.Join(statuses, ",") != "monitoring,identified,investigating" {
		t.Errorf("incident_updates statuses = %v, want newest first", statuses)
	}
	first := ups[2].(map[string]any)
	aff, _ := first["affected_components"].([]any)
	if len(aff) != 2 || aff[0].(map[string]any)["new_status"] != "major_outage" || aff[0].(map[string]any)["code"] != "portal" {
		t.Errorf("affected_components = %v", first["affected_components"])
	}
	if comps, _ := in["components"].([]any); len(comps) != 2 {
		t.Errorf("incident components = %v, want 2", in["components"])
	}
	if len(sum.ScheduledMaintenances) != 1 || sum.ScheduledMaintenances[0]["scheduled_for"] != "2026-05-20T01:00:00.000Z" {
		t.Errorf("scheduled_maintenances = %v", sum.ScheduledMaintenances)
	}

	counts := map[string]int{
		"/api/v2/incidents.json":                       2,
		"/api/v2/incidents/unresolved.json":            1,
		"/api/v2/scheduled-maintenances.json":          1,
		"/api/v2/scheduled-maintenances/upcoming.json": 1,
		"/api/v2/scheduled-maintenances/active.json":   0,
	}
	for p, want := range counts {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(body(t, s, p), &doc); err != nil {
			t.Fatal(err)
		}
		key := "incidents"
		if strings.Contains(p, "scheduled-maintenances") {
			key = "scheduled_maintenances"
		}
		var list []any
		if err := json.Unmarshal(doc[key], &list); err != nil || list == nil {
			t.Errorf("%s: %s = %s, want an array", p, key, doc[key])
		}
		if len(list) != want {
			t.Errorf("%s lists %d, want %d", p, len(list), want)
		}
	}
}

func TestOverallStatus(t *testing.T) {
	const (
		op = "operational"
		dg = "degraded_performance"
		po = "partial_outage"
		mo = "major_outage"
		um = "under_maintenance"
	)
	tests := []struct {
		name     string
		statuses []string
		impact   Impact // of one unresolved incident, "" for none
		maint    IncidentStatus
		want     Overall
	}{
		{"no components", nil, "", "", Overall{IndicatorNone, "All Systems Operational"}},
		{"all operational", []string{op, op}, "", "", Overall{IndicatorNone, "All Systems Operational"}},
		{"one major of one", []string{mo}, "", "", Overall{IndicatorCritical, "Major System Outage"}},
		{"all major", []string{mo, mo}, "", "", Overall{IndicatorCritical, "Major System Outage"}},
		{"some major", []string{mo, op, po}, "", "", Overall{IndicatorMajor, "Partial System Outage"}},
		{"all partial", []string{po, po}, "", "", Overall{IndicatorMajor, "Partial System Outage"}},
		{"some partial", []string{po, dg, op}, "", "", Overall{IndicatorMinor, "Minor Service Outage"}},
		{"all degraded", []string{dg, dg}, "", "", Overall{IndicatorMinor, "Degraded System Service"}},
		{"some degraded", []string{dg, op, um}, "", "", Overall{IndicatorMinor, "Partially Degraded Service"}},
		{"maintenance", []string{um, op}, "", "", Overall{IndicatorMaintenance, "Service Under Maintenance"}},
		{"incident raises", []string{op, op}, ImpactMinor, "", Overall{IndicatorMinor, "Minor Service Outage"}},
		{"critical incident", []string{mo, op}, ImpactCritical, "", Overall{IndicatorCritical, "Major Service Outage"}},
		{"incident does not lower", []string{mo, mo}, ImpactMinor, "", Overall{IndicatorCritical, "Major System Outage"}},
		{"none impact", []string{op}, ImpactNone, "", Overall{IndicatorNone, "All Systems Operational"}},
		{"maintenance in progress", []string{op}, "", InProgress, Overall{IndicatorMaintenance, "Service Under Maintenance"}},
		{"maintenance scheduled", []string{op}, "", Scheduled, Overall{IndicatorNone, "All Systems Operational"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Page{}
			for i, s := range tt.statuses {
				p.Components = append(p.Components, Component{ID: string(rune('a' + i)), Status: statusOf(s)})
			}
			if tt.impact != "" {
				p.Incidents = []Incident{{ID: "i", Status: Identified, Impact: tt.impact}}
			}
			if tt.maint != "" {
				p.Maintenances = []Maintenance{{ID: "m", Status: tt.maint}}
			}
			if got := OverallStatus(&p); got != tt.want {
				t.Errorf("OverallStatus(%v, %q, %q) = %v, want %v", tt.statuses, tt.impact, tt.maint, got, tt.want)
			}
		})
	}
}

func TestDerivedImpact(t *testing.T) {
	p := telecomPage()
	if got := incidentImpacts(&p)["inc-portal"]; got != ImpactCritical {
		t.Errorf("derived impact = %q, want critical (major outage)", got)
	}
	p.Incidents[0].Impact = ImpactMajor
	if got := incidentImpacts(&p)["inc-portal"]; got != ImpactMajor {
		t.Errorf("declared impact = %q, want major", got)
	}
}
